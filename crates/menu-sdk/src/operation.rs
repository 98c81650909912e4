//! What the SDK knows about each operation of the spec. `cargo xtask generate` writes one
//! [`Operation`] constant per operation into `operation_table.rs`; the pipeline reads it.

/// How an operation authenticates the customer (from its `security` in the spec).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(
    dead_code,
    reason = "a variant is constructed once the spec has such an operation"
)]
pub(crate) enum Auth {
    /// The customer token is required: without one the call fails before anything is sent.
    Customer,
    /// The customer token is sent when the client has one.
    Optional,
    /// No token: the `Application` key alone.
    None,
}

/// One operation of the spec.
#[derive(Debug)]
pub(crate) struct Operation {
    /// The spec's `operationId`: the name in errors, spans and logs.
    pub(crate) id: &'static str,
    pub(crate) auth: Auth,
    /// The documented success status (reported when a body of that status cannot be read).
    pub(crate) success_status: u16,
}
