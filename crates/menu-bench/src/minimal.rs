//! The minimal hand-written structs of the same fields (what a user might write instead).

use serde::Deserialize;

/// The success envelope.
#[derive(Deserialize)]
pub struct Envelope<T> {
    /// `status`
    pub status: String,
    /// `code`
    pub code: i64,
    /// `data`
    pub data: T,
}
/// The verify payload.
#[derive(Deserialize)]
pub struct Verify {
    /// `customer_account`
    pub customer_account: Account,
}
/// The refresh payload.
#[derive(Deserialize)]
pub struct Refresh {
    /// `customer_account`
    pub customer_account: Account,
    /// `token`
    pub token: Token,
}
/// The token.
#[derive(Deserialize)]
pub struct Token {
    /// `value`
    pub value: String,
    /// `ttl`
    pub ttl: Option<i64>,
    /// `refresh_ttl`
    pub refresh_ttl: Option<i64>,
}
/// A demographic.
#[derive(Deserialize)]
pub struct Demographic {
    /// `id`
    pub id: uuid::Uuid,
    /// `demographic_id`
    pub demographic_id: uuid::Uuid,
    /// `value`
    pub value: String,
}
/// The account, every field of the spec.
#[derive(Deserialize)]
#[allow(missing_docs)]
pub struct Account {
    pub id: uuid::Uuid,
    pub type_id: i64,
    pub reference_type: Option<String>,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub phone_number: String,
    pub locale: String,
    pub state: i64,
    pub demographics: Vec<Demographic>,
    pub optin_status_email: i64,
    pub optin_status_pn: i64,
    pub has_pending_email_change: bool,
    pub has_pending_phone_number_change: bool,
    pub is_social: bool,
    pub social_login: Option<serde_json::Value>,
    pub updated_at: Option<String>,
    pub created_at: Option<String>,
    pub confirmed: bool,
}
