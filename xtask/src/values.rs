//! What the spec says values look like, read into the operation model: parameters (the managed
//! headers apart), request bodies and their fields, the kinds of values, the documented
//! examples (the `$ref` resolution they all use is `refs.rs`'s).

use openapiv3::{
    OpenAPI, Operation, Parameter, ParameterSchemaOrContent, ReferenceOr, Schema, SchemaKind,
    StatusCode, Type,
};

use crate::kinds::kind;
use crate::operation::{Body, Field, Kind, Location, Managed, ManagedHeader, Param, Text};
pub use crate::refs::{item, leak, leak_all, resolve};

/// The parameters a caller gives: the path item's and the operation's (which win), the managed
/// headers left out; path parameters in the path's order first.
pub fn params(
    spec: &OpenAPI,
    path: &str,
    shared: &[ReferenceOr<Parameter>],
    own: &[ReferenceOr<Parameter>],
) -> Result<Vec<Param>, String> {
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
        let customer = data.extensions.get("x-customer") == Some(&serde_json::Value::Bool(true));
        if customer && location != Location::Path {
            return Err(format!(
                "`{}`: `x-customer` marks the path parameter that names the customer",
                data.name
            ));
        }
        let secret = data.extensions.get("x-secret") == Some(&serde_json::Value::Bool(true));
        let param = Param {
            customer,
            secret,
            name: leak(data.name.as_str()),
            location,
            required: data.required || location == Location::Path,
            kind: kind(spec, schema).map_err(|e| format!("`{}`: {e}", data.name))?,
            description: leak(data.description.clone().unwrap_or_default()),
        };
        params.retain(|p| !(p.name == param.name && p.location == param.location));
        params.push(param);
    }
    let position = |p: &Param| match p.location {
        Location::Path => path.find(&format!("{{{}}}", p.name)).unwrap_or(0),
        _ => usize::MAX,
    };
    params.sort_by_key(position);
    Ok(params)
}

/// The request body, with the top-level fields of an object body (`allOf` parts merged).
pub fn body(spec: &OpenAPI, operation: &Operation) -> Result<Option<Body>, String> {
    let Some(body) = operation
        .request_body
        .as_ref()
        .and_then(|body| item(spec, body, "requestBodies", |c| &c.request_bodies))
    else {
        return Ok(None);
    };
    let Some(media) = body.content.values().next() else {
        return Ok(None);
    };
    let schema = media.schema.as_ref().and_then(|s| resolve(spec, s));
    let mut fields = Vec::new();
    collect_fields(spec, schema, &mut fields)?;
    let example = media
        .example
        .clone()
        .or_else(|| first_example(spec, &media.examples))
        .or_else(|| schema.and_then(|s| s.schema_data.example.clone()));
    Ok(Some(Body {
        required: body.required,
        object: is_object(spec, schema),
        fields: leak_all(fields),
        example: example.map(|e| leak(e.to_string())),
        check: Body::UNCHECKED,
    }))
}

fn collect_fields(
    spec: &OpenAPI,
    schema: Option<&Schema>,
    fields: &mut Vec<Field>,
) -> Result<(), String> {
    match schema.map(|s| &s.schema_kind) {
        Some(SchemaKind::Type(Type::Object(object))) => {
            for (name, property) in &object.properties {
                let property = crate::refs::property(spec, property);
                let field = Field {
                    name: leak(name.as_str()),
                    kind: kind(spec, property).map_err(|e| format!("the field `{name}`: {e}"))?,
                    required: object.required.contains(name),
                    description: leak(
                        property
                            .and_then(|p| p.schema_data.description.clone())
                            .unwrap_or_default(),
                    ),
                    one_time_code: property.is_some_and(|p| {
                        p.schema_data.extensions.get("x-one-time-code")
                            == Some(&serde_json::Value::Bool(true))
                    }),
                };
                // The same property in several `allOf` parts is one field, required if any part
                // requires it, a one-time code if any part marks it; of one kind (a part that
                // says only "text" adds nothing to another's constrained text).
                let any_text = Kind::String(Text::ANY);
                match fields.iter_mut().find(|f| f.name == field.name) {
                    Some(known) => {
                        match (known.kind, field.kind) {
                            (a, b) if a == b => {}
                            (Kind::String(_), b) if b == any_text => {}
                            (a, Kind::String(_)) if a == any_text => known.kind = field.kind,
                            _ => {
                                return Err(format!(
                                    "`{name}` is in several `allOf` parts, with different kinds \
                                     of values"
                                ));
                            }
                        }
                        known.required |= field.required;
                        known.one_time_code |= field.one_time_code;
                    }
                    None => fields.push(field),
                }
            }
            for name in &object.required {
                if let Some(known) = fields.iter_mut().find(|f| f.name == name) {
                    known.required = true;
                }
            }
        }
        Some(SchemaKind::AllOf { all_of }) => {
            for part in all_of {
                collect_fields(spec, resolve(spec, part), fields)?;
            }
        }
        _ => {}
    }
    Ok(())
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
pub fn success_example(spec: &OpenAPI, operation: &Operation, status: u16) -> Option<String> {
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

/// The parameter itself, or the component parameter its `$ref` names.
pub fn parameter<'s>(
    spec: &'s OpenAPI,
    parameter: &'s ReferenceOr<Parameter>,
) -> Option<&'s Parameter> {
    item(spec, parameter, "parameters", |c| &c.parameters)
}

/// Whether `parameter` is a header the SDK manages (marked `x-managed`).
pub fn is_managed_header(spec: &OpenAPI, parameter: &ReferenceOr<Parameter>) -> bool {
    matches!(self::parameter(spec, parameter), Some(Parameter::Header { parameter_data, .. })
        if parameter_data.extensions.contains_key("x-managed"))
}

/// The headers every operation carries, which clients fill in: the component parameters marked
/// `x-managed`, in the spec's order. Each is a header, its mark one of [`Managed`]'s, each mark
/// on one parameter.
pub fn managed_headers(spec: &OpenAPI) -> Result<Vec<ManagedHeader>, String> {
    let mut headers: Vec<ManagedHeader> = Vec::new();
    let parameters = spec.components.iter().flat_map(|c| &c.parameters);
    for (key, parameter) in parameters {
        let Some(parameter) = parameter.as_item() else {
            continue;
        };
        let data = parameter.parameter_data_ref();
        let Some(mark) = data.extensions.get("x-managed") else {
            continue;
        };
        let at = |what: String| format!("components/parameters/{key}: {what}");
        if !matches!(parameter, Parameter::Header { .. }) {
            return Err(at("`x-managed` is for a header parameter".into()));
        }
        let value = mark.as_str().and_then(Managed::from_mark).ok_or_else(|| {
            at(format!(
                "`x-managed: {mark}` is not `request-id`, `application-key`, `version` or \
                 `query-builder`"
            ))
        })?;
        if let Some(other) = headers.iter().find(|h| h.value == value) {
            return Err(at(format!(
                "`x-managed: {mark}` is already on `{}`",
                other.name
            )));
        }
        let schema = match &data.format {
            ParameterSchemaOrContent::Schema(schema) => resolve(spec, schema),
            ParameterSchemaOrContent::Content(_) => None,
        };
        headers.push(ManagedHeader {
            name: leak(data.name.as_str()),
            value,
            kind: kind(spec, schema).map_err(at)?,
            description: leak(data.description.clone().unwrap_or_default()),
        });
    }
    Ok(headers)
}
