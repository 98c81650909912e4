//! Closed pipes, run without a shell: a reader of stderr that goes away under `-v` or `-vv`
//! loses lines, never the token a refresh rotates; a reader of `--dry-run`'s curl that goes away
//! ends it quietly.

use super::*;

use std::io::Read as _;
use std::process::Child;

/// A loopback TCP proxy to `target` that holds every connection until [`Gate::open`]: what the
/// command writes before it has its answer is written before the test goes on.
struct Gate {
    url: String,
    open: tokio::sync::watch::Sender<bool>,
}

impl Gate {
    async fn to(target: &str) -> Self {
        let target = url_authority(target);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/api", listener.local_addr().unwrap());
        let (open, opened) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let (mut opened, target) = (opened.clone(), target.clone());
                tokio::spawn(async move {
                    if opened.wait_for(|open| *open).await.is_err() {
                        return;
                    }
                    let mut server = tokio::net::TcpStream::connect(target).await.unwrap();
                    let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                });
            }
        });
        Self { url, open }
    }

    fn open(&self) {
        self.open.send_replace(true);
    }
}

/// `host:port` of a loopback URL.
fn url_authority(url: &str) -> String {
    let rest = url.strip_prefix("http://").unwrap();
    rest.split('/').next().unwrap().to_owned()
}

/// Reads one line (byte by byte: nothing more) from `from`.
fn first_line(from: &mut impl std::io::Read) -> String {
    let mut line = Vec::new();
    let mut byte = [0u8];
    while from.read(&mut byte).unwrap() == 1 {
        line.push(byte[0]);
        if byte[0] == b'\n' {
            break;
        }
    }
    text(&line)
}

/// Whether `status` is a success or death by SIGPIPE.
fn success_or_sigpipe(status: std::process::ExitStatus) -> bool {
    #[cfg(unix)]
    let piped =
        std::os::unix::process::ExitStatusExt::signal(&status) == Some(13 /* SIGPIPE */);
    #[cfg(not(unix))]
    let piped = false;
    status.success() || piped
}

/// `child`'s stdout, read whole, and its exit status.
fn finish(mut child: Child) -> (String, std::process::ExitStatus) {
    let mut stdout = String::new();
    if let Some(mut out) = child.stdout.take() {
        out.read_to_string(&mut stdout).unwrap();
    }
    (stdout, child.wait().unwrap())
}

/// `menu <verbosity> refresh` on a profile, its stderr closed after the first line (the request
/// line, written before the request goes out): it succeeds, and the profile's token is the new
/// one, which a second refresh uses.
async fn a_closed_stderr_keeps_the_rotated_token(verbosity: &'static str) {
    let server = MockServer::start().await.unwrap();
    let gate = Gate::to(server.base_url()).await;
    let config = tempfile::tempdir().unwrap();
    let token = server.state().issue_token(DRAGOS).unwrap();
    let mut login = menu_with_config(config.path());
    login.args(["--base-url", &gate.url]);
    login.args(["--application-key", server.application_key()]);
    login.args(["--token", token.value(), "login"]);
    let output = run(login).await;
    assert!(output.status.success(), "{}", text(&output.stderr));

    let mut command = menu_with_config(config.path());
    command
        .args([verbosity, "refresh"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let first = tokio::task::spawn_blocking(move || first_line(&mut stderr))
        .await
        .unwrap(); // and stderr is closed
    assert!(first.starts_with("> GET http://127.0.0.1:"), "{first}");
    gate.open(); // the answer comes only now: what tells of it meets the closed pipe
    let (stdout, status) = tokio::task::spawn_blocking(move || finish(child))
        .await
        .unwrap();
    assert!(status.success(), "{verbosity}: {status:?}: {stdout}");
    assert!(stdout.contains("\"token\""), "{stdout}");
    let rotated = stored_token(config.path());
    assert_ne!(
        rotated,
        token.value(),
        "{verbosity}: the profile keeps the new token"
    );
    assert!(server.state().accepts_token(&rotated, false));

    let mut again = menu_with_config(config.path());
    again.arg("refresh");
    let output = run(again).await;
    assert!(
        output.status.success(),
        "{verbosity}: the second refresh: {}",
        text(&output.stderr)
    );
    assert_ne!(stored_token(config.path()), rotated);
}

#[tokio::test]
async fn a_closed_stderr_under_vv_keeps_the_rotated_token() {
    a_closed_stderr_keeps_the_rotated_token("-vv").await;
}

#[tokio::test]
async fn a_closed_stderr_under_v_keeps_the_rotated_token() {
    a_closed_stderr_keeps_the_rotated_token("-v").await;
}

/// `menu --dry-run ... | head -1`, without a shell: the curl command is output that can be made
/// again, so a reader that goes away after its first line ends it quietly.
#[tokio::test]
async fn a_closed_pipe_ends_a_dry_run_quietly() {
    let server = MockServer::start().await.unwrap();
    let mut command = menu_for(&server);
    command
        .args(["--dry-run", "check-email", "--email", "someone@example.com"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let output = tokio::task::spawn_blocking(move || {
        let mut child = command.spawn().unwrap();
        let mut stdout = child.stdout.take().unwrap();
        let first = first_line(&mut stdout);
        drop(stdout);
        (first, child.wait_with_output().unwrap())
    })
    .await
    .unwrap();
    let (first, output) = output;
    assert!(first.starts_with("curl --request "), "{first}");
    assert!(success_or_sigpipe(output.status), "{:?}", output.status);
    assert_eq!(text(&output.stderr), "");
    assert_eq!(
        server.state().requests("check_email"),
        0,
        "nothing was sent"
    );
}

/// The customer's loyalty token (a header parameter the spec marks `x-secret`) is masked by
/// `--dry-run`, `-v` and `-vv`, and sent.
#[tokio::test]
async fn the_loyalty_token_is_masked_in_every_view_of_the_request() {
    let server = MockServer::start().await.unwrap();
    let secret = "loyalty-token-4f1d9c";
    for view in ["--dry-run", "-v", "-vv"] {
        let mut command = menu_for(&server);
        command.args([
            view,
            "update-customer-account",
            &DRAGOS.to_string(),
            "--first-name",
            "Dragos",
            "--dlc-authorization",
            secret,
        ]);
        let output = run(command).await;
        assert!(output.status.success(), "{view}: {}", text(&output.stderr));
        let shown = format!("{}{}", text(&output.stdout), text(&output.stderr));
        assert!(!shown.contains(secret), "{view}: {shown}");
        assert!(
            shown.contains("dlc-authorization: <redacted>"),
            "{view}: {shown}"
        );
    }
    assert_eq!(
        server.state().requests("update_customer_account"),
        2,
        "-v and -vv sent it"
    );
}
