//! What is known of each operation beyond its generated method. `cargo xtask generate` writes one
//! [`Operation`] per operation of the spec into the `operations` module (the operation table);
//! the hooks read it (which operations send the customer token), and so does `menu-sdk`'s
//! pipeline (authentication, retries, errors).

/// How an operation authenticates the customer (from its `security` in the spec).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    /// The customer token is required (`security: [{customerToken: []}]`).
    Customer,
    /// The customer token is sent when there is one (`{}` among the `security` alternatives).
    Optional,
    /// No customer token (`security: []`): the `Application` key alone.
    None,
}

/// One operation of the spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Operation {
    /// The spec's `operationId`.
    pub id: &'static str,
    /// The HTTP method, in upper case.
    pub method: &'static str,
    /// The path template, for example `/customers/{customer_id}/verify-phone-number-update`.
    pub path: &'static str,
    /// How it authenticates the customer.
    pub auth: Auth,
    /// Whether sending it twice has the effect of sending it once, by its method (`GET`,
    /// `HEAD`, `OPTIONS`, `PUT`, `DELETE`).
    pub idempotent: bool,
    /// The documented success status (the one whose body the generated method decodes).
    pub success_status: u16,
}
