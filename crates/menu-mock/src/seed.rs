//! The seed data of a [`crate::MockState::seeded`] mock: the default application key and the two
//! customers of the reference pages (their bodies in `seed/`), each with a pending phone number
//! change whose code the constants give.

use menu_client::types::CustomerAccount;
use uuid::Uuid;

use crate::records::PendingPhoneChange;

/// The application key every mock accepts, unless configured otherwise.
pub const DEFAULT_APPLICATION_KEY: &str = "0123456789abcdef0123456789abcdef";
/// The customer of the verify reference page (seeded with a pending phone number change).
pub const DRAGOS: Uuid = Uuid::from_u128(0x6735e303_50a1_4887_9b11_915a6919cc66);
/// The customer of the refresh reference page (seeded with a pending phone number change).
pub const IVAN: Uuid = Uuid::from_u128(0x0da5a3f0_a354_4c04_8438_f1389c19a3f7);
/// The confirmation code of Dragos's seeded phone number change (the reference page's example).
pub const DRAGOS_CONFIRMATION_CODE: &str = "164138";
/// The confirmation code of Ivan's seeded phone number change.
pub const IVAN_CONFIRMATION_CODE: &str = "246810";

/// The two customers of the reference pages, each with a pending phone number change.
pub(crate) fn customers() -> Vec<(CustomerAccount, Option<PendingPhoneChange>)> {
    let verify: serde_json::Value =
        serde_json::from_str(include_str!("../seed/verify-phone-number-update.json"))
            .unwrap_or_default();
    let refresh: serde_json::Value =
        serde_json::from_str(include_str!("../seed/refresh.json")).unwrap_or_default();
    let account = |value: &serde_json::Value| {
        value
            .pointer("/data/customer_account")
            .and_then(|a| serde_json::from_value::<CustomerAccount>(a.clone()).ok())
    };
    let mut seeds = Vec::new();
    if let Some(mut dragos) = account(&verify) {
        // Before the change the reference page confirms.
        let new_number = std::mem::replace(&mut dragos.phone_number, "+40700000000".into());
        seeds.push((
            dragos,
            Some(PendingPhoneChange {
                phone_number: new_number,
                confirmation_code: DRAGOS_CONFIRMATION_CODE.into(),
            }),
        ));
    }
    if let Some(ivan) = account(&refresh) {
        seeds.push((
            ivan,
            Some(PendingPhoneChange {
                phone_number: "+381222222222".into(),
                confirmation_code: IVAN_CONFIRMATION_CODE.into(),
            }),
        ));
    }
    seeds
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_reference_customers_are_read() {
        let seeds = customers();
        let ids: Vec<Uuid> = seeds.iter().map(|(account, _)| account.id).collect();
        assert_eq!(ids, [DRAGOS, IVAN]);
        assert!(seeds.iter().all(|(_, pending)| pending.is_some()));
    }
}
