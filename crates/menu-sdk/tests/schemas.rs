//! The JSON Schema of every public model (with the `schemars` feature), locked by a snapshot: a
//! regeneration that changes a type shows here, in review. The list of models is generated
//! (`menu_client::operations::json_schemas`), so a new type gets a new snapshot, which fails
//! until it is reviewed and committed.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use menu_sdk::menu_client::operations::json_schemas;

#[test]
fn every_model_has_its_json_schema_locked() {
    let schemas = json_schemas();
    assert!(schemas.len() >= 19, "{} models", schemas.len());
    for (name, schema) in schemas {
        insta::assert_json_snapshot!(name, schema);
    }
}

#[test]
fn the_hand_written_types_have_schemas_too() {
    let token = schemars::schema_for!(menu_sdk::Token);
    assert_eq!(
        token.get("required").unwrap(),
        &serde_json::json!(["value"])
    );
    let session = schemars::schema_for!(menu_sdk::Session);
    let text = serde_json::to_string(&session).unwrap();
    assert!(
        text.contains("\"Token\"") && text.contains("\"Timestamp\""),
        "{text}"
    );
}
