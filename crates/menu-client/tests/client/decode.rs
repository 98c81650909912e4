//! The reference pages' response bodies, stored verbatim, decode into the generated types and
//! encode back to the same JSON: nothing is lost or invented. (An optional field that is `null`
//! decodes to `None` and is encoded as absent, which means the same.)

#![allow(clippy::unwrap_used, clippy::expect_used)] // in tests, a failed unwrap is a failed test

use menu_client::types::{CustomerAccountResponse, SessionResponse};

const VERIFY: &str = include_str!("../../../menu-mock/seed/verify-phone-number-update.json");
const REFRESH: &str = include_str!("../../../menu-mock/seed/refresh.json");

fn round_trips<T: serde::de::DeserializeOwned + serde::Serialize>(body: &str) -> T {
    let decoded: T = serde_json::from_str(body).expect("the reference body decodes");
    let mut original: serde_json::Value = serde_json::from_str(body).unwrap();
    drop_nulls(&mut original);
    let encoded = serde_json::to_value(&decoded).unwrap();
    assert_eq!(
        encoded, original,
        "decode + encode must give back the reference body"
    );
    decoded
}

fn drop_nulls(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            map.retain(|_, v| !v.is_null());
            map.values_mut().for_each(drop_nulls);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(drop_nulls),
        _ => {}
    }
}

#[test]
fn verify_reference_body_decodes() {
    let response: CustomerAccountResponse = round_trips(VERIFY);
    assert_eq!(response.status, "OK");
    assert_eq!(response.code, 200);
    let account = &response.data.customer_account;
    assert_eq!(
        account.id.to_string(),
        "6735e303-50a1-4887-9b11-915a6919cc66"
    );
    assert_eq!(account.phone_number, "+40724373613");
    assert_eq!(account.demographics.len(), 2);
    assert_eq!(account.demographics[0].value, "1985-01-13");
    assert_eq!(account.social_login, None);
    let updated_at = account.updated_at.as_ref().unwrap();
    assert_eq!(updated_at.as_str(), "2023-08-02 10:09:12");
    assert_eq!(
        updated_at.assume_utc().unwrap().to_rfc3339(),
        "2023-08-02T10:09:12+00:00"
    );
    assert!(!account.has_pending_phone_number_change);
    insta::assert_debug_snapshot!("verify_reference_body", response);
}

#[test]
fn refresh_reference_body_decodes() {
    let response: SessionResponse = round_trips(REFRESH);
    let account = &response.data.customer_account;
    assert_eq!(account.first_name, "Ivan");
    assert!(account.demographics.is_empty());
    assert_eq!(account.reference_type, None);
    assert_eq!(account.created_at, None);
    let token = &response.data.token;
    assert!(token.value().starts_with("eyJ0eXAiOiJKV1Qi"));
    assert_eq!(token.expires_at().unwrap().timestamp(), 1681391174);
    assert_eq!(token.ttl(), Some(1440));
    assert_eq!(token.refresh_ttl(), Some(2628000));
    insta::assert_debug_snapshot!("refresh_reference_body", response);
}

#[test]
fn unknown_fields_and_missing_optional_fields_are_tolerated() {
    let mut value: serde_json::Value = serde_json::from_str(REFRESH).unwrap();
    value["data"]["customer_account"]["a_field_from_the_future"] = serde_json::json!({"x": 1});
    value["data"]["token"]["kind"] = serde_json::json!("bearer");
    value["data"]["token"]
        .as_object_mut()
        .unwrap()
        .remove("ttl");
    let response: SessionResponse = serde_json::from_value(value).unwrap();
    assert_eq!(response.data.token.ttl(), None);
}

#[test]
fn a_missing_required_field_is_an_error() {
    let mut value: serde_json::Value = serde_json::from_str(REFRESH).unwrap();
    value["data"].as_object_mut().unwrap().remove("token");
    let err = serde_json::from_value::<SessionResponse>(value).unwrap_err();
    assert!(err.to_string().contains("token"), "{err}");
}

/// Another reference page of the API returns the same account with demographics that carry only
/// `demographic_id` and `value`: such a body decodes, and encodes back without inventing an id.
#[test]
fn a_demographic_without_an_id_decodes() {
    let mut value: serde_json::Value = serde_json::from_str(VERIFY).unwrap();
    let demographics = value["data"]["customer_account"]["demographics"]
        .as_array_mut()
        .unwrap();
    for demographic in demographics.iter_mut() {
        demographic.as_object_mut().unwrap().remove("id");
    }
    let body = value.to_string();
    let response: CustomerAccountResponse = round_trips(&body);
    let demographic = &response.data.customer_account.demographics[0];
    assert_eq!(demographic.id, None);
    assert_eq!(
        demographic.demographic_id.to_string(),
        "5af66188-5d95-4d2a-8508-ed47b4c19ea5"
    );
}
