//! The runs of the lifecycle section, as its [`Plan`] says: the sign-up rate of each side (the baseline in
//! memory, the mock under test in memory and with `--state`) in alternating rounds, each run a
//! fresh mock measured at each size in turn; then the memory of a fresh mock whose accounts'
//! tokens rotate. Progress goes to stderr.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use super::customer::Endpoint;
use super::load::{Goal, drive};
use super::operations::{Rotations, SignUps};
use super::plan::Plan;
use super::report::{LifecycleReport, MemoryPoint, MemoryRun, Mode, RatePoint, RateRun};
use super::served::{Launch, Running};

/// Runs the section: `current` in memory and with `--state`, `baseline` (if any) in memory.
pub async fn lifecycle(
    current: &dyn Launch,
    baseline: Option<&dyn Launch>,
    plan: &Plan,
) -> Result<LifecycleReport, String> {
    let started = Instant::now();
    let mut rates = Vec::new();
    for round in 0..plan.rounds.max(plan.state_rounds) {
        let mut sides: Vec<(&dyn Launch, Mode)> = Vec::new();
        if round < plan.rounds {
            if let Some(baseline) = baseline {
                sides.push((baseline, Mode::InMemory));
            }
            sides.push((current, Mode::InMemory));
        }
        if round < plan.state_rounds {
            sides.push((current, Mode::StateFile));
        }
        if round % 2 == 1 {
            sides.reverse();
        }
        for (launcher, mode) in sides {
            rates.push(rate_run(launcher, mode, round, plan).await?);
        }
    }
    let mut memory = Vec::new();
    for (launcher, mode) in baseline
        .map(|baseline| (baseline, Mode::InMemory))
        .into_iter()
        .chain([(current, Mode::InMemory), (current, Mode::StateFile)])
    {
        memory.push(memory_run(launcher, mode, plan).await?);
    }
    Ok(LifecycleReport {
        plan: plan.clone(),
        current: current.label().to_owned(),
        baseline: baseline.map(|baseline| baseline.label().to_owned()),
        rates,
        memory,
        elapsed: started.elapsed(),
    })
}

/// A fresh mock of `launcher` in `mode` (its state file, if any, in a new temporary directory,
/// removed afterwards), and where to reach it.
struct Started {
    mock: Box<dyn Running>,
    endpoint: Arc<Endpoint>,
    /// Holds the state file's directory until the mock is stopped.
    _dir: Option<tempfile::TempDir>,
}

fn start(launcher: &dyn Launch, mode: Mode) -> Result<Started, String> {
    let dir = match mode {
        Mode::InMemory => None,
        Mode::StateFile => Some(
            tempfile::Builder::new()
                .prefix("menu-bench-lifecycle-")
                .tempdir()
                .map_err(|e| format!("cannot make a temporary directory: {e}"))?,
        ),
    };
    // The name says nothing of the format (a JSON file or a database, as the mock decides).
    let state: Option<PathBuf> = dir.as_ref().map(|dir| dir.path().join("state.db"));
    let mock = launcher.start(state.as_deref())?;
    let endpoint = Arc::new(Endpoint::new(mock.base_url(), mock.application_key())?);
    Ok(Started {
        mock,
        endpoint,
        _dir: dir,
    })
}

/// One run of the sign-up rate: a fresh mock, brought to each size in turn and measured there.
async fn rate_run(
    launcher: &dyn Launch,
    mode: Mode,
    round: usize,
    plan: &Plan,
) -> Result<RateRun, String> {
    let label = launcher.label();
    let started = start(launcher, mode)?;
    let sign_ups = Arc::new(SignUps::keeping(0));
    let mut accounts = 0;
    let mut points = Vec::new();
    for &goal_accounts in &plan.accounts {
        let goal = Goal {
            count: goal_accounts.saturating_sub(accounts),
            cap: plan.populate_cap,
        };
        let populate = drive(&started.endpoint, plan.concurrency, goal, sign_ups.clone()).await?;
        accounts += populate.done;
        let at = accounts;
        let goal = Goal {
            count: plan.measured,
            cap: plan.measure_cap,
        };
        let pace = drive(&started.endpoint, plan.concurrency, goal, sign_ups.clone()).await?;
        accounts += pace.done;
        eprintln!(
            "lifecycle: {label} {}, round {}: {} accounts ({} sign-ups in {:.1} s{}), then {} \
             sign-ups at {:.0}/s{}",
            mode.name(),
            round + 1,
            at,
            populate.done,
            populate.elapsed.as_secs_f64(),
            if populate.capped { ", capped" } else { "" },
            pace.done,
            pace.rate(),
            if pace.capped { ", capped" } else { "" },
        );
        points.push(RatePoint {
            goal_accounts,
            accounts: at,
            populate,
            pace,
        });
    }
    Ok(RateRun {
        label: label.to_owned(),
        mode,
        round,
        points,
    })
}

/// One memory run: a fresh mock, its accounts signed up, their tokens rotated round-robin, the
/// memory read after the sign-ups and at each number of rotations.
async fn memory_run(launcher: &dyn Launch, mode: Mode, plan: &Plan) -> Result<MemoryRun, String> {
    let label = launcher.label();
    let started = start(launcher, mode)?;
    let sign_ups = Arc::new(SignUps::keeping(plan.memory_accounts));
    let goal = Goal {
        count: plan.memory_accounts,
        cap: plan.populate_cap,
    };
    let signed_up = drive(&started.endpoint, plan.concurrency, goal, sign_ups.clone()).await?;
    let tokens = Arc::into_inner(sign_ups)
        .ok_or("the sign-ups are still in use after their phase")?
        .into_tokens();
    let after_sign_up = started.mock.memory()?;
    let rotations = Arc::new(Rotations::of(tokens)?);
    let mut done = 0;
    let mut points = Vec::new();
    for &goal_rotations in &plan.rotations {
        let goal = Goal {
            count: goal_rotations.saturating_sub(done),
            cap: plan.rotation_cap,
        };
        let pace = drive(&started.endpoint, plan.concurrency, goal, rotations.clone()).await?;
        done += pace.done;
        let memory = started.mock.memory()?;
        eprintln!(
            "lifecycle: {label} {}, memory: {done} rotations ({:.0}/s{}): VmRSS {} KiB, VmHWM {} KiB",
            mode.name(),
            pace.rate(),
            if pace.capped { ", capped" } else { "" },
            memory.rss_kib,
            memory.hwm_kib
        );
        points.push(MemoryPoint {
            goal: goal_rotations,
            rotations: done,
            pace,
            memory,
        });
    }
    Ok(MemoryRun {
        label: label.to_owned(),
        mode,
        signed_up,
        after_sign_up,
        points,
    })
}
