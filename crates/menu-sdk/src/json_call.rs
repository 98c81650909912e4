//! Any operation of the spec by its `operationId`, with untyped JSON arguments, through the same
//! pipeline as the typed methods (headers, token, automatic refresh, retries, errors, tracing,
//! the token an operation issues): for generic tools such as the `menu` command line. In code,
//! use the typed methods.

use menu_client::JsonCall;
use menu_client::operations;
use serde_json::Value;

use crate::Session;
use crate::call::Call;
use crate::client::Client;
use crate::error::Error;
use crate::identity::{kept, token_of};
use serde::Deserialize as _;

impl Client {
    /// Sends the operation `operation_id` with `call`'s untyped arguments and returns its
    /// payload as JSON. See [`Call::send_json`].
    pub async fn send_json(&self, operation_id: &str, call: JsonCall) -> Result<Value, Error> {
        self.call().send_json(operation_id, call).await
    }
}

impl Call<'_> {
    /// The request the operation `operation_id` with `call`'s arguments would send first, built
    /// by the same pipeline and hooks (headers, the call's request id, the token the operation
    /// takes, extra headers), without sending anything: for a dry run or a verbose log. Secret
    /// header values (`Application`, `Authorization`, sensitive extra headers) are marked
    /// sensitive ([`reqwest::header::HeaderValue::is_sensitive`]): mask them when you show it.
    /// An automatic refresh a real call might make first is not shown.
    pub async fn prepare_json(
        self,
        operation_id: &str,
        call: &JsonCall,
    ) -> Result<reqwest::Request, Error> {
        let operation = find(operation_id)?;
        let sending = self.sending(operation)?;
        let token = self.shared.identity.token_for(operation)?;
        let endpoint = &self.shared.endpoint;
        let context = endpoint.context(
            token.as_deref(),
            Some(sending.request_id),
            sending.timeout,
            &sending.headers,
        )?;
        endpoint
            .client(context)
            .json_request(operation, call)
            .await
            .map_err(|e| Error::InvalidArgument {
                operation: operation.id,
                message: format!("cannot build the request: {e}"),
            })
    }

    /// Sends the operation `operation_id` with `call`'s untyped arguments (the body is sent as it
    /// is: the server judges it) through the SDK's pipeline, and returns its payload as JSON, the
    /// shape its typed method answers (the payload rule, README): the envelope's `data`, or the
    /// one resource `data` wraps ([`menu_client::operation::Operation::payload`]), or `null` when
    /// there is none. A session the operation issues is decoded
    /// into [`crate::Session`] and its token adopted, as by its typed method (the rotating
    /// operation through the single flight). An unknown operation is an error, and nothing is
    /// sent.
    pub async fn send_json(self, operation_id: &str, call: JsonCall) -> Result<Value, Error> {
        let operation = find(operation_id)?;
        let call = &call;
        let identity = self.shared.identity.clone();
        let request_id = self.sending(operation)?.request_id;
        let this = self.request_id(request_id);
        if identity.rotation() == Some(operation) {
            let session = this.rotate().await?;
            return serde_json::to_value(session).map_err(|e| Error::Decode {
                operation: operation.id,
                status: reqwest::StatusCode::from_u16(operation.success_status)
                    .unwrap_or(reqwest::StatusCode::OK),
                request_id,
                reason: format!("the session cannot be shown as JSON: {e}"),
                body_snippet: String::new(),
            });
        }

        let mut body = this
            .send(operation, |client| async move {
                client.send_json(operation, call).await
            })
            .await?;
        let data = match body.get_mut("data") {
            Some(data) => data.take(),
            None => Value::Null,
        };
        if operation.token.adopts_session() {
            // The generated `Session` reads the answer; a token it carries is kept even when the
            // rest does not decode.
            let decoded = Session::deserialize(&data);
            let token = match &decoded {
                Ok(session) => Some(session.token.clone()),
                Err(_) => token_of(&data),
            };
            if let Some(token) = &token {
                identity.adopt(operation, request_id, None, token).await?;
            }
            if decoded.is_err() {
                // serde's message could quote the token: it is not repeated.
                let error = Error::Decode {
                    operation: operation.id,
                    status: reqwest::StatusCode::from_u16(operation.success_status)
                        .unwrap_or(reqwest::StatusCode::OK),
                    request_id,
                    reason: "the answer's `data` is not a session (the spec's `Session`)".into(),
                    body_snippet: String::new(),
                };
                return Err(if token.is_some() { kept(error) } else { error });
            }
        }
        Ok(operation.payload(data))
    }
}

/// The operation `operation_id` of the spec.
fn find(operation_id: &str) -> Result<&'static menu_client::operation::Operation, Error> {
    operations::find(operation_id).ok_or_else(|| Error::UnknownOperation {
        operation_id: operation_id.to_owned(),
    })
}
