//! What the lifecycle section measured ([`LifecycleReport`]): every run as it went, and the
//! ratios of the targets read from them (medians of the rounds' ratios). The tables are
//! `markdown.rs`.

use std::time::Duration;

use super::load::Pace;
use super::plan::Plan;
use super::served::Memory;

/// Where a mock keeps its state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// In memory only.
    InMemory,
    /// Also in a file (`--state FILE`).
    StateFile,
}

impl Mode {
    /// How the tables name it.
    pub fn name(self) -> &'static str {
        match self {
            Self::InMemory => "in memory",
            Self::StateFile => "`--state`",
        }
    }
}

/// The sign-up rate at one size of the mock.
#[derive(Debug, Clone, Copy)]
pub struct RatePoint {
    /// The accounts the mock was to hold when the measurement started.
    pub goal_accounts: usize,
    /// The accounts it held (fewer when the sign-ups before were capped).
    pub accounts: usize,
    /// The sign-ups that brought it there.
    pub populate: Pace,
    /// The measured sign-ups.
    pub pace: Pace,
}

/// One run of the sign-up rate: a fresh mock, measured at each size in turn.
#[derive(Debug, Clone)]
pub struct RateRun {
    /// The mock's label.
    pub label: String,
    /// Where it kept its state.
    pub mode: Mode,
    /// The round the run belongs to (sides alternate within a round).
    pub round: usize,
    /// One per size, in order.
    pub points: Vec<RatePoint>,
}

/// The mock's memory after a number of rotations.
#[derive(Debug, Clone, Copy)]
pub struct MemoryPoint {
    /// The rotations it was to have made by then.
    pub goal: usize,
    /// The rotations made (fewer when capped).
    pub rotations: usize,
    /// The rotations since the last point.
    pub pace: Pace,
    /// The mock's memory then.
    pub memory: Memory,
}

/// One memory run: a fresh mock, its accounts signed up, then their tokens rotated.
#[derive(Debug, Clone)]
pub struct MemoryRun {
    /// The mock's label.
    pub label: String,
    /// Where it kept its state.
    pub mode: Mode,
    /// The sign-ups of the accounts whose tokens rotate.
    pub signed_up: Pace,
    /// The mock's memory once they were signed up.
    pub after_sign_up: Memory,
    /// One per number of rotations, in order.
    pub points: Vec<MemoryPoint>,
}

/// Everything the lifecycle section measured.
#[derive(Debug, Clone)]
pub struct LifecycleReport {
    /// What was asked for.
    pub plan: Plan,
    /// The label of the mock under test.
    pub current: String,
    /// The label of the baseline, if one was measured.
    pub baseline: Option<String>,
    /// The sign-up runs, in the order they ran.
    pub rates: Vec<RateRun>,
    /// The memory runs, in the order they ran.
    pub memory: Vec<MemoryRun>,
    /// How long the whole section took.
    pub elapsed: Duration,
}

impl LifecycleReport {
    /// The runs of one row, in order.
    pub(super) fn runs(&self, label: &str, mode: Mode) -> impl Iterator<Item = &RateRun> {
        self.rates
            .iter()
            .filter(move |run| run.label == label && run.mode == mode)
    }

    /// The rows: each side and mode that ran, baseline first.
    pub(super) fn sides(&self) -> Vec<(&str, Mode)> {
        let mut sides = Vec::new();
        for run in &self.rates {
            if !sides.contains(&(run.label.as_str(), run.mode)) {
                sides.push((run.label.as_str(), run.mode));
            }
        }
        sides.sort_by_key(|(label, mode)| {
            (
                Some(*label) != self.baseline.as_deref(),
                *mode == Mode::StateFile,
            )
        });
        sides
    }

    /// ratio of their medians when they share no round).
    pub(super) fn side_ratio(&self, a: (&str, Mode), b: (&str, Mode), size: usize) -> Option<f64> {
        let rates = |(label, mode): (&str, Mode)| -> Vec<(usize, f64)> {
            self.runs(label, mode)
                .filter_map(|run| Some((run.round, run.points.get(size)?.pace.rate())))
                .collect()
        };
        let (a, b) = (rates(a), rates(b));
        let paired: Vec<f64> = a
            .iter()
            .filter_map(|(round, x)| {
                let (_, y) = b.iter().find(|(other, _)| other == round)?;
                (*y > 0.0).then(|| x / y)
            })
            .collect();
        if !paired.is_empty() {
            return median(paired);
        }
        let a = median(a.into_iter().map(|(_, x)| x).collect())?;
        let b = median(b.into_iter().map(|(_, y)| y).collect())?;
        (b > 0.0).then(|| a / b)
    }

    /// Whether a cap left a run of this row short of the plan: at `size` (by its index), or at
    /// any size.
    pub(super) fn capped(&self, label: &str, mode: Mode, size: Option<usize>) -> bool {
        self.runs(label, mode).any(|run| {
            run.points
                .iter()
                .enumerate()
                .filter(|(at, _)| size.is_none_or(|size| size == *at))
                .any(|(_, point)| point.accounts < point.goal_accounts || point.pace.capped)
        })
    }

    /// The median over the runs of the ratio of the rate at the last size to the rate at the
    /// first.
    pub(super) fn growth_ratio(&self, label: &str, mode: Mode) -> Option<f64> {
        median(
            self.runs(label, mode)
                .filter_map(|run| {
                    let first = run.points.first()?.pace.rate();
                    let last = run.points.last()?.pace.rate();
                    (run.points.len() > 1 && first > 0.0).then(|| last / first)
                })
                .collect(),
        )
    }
}

fn median(mut values: Vec<f64>) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    Some(values[values.len() / 2])
}

/// The point of the median rate.
pub(super) fn median_point<'a>(points: &[&'a RatePoint]) -> Option<&'a RatePoint> {
    let mut sorted = points.to_vec();
    sorted.sort_by(|a, b| a.pace.rate().total_cmp(&b.pace.rate()));
    sorted.get(sorted.len() / 2).copied()
}
