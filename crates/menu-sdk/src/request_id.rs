//! Request ids: every call carries one `X-Request-ID`, a fresh UUID v4 unless the caller chose it.
//! The id is fixed once per call, before anything is sent, so that everything about the call (its
//! tracing span, its error, any retry) carries the same id.

use uuid::Uuid;

/// The id of one call: the caller's choice, or a fresh UUID v4.
pub(crate) fn for_call(chosen: Option<Uuid>) -> Uuid {
    chosen.unwrap_or_else(Uuid::new_v4)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fresh_v4_unless_chosen() {
        let a = for_call(None);
        let b = for_call(None);
        assert_ne!(a, b);
        assert_eq!(a.get_version_num(), 4);
        let chosen = Uuid::new_v4();
        assert_eq!(for_call(Some(chosen)), chosen);
    }
}
