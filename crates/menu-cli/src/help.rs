//! How `menu --help` reads, as gh's does: the commands in groups (the operation commands by the
//! spec's tags, in the order of its top-level `tags` list; then the hand-written ones by
//! [`HAND_WRITTEN_GROUPS`]), the global options, then the sections of [`ROOT_SECTIONS`]
//! (examples, settings, exit codes). clap lists subcommands in one list, so the root command
//! gets a template of its own; the commands' own help is clap's, with the global options under
//! their own heading ([`crate::cli::GLOBAL_OPTIONS`]).

use std::fmt::Write as _;

use clap::Command;
use menu_sdk::menu_client::operation::Operation;
use menu_sdk::menu_client::operations::TAGS;

use crate::cli::{GLOBAL_OPTIONS, HAND_WRITTEN_GROUPS, ROOT_SECTIONS};

/// The group of the operation commands whose operation has no tag.
const UNTAGGED: &str = "Other API";

/// One group of commands in `menu --help`.
struct Group {
    /// Its name: the heading says "`<name>` commands".
    name: String,
    /// Its commands' names and one-line help, in order.
    commands: Vec<(String, String)>,
}

/// `root` (the whole command line) with its `--help` laid out in groups. `operation` tells the
/// operation behind one of its commands, `None` for a hand-written one.
pub fn grouped(root: Command, operation: impl Fn(&str) -> Option<&'static Operation>) -> Command {
    let groups = groups(&root, operation);
    let header = root.get_styles().get_header();
    let literal = root.get_styles().get_literal();
    let width = groups
        .iter()
        .flat_map(|g| &g.commands)
        .map(|(name, _)| name.len())
        .max()
        .unwrap_or(0);
    let listing: Vec<String> = groups
        .iter()
        .map(|group| {
            let mut text = format!("{header}{} commands:{header:#}", group.name);
            for (name, about) in &group.commands {
                let line = format!("  {literal}{name:<width$}{literal:#}  {about}");
                let _ = write!(text, "\n{}", line.trim_end());
            }
            text
        })
        .collect();
    let section = |(heading, text): &(&str, &str)| format!("{header}{heading}:{header:#}\n{text}");
    let short_end = ROOT_SECTIONS.first().map(section).unwrap_or_default();
    let long_end: Vec<String> = ROOT_SECTIONS.iter().map(section).collect();
    // `{before-help}` holds the listing: a template's own text would be read for `{tags}`.
    let template = format!(
        "{{about-with-newline}}\n{{usage-heading}} {{usage}}\n\n{{before-help}}\
         {header}{GLOBAL_OPTIONS}:{header:#}\n{{options}}{{after-help}}"
    );
    root.before_help(listing.join("\n\n"))
        .help_template(template)
        .after_help(short_end)
        .after_long_help(long_end.join("\n\n"))
}

/// The visible commands of `root` in their groups, in order: one group per tag of the spec that
/// has a command, one for the operations without a tag, then [`HAND_WRITTEN_GROUPS`] (the last
/// one also taking any command in no group, clap's `help`). Empty groups are left out.
fn groups(root: &Command, operation: impl Fn(&str) -> Option<&'static Operation>) -> Vec<Group> {
    let mut operations: Vec<(Option<&str>, Group)> = TAGS
        .iter()
        .map(|tag| (Some(*tag), group(tag)))
        .chain([(None, group(UNTAGGED))])
        .collect();
    let mut hand_written: Vec<Group> = HAND_WRITTEN_GROUPS
        .iter()
        .map(|(name, _)| group(name))
        .collect();
    // clap adds its `help` command when it builds the command line.
    let mut built = root.clone();
    built.build();
    for command in built.get_subcommands().filter(|c| !c.is_hide_set()) {
        let name = command.get_name();
        let about = command
            .get_about()
            .map(ToString::to_string)
            .unwrap_or_default();
        let entry = (name.to_owned(), about);
        let target = match operation(name) {
            // An operation's tag is one of `TAGS`, or none.
            Some(op) => operations
                .iter_mut()
                .find(|(tag, _)| *tag == op.tag)
                .map(|(_, group)| group),
            None => {
                let index = HAND_WRITTEN_GROUPS
                    .iter()
                    .position(|(_, names)| names.contains(&name))
                    .unwrap_or(HAND_WRITTEN_GROUPS.len().saturating_sub(1));
                hand_written.get_mut(index)
            }
        };
        if let Some(group) = target {
            group.commands.push(entry);
        }
    }
    // The hand-written commands in their group's order, any other last.
    for (group, (_, names)) in hand_written.iter_mut().zip(HAND_WRITTEN_GROUPS) {
        group
            .commands
            .sort_by_key(|(name, _)| names.iter().position(|n| n == name).unwrap_or(names.len()));
    }
    operations
        .into_iter()
        .map(|(_, group)| group)
        .chain(hand_written)
        .filter(|group| !group.commands.is_empty())
        .collect()
}

fn group(name: &str) -> Group {
    Group {
        name: name.to_owned(),
        commands: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::Cli;
    use clap::CommandFactory as _;

    /// An operation without a tag is listed after the tagged ones, before the hand-written
    /// commands; clap's `help` is in the last group.
    #[test]
    fn an_untagged_operation_has_a_group_of_its_own() {
        use crate::commands::tests::THING;
        assert_eq!(THING.tag, None);
        let root = Cli::command().subcommand(Command::new("update-thing").about("Update"));
        let groups = groups(&root, |name| (name == "update-thing").then_some(&THING));
        let names: Vec<&str> = groups.iter().map(|g| g.name.as_str()).collect();
        let (profile, _) = HAND_WRITTEN_GROUPS[0];
        let at = names.iter().position(|n| *n == UNTAGGED).unwrap();
        assert_eq!(names[at + 1], profile, "{names:?}");
        assert_eq!(
            groups[at].commands,
            [("update-thing".into(), "Update".into())]
        );
        let last = groups.last().unwrap();
        assert_eq!(last.commands.last().unwrap().0, "help");
    }

    /// Every hand-written command is in one group of [`HAND_WRITTEN_GROUPS`], by name, and every
    /// name there is a command: a command added to `cli::Command` fails here until it is grouped.
    #[test]
    fn every_hand_written_command_is_in_one_group() {
        let cli = Cli::command();
        let commands: Vec<&str> = cli.get_subcommands().map(Command::get_name).collect();
        let mut grouped: Vec<&str> = HAND_WRITTEN_GROUPS
            .iter()
            .flat_map(|(_, names)| names.iter().copied())
            .collect();
        for name in &grouped {
            assert!(
                commands.contains(name),
                "`{name}` is grouped but is no command"
            );
        }
        let count = grouped.len();
        grouped.sort_unstable();
        grouped.dedup();
        assert_eq!(grouped.len(), count, "a command in two groups");
        for name in commands {
            assert!(grouped.contains(&name), "`{name}` is in no group");
        }
    }
}
