//! `menu`: a command-line client of the Menu customer API, built on `menu-sdk`, with the
//! embedded mock server (`menu mock serve`) and an offline walk-through (`menu demo`).

mod cli;
mod demo;
mod operations;
mod output;
mod serve;

use std::process::ExitCode;

use clap::{CommandFactory as _, FromArgMatches as _};
use menu_sdk::Client;

use cli::{Cli, Command, GlobalOptions, MockCommand};
use output::Failure;

fn main() -> ExitCode {
    // A bug must not show a backtrace to the user: one line (the exit code is then 101).
    std::panic::set_hook(Box::new(|info| {
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_default();
        eprintln!("error: internal error in menu (please report it): {message}");
    }));
    // The hand-written commands, and one command per other operation of the spec.
    let hand_written = Cli::command();
    let matches = operations::with_operations(hand_written.clone()).get_matches();
    let global = GlobalOptions::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    if global.verbose {
        let _ = tracing_subscriber::fmt()
            .with_writer(std::io::stderr)
            .with_max_level(tracing_subscriber::filter::LevelFilter::DEBUG)
            .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
            .try_init();
    }
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => return Failure::other(format!("cannot start the async runtime: {e}")).exit(),
    };
    let generated = matches
        .subcommand()
        .and_then(|(name, arguments)| Some((operations::find(&hand_written, name)?, arguments)));
    let outcome = match generated {
        Some((operation, arguments)) => runtime.block_on(operations::run(
            || client(&global),
            global.request_id,
            operation,
            arguments,
        )),
        None => {
            let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
            runtime.block_on(run(cli))
        }
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => failure.exit(),
    }
}

async fn run(cli: Cli) -> Result<(), Failure> {
    match cli.command {
        Command::Mock {
            command: MockCommand::Serve { port, host, state },
        } => serve::run(host, port, state).await,
        Command::Demo => demo::run().await,
    }
}

/// A client from the global options (which clap has already filled from the environment). The
/// token is optional: an operation that needs one fails without it, before sending anything.
fn client(global: &GlobalOptions) -> Result<Client, Failure> {
    let key = global.application_key.clone().ok_or_else(|| {
        Failure::usage("no application key: pass --application-key or set MENU_APPLICATION_KEY")
    })?;
    let mut builder = Client::builder().application_key(key);
    if let Some(token) = &global.token {
        builder = builder.token(token);
    }
    if let Some(url) = &global.base_url {
        builder = builder.base_url(url);
    }
    if let Some(version) = &global.api_version {
        builder = builder.api_version(version);
    }
    Ok(builder.build()?)
}
