//! Any operation of the spec by its `operationId`, with untyped JSON arguments, through the same
//! pipeline as the typed methods (headers, token, automatic refresh, retries, errors, tracing,
//! the token an operation issues): for generic tools such as the `menu` command line. In code,
//! use the typed methods.

use menu_client::JsonCall;
use menu_client::operations;
use serde_json::Value;

use crate::call::Call;
use crate::client::Client;
use crate::error::Error;
use crate::session;

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
        let operation = operations::find(operation_id)
            .ok_or_else(|| Error::config(format!("the spec has no operation `{operation_id}`")))?;
        if let Some(invalid) = self.options.invalid.clone() {
            return Err(invalid);
        }
        let shared = self.shared();
        let token = self.token_for(operation)?;
        let context = shared
            .context(token.as_deref(), Some(self.fix_request_id()))?
            .token_decided()
            .timeout(self.options.timeout.unwrap_or(shared.config.timeout))
            .extra_headers(crate::call::merged(
                &shared.config.extra_headers,
                &self.options.headers,
            ));
        menu_client::Client::new_with_client(&shared.config.base_url, shared.http.clone(), context)
            .json_request(operation, call)
            .await
            .map_err(|e| Error::config(format!("cannot build the request: {e}")))
    }

    /// Sends the operation `operation_id` with `call`'s untyped arguments (the body is sent as it
    /// is: the server judges it) through the SDK's pipeline, and returns its payload as JSON: the
    /// envelope's `data`, or `null` when it has none. A token the operation issues is adopted, as
    /// by its typed method (the rotating one through the single flight). An unknown operation is
    /// [`Error::InvalidConfig`], and nothing is sent.
    pub async fn send_json(self, operation_id: &str, call: JsonCall) -> Result<Value, Error> {
        let operation = operations::find(operation_id)
            .ok_or_else(|| Error::config(format!("the spec has no operation `{operation_id}`")))?;
        let rotation = self.shared().rotation;
        if let Some(rotation) = rotation.filter(|r| r.operation == operation) {
            let session = self.rotate(rotation).await?;
            return serde_json::to_value(session)
                .map_err(|e| Error::config(format!("cannot show the session as JSON: {e}")));
        }
        let shared = self.shared();
        let request_id = self.fix_request_id();
        let call = &call;
        let mut body = self
            .request_id(request_id)
            .send(operation, |client| async move {
                client.send_json(operation, call).await
            })
            .await?;
        if operation.token.adopts_session() {
            match session::token_at(&body) {
                Some(token) => shared.adopt(operation, request_id, None, &token).await?,
                None => {
                    return Err(Error::Decode {
                        operation: operation.id,
                        status: reqwest::StatusCode::from_u16(operation.success_status)
                            .unwrap_or(reqwest::StatusCode::OK),
                        request_id,
                        reason: "the answer carries no token at `data.token`".into(),
                        body_snippet: String::new(),
                    });
                }
            }
        }
        Ok(match body.get_mut("data") {
            Some(data) => data.take(),
            None => Value::Null,
        })
    }
}
