//! The *client view* of the spec: the spec as progenitor is given it, without what `menu-sdk`
//! supplies on every call (the managed headers, marked `x-managed`, which its hooks fill in) and
//! without the error responses (every non-2xx answer reaches the SDK undecoded, which reads the
//! raw body itself, to keep it, scrubbed, in its error, whatever its shape).

use openapiv3::{OpenAPI, Operation, PathItem, ReferenceOr, StatusCode};

use crate::values::is_managed_header;

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
    use crate::spec::parse;

    const SPEC: &str = include_str!("../../openapi/menu-customers.yaml");

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
}
