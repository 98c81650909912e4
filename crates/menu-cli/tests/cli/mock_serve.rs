//! `menu mock serve`'s three forms: the banner for a person, `--print-env` for a shell, `--json`
//! for a program; stdout holds only the machine-readable form, everything else goes to stderr.

use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::Duration;

use super::*;

/// A `menu mock serve ARGS` whose stdout and stderr lines arrive on channels.
struct Streams {
    running: Running,
    stdout: Receiver<String>,
    stderr: Receiver<String>,
}

impl Streams {
    fn start(args: &[&str]) -> Self {
        use std::io::{BufRead, BufReader, Read};
        fn lines(from: impl Read + Send + 'static) -> Receiver<String> {
            let (send, receive) = std::sync::mpsc::channel();
            std::thread::spawn(move || {
                for line in BufReader::new(from).lines().map_while(Result::ok) {
                    if send.send(line).is_err() {
                        return;
                    }
                }
            });
            receive
        }
        let mut child = menu()
            .args(["mock", "serve", "--port", "0"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = lines(child.stdout.take().unwrap());
        let stderr = lines(child.stderr.take().unwrap());
        Self {
            running: Running(child),
            stdout,
            stderr,
        }
    }

    /// The next line of `stream` (within 20 s).
    fn next(stream: &Receiver<String>) -> String {
        stream
            .recv_timeout(Duration::from_secs(20))
            .expect("the mock printed the line in time")
    }

    /// The next stderr line that starts with `prefix`.
    fn stderr_line(&self, prefix: &str) -> String {
        loop {
            let line = Self::next(&self.stderr);
            if line.starts_with(prefix) {
                return line;
            }
        }
    }

    /// Stops the server (SIGTERM, as Ctrl-C would) and returns what stdout said after the
    /// lines already read.
    fn stop(self) -> Vec<String> {
        let pid = self.running.0.id().to_string();
        assert!(
            Command::new("kill")
                .args(["-TERM", &pid])
                .status()
                .unwrap()
                .success()
        );
        let mut rest = Vec::new();
        loop {
            match self.stdout.recv_timeout(Duration::from_secs(20)) {
                Ok(line) => rest.push(line),
                Err(RecvTimeoutError::Disconnected) => return rest,
                Err(RecvTimeoutError::Timeout) => panic!("the mock did not stop: {rest:?}"),
            }
        }
    }
}

/// `sh -c SCRIPT` with an environment of its own: no MENU_* of the developer's, no profile.
fn shell(script: &str) -> Output {
    let config = tempfile::tempdir().unwrap();
    Command::new("sh")
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("XDG_CONFIG_HOME", config.path())
        .args(["-c", script])
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

/// The base URL of the heading line (`menu mock server listening on URL (...)`).
fn heading_url(streams: &Streams) -> String {
    let heading = streams.stderr_line("menu mock server listening on ");
    heading.split_whitespace().nth(5).unwrap().to_owned()
}

#[cfg(unix)]
#[test]
fn print_env_prints_only_the_export_lines_and_they_work() {
    let streams = Streams::start(&["--print-env"]);
    let base_url = heading_url(&streams);
    let printed = [
        Streams::next(&streams.stdout),
        Streams::next(&streams.stdout),
    ];
    assert_eq!(
        printed,
        [
            format!("export {}={base_url}", menu_sdk::env::BASE_URL),
            format!(
                "export {}={}",
                menu_sdk::env::APPLICATION_KEY,
                menu_mock::state::DEFAULT_APPLICATION_KEY
            ),
        ]
    );
    assert!(base_url.starts_with("http://127.0.0.1:"), "{base_url}");
    // Run by a shell, they are all `menu` needs to call the mock.
    let output = shell(&format!(
        "{}\nexec '{}' passwordless-request --email printed@example.com",
        printed.join("\n"),
        env!("CARGO_BIN_EXE_menu")
    ));
    assert!(output.status.success(), "{}", text(&output.stderr));
    // The code it sent goes to stderr.
    let sent = streams.stderr_line("# sent to printed@example.com: sign-up code ");
    assert!(
        sent.split_whitespace()
            .last()
            .unwrap()
            .parse::<u32>()
            .is_ok()
    );
    assert_eq!(
        streams.stop(),
        Vec::<String>::new(),
        "nothing else on stdout"
    );
}

#[cfg(unix)]
#[tokio::test]
async fn json_is_one_line_with_the_settings_and_a_test_customer() {
    let streams = Streams::start(&["--json"]);
    let base_url = heading_url(&streams);
    let line = Streams::next(&streams.stdout);
    let announced = Announced(serde_json::from_str(&line).unwrap());
    assert_eq!(announced.base_url(), base_url);
    assert_eq!(
        announced.application_key(),
        menu_mock::state::DEFAULT_APPLICATION_KEY
    );
    assert_eq!(
        announced.text("/outbox_url"),
        base_url.replace("/api", "/_mock/outbox")
    );
    assert_eq!(announced.text("/test_customers/0/id"), DRAGOS.to_string());
    assert_eq!(
        announced.text("/test_customers/0/pending_phone_number_change_code"),
        DRAGOS_CONFIRMATION_CODE
    );
    // The test customer's token is theirs: `me` is Dragos.
    let mut command = menu();
    command
        .envs(announced.env())
        .args(["--token", announced.text("/test_customers/0/token")])
        .args(["--dry-run", "update-customer-account", "me"]);
    let output = run(command).await;
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(
        text(&output.stdout).contains(&format!("/customer-accounts/{DRAGOS}")),
        "{}",
        text(&output.stdout)
    );
    // A code sent goes to stderr; stdout stays the one line.
    let mut command = menu();
    command
        .envs(announced.env())
        .args(["passwordless-request", "--email", "json@example.com"]);
    assert!(run(command).await.status.success());
    streams.stderr_line("# sent to json@example.com: sign-up code ");
    assert_eq!(
        streams.stop(),
        Vec::<String>::new(),
        "nothing else on stdout"
    );
}

#[test]
fn the_banner_shows_the_same_lines_and_no_token_to_export() {
    let print_env = Streams::start(&["--print-env"]);
    let base_url = heading_url(&print_env);
    let exports = [
        Streams::next(&print_env.stdout),
        Streams::next(&print_env.stdout),
    ];
    drop(print_env);
    let banner = Streams::start(&[]);
    let mut lines = Vec::new();
    while !lines.iter().any(|l: &String| l.contains("/_mock/outbox")) {
        lines.push(Streams::next(&banner.stdout));
    }
    let banner_url = lines[0].split_whitespace().nth(5).unwrap().to_owned();
    let banner_exports: Vec<String> = lines
        .iter()
        .filter(|l| l.starts_with("export "))
        .map(|l| l.replace(&banner_url, &base_url))
        .collect();
    assert_eq!(banner_exports, exports, "{lines:#?}");
    let banner_text = lines.join("\n");
    assert!(!banner_text.contains(menu_sdk::env::TOKEN), "{banner_text}");
    // A test customer's token is offered for --token, on a comment line.
    let token_lines: Vec<&String> = lines.iter().filter(|l| l.contains("eyJ")).collect();
    assert!(!token_lines.is_empty(), "{banner_text}");
    assert!(
        token_lines.iter().all(|l| l.starts_with('#')),
        "{banner_text}"
    );
    assert!(banner_text.contains("--token"), "{banner_text}");
}

#[test]
fn print_env_and_json_are_one_or_the_other() {
    let output = menu()
        .args(["mock", "serve", "--port", "0", "--print-env", "--json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", text(&output.stderr));
    assert!(
        text(&output.stderr).contains("--json"),
        "{}",
        text(&output.stderr)
    );
    assert!(output.stdout.is_empty());
}
