//! The public methods of the operations whose method is written by hand because it adds meaning
//! (xtask's `HAND_WRITTEN` list; every other operation's method is generated):
//! - `verify_phone_number_update` takes the confirmation code as a string and returns the account;
//! - `refresh` swaps the client's token and calls `on_token_refresh`, through the single flight.

use menu_client::operations::{REFRESH, VERIFY_PHONE_NUMBER_UPDATE};
use menu_client::types::VerifyPhoneNumberUpdateRequest;
use uuid::Uuid;

use crate::call::Call;
use crate::client::Client;
use crate::error::Error;
use crate::session::Session;
use crate::{CustomerAccount, refresh};

impl Client {
    /// Confirms the customer's pending phone number change with the code sent to the new number,
    /// and returns the updated account.
    ///
    /// `POST /customers/{customer_id}/verify-phone-number-update`. Needs a customer token.
    pub async fn verify_phone_number_update(
        &self,
        customer_id: Uuid,
        confirmation_code: impl Into<String>,
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
    /// [`crate::ClientBuilder::on_token_refresh`] hook: the server has invalidated the old token,
    /// so the application must keep the new one. If [`Client::set_token`] or
    /// [`Client::clear_token`] was called while the refresh was in flight, that choice stands:
    /// the client does not switch, but the hook and the returned session still get the new token.
    /// Concurrent refreshes of the same token share one request and its outcome, and a refresh
    /// whose caller gives up still completes.
    pub async fn refresh(&self) -> Result<Session, Error> {
        self.call().refresh().await
    }
}

impl Call<'_> {
    /// See [`Client::verify_phone_number_update`].
    pub async fn verify_phone_number_update(
        self,
        customer_id: Uuid,
        confirmation_code: impl Into<String>,
    ) -> Result<CustomerAccount, Error> {
        let body = &VerifyPhoneNumberUpdateRequest {
            confirmation_code: confirmation_code.into(),
        };
        let send = |client: menu_client::Client| async move {
            client.verify_phone_number_update(&customer_id, body).await
        };
        let response = self.send(&VERIFY_PHONE_NUMBER_UPDATE, send).await?;
        Ok(response.data.customer_account)
    }

    /// See [`Client::refresh`].
    pub async fn refresh(self) -> Result<Session, Error> {
        let token = self.token_for(&REFRESH)?.ok_or(Error::MissingToken {
            operation: REFRESH.id,
        })?;
        refresh::explicit(self.shared(), token, self.fix_request_id()).await
    }
}
