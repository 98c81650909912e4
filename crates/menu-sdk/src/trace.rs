//! The names of what the SDK traces, for subscribers that read them (the `menu` command line's
//! `-v`): every exchange of a call is one span, [`SPAN`], with these fields; each retry is an
//! event inside it with [`REASON`], [`STATUS`] and [`WAIT_MS`].

/// The span of one exchange of a call.
pub const SPAN: &str = "menu_sdk.call";
/// The operation's `operationId` (a span field).
pub const OPERATION: &str = "operation";
/// The call's `X-Request-ID` (a span field).
pub const REQUEST_ID: &str = "request_id";
/// The HTTP status of the last answer (a span field, and a retry event's).
pub const STATUS: &str = "status";
/// How many attempts the exchange made (a span field).
pub const ATTEMPTS: &str = "attempts";
/// How long the exchange took, in milliseconds (a span field).
pub const DURATION_MS: &str = "duration_ms";
/// Why an attempt is retried (a retry event's field).
pub const REASON: &str = "reason";
/// How long the SDK waits before the next attempt, in milliseconds (a retry event's field).
pub const WAIT_MS: &str = "wait_ms";
