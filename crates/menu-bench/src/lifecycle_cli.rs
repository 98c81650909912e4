//! The binary's `menu-bench lifecycle` command line (section 8): its options into a
//! [`Plan`](menu_bench::lifecycle::Plan) and the launchers of the mocks, the section run, its
//! Markdown printed.

use std::time::Duration;

use menu_bench::lifecycle::{Launch, MenuProcess, Plan, lifecycle};

const USAGE: &str = "\
usage: menu-bench lifecycle --menu PATH [--label NAME] [--baseline PATH] [--baseline-label NAME]
                            [--smoke] [--rounds N] [--state-rounds N]
                            [--populate-cap SECONDS] [--measure-cap SECONDS] [--rotation-cap SECONDS]

Section 8: the sign-up rate of `PATH mock serve` in memory and with --state, and the baseline's
(another `menu`) in memory, at each size; the memory of the mock's process while tokens rotate.

  --menu PATH               the `menu` binary under test
  --label NAME              its name in the tables [default: current]
  --baseline PATH           a baseline `menu` binary, measured in memory in the same rounds
  --baseline-label NAME     its name in the tables [default: baseline]
  --smoke                   tiny numbers: proves the section runs
  --rounds N                rounds of the in-memory sides [default: 5; 1 with --smoke]
  --state-rounds N          rounds (the first ones) that also run --state [default: 1]
  --populate-cap SECONDS    the longest the sign-ups up to one size may take [default: 180]
  --measure-cap SECONDS     the longest one measured set of sign-ups may take [default: 60]
  --rotation-cap SECONDS    the longest the rotations up to one memory reading may take [default: 180]";

/// Runs `menu-bench lifecycle ARGS`: the process's exit code.
pub fn run(args: &[String]) -> i32 {
    let options = match Options::parse(args) {
        Ok(Some(options)) => options,
        Ok(None) => {
            println!("{USAGE}");
            return 0;
        }
        Err(message) => {
            eprintln!("menu-bench lifecycle: {message}\n\n{USAGE}");
            return 2;
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("menu-bench: cannot start a tokio runtime: {error}");
            return 1;
        }
    };
    let current = MenuProcess::new(options.label, options.menu);
    let baseline = options
        .baseline
        .map(|menu| MenuProcess::new(options.baseline_label, menu));
    let report = runtime.block_on(lifecycle(
        &current,
        baseline.as_ref().map(|b| b as &dyn Launch),
        &options.plan,
    ));
    match report {
        Ok(report) => {
            print!("{}", report.markdown());
            0
        }
        Err(message) => {
            eprintln!("menu-bench lifecycle: {message}");
            1
        }
    }
}

/// What the command line asks for.
struct Options {
    menu: String,
    label: String,
    baseline: Option<String>,
    baseline_label: String,
    plan: Plan,
}

impl Options {
    /// The options; `None` for `--help`.
    fn parse(args: &[String]) -> Result<Option<Self>, String> {
        let smoke = args.iter().any(|a| a == "--smoke");
        let mut plan = if smoke { Plan::smoke() } else { Plan::full() };
        let (mut menu, mut baseline) = (None, None);
        let (mut label, mut baseline_label) = ("current".to_owned(), "baseline".to_owned());
        let mut args = args.iter();
        while let Some(flag) = args.next() {
            let mut value = || {
                args.next()
                    .cloned()
                    .ok_or_else(|| format!("{flag} needs a value"))
            };
            match flag.as_str() {
                "--help" | "-h" => return Ok(None),
                "--smoke" => {}
                "--menu" => menu = Some(value()?),
                "--label" => label = value()?,
                "--baseline" => baseline = Some(value()?),
                "--baseline-label" => baseline_label = value()?,
                "--rounds" => plan.rounds = number(flag, &value()?)?,
                "--state-rounds" => plan.state_rounds = number(flag, &value()?)?,
                "--populate-cap" => plan.populate_cap = seconds(flag, &value()?)?,
                "--measure-cap" => plan.measure_cap = seconds(flag, &value()?)?,
                "--rotation-cap" => plan.rotation_cap = seconds(flag, &value()?)?,
                other => return Err(format!("unknown argument {other:?}")),
            }
        }
        let menu = menu.ok_or("--menu PATH is required")?;
        Ok(Some(Self {
            menu,
            label,
            baseline,
            baseline_label,
            plan,
        }))
    }
}

fn number(flag: &str, value: &str) -> Result<usize, String> {
    value
        .parse()
        .map_err(|_| format!("{flag} takes a whole number, not {value:?}"))
}

fn seconds(flag: &str, value: &str) -> Result<Duration, String> {
    let seconds: u64 = value
        .parse()
        .map_err(|_| format!("{flag} takes whole seconds, not {value:?}"))?;
    Ok(Duration::from_secs(seconds))
}
