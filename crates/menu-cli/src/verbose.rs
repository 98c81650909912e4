//! `-v`: what each exchange of the SDK did, in plain words on stderr (its operation, status,
//! attempts, duration and request id; each retry), from the SDK's `menu_sdk.call` spans. Nothing
//! of the transport libraries, and no secret: the spans carry none.

use std::fmt::Write as _;

use tracing::field::{Field, Visit};
use tracing::{Event, Id, Subscriber, span};
use tracing_subscriber::Layer;
use tracing_subscriber::layer::{Context, SubscriberExt as _};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt as _;

use menu_sdk::trace;

/// Installs the `-v` output.
pub fn install() {
    let _ = tracing_subscriber::registry().with(Exchanges).try_init();
}

/// The fields of an exchange's span, as recorded.
#[derive(Default)]
struct Fields {
    operation: String,
    request_id: String,
    status: Option<u64>,
    attempts: Option<u64>,
    duration_ms: Option<f64>,
    /// A retry event's fields.
    reason: String,
    wait_ms: Option<u64>,
    message: String,
}

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        match field.name() {
            trace::OPERATION => self.operation = value.to_owned(),
            trace::REASON => self.reason = value.to_owned(),
            _ => {}
        }
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        match field.name() {
            trace::STATUS => self.status = Some(value),
            trace::ATTEMPTS => self.attempts = Some(value),
            trace::WAIT_MS => self.wait_ms = Some(value),
            _ => {}
        }
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        if let Ok(value) = u64::try_from(value) {
            self.record_u64(field, value);
        }
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        if field.name() == trace::DURATION_MS {
            self.duration_ms = Some(value);
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        match field.name() {
            trace::REQUEST_ID => self.request_id = format!("{value:?}"),
            "message" => self.message = format!("{value:?}"),
            _ => {}
        }
    }
}

/// The layer that tells about exchanges.
struct Exchanges;

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for Exchanges {
    fn on_new_span(&self, attrs: &span::Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        if attrs.metadata().name() != trace::SPAN {
            return;
        }
        let mut fields = Fields::default();
        attrs.record(&mut fields);
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(fields);
        }
    }

    fn on_record(&self, id: &Id, values: &span::Record<'_>, ctx: Context<'_, S>) {
        if let Some(span) = ctx.span(id)
            && let Some(fields) = span.extensions_mut().get_mut::<Fields>()
        {
            values.record(fields);
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let mut fields = Fields::default();
        event.record(&mut fields);
        if fields.message != "retrying the same request" {
            return;
        }
        let in_call = ctx
            .event_span(event)
            .is_some_and(|span| span.name() == trace::SPAN);
        if in_call {
            let mut line = format!("  retrying: {}", fields.reason);
            if let Some(status) = fields.status {
                let _ = write!(line, " ({status})");
            }
            if let Some(wait) = fields.wait_ms {
                let _ = write!(line, ", after {wait} ms");
            }
            crate::output::tell!("{line}");
        }
    }

    fn on_close(&self, id: Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(&id) else {
            return;
        };
        let extensions = span.extensions();
        let Some(fields) = extensions.get::<Fields>() else {
            return;
        };
        let status = fields
            .status
            .map_or_else(|| "no answer".to_owned(), |s| format!("answered {s}"));
        let attempts = fields.attempts.unwrap_or(1);
        let duration = fields.duration_ms.unwrap_or_default().round();
        crate::output::tell!(
            "< {}: {status} after {attempts} attempt{} in {duration} ms (request id {})",
            fields.operation,
            if attempts == 1 { "" } else { "s" },
            fields.request_id
        );
    }
}
