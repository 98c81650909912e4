//! `--help` as users read it, from the built `menu` with a cleared environment and a fixed width:
//! insta snapshots of `menu --help` and of one operation's, and what holds for every operation
//! (its group, its usage line), derived from the operation table. The snapshots stay true when
//! the spec grows (`cargo xtask proof`): the operation commands of `menu --help`, which a new
//! operation changes, are checked against the table, and their lines left out of its snapshot.

use std::process::Command;

use heck::{ToKebabCase as _, ToShoutySnakeCase as _};
use menu_sdk::menu_client::operations::{ALL, TAGS};

/// The help `menu` prints for `args`, run with nothing of the developer's environment: an empty
/// home and config directory of its own, and 100 columns.
fn help(args: &[&str]) -> String {
    let home = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("help-home-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&home).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_menu"))
        .env_clear()
        .env("HOME", &home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("COLUMNS", "100")
        .args(args)
        .output()
        .unwrap();
    assert!(output.status.success(), "{args:?}: {output:?}");
    assert!(output.stderr.is_empty(), "{args:?}: {output:?}");
    String::from_utf8(output.stdout).unwrap()
}

/// The blocks of a help text (separated by blank lines), as lines.
fn blocks(help: &str) -> Vec<Vec<&str>> {
    help.split("\n\n")
        .map(|block| block.lines().collect::<Vec<_>>())
        .filter(|lines| !lines.is_empty())
        .collect()
}

/// The command a line of a command listing names (`  check-email   Check whether ...`).
fn command_of(line: &str) -> Option<&str> {
    line.strip_prefix("  ")?.split_whitespace().next()
}

/// Where the help text of a line of a command listing starts.
fn column_of(line: &str) -> Option<usize> {
    let name = command_of(line)?;
    let after = line.find(name)? + name.len();
    Some(after + line[after..].find(|c: char| c != ' ')?)
}

/// The lines of the section under `heading` (`Global options:`), up to the next heading.
fn section<'a>(help: &'a str, heading: &str) -> Vec<&'a str> {
    help.lines()
        .skip_while(|line| *line != heading)
        .skip(1)
        .take_while(|line| line.is_empty() || line.starts_with(' '))
        .collect()
}

/// The operation commands, each with its group (its first tag), in the table's order.
fn operation_commands() -> Vec<(String, Option<&'static str>)> {
    ALL.iter()
        .map(|op| (op.id.to_kebab_case(), op.tag))
        .collect()
}

/// Whether `block` is a group of operation commands: a heading, then operation commands only.
fn is_operation_group(block: &[&str]) -> bool {
    let commands = operation_commands();
    block.len() > 1
        && block[0].ends_with(" commands:")
        && block[1..].iter().all(|line| {
            command_of(line).is_some_and(|name| commands.iter().any(|(c, _)| c == name))
        })
}

/// `menu --help` lists the operation commands in one group per tag of the spec, in the order of
/// its tags (`TAGS`: the spec's top-level list first), each command under its operation's first
/// tag in the spec's order, before the hand-written commands' groups.
#[test]
fn root_help_groups_the_operation_commands_by_the_spec_tags() {
    let help = help(&["--help"]);
    let blocks = blocks(&help);
    let groups: Vec<&Vec<&str>> = blocks.iter().filter(|b| is_operation_group(b)).collect();
    let commands = operation_commands();
    let mut expected = Vec::new();
    for tag in TAGS.iter().map(|tag| Some(*tag)).chain([None]) {
        let names: Vec<&str> = commands
            .iter()
            .filter(|(_, t)| *t == tag)
            .map(|(name, _)| name.as_str())
            .collect();
        if !names.is_empty() {
            expected.push((tag, names));
        }
    }
    assert_eq!(groups.len(), expected.len(), "{help}");
    for (group, (tag, names)) in groups.iter().zip(&expected) {
        if let Some(tag) = tag {
            assert_eq!(group[0], format!("{tag} commands:"), "{help}");
        }
        let listed: Vec<&str> = group[1..].iter().filter_map(|l| command_of(l)).collect();
        assert_eq!(&listed, names, "{help}");
    }
    // The operation groups come first, right after the usage line, and the others follow.
    let first = blocks.iter().position(|b| is_operation_group(b)).unwrap();
    assert!(blocks[first - 1][0].starts_with("Usage: menu "), "{help}");
    let last = first + groups.len();
    assert!(blocks[first..last].iter().all(|b| is_operation_group(b)));
    assert!(blocks[last][0].ends_with(" commands:"), "{help}");
    // Every command's help starts in one column, whatever group it is in.
    let columns: Vec<Option<usize>> = blocks
        .iter()
        .filter(|b| b[0].ends_with(" commands:"))
        .flat_map(|b| b[1..].iter().map(|line| column_of(line)))
        .collect();
    assert!(columns.len() > commands.len(), "{help}");
    assert!(
        columns.windows(2).all(|w| w[0] == w[1] && w[0].is_some()),
        "{help}"
    );
}

/// `menu --help`, its operation commands' groups left out (they are checked above, against the
/// table): the hand-written commands' groups, the global options and the closing sections. The
/// column of the commands' help, which the longest operation command decides (checked above),
/// is each group's own here.
#[test]
fn root_help() {
    let help = help(&["--help"]);
    let mut kept: Vec<String> = Vec::new();
    let mut left_out = false;
    for block in blocks(&help) {
        if is_operation_group(&block) {
            if !left_out {
                kept.push("[the operation commands, in groups: checked against the table]".into());
            }
            left_out = true;
            continue;
        }
        let lines: Vec<String> = if block[0].ends_with(" commands:") {
            let listing = &block[1..];
            let width = listing
                .iter()
                .filter_map(|l| command_of(l))
                .map(str::len)
                .max();
            let width = width.unwrap_or(0);
            let padded = |line: &str| {
                let (name, column) = (command_of(line)?, column_of(line)?);
                Some(format!("  {name:<width$}  {}", &line[column..]))
            };
            let listing = listing.iter().map(|line| padded(line).unwrap_or_default());
            std::iter::once(block[0].to_owned())
                .chain(listing)
                .collect()
        } else {
            block.iter().map(ToString::to_string).collect()
        };
        kept.push(lines.join("\n"));
    }
    assert!(left_out, "{help}");
    insta::assert_snapshot!(kept.join("\n\n"));
}

/// The help of the operation that rotates the token, which takes nothing but options of its own:
/// its flags first, under their own heading, then the global options.
#[test]
fn refresh_help() {
    let help = help(&["refresh", "--help"]);
    let own = help.find("\nOptions:\n").unwrap();
    let global = help.find("\nGlobal options:\n").unwrap();
    assert!(own < global, "{help}");
    insta::assert_snapshot!(help);
}

/// Every operation command's usage line is truthful: the customer in the path, which defaults to
/// `me` when no other path argument follows, is optional there, with its default named; no
/// setting that the environment or the profile can give (the global options) is required.
#[test]
fn usage_lines_are_truthful() {
    let globals: Vec<String> = section(&help(&["--help"]), "Global options:")
        .iter()
        .filter_map(|line| line.split_whitespace().find(|w| w.starts_with("--")))
        .map(|flag| flag.trim_end_matches(',').to_owned())
        .collect();
    assert!(globals.contains(&"--token".to_owned()), "{globals:?}");
    for op in ALL {
        let command = op.id.to_kebab_case();
        let help = help(&[&command, "-h"]);
        let usage = help.lines().find(|l| l.starts_with("Usage: ")).unwrap();
        for global in &globals {
            assert!(!usage.contains(global.as_str()), "{command}: {usage}");
        }
        let Some(customer) = op.customer_param() else {
            continue;
        };
        let value = customer.name.to_shouty_snake_case();
        let last_path = op
            .params
            .iter()
            .rfind(|p| p.location == customer.location)
            .map(|p| p.name);
        if last_path == Some(customer.name) {
            assert!(
                usage.ends_with(&format!(" [{value}]")),
                "{command}: {usage}"
            );
            assert!(help.contains("[default: me]"), "{command}: {help}");
        } else {
            assert!(usage.contains(&format!(" <{value}>")), "{command}: {usage}");
        }
    }
}
