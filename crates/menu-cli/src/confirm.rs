//! Asking before an operation that cannot be undone: one the spec marks `x-confirm` (the
//! model's `Operation::confirm`, which says what it does), never chosen by name or method. At a
//! terminal the question goes to stderr and the answer is read from it (default no); `--yes`
//! answers it beforehand; without a terminal, the operation is refused unless `--yes` is given.
//! Nothing is sent until it is answered. `--dry-run` sends nothing, so it asks nothing. The
//! question names what the path names (the customer `me` stands for, resolved). It is asked with
//! the profile locked, so the token it is answered for is the one sent; another `menu` process
//! of the profile waits meanwhile (and says so).

use std::io::{BufRead, IsTerminal as _, Write};

use clap::{Arg, ArgAction, ArgMatches};
use menu_sdk::menu_client::operation::Operation;

use crate::output::Failure;

/// The flag of a command whose operation asks for a confirmation.
pub fn flag() -> Arg {
    Arg::new("yes")
        .long("yes")
        .action(ArgAction::SetTrue)
        .help("Do not ask for confirmation: the answer is yes (needed without a terminal)")
}

/// Whether `operation` may be sent: it asks for no confirmation, `--yes` was given, or the user
/// said yes at the terminal. `command` names it for the user, with `target` (what its path
/// names, such as `customer_account_id 0c3e...`; empty for none).
pub fn confirmed(
    operation: &Operation,
    command: &str,
    target: &str,
    matches: &ArgMatches,
) -> Result<(), Failure> {
    let yes = matches.try_get_one::<bool>("yes").ok().flatten() == Some(&true);
    let (stdin, stderr) = (std::io::stdin(), std::io::stderr());
    let terminal = stdin.is_terminal() && stderr.is_terminal();
    let mut answer = stdin.lock();
    let mut question = stderr.lock();
    let command = if target.is_empty() {
        command.to_owned()
    } else {
        format!("{command} ({target})")
    };
    ask(
        operation,
        &command,
        yes,
        terminal.then_some((
            &mut answer as &mut dyn BufRead,
            &mut question as &mut dyn Write,
        )),
    )
}

/// [`confirmed`], with the terminal's answer and question streams when there is one.
fn ask(
    operation: &Operation,
    command: &str,
    yes: bool,
    terminal: Option<(&mut dyn BufRead, &mut dyn Write)>,
) -> Result<(), Failure> {
    let Some(consequence) = operation.confirm else {
        return Ok(());
    };
    if yes {
        return Ok(());
    }
    let Some((answer, question)) = terminal else {
        return Err(Failure::usage(format!(
            "{command} asks for a confirmation ({consequence}), and there is no terminal to \
             ask at: pass --yes to confirm (nothing was sent)"
        )));
    };
    let _ = write!(question, "{command}: {consequence}\nContinue? [y/N] ");
    let _ = question.flush();
    let mut line = String::new();
    // An error or the end of the input is no answer: no.
    let _ = answer.read_line(&mut line);
    match line.trim().to_ascii_lowercase().as_str() {
        "y" | "yes" => Ok(()),
        _ => Err(Failure::other(format!(
            "{command}: not confirmed, nothing was sent"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::tests::THING;

    static DESTROYS: Operation = Operation {
        confirm: Some("Destroys the thing for good."),
        ..THING
    };

    fn at_terminal(typed: &str) -> (Result<(), Failure>, String) {
        let mut answer = typed.as_bytes();
        let mut question = Vec::new();
        let outcome = ask(
            &DESTROYS,
            "update-thing",
            false,
            Some((&mut answer, &mut question)),
        );
        (outcome, String::from_utf8(question).unwrap())
    }

    #[test]
    fn a_marked_operation_asks_and_no_is_the_default() {
        let (outcome, question) = at_terminal("y\n");
        assert!(outcome.is_ok());
        assert_eq!(
            question,
            "update-thing: Destroys the thing for good.\nContinue? [y/N] "
        );
        assert!(at_terminal(" YES \n").0.is_ok());
        for typed in ["\n", "n\n", "", "yeah\n"] {
            let refused = at_terminal(typed).0.unwrap_err();
            assert_eq!(refused.code, 1, "{typed:?}");
            assert!(refused.message.contains("nothing was sent"), "{typed:?}");
        }
    }

    #[test]
    fn without_a_terminal_only_yes_confirms() {
        let refused = ask(&DESTROYS, "update-thing", false, None).unwrap_err();
        assert_eq!(refused.code, 2);
        assert!(refused.message.contains("--yes"), "{}", refused.message);
        assert!(ask(&DESTROYS, "update-thing", true, None).is_ok());
        // An operation without the mark asks nothing.
        assert!(ask(&THING, "update-thing", false, None).is_ok());
    }
}
