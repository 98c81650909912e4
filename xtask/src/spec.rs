//! What the generators read from the spec: its operations with what the SDK must know about each
//! (authentication, success status), and the *client view* of the spec that progenitor is given.
//!
//! The spec stays complete (validators, schemathesis and Prism read it). The client view leaves out
//! what `menu-sdk` supplies on every call, so that the generated methods take only what varies
//! from call to call:
//! - the header parameters the SDK manages ([`MANAGED_HEADERS`]), which its hooks fill in;
//! - the error responses: every non-2xx answer reaches the SDK undecoded, which reads the raw body
//!   itself (to keep it, scrubbed, in its error, whatever its shape).

use openapiv3::{OpenAPI, Operation, Parameter, PathItem, ReferenceOr, SecurityScheme, StatusCode};

/// Header parameters filled in by the SDK on every call (compared case-insensitively).
pub const MANAGED_HEADERS: [&str; 4] =
    ["X-Request-ID", "Application", "API-Version", "X-QB-Enabled"];

/// How an operation authenticates the customer, from its effective `security`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    /// A bearer token is required (`security: [{customerToken: []}]`).
    Customer,
    /// A bearer token is sent when the client has one (an alternative `{}` in `security`).
    Optional,
    /// No token (`security: []`): the `Application` key alone.
    None,
}

/// One operation of the spec, as the generators see it.
#[derive(Debug, Clone)]
pub struct Op {
    /// The `operationId` (progenitor names the generated method after it).
    pub id: String,
    /// `GET`, `POST`, ...
    pub method: String,
    /// The path template, for example `/customers/{customer_id}/verify-phone-number-update`.
    pub path: String,
    pub auth: Auth,
    /// Whether repeating it has no further effect, by its method (`GET`, `HEAD`, `OPTIONS`,
    /// `PUT`, `DELETE`): the SDK retries more answers of these.
    pub idempotent: bool,
    /// The documented success status (the first 2xx response).
    pub success_status: u16,
}

/// Parses the spec text. Some invalid documents (a duplicated key, for one) make openapiv3 panic
/// instead of failing: that is reported as an error too.
pub fn parse(text: &str) -> Result<OpenAPI, String> {
    let parsed = crate::generate::without_panicking(|| serde_yaml_ng::from_str::<OpenAPI>(text))
        .map_err(|panic| format!("openapiv3 cannot read it ({panic})"))?;
    parsed.map_err(|e| format!("not a valid OpenAPI 3.0 document: {e}"))
}

/// Every operation, in the order of the spec.
pub fn operations(spec: &OpenAPI) -> Result<Vec<Op>, String> {
    let mut ops = Vec::new();
    for (path, item) in &spec.paths.paths {
        let ReferenceOr::Item(item) = item else {
            return Err(format!("{path}: a `$ref` path item is not supported"));
        };
        for (method, operation) in item.iter() {
            let id = operation.operation_id.clone().ok_or_else(|| {
                format!(
                    "{} {path}: the operation has no operationId",
                    method.to_uppercase()
                )
            })?;
            let at = |what: String| format!("{id} ({} {path}): {what}", method.to_uppercase());
            json_only(spec, operation).map_err(at)?;
            ops.push(Op {
                auth: auth(spec, operation).map_err(at)?,
                success_status: success_status(operation).map_err(at)?,
                idempotent: matches!(method, "get" | "head" | "options" | "put" | "delete"),
                method: method.to_uppercase(),
                path: path.clone(),
                id,
            });
        }
    }
    Ok(ops)
}

/// The operation's effective `security` (its own, or the document's), as an [`Auth`].
fn auth(spec: &OpenAPI, operation: &Operation) -> Result<Auth, String> {
    let requirements = operation.security.as_ref().or(spec.security.as_ref());
    let Some(requirements) = requirements.filter(|r| !r.is_empty()) else {
        return Ok(Auth::None);
    };
    let (mut optional, mut bearer) = (false, false);
    for requirement in requirements {
        if requirement.is_empty() {
            optional = true;
            continue;
        }
        bearer = true;
        for scheme_name in requirement.keys() {
            let scheme = spec
                .components
                .as_ref()
                .and_then(|c| c.security_schemes.get(scheme_name));
            match scheme {
                Some(ReferenceOr::Item(SecurityScheme::HTTP { scheme, .. }))
                    if scheme.eq_ignore_ascii_case("bearer") => {}
                Some(_) => {
                    return Err(format!(
                        "security scheme `{scheme_name}` is not an HTTP bearer scheme; the SDK \
                         sends customer tokens only"
                    ));
                }
                None => return Err(format!("security scheme `{scheme_name}` is not defined")),
            }
        }
    }
    Ok(match (bearer, optional) {
        (false, _) => Auth::None,
        (true, true) => Auth::Optional,
        (true, false) => Auth::Customer,
    })
}

/// The SDK speaks JSON: a request body, and a success response with a body, must be
/// `application/json` (the API's convention); anything else is refused by name.
fn json_only(spec: &OpenAPI, operation: &Operation) -> Result<(), String> {
    let is_json =
        |media: &str| media == "application/json" || media.starts_with("application/json;");
    if let Some(body) = &operation.request_body {
        let body = match body {
            ReferenceOr::Item(body) => Some(body),
            ReferenceOr::Reference { reference } => reference
                .strip_prefix("#/components/requestBodies/")
                .and_then(|name| spec.components.as_ref()?.request_bodies.get(name))
                .and_then(ReferenceOr::as_item),
        };
        let media: Vec<&String> = body.map(|b| b.content.keys().collect()).unwrap_or_default();
        if media.len() != 1 || !is_json(media[0]) {
            return Err(format!(
                "its request body must be `application/json` alone (it is {media:?}): the SDK \
                 generator supports JSON bodies only"
            ));
        }
    }
    for (code, response) in &operation.responses.responses {
        let success = matches!(code, StatusCode::Code(200..=299) | StatusCode::Range(2));
        let response = match response {
            ReferenceOr::Item(response) => Some(response),
            ReferenceOr::Reference { reference } => reference
                .strip_prefix("#/components/responses/")
                .and_then(|name| spec.components.as_ref()?.responses.get(name))
                .and_then(ReferenceOr::as_item),
        };
        if let Some(response) = response.filter(|_| success)
            && let Some(media) = response.content.keys().find(|m| !is_json(m))
        {
            return Err(format!(
                "its {code} response is `{media}`: the SDK generator supports JSON responses only"
            ));
        }
    }
    Ok(())
}

fn success_status(operation: &Operation) -> Result<u16, String> {
    operation
        .responses
        .responses
        .keys()
        .find_map(|code| match code {
            StatusCode::Code(n) if (200..300).contains(n) => Some(*n),
            StatusCode::Range(2) => Some(200),
            _ => None,
        })
        .ok_or_else(|| "documents no 2xx response".to_owned())
}

/// Whether `parameter` is a header the SDK manages.
fn is_managed_header(spec: &OpenAPI, parameter: &ReferenceOr<Parameter>) -> bool {
    let resolved = match parameter {
        ReferenceOr::Item(parameter) => Some(parameter),
        ReferenceOr::Reference { reference } => reference
            .strip_prefix("#/components/parameters/")
            .and_then(|name| spec.components.as_ref()?.parameters.get(name))
            .and_then(|p| p.as_item()),
    };
    matches!(resolved, Some(Parameter::Header { parameter_data, .. })
        if MANAGED_HEADERS.iter().any(|h| h.eq_ignore_ascii_case(&parameter_data.name)))
}

/// The spec as progenitor is given it (see the module documentation).
pub fn client_view(spec: &OpenAPI) -> OpenAPI {
    let mut view = spec.clone();
    for item in view.paths.paths.values_mut() {
        let ReferenceOr::Item(item) = item else {
            continue;
        };
        item.parameters.retain(|p| !is_managed_header(spec, p));
        for operation in operations_mut(item) {
            operation.parameters.retain(|p| !is_managed_header(spec, p));
            operation.responses.default = None;
            operation.responses.responses.retain(|code, _| match code {
                StatusCode::Code(n) => (200..300).contains(n),
                StatusCode::Range(n) => *n == 2,
            });
        }
    }
    view
}

fn operations_mut(item: &mut PathItem) -> impl Iterator<Item = &mut Operation> {
    [
        &mut item.get,
        &mut item.put,
        &mut item.post,
        &mut item.delete,
        &mut item.options,
        &mut item.head,
        &mut item.patch,
        &mut item.trace,
    ]
    .into_iter()
    .filter_map(Option::as_mut)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC: &str = include_str!("../../openapi/menu-customers.yaml");

    #[test]
    fn the_operations_of_the_committed_spec() {
        let spec = parse(SPEC).unwrap();
        let ops = operations(&spec).unwrap();
        let summary: Vec<_> = ops
            .iter()
            .map(|op| {
                (
                    op.id.as_str(),
                    op.method.as_str(),
                    op.auth,
                    op.success_status,
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                ("verify_phone_number_update", "POST", Auth::Customer, 200),
                ("refresh", "GET", Auth::Customer, 200)
            ]
        );
    }

    #[test]
    fn the_client_view_has_no_managed_header_and_no_error_response() {
        let spec = parse(SPEC).unwrap();
        let view = client_view(&spec);
        for (_, _, operation) in view.operations() {
            assert!(
                operation
                    .parameters
                    .iter()
                    .all(|p| !is_managed_header(&spec, p))
            );
            assert!(
                operation
                    .responses
                    .responses
                    .keys()
                    .all(|c| *c == StatusCode::Code(200))
            );
        }
        // The path parameter stays.
        let verify = view.operations().find(|(_, m, _)| *m == "post").unwrap().2;
        assert_eq!(verify.parameters.len(), 1);
    }

    #[test]
    fn security_decides_the_auth() {
        let with_security = |security: &str| {
            let text = SPEC.replace(
                "      operationId: refresh\n",
                &format!("      operationId: refresh\n      security: {security}\n"),
            );
            let spec = parse(&text).unwrap();
            operations(&spec).map(|ops| ops[1].auth)
        };
        assert_eq!(with_security("[]"), Ok(Auth::None));
        assert_eq!(with_security("[{}]"), Ok(Auth::None));
        assert_eq!(
            with_security("[{customerToken: []}, {}]"),
            Ok(Auth::Optional)
        );
        assert!(
            with_security("[{nothing: []}]")
                .unwrap_err()
                .contains("not defined")
        );
    }

    #[test]
    fn only_json_bodies_and_responses() {
        let text = SPEC.replace(
            "          application/json:\n            schema:\n              $ref: '#/components/schemas/VerifyPhoneNumberUpdateRequest'",
            "          application/octet-stream:\n            schema:\n              type: string",
        );
        let err = operations(&parse(&text).unwrap()).unwrap_err();
        assert!(err.starts_with("verify_phone_number_update (POST"), "{err}");
        assert!(err.contains("JSON bodies only"), "{err}");
        let text = SPEC.replacen(
            "        '200':\n          description: A new token, with the customer's account.\n          content:\n            application/json:",
            "        '200':\n          description: A new token, with the customer's account.\n          content:\n            application/pdf:",
            1,
        );
        let err = operations(&parse(&text).unwrap()).unwrap_err();
        assert!(err.contains("JSON responses only"), "{err}");
    }

    #[test]
    fn a_duplicated_key_is_an_error_not_a_panic() {
        let text = SPEC.replace(
            "      operationId: refresh\n",
            "      operationId: refresh\n      parameters: []\n",
        );
        let err = parse(&text).unwrap_err();
        assert!(err.contains("openapiv3 cannot read it"), "{err}");
    }
}
