//! What a token refresh returns.

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
