//! The `menu` binary, run as a process against the mock server on loopback.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::{Command, Output, Stdio};

use menu_mock::MockServer;
use menu_mock::state::{DRAGOS, DRAGOS_CONFIRMATION_CODE};

/// `menu` with a clean environment (no MENU_* from the developer's shell, and a config directory
/// of its own, empty: no profile).
fn menu() -> Command {
    let config = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("no-config-{}", uuid::Uuid::new_v4()));
    menu_with_config(&config)
}

/// `menu` with a clean environment and `config` as its config directory (`XDG_CONFIG_HOME`).
fn menu_with_config(config: &std::path::Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_menu"));
    for var in [
        "MENU_BASE_URL",
        "MENU_APPLICATION_KEY",
        "MENU_TOKEN",
        "MENU_API_VERSION",
        "MENU_PROFILE",
    ] {
        command.env_remove(var);
    }
    command.env("XDG_CONFIG_HOME", config);
    command.env("RUST_BACKTRACE", "1").stdin(Stdio::null());
    command
}

/// `menu` pointed at `server` through environment variables, with a token of Dragos.
fn menu_for(server: &MockServer) -> Command {
    let token = server.state().issue_token(DRAGOS).unwrap();
    let mut command = menu();
    command
        .env("MENU_BASE_URL", server.base_url())
        .env("MENU_APPLICATION_KEY", server.application_key())
        .env("MENU_TOKEN", token.value());
    command
}

async fn run(mut command: Command) -> Output {
    tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The failure contract: one line on stderr naming what happened, no panic, no backtrace.
fn assert_clean_failure(output: &Output, code: i32, expected: &[&str]) {
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(code), "stderr: {stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "one line: {stderr}");
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert!(
        !stderr.contains("panicked") && !stderr.contains("backtrace"),
        "{stderr}"
    );
    for part in expected {
        assert!(stderr.contains(part), "{part:?} in {stderr}");
    }
}

#[tokio::test]
async fn verify_prints_the_account_as_json() {
    let server = MockServer::start().await.unwrap();
    let mut command = menu_for(&server);
    command.args([
        "verify-phone-number-update",
        &DRAGOS.to_string(),
        "--confirmation-code",
        DRAGOS_CONFIRMATION_CODE,
    ]);
    let output = run(command).await;
    assert!(output.status.success(), "{}", text(&output.stderr));
    // The payload rule: the account itself, as the SDK's method answers it.
    let account: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(account["phone_number"], "+40724373613");
    assert_eq!(account["has_pending_phone_number_change"], false);
}

#[tokio::test]
async fn a_wrong_code_is_one_line_with_status_and_request_id() {
    let server = MockServer::start().await.unwrap();
    let request_id = uuid::Uuid::new_v4().to_string();
    let mut command = menu_for(&server);
    command.args([
        "verify-phone-number-update",
        &DRAGOS.to_string(),
        "--confirmation-code",
        "000000",
        "--request-id",
        &request_id,
    ]);
    let output = run(command).await;
    assert_clean_failure(
        &output,
        3,
        &["400", &request_id, "The confirmation code is invalid."],
    );
    assert!(output.stdout.is_empty());
}

#[tokio::test]
async fn refresh_shows_the_token_only_when_asked() {
    let server = MockServer::start().await.unwrap();
    // Without a way to keep the new token, refresh refuses before sending.
    let mut command = menu_for(&server);
    command.arg("refresh");
    assert_clean_failure(&run(command).await, 2, &["--show-token", "--token-out"]);
    assert_eq!(server.state().requests("refresh"), 0, "nothing was sent");

    let mut command = menu_for(&server);
    command.args(["refresh", "--show-token"]);
    let output = run(command).await;
    assert!(output.status.success(), "{}", text(&output.stderr));
    let session: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let value = session["token"]["value"].as_str().unwrap();
    assert!(value.starts_with("eyJ"), "{value}");
    assert_eq!(session["customer_account"]["first_name"], "Dragos");
    assert!(session["token"]["expires_at"].is_string());
}

#[tokio::test]
async fn refresh_writes_the_new_token_to_a_private_file() {
    let server = MockServer::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("token");
    let mut command = menu_for(&server);
    command.args(["refresh", "--token-out"]).arg(&path);
    let output = run(command).await;
    assert!(output.status.success(), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    let saved = std::fs::read_to_string(&path).unwrap();
    let saved = saved.trim();
    assert!(saved.starts_with("eyJ"));
    assert!(
        !stdout.contains(saved),
        "stdout does not show the token: {stdout}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    // The saved token works.
    let mut command = menu();
    command
        .env("MENU_BASE_URL", server.base_url())
        .env("MENU_APPLICATION_KEY", server.application_key())
        .args([
            "--token",
            saved,
            "verify-phone-number-update",
            &DRAGOS.to_string(),
            "--confirmation-code",
            DRAGOS_CONFIRMATION_CODE,
        ]);
    assert!(run(command).await.status.success());
}

#[tokio::test]
async fn an_unwritable_token_file_fails_before_anything_is_sent() {
    let server = MockServer::start().await.unwrap();
    let mut command = menu_for(&server);
    command.args(["refresh", "--token-out", "/nonexistent-dir/token"]);
    let output = run(command).await;
    assert_clean_failure(&output, 2, &["--token-out", "nothing was sent"]);
    assert_eq!(server.state().requests("refresh"), 0);
}

#[tokio::test]
async fn bad_input_is_a_clear_error_never_a_panic() {
    let server = MockServer::start().await.unwrap();
    // clap's own usage errors: exit 2, no panic.
    for args in [
        vec![
            "verify-phone-number-update",
            "not-a-uuid",
            "--confirmation-code",
            "1",
        ],
        vec![
            "verify-phone-number-update",
            "47bf8888-3f23-11ed-936c-1a67b454859d",
        ],
        vec!["--request-id", "nope", "refresh", "--show-token"],
        vec!["no-such-command"],
        vec!["mock", "serve", "--port", "99999"],
    ] {
        let mut command = menu_for(&server);
        command.args(&args);
        let output = run(command).await;
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let stderr = text(&output.stderr);
        assert!(!stderr.contains("internal error"), "a panic: {stderr}");
    }
    // Missing configuration, bad configuration.
    let mut command = menu();
    command.args(["refresh", "--show-token"]);
    assert_clean_failure(&run(command).await, 2, &["MENU_APPLICATION_KEY"]);
    let mut command = menu();
    command.args(["--application-key", "k", "refresh", "--show-token"]);
    assert_clean_failure(&run(command).await, 2, &["MENU_TOKEN"]);
    let mut command = menu_for(&server);
    command.args(["--base-url", "ftp://nowhere", "refresh", "--show-token"]);
    assert_clean_failure(&run(command).await, 2, &["http:// or https://"]);
    let mut command = menu_for(&server);
    command.args(["--token", "a\u{7f}b", "refresh", "--show-token"]);
    assert_clean_failure(&run(command).await, 2, &["token"]);
}

#[tokio::test]
async fn an_unreachable_server_is_exit_4() {
    // A port kept bound without listening: every connection is refused, and no other process
    // can take the port meanwhile.
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let port = socket.local_addr().unwrap().port();
    let mut command = menu();
    command.args([
        "--base-url",
        &format!("http://127.0.0.1:{port}/api"),
        "--application-key",
        "k",
        "--token",
        "t.t.t",
        "refresh",
        "--show-token",
    ]);
    assert_clean_failure(&run(command).await, 4, &["cannot connect", "request id"]);
}

#[tokio::test]
async fn secrets_stay_out_of_errors_and_verbose_logs() {
    let server = MockServer::start().await.unwrap();
    let token = server.state().issue_token(DRAGOS).unwrap();
    let mut command = menu();
    command
        .env("MENU_BASE_URL", server.base_url())
        .env("MENU_APPLICATION_KEY", server.application_key())
        .env("MENU_TOKEN", token.value())
        .args([
            "--verbose",
            "verify-phone-number-update",
            &DRAGOS.to_string(),
            "--confirmation-code",
            "000000",
        ]);
    let output = run(command).await;
    let all = format!("{}{}", text(&output.stdout), text(&output.stderr));
    // Plain words: the request (secrets masked), then what came back.
    for expected in [
        "> POST http://127.0.0.1:",
        "/verify-phone-number-update",
        "> authorization: Bearer <redacted>",
        "> application: <redacted>",
        "> x-qb-enabled: true",
        "< verify_phone_number_update: answered 400 after 1 attempt in ",
    ] {
        assert!(all.contains(expected), "{expected:?} in: {all}");
    }
    // Nothing of the transport libraries, no raw floats.
    assert!(
        !all.contains("hyper") && !all.contains("reqwest::"),
        "{all}"
    );
    assert!(!all.contains("duration_ms"), "{all}");
    assert!(!all.contains(token.value()), "{all}");
    assert!(!all.contains(server.application_key()), "{all}");
    // --help shows no environment values of secrets.
    let mut command = menu_for(&server);
    command.arg("--help");
    let help = text(&run(command).await.stdout);
    assert!(help.contains("MENU_TOKEN"));
    assert!(
        !help.contains(token.value()) && !help.contains(server.application_key()),
        "{help}"
    );
}

#[tokio::test]
async fn demo_walks_the_whole_flow() {
    let output = run({
        let mut command = menu();
        command.arg("demo");
        command
    })
    .await;
    let stdout = text(&output.stdout);
    assert!(output.status.success(), "{stdout}{}", text(&output.stderr));
    for expected in [
        "Started the mock Menu API at http://127.0.0.1:",
        "1. Sign up ana.popescu@example.com",
        "The mock's outbox: sign-up code ",
        "2. Add a phone number, confirmed with the code sent to it",
        "error: verify_phone_number_update: the Menu API answered 400 Bad Request \"The confirmation code is invalid.\" (request id ",
        "phone_number: \"\" -> \"+40700123456\"",
        "has_pending_phone_number_change: true -> false",
        "3. Change the email, confirmed with the code sent to the new one",
        "email: \"ana.popescu@example.com\" -> \"ana@example.org\"",
        "4. Refresh the token",
        "on_token_refresh",
        "5. Delete the account",
        "answered 401 Unauthorized \"The customer account of this token no longer exists.\"",
    ] {
        assert!(stdout.contains(expected), "{expected:?} in:\n{stdout}");
    }
    assert!(!stdout.contains("eyJ"), "the demo shows no token value");
}

/// Kills the child process when dropped (a failed assertion must not leave a server running).
struct Running(std::process::Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// What `menu mock serve --json` printed: its one line, read as JSON.
struct Announced(serde_json::Value);

impl Announced {
    fn text(&self, pointer: &str) -> &str {
        self.0
            .pointer(pointer)
            .and_then(serde_json::Value::as_str)
            .unwrap_or_else(|| panic!("{pointer} in {}", self.0))
    }

    fn base_url(&self) -> &str {
        self.text("/base_url")
    }

    fn application_key(&self) -> &str {
        self.text("/application_key")
    }

    /// The environment of a `menu` that calls this mock (no token).
    fn env(&self) -> [(&'static str, &str); 2] {
        [
            (menu_sdk::env::BASE_URL, self.base_url()),
            (menu_sdk::env::APPLICATION_KEY, self.application_key()),
        ]
    }
}

/// Starts `menu mock serve --port 0 --json` and reads its line (within 20 s).
async fn serve() -> (Running, Announced) {
    serve_with(&[]).await
}

/// [`serve`] with more arguments.
async fn serve_with(more: &[&std::ffi::OsStr]) -> (Running, Announced) {
    use std::io::{BufRead, BufReader};
    let mut child = menu()
        .args(["mock", "serve", "--port", "0", "--json"])
        .args(more)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let running = Running(child);
    let reader = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).unwrap();
        line
    });
    let line = tokio::time::timeout(std::time::Duration::from_secs(20), reader)
        .await
        .expect("menu mock serve printed its line in time")
        .unwrap();
    let json = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line:?}"));
    (running, Announced(json))
}

#[tokio::test]
async fn mock_serve_prints_what_to_use_and_serves_it() {
    let (_server, announced) = serve().await;
    // The first test customer, their token and the code of their pending phone number change.
    let mut command = menu();
    command
        .envs(announced.env())
        .args(["--token", announced.text("/test_customers/0/token")])
        .args([
            "verify-phone-number-update",
            announced.text("/test_customers/0/id"),
            "--confirmation-code",
            announced.text("/test_customers/0/pending_phone_number_change_code"),
        ]);
    let output = run(command).await;
    assert!(output.status.success(), "{}", text(&output.stderr));
    let payload: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    // The account, wrapped as the wire has it or not.
    let account = payload.get("customer_account").unwrap_or(&payload);
    assert_eq!(account["id"], DRAGOS.to_string());
    assert_eq!(account["has_pending_phone_number_change"], false);
}

#[cfg(unix)]
#[tokio::test]
async fn mock_serve_stops_on_sigterm_even_with_a_stalled_client() {
    use tokio::io::AsyncWriteExt;
    let (mut server, announced) = serve().await;
    let addr = announced
        .base_url()
        .trim_start_matches("http://")
        .trim_end_matches("/api")
        .to_owned();
    let mut stalled = tokio::net::TcpStream::connect(&addr).await.unwrap();
    stalled
        .write_all(
            b"POST /api/customers/refresh HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{",
        )
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let pid = server.0.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let started = std::time::Instant::now();
    let status = tokio::task::spawn_blocking(move || {
        for _ in 0..100 {
            if let Ok(Some(status)) = server.0.try_wait() {
                return Some(status);
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        None
    })
    .await
    .unwrap();
    let status = status.expect("the server exited within 10 s of SIGTERM");
    assert!(status.success(), "{status:?}");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    drop(stalled);
}

#[tokio::test]
async fn a_closed_stdout_is_an_error_not_a_panic() {
    let server = MockServer::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("token");
    let mut command = menu_for(&server);
    command
        .args(["refresh", "--token-out"])
        .arg(&path)
        .stdout(Stdio::piped());
    let output = tokio::task::spawn_blocking(move || {
        let mut child = command.stderr(Stdio::piped()).spawn().unwrap();
        drop(child.stdout.take()); // the reader goes away
        child.wait_with_output().unwrap()
    })
    .await
    .unwrap();
    let stderr = text(&output.stderr);
    assert_ne!(output.status.code(), Some(101), "{stderr}");
    if !output.status.success() {
        assert_clean_failure(
            &output,
            1,
            &["cannot write to stdout", "saved with --token-out"],
        );
    }
    assert!(
        std::fs::read_to_string(&path).unwrap().starts_with("eyJ"),
        "the token was kept"
    );
}

#[cfg(unix)]
#[tokio::test]
async fn token_out_replaces_an_existing_file_with_a_private_one() {
    use std::os::unix::fs::PermissionsExt;
    let server = MockServer::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("token");
    std::fs::write(&path, "old").unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let mut command = menu_for(&server);
    command.args(["refresh", "--token-out"]).arg(&path);
    assert!(run(command).await.status.success());
    assert_eq!(
        std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert!(std::fs::read_to_string(&path).unwrap().starts_with("eyJ"));
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "no temporary file left"
    );
}

/// A `menu mock serve --print-env`: the `export` lines it printed on stdout, and its stderr lines
/// (the codes it prints) arriving on a channel.
struct Serving {
    _running: Running,
    lines: std::sync::mpsc::Receiver<String>,
    exports: Vec<String>,
}

impl Serving {
    /// Starts `menu mock serve ARGS` (which must print the environment) and reads its `export`
    /// lines, until it has given what `menu` needs to reach it (within 20 s).
    fn start(args: &[&str]) -> Self {
        use std::io::{BufRead, BufReader};
        let mut child = menu()
            .args(["mock", "serve"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let stderr = child.stderr.take().unwrap();
        let running = Running(child);
        let (send, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if send.send(line).is_err() {
                    return;
                }
            }
        });
        let (send, exports) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if send.send(line).is_err() {
                    return;
                }
            }
        });
        let needed = [menu_sdk::env::BASE_URL, menu_sdk::env::APPLICATION_KEY];
        let mut printed: Vec<String> = Vec::new();
        while !needed.iter().all(|name| {
            printed
                .iter()
                .any(|l| l.starts_with(&format!("export {name}=")))
        }) {
            let line = exports
                .recv_timeout(std::time::Duration::from_secs(20))
                .expect("the mock printed its export lines in time");
            assert!(line.starts_with("export "), "only export lines: {line}");
            printed.push(line);
        }
        Self {
            _running: running,
            lines,
            exports: printed,
        }
    }

    /// The environment the export lines make, as a POSIX shell that runs them has it.
    fn environment(&self) -> Vec<(String, String)> {
        shell_exports(&self.exports)
    }

    /// The next line that `wanted` accepts (within 20 s).
    fn next_line(&mut self, wanted: impl Fn(&str) -> bool) -> String {
        loop {
            let line = self
                .lines
                .recv_timeout(std::time::Duration::from_secs(20))
                .expect("the mock printed the line in time");
            if wanted(&line) {
                return line;
            }
        }
    }

    /// The code the mock printed as sent to `to`.
    fn code_sent_to(&mut self, to: &str) -> String {
        let line = self.next_line(|line| line.starts_with(&format!("# sent to {to}: ")));
        line.split_whitespace().last().unwrap().to_owned()
    }
}

/// What `export NAME=VALUE` lines set, read back from `sh` after it ran them (quotes and all).
fn shell_exports(lines: &[String]) -> Vec<(String, String)> {
    let names: Vec<&str> = lines
        .iter()
        .map(|l| {
            l.strip_prefix("export ")
                .and_then(|l| l.split_once('='))
                .unwrap_or_else(|| panic!("not an export line: {l}"))
                .0
        })
        .collect();
    let script = format!("{}\nprintenv {}", lines.join("\n"), names.join(" "));
    let output = Command::new("sh").args(["-c", &script]).output().unwrap();
    assert!(output.status.success(), "{}", text(&output.stderr));
    let values = text(&output.stdout);
    let values: Vec<&str> = values.lines().collect();
    assert_eq!(values.len(), names.len(), "{script}");
    names
        .iter()
        .zip(values)
        .map(|(n, v)| ((*n).to_owned(), v.to_owned()))
        .collect()
}

#[tokio::test]
async fn the_readme_walkthrough_runs_as_written() {
    let readme = include_str!("../../../README.md");
    let block = readme
        .split("<!-- cli-walkthrough -->\n```sh\n")
        .nth(1)
        .and_then(|rest| rest.split("\n```").next())
        .expect("README.md has the CLI walkthrough");
    let config = tempfile::tempdir().unwrap();
    let mut mock: Option<Serving> = None;
    let mut env: Vec<(String, String)> = Vec::new();
    let (mut customer, mut ran) = (String::new(), 0);
    // The export lines the README shows (as comments: the reader pastes the mock's own).
    let shown: Vec<&str> = block
        .lines()
        .filter_map(|l| l.trim_start_matches(['#', ' ']).strip_prefix("export "))
        .collect();
    for line in block.lines().filter(|l| !l.trim_start().starts_with('#')) {
        let args: Vec<&str> = line
            .strip_prefix("cargo run -- ")
            .unwrap_or_else(|| panic!("a line the walkthrough test does not know: {line}"))
            .split_whitespace()
            .collect();
        if args.starts_with(&["mock", "serve"]) {
            let port = args.iter().position(|a| *a == "--port").unwrap();
            let mut args = args[2..].to_vec();
            // The mock listens where this test can bind it, not necessarily on 8080.
            args[port - 1] = "0";
            let serving = Serving::start(&args);
            // Pasted: the lines it printed are the environment of what follows.
            env = serving.environment();
            let actual = serving.exports.join("\n");
            let base_url = &env
                .iter()
                .find(|(n, _)| n == menu_sdk::env::BASE_URL)
                .unwrap()
                .1;
            let port = base_url
                .rsplit(':')
                .next()
                .unwrap()
                .trim_end_matches("/api");
            assert_eq!(
                shown
                    .iter()
                    .map(|l| format!("export {l}"))
                    .collect::<Vec<_>>()
                    .join("\n"),
                actual.replace(&format!(":{port}/"), ":8080/"),
                "the README shows what the mock prints"
            );
            mock = Some(serving);
            continue;
        }
        let mock = mock.as_mut().unwrap();
        let mut filled: Vec<String> = Vec::new();
        for arg in &args {
            filled.push(match *arg {
                "CUSTOMER_ID" => customer.clone(),
                "CODE" => mock.code_sent_to("+40700123456"),
                other => other.to_owned(),
            });
        }
        let mut command = menu_with_config(config.path());
        command.envs(env.iter().map(|(n, v)| (n, v))).args(&filled);
        let output = if args[0] == "signup" {
            // Asks for the code: typed in from what the mock printed.
            let mut child = command
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            let code = mock.code_sent_to("ana@example.com");
            use std::io::Write as _;
            let mut stdin = child.stdin.take().unwrap();
            writeln!(stdin, "{code}").unwrap();
            drop(stdin);
            tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
                .await
                .unwrap()
        } else {
            run(command).await
        };
        assert!(
            output.status.success(),
            "`{line}` failed: {}{}",
            text(&output.stdout),
            text(&output.stderr)
        );
        if args[0] == "signup" {
            let account: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
            customer = account["id"].as_str().unwrap().to_owned();
            assert!(text(&output.stderr).contains("stored in the profile `default`"));
        }
        ran += 1;
    }
    assert_eq!(ran, 8, "every command of the walkthrough ran");
}

/// Logs `menu` in on a fresh profile (in `config`) with a token of Dragos on `server`.
async fn logged_in(server: &MockServer, config: &std::path::Path) {
    let token = server.state().issue_token(DRAGOS).unwrap();
    let mut command = menu_with_config(config);
    command.args([
        "--base-url",
        server.base_url(),
        "--application-key",
        server.application_key(),
        "--token",
        token.value(),
        "login",
    ]);
    let output = run(command).await;
    assert!(output.status.success(), "{}", text(&output.stderr));
}

/// The token the profile `default` in `config` holds.
fn stored_token(config: &std::path::Path) -> String {
    let text = std::fs::read_to_string(config.join("menu/credentials.toml")).unwrap();
    let value: toml::Value = toml::from_str(&text).unwrap();
    value["profiles"]["default"]["token"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn signup_stores_a_private_profile_that_keeps_the_token_through_rotations() {
    let server = MockServer::start().await.unwrap();
    let config = tempfile::tempdir().unwrap();
    let email = "ana@example.com";
    // A code already requested (the generic command), then `signup --code`.
    let mut command = menu_with_config(config.path());
    command
        .env("MENU_BASE_URL", server.base_url())
        .env("MENU_APPLICATION_KEY", server.application_key())
        .args(["passwordless-request", "--email", email]);
    assert!(run(command).await.status.success());
    let code = server
        .state()
        .last_code(email, menu_mock::MessageKind::SignUpCode)
        .unwrap();
    let mut command = menu_with_config(config.path());
    command.args([
        "--base-url",
        server.base_url(),
        "--application-key",
        server.application_key(),
        "signup",
        "--email",
        email,
        "--code",
        &code,
    ]);
    let output = run(command).await;
    assert!(output.status.success(), "{}", text(&output.stderr));
    let account: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let customer = account["id"].as_str().unwrap().to_owned();
    let file = config.path().join("menu/credentials.toml");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    }
    let first = stored_token(config.path());
    // A customer command with no token flag or variable (nor base URL, nor key: the profile's).
    let mut command = menu_with_config(config.path());
    command.args(["update-customer-account", &customer, "--first-name", "Ana"]);
    let output = run(command).await;
    assert!(output.status.success(), "{}", text(&output.stderr));
    // `menu refresh` rotates the stored token: no --show-token, no --token-out.
    let mut command = menu_with_config(config.path());
    command.arg("refresh");
    let output = run(command).await;
    assert!(output.status.success(), "{}", text(&output.stderr));
    let second = stored_token(config.path());
    assert_ne!(first, second);
    assert!(
        !text(&output.stdout).contains(&second),
        "the token is not shown"
    );
    assert!(!server.state().accepts_token(&first, true));
    assert!(server.state().accepts_token(&second, false));
    // whoami shows the profile, secrets masked.
    let mut command = menu_with_config(config.path());
    command.arg("whoami");
    let shown = text(&run(command).await.stdout);
    assert!(
        shown.contains("profile: default") && shown.contains("customer "),
        "{shown}"
    );
    assert!(
        !shown.contains(&second) && !shown.contains(server.application_key()),
        "{shown}"
    );
    // A file others can read is refused.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        let mut command = menu_with_config(config.path());
        command.arg("refresh");
        let output = run(command).await;
        assert_clean_failure(&output, 2, &["other users can access it", "chmod 600"]);
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    assert_eq!(
        server.state().requests("refresh"),
        1,
        "the refused command sent nothing"
    );
    // Logout forgets the token: a customer command then sends nothing.
    let mut command = menu_with_config(config.path());
    command.arg("logout");
    assert!(run(command).await.status.success());
    let mut command = menu_with_config(config.path());
    command.arg("refresh");
    assert_clean_failure(&run(command).await, 2, &["no customer token"]);
    assert_eq!(server.state().requests("refresh"), 1);
}

#[tokio::test]
async fn eight_concurrent_refreshes_of_one_profile_take_turns() {
    let server = MockServer::start().await.unwrap();
    let config = tempfile::tempdir().unwrap();
    logged_in(&server, config.path()).await;
    let children: Vec<_> = (0..8)
        .map(|_| {
            menu_with_config(config.path())
                .arg("refresh")
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let outputs = tokio::task::spawn_blocking(move || {
        children
            .into_iter()
            .map(|child| child.wait_with_output().unwrap())
            .collect::<Vec<_>>()
    })
    .await
    .unwrap();
    for output in &outputs {
        assert!(output.status.success(), "{}", text(&output.stderr));
    }
    // Each sent the token the previous one stored: had two sent one token, the second would
    // have been refused (it was invalidated), and its `menu` would have failed.
    assert_eq!(server.state().requests("refresh"), 8);
    assert!(
        server
            .state()
            .accepts_token(&stored_token(config.path()), false)
    );
}

#[tokio::test]
async fn dry_run_prints_curl_with_masked_secrets_and_sends_nothing() {
    let server = MockServer::start().await.unwrap();
    let token = server.state().issue_token(DRAGOS).unwrap();
    let mut command = menu_for(&server);
    command.args([
        "--dry-run",
        "verify-phone-number-update",
        &DRAGOS.to_string(),
        "--confirmation-code",
        DRAGOS_CONFIRMATION_CODE,
    ]);
    let output = run(command).await;
    assert!(output.status.success(), "{}", text(&output.stderr));
    let curl = text(&output.stdout);
    for expected in [
        "curl --request POST 'http://127.0.0.1:",
        "/verify-phone-number-update'",
        "--header 'authorization: Bearer <redacted>'",
        "--header 'application: <redacted>'",
        "--data '{\"confirmation_code\":\"<redacted>\"}'",
    ] {
        assert!(curl.contains(expected), "{expected}: {curl}");
    }
    assert!(!curl.contains(token.value()) && !curl.contains(server.application_key()));
    assert!(
        !curl.contains(DRAGOS_CONFIRMATION_CODE),
        "the one-time code is masked: {curl}"
    );
    assert_eq!(
        server.state().requests("verify_phone_number_update"),
        0,
        "nothing was sent"
    );
}

#[tokio::test]
async fn completions_are_a_script_bash_accepts() {
    let mut command = menu();
    command.args(["completions", "bash"]);
    let output = run(command).await;
    assert!(output.status.success(), "{}", text(&output.stderr));
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("menu.bash");
    std::fs::write(&script, &output.stdout).unwrap();
    assert!(text(&output.stdout).contains("verify-phone-number-update"));
    let checked = Command::new("bash")
        .arg("-n")
        .arg(&script)
        .output()
        .unwrap();
    assert!(checked.status.success(), "{}", text(&checked.stderr));
}

#[tokio::test]
async fn mock_serve_help_shows_only_the_servers_options() {
    let mut command = menu();
    command.args(["mock", "serve", "--help"]);
    let help = text(&run(command).await.stdout);
    assert!(
        help.contains("--port") && help.contains("--state"),
        "{help}"
    );
    for global in ["--base-url", "--token", "--profile", "--dry-run"] {
        assert!(!help.contains(global), "{global}: {help}");
    }
}

/// Output for a reader that goes away after the first line (`menu --help | head -1`, without a
/// shell): the command ends quietly, as with SIGPIPE, with nothing on stderr.
#[test]
fn a_closed_pipe_ends_reproducible_output_quietly() {
    use std::io::Read as _;
    for args in [
        &["--help"][..],
        &["completions", "bash"],
        &["refresh", "--help"],
    ] {
        let mut child = menu()
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Exactly the first line (byte by byte), then the reader goes away.
        let mut stdout = child.stdout.take().unwrap();
        let mut first = Vec::new();
        let mut byte = [0u8];
        while stdout.read(&mut byte).unwrap() == 1 && byte[0] != b'\n' {
            first.push(byte[0]);
        }
        assert!(!first.is_empty(), "{args:?}: a first line");
        drop(stdout);
        let output = child.wait_with_output().unwrap();
        let stderr = text(&output.stderr);
        #[cfg(unix)]
        let piped = std::os::unix::process::ExitStatusExt::signal(&output.status)
            == Some(13 /* SIGPIPE */);
        #[cfg(not(unix))]
        let piped = false;
        assert!(
            output.status.success() || piped,
            "{args:?}: {:?}: {stderr}",
            output.status
        );
        assert_eq!(stderr, "", "{args:?}");
    }
}

/// An answer that carries no token is output that can be made again: a reader that went away
/// ends it quietly too (a token-issuing answer is still reported:
/// `a_closed_stdout_is_an_error_not_a_panic`).
#[tokio::test]
async fn a_closed_pipe_ends_an_answer_without_a_token_quietly() {
    let server = MockServer::start().await.unwrap();
    let mut command = menu_for(&server);
    command
        .args(["check-email", "--email", "someone@example.com"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let output = tokio::task::spawn_blocking(move || {
        let mut child = command.spawn().unwrap();
        drop(child.stdout.take());
        child.wait_with_output().unwrap()
    })
    .await
    .unwrap();
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(text(&output.stderr), "");
    assert_eq!(
        server.state().requests("check_email"),
        1,
        "the call was made"
    );
}

/// A command whose answer has no content prints nothing on stdout and says what happened on
/// stderr; one that revokes the token says so.
#[tokio::test]
async fn an_answer_without_content_says_what_happened() {
    let server = MockServer::start().await.unwrap();
    let mut command = menu_for(&server);
    command.args(["delete-customer-account", &DRAGOS.to_string(), "--yes"]);
    let output = run(command).await;
    let stderr = text(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert_eq!(text(&output.stdout), "", "stdout stays empty");
    assert!(
        stderr.contains("delete-customer-account: done (no content)."),
        "{stderr}"
    );
    assert!(stderr.contains("revoked the token given"), "{stderr}");
}

/// The token over plain `http://` to another host is refused, naming the way out; with it, a
/// dry run prints the request (192.0.2.10 is a documentation address: nothing is sent anyway).
#[tokio::test]
async fn plain_http_to_another_host_needs_allow_insecure_http() {
    let command = || {
        let mut command = menu();
        command
            .env("MENU_BASE_URL", "http://192.0.2.10/api")
            .env("MENU_APPLICATION_KEY", "f3a90488c7dd4b6e8b1e8e8c0f3b5a1d")
            .env(
                "MENU_TOKEN",
                "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl",
            )
            .args(["--dry-run", "refresh", "--show-token"]);
        command
    };
    let refused = run(command()).await;
    assert_clean_failure(&refused, 2, &["plain http://", "--allow-insecure-http"]);
    let mut allowed = command();
    allowed.arg("--allow-insecure-http");
    let output = run(allowed).await;
    assert!(output.status.success(), "{}", text(&output.stderr));
    let curl = text(&output.stdout);
    assert!(
        curl.starts_with("curl") && curl.contains("http://192.0.2.10/api/customers/refresh"),
        "{curl}"
    );
}

/// The customer's id defaults to the signed-in customer: omitted, or given as `me`, it is the
/// token's subject (shown by `--dry-run`); sent for real, the mock finds the token's customer.
#[tokio::test]
async fn me_is_the_signed_in_customer() {
    let server = MockServer::start().await.unwrap();
    let path = format!("/customer-accounts/{DRAGOS}");
    for args in [
        &["--dry-run", "update-customer-account", "--first-name", "D"][..],
        &[
            "--dry-run",
            "update-customer-account",
            "me",
            "--first-name",
            "D",
        ],
    ] {
        let mut command = menu_for(&server);
        command.args(args);
        let output = run(command).await;
        let curl = text(&output.stdout);
        assert!(
            output.status.success(),
            "{args:?}: {}",
            text(&output.stderr)
        );
        assert!(curl.contains(&path), "{args:?}: {curl}");
    }
    let mut command = menu_for(&server);
    command.args(["delete-customer-account", "--yes"]);
    let output = run(command).await;
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(server.state().requests("delete_customer_account"), 1);
    // Without a token, `me` names nobody: nothing is sent.
    let mut command = menu();
    command
        .env("MENU_BASE_URL", server.base_url())
        .env("MENU_APPLICATION_KEY", server.application_key())
        .args(["update-customer-account", "--first-name", "D"]);
    assert_clean_failure(&run(command).await, 2, &["`me`", "nothing was sent"]);
    assert_eq!(server.state().requests("update_customer_account"), 0);
}

#[path = "cli/help.rs"]
mod help;

#[path = "cli/host_binding.rs"]
mod host_binding;

#[path = "cli/debug.rs"]
mod debug;

// Checks before sending, and the confirmation of an operation that cannot be undone.
#[path = "cli/checks.rs"]
mod checks;

#[path = "cli/mock_serve.rs"]
mod mock_serve;

// `menu mock serve --state`: the database, its survival of SIGKILL, its refusals, the migration.
#[path = "cli/mock_state.rs"]
mod mock_state;

// One-time codes and the payload rule at the command line.
#[path = "cli/codes.rs"]
mod codes;

#[path = "cli/pipes.rs"]
mod pipes;
