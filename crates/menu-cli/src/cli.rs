//! The command line: global options (with environment fallbacks) and subcommands.

use std::net::IpAddr;

use clap::{Args, Parser, Subcommand};
use uuid::Uuid;

/// A command-line client of the Menu customer API. Its `--help` is laid out by [`crate::help`]:
/// the commands in groups ([`HAND_WRITTEN_GROUPS`]), the global options, then [`ROOT_SECTIONS`].
#[derive(Debug, Parser)]
#[command(
    name = "menu",
    version,
    about = "Work with the Menu customer API from the command line.",
    long_about = "Work with the Menu customer API from the command line.\n\nEvery operation of the \
                  API is a command; a profile keeps the base URL, the application key and the\n\
                  customer's token; an embedded mock server works offline."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalOptions,
    #[command(subcommand)]
    pub command: Command,
}

/// The sections that end `menu --help`, after the global options, each under its heading: the
/// first alone ends `menu -h`.
pub const ROOT_SECTIONS: &[(&str, &str)] = &[
    (
        "Examples",
        "  $ menu demo                              # a customer's life against an embedded mock\n  \
         $ menu mock serve                        # the mock, until interrupted\n  \
         $ menu signup --email ada@example.com    # sign up; the profile keeps the token\n  \
         $ menu <COMMAND> --help                  # a command's arguments and options",
    ),
    (
        "Settings",
        "  A setting comes from, in this order: a flag (--base-url), the environment\n  \
         (MENU_BASE_URL), the profile (--profile or MENU_PROFILE, `default` unless named, in the\n  \
         credentials file `menu/credentials.toml` of the config directory: $XDG_CONFIG_HOME or\n  \
         ~/.config), then the default. A token from the profile is written back there whenever\n  \
         the server issues a new one (a refresh, automatic or not, a sign-up), under a lock that\n  \
         makes concurrent `menu` processes take turns.",
    ),
    (
        "Exit codes",
        "  0  success\n  \
         1  anything else\n  \
         2  bad usage or configuration; nothing was sent\n  \
         3  the API answered with an error status\n  \
         4  no usable response (network, timeout, undecodable body)",
    ),
];

/// The heading of the global options in every command's help.
pub const GLOBAL_OPTIONS: &str = "Global options";

/// Options of every API command.
#[derive(Debug, Args)]
#[command(next_help_heading = GLOBAL_OPTIONS)]
pub struct GlobalOptions {
    /// The profile to use (its base URL, application key and token).
    #[arg(long, env = "MENU_PROFILE", global = true, value_name = "NAME")]
    pub profile: Option<String>,
    /// The API's base URL [default: the profile's, or the public demo host].
    #[arg(long, env = "MENU_BASE_URL", global = true)]
    pub base_url: Option<String>,
    /// The application key (sent as `Application`) [default: the profile's].
    #[arg(
        long,
        env = "MENU_APPLICATION_KEY",
        hide_env_values = true,
        global = true
    )]
    pub application_key: Option<String>,
    /// The customer's token (a JWT, sent as `Authorization: Bearer ...`) [default: the
    /// profile's]. A token given here is not written to the profile.
    #[arg(long, env = "MENU_TOKEN", hide_env_values = true, global = true)]
    pub token: Option<String>,
    /// The `API-Version` to send [default: 5.0.0].
    #[arg(long, env = "MENU_API_VERSION", global = true)]
    pub api_version: Option<String>,
    /// The `X-Request-ID` of the call (a UUID) [default: a fresh UUID v4].
    #[arg(long, global = true)]
    pub request_id: Option<Uuid>,
    /// Print the request as a curl command (secrets masked) and send nothing.
    #[arg(long, global = true)]
    pub dry_run: bool,
    /// Send the customer token over plain `http://` to a host other than this machine (anyone on
    /// the way can read it): for a test server you trust.
    #[arg(long, global = true)]
    pub allow_insecure_http: bool,
    /// Show each request and its answer on stderr (secrets masked); -vv also the bodies.
    ///
    /// The method, URL and headers sent, then the status, the attempts and the duration. Twice
    /// (-vv) also the request's body and the response's status line, headers and body (at most
    /// 4 KiB of each body).
    #[arg(long, short, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// The same as -vv.
    #[arg(long, global = true)]
    pub debug: bool,
}

impl GlobalOptions {
    /// How much `-v` was asked for: 0 (none), 1 (`-v`: the exchanges) or 2 and more (`-vv` or
    /// `--debug`: the bodies too).
    pub fn verbosity(&self) -> u8 {
        if self.debug {
            self.verbose.max(2)
        } else {
            self.verbose
        }
    }
}

/// The groups of the hand-written commands in `menu --help`, in order, after the groups of the
/// operation commands (the spec's tags); each is listed under "`<group>` commands". A command in
/// no group (clap's `help`) is listed in the last one.
pub const HAND_WRITTEN_GROUPS: &[(&str, &[&str])] = &[
    ("Profile", &["signup", "login", "logout", "whoami"]),
    ("Additional", &["mock", "demo", "completions"]),
];

/// The hand-written commands (grouped in `menu --help` by [`HAND_WRITTEN_GROUPS`]).
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Sign a new customer up; the profile keeps their token.
    ///
    /// Signs up with a one-time code: requests a code for the email and asks for it (or takes --code, a code already sent),
    /// registers, and stores the base URL, the application key and the customer's token in the
    /// profile.
    Signup {
        /// The customer's email.
        #[arg(long)]
        email: String,
        /// A one-time code already sent to the email [default: request one, and ask for it].
        #[arg(long)]
        code: Option<String>,
        /// The customer's first name.
        #[arg(long)]
        first_name: Option<String>,
        /// The customer's last name.
        #[arg(long)]
        last_name: Option<String>,
    },
    /// Keep a customer token in the profile, bound to a base URL.
    ///
    /// The token (a JWT) comes from --token, or one line of standard input (an empty one keeps the
    /// profile's token, and its binding unless --base-url is given). The profile's token and
    /// application key are sent only to the base URL it is bound to (--base-url, or for a new
    /// token the default host), and to its local proxy (--proxy-url).
    Login {
        /// A proxy on this machine (`localhost`, `127.0.0.1` or `[::1]`) in front of the base URL,
        /// which the profile's token and key may also go to [default: none].
        #[arg(long, value_name = "URL")]
        proxy_url: Option<String>,
    },
    /// Forget the profile's customer token.
    Logout,
    /// Show the profile, its binding, and its token's customer and expiry.
    ///
    /// Secrets are masked.
    Whoami,
    /// Print a completion script for a shell.
    ///
    /// For example: `menu completions bash > /etc/bash_completion.d/menu`.
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Run the mock Menu server.
    Mock {
        #[command(subcommand)]
        command: MockCommand,
    },
    /// Walk a customer's life through the SDK, against an embedded mock.
    ///
    /// Starts the mock on a free port, then signs a customer up, changes the account with codes,
    /// refreshes the token and deletes the account.
    Demo,
}

#[derive(Debug, Subcommand)]
pub enum MockCommand {
    /// Serve the mock in the foreground until interrupted; prints its base URL and an
    /// application key to use against it (as shell lines with --print-env, as JSON with --json),
    /// and each code it sends.
    Serve {
        /// The port to listen on (0 picks a free one).
        #[arg(long, default_value_t = 8080)]
        port: u16,
        /// The address to listen on.
        #[arg(long, default_value = "127.0.0.1")]
        host: IpAddr,
        /// Keep the mock's state (customers, codes, messages, revoked tokens, the signing key) in
        /// the SQLite database FILE, created (mode 0600) when it does not exist. Each change is
        /// committed before its answer; one process at a time. A 0.3 JSON state file is migrated
        /// into a new database beside it (state.json -> state.db) and left as it was. A file that
        /// cannot be read is an error, never an empty state.
        #[arg(long, value_name = "FILE")]
        state: Option<std::path::PathBuf>,
        /// Keep the messages the mock sends (GET /_mock/outbox) for this many minutes (never
        /// less than a code's lifetime).
        #[arg(
            long,
            value_name = "MINUTES",
            default_value_t = menu_mock::Retention::DEFAULT.outbox_max_age.as_secs() / 60
        )]
        outbox_minutes: u64,
        /// Keep at most this many messages in the outbox (the oldest go first).
        #[arg(
            long,
            value_name = "COUNT",
            value_parser = clap::value_parser!(u64).range(1..),
            default_value_t = menu_mock::Retention::DEFAULT.outbox_max_messages as u64
        )]
        outbox_messages: u64,
        /// Print only the settings to use it, as shell lines (`export MENU_BASE_URL=...`), on
        /// stdout, to paste (or, from a background server's file, to source); the rest, and each
        /// code sent, on stderr.
        #[arg(long, conflicts_with = "json")]
        print_env: bool,
        /// Print one JSON object line on stdout: `base_url`, `application_key`, `outbox_url`,
        /// and `test_customers` (the seeded customers, each with a fresh token, for tests and
        /// contract checks); the rest, and each code sent, on stderr.
        #[arg(long)]
        json: bool,
    },
}
