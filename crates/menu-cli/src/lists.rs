//! A body field that holds a list of simple items (`Kind::Array`: text, ids, numbers, enums) on
//! the command line: a repeatable flag (`--country-codes US --country-codes CA`) that also takes
//! a comma-separated list (`--country-codes US,CA`) when no item can contain a comma
//! ([`Kind::excludes_commas`]: ids, numbers, enums, text whose pattern keeps commas out). Free
//! text may contain commas, so its flag is repeatable only (its help says so). Each item is
//! checked by the items' kind; a list of objects stays a JSON flag (`Kind::Json`).

use clap::{Arg, ArgAction, ArgMatches};
use menu_sdk::menu_client::operation::{Kind, List};
use serde_json::Value;

/// `arg` (its value parser already the items' `with_kind`) as a repeatable flag, split on
/// commas when the items cannot contain one; its help says which.
pub fn repeatable(arg: Arg, list: List) -> Arg {
    let splits = list.items.excludes_commas();
    let note = if splits {
        "repeatable, or comma-separated"
    } else {
        "repeatable: one item per flag, as an item may contain commas"
    };
    let help = arg.get_help().map(ToString::to_string).unwrap_or_default();
    let arg = arg
        .action(ArgAction::Append)
        .help(format!("{help} ({note})").trim_start().to_owned());
    if splits {
        arg.value_delimiter(',')
    } else {
        arg
    }
}

/// The JSON value of the flag `id` of a field of `kind`, if given: a list's items gathered from
/// every use of the flag, each as the items' kind says; any other value as its kind says.
pub fn field_value(matches: &ArgMatches, id: &str, kind: Kind) -> Option<Value> {
    match kind {
        Kind::Array(list) => {
            let items = matches.get_many::<String>(id)?;
            Some(Value::Array(
                items.map(|item| list.items.json_value(item)).collect(),
            ))
        }
        other => matches
            .get_one::<String>(id)
            .map(|text| other.json_value(text)),
    }
}
