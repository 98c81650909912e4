//! What `menu mock serve` tells its user, gathered once ([`Announcement`]) and written in the form
//! asked for ([`Form`]): the human banner, `--print-env`'s shell lines, or `--json`'s one object.
//! Every form is built from the same parts, so they cannot disagree.

use std::net::IpAddr;
use std::path::PathBuf;

use menu_mock::state::{DRAGOS, DRAGOS_CONFIRMATION_CODE, IVAN, IVAN_CONFIRMATION_CODE};
use menu_mock::{MockServer, OUTBOX_PATH};
use menu_sdk::{Uuid, env};
use serde::Serialize;

use crate::show::shell_word;

/// The seeded customers (the reference pages' two) and the code of each one's seeded phone number
/// change.
const SEEDED: [(Uuid, &str); 2] = [
    (DRAGOS, DRAGOS_CONFIRMATION_CODE),
    (IVAN, IVAN_CONFIRMATION_CODE),
];

/// How `menu mock serve` tells what to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// For a person: the banner on stdout (settings, test customers, notes), messages on stdout.
    Banner,
    /// For a shell: only the `export` lines on stdout; the rest, and the messages, on stderr.
    PrintEnv,
    /// For a program: one JSON object line on stdout; the rest, and the messages, on stderr.
    Json,
}

impl Form {
    /// Whether the messages the mock sends (and its warnings) go to stderr, leaving stdout to the
    /// machine-readable form.
    pub fn notices_on_stderr(self) -> bool {
        self != Self::Banner
    }
}

/// Everything `menu mock serve` tells its user. No `Debug`: it holds tokens.
#[derive(Serialize)]
pub struct Announcement {
    /// The API's base URL on the mock.
    base_url: String,
    /// An application key the mock accepts.
    application_key: String,
    /// Where the mock lists the messages it sent.
    outbox_url: String,
    /// The seeded customers that still exist, each with a fresh token: for tests and contract
    /// checks that need a customer at once, not for the walkthrough (which signs one up).
    test_customers: Vec<TestCustomer>,
    #[serde(skip)]
    state_file: Option<PathBuf>,
    #[serde(skip)]
    host: IpAddr,
}

/// A seeded customer and a token of theirs.
#[derive(Serialize)]
struct TestCustomer {
    id: Uuid,
    name: String,
    /// A fresh token of the customer (for `--token`, or a test's `Authorization`).
    token: String,
    /// The code of their seeded phone number change, while it is pending.
    pending_phone_number_change_code: Option<&'static str>,
}

impl Announcement {
    /// What to tell about `server`, listening on `host`, its state kept in `state_file`.
    pub fn of(server: &MockServer, host: IpAddr, state_file: Option<PathBuf>) -> Self {
        let state = server.state();
        let test_customers = SEEDED
            .iter()
            .filter_map(|&(id, code)| {
                // Unless a saved state has deleted them.
                let account = state.customer(id)?;
                let token = state.issue_token(id).ok()?;
                Some(TestCustomer {
                    id,
                    name: format!("{} {}", account.first_name, account.last_name)
                        .trim()
                        .to_owned(),
                    token: token.value().to_owned(),
                    pending_phone_number_change_code: account
                        .has_pending_phone_number_change
                        .then_some(code),
                })
            })
            .collect();
        Self {
            base_url: server.base_url().to_owned(),
            application_key: server.application_key().to_owned(),
            outbox_url: format!("http://{}{OUTBOX_PATH}", server.addr()),
            test_customers,
            state_file,
            host,
        }
    }

    /// What goes to stdout, then what goes to stderr, at start, in `form`.
    pub fn render(&self, form: Form) -> (String, String) {
        match form {
            Form::Banner => (self.banner(), String::new()),
            Form::PrintEnv => (self.env_lines(), self.status()),
            Form::Json => (self.json_line(), self.status()),
        }
    }

    /// The first line of every form meant for a person.
    fn heading(&self) -> String {
        format!(
            "menu mock server listening on {} (Ctrl-C to stop)",
            self.base_url
        )
    }

    /// The settings a `menu` (or an SDK client's `from_env`) in another shell needs, as shell
    /// lines: what `--print-env` prints, and the banner shows.
    fn env_lines(&self) -> String {
        [
            (env::BASE_URL, &self.base_url),
            (env::APPLICATION_KEY, &self.application_key),
        ]
        .iter()
        .map(|(name, value)| format!("export {name}={}", shell_word(value)))
        .collect::<Vec<_>>()
        .join("\n")
    }

    /// `--json`'s line.
    fn json_line(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
    }

    /// The notes that follow the settings: the outbox, the state file, a non-loopback host.
    fn notes(&self) -> Vec<String> {
        let mut notes = vec![
            "# Codes the mock sends (sign-up, email and phone changes) are printed as they are \
             sent,"
                .to_owned(),
            format!("# and listed at {}", self.outbox_url),
        ];
        if let Some(file) = &self.state_file {
            notes.push(format!(
                "# State kept in the database {} (each change committed before its answer)",
                file.display()
            ));
        }
        if !self.host.is_loopback() {
            notes.push(format!(
                "# warning: listening on {}, not loopback: the mock is for tests, not for a network",
                self.host
            ));
        }
        notes
    }

    /// The heading and the notes: stderr's part of `--print-env` and `--json`.
    fn status(&self) -> String {
        let mut lines = vec![self.heading()];
        lines.extend(self.notes());
        lines.join("\n")
    }

    /// The test customers, for a person: tokens to pass on purpose, never lines to paste.
    fn customers(&self) -> Vec<String> {
        let Some(first) = self.test_customers.first() else {
            return Vec::new();
        };
        let mut lines = vec![
            "# Seeded test customers. To act as one on purpose, pass its token with --token, e.g."
                .to_owned(),
            format!(
                "#   menu --token TOKEN verify-phone-number-update --confirmation-code {}",
                first.pending_phone_number_change_code.unwrap_or("CODE")
            ),
        ];
        for customer in &self.test_customers {
            let pending = customer
                .pending_phone_number_change_code
                .map(|code| format!(", phone number change code {code}"))
                .unwrap_or_default();
            lines.push(format!(
                "# {}, {}{pending}, token:\n#   {}",
                customer.name, customer.id, customer.token
            ));
        }
        lines
    }

    /// The human banner: the heading, the settings to paste, a first step, the test customers,
    /// the notes.
    fn banner(&self) -> String {
        let mut lines = vec![
            self.heading(),
            String::new(),
            "# Use it from another shell (paste these lines; --print-env prints only them):"
                .to_owned(),
            self.env_lines(),
            "# then sign up a customer (their profile keeps the token): menu signup --email EMAIL"
                .to_owned(),
        ];
        let customers = self.customers();
        if !customers.is_empty() {
            lines.push(String::new());
            lines.extend(customers);
        }
        lines.push(String::new());
        lines.extend(self.notes());
        lines.join("\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn announcement(state_file: Option<PathBuf>) -> (MockServer, Announcement) {
        let server = MockServer::start().await.unwrap();
        let announcement = Announcement::of(&server, "127.0.0.1".parse().unwrap(), state_file);
        (server, announcement)
    }

    #[tokio::test]
    async fn the_banner_shows_the_env_lines_and_never_asks_to_export_a_token() {
        let (_server, announcement) = announcement(None).await;
        let (stdout, stderr) = announcement.render(Form::Banner);
        assert!(stderr.is_empty());
        assert!(stdout.contains(&announcement.env_lines()), "{stdout}");
        assert!(!stdout.contains(env::TOKEN), "{stdout}");
        let exports: Vec<&str> = stdout
            .lines()
            .filter(|l| l.starts_with("export "))
            .collect();
        assert_eq!(exports.len(), 2, "{stdout}");
        for customer in &announcement.test_customers {
            assert!(
                stdout.contains(&format!("#   {}", customer.token)),
                "{stdout}"
            );
        }
        assert!(stdout.contains("--token TOKEN"), "{stdout}");
    }

    #[tokio::test]
    async fn print_env_is_only_the_export_lines_and_json_one_line() {
        let (server, announcement) = announcement(Some("state.db".into())).await;
        let (stdout, stderr) = announcement.render(Form::PrintEnv);
        assert_eq!(
            stdout,
            format!(
                "export MENU_BASE_URL={}\nexport MENU_APPLICATION_KEY={}",
                server.base_url(),
                server.application_key()
            )
        );
        assert!(stderr.starts_with(&announcement.heading()), "{stderr}");
        assert!(
            stderr.contains("State kept in the database state.db"),
            "{stderr}"
        );
        let (stdout, _) = announcement.render(Form::Json);
        assert_eq!(stdout.lines().count(), 1);
        let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
        assert_eq!(json["base_url"], server.base_url());
        assert_eq!(json["test_customers"][0]["id"], DRAGOS.to_string());
        assert_eq!(
            json["test_customers"][0]["pending_phone_number_change_code"],
            DRAGOS_CONFIRMATION_CODE
        );
        assert_eq!(json["test_customers"][1]["id"], IVAN.to_string());
    }

    #[tokio::test]
    async fn a_deleted_customer_is_not_announced() {
        let server = MockServer::start().await.unwrap();
        let token = server.state().issue_token(DRAGOS).unwrap();
        let client = menu_sdk::Client::builder()
            .base_url(server.base_url())
            .application_key(server.application_key())
            .token(token.value())
            .build()
            .unwrap();
        client.delete_customer_account(DRAGOS).await.unwrap();
        let announcement = Announcement::of(&server, "127.0.0.1".parse().unwrap(), None);
        let ids: Vec<Uuid> = announcement.test_customers.iter().map(|c| c.id).collect();
        assert_eq!(ids, [IVAN]);
    }
}
