//! What the generators read from the spec: its operations with what the SDK must know about each
//! (authentication, success status), and the *client view* of the spec that progenitor is given.
//!
//! The spec stays complete (validators, schemathesis and Prism read it). The client view leaves out
//! what `menu-sdk` supplies on every call, so that the generated methods take only what varies
//! from call to call:
//! - the header parameters the SDK manages ([`MANAGED_HEADERS`]), which its hooks fill in;
//! - the error responses: every non-2xx answer reaches the SDK undecoded, which reads the raw body
//!   itself (to keep it, scrubbed, in its error, whatever its shape).

use openapiv3::{
    OpenAPI, Operation, Parameter, ParameterSchemaOrContent, PathItem, ReferenceOr, Schema,
    SchemaKind, SecurityScheme, StatusCode, StringFormat, Type, VariantOrUnknownOrEmpty,
};

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

/// What an operation does to the customer token, from its `x-token` extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenEffect {
    /// Nothing (no `x-token`).
    None,
    /// `x-token: issues`: its answer's `data` is a `Session`, whose token the client adopts.
    Issues,
    /// `x-token: rotates`: issues a token and invalidates the one it was sent with; automatic
    /// refresh sends it.
    Rotates,
    /// `x-token: revokes`: invalidates the token it was sent with, for good.
    Revokes,
}

/// The schema every token-issuing operation answers with (as its envelope's `data`).
pub const SESSION_SCHEMA: &str = "#/components/schemas/Session";

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
    /// What it does to the customer token (`x-token`).
    pub token: TokenEffect,
    /// Whether repeating it has no further effect, by its method (`GET`, `HEAD`, `OPTIONS`,
    /// `PUT`, `DELETE`), unless it rotates the token: the SDK retries more answers of these.
    pub idempotent: bool,
    /// The documented success status (the first 2xx response).
    pub success_status: u16,
    pub summary: String,
    pub description: String,
    /// The parameters a caller gives (the managed headers left out): path parameters in the
    /// path's order, then the others as declared.
    pub params: Vec<Param>,
    pub body: Option<Body>,
    /// The documented example of the success response, as JSON text.
    pub example: Option<String>,
}

/// One parameter of an operation.
#[derive(Debug, Clone, PartialEq)]
pub struct Param {
    pub name: String,
    pub location: Location,
    pub required: bool,
    pub kind: Kind,
    pub description: String,
}

/// Where a parameter goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    Path,
    Query,
    Header,
}

/// What a value looks like, as far as a command line or a mock needs to know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    String,
    Uuid,
    /// An email address (`format: email`).
    Email,
    /// An integer within these bounds (its format's, narrowed by `minimum` and `maximum`).
    Integer {
        minimum: i64,
        maximum: i64,
    },
    Number,
    Boolean,
    /// A string with these values.
    Enum(Vec<String>),
    /// Anything else (objects, arrays): JSON.
    Json,
}

/// An operation's JSON request body.
#[derive(Debug, Clone, PartialEq)]
pub struct Body {
    pub required: bool,
    /// Whether the body is a JSON object.
    pub object: bool,
    /// The top-level fields of an object body (none for other shapes).
    pub fields: Vec<Field>,
    /// The documented example, as JSON text.
    pub example: Option<String>,
}

/// One top-level field of a request body.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub name: String,
    pub kind: Kind,
    pub required: bool,
    pub description: String,
}

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
            let params = params(spec, path, &item.parameters, &operation.parameters);
            if let Some(complex) = params
                .iter()
                .find(|p| p.kind == Kind::Json && p.location != Location::Path)
            {
                return Err(at(format!(
                    "its parameter `{}` is an array or an object: the generators support text, \
                     numbers, booleans, UUIDs and enums in queries and headers",
                    complex.name
                )));
            }
            let auth = auth(spec, operation).map_err(at)?;
            let token = token_effect(spec, operation, success_status).map_err(at)?;
            if token == TokenEffect::Rotates {
                if auth != Auth::Customer || !params.is_empty() || operation.request_body.is_some()
                {
                    return Err(at(
                        "`x-token: rotates` is for an operation that takes the customer \
                                   token and nothing else (automatic refresh sends it with no \
                                   argument)"
                            .into(),
                    ));
                }
                if let Some(other) = ops.iter().find(|op: &&Op| op.token == TokenEffect::Rotates) {
                    return Err(at(format!(
                        "`x-token: rotates` is already on `{}`: one operation rotates the token",
                        other.id
                    )));
                }
            }
            ops.push(Op {
                auth,
                token,
                idempotent: !matches!(token, TokenEffect::Rotates | TokenEffect::Revokes)
                    && matches!(method, "get" | "head" | "options" | "put" | "delete"),
                method: method.to_uppercase(),
                summary: operation.summary.clone().unwrap_or_default(),
                description: operation.description.clone().unwrap_or_default(),
                params,
                body: body(spec, operation),
                example: success_example(spec, operation, success_status),
                success_status,
                path: path.clone(),
                id,
            });
        }
    }
    Ok(ops)
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
        Some(serde_json::Value::String(value)) if value == "issues" => TokenEffect::Issues,
        Some(serde_json::Value::String(value)) if value == "rotates" => TokenEffect::Rotates,
        Some(serde_json::Value::String(value)) if value == "revokes" => {
            return if auth(spec, operation)? == Auth::Customer {
                Ok(TokenEffect::Revokes)
            } else {
                Err("`x-token: revokes` is for an operation that takes the customer token".into())
            };
        }
        Some(other) => {
            return Err(format!(
                "`x-token: {other}` is not `issues`, `rotates` or `revokes`"
            ));
        }
    };
    let data = operation
        .responses
        .responses
        .get(&StatusCode::Code(success_status))
        .and_then(|response| item(spec, response, "responses", |c| &c.responses))
        .and_then(|response| response.content.values().next())
        .and_then(|media| media.schema.as_ref())
        .and_then(|schema| data_property(spec, schema));
    match data {
        Some(ReferenceOr::Reference { reference }) if reference == SESSION_SCHEMA => Ok(effect),
        _ => Err(format!(
            "it is marked `x-token`, so its {success_status} answer must be an envelope whose \
             `data` is `$ref: '{SESSION_SCHEMA}'` (the account and the token the client adopts)"
        )),
    }
}

/// The `data` property of an envelope schema (an object, or the `allOf` parts of one).
fn data_property<'s>(
    spec: &'s OpenAPI,
    schema: &'s ReferenceOr<Schema>,
) -> Option<&'s ReferenceOr<Box<Schema>>> {
    match &resolve(spec, schema)?.schema_kind {
        SchemaKind::Type(Type::Object(object)) => object.properties.get("data"),
        SchemaKind::AllOf { all_of } => all_of.iter().find_map(|part| data_property(spec, part)),
        _ => None,
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

/// `value` itself, or the component its `$ref` names (`#/components/<kind>/<name>`).
fn item<'s, T>(
    spec: &'s OpenAPI,
    value: &'s ReferenceOr<T>,
    kind: &str,
    of: impl Fn(&'s openapiv3::Components) -> &'s indexmap::IndexMap<String, ReferenceOr<T>>,
) -> Option<&'s T> {
    match value {
        ReferenceOr::Item(value) => Some(value),
        ReferenceOr::Reference { reference } => {
            let name = reference.strip_prefix(&format!("#/components/{kind}/"))?;
            of(spec.components.as_ref()?).get(name)?.as_item()
        }
    }
}

fn resolve<'s>(spec: &'s OpenAPI, schema: &'s ReferenceOr<Schema>) -> Option<&'s Schema> {
    item(spec, schema, "schemas", |c| &c.schemas)
}

/// A property's schema (properties are boxed).
fn property<'s>(spec: &'s OpenAPI, property: &'s ReferenceOr<Box<Schema>>) -> Option<&'s Schema> {
    match property {
        ReferenceOr::Item(boxed) => Some(boxed),
        ReferenceOr::Reference { reference } => {
            let name = reference.strip_prefix("#/components/schemas/")?;
            spec.components.as_ref()?.schemas.get(name)?.as_item()
        }
    }
}

/// What a schema's values look like.
fn kind(spec: &OpenAPI, schema: Option<&Schema>) -> Kind {
    match schema.map(|s| &s.schema_kind) {
        Some(SchemaKind::Type(Type::String(string))) => {
            let values: Vec<String> = string.enumeration.iter().flatten().cloned().collect();
            if !values.is_empty() {
                Kind::Enum(values)
            } else if matches!(&string.format, VariantOrUnknownOrEmpty::Unknown(f) if f == "uuid") {
                Kind::Uuid
            } else if matches!(&string.format, VariantOrUnknownOrEmpty::Unknown(f) if f == "email")
            {
                Kind::Email
            } else if matches!(
                string.format,
                VariantOrUnknownOrEmpty::Item(StringFormat::Binary)
            ) {
                Kind::Json
            } else {
                Kind::String
            }
        }
        Some(SchemaKind::Type(Type::Integer(integer))) => {
            let (low, high) = match integer.format {
                VariantOrUnknownOrEmpty::Item(openapiv3::IntegerFormat::Int32) => {
                    (i64::from(i32::MIN), i64::from(i32::MAX))
                }
                _ => (i64::MIN, i64::MAX),
            };
            let step = |exclusive: bool| i64::from(exclusive);
            Kind::Integer {
                minimum: integer.minimum.map_or(low, |m| {
                    m.saturating_add(step(integer.exclusive_minimum)).max(low)
                }),
                maximum: integer.maximum.map_or(high, |m| {
                    m.saturating_sub(step(integer.exclusive_maximum)).min(high)
                }),
            }
        }
        Some(SchemaKind::Type(Type::Number(_))) => Kind::Number,
        Some(SchemaKind::Type(Type::Boolean(_))) => Kind::Boolean,
        Some(SchemaKind::AllOf { all_of }) if all_of.len() == 1 => {
            kind(spec, resolve(spec, &all_of[0]))
        }
        _ => Kind::Json,
    }
}

/// The parameters a caller gives: the path item's and the operation's (which win), the managed
/// headers left out; path parameters in the path's order first.
fn params(
    spec: &OpenAPI,
    path: &str,
    shared: &[ReferenceOr<Parameter>],
    own: &[ReferenceOr<Parameter>],
) -> Vec<Param> {
    let mut params: Vec<Param> = Vec::new();
    for parameter in shared.iter().chain(own) {
        if is_managed_header(spec, parameter) {
            continue;
        }
        let Some(parameter) = item(spec, parameter, "parameters", |c| &c.parameters) else {
            continue;
        };
        let (data, location) = match parameter {
            Parameter::Path { parameter_data, .. } => (parameter_data, Location::Path),
            Parameter::Query { parameter_data, .. } => (parameter_data, Location::Query),
            Parameter::Header { parameter_data, .. } => (parameter_data, Location::Header),
            Parameter::Cookie { .. } => continue,
        };
        let schema = match &data.format {
            ParameterSchemaOrContent::Schema(schema) => resolve(spec, schema),
            ParameterSchemaOrContent::Content(_) => None,
        };
        let param = Param {
            name: data.name.clone(),
            location,
            required: data.required || location == Location::Path,
            kind: kind(spec, schema),
            description: data.description.clone().unwrap_or_default(),
        };
        params.retain(|p| !(p.name == param.name && p.location == param.location));
        params.push(param);
    }
    let position = |p: &Param| match p.location {
        Location::Path => path.find(&format!("{{{}}}", p.name)).unwrap_or(0),
        _ => usize::MAX,
    };
    params.sort_by_key(position);
    params
}

/// The request body, with the top-level fields of an object body (`allOf` parts merged).
fn body(spec: &OpenAPI, operation: &Operation) -> Option<Body> {
    let body = item(
        spec,
        operation.request_body.as_ref()?,
        "requestBodies",
        |c| &c.request_bodies,
    )?;
    let media = body.content.values().next()?;
    let schema = media.schema.as_ref().and_then(|s| resolve(spec, s));
    let mut fields = Vec::new();
    collect_fields(spec, schema, &mut fields);
    let example = media
        .example
        .clone()
        .or_else(|| first_example(spec, &media.examples))
        .or_else(|| schema.and_then(|s| s.schema_data.example.clone()));
    Some(Body {
        required: body.required,
        object: is_object(spec, schema),
        fields,
        example: example.map(|e| e.to_string()),
    })
}

fn collect_fields(spec: &OpenAPI, schema: Option<&Schema>, fields: &mut Vec<Field>) {
    match schema.map(|s| &s.schema_kind) {
        Some(SchemaKind::Type(Type::Object(object))) => {
            for (name, property) in &object.properties {
                let property = self::property(spec, property);
                let field = Field {
                    name: name.clone(),
                    kind: kind(spec, property),
                    required: object.required.contains(name),
                    description: property
                        .and_then(|p| p.schema_data.description.clone())
                        .unwrap_or_default(),
                };
                // The same property in several `allOf` parts is one field, required if any part
                // requires it.
                match fields.iter_mut().find(|f| f.name == field.name) {
                    Some(known) => known.required |= field.required,
                    None => fields.push(field),
                }
            }
            for name in &object.required {
                if let Some(known) = fields.iter_mut().find(|f| &f.name == name) {
                    known.required = true;
                }
            }
        }
        Some(SchemaKind::AllOf { all_of }) => {
            for part in all_of {
                collect_fields(spec, resolve(spec, part), fields);
            }
        }
        _ => {}
    }
}

/// Whether a body schema is a JSON object (an object type, or `allOf` parts that all are).
fn is_object(spec: &OpenAPI, schema: Option<&Schema>) -> bool {
    match schema.map(|s| &s.schema_kind) {
        Some(SchemaKind::Type(Type::Object(_))) => true,
        Some(SchemaKind::AllOf { all_of }) => {
            !all_of.is_empty() && all_of.iter().all(|p| is_object(spec, resolve(spec, p)))
        }
        _ => false,
    }
}

fn first_example(
    spec: &OpenAPI,
    examples: &indexmap::IndexMap<String, ReferenceOr<openapiv3::Example>>,
) -> Option<serde_json::Value> {
    examples.values().find_map(|example| {
        item(spec, example, "examples", |c| &c.examples)?
            .value
            .clone()
    })
}

/// The documented example of the success response (the media type's, or its schema's).
fn success_example(spec: &OpenAPI, operation: &Operation, status: u16) -> Option<String> {
    let response = operation
        .responses
        .responses
        .get(&StatusCode::Code(status))?;
    let response = item(spec, response, "responses", |c| &c.responses)?;
    let media = response.content.values().next()?;
    media
        .example
        .clone()
        .or_else(|| first_example(spec, &media.examples))
        .or_else(|| {
            let schema = media.schema.as_ref().and_then(|s| resolve(spec, s))?;
            schema.schema_data.example.clone()
        })
        .map(|example| example.to_string())
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
                    op.id.clone(),
                    op.method.clone(),
                    op.path.clone(),
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
                name: "customer_id".into(),
                location: Location::Path,
                required: true,
                kind: Kind::Uuid,
                description: "The id of the customer account.".into(),
            }]
        );
        let body = verify.body.as_ref().unwrap();
        assert!(body.required);
        assert_eq!(
            body.example.as_deref(),
            Some(r#"{"confirmation_code":"164138"}"#)
        );
        assert_eq!(
            body.fields,
            [Field {
                name: "confirmation_code".into(),
                kind: Kind::String,
                required: true,
                description: "The code sent to the new phone number.".into(),
            }]
        );
        let example: serde_json::Value =
            serde_json::from_str(verify.example.as_deref().unwrap()).unwrap();
        assert_eq!(example["data"]["customer_account"]["first_name"], "Dragos");
        let refresh = op(&ops, "refresh");
        assert!(refresh.params.is_empty() && refresh.body.is_none());
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
                    .all(|c| matches!(c, StatusCode::Code(200..=299) | StatusCode::Range(2)))
            );
        }
        // The path parameter stays.
        let verify = view
            .operations()
            .find(|(_, _, op)| op.operation_id.as_deref() == Some("verify_phone_number_update"))
            .unwrap()
            .2;
        assert_eq!(verify.parameters.len(), 1);
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
            .clone()
            .unwrap();
        let fields: Vec<_> = body
            .fields
            .iter()
            .map(|f| (f.name.as_str(), f.required))
            .collect();
        assert_eq!(fields, [("confirmation_code", true), ("channel", true)]);
        assert!(body.object);
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
