//! Running one operation's command (built by [`crate::commands`]): its arguments and flags
//! become the call, sent through `menu_sdk` (`Call::send_json`), and its JSON answer is printed;
//! `--dry-run` prints the request instead (`Call::prepare_json`), `-v` shows it before sending;
//! `--json-body-template` prints the body's documented example and sends nothing.
//!
//! An operation that issues a customer token (`x-token: issues` or `rotates` in the spec:
//! `register`, `refresh`) stores it in the profile (the client's token store); with a token given
//! by flag or environment, it insists on `--show-token` or `--token-out FILE` (checked before
//! anything is sent): the server may have invalidated the old token, so the new one must be
//! kept.

use std::io::Read as _;
use std::path::PathBuf;

use clap::ArgMatches;
use menu_sdk::menu_client::operation::{Operation, Refusal, Subject};
use menu_sdk::{JsonCall, Token};
use serde_json::{Map, Value};

use crate::cli::GlobalOptions;
use crate::commands::{ME, Source, arguments, issues_token, name};
use crate::output::{Failure, pretty, say, say_quietly, token_json};
use crate::settings::{ProfileToken, Session};
use heck::ToShoutySnakeCase as _;

/// The call's arguments from the command's `matches` (`read` reads `--json-body`'s file or
/// standard input).
fn json_call(
    operation: &'static Operation,
    matches: &ArgMatches,
    read: impl FnOnce(&PathBuf) -> Result<String, Failure>,
) -> Result<JsonCall, Failure> {
    let mut call = JsonCall::default();
    // Only an operation with a body has `--json-body`.
    let given = matches.try_get_one::<PathBuf>("json-body").ok().flatten();
    let mut body = match given {
        Some(path) => {
            let text = read(path)?;
            Some(serde_json::from_str::<Value>(&text).map_err(|e| {
                Failure::usage(format!("--json-body {}: not JSON: {e}", path.display()))
            })?)
        }
        None => None,
    };
    let body_required = operation.body.is_some_and(|b| b.required);
    for argument in arguments(operation) {
        let value = matches.get_one::<String>(&argument.id);
        match (argument.source, value) {
            (Source::Param(param), Some(value)) => {
                call.push(param.location, param.name.to_owned(), value.clone());
            }
            (Source::Param(_), None) => {}
            (Source::Field(field), Some(_)) => {
                let object = body.get_or_insert_with(|| Value::Object(Map::new()));
                let Value::Object(object) = object else {
                    return Err(Failure::usage(
                        "--json-body is not a JSON object, so the field flags cannot apply to it",
                    ));
                };
                if let Some(value) = crate::lists::field_value(matches, &argument.id, field.kind) {
                    object.insert(field.name.to_owned(), value);
                }
            }
            (Source::Field(field), None) if given.is_none() && field.required && body_required => {
                let flag = argument.flag.unwrap_or_default();
                return Err(Failure::usage(format!(
                    "--{flag} is required (or give the whole body with --json-body); nothing was sent"
                )));
            }
            (Source::Field(_), None) => {}
        }
    }
    if body.is_none() && body_required {
        body = Some(Value::Object(Map::new()));
    }
    call.body = body;
    Ok(call)
}

/// Runs `operation`'s command with the global options: a dry run prints the request instead of
/// sending it; `-v` shows it before sending.
pub async fn run(
    global: &GlobalOptions,
    operation: &'static Operation,
    matches: &ArgMatches,
) -> Result<(), Failure> {
    if matches
        .try_get_one::<bool>("json-body-template")
        .ok()
        .flatten()
        == Some(&true)
    {
        return say_quietly(template(operation));
    }
    let arguments = json_call(operation, matches, read_body)?;
    let session = Session::open(global, !global.dry_run, ProfileToken::of(operation)).await?;
    let arguments = with_me(operation, arguments, &session.client)?;
    // The model's one check, which the mock also runs: nothing invalid is sent.
    arguments
        .check(operation)
        .map_err(|refusal| refused(operation, &refusal))?;
    // With a profile, the profile keeps the new token; otherwise the command must.
    let keep = keeping(operation, matches, !session.profile_keeps_tokens)?;
    let request_id = global.request_id.unwrap_or_else(uuid::Uuid::new_v4);
    let call = || session.client.with_request_id(request_id);
    if !global.dry_run {
        let target: Vec<String> = arguments
            .path
            .iter()
            .map(|(name, value)| format!("{name} {value}"))
            .collect();
        crate::confirm::confirmed(operation, &name(operation), &target.join(", "), matches)?;
    }
    if global.dry_run || global.verbosity() > 0 {
        let request = call().prepare_json(operation.id, &arguments).await?;
        if global.dry_run {
            // Output that can be made again: a reader that went away ends it quietly.
            return say_quietly(crate::show::curl(operation.id, &request));
        }
        for line in crate::show::lines(&request) {
            crate::output::tell!("{line}");
        }
        if global.verbosity() > 1 {
            for line in crate::show::body_lines(operation, &request) {
                crate::output::tell!("{line}");
            }
        }
    }
    let before = session.client.token();
    let mut answer = match call().send_json(operation.id, arguments).await {
        Ok(answer) => answer,
        Err(error) => {
            // The answer did not decode, yet the SDK kept the token it carried: keep it where
            // `--token-out`/`--show-token` asked too.
            let after = session.client.token();
            if let (Some(keep), Some(new)) = (&keep, after.filter(|t| Some(t) != before.as_ref()))
                && (keep.show || keep.out.is_some())
            {
                keep_rescued(keep, &new)?;
                return Err(Failure::from(error));
            }
            return Err(session.keep_unsaved(error));
        }
    };
    if answer.is_null() {
        // Nothing to show: stdout stays empty, stderr says what happened.
        let forgotten = match (
            operation.token.forgets_token(),
            session.profile_keeps_tokens,
        ) {
            (true, true) => " The server revoked the token: the profile forgot it.",
            (true, false) => " The server revoked the token given.",
            (false, _) => "",
        };
        crate::output::tell!("{}: done (no content).{forgotten}", name(operation));
        return Ok(());
    }
    let Some(keep) = keep else {
        return say_quietly(pretty(&answer))
            .map_err(|e| Failure::other(format!("{} (the call itself succeeded)", e.message)));
    };
    // The call succeeded, so the SDK adopted the token the answer issued (the generated
    // `Session` read it): the client holds it now, whether or not it equals the old one.
    let token = session
        .client
        .token()
        .ok_or_else(|| Failure::other("the answer issued no token"))?;
    let mut show = keep.show;
    let mut failure = None;
    if let Some(path) = &keep.out
        && let Err(e) = write_secret(path, token.value())
    {
        // The old token may be gone: never lose the new one. Show it instead.
        show = true;
        failure = Some(Failure::other(format!(
            "cannot write the new token to {}: {e}; it is printed on stdout instead",
            path.display()
        )));
    }
    if let Some(answer) = answer.as_object_mut() {
        answer.insert("token".to_owned(), token_json(&token, show));
    }
    if let Err(stdout) = say(pretty(&answer)) {
        // The token may now exist nowhere but in the file (if written): say so.
        return Err(Failure::other(format!(
            "{}; the server has already issued the new token{}",
            stdout.message,
            if show {
                ", and it could not be shown"
            } else if keep.out.is_some() {
                " (saved with --token-out)"
            } else {
                " (saved in the profile)"
            }
        )));
    }
    failure.map_or(Ok(()), Err)
}

/// What the model's check refused, in the command line's words (the flag at fault, if any).
fn refused(operation: &'static Operation, refusal: &Refusal) -> Failure {
    let id = refusal.subject().map(|subject| match subject {
        Subject::Param(param) => format!("{}:{}", param.location.name(), param.name),
        Subject::Field(field) => format!("field:{}", field.name),
        _ => String::new(),
    });
    let flag = arguments(operation)
        .into_iter()
        .find(|argument| Some(&argument.id) == id.as_ref())
        .map(|argument| match argument.flag {
            Some(flag) => format!(" (--{flag})"),
            None => String::new(),
        })
        .unwrap_or_default();
    Failure::usage(format!("the request's {refusal}{flag}; nothing was sent"))
}

/// The call with `me` in the place of the customer's id (the path parameter marked `x-customer`)
/// replaced by the signed-in customer's: the token's subject. This assumes what the API's pages
/// suggest, that a customer's id and their account's id are one id (README).
fn with_me(
    operation: &Operation,
    mut call: JsonCall,
    client: &menu_sdk::Client,
) -> Result<JsonCall, Failure> {
    let Some(param) = operation.customer_param() else {
        return Ok(call);
    };
    let Some((_, value)) = call
        .path
        .iter_mut()
        .find(|(name, value)| name == param.name && value == ME)
    else {
        return Ok(call);
    };
    let name = param.name.to_shouty_snake_case();
    let token = client.token().ok_or_else(|| {
        Failure::usage(format!(
            "`{ME}` (the default {name}) is the signed-in customer, and there is none: log in \
             (`menu login`), pass --token, or give the {name} (nothing was sent)"
        ))
    })?;
    let customer = token
        .claims()
        .ok()
        .and_then(|claims| claims.subject)
        .and_then(|subject| subject.parse::<uuid::Uuid>().ok())
        .ok_or_else(|| {
            Failure::usage(format!(
                "`{ME}` (the default {name}): the token's subject is not a customer id (a UUID); \
                 give the {name} (nothing was sent)"
            ))
        })?;
    *value = customer.hyphenated().to_string();
    Ok(call)
}

/// Keeps a token rescued from an answer that did not decode (the call itself failed): written
/// to `--token-out`, or shown on stdout.
fn keep_rescued(keep: &Keep, token: &Token) -> Result<(), Failure> {
    if let Some(path) = &keep.out
        && write_secret(path, token.value()).is_ok()
    {
        return Ok(());
    }
    if keep.out.is_some() || keep.show {
        return say(pretty(
            &serde_json::json!({ "token": token_json(token, true) }),
        ));
    }
    Ok(())
}

/// How a token-issuing command keeps the new token.
struct Keep {
    show: bool,
    out: Option<PathBuf>,
}

/// For an operation that issues a token: `--show-token` or `--token-out` (a file that can be
/// written), checked before anything is sent; `required` unless the profile keeps the token.
fn keeping(
    operation: &Operation,
    matches: &ArgMatches,
    required: bool,
) -> Result<Option<Keep>, Failure> {
    if !issues_token(operation) {
        return Ok(None);
    }
    let show = matches.get_flag("show-token");
    let out = matches.get_one::<PathBuf>("token-out").cloned();
    if !show && out.is_none() {
        if !required {
            // The profile keeps it; the output shows it redacted.
            return Ok(Some(Keep { show, out }));
        }
        return Err(Failure::usage(format!(
            "{} issues a new customer token (the old one may stop working), and a token given \
             with --token or MENU_TOKEN is not kept in the profile: pass --show-token or \
             --token-out FILE to keep it (nothing was sent)",
            name(operation)
        )));
    }
    if let Some(path) = &out {
        writable(path).map_err(|e| {
            Failure::usage(format!(
                "--token-out {}: cannot write there ({e}); nothing was sent",
                path.display()
            ))
        })?;
    }
    Ok(Some(Keep { show, out }))
}

/// Whether a file can be created beside `path` (where [`write_secret`] writes).
fn writable(path: &std::path::Path) -> std::io::Result<()> {
    if path.file_name().is_none() || path.is_dir() {
        return Err(std::io::Error::other("the path names no file"));
    }
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => std::path::Path::new("."),
    };
    tempfile::Builder::new()
        .prefix(".menu-check-")
        .tempfile_in(dir)
        .map(drop)
}

/// Writes a secret to `path`, readable only by its owner (on Unix), replacing the file atomically.
fn write_secret(path: &std::path::Path, secret: &str) -> std::io::Result<()> {
    crate::private_file::write(path, format!("{secret}\n").as_bytes())
}

/// The documented example of the body, or one built from its fields.
fn template(operation: &Operation) -> String {
    let Some(body) = &operation.body else {
        return String::new();
    };
    if let Some(example) = body
        .example
        .and_then(|e| serde_json::from_str::<Value>(e).ok())
    {
        return pretty(&example);
    }
    let fields: Map<String, Value> = body
        .fields
        .iter()
        .map(|field| (field.name.to_owned(), field.kind.placeholder()))
        .collect();
    pretty(&fields)
}

fn read_body(path: &PathBuf) -> Result<String, Failure> {
    let mut text = String::new();
    let read = if path.as_os_str() == "-" {
        std::io::stdin().read_to_string(&mut text)
    } else {
        std::fs::File::open(path).and_then(|mut file| file.read_to_string(&mut text))
    };
    read.map_err(|e| Failure::usage(format!("cannot read --json-body {}: {e}", path.display())))?;
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::command;
    use crate::commands::tests::{COLLIDING, THING};

    const ID: &str = "47bf8888-3f23-11ed-936c-1a67b454859d";

    fn parse(args: &[&str]) -> Result<ArgMatches, clap::Error> {
        command(&THING)
            .try_get_matches_from(std::iter::once("update-thing").chain(args.iter().copied()))
    }

    fn call(args: &[&str], body: &str) -> Result<JsonCall, String> {
        let matches = parse(args).map_err(|e| e.to_string())?;
        json_call(&THING, &matches, |_| Ok(body.to_owned())).map_err(|f| f.message)
    }

    #[test]
    fn parameters_and_fields_become_the_call() {
        let call = call(
            &[
                "47BF8888-3F23-11ED-936C-1A67B454859D",
                "-my part",
                "--sort",
                "asc",
                "--page",
                "-2",
                "--quantity",
                "3",
                "--body-page",
                "true",
                "--tags",
                "[\"a\"]",
            ],
            "",
        )
        .unwrap();
        let pairs = |items: &[(&str, &str)]| -> Vec<(String, String)> {
            items
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect()
        };
        // The UUID in its hyphenated form; a value may start with `-`.
        assert_eq!(call.path, pairs(&[("thing_id", ID), ("part", "-my part")]));
        assert_eq!(call.query, pairs(&[("page", "-2"), ("sort", "asc")]));
        assert_eq!(
            call.body,
            Some(serde_json::json!({"quantity": 3, "page": true, "tags": ["a"]}))
        );
    }

    #[test]
    fn a_json_body_is_sent_as_given_with_the_flags_applied() {
        let call = call(
            &[
                ID,
                "p",
                "--sort",
                "desc",
                "--json-body",
                "-",
                "--quantity",
                "4",
            ],
            r#"{"quantity":"many","extra":1}"#,
        )
        .unwrap();
        assert_eq!(
            call.body,
            Some(serde_json::json!({"quantity": 4, "extra": 1}))
        );
        let call = self::call(
            &[ID, "p", "--sort", "desc", "--json-body", "-"],
            r#"{"quantity":"many"}"#,
        )
        .unwrap();
        assert_eq!(call.body, Some(serde_json::json!({"quantity": "many"})));
        // The model's check refuses it before anything is sent.
        let refusal = call.check(&THING).unwrap_err();
        assert_eq!(
            refused(&THING, &refusal).message,
            "the request's quantity field must be an integer (--quantity); nothing was sent"
        );
    }

    #[test]
    fn bad_arguments_are_clear_usage_errors() {
        for (args, body, expected) in [
            (
                vec!["not-a-uuid", "p", "--sort", "asc", "--quantity", "1"],
                "",
                "not a UUID",
            ),
            (
                vec![ID, "p", "--sort", "sideways", "--quantity", "1"],
                "",
                "sideways",
            ),
            (
                vec![ID, "p", "--sort", "asc", "--quantity", "x"],
                "",
                "not an integer",
            ),
            (
                vec![
                    ID,
                    "p",
                    "--sort",
                    "asc",
                    "--quantity",
                    "1",
                    "--weight",
                    "NaN",
                ],
                "",
                "finite",
            ),
            (vec![ID, "p", "--quantity", "1"], "", "--sort"),
            (vec![ID, "p", "--sort", "asc"], "", "--quantity is required"),
            (
                vec![ID, "p", "--sort", "asc", "--json-body", "-"],
                "{not json",
                "not JSON",
            ),
            (
                vec![
                    ID,
                    "p",
                    "--sort",
                    "asc",
                    "--json-body",
                    "-",
                    "--quantity",
                    "1",
                ],
                "[1]",
                "not a JSON object",
            ),
        ] {
            let err = call(&args, body).unwrap_err();
            assert!(err.contains(expected), "{args:?}: {err}");
        }
    }

    #[test]
    fn the_template_needs_no_other_argument() {
        let matches = parse(&["--json-body-template"]).unwrap();
        assert!(matches.get_flag("json-body-template"));
        let template: Value = serde_json::from_str(&template(&THING)).unwrap();
        assert_eq!(
            template,
            serde_json::json!({
                "quantity": 0, "page": false, "tags": null, "weight": 0.0,
                "country_codes": [""], "labels": [""]
            })
        );
    }

    /// A list of simple items: a repeatable flag, split on commas when no item can hold one;
    /// each item checked by its kind.
    #[test]
    fn list_fields_are_repeatable_flags_and_comma_lists() {
        let body = |extra: &[&str]| -> Result<Value, String> {
            let mut args = vec![ID, "p", "--sort", "asc", "--quantity", "1"];
            args.extend_from_slice(extra);
            Ok(call(&args, "")?.body.unwrap_or_default())
        };
        let us_ca = serde_json::json!(["US", "CA"]);
        let repeated = body(&["--country-codes", "US", "--country-codes", "CA"]).unwrap();
        assert_eq!(repeated["country_codes"], us_ca);
        let commas = body(&["--country-codes", "US,CA"]).unwrap();
        assert_eq!(commas["country_codes"], us_ca);
        let both = body(&["--country-codes", "US,CA", "--country-codes", "RO"]).unwrap();
        assert_eq!(both["country_codes"], serde_json::json!(["US", "CA", "RO"]));
        // Free text may hold commas: one item per flag.
        let labels = body(&["--labels", "a, b", "--labels", "c"]).unwrap();
        assert_eq!(labels["labels"], serde_json::json!(["a, b", "c"]));
        // Each item is checked by its kind.
        for bad in ["USA", "US,ca", "US,,CA"] {
            let err = body(&["--country-codes", bad]).unwrap_err();
            assert!(err.contains("text matching `^[A-Z]{2}$`"), "{bad}: {err}");
        }
        // A flag replaces the list of a --json-body.
        let call = call(
            &[
                ID,
                "p",
                "--sort",
                "asc",
                "--json-body",
                "-",
                "--country-codes",
                "CA",
            ],
            r#"{"quantity": 1, "country_codes": ["US"]}"#,
        )
        .unwrap();
        assert_eq!(
            call.body.unwrap()["country_codes"],
            serde_json::json!(["CA"])
        );
    }

    /// The model's check runs on the whole call, --json-body included, after the flags.
    #[test]
    fn the_whole_call_is_checked_before_sending() {
        let refusal = |args: &[&str], body: &str| {
            let call = call(args, body).unwrap();
            call.check(&THING).map_err(|r| refused(&THING, &r).message)
        };
        let base = [ID, "p", "--sort", "asc", "--json-body", "-"];
        assert_eq!(refusal(&base, r#"{"quantity": 2}"#), Ok(()));
        for (body, expected) in [
            (
                r#"{}"#,
                "the request's quantity field is required (--quantity); nothing was sent",
            ),
            (
                r#"{"quantity": 1, "country_codes": []}"#,
                "the request's country_codes field must be a list (at least 1)",
            ),
            (
                r#"{"quantity": 1, "country_codes": ["us"]}"#,
                "(--country-codes); nothing was sent",
            ),
            (
                r#"{"quantity": 1, "weight": null}"#,
                "weight field must be a finite number",
            ),
        ] {
            let err = refusal(&base, body).unwrap_err();
            assert!(err.contains(expected), "{body}: {err}");
        }
    }

    /// An operation without a body: no body flags, no body.
    #[test]
    fn an_operation_without_a_body_sends_none() {
        let matches = command(&COLLIDING)
            .try_get_matches_from(["colliding", "x", "--query-token", "q"])
            .unwrap();
        let call = json_call(&COLLIDING, &matches, |_| unreachable!()).unwrap();
        assert_eq!(call.query, [("token".to_owned(), "q".to_owned())]);
        assert_eq!(call.body, None);
    }
}
