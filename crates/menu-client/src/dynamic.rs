//! Any operation of the operation table sent with untyped arguments, through the same hooks as
//! the generated methods: for generic tools (the `menu` command line sends this way every
//! operation it has no hand-written command for). The typed methods are the ones to use in code.

use progenitor_client::{ClientHooks as _, ClientInfo as _, Error, OperationInfo, ResponseValue};
use reqwest::header::ACCEPT;
use serde_json::Value;

use crate::Client;
use crate::operation::{Operation, Refusal};

/// The untyped arguments of one call. Its `Debug` shows the names, never the values (a header
/// or a body may carry a secret).
#[derive(Clone, Default, PartialEq)]
pub struct JsonCall {
    /// Path parameters by name, each percent-encoded into the path.
    pub path: Vec<(String, String)>,
    /// Query parameters, in order.
    pub query: Vec<(String, String)>,
    /// Header parameters (not the headers every call carries, which the context adds).
    pub headers: Vec<(String, String)>,
    /// The JSON body, sent as it is: the server judges it.
    pub body: Option<Value>,
}

impl JsonCall {
    /// Adds the value of a parameter sent at `location`.
    pub fn push(&mut self, location: crate::operation::Location, name: String, value: String) {
        use crate::operation::Location;
        let pairs = match location {
            Location::Path => &mut self.path,
            Location::Query => &mut self.query,
            Location::Header => &mut self.headers,
        };
        pairs.push((name, value));
    }
}

impl JsonCall {
    /// Checks the call against `operation` before it is sent: the operation model's one check
    /// of the parameters ([`Operation::check_params`]) and the body ([`Body::verify`](crate::operation::Body::verify)),
    /// which the mock also runs on what it receives. [`Client::send_json`] itself sends what it
    /// is given.
    pub fn check(&self, operation: &Operation) -> Result<(), Refusal> {
        use crate::operation::Location;
        operation.check_params(|param| {
            let pairs = match param.location {
                Location::Path => &self.path,
                Location::Query => &self.query,
                Location::Header => &self.headers,
            };
            pairs
                .iter()
                .find(|(name, _)| name == param.name)
                .map(|(_, value)| value.as_str())
        })?;
        match (&self.body, &operation.body) {
            (Some(value), Some(body)) => body.verify(value),
            (None, Some(body)) if body.required => {
                Err(Refusal::Body("the request body is required".to_owned()))
            }
            _ => Ok(()),
        }
    }
}

impl std::fmt::Debug for JsonCall {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names = |pairs: &[(String, String)]| -> Vec<String> {
            pairs.iter().map(|(name, _)| name.clone()).collect()
        };
        f.debug_struct("JsonCall")
            .field("path", &names(&self.path))
            .field("query", &names(&self.query))
            .field("headers", &names(&self.headers))
            .field("body", &self.body.as_ref().map(|_| "<json>"))
            .finish()
    }
}

/// One path segment, percent-encoded; `.` and `..` too, which would otherwise move the call to
/// another path.
fn segment(value: &str) -> String {
    match value {
        "." => "%2E".to_owned(),
        ".." => "%2E%2E".to_owned(),
        other => progenitor_client::encode_path(other),
    }
}

/// `template` with each `{name}` replaced by its percent-encoded value in `path`.
fn expand(template: &str, path: &[(String, String)]) -> Result<String, String> {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        let end = rest[start..]
            .find('}')
            .map(|end| start + end)
            .ok_or_else(|| format!("the path template `{template}` has an unclosed `{{`"))?;
        let name = &rest[start + 1..end];
        let value = path
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v)
            .ok_or_else(|| format!("the path parameter `{name}` is missing"))?;
        out.push_str(&rest[..start]);
        out.push_str(&segment(value));
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

impl Client {
    /// The request `operation` with `call`'s arguments would be, hooks applied (headers, request
    /// id, token, timeout), without sending it: for a dry run, or to show what is sent.
    pub async fn json_request(
        &self,
        operation: &'static Operation,
        call: &JsonCall,
    ) -> Result<reqwest::Request, Error<()>> {
        let path = expand(operation.path, &call.path).map_err(Error::InvalidRequest)?;
        let method = reqwest::Method::from_bytes(operation.method.as_bytes())
            .map_err(|e| Error::InvalidRequest(format!("method {}: {e}", operation.method)))?;
        let mut builder = self
            .client
            .request(method, format!("{}{path}", self.baseurl))
            .header(ACCEPT, "application/json");
        // As the generated methods do: the spec's version, which the hooks replace with the
        // context's.
        if let Some(version) = crate::operations::managed(crate::operation::Managed::ApiVersion) {
            builder = builder.header(version.name, Self::api_version());
        }
        if !call.query.is_empty() {
            builder = builder.query(&call.query);
        }
        for (name, value) in &call.headers {
            builder = builder.header(name, value);
        }
        if let Some(body) = &call.body {
            builder = builder.json(body);
        }
        let mut request = builder
            .build()
            .map_err(|e| Error::InvalidRequest(e.to_string()))?;
        let info = OperationInfo {
            operation_id: operation.id,
        };
        self.pre(&mut request, &info).await?;
        Ok(request)
    }

    /// Sends `operation` with `call`'s arguments, as its generated method would (the same hooks),
    /// and returns its success body as JSON (`null` when empty). Any other status is
    /// [`Error::UnexpectedResponse`], its body unread.
    pub async fn send_json(
        &self,
        operation: &'static Operation,
        call: &JsonCall,
    ) -> Result<ResponseValue<Value>, Error<()>> {
        let request = self.json_request(operation, call).await?;
        let info = OperationInfo {
            operation_id: operation.id,
        };
        let result = self.exec(request, &info).await;
        self.post(&result, &info).await?;
        let response = result?;
        if response.status().as_u16() != operation.success_status {
            return Err(Error::UnexpectedResponse(response));
        }
        let (status, headers) = (response.status(), response.headers().clone());
        let bytes = response.bytes().await.map_err(Error::ResponseBodyError)?;
        let value = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).map_err(|e| Error::InvalidResponsePayload(bytes, e))?
        };
        Ok(ResponseValue::new(value, status, headers))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn debug_shows_names_only() {
        let call = JsonCall {
            headers: pairs(&[("X-Secret", "hunter2")]),
            body: Some(serde_json::json!({"password": "hunter2"})),
            ..JsonCall::default()
        };
        let shown = format!("{call:?}");
        assert!(
            shown.contains("X-Secret") && !shown.contains("hunter2"),
            "{shown}"
        );
    }

    #[test]
    fn the_path_is_expanded_and_encoded() {
        let path = pairs(&[("id", "a b/c"), ("other", "é")]);
        assert_eq!(
            expand("/x/{id}/y/{other}", &path).unwrap(),
            "/x/a%20b%2Fc/y/%C3%A9"
        );
        assert_eq!(expand("/plain", &[]).unwrap(), "/plain");
        assert!(
            expand("/x/{id}", &[])
                .unwrap_err()
                .contains("`id` is missing")
        );
        assert!(expand("/x/{id", &path).unwrap_err().contains("unclosed"));
    }
}
