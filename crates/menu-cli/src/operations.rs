//! One subcommand per operation of the spec, read from the operation table that
//! `cargo xtask generate` writes (`menu_client::operations`): a new operation in the spec is a
//! new command, with no line here. An operation with a hand-written command (`refresh`,
//! `verify-phone-number-update`) keeps it.
//!
//! A command is the kebab-case `operationId`; path parameters are its arguments, in the path's
//! order; query and header parameters and the body's top-level fields are flags named after them
//! (`--optin-status-email 2`); `--json-body FILE|-` gives the whole body (the flags then change
//! its fields), `--json-body-template` prints the documented example. The spec's summary and
//! description are the help. The call goes through `menu_sdk` (`Call::send_json`) and its JSON
//! answer is printed.

use std::io::Read as _;
use std::path::PathBuf;

use clap::builder::{PossibleValuesParser, TypedValueParser as _};
use clap::{Arg, ArgAction, ArgMatches, Command};
use heck::{ToKebabCase as _, ToShoutySnakeCase as _};
use menu_sdk::menu_client::operation::{Auth, Kind, Location, Operation};
use menu_sdk::menu_client::operations::ALL;
use menu_sdk::{Call, JsonCall};
use serde_json::{Map, Value};

use crate::output::{Failure, pretty, say};

/// The command name of `operation`.
fn name(operation: &Operation) -> String {
    operation.id.to_kebab_case()
}

/// The operations that have no hand-written command in `hand_written`.
fn generated(hand_written: &Command) -> impl Iterator<Item = &'static Operation> + '_ {
    ALL.iter()
        .copied()
        .filter(move |op| hand_written.find_subcommand(name(op)).is_none())
}

/// `hand_written` with a command for each operation that has no hand-written one.
pub fn with_operations(hand_written: Command) -> Command {
    let commands: Vec<Command> = generated(&hand_written).map(command).collect();
    hand_written.subcommands(commands)
}

/// The operation behind `command`, if it is one of the commands `with_operations` added to
/// `hand_written`.
pub fn find(hand_written: &Command, command: &str) -> Option<&'static Operation> {
    generated(hand_written).find(|op| name(op) == command)
}

/// The flag ids and names the command line already uses (the global options among them).
const TAKEN: [&str; 10] = [
    "base-url",
    "application-key",
    "token",
    "api-version",
    "request-id",
    "verbose",
    "json-body",
    "json-body-template",
    "help",
    "version",
];

/// The command of one operation.
fn command(operation: &'static Operation) -> Command {
    let auth = match operation.auth {
        Auth::Customer => "Needs the customer token (--token or MENU_TOKEN).",
        Auth::Optional => "Sends the customer token when one is given.",
        Auth::None => "Needs the application key only.",
    };
    let summary = operation.summary.trim();
    let long_about = format!(
        "{summary}\n\n{}\n\n`{} {}`. {auth} Prints the JSON answer.",
        operation.description.trim(),
        operation.method,
        operation.path
    );
    let mut command = Command::new(name(operation))
        .about(summary.to_owned())
        .long_about(long_about);
    let mut taken: Vec<String> = TAKEN.iter().map(|t| t.to_string()).collect();
    for param in operation.params {
        let help = param.description.trim().to_owned();
        let arg = match param.location {
            Location::Path => Arg::new(format!("path:{}", param.name))
                .value_name(param.name.to_shouty_snake_case())
                .required(true),
            Location::Query | Location::Header => {
                let flag = param.name.to_kebab_case();
                taken.push(flag.clone());
                Arg::new(format!("param:{}", param.name))
                    .long(flag)
                    .required(param.required)
            }
        };
        command = command.arg(with_kind(arg.help(help), param.kind));
    }
    if let Some(body) = &operation.body {
        for field in body.fields {
            // A field flag never shadows a parameter or a global option: it takes a `body-`
            // prefix, or is left to `--json-body`.
            let flag = [
                field.name.to_kebab_case(),
                format!("body-{}", field.name.to_kebab_case()),
            ]
            .into_iter()
            .find(|flag| !taken.contains(flag));
            let Some(flag) = flag else { continue };
            taken.push(flag.clone());
            let required = if field.required {
                " (required without --json-body)"
            } else {
                ""
            };
            let arg = Arg::new(format!("field:{}", field.name))
                .long(flag)
                .help(format!("{}{required}", field.description.trim()));
            command = command.arg(with_kind(arg, field.kind));
        }
        command = command.arg(
            Arg::new("json-body")
                .long("json-body")
                .value_name("FILE|-")
                .value_parser(clap::value_parser!(PathBuf))
                .help("The whole request body, as JSON, from a file or `-` (standard input); sent as it is, with the field flags applied"),
        );
    }
    command.arg(
        Arg::new("json-body-template")
            .long("json-body-template")
            .action(ArgAction::SetTrue)
            .help("Print the documented example of the request body, and send nothing"),
    )
}

/// Checks a flag's text.
type Check = fn(&str) -> Result<(), String>;

/// `arg` checking its value as `kind` (the value stays text until the call).
fn with_kind(arg: Arg, kind: Kind) -> Arg {
    let (value_name, check): (&str, Check) = match kind {
        Kind::Enum(values) => {
            let parser = PossibleValuesParser::new(values.iter().copied());
            return arg.value_parser(parser.map(String::from));
        }
        Kind::String => ("TEXT", |_| Ok(())),
        Kind::Uuid => ("UUID", |v| {
            v.parse::<uuid::Uuid>()
                .map(drop)
                .map_err(|e| format!("not a UUID: {e}"))
        }),
        Kind::Integer => ("INTEGER", |v| {
            v.parse::<i64>()
                .map(drop)
                .map_err(|e| format!("not an integer: {e}"))
        }),
        Kind::Number => ("NUMBER", |v| {
            v.parse::<f64>()
                .map(drop)
                .map_err(|e| format!("not a number: {e}"))
        }),
        Kind::Boolean => ("true|false", |v| {
            v.parse::<bool>()
                .map(drop)
                .map_err(|_| "not `true` or `false`".to_owned())
        }),
        Kind::Json => ("JSON", |v| {
            serde_json::from_str::<Value>(v)
                .map(drop)
                .map_err(|e| format!("not JSON: {e}"))
        }),
    };
    // A path parameter keeps its own name (`CUSTOMER_ID`); a flag is named after its kind.
    let arg = if arg.get_value_names().is_none() {
        arg.value_name(value_name)
    } else {
        arg
    };
    arg.value_parser(move |value: &str| check(value).map(|()| value.to_owned()))
}

/// A flag's text as the JSON value of its kind (checked by its parser already).
fn json_value(kind: Kind, text: &str) -> Value {
    let parsed = match kind {
        Kind::Integer => text.parse::<i64>().ok().map(Value::from),
        Kind::Number => text.parse::<f64>().ok().map(Value::from),
        Kind::Boolean => text.parse::<bool>().ok().map(Value::from),
        Kind::Json => serde_json::from_str(text).ok(),
        Kind::String | Kind::Uuid | Kind::Enum(_) => None,
    };
    parsed.unwrap_or_else(|| Value::String(text.to_owned()))
}

/// The call's arguments from the command's `matches` (`read` reads `--json-body`'s file or
/// standard input).
fn json_call(
    operation: &'static Operation,
    matches: &ArgMatches,
    read: impl FnOnce(&PathBuf) -> Result<String, Failure>,
) -> Result<JsonCall, Failure> {
    let mut call = JsonCall::default();
    for param in operation.params {
        let (id, location) = match param.location {
            Location::Path => (format!("path:{}", param.name), Location::Path),
            other => (format!("param:{}", param.name), other),
        };
        let Some(value) = matches.get_one::<String>(&id) else {
            continue;
        };
        let pair = (param.name.to_owned(), value.clone());
        match location {
            Location::Path => call.path.push(pair),
            Location::Query => call.query.push(pair),
            Location::Header => call.headers.push(pair),
        }
    }
    let Some(body) = &operation.body else {
        return Ok(call);
    };
    let given = matches.get_one::<PathBuf>("json-body");
    let mut value = match given {
        Some(path) => {
            let text = read(path)?;
            serde_json::from_str::<Value>(&text).map_err(|e| {
                Failure::usage(format!("--json-body {}: not JSON: {e}", path.display()))
            })?
        }
        None => Value::Object(Map::new()),
    };
    let mut flagged = false;
    for field in body.fields {
        let Some(text) = matches.get_one::<String>(&format!("field:{}", field.name)) else {
            if given.is_none() && field.required && body.required {
                let flag = flag_of(operation, field.name);
                return Err(Failure::usage(format!(
                    "{flag} is required (or give the whole body with --json-body); nothing was sent"
                )));
            }
            continue;
        };
        let Value::Object(object) = &mut value else {
            return Err(Failure::usage(
                "--json-body is not a JSON object, so the field flags cannot apply to it",
            ));
        };
        object.insert(field.name.to_owned(), json_value(field.kind, text));
        flagged = true;
    }
    if given.is_some() || flagged || body.required {
        call.body = Some(value);
    }
    Ok(call)
}

/// The flag of the body field `name` in `operation`'s command.
fn flag_of(operation: &'static Operation, name: &str) -> String {
    command(operation)
        .get_arguments()
        .find(|a| a.get_id() == format!("field:{name}").as_str())
        .and_then(|a| a.get_long())
        .map_or_else(|| format!("the field `{name}`"), |long| format!("--{long}"))
}

/// Runs `operation`'s command.
pub async fn run(
    call: Result<Call<'_>, Failure>,
    operation: &'static Operation,
    matches: &ArgMatches,
) -> Result<(), Failure> {
    if matches.get_flag("json-body-template") {
        return say(template(operation));
    }
    let arguments = json_call(operation, matches, read_body)?;
    let answer = call?.send_json(operation.id, arguments).await?;
    say(pretty(&answer))
        .map_err(|e| Failure::other(format!("{} (the call itself succeeded)", e.message)))
}

/// The documented example of the body, or one built from its fields.
fn template(operation: &Operation) -> String {
    let Some(body) = &operation.body else {
        return format!("{} takes no request body", name(operation));
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
        .map(|field| {
            let placeholder = match field.kind {
                Kind::Integer => Value::from(0),
                Kind::Number => Value::from(0.0),
                Kind::Boolean => Value::from(false),
                Kind::Json => Value::Null,
                Kind::Enum(values) => Value::from(values.first().copied().unwrap_or_default()),
                Kind::String | Kind::Uuid => Value::from(""),
            };
            (field.name.to_owned(), placeholder)
        })
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
    use menu_sdk::menu_client::operation::{Body, Field, Param};

    /// An operation of the kind the spec may gain, with every kind of argument.
    static THING: Operation = Operation {
        id: "update_thing",
        method: "PUT",
        path: "/things/{thing_id}/parts/{part}",
        auth: Auth::Customer,
        idempotent: true,
        success_status: 200,
        summary: "Update a thing",
        description: "Changes a thing.",
        params: &[
            Param {
                name: "thing_id",
                location: Location::Path,
                required: true,
                kind: Kind::Uuid,
                description: "The thing.",
            },
            Param {
                name: "part",
                location: Location::Path,
                required: true,
                kind: Kind::String,
                description: "The part.",
            },
            Param {
                name: "page",
                location: Location::Query,
                required: false,
                kind: Kind::Integer,
                description: "A page.",
            },
            Param {
                name: "sort",
                location: Location::Query,
                required: true,
                kind: Kind::Enum(&["asc", "desc"]),
                description: "An order.",
            },
        ],
        body: Some(Body {
            required: true,
            fields: &[
                Field {
                    name: "quantity",
                    kind: Kind::Integer,
                    required: true,
                    description: "How many.",
                },
                Field {
                    name: "page",
                    kind: Kind::Boolean,
                    required: false,
                    description: "A field named like a parameter.",
                },
                Field {
                    name: "tags",
                    kind: Kind::Json,
                    required: false,
                    description: "Tags.",
                },
            ],
            example: None,
            check: |_| Ok(()),
        }),
        example: None,
    };

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
                ID,
                "my part",
                "--sort",
                "asc",
                "--page",
                "2",
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
        assert_eq!(call.path, pairs(&[("thing_id", ID), ("part", "my part")]));
        assert_eq!(call.query, pairs(&[("page", "2"), ("sort", "asc")]));
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
        assert_eq!(
            call.body,
            Some(serde_json::json!({"quantity": "many"})),
            "the server judges it"
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
    fn help_shows_the_spec() {
        let help = command(&THING).render_long_help().to_string();
        for text in [
            "Update a thing",
            "Changes a thing.",
            "`PUT /things/{thing_id}/parts/{part}`",
            "THING_ID",
            "--quantity <INTEGER>",
            "How many.",
            "--json-body-template",
        ] {
            assert!(help.contains(text), "{text}\n{help}");
        }
    }

    #[test]
    fn the_template_is_built_from_the_fields_without_an_example() {
        let template: Value = serde_json::from_str(&template(&THING)).unwrap();
        assert_eq!(
            template,
            serde_json::json!({"quantity": 0, "page": false, "tags": null})
        );
    }
}
