//! **The payload rule**, written once: what an operation's success answer gives its caller, read
//! from the spec's schemas into the operation model ([`crate::operation::Operation::unwraps`]),
//! which the SDK's generated methods (`sdk.rs`) and its untyped calls (the `menu` command line)
//! both follow.
//!
//! The payload is the envelope's `data` (nothing when the envelope has none), **unwrapped when
//! `data` wraps exactly one resource**: its schema (after `$ref`) is an object (`type: object`)
//! with exactly one property, which it requires, without `additionalProperties` (absent or
//! `false`), and that property's schema is a `$ref` to a component schema that is an object
//! (`type: object`, or `allOf` parts that all are). The payload is then that property's value:
//! `{"customer_account": {...}}` answers the account, `{"venue": {...}}` the venue. A list
//! (`{"venues": [...]}`), a scalar, an inline object or several properties (a `Session`:
//! `customer_account` and `token`) stay as `data` is, and so does the session an operation marked
//! `x-token: issues` or `rotates` answers (the client adopts its token).

use openapiv3::{
    AdditionalProperties, OpenAPI, Operation, ReferenceOr, Schema, SchemaKind, StatusCode, Type,
};

use crate::operation::TokenEffect;
use crate::values::{item, resolve};

/// The schema of the envelope's `data` in the operation's `status` answer, if it has one.
pub fn data<'s>(
    spec: &'s OpenAPI,
    operation: &'s Operation,
    status: u16,
) -> Option<&'s ReferenceOr<Box<Schema>>> {
    operation
        .responses
        .responses
        .get(&StatusCode::Code(status))
        .and_then(|response| item(spec, response, "responses", |c| &c.responses))
        .and_then(|response| response.content.values().next())
        .and_then(|media| media.schema.as_ref())
        .and_then(|schema| data_property(spec, schema))
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

/// The property whose value is the operation's payload, when the rule unwraps its `data` (see
/// the module documentation).
pub fn unwraps(
    spec: &OpenAPI,
    operation: &Operation,
    status: u16,
    token: TokenEffect,
) -> Option<String> {
    if token.adopts_session() {
        return None;
    }
    let data = match data(spec, operation, status)? {
        ReferenceOr::Item(schema) => &**schema,
        ReferenceOr::Reference { reference } => component(spec, reference)?,
    };
    let SchemaKind::Type(Type::Object(object)) = &data.schema_kind else {
        return None;
    };
    if !matches!(
        object.additional_properties,
        None | Some(AdditionalProperties::Any(false))
    ) {
        return None;
    }
    let mut properties = object.properties.iter();
    let (Some((name, property)), None) = (properties.next(), properties.next()) else {
        return None;
    };
    let ReferenceOr::Reference { reference } = property else {
        return None;
    };
    let resource = component(spec, reference)?;
    (object.required.contains(name) && is_object(spec, resource)).then(|| name.clone())
}

/// The component schema a `$ref` names.
fn component<'s>(spec: &'s OpenAPI, reference: &str) -> Option<&'s Schema> {
    let name = reference.strip_prefix("#/components/schemas/")?;
    spec.components.as_ref()?.schemas.get(name)?.as_item()
}

/// Whether a schema is an object: `type: object`, or `allOf` parts that all are.
fn is_object(spec: &OpenAPI, schema: &Schema) -> bool {
    match &schema.schema_kind {
        SchemaKind::Type(Type::Object(_)) => true,
        SchemaKind::AllOf { all_of } => {
            !all_of.is_empty()
                && all_of
                    .iter()
                    .all(|part| resolve(spec, part).is_some_and(|p| is_object(spec, p)))
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::parse;

    /// The rule on a spec whose one operation answers `data` of `schema` (YAML), beside the
    /// component schemas `Thing` (an object) and `Name` (a string).
    fn unwrapped(schema: &str) -> Option<String> {
        let text = format!(
            r#"
openapi: 3.0.3
info: {{title: t, version: '1'}}
paths:
  /x:
    get:
      operationId: x
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema:
                type: object
                properties:
                  data: {schema}
components:
  schemas:
    Thing: {{type: object, properties: {{id: {{type: string}}}}}}
    Both: {{allOf: [{{$ref: '#/components/schemas/Thing'}}, {{type: object}}]}}
    Name: {{type: string}}
    Wrapper: {{type: object, required: [thing], properties: {{thing: {{$ref: '#/components/schemas/Thing'}}}}}}
"#
        );
        let spec = parse(&text).unwrap();
        let operation = spec.operations().next().unwrap().2;
        unwraps(&spec, operation, 200, TokenEffect::None)
    }

    #[test]
    fn one_required_object_component_is_unwrapped() {
        let one = "{type: object, required: [thing], properties: {thing: {$ref: '#/components/schemas/Thing'}}}";
        assert_eq!(unwrapped(one).as_deref(), Some("thing"));
        assert_eq!(
            unwrapped("{$ref: '#/components/schemas/Wrapper'}").as_deref(),
            Some("thing"),
            "the wrapper as a component"
        );
        let all_of = "{type: object, required: [both], properties: {both: {$ref: '#/components/schemas/Both'}}}";
        assert_eq!(unwrapped(all_of).as_deref(), Some("both"));
        let closed = "{type: object, additionalProperties: false, required: [thing], properties: {thing: {$ref: '#/components/schemas/Thing'}}}";
        assert_eq!(unwrapped(closed).as_deref(), Some("thing"));
    }

    #[test]
    fn anything_else_stays_as_data_is() {
        for schema in [
            // Not required.
            "{type: object, properties: {thing: {$ref: '#/components/schemas/Thing'}}}",
            // Two properties.
            "{type: object, required: [thing, other], properties: {thing: {$ref: '#/components/schemas/Thing'}, other: {type: string}}}",
            // A scalar component, an inline object, a list.
            "{type: object, required: [name], properties: {name: {$ref: '#/components/schemas/Name'}}}",
            "{type: object, required: [thing], properties: {thing: {type: object}}}",
            "{type: object, required: [things], properties: {things: {type: array, items: {$ref: '#/components/schemas/Thing'}}}}",
            // Open to more properties.
            "{type: object, additionalProperties: true, required: [thing], properties: {thing: {$ref: '#/components/schemas/Thing'}}}",
            // The resource itself, and no data.
            "{$ref: '#/components/schemas/Thing'}",
            "{type: string}",
        ] {
            assert_eq!(unwrapped(schema), None, "{schema}");
        }
    }
}
