//! One subcommand per operation of the spec, read from the operation table that
//! `cargo xtask generate` writes (`menu_client::operations`): a new operation in the spec is a
//! new command, with no line here. [`mod@crate::run`] runs it.
//!
//! A command is the kebab-case `operationId`; path parameters are its arguments, in the path's
//! order; query and header parameters and the body's top-level fields are flags named after them
//! (`--optin-status-email 2`); `--json-body FILE|-` gives the whole body (the flags then change
//! its fields), `--json-body-template` prints the documented example. An operation that issues a
//! customer token (`x-token: issues` or `rotates` in the spec) has `--show-token` and
//! `--token-out FILE`. The spec's summary and description are the help.

use std::path::PathBuf;
use std::sync::LazyLock;

use clap::builder::{PossibleValuesParser, TypedValueParser as _};
use clap::{Arg, ArgAction, Command, CommandFactory as _};
use heck::{ToKebabCase as _, ToShoutySnakeCase as _};
use menu_sdk::menu_client::operation::{Field, Kind, Location, Operation, Param};
use menu_sdk::menu_client::operations::ALL;
use serde_json::Value;

use crate::cli::Cli;

/// Whether `operation` answers a new token (the spec's `x-token: issues` or `rotates`).
pub fn issues_token(operation: &Operation) -> bool {
    operation.token.adopts_session()
}

/// The command name of `operation`.
pub fn name(operation: &Operation) -> String {
    operation.id.to_kebab_case()
}

/// Those of `operations` that have no hand-written command in `hand_written`.
fn generated<'a>(
    hand_written: &'a Command,
    operations: &'a [&'static Operation],
) -> impl Iterator<Item = &'static Operation> + 'a {
    operations
        .iter()
        .copied()
        .filter(move |op| hand_written.find_subcommand(name(op)).is_none())
}

/// `hand_written` with a command for each operation of the spec that has no hand-written one.
pub fn with_operations(hand_written: Command) -> Command {
    with_these(hand_written, ALL)
}

fn with_these(hand_written: Command, operations: &[&'static Operation]) -> Command {
    let commands: Vec<Command> = generated(&hand_written, operations).map(command).collect();
    hand_written.subcommands(commands)
}

/// The operation behind `command`, if it is one of the commands `with_operations` added to
/// `hand_written`.
pub fn find(hand_written: &Command, command: &str) -> Option<&'static Operation> {
    generated(hand_written, ALL).find(|op| name(op) == command)
}

/// The flag names the command line already has, which no flag of an operation may take (see
/// [`taken`]).
static TAKEN: LazyLock<Vec<String>> = LazyLock::new(|| taken(Cli::command()));

/// The flag names of `hand_written`'s own arguments (the global options, and clap's `--help`
/// and `--version`) and of the flags [`command`] gives an operation's command besides its
/// parameters and fields (`--json-body`, `--show-token`, ...): long names, short letters and
/// their aliases, read from the clap arguments themselves.
fn taken(mut hand_written: Command) -> Vec<String> {
    // clap adds `--help` and `--version` when it builds the command.
    hand_written.build();
    let own: Vec<Arg> = token_flags()
        .into_iter()
        .chain(body_flags())
        .chain([crate::confirm::flag()])
        .collect();
    hand_written
        .get_arguments()
        .chain(&own)
        .flat_map(flag_names)
        .collect()
}

/// The names `arg` answers to as a flag: its long name and aliases (`dry-run`), its short letter
/// and aliases (`v`).
fn flag_names(arg: &Arg) -> Vec<String> {
    let longs = arg
        .get_long()
        .into_iter()
        .chain(arg.get_all_aliases().unwrap_or_default());
    let shorts = arg
        .get_short()
        .into_iter()
        .chain(arg.get_all_short_aliases().unwrap_or_default());
    longs
        .map(str::to_owned)
        .chain(shorts.map(String::from))
        .collect()
}

/// One argument of an operation's command: where its value goes, and how it is given.
pub struct Argument {
    /// clap's id of the argument (`path:customer_id`, `query:page`, `field:quantity`).
    pub id: String,
    /// Its flag (`--page`); `None` for a path parameter, which is positional.
    pub flag: Option<String>,
    /// The parameter or body field it gives.
    pub source: Source,
}

/// What an [`Argument`] gives: a parameter, or a field of the body.
pub enum Source {
    Param(&'static Param),
    Field(&'static Field),
}

impl Argument {
    fn kind(&self) -> Kind {
        match self.source {
            Source::Param(param) => param.kind,
            Source::Field(field) => field.kind,
        }
    }
}

/// The arguments of `operation`'s command. A flag never shadows another one or a flag the
/// command line already has ([`TAKEN`]): it takes its location as a prefix (`--query-token`,
/// `--body-page`), or a number.
pub fn arguments(operation: &'static Operation) -> Vec<Argument> {
    arguments_beside(operation, &TAKEN)
}

/// The arguments of `operation`'s command, whose flags take none of the names in `taken`.
fn arguments_beside(operation: &'static Operation, taken: &[String]) -> Vec<Argument> {
    let mut taken = taken.to_vec();
    let mut flag = |name: &str, prefix: &str| {
        let base = name.to_kebab_case();
        let candidates = [base.clone(), format!("{prefix}-{base}")];
        let free = candidates
            .into_iter()
            .chain((2..).map(|n| format!("{prefix}-{base}-{n}")))
            .find(|candidate| !taken.contains(candidate))
            .unwrap_or(base);
        taken.push(free.clone());
        free
    };
    let mut arguments: Vec<Argument> = Vec::new();
    for param in operation.params {
        let (prefix, positional) = (param.location.name(), param.location == Location::Path);
        arguments.push(Argument {
            id: format!("{prefix}:{}", param.name),
            flag: (!positional).then(|| flag(param.name, prefix)),
            source: Source::Param(param),
        });
    }
    for field in operation.body.iter().flat_map(|body| body.fields) {
        arguments.push(Argument {
            id: format!("field:{}", field.name),
            flag: Some(flag(field.name, "body")),
            source: Source::Field(field),
        });
    }
    // One argument per id (a spec that names one parameter twice gives it once).
    let mut seen = Vec::new();
    arguments.retain(|a| {
        let new = !seen.contains(&a.id);
        seen.push(a.id.clone());
        new
    });
    arguments
}

/// The command of one operation.
pub fn command(operation: &'static Operation) -> Command {
    let auth = if operation.auth.requires_token() {
        "Needs the customer token: the profile's, --token or MENU_TOKEN."
    } else if operation.auth.takes_token() {
        "Sends the customer token when one is given."
    } else {
        "Needs the application key only."
    };
    let summary = operation.summary.trim();
    let long_about = format!(
        "{summary}\n\n{}\n\n`{} {}`. {auth} Prints the answer's payload as JSON, if it has one.",
        operation.description.trim(),
        operation.method,
        operation.path
    );
    let mut command = Command::new(name(operation))
        .about(summary.to_owned())
        .long_about(long_about);
    if issues_token(operation) {
        command = command.args(token_flags());
    }
    if operation.confirm.is_some() {
        command = command.arg(crate::confirm::flag());
    }
    let body_required = operation.body.is_some_and(|b| b.required);
    // The customer the path names is the signed-in one when given as `me`, and by default when
    // no other positional argument follows it (an optional positional must come last).
    let last_path = operation
        .params
        .iter()
        .rfind(|p| p.location == Location::Path)
        .map(|p| p.name);
    for argument in arguments(operation) {
        let kind = argument.kind();
        let (help, required) = match argument.source {
            Source::Param(param) if param.customer && param.location == Location::Path => {
                let by_default = last_path == Some(param.name);
                let help = format!(
                    "{} `{ME}`{} is the signed-in customer: the token's subject",
                    param.description.trim(),
                    if by_default { " (the default)" } else { "" }
                );
                (help, !by_default)
            }
            Source::Param(param) => (param.description.trim().to_owned(), param.required),
            Source::Field(field) => {
                let required = field.required && body_required;
                let note = if required {
                    " (required without --json-body)"
                } else {
                    ""
                };
                (format!("{}{note}", field.description.trim()), false)
            }
        };
        let mut arg = Arg::new(argument.id).help(help);
        arg = match argument.flag {
            Some(flag) => arg.long(flag),
            None => {
                let name = match argument.source {
                    Source::Param(param) => param.name.to_shouty_snake_case(),
                    Source::Field(field) => field.name.to_shouty_snake_case(),
                };
                arg.value_name(name)
            }
        };
        if required {
            // `--json-body-template` (an operation with a body has it) needs no other argument.
            arg = match operation.body {
                Some(_) => arg.required_unless_present("json-body-template"),
                None => arg.required(true),
            };
        }
        let me = matches!(argument.source,
            Source::Param(p) if p.customer && p.location == Location::Path);
        let arg = with_kind(arg, kind);
        command = command.arg(match (me, required) {
            (true, false) => or_me(arg, kind).default_value(ME),
            (true, true) => or_me(arg, kind),
            (false, _) => arg,
        });
    }
    if operation.body.is_none() {
        return command;
    }
    command.args(body_flags())
}

/// The flags of the command of an operation that issues a token: how to keep the new one.
fn token_flags() -> [Arg; 2] {
    [
        Arg::new("show-token")
            .long("show-token")
            .action(ArgAction::SetTrue)
            .help("Include the new token's value in the output"),
        Arg::new("token-out")
            .long("token-out")
            .value_name("FILE")
            .value_parser(clap::value_parser!(PathBuf))
            .help("Write the new token's value to this file (mode 0600 on Unix)"),
    ]
}

/// The flags of the command of an operation that takes a body: the whole body, or its template.
fn body_flags() -> [Arg; 2] {
    [
        Arg::new("json-body")
            .long("json-body")
            .value_name("FILE|-")
            .value_parser(clap::value_parser!(PathBuf))
            .help("The whole request body, as JSON, from a file or `-` (standard input); sent as it is, with the field flags applied"),
        Arg::new("json-body-template")
            .long("json-body-template")
            .action(ArgAction::SetTrue)
            .help("Print the documented example of the request body, and send nothing"),
    ]
}

/// The value that names the signed-in customer, in the place of a customer id.
pub const ME: &str = "me";

/// `arg` (a customer's id) taking `me` too.
fn or_me(arg: Arg, kind: Kind) -> Arg {
    arg.value_parser(move |value: &str| match value {
        ME => Ok(ME.to_owned()),
        other => normalize(kind, other),
    })
}

/// `arg` checking its value as `kind` (the value stays text until the call); a list's flag
/// repeatable, each item checked ([`crate::lists`]).
fn with_kind(arg: Arg, kind: Kind) -> Arg {
    if let Kind::Array(list) = kind {
        return crate::lists::repeatable(with_kind(arg, *list.items), list);
    }
    if let Kind::Enum(values) = kind {
        let parser = PossibleValuesParser::new(values.iter().copied());
        return named(arg, kind.value_name()).value_parser(parser.map(String::from));
    }
    // Negative numbers and values that start with `-` are values, not flags.
    let arg = if kind.is_numeric() {
        arg.allow_negative_numbers(true)
    } else {
        arg.allow_hyphen_values(true)
    };
    named(arg, kind.value_name()).value_parser(move |value: &str| normalize(kind, value))
}

/// The text to send for `value` given as `kind` (a UUID in its hyphenated form), or why it is not
/// one.
fn normalize(kind: Kind, value: &str) -> Result<String, String> {
    match kind {
        Kind::Uuid => value
            .parse::<uuid::Uuid>()
            .map(|id| id.hyphenated().to_string())
            .map_err(|e| format!("not a UUID: {e}")),
        Kind::Json => serde_json::from_str::<Value>(value)
            .map(|_| value.to_owned())
            .map_err(|e| format!("not JSON: {e}")),
        other if other.accepts(value) => Ok(value.to_owned()),
        other => Err(format!("not {}", other.describe())),
    }
}

/// `arg` with `name` as its value's name, unless it has one (a path parameter's own name).
fn named(arg: Arg, name: &str) -> Arg {
    if arg.get_value_names().is_none() {
        arg.value_name(name.to_owned())
    } else {
        arg
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use menu_sdk::menu_client::operation::{Auth, Body, List, Text, TokenEffect};

    /// An operation of the kind the spec may gain, with every kind of argument.
    pub(crate) static THING: Operation = Operation {
        id: "update_thing",
        tag: None,
        method: "PUT",
        path: "/things/{thing_id}/parts/{part}",
        auth: Auth::Customer,
        token: TokenEffect::None,
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
                customer: false,
                secret: false,
            },
            Param {
                name: "part",
                location: Location::Path,
                required: true,
                kind: Kind::String(Text::ANY),
                description: "The part.",
                customer: false,
                secret: false,
            },
            Param {
                name: "page",
                location: Location::Query,
                required: false,
                kind: Kind::Integer {
                    minimum: i64::MIN,
                    maximum: i64::MAX,
                },
                description: "A page.",
                customer: false,
                secret: false,
            },
            Param {
                name: "sort",
                location: Location::Query,
                required: true,
                kind: Kind::Enum(&["asc", "desc"]),
                description: "An order.",
                customer: false,
                secret: false,
            },
        ],
        body: Some(Body {
            object: true,
            required: true,
            fields: &[
                Field {
                    name: "quantity",
                    kind: Kind::Integer {
                        minimum: i64::MIN,
                        maximum: i64::MAX,
                    },
                    required: true,
                    description: "How many.",
                    one_time_code: false,
                },
                Field {
                    name: "page",
                    kind: Kind::Boolean,
                    required: false,
                    description: "A field named like a parameter.",
                    one_time_code: false,
                },
                Field {
                    name: "tags",
                    kind: Kind::Json,
                    required: false,
                    description: "Tags.",
                    one_time_code: false,
                },
                Field {
                    name: "weight",
                    kind: Kind::Number,
                    required: false,
                    description: "A weight.",
                    one_time_code: false,
                },
                Field {
                    name: "country_codes",
                    kind: Kind::Array(List {
                        items: &Kind::String(Text {
                            min_length: 0,
                            max_length: None,
                            pattern: Some("^[A-Z]{2}$"),
                        }),
                        min_items: 1,
                        max_items: None,
                    }),
                    required: false,
                    description: "Countries.",
                    one_time_code: false,
                },
                Field {
                    name: "labels",
                    kind: Kind::Array(List {
                        items: &Kind::String(Text::ANY),
                        min_items: 0,
                        max_items: None,
                    }),
                    required: false,
                    description: "Labels.",
                    one_time_code: false,
                },
            ],
            example: None,
            check: |_| Ok(()),
        }),
        example: None,
        confirm: None,
        unwraps: None,
    };

    #[test]
    fn help_shows_the_spec() {
        let help = command(&THING).render_long_help().to_string();
        for text in [
            "Update a thing",
            "Changes a thing.",
            "`PUT /things/{thing_id}/parts/{part}`",
            "THING_ID",
            "--quantity <INTEGER>",
            "--sort <VALUE>",
            "How many.",
            "--json-body-template",
            "--country-codes <TEXT>",
            "Countries. (repeatable, or comma-separated)",
            "Labels. (repeatable: one item per flag, as an item may contain commas)",
        ] {
            assert!(help.contains(text), "{text}\n{help}");
        }
    }

    /// An operation whose names collide with the command line's own.
    pub(crate) static COLLIDING: Operation = Operation {
        id: "colliding",
        tag: None,
        method: "GET",
        path: "/colliding/{id}",
        auth: Auth::None,
        token: TokenEffect::None,
        idempotent: true,
        success_status: 200,
        summary: "",
        description: "",
        params: &[
            Param {
                name: "id",
                location: Location::Path,
                required: true,
                kind: Kind::String(Text::ANY),
                description: "",
                customer: false,
                secret: false,
            },
            Param {
                name: "token",
                location: Location::Query,
                required: false,
                kind: Kind::String(Text::ANY),
                description: "",
                customer: false,
                secret: false,
            },
            Param {
                name: "token",
                location: Location::Header,
                required: false,
                kind: Kind::String(Text::ANY),
                description: "",
                customer: false,
                secret: false,
            },
            Param {
                name: "verbose",
                location: Location::Query,
                required: false,
                kind: Kind::Boolean,
                description: "",
                customer: false,
                secret: false,
            },
            Param {
                name: "help",
                location: Location::Query,
                required: false,
                kind: Kind::String(Text::ANY),
                description: "",
                customer: false,
                secret: false,
            },
            Param {
                name: "json_body",
                location: Location::Query,
                required: false,
                kind: Kind::String(Text::ANY),
                description: "",
                customer: false,
                secret: false,
            },
        ],
        body: None,
        example: None,
        confirm: None,
        unwraps: None,
    };

    /// An operation whose parameters are named like flags the command line has: global options
    /// (`--profile`, `--dry-run`, `-v`), clap's `--version`, a flag of the command of an
    /// operation that issues a token (`--show-token`), and an option a test adds (`--colour`).
    static LIKE_THE_CLI: Operation = Operation {
        id: "like_the_cli",
        tag: None,
        method: "GET",
        path: "/like-the-cli",
        auth: Auth::None,
        token: TokenEffect::None,
        idempotent: true,
        success_status: 200,
        summary: "",
        description: "",
        params: &[
            Param {
                name: "profile",
                location: Location::Query,
                required: false,
                kind: Kind::String(Text::ANY),
                description: "",
                customer: false,
                secret: false,
            },
            Param {
                name: "dry_run",
                location: Location::Header,
                required: false,
                kind: Kind::String(Text::ANY),
                description: "",
                customer: false,
                secret: false,
            },
            Param {
                name: "v",
                location: Location::Query,
                required: false,
                kind: Kind::String(Text::ANY),
                description: "",
                customer: false,
                secret: false,
            },
            Param {
                name: "version",
                location: Location::Query,
                required: false,
                kind: Kind::String(Text::ANY),
                description: "",
                customer: false,
                secret: false,
            },
            Param {
                name: "show_token",
                location: Location::Query,
                required: false,
                kind: Kind::String(Text::ANY),
                description: "",
                customer: false,
                secret: false,
            },
            Param {
                name: "colour",
                location: Location::Query,
                required: false,
                kind: Kind::String(Text::ANY),
                description: "",
                customer: false,
                secret: false,
            },
        ],
        body: None,
        example: None,
        confirm: None,
        unwraps: None,
    };

    /// The names the command line has are read from its clap command: a parameter named like a
    /// global option gets its location as a prefix, and so would one named like an option the
    /// command line gains, with no list to edit.
    #[test]
    fn a_parameter_named_like_a_global_option_gets_a_prefixed_flag() {
        let flags = |taken: &[String]| -> Vec<String> {
            arguments_beside(&LIKE_THE_CLI, taken)
                .into_iter()
                .filter_map(|a| a.flag)
                .collect()
        };
        assert_eq!(
            flags(&TAKEN),
            [
                "query-profile",
                "header-dry-run",
                "query-v",
                "query-version",
                "query-show-token",
                "colour"
            ]
        );
        let with_colour = Cli::command().arg(Arg::new("colour").long("colour").global(true));
        assert_eq!(
            flags(&taken(with_colour)).last().map(String::as_str),
            Some("query-colour")
        );

        let cli = with_these(Cli::command(), &[&LIKE_THE_CLI]);
        cli.clone().debug_assert();
        let matches = cli
            .try_get_matches_from([
                "menu",
                "--profile",
                "work",
                "like-the-cli",
                "--query-profile",
                "p",
                "--header-dry-run",
                "d",
                "-v",
            ])
            .unwrap();
        assert_eq!(
            matches.get_one::<String>("profile").map(String::as_str),
            Some("work")
        );
        assert_eq!(matches.get_count("verbose"), 1);
        assert!(!matches.get_flag("dry_run"));
        let (_, sub) = matches.subcommand().unwrap();
        assert_eq!(
            sub.get_one::<String>("query:profile").map(String::as_str),
            Some("p")
        );
        assert_eq!(
            sub.get_one::<String>("header:dry_run").map(String::as_str),
            Some("d")
        );
    }

    /// The command line decides its names: an operation of the spec named like a hand-written
    /// command would be hidden by it. A regeneration that adds one fails here.
    #[test]
    fn no_operation_is_hidden_by_a_hand_written_command() {
        let hand_written = <crate::cli::Cli as clap::CommandFactory>::command();
        for operation in ALL {
            let command = name(operation);
            assert!(
                hand_written.find_subcommand(&command).is_none(),
                "operation `{}` would be the command `menu {command}`, which the command line \
                 has by hand: rename the operation",
                operation.id
            );
        }
        assert!(hand_written.find_subcommand("demo").is_some());
    }

    #[test]
    fn names_that_collide_get_other_flags_not_a_panic() {
        let cli = with_these(
            <crate::cli::Cli as clap::CommandFactory>::command(),
            &[&THING, &COLLIDING],
        );
        cli.clone().debug_assert();
        let flags: Vec<String> = arguments(&COLLIDING)
            .into_iter()
            .filter_map(|a| a.flag)
            .collect();
        assert_eq!(
            flags,
            [
                "query-token",
                "header-token",
                "query-verbose",
                "query-help",
                "query-json-body"
            ]
        );
        let matches = cli
            .try_get_matches_from([
                "menu",
                "--token",
                "t",
                "colliding",
                "x",
                "--query-token",
                "q",
            ])
            .unwrap();
        assert_eq!(
            matches.get_one::<String>("token").map(String::as_str),
            Some("t")
        );
        let (_, sub) = matches.subcommand().unwrap();
        assert_eq!(
            sub.get_one::<String>("query:token").map(String::as_str),
            Some("q")
        );
    }
}
