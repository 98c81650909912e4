//! Credentials tied to their host: the profile's token and key go only to the base URL it is
//! bound to, or to its local proxy; `login` and `signup` bind; a 0.3 profile is bound to the
//! default host, once; `whoami` shows the binding. Every server here is on loopback, and the
//! default host is never contacted.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::*;

/// A loopback server that counts the connections made to it, and answers none.
struct Counting {
    url: String,
    connections: Arc<AtomicUsize>,
}

impl Counting {
    async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/api", listener.local_addr().unwrap());
        let connections = Arc::new(AtomicUsize::new(0));
        let counted = connections.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                counted.fetch_add(1, Ordering::SeqCst);
                drop(socket);
            }
        });
        Self { url, connections }
    }

    fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

/// The profile `default` in `config`, as the credentials file has it.
fn stored_profile(config: &std::path::Path) -> toml::Value {
    let text = std::fs::read_to_string(config.join("menu/credentials.toml")).unwrap();
    let value: toml::Value = toml::from_str(&text).unwrap();
    value["profiles"]["default"].clone()
}

/// `menu refresh` with the profile of `config` and nothing else: it must succeed.
async fn refreshes_with_the_profile(config: &std::path::Path) {
    let mut command = menu_with_config(config);
    command.arg("refresh");
    let output = run(command).await;
    assert!(output.status.success(), "{}", text(&output.stderr));
}

fn stored(config: &std::path::Path, key: &str) -> Option<String> {
    stored_profile(config)
        .get(key)
        .and_then(|v| v.as_str())
        .map(str::to_owned)
}

#[tokio::test]
async fn the_profiles_token_is_refused_to_another_host_and_nothing_is_sent() {
    let server = MockServer::start().await.unwrap();
    let other = Counting::start().await;
    let config = tempfile::tempdir().unwrap();
    logged_in(&server, config.path()).await;
    assert_eq!(
        stored(config.path(), "base_url").as_deref(),
        Some(server.base_url())
    );
    // By flag, by environment, and `localhost` for the profile's `127.0.0.1`: refused.
    let port = server.base_url().split(':').nth(2).unwrap();
    let localhost = format!("http://localhost:{port}");
    for (flag, env) in [
        (Some(other.url.as_str()), None),
        (None, Some(other.url.as_str())),
        (Some(localhost.as_str()), None),
    ] {
        let mut command = menu_with_config(config.path());
        if let Some(url) = flag {
            command.args(["--base-url", url]);
        }
        if let Some(url) = env {
            command.env("MENU_BASE_URL", url);
        }
        command.arg("refresh");
        let output = run(command).await;
        let shown = flag.or(env).unwrap();
        assert_clean_failure(
            &output,
            2,
            &[
                "token and application key are bound to",
                server.base_url(),
                shown,
                "nothing was sent",
                "--profile",
                "--token",
                &format!("menu login --base-url {shown}"),
            ],
        );
    }
    // The key alone (a token given, the key the profile's) is refused too.
    let token = server.state().issue_token(DRAGOS).unwrap();
    let mut command = menu_with_config(config.path());
    command.args(["--base-url", &other.url, "--token", token.value()]);
    command.args(["refresh", "--show-token"]);
    assert_clean_failure(
        &run(command).await,
        2,
        &["application key is bound to", "--application-key"],
    );
    assert_eq!(other.connections(), 0, "nothing was sent to the other host");
    assert_eq!(server.state().requests("refresh"), 0);
    // A token and a key given explicitly go where the user says (a dry run: the counting
    // server answers nothing).
    let mut command = menu_with_config(config.path());
    command.args([
        "--base-url",
        &other.url,
        "--token",
        token.value(),
        "--application-key",
        server.application_key(),
        "--dry-run",
        "refresh",
        "--show-token",
    ]);
    let output = run(command).await;
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(
        text(&output.stdout).contains(&other.url),
        "{}",
        text(&output.stdout)
    );
    // The profile's own URL, written otherwise (scheme and host case, a trailing slash): sent.
    let mut command = menu_with_config(config.path());
    let written = format!("HTTP://127.0.0.1:{port}/");
    command.args(["--base-url", &written, "refresh"]);
    let output = run(command).await;
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(server.state().requests("refresh"), 1);
}

/// A profile of `menu` 0.3: a token and a key, no base URL. It is bound to the default host (where
/// 0.3 sent them), written to the profile, and said once.
#[tokio::test]
async fn a_0_3_profile_is_bound_to_the_default_host_and_told_once() {
    let server = MockServer::start().await.unwrap();
    let other = Counting::start().await;
    let config = tempfile::tempdir().unwrap();
    let token = server.state().issue_token(DRAGOS).unwrap();
    let dir = config.path().join("menu");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("credentials.toml");
    std::fs::write(
        &file,
        format!(
            "[profiles.default]\napplication_key = \"{}\"\ntoken = \"{}\"\n",
            server.application_key(),
            token.value()
        ),
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let default = menu_sdk::DEFAULT_BASE_URL;
    let mut command = menu_with_config(config.path());
    command.arg("whoami");
    let output = run(command).await;
    assert!(output.status.success(), "{}", text(&output.stderr));
    let stderr = text(&output.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("had no base URL") && stderr.contains(default),
        "{stderr}"
    );
    assert!(
        text(&output.stdout).contains(&format!("bound to: {default}")),
        "{}",
        text(&output.stdout)
    );
    assert_eq!(stored(config.path(), "base_url").as_deref(), Some(default));
    assert_eq!(
        stored(config.path(), "token").as_deref(),
        Some(token.value())
    );
    // Said once: the binding is in the profile now.
    let mut command = menu_with_config(config.path());
    command.arg("whoami");
    let output = run(command).await;
    assert!(output.status.success());
    assert_eq!(text(&output.stderr), "", "told once");
    // Bound: another base URL with the profile's token is refused, naming the default host.
    let mut command = menu_with_config(config.path());
    command.env("MENU_BASE_URL", &other.url).arg("refresh");
    assert_clean_failure(&run(command).await, 2, &[default, &other.url]);
    assert_eq!(other.connections(), 0);
}

/// A 0.3 profile met by a command that sends (here a dry run, which sends nothing) is bound too.
#[tokio::test]
async fn a_0_3_profile_is_bound_by_any_command() {
    let config = tempfile::tempdir().unwrap();
    let dir = config.path().join("menu");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("credentials.toml");
    std::fs::write(
        &file,
        "# 0.3\n[profiles.default]\ntoken = \"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln\"\napplication_key = \"f3a90488c7dd4b6e8b1e8e8c0f3b5a1d\"\nlater = 1\n",
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let mut command = menu_with_config(config.path());
    command.args(["--dry-run", "refresh"]);
    let output = run(command).await;
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(text(&output.stderr).contains("had no base URL"));
    assert!(text(&output.stdout).contains(menu_sdk::DEFAULT_BASE_URL));
    let profile = stored_profile(config.path());
    assert_eq!(
        profile["base_url"].as_str(),
        Some(menu_sdk::DEFAULT_BASE_URL)
    );
    assert_eq!(
        profile["later"].as_integer(),
        Some(1),
        "unknown keys are kept"
    );
}

#[tokio::test]
async fn login_and_signup_bind_the_profile_to_the_url_they_used() {
    let first = MockServer::start().await.unwrap();
    let second = MockServer::start().await.unwrap();
    let config = tempfile::tempdir().unwrap();
    logged_in(&first, config.path()).await;
    // A new token for another host: the profile is rebound to it.
    let token = second.state().issue_token(DRAGOS).unwrap();
    let mut command = menu_with_config(config.path());
    command.args([
        "--base-url",
        second.base_url(),
        "--application-key",
        second.application_key(),
        "--token",
        token.value(),
        "login",
    ]);
    let output = run(command).await;
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(text(&output.stderr).contains(&format!("bound to {}", second.base_url())));
    assert_eq!(
        stored(config.path(), "base_url").as_deref(),
        Some(second.base_url())
    );
    refreshes_with_the_profile(config.path()).await;
    assert_eq!(
        (
            first.state().requests("refresh"),
            second.state().requests("refresh")
        ),
        (0, 1)
    );
    // Rebinding on purpose, keeping the token (none on standard input).
    let kept = stored(config.path(), "token");
    let mut command = menu_with_config(config.path());
    command.args(["--base-url", first.base_url(), "login"]);
    let output = run(command).await;
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(
        stored(config.path(), "base_url").as_deref(),
        Some(first.base_url())
    );
    assert_eq!(stored(config.path(), "token"), kept);
    // A token given without a base URL binds to the default host: not to the old URL.
    let mut command = menu_with_config(config.path());
    command.args(["--token", token.value(), "login"]);
    let output = run(command).await;
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(
        stored(config.path(), "base_url").as_deref(),
        Some(menu_sdk::DEFAULT_BASE_URL)
    );
    // `signup` with another URL than the profile's binds the profile to it.
    let email = "ana@example.com";
    // The code is requested with no profile.
    let mut command = menu();
    command
        .env("MENU_BASE_URL", second.base_url())
        .env("MENU_APPLICATION_KEY", second.application_key())
        .args(["passwordless-request", "--email", email]);
    let output = run(command).await;
    assert!(output.status.success(), "{}", text(&output.stderr));
    let code = second
        .state()
        .last_code(email, menu_mock::MessageKind::SignUpCode)
        .unwrap();
    let mut command = menu_with_config(config.path());
    command
        .env("MENU_BASE_URL", second.base_url())
        .env("MENU_APPLICATION_KEY", second.application_key())
        .args(["signup", "--email", email, "--code", &code]);
    let output = run(command).await;
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(
        stored(config.path(), "base_url").as_deref(),
        Some(second.base_url())
    );
}

/// A local proxy in front of the real API: the profile's token goes to it, rotated and kept in the
/// same profile, with no second profile holding a copy. The bound host (a `.example` name) is
/// never contacted: the mock plays the proxy.
#[tokio::test]
async fn the_profiles_token_goes_to_its_local_proxy_without_a_second_profile() {
    let proxy = MockServer::start().await.unwrap();
    let config = tempfile::tempdir().unwrap();
    let upstream = "https://api.menu.example/api";
    let token = proxy.state().issue_token(DRAGOS).unwrap();
    // Not on this machine: refused, nothing stored.
    let mut command = menu_with_config(config.path());
    command.args(["--base-url", upstream, "--token", token.value()]);
    command.args(["login", "--proxy-url", "http://192.0.2.10/api"]);
    assert_clean_failure(&run(command).await, 2, &["--proxy-url", "this machine"]);
    assert!(!config.path().join("menu/credentials.toml").exists());
    let mut command = menu_with_config(config.path());
    command.args([
        "--base-url",
        upstream,
        "--application-key",
        proxy.application_key(),
        "--token",
        token.value(),
        "login",
        "--proxy-url",
        proxy.base_url(),
    ]);
    let output = run(command).await;
    assert!(output.status.success(), "{}", text(&output.stderr));
    // whoami shows the binding and the proxy.
    let mut command = menu_with_config(config.path());
    command.arg("whoami");
    let shown = text(&run(command).await.stdout);
    assert!(
        shown.contains(&format!("bound to: {upstream}"))
            && shown.contains(&format!("local proxy {}", proxy.base_url())),
        "{shown}"
    );
    // Through the proxy, the profile's own token, rotated and kept in the profile.
    let mut command = menu_with_config(config.path());
    command
        .env("MENU_BASE_URL", proxy.base_url())
        .arg("refresh");
    let output = run(command).await;
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(proxy.state().requests("refresh"), 1);
    let rotated = stored(config.path(), "token").unwrap();
    assert_ne!(rotated, token.value());
    assert!(proxy.state().accepts_token(&rotated, false));
    // Another loopback URL is no proxy of the profile's.
    let other = Counting::start().await;
    let mut command = menu_with_config(config.path());
    command.env("MENU_BASE_URL", &other.url).arg("refresh");
    assert_clean_failure(&run(command).await, 2, &[upstream, &other.url]);
    assert_eq!(other.connections(), 0);
    // A login without --proxy-url drops it.
    let mut command = menu_with_config(config.path());
    command.args(["--base-url", upstream, "login"]);
    assert!(run(command).await.status.success());
    assert_eq!(stored(config.path(), "proxy_url"), None);
}

/// A one-time code for `email`, requested from `server` with flags (no profile involved).
async fn code_from(server: &MockServer, email: &str) -> String {
    let mut command = menu();
    command.args([
        "--base-url",
        server.base_url(),
        "--application-key",
        server.application_key(),
        "passwordless-request",
        "--email",
        email,
    ]);
    let output = run(command).await;
    assert!(output.status.success(), "{}", text(&output.stderr));
    server
        .state()
        .last_code(email, menu_mock::MessageKind::SignUpCode)
        .unwrap()
}

/// `menu signup` without a base URL registers at the profile's host, and says and keeps that
/// binding (it said, and wrote, the default host).
#[tokio::test]
async fn signup_without_a_base_url_stays_bound_to_the_host_it_registered_at() {
    let server = MockServer::start().await.unwrap();
    let config = tempfile::tempdir().unwrap();
    logged_in(&server, config.path()).await;
    let email = "bo@example.com";
    let code = code_from(&server, email).await;
    let mut command = menu_with_config(config.path());
    command.args(["signup", "--email", email, "--code", &code]);
    let output = run(command).await;
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(server.state().requests("register"), 1);
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains(&format!("bound to {}.", server.base_url())),
        "{stderr}"
    );
    assert!(!stderr.contains(menu_sdk::DEFAULT_BASE_URL), "{stderr}");
    assert_eq!(
        stored(config.path(), "base_url").as_deref(),
        Some(server.base_url())
    );
    // The new customer's token works there, with no flag.
    refreshes_with_the_profile(config.path()).await;
    assert_eq!(server.state().requests("refresh"), 1);
}

/// A token issued by the generic `register` command is stored with its binding (and the key
/// that went with it): `whoami` has no 0.3 profile to bind to the default host.
#[tokio::test]
async fn a_token_register_issues_is_stored_bound_to_the_host_that_issued_it() {
    let server = MockServer::start().await.unwrap();
    let config = tempfile::tempdir().unwrap();
    let email = "cy@example.com";
    let code = code_from(&server, email).await;
    let mut command = menu_with_config(config.path());
    command.args([
        "--base-url",
        server.base_url(),
        "--application-key",
        server.application_key(),
        "register",
        "--passwordless-email",
        email,
        "--passwordless-code",
        &code,
    ]);
    let output = run(command).await;
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(stored(config.path(), "token").is_some());
    assert_eq!(
        stored(config.path(), "base_url").as_deref(),
        Some(server.base_url())
    );
    assert_eq!(
        stored(config.path(), "application_key").as_deref(),
        Some(server.application_key())
    );
    let mut command = menu_with_config(config.path());
    command.arg("whoami");
    let output = run(command).await;
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(text(&output.stderr), "", "no binding to the default host");
    assert!(
        text(&output.stdout).contains(&format!("bound to: {}", server.base_url())),
        "{}",
        text(&output.stdout)
    );
    refreshes_with_the_profile(config.path()).await;
    assert_eq!(server.state().requests("refresh"), 1);
}

/// A profile bound to one host, its token dropped by `logout`: a token `register` issues at
/// another host (with that host's key) rebinds the profile there, never under the old binding,
/// and the old host's key does not follow it.
#[tokio::test]
async fn a_token_issued_elsewhere_after_logout_rebinds_the_profile() {
    let first = MockServer::start().await.unwrap();
    let second = MockServer::start().await.unwrap();
    let config = tempfile::tempdir().unwrap();
    logged_in(&first, config.path()).await;
    let mut command = menu_with_config(config.path());
    command.arg("logout");
    assert!(run(command).await.status.success());
    let email = "di@example.com";
    let code = code_from(&second, email).await;
    let mut command = menu_with_config(config.path());
    command.args([
        "--base-url",
        second.base_url(),
        "--application-key",
        second.application_key(),
        "register",
        "--passwordless-email",
        email,
        "--passwordless-code",
        &code,
    ]);
    let output = run(command).await;
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(
        stored(config.path(), "base_url").as_deref(),
        Some(second.base_url())
    );
    assert_eq!(
        stored(config.path(), "application_key").as_deref(),
        Some(second.application_key())
    );
    // The profile now goes to the host that issued its token, and only there.
    refreshes_with_the_profile(config.path()).await;
    assert_eq!(
        (
            first.state().requests("refresh"),
            second.state().requests("refresh")
        ),
        (0, 1)
    );
    let mut command = menu_with_config(config.path());
    command
        .env("MENU_BASE_URL", first.base_url())
        .arg("refresh");
    assert_clean_failure(
        &run(command).await,
        2,
        &[second.base_url(), first.base_url()],
    );
    assert_eq!(first.state().requests("refresh"), 0);
}

/// `menu login` keeping the profile's token (none given) keeps its binding too, unless a base URL
/// is given: `--proxy-url` alone adds the proxy (it rebound the token to the default host).
#[tokio::test]
async fn login_keeping_the_token_keeps_its_binding() {
    let server = MockServer::start().await.unwrap();
    let config = tempfile::tempdir().unwrap();
    logged_in(&server, config.path()).await;
    let token = stored(config.path(), "token");
    let proxy = "http://127.0.0.1:9/api";
    let mut command = menu_with_config(config.path());
    command.args(["login", "--proxy-url", proxy]);
    let output = run(command).await;
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(
        text(&output.stderr).contains(&format!(
            "bound to {} and its local proxy {proxy}",
            server.base_url()
        )),
        "{}",
        text(&output.stderr)
    );
    assert_eq!(
        stored(config.path(), "base_url").as_deref(),
        Some(server.base_url())
    );
    assert_eq!(stored(config.path(), "proxy_url").as_deref(), Some(proxy));
    assert_eq!(stored(config.path(), "token"), token);
    // And the token still goes there.
    refreshes_with_the_profile(config.path()).await;
    assert_eq!(server.state().requests("refresh"), 1);
    // MENU_BASE_URL given explicitly rebinds it.
    let mut command = menu_with_config(config.path());
    command
        .env("MENU_BASE_URL", menu_sdk::DEFAULT_BASE_URL)
        .arg("login");
    let output = run(command).await;
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(
        stored(config.path(), "base_url").as_deref(),
        Some(menu_sdk::DEFAULT_BASE_URL)
    );
    assert_eq!(stored(config.path(), "proxy_url"), None);
}

/// An operation that takes a token only when there is one, sent to another host than the
/// profile's: it goes without the profile's token (not sent, and the profile left as it is),
/// only the application key is checked. One that issues a token there is still refused: the
/// token it would store belongs to another host.
#[tokio::test]
async fn an_optional_token_operation_to_another_host_goes_without_the_profiles_token() {
    let first = MockServer::start().await.unwrap();
    let second = MockServer::start().await.unwrap();
    let config = tempfile::tempdir().unwrap();
    logged_in(&first, config.path()).await;
    let before = stored_profile(config.path());
    let email = "ed@example.com";
    let request = |url: &str, key: Option<&str>, dry_run: bool| {
        let mut command = menu_with_config(config.path());
        command.args(["--base-url", url]);
        if let Some(key) = key {
            command.args(["--application-key", key]);
        }
        if dry_run {
            command.arg("--dry-run");
        }
        command.args(["passwordless-request", "--email", email]);
        command
    };
    // The profile's key is refused to the other host, and the advice is about the key only.
    let output = run(request(second.base_url(), None, false)).await;
    assert_clean_failure(
        &output,
        2,
        &["application key is bound to", "--application-key"],
    );
    assert!(
        !text(&output.stderr).contains("--token"),
        "{}",
        text(&output.stderr)
    );
    assert_eq!(second.state().requests("passwordless_request"), 0);
    // With the other host's key: sent, without the profile's token.
    let shown = run(request(
        second.base_url(),
        Some(second.application_key()),
        true,
    ))
    .await;
    assert!(shown.status.success(), "{}", text(&shown.stderr));
    assert!(
        !text(&shown.stdout).to_lowercase().contains("authorization"),
        "{}",
        text(&shown.stdout)
    );
    let output = run(request(
        second.base_url(),
        Some(second.application_key()),
        false,
    ))
    .await;
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(second.state().requests("passwordless_request"), 1);
    assert_eq!(
        stored_profile(config.path()),
        before,
        "the profile is unchanged"
    );
    // To the profile's own host, the token goes.
    let shown = run(request(first.base_url(), None, true)).await;
    assert!(shown.status.success(), "{}", text(&shown.stderr));
    assert!(
        text(&shown.stdout).to_lowercase().contains("authorization"),
        "{}",
        text(&shown.stdout)
    );
    // `register` issues a token: to the other host it is refused, nothing sent.
    let code = second
        .state()
        .last_code(email, menu_mock::MessageKind::SignUpCode)
        .unwrap();
    let mut command = menu_with_config(config.path());
    command.args([
        "--base-url",
        second.base_url(),
        "--application-key",
        second.application_key(),
        "register",
        "--passwordless-email",
        email,
        "--passwordless-code",
        &code,
    ]);
    assert_clean_failure(
        &run(command).await,
        2,
        &["token is bound to", first.base_url(), "nothing was sent"],
    );
    assert_eq!(second.state().requests("register"), 0);
    assert_eq!(stored_profile(config.path()), before);
}

/// A base URL or proxy URL the client could not use is refused by `login` and `signup`, nothing
/// stored, its secrets not repeated; one written otherwise is stored as the client uses it.
#[tokio::test]
async fn login_refuses_a_base_url_the_client_cannot_use() {
    let server = MockServer::start().await.unwrap();
    let config = tempfile::tempdir().unwrap();
    let token = server.state().issue_token(DRAGOS).unwrap();
    for (base, proxy, expected) in [
        ("https://h.example/api?x", None, "query"),
        ("https://user:hunter2@h.example/api", None, "credentials"),
        ("https://h.example/api#f", None, "fragment"),
        ("ftp://h.example/api", None, "http://"),
        (
            "https://h.example/api",
            Some("http://127.0.0.1:9/api?x"),
            "--proxy-url",
        ),
        (
            "https://h.example/api",
            Some("http://me:hunter2@127.0.0.1:9/api"),
            "credentials",
        ),
    ] {
        let mut command = menu_with_config(config.path());
        command.args(["--base-url", base, "--token", token.value(), "login"]);
        if let Some(proxy) = proxy {
            command.args(["--proxy-url", proxy]);
        }
        let output = run(command).await;
        assert_clean_failure(&output, 2, &[expected]);
        assert!(
            !text(&output.stderr).contains("hunter2"),
            "{}",
            text(&output.stderr)
        );
        assert!(
            !config.path().join("menu/credentials.toml").exists(),
            "{base}"
        );
    }
    let mut command = menu_with_config(config.path());
    command.env("MENU_BASE_URL", "https://user:hunter2@h.example/api");
    command.args(["signup", "--email", "fa@example.com", "--code", "1"]);
    let output = run(command).await;
    assert_clean_failure(&output, 2, &["credentials"]);
    assert!(!text(&output.stderr).contains("hunter2"));
    // Written otherwise, stored as the client uses it: and then it works.
    let port = server.base_url().split(':').nth(2).unwrap();
    let mut command = menu_with_config(config.path());
    command.args([
        "--base-url",
        &format!(" HTTP://127.0.0.1:{port}/ "),
        "--application-key",
        server.application_key(),
        "--token",
        token.value(),
        "login",
        "--proxy-url",
        &format!("HTTP://LOCALHOST:{port}/"),
    ]);
    let output = run(command).await;
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(
        stored(config.path(), "base_url").as_deref(),
        Some(server.base_url())
    );
    assert_eq!(
        stored(config.path(), "proxy_url"),
        Some(format!("http://localhost:{port}"))
    );
    refreshes_with_the_profile(config.path()).await;
}
