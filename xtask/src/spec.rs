//! What the generators read from the spec: its operations, in the operation model (with what the
//! SDK must know about each: authentication, the `x-token` mark, idempotency, success status; and
//! its group, the first of its tags), checked (JSON only, a token-issuing operation answers a
//! session, one rotating operation); and the order of its tags ([`tags`]).
//! What values look like is read by `values.rs`; the spec stays complete (validators,
//! schemathesis and Prism read it), and `client_view.rs` makes what progenitor is given.

use openapiv3::{OpenAPI, Operation, ReferenceOr, SecurityScheme, StatusCode};

use crate::values::{body, item, leak, leak_all, params, success_example};

pub use crate::operation::Operation as Op;
use crate::operation::{Auth, Kind, Location, TokenEffect};

/// The schema every token-issuing operation answers with (as its envelope's `data`).
pub const SESSION_SCHEMA: &str = "#/components/schemas/Session";

/// Parses the spec text. Some invalid documents (a duplicated key, for one) make openapiv3 panic
/// instead of failing: that is reported as an error too.
pub fn parse(text: &str) -> Result<OpenAPI, String> {
    let parsed = crate::panics::without_panicking(|| serde_yaml_ng::from_str::<OpenAPI>(text))
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
            let success_status = success_status(operation).map_err(at)?;
            let params = params(spec, path, &item.parameters, &operation.parameters).map_err(at)?;
            if let Some(complex) = params.iter().find(|p| {
                matches!(p.kind, Kind::Json | Kind::Array(_)) && p.location != Location::Path
            }) {
                return Err(at(format!(
                    "its parameter `{}` is an array or an object: the generators support text, \
                     numbers, booleans, UUIDs and enums in queries and headers",
                    complex.name
                )));
            }
            let auth = auth(spec, operation).map_err(at)?;
            let token = token_effect(spec, operation, success_status).map_err(at)?;
            if token.refreshes() {
                if auth != Auth::Customer || !params.is_empty() || operation.request_body.is_some()
                {
                    return Err(at(
                        "`x-token: rotates` is for an operation that takes the customer \
                                   token and nothing else (automatic refresh sends it with no \
                                   argument)"
                            .into(),
                    ));
                }
                if let Some(other) = ops.iter().find(|op: &&Op| op.token.refreshes()) {
                    return Err(at(format!(
                        "`x-token: rotates` is already on `{}`: one operation rotates the token",
                        other.id
                    )));
                }
            }
            ops.push(Op {
                tag: operation.tags.first().map(|tag| leak(tag.as_str())),
                auth,
                token,
                idempotent: Op::is_idempotent(method, token),
                method: leak(method.to_uppercase()),
                summary: leak(operation.summary.clone().unwrap_or_default()),
                description: leak(operation.description.clone().unwrap_or_default()),
                params: leak_all(params),
                body: body(spec, operation).map_err(at)?,
                example: success_example(spec, operation, success_status).map(leak),
                confirm: confirm(operation).map_err(at)?,
                unwraps: crate::payload::unwraps(spec, operation, success_status, token).map(leak),
                success_status,
                path: leak(path.as_str()),
                id: leak(id),
            });
        }
    }
    Ok(ops)
}

/// The spec's tags in the order of their groups: those of its top-level `tags` list in its order,
/// then any other that an operation of `ops` names first, in the order of the operations.
pub fn tags(spec: &OpenAPI, ops: &[Op]) -> Vec<&'static str> {
    let mut tags: Vec<&'static str> = Vec::new();
    let declared = spec.tags.iter().map(|tag| tag.name.as_str());
    for tag in declared.chain(ops.iter().filter_map(|op| op.tag)) {
        if !tags.contains(&tag) {
            tags.push(leak(tag));
        }
    }
    tags
}

/// The operation's `x-confirm` extension: what it does that cannot be undone, in a sentence.
fn confirm(operation: &Operation) -> Result<Option<&'static str>, String> {
    match operation.extensions.get("x-confirm") {
        None => Ok(None),
        Some(serde_json::Value::String(text)) if !text.trim().is_empty() => {
            Ok(Some(leak(text.trim())))
        }
        Some(other) => Err(format!(
            "`x-confirm: {other}` is not a sentence saying what the operation does that cannot \
             be undone"
        )),
    }
}

/// The operation's `x-token` extension. A token-issuing operation must answer an envelope whose
/// `data` is the `Session` schema: the SDK adopts its `token`.
fn token_effect(
    spec: &OpenAPI,
    operation: &Operation,
    success_status: u16,
) -> Result<TokenEffect, String> {
    let effect = match operation.extensions.get("x-token") {
        None => return Ok(TokenEffect::None),
        Some(mark) => mark
            .as_str()
            .and_then(TokenEffect::from_mark)
            .ok_or_else(|| format!("`x-token: {mark}` is not `issues`, `rotates` or `revokes`"))?,
    };
    if effect.forgets_token() && auth(spec, operation)? != Auth::Customer {
        return Err("`x-token: revokes` is for an operation that takes the customer token".into());
    }
    if !effect.adopts_session() {
        return Ok(effect);
    }
    let data = crate::payload::data(spec, operation, success_status);
    match data {
        Some(ReferenceOr::Reference { reference }) if reference == SESSION_SCHEMA => Ok(effect),
        _ => Err(format!(
            "it is marked `x-token`, so its {success_status} answer must be an envelope whose \
             `data` is `$ref: '{SESSION_SCHEMA}'` (the account and the token the client adopts)"
        )),
    }
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
        let body = item(spec, body, "requestBodies", |c| &c.request_bodies);
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
        let response = item(spec, response, "responses", |c| &c.responses);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::operation::{Field, Param};

    const SPEC: &str = include_str!("../../openapi/menu-customers.yaml");

    /// The operation `id` of `ops`.
    fn op<'a>(ops: &'a [Op], id: &str) -> &'a Op {
        ops.iter()
            .find(|op| op.id == id)
            .unwrap_or_else(|| panic!("no operation `{id}`"))
    }

    /// Every operation of the committed spec, as the model reads it, against what the spec's text
    /// says, read here as plain YAML: the same operations in the same order (paths as written,
    /// each path's methods in openapiv3's order), with their method, path, `security`, `x-token`
    /// and first 2xx status.
    #[test]
    fn the_operations_of_the_committed_spec() {
        use serde_yaml_ng::Value;
        let ops = operations(&parse(SPEC).unwrap()).unwrap();
        let raw: Value = serde_yaml_ng::from_str(SPEC).unwrap();
        let mut expected = Vec::new();
        for (path, item) in raw["paths"].as_mapping().unwrap() {
            for method in [
                "get", "put", "post", "delete", "options", "head", "patch", "trace",
            ] {
                let Some(operation) = item.get(method) else {
                    continue;
                };
                // No `security` anywhere is no requirement.
                let security = operation
                    .get("security")
                    .or(raw.get("security"))
                    .and_then(Value::as_sequence)
                    .cloned()
                    .unwrap_or_default();
                let auth = if security.is_empty()
                    || security
                        .iter()
                        .all(|alt| alt.as_mapping().unwrap().is_empty())
                {
                    Auth::None
                } else if security
                    .iter()
                    .any(|alt| alt.as_mapping().unwrap().is_empty())
                {
                    Auth::Optional
                } else {
                    Auth::Customer
                };
                let token = match operation.get("x-token").and_then(Value::as_str) {
                    None => TokenEffect::None,
                    Some("issues") => TokenEffect::Issues,
                    Some("rotates") => TokenEffect::Rotates,
                    Some("revokes") => TokenEffect::Revokes,
                    Some(other) => panic!("x-token: {other}"),
                };
                // The first 2xx key: a number, quoted or not, or `2XX` (200).
                let success_status: u16 = operation["responses"]
                    .as_mapping()
                    .unwrap()
                    .keys()
                    .filter_map(|code| match code.as_str() {
                        Some("2XX") => Some(200),
                        Some(text) => text.parse().ok(),
                        None => code.as_u64().and_then(|n| u16::try_from(n).ok()),
                    })
                    .find(|code| (200..300).contains(code))
                    .unwrap();
                expected.push((
                    operation["operationId"].as_str().unwrap().to_owned(),
                    method.to_uppercase(),
                    path.as_str().unwrap().to_owned(),
                    auth,
                    token,
                    // Repeatable by its method, unless it changes the token for good.
                    matches!(method, "get" | "head" | "options" | "put" | "delete")
                        && !matches!(token, TokenEffect::Rotates | TokenEffect::Revokes),
                    success_status,
                ));
            }
        }
        let read: Vec<_> = ops
            .iter()
            .map(|op| {
                (
                    op.id.to_owned(),
                    op.method.to_owned(),
                    op.path.to_owned(),
                    op.auth,
                    op.token,
                    op.idempotent,
                    op.success_status,
                )
            })
            .collect();
        assert_eq!(read, expected);
        // The committed spec has each kind of token mark, and operations without one.
        for token in [
            TokenEffect::None,
            TokenEffect::Issues,
            TokenEffect::Rotates,
            TokenEffect::Revokes,
        ] {
            assert!(ops.iter().any(|op| op.token == token), "{token:?}");
        }
    }

    /// Each operation's group is its first tag, and the groups' order is the spec's top-level
    /// `tags` list, then the tags only operations name, as the spec's text says.
    #[test]
    fn the_tags_of_the_committed_spec() {
        use serde_yaml_ng::Value;
        let spec = parse(SPEC).unwrap();
        let ops = operations(&spec).unwrap();
        let raw: Value = serde_yaml_ng::from_str(SPEC).unwrap();
        let declared: Vec<&str> = raw["tags"]
            .as_sequence()
            .unwrap()
            .iter()
            .map(|tag| tag["name"].as_str().unwrap())
            .collect();
        assert!(!declared.is_empty());
        let mut expected = declared.clone();
        for op in &ops {
            let (path, method) = (op.path, op.method.to_lowercase());
            let first = raw["paths"][path][method.as_str()]["tags"][0].as_str();
            assert_eq!(op.tag, first, "{}", op.id);
            if let Some(tag) = first.filter(|tag| !expected.contains(tag)) {
                expected.push(tag);
            }
        }
        assert_eq!(tags(&spec, &ops), expected);
        // An operation's undeclared tag follows the declared ones; one without a tag has no group.
        let text = SPEC
            .replacen("      tags: [Token]\n", "      tags: [Later, Token]\n", 1)
            .replacen("      tags: [Sign-up]\n", "", 1);
        let spec = parse(&text).unwrap();
        let ops = operations(&spec).unwrap();
        let order = tags(&spec, &ops);
        assert_eq!(order[..declared.len()], declared, "{order:?}");
        assert!(order[declared.len()..].contains(&"Later"), "{order:?}");
        assert_eq!(ops.iter().filter(|op| op.tag.is_none()).count(), 1);
        assert_eq!(op(&ops, "refresh").tag, Some("Later"));
    }

    #[test]
    fn the_token_marks_are_checked() {
        let mark = |id: &str, mark: &str| {
            let text = SPEC.replace(
                &format!("      operationId: {id}\n"),
                &format!("      operationId: {id}\n      x-token: {mark}\n"),
            );
            operations(&parse(&text).unwrap()).map(|_| ())
        };
        // A mark on an operation that answers no session.
        let err = mark("check_email", "revokes").unwrap_err();
        assert!(err.contains("takes the customer token"), "{err}");
        let err = mark("check_email", "issues").unwrap_err();
        assert!(
            err.starts_with("check_email (POST") && err.contains("Session"),
            "{err}"
        );
        assert!(
            mark("verify_email_update", "sideways")
                .unwrap_err()
                .contains("not `issues`, `rotates` or `revokes`")
        );
        // One rotating operation, with nothing but the token.
        let text = SPEC.replace("      x-token: issues\n", "      x-token: rotates\n");
        let err = operations(&parse(&text).unwrap()).unwrap_err();
        assert!(err.contains("the customer token and nothing else"), "{err}");
    }

    #[test]
    fn what_the_command_line_and_the_mock_need_to_know() {
        let spec = parse(SPEC).unwrap();
        let ops = operations(&spec).unwrap();
        let verify = op(&ops, "verify_phone_number_update");
        assert_eq!(verify.summary, "Verify phone number update");
        assert_eq!(
            verify.params,
            [Param {
                name: "customer_id",
                location: Location::Path,
                required: true,
                kind: Kind::Uuid,
                description: "The id of the customer account.",
                customer: true,
                secret: false,
            }]
        );
        let body = verify.body.as_ref().unwrap();
        assert!(body.required);
        assert_eq!(body.example, Some(r#"{"confirmation_code":"164138"}"#));
        assert_eq!(
            body.fields,
            [Field {
                name: "confirmation_code",
                kind: Kind::String(crate::operation::Text {
                    min_length: 0,
                    max_length: None,
                    pattern: Some("^[0-9]+$"),
                }),
                required: true,
                description: "The code sent to the new phone number.",
                one_time_code: true,
            }]
        );
        let example: serde_json::Value = serde_json::from_str(verify.example.unwrap()).unwrap();
        assert_eq!(example["data"]["customer_account"]["first_name"], "Dragos");
        let refresh = op(&ops, "refresh");
        assert!(refresh.params.is_empty() && refresh.body.is_none());
    }

    /// `x-secret: true` (on a parameter, anywhere in the spec's text) marks exactly the
    /// parameters the model reads as secret.
    #[test]
    fn the_secret_parameters_are_the_marked_ones() {
        use serde_yaml_ng::Value;
        fn marked<'a>(value: &'a Value, names: &mut Vec<&'a str>) {
            match value {
                Value::Mapping(map) => {
                    if value["x-secret"] == Value::Bool(true)
                        && let Some(name) = value["name"].as_str()
                    {
                        names.push(name);
                    }
                    map.values().for_each(|v| marked(v, names));
                }
                Value::Sequence(items) => items.iter().for_each(|v| marked(v, names)),
                _ => {}
            }
        }
        let raw: Value = serde_yaml_ng::from_str(SPEC).unwrap();
        let mut expected = Vec::new();
        marked(&raw, &mut expected);
        expected.sort_unstable();
        let ops = operations(&parse(SPEC).unwrap()).unwrap();
        let mut secret: Vec<&str> = ops
            .iter()
            .flat_map(|op| op.params.iter())
            .filter(|param| param.secret)
            .map(|param| param.name)
            .collect();
        secret.sort_unstable();
        secret.dedup();
        assert!(!expected.is_empty(), "the spec marks a secret parameter");
        assert_eq!(secret, expected);
    }

    #[test]
    fn security_decides_the_auth() {
        let with_security = |security: &str| {
            let text = SPEC.replace(
                "      operationId: verify_phone_number_update\n",
                &format!(
                    "      operationId: verify_phone_number_update\n      security: {security}\n"
                ),
            );
            let spec = parse(&text).unwrap();
            operations(&spec).map(|ops| op(&ops, "verify_phone_number_update").auth)
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
    fn all_of_parts_merge_into_one_field_per_property() {
        let text = SPEC.replace(
            "              $ref: '#/components/schemas/VerifyPhoneNumberUpdateRequest'",
            "              allOf:\n                - $ref: '#/components/schemas/VerifyPhoneNumberUpdateRequest'\n                - {type: object, required: [channel], properties: {confirmation_code: {type: string}, channel: {type: string}}}",
        );
        let spec = parse(&text).unwrap();
        let body = op(&operations(&spec).unwrap(), "verify_phone_number_update")
            .body
            .unwrap();
        let fields: Vec<_> = body.fields.iter().map(|f| (f.name, f.required)).collect();
        assert_eq!(fields, [("confirmation_code", true), ("channel", true)]);
        assert!(body.object);
        // The plain text of the second part adds nothing to the first's pattern, and loses not
        // its mark; a part's mark counts for the field.
        let code = body.fields[0];
        assert!(code.one_time_code);
        assert_eq!(
            code.kind,
            Kind::String(crate::operation::Text::new(0, None, Some("^[0-9]+$")).unwrap())
        );
        let marked_in_the_second_part_only = text
            .replacen("          x-one-time-code: true\n", "", 1)
            .replace(
                "confirmation_code: {type: string}",
                "confirmation_code: {type: string, x-one-time-code: true}",
            );
        assert_ne!(marked_in_the_second_part_only, text);
        let spec = parse(&marked_in_the_second_part_only).unwrap();
        let body = op(&operations(&spec).unwrap(), "verify_phone_number_update")
            .body
            .unwrap();
        assert!(body.fields[0].one_time_code);
        // Two kinds that do not merge are refused, by name.
        let clash = text.replace(
            "confirmation_code: {type: string}",
            "confirmation_code: {type: integer}",
        );
        let err = operations(&parse(&clash).unwrap()).unwrap_err();
        assert!(
            err.contains("`confirmation_code` is in several `allOf` parts"),
            "{err}"
        );
    }

    #[test]
    fn array_query_parameters_are_refused() {
        let text = SPEC.replace(
            "        - $ref: '#/components/parameters/CustomerId'\n",
            "        - $ref: '#/components/parameters/CustomerId'\n        - {name: ids, in: query, schema: {type: array, items: {type: string}}}\n",
        );
        let err = operations(&parse(&text).unwrap()).unwrap_err();
        assert!(err.contains("`ids` is an array or an object"), "{err}");
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
