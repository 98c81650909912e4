//! The command line: global options (with environment fallbacks) and subcommands.

use std::net::IpAddr;

use clap::{Args, Parser, Subcommand};
use uuid::Uuid;

/// A command-line client of the Menu customer API.
#[derive(Debug, Parser)]
#[command(
    name = "menu",
    version,
    about = "A command-line client of the Menu customer API, with an offline mock server and demo.",
    after_help = "Exit codes: 0 success, 2 bad usage or configuration, 3 the API answered with an \
                  error status, 4 no usable response (network, timeout, undecodable body), \
                  1 anything else.\n\nTry it offline: `menu demo`, or `menu mock serve` in one \
                  terminal and the printed MENU_* variables in another."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalOptions,
    #[command(subcommand)]
    pub command: Command,
}

/// Options of every API command.
#[derive(Debug, Args)]
pub struct GlobalOptions {
    /// The API's base URL [default: the public demo host].
    #[arg(long, env = "MENU_BASE_URL", global = true)]
    pub base_url: Option<String>,
    /// The application key (sent as `Application`).
    #[arg(
        long,
        env = "MENU_APPLICATION_KEY",
        hide_env_values = true,
        global = true
    )]
    pub application_key: Option<String>,
    /// The customer's token (a JWT, sent as `Authorization: Bearer ...`).
    #[arg(long, env = "MENU_TOKEN", hide_env_values = true, global = true)]
    pub token: Option<String>,
    /// The `API-Version` to send [default: 5.0.0].
    #[arg(long, env = "MENU_API_VERSION", global = true)]
    pub api_version: Option<String>,
    /// The `X-Request-ID` of the call (a UUID) [default: a fresh UUID v4].
    #[arg(long, global = true)]
    pub request_id: Option<Uuid>,
    /// Log each call (operation, request id, status, duration) to stderr. Never logs secrets.
    #[arg(long, short, global = true)]
    pub verbose: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the mock Menu server.
    Mock {
        #[command(subcommand)]
        command: MockCommand,
    },
    /// Start the mock on a free port and walk the whole flow through the SDK.
    Demo,
}

#[derive(Debug, Subcommand)]
pub enum MockCommand {
    /// Serve the mock in the foreground until interrupted; prints its base URL, an application
    /// key and customer tokens to use against it.
    Serve {
        /// The port to listen on (0 picks a free one).
        #[arg(long, default_value_t = 8080)]
        port: u16,
        /// The address to listen on.
        #[arg(long, default_value = "127.0.0.1")]
        host: IpAddr,
        /// Keep the mock's state (customers, codes, messages, tokens) in FILE: loaded at start
        /// when it exists, saved atomically after every change. A file that cannot be read is
        /// an error, never an empty state.
        #[arg(long, value_name = "FILE")]
        state: Option<std::path::PathBuf>,
    },
}
