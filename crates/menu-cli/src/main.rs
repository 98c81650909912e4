//! `menu`: a command-line client of the Menu customer API, built on `menu-sdk`, with profiles,
//! the embedded mock server (`menu mock serve`) and an offline walk-through (`menu demo`).

mod account;
mod binding;
mod cli;
mod commands;
mod confirm;
mod demo;
mod help;
mod lists;
mod output;
mod private_file;
mod profile;
mod run;
mod serve;
mod settings;
mod show;
mod verbose;

use std::process::ExitCode;

use clap::{CommandFactory as _, FromArgMatches as _};

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
        output::tell!("error: internal error in menu (please report it): {message}");
    }));
    let matches = command().get_matches();
    let global = GlobalOptions::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    if global.verbosity() > 0 {
        verbose::install();
    }
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => return Failure::other(format!("cannot start the async runtime: {e}")).exit(),
    };
    let generated = matches
        .subcommand()
        .and_then(|(name, arguments)| Some((commands::find(&Cli::command(), name)?, arguments)));
    let outcome = match generated {
        Some((operation, arguments)) => runtime.block_on(run::run(&global, operation, arguments)),
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

/// The whole command line: the hand-written commands, and one command per other operation of
/// the spec, listed in groups by `--help`. The global options (profile, base URL, ...) are not
/// shown under the commands that do not call the API.
pub fn command() -> clap::Command {
    let hand_written = Cli::command();
    let command = help::grouped(commands::with_operations(hand_written.clone()), |name| {
        commands::find(&hand_written, name)
    });
    // Hidden copies of the global options in the commands that do not call the API: clap does
    // not propagate a global option to a command that has its own of that name.
    let hidden: Vec<clap::Arg> = command
        .get_arguments()
        .filter(|arg| arg.is_global_set())
        .map(|arg| arg.clone().global(false).hide(true))
        .collect();
    let hide = move |command: clap::Command| command.args(hidden.clone());
    let (mock, serve) = (hide.clone(), hide.clone());
    command
        .mut_subcommand("mock", |command| {
            mock(command).mut_subcommand("serve", serve)
        })
        .mut_subcommand("demo", hide.clone())
        .mut_subcommand("completions", hide)
}

async fn run(cli: Cli) -> Result<(), Failure> {
    match cli.command {
        Command::Signup {
            email,
            code,
            first_name,
            last_name,
        } => account::signup(&cli.global, &email, code, first_name, last_name).await,
        Command::Login { proxy_url } => account::login(&cli.global, proxy_url),
        Command::Logout => account::logout(&cli.global),
        Command::Whoami => account::whoami(&cli.global),
        Command::Completions { shell } => {
            // Into memory first: clap_complete panics when it cannot write.
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut command(), "menu", &mut script);
            output::say_quietly(String::from_utf8_lossy(&script).trim_end())
        }
        Command::Mock {
            command:
                MockCommand::Serve {
                    port,
                    host,
                    state,
                    outbox_minutes,
                    outbox_messages,
                    print_env,
                    json,
                },
        } => {
            let form = match (print_env, json) {
                (true, _) => serve::Form::PrintEnv,
                (_, true) => serve::Form::Json,
                _ => serve::Form::Banner,
            };
            let retention = menu_mock::Retention::outbox(
                std::time::Duration::from_secs(outbox_minutes.saturating_mul(60)),
                usize::try_from(outbox_messages).unwrap_or(usize::MAX),
            );
            serve::run(host, port, state, retention, form).await
        }
        Command::Demo => demo::run().await,
    }
}
