//! Any operation of the spec by its `operationId`, with untyped JSON arguments, through the same
//! pipeline as the typed methods (headers, token, automatic refresh, retries, errors, tracing):
//! for generic tools such as the `menu` command line. In code, use the typed methods.

use menu_client::JsonCall;
use menu_client::operations::{self, REFRESH};

use crate::call::Call;
use crate::client::Client;
use crate::error::Error;

impl Client {
    /// Sends the operation `operation_id` with `call`'s untyped arguments and returns its
    /// success body as JSON. See [`Call::send_json`].
    pub async fn send_json(
        &self,
        operation_id: &str,
        call: JsonCall,
    ) -> Result<serde_json::Value, Error> {
        self.call().send_json(operation_id, call).await
    }
}

impl Call<'_> {
    /// Sends the operation `operation_id` with `call`'s untyped arguments (the body is sent as it
    /// is: the server judges it) through the SDK's pipeline, and returns its success body as
    /// JSON. An unknown operation, or `refresh` (use [`Client::refresh`], which keeps the new
    /// token), is [`Error::InvalidConfig`], and nothing is sent.
    pub async fn send_json(
        self,
        operation_id: &str,
        call: JsonCall,
    ) -> Result<serde_json::Value, Error> {
        let operation = operations::find(operation_id)
            .ok_or_else(|| Error::config(format!("the spec has no operation `{operation_id}`")))?;
        if operation.id == REFRESH.id {
            return Err(Error::config(
                "send `refresh` with `Client::refresh`: it keeps the new token, which the server \
                 requires (it invalidates the old one)",
            ));
        }
        let call = &call;
        self.send(operation, |client| async move {
            client.send_json(operation, call).await
        })
        .await
    }
}
