//! What a token refresh returns, and the new token found in a refresh body that does not decode
//! as a whole.

use serde::{Deserialize, Serialize};

use crate::{CustomerAccount, Token};

/// The result of [`crate::Client::refresh`]: the customer's account and their new token (which the
/// client already uses from then on).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Session {
    /// The customer's account.
    pub customer_account: CustomerAccount,
    /// The new token. Its value is redacted in `Debug` and `Display`.
    pub token: Token,
}

/// The token at `data.token` of a refresh body (an object, or the bare JWT string), if any.
pub(crate) fn token_in(body: &[u8]) -> Option<Token> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    match value.pointer("/data/token")? {
        serde_json::Value::String(jwt) => Some(Token::new(jwt.clone())),
        other => Token::deserialize(other).ok(),
    }
}
