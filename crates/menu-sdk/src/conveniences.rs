//! The public methods of the operations that the SDK writes by hand because they add meaning to
//! the caller (`cargo xtask generate` reads the `impl Client` blocks of this file and generates
//! no method for these operations; it still generates their request types, which these methods
//! send):
//! - `verify_phone_number_update` takes the confirmation code itself (a [`Code`]: the string the
//!   text message gives, or a number), not a body; it answers what its generated request answers
//!   (the account: the payload rule, README);
//! - `refresh` returns the session, as an `async fn`.

use menu_client::types::VerifyPhoneNumberUpdateRequest;
use uuid::Uuid;

use crate::Code;
use crate::CustomerAccount;
use crate::Session;
use crate::call::Call;
use crate::client::Client;
use crate::error::Error;
use crate::generated::requests;

impl Client {
    /// Confirms the customer's pending phone number change with the code sent to the new number
    /// (as received: `"164138"`, or a number; sent as the string the spec asks for), and returns
    /// the updated account.
    ///
    /// `POST /customers/{customer_id}/verify-phone-number-update`. Needs a customer token.
    pub async fn verify_phone_number_update(
        &self,
        customer_id: Uuid,
        confirmation_code: impl Into<Code>,
    ) -> Result<CustomerAccount, Error> {
        self.call()
            .verify_phone_number_update(customer_id, confirmation_code)
            .await
    }

    /// Exchanges the customer token for a new one and returns it with the customer's account.
    ///
    /// `GET /customers/refresh`. The current token may have expired, as long as it is inside its
    /// refresh window. On success the client switches to the new token atomically (concurrent
    /// calls use the old one or the new one, never a mix), then calls the
    /// [`crate::ClientBuilder::on_token_refresh`] hook and saves it in its
    /// [`crate::ClientBuilder::token_store`]: the server has invalidated the old token, so the
    /// application must keep the new one. If [`Client::set_token`] or [`Client::clear_token`] was
    /// called while the refresh was in flight, that choice stands: the client does not switch,
    /// but the hook and the returned session still get the new token. Concurrent refreshes of the
    /// same token share one request and its outcome, and a refresh whose caller gives up still
    /// completes.
    pub async fn refresh(&self) -> Result<Session, Error> {
        self.call().refresh().await
    }
}

impl Call<'_> {
    /// See [`Client::verify_phone_number_update`].
    pub async fn verify_phone_number_update(
        self,
        customer_id: Uuid,
        confirmation_code: impl Into<Code>,
    ) -> Result<CustomerAccount, Error> {
        let body = VerifyPhoneNumberUpdateRequest {
            confirmation_code: confirmation_code.into(),
        };
        requests::VerifyPhoneNumberUpdate::new(self, customer_id, body).await
    }

    /// See [`Client::refresh`].
    pub async fn refresh(self) -> Result<Session, Error> {
        requests::Refresh::new(self).await
    }
}
