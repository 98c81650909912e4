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
use output::{Failure, pretty, say, session_json};

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
        Command::Refresh {
            show_token,
            token_out,
        } => {
            if !show_token && token_out.is_none() {
                return Err(Failure::usage(
                    "refresh invalidates the current token: pass --show-token or --token-out FILE \
                     to keep the new one (nothing was sent)",
                ));
            }
            let client = client(&cli.global)?;
            let session = call(&client, &cli.global).refresh().await?;
            let mut show = show_token;
            let mut failure = None;
            if let Some(path) = token_out
                && let Err(e) = write_secret(&path, session.token.value())
            {
                // The old token is gone: never lose the new one. Show it instead.
                show = true;
                failure = Some(Failure::other(format!(
                    "cannot write the new token to {}: {e}; it is printed on stdout instead",
                    path.display()
                )));
            }
            if let Err(stdout) = say(pretty(&session_json(&session, show))) {
                // The token may now exist nowhere but in the file (if written): say so.
                return Err(Failure::other(format!(
                    "{}; the server has already replaced the token{}",
                    stdout.message,
                    if show {
                        ", and it could not be shown"
                    } else {
                        " (saved with --token-out)"
                    }
                )));
            }
            failure.map_or(Ok(()), Err)
        }
        Command::VerifyPhoneNumberUpdate { customer_id, code } => {
            let client = client(&cli.global)?;
            let account = call(&client, &cli.global)
                .verify_phone_number_update(customer_id, code)
                .await?;
            say(pretty(&account))
                .map_err(|e| Failure::other(format!("{} (the change was confirmed)", e.message)))
        }
        Command::Mock {
            command: MockCommand::Serve { port, host },
        } => serve::run(host, port).await,
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

fn call<'a>(client: &'a Client, global: &GlobalOptions) -> menu_sdk::Call<'a> {
    match global.request_id {
        Some(id) => client.with_request_id(id),
        None => client.call(),
    }
}

/// Writes a secret to `path`, readable only by its owner (on Unix): into a temporary file beside
/// it (mode 0600; removed if anything fails), then renamed over `path`, so an existing file's
/// permissions (or a symlink there) never apply and no reader sees half a token.
fn write_secret(path: &std::path::Path, secret: &str) -> std::io::Result<()> {
    use std::io::Write;
    if path.file_name().is_none() {
        return Err(std::io::Error::other("the path names no file"));
    }
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => std::path::Path::new("."),
    };
    let mut temp = tempfile::Builder::new();
    temp.prefix(".menu-token-");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        temp.permissions(std::fs::Permissions::from_mode(0o600));
    }
    let mut file = temp.tempfile_in(dir)?;
    file.write_all(secret.as_bytes())?;
    file.write_all(b"\n")?;
    file.as_file().sync_all()?;
    file.persist(path).map_err(|e| e.error)?;
    Ok(())
}
