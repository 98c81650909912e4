//! The operation model: what is known of each operation beyond its generated method, and of the
//! header parameters every operation carries. One definition, read from the spec by
//! `cargo xtask generate` (which includes this very file: it must build when menu-client's
//! generated files are stale) and written into the `operations` module (the operation table).
//! `menu-sdk`'s pipeline reads it (authentication, the token an operation issues or rotates,
//! retries, errors), and so do the `menu` command line (one command per operation) and the mock
//! server (an answer for every operation).
//!
//! **What an `x-token` mark does is said here, once**: each effect's behaviour is a method of
//! [`TokenEffect`], matched exhaustively in this file. Other code asks the method
//! ([`TokenEffect::adopts_session`], [`TokenEffect::refreshes`], ...) and never names a variant,
//! so a new kind of effect is decided here, or not at all.

mod check;
mod kind;
mod text;

pub use check::{Refusal, Subject};
pub use kind::{Kind, List};
pub use text::Text;

/// How an operation authenticates the customer (from its `security` in the spec). Ask its
/// methods what it means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Auth {
    /// The customer token is required (`security: [{customerToken: []}]`).
    Customer,
    /// The customer token is sent when there is one (`{}` among the `security` alternatives).
    Optional,
    /// No customer token (`security: []`): the `Application` key alone.
    None,
}

/// What an operation does to the customer token (the spec's `x-token` extension). Ask its
/// methods what it means; the variants are the spec's marks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TokenEffect {
    /// Nothing (no `x-token`).
    None,
    /// `x-token: issues`: its answer is a session (`customer_account` and `token`) whose token
    /// the client adopts (`register`).
    Issues,
    /// `x-token: rotates`: as `Issues`, and the token it was sent with is invalidated: clients
    /// refresh an expiring token with it (`refresh`). One operation at most.
    Rotates,
    /// `x-token: revokes`: its success invalidates the token it was sent with, for good: clients
    /// forget it (`delete_customer_account`).
    Revokes,
}

impl Auth {
    /// A call must carry the customer token.
    pub fn requires_token(self) -> bool {
        match self {
            Self::Customer => true,
            Self::Optional | Self::None => false,
        }
    }

    /// A call carries the customer token when the client has one.
    pub fn takes_token(self) -> bool {
        match self {
            Self::Customer | Self::Optional => true,
            Self::None => false,
        }
    }
}

impl TokenEffect {
    /// The effect an `x-token` mark names (`issues`, `rotates`, `revokes`), if any.
    pub fn from_mark(mark: &str) -> Option<Self> {
        [Self::Issues, Self::Rotates, Self::Revokes]
            .into_iter()
            .find(|effect| effect.mark() == Some(mark))
    }

    /// The `x-token` mark of this effect, as the spec writes it (none for [`TokenEffect::None`]).
    pub fn mark(self) -> Option<&'static str> {
        match self {
            Self::None => None,
            Self::Issues => Some("issues"),
            Self::Rotates => Some("rotates"),
            Self::Revokes => Some("revokes"),
        }
    }

    /// Its success answer is a session (the spec's `Session` schema as the envelope's `data`)
    /// whose token the client adopts: switches to, hands to its hook and saves in its store.
    pub fn adopts_session(self) -> bool {
        match self {
            Self::Issues | Self::Rotates => true,
            Self::None | Self::Revokes => false,
        }
    }

    /// It is the rotation: automatic refresh sends it (with no argument) when the token nears its
    /// expiry, and the server takes a token that has expired, as long as it is inside its refresh
    /// window. One operation of the spec at most.
    pub fn refreshes(self) -> bool {
        match self {
            Self::Rotates => true,
            Self::None | Self::Issues | Self::Revokes => false,
        }
    }

    /// Its success leaves the client with no token: the one it was sent with is dead for good,
    /// so the client and its store forget it.
    pub fn forgets_token(self) -> bool {
        match self {
            Self::Revokes => true,
            Self::None | Self::Issues | Self::Rotates => false,
        }
    }

    /// It invalidates the token it is sent with, so it is sent at most once: a second attempt
    /// would be refused although the first one acted. Never idempotent, whatever its method.
    pub fn invalidates_sent_token(self) -> bool {
        match self {
            Self::Rotates | Self::Revokes => true,
            Self::None | Self::Issues => false,
        }
    }

    /// It changes the customer's tokens: a `HEAD` of a `GET` with this effect must not run it
    /// (the new token would be lost with the body).
    pub fn changes_tokens(self) -> bool {
        match self {
            Self::Issues | Self::Rotates | Self::Revokes => true,
            Self::None => false,
        }
    }
}

/// One operation of the spec. Two are equal when they have the same `operationId` (the spec
/// gives each operation its own).
#[derive(Debug, Clone, Copy)]
pub struct Operation {
    /// The spec's `operationId`.
    pub id: &'static str,
    /// Its group: the first of its `tags` in the spec (`None` without one). The groups' order is
    /// the table's `TAGS`.
    pub tag: Option<&'static str>,
    /// The HTTP method, in upper case.
    pub method: &'static str,
    /// The path template, for example `/customers/{customer_id}/verify-phone-number-update`.
    pub path: &'static str,
    /// How it authenticates the customer.
    pub auth: Auth,
    /// What it does to the customer token.
    pub token: TokenEffect,
    /// Whether sending it twice has the effect of sending it once, by its method (`GET`,
    /// `HEAD`, `OPTIONS`, `PUT`, `DELETE`); never for an operation that invalidates the token it
    /// is sent with ([`TokenEffect::invalidates_sent_token`]).
    pub idempotent: bool,
    /// The documented success status (the one whose body the generated method decodes).
    pub success_status: u16,
    /// The spec's summary.
    pub summary: &'static str,
    /// The spec's description.
    pub description: &'static str,
    /// The parameters a caller gives (not the [`ManagedHeader`]s every call carries): path
    /// parameters in the path's order, then the others.
    pub params: &'static [Param],
    /// The JSON request body, if the operation takes one.
    pub body: Option<Body>,
    /// The documented example of the success response, as JSON text.
    pub example: Option<&'static str>,
    /// What it does that cannot be undone, for a question before sending it (the spec's
    /// `x-confirm`, for example on the deletion of the account): command lines ask for a
    /// confirmation first.
    pub confirm: Option<&'static str>,
    /// `Some(name)` when the payload rule unwraps the success answer: the envelope's `data` wraps
    /// exactly one resource, in its property `name`, and the payload is that resource (see
    /// [`Operation::payload`]; `cargo xtask generate` decides it from the spec's schemas).
    pub unwraps: Option<&'static str>,
}

impl Operation {
    /// Whether it is idempotent by its method and token effect (the rule [`Operation::idempotent`]
    /// holds for the operations of the table).
    pub fn is_idempotent(method: &str, token: TokenEffect) -> bool {
        !token.invalidates_sent_token()
            && ["GET", "HEAD", "OPTIONS", "PUT", "DELETE"]
                .iter()
                .any(|m| m.eq_ignore_ascii_case(method))
    }

    /// The payload of a success answer whose envelope's `data` is `data`: the one resource `data`
    /// wraps ([`Operation::unwraps`]), or `data` itself (also when it lacks the property the spec
    /// gives it: what came is shown, not lost). The typed methods of `menu-sdk` answer the same
    /// shape, generated from the same fact.
    pub fn payload(&self, mut data: serde_json::Value) -> serde_json::Value {
        match self.unwraps.and_then(|name| data.get_mut(name)) {
            Some(resource) => resource.take(),
            None => data,
        }
    }

    /// The path parameter that names the customer the operation acts on (`x-customer: true` in
    /// the spec), if any.
    pub fn customer_param(&self) -> Option<&'static Param> {
        self.params
            .iter()
            .find(|p| p.customer && p.location == Location::Path)
    }
}

impl PartialEq for Operation {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}

impl Eq for Operation {}

/// One parameter of an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Param {
    /// Its name, as sent.
    pub name: &'static str,
    /// Where it is sent.
    pub location: Location,
    /// Whether a call must give it (path parameters always).
    pub required: bool,
    /// What its value looks like.
    pub kind: Kind,
    /// The spec's description.
    pub description: &'static str,
    /// Whether it names the customer the operation acts on (`x-customer: true`): the server
    /// answers 404 for an unknown customer and 403 for another customer than the token's.
    pub customer: bool,
    /// Whether its value is a secret (`x-secret: true`, such as a loyalty token sent as a
    /// header): the client marks it sensitive, tools that show a request mask it.
    pub secret: bool,
}

/// Where a parameter is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Location {
    /// In the path.
    Path,
    /// In the query string.
    Query,
    /// As a header.
    Header,
}

impl Location {
    /// Its name in the spec's `in` (`path`, `query`, `header`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Path => "path",
            Self::Query => "query",
            Self::Header => "header",
        }
    }
}

/// An operation's JSON request body.
#[derive(Debug, Clone, Copy)]
pub struct Body {
    /// Whether a call must send one.
    pub required: bool,
    /// Whether it is a JSON object (its schema an object, or `allOf` parts that all are).
    pub object: bool,
    /// The top-level fields of an object body (none for other shapes).
    pub fields: &'static [Field],
    /// The documented example, as JSON text.
    pub example: Option<&'static str>,
    /// Checks a body against the body's schema, by decoding it into the generated type (an
    /// object body must be an object); the error says what is wrong. The spec alone cannot
    /// decode: `cargo xtask generate` reads the spec with [`Body::UNCHECKED`] here and writes the
    /// generated type's check into the table.
    pub check: fn(&[u8]) -> Result<(), String>,
}

impl Body {
    /// The check of a body read from the spec alone, before there is a generated type to decode
    /// it into: it refuses every body, saying so.
    pub const UNCHECKED: fn(&[u8]) -> Result<(), String> =
        |_| Err("no generated type to check this body against".to_owned());
}

/// One top-level field of a request body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    /// Its name in the JSON object.
    pub name: &'static str,
    /// What its value looks like.
    pub kind: Kind,
    /// Whether the body must have it.
    pub required: bool,
    /// The spec's description.
    pub description: &'static str,
    /// Whether it holds a one-time code sent to the customer (the spec's `x-one-time-code: true`):
    /// a secret while it is valid, which tools mask.
    pub one_time_code: bool,
}

/// A header every operation carries, which clients fill in from their configuration (a
/// component parameter marked `x-managed` in the spec): not a parameter of any call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ManagedHeader {
    /// Its name, as the spec writes it.
    pub name: &'static str,
    /// How a client chooses its value.
    pub value: Managed,
    /// What its value looks like.
    pub kind: Kind,
    /// The spec's description.
    pub description: &'static str,
}

/// How a client chooses the value of a [`ManagedHeader`] (the spec's `x-managed` mark).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Managed {
    /// `x-managed: request-id`: a UUID per call, the same for its retries.
    RequestId,
    /// `x-managed: application-key`: the application key (a secret).
    Application,
    /// `x-managed: version`: the API version the client speaks (the spec's `info.version`
    /// unless configured).
    ApiVersion,
    /// `x-managed: query-builder`: `true` or `false`, as configured.
    QueryBuilder,
}

impl Managed {
    /// The kind an `x-managed` mark names, if any.
    pub fn from_mark(mark: &str) -> Option<Self> {
        [
            Self::RequestId,
            Self::Application,
            Self::ApiVersion,
            Self::QueryBuilder,
        ]
        .into_iter()
        .find(|managed| managed.mark() == mark)
    }

    /// The `x-managed` mark, as the spec writes it.
    pub fn mark(self) -> &'static str {
        match self {
            Self::RequestId => "request-id",
            Self::Application => "application-key",
            Self::ApiVersion => "version",
            Self::QueryBuilder => "query-builder",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_name_one_effect_each() {
        let effects = [
            TokenEffect::None,
            TokenEffect::Issues,
            TokenEffect::Rotates,
            TokenEffect::Revokes,
        ];
        for effect in effects {
            match effect.mark() {
                Some(mark) => assert_eq!(TokenEffect::from_mark(mark), Some(effect)),
                None => assert_eq!(effect, TokenEffect::None),
            }
        }
        assert_eq!(TokenEffect::from_mark("none"), None);
        // The rotation adopts what it gets, and is never repeated.
        let rotates = TokenEffect::Rotates;
        assert!(rotates.adopts_session() && rotates.invalidates_sent_token());
        assert!(!TokenEffect::Revokes.adopts_session() && TokenEffect::Revokes.forgets_token());
        assert!(!Operation::is_idempotent("GET", rotates));
        assert!(Operation::is_idempotent("put", TokenEffect::None));
        for managed in [
            Managed::RequestId,
            Managed::Application,
            Managed::ApiVersion,
            Managed::QueryBuilder,
        ] {
            assert_eq!(Managed::from_mark(managed.mark()), Some(managed));
        }
    }
}
