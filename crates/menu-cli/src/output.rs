//! What the commands print: JSON on stdout, one-line errors on stderr, and the exit codes.
//!
//! Everything `menu` writes to stderr goes through [`to_stderr`] ([`tell!`], [`prompt!`]), which
//! never fails nor panics: `eprintln!` panics on a closed stderr (`menu -v ... 2>&1 | head -1`),
//! and a panic while a refresh reads its answer (under `-vv`) would lose the rotated token.

use std::process::ExitCode;

use menu_sdk::{Error, Token};
use serde_json::{Value, json};

/// A command's failure: one line for stderr and an exit code.
#[derive(Debug)]
pub struct Failure {
    pub message: String,
    pub code: u8,
}

impl Failure {
    /// Bad usage or configuration.
    pub fn usage(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            code: 2,
        }
    }

    /// Anything else (I/O, the mock failing to start).
    pub fn other(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            code: 1,
        }
    }

    pub fn exit(self) -> ExitCode {
        tell!("error: {}", one_line(&self.message));
        ExitCode::from(self.code)
    }
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        // The README's table of exit codes.
        let code = match &error {
            Error::UnknownOperation { .. } => 1,
            Error::InvalidConfig { .. }
            | Error::InvalidArgument { .. }
            | Error::InsecureTransport { .. }
            | Error::MissingToken { .. } => 2,
            Error::Api(_) => 3,
            _ => 4,
        };
        Self {
            message: describe(&error),
            code,
        }
    }
}

/// The SDK error as the user sees it: its message, which names the status and the request id.
pub fn describe(error: &Error) -> String {
    match error {
        Error::MissingToken { operation } => format!(
            "no customer token: sign up (`menu signup`), log in (`menu login`), or pass --token \
             or MENU_TOKEN ({operation} needs one; nothing was sent)"
        ),
        Error::InsecureTransport {
            operation,
            base_url,
        } => format!(
            "refusing to send the customer token over plain http:// to {base_url} ({operation}; \
             nothing was sent): use https://, or pass --allow-insecure-http if you trust every \
             network on the way"
        ),
        other => one_line(&other.to_string()),
    }
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A token as JSON; its value only when `show_value`.
pub fn token_json(token: &Token, show_value: bool) -> Value {
    json!({
        "value": if show_value { token.value() } else { "<redacted: use --show-token or --token-out>" },
        "ttl": token.ttl(),
        "refresh_ttl": token.refresh_ttl(),
        "expires_at": token.expires_at().map(|at| at.to_rfc3339()),
    })
}

/// Writes a line to stdout; a closed or broken stdout is an error, never a panic.
pub fn say(text: impl std::fmt::Display) -> Result<(), Failure> {
    write_line(text).map_err(|e| Failure::other(format!("cannot write to stdout: {e}")))
}

/// [`say`] for output that can be made again (help, completions, an answer that carries no
/// token): a reader that went away (`menu ... | head -1`) ends it quietly, as SIGPIPE would.
pub fn say_quietly(text: impl std::fmt::Display) -> Result<(), Failure> {
    match write_line(text) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        written => written.map_err(|e| Failure::other(format!("cannot write to stdout: {e}"))),
    }
}

fn write_line(text: impl std::fmt::Display) -> std::io::Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{text}").and_then(|()| out.flush())
}

/// Writes `text` to stderr, flushed; a closed or broken stderr loses the text, quietly (see the
/// module documentation). Called through [`tell!`] and [`prompt!`].
pub fn to_stderr(text: std::fmt::Arguments<'_>) {
    use std::io::Write;
    let mut stderr = std::io::stderr().lock();
    let _ = stderr.write_fmt(text).and_then(|()| stderr.flush());
}

/// `eprintln!` that never panics: a line on stderr, through [`to_stderr`].
macro_rules! tell {
    ($($arg:tt)*) => {
        $crate::output::to_stderr(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// `eprint!` that never panics (a question answered on the same line), through [`to_stderr`].
macro_rules! prompt {
    ($($arg:tt)*) => {
        $crate::output::to_stderr(format_args!($($arg)*))
    };
}

pub(crate) use {prompt, tell};

/// Pretty JSON for stdout.
pub fn pretty(value: &impl serde::Serialize) -> String {
    serde_json::to_string_pretty(value).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}
