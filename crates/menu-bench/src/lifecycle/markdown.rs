//! The lifecycle section's Markdown ([`LifecycleReport::markdown`]): the sign-up rates (each
//! row's median run, and every run in order), the targets as ratios (printed, never
//! asserted), and the mock's memory while it rotates tokens.

use std::fmt::Write as _;
use std::time::Duration;

use super::load::Pace;
use super::report::{LifecycleReport, Mode, RatePoint, median_point};
use super::served::Memory;

/// `12,345`.
fn count(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// A rate, rounded, with thousands separators.
fn rate(pace: &Pace) -> String {
    count(pace.rate().round() as usize)
}

fn mib(kib: u64) -> String {
    format!("{:.1}", kib as f64 / 1024.0)
}

fn seconds(duration: Duration) -> String {
    format!("{:.0} s", duration.as_secs_f64())
}

/// `8.4 s`, or `12 min 5 s`.
fn took(duration: Duration) -> String {
    let total = duration.as_secs_f64();
    if total < 60.0 {
        return format!("{total:.1} s");
    }
    let whole = duration.as_secs();
    format!("{} min {} s", whole / 60, whole % 60)
}

impl LifecycleReport {
    /// The section, as Markdown.
    pub fn markdown(&self) -> String {
        let plan = &self.plan;
        let mut out = String::new();
        let _ = writeln!(
            out,
            "## 8. Mock lifecycle: sign-ups and token rotations (`menu mock serve`, raw HTTP/1.1, \
             {} connections)\n",
            plan.concurrency
        );
        let _ = writeln!(
            out,
            "A sign-up is four requests (check-email, passwordless-request, the outbox, register). \
             Each run starts a fresh mock, signs up accounts until it holds each size, then \
             measures {} sign-ups there. The rounds alternate the sides (in order, then \
             reversed). The section took {}.\n",
            count(plan.measured),
            took(self.elapsed)
        );
        self.rates_table(&mut out);
        self.targets_table(&mut out);
        self.memory_table(&mut out);
        out
    }

    fn rates_table(&self, out: &mut String) {
        let _ = writeln!(out, "### Sign-up rate\n");
        let _ = writeln!(
            out,
            "| mock | state | accounts | sign-ups/s (median run) | every run, in order | p50 ms | p99 ms |"
        );
        let _ = writeln!(out, "| --- | --- | --- | --- | --- | --- | --- |");
        for (label, mode) in self.sides() {
            for (size, &goal) in self.plan.accounts.iter().enumerate() {
                let points: Vec<&RatePoint> = self
                    .runs(label, mode)
                    .filter_map(|run| run.points.get(size))
                    .collect();
                let Some(middle) = median_point(&points) else {
                    continue;
                };
                let every: Vec<String> = points.iter().map(|point| describe(point)).collect();
                let _ = writeln!(
                    out,
                    "| {label} | {} | {} | {} | {} | {:.1} | {:.1} |",
                    mode.name(),
                    count(goal),
                    rate(&middle.pace),
                    every.join(", "),
                    middle.pace.p50_ms,
                    middle.pace.p99_ms
                );
            }
        }
        let _ = writeln!(out);
    }

    fn targets_table(&self, out: &mut String) {
        let _ = writeln!(out, "### Targets (ratios, medians of the rounds' ratios)\n");
        let _ = writeln!(out, "| target | ratio | goal | met |");
        let _ = writeln!(out, "| --- | --- | --- | --- |");
        let current = self.current.as_str();
        let sizes = &self.plan.accounts;
        // A ratio of capped runs compares other sizes than the target's: it is not judged.
        let mut row =
            |what: String, capped: bool, ratio: Option<f64>, at_least: bool, goal: f64| {
                let (ratio, met) = match ratio {
                    None => ("not measured".to_owned(), "-"),
                    Some(ratio) => {
                        let met = if capped {
                            "not judged"
                        } else if (at_least && ratio >= goal) || (!at_least && ratio <= goal) {
                            "yes"
                        } else {
                            "no"
                        };
                        let note = if capped { " (capped)" } else { "" };
                        (format!("{ratio:.2}{note}"), met)
                    }
                };
                let sign = if at_least { ">=" } else { "<=" };
                let _ = writeln!(out, "| {what} | {ratio} | {sign} {goal:.2} | {met} |");
            };
        for (size, &goal) in sizes.iter().enumerate() {
            row(
                format!(
                    "`--state` / in memory, sign-ups at {} accounts",
                    count(goal)
                ),
                self.capped(current, Mode::StateFile, Some(size))
                    || self.capped(current, Mode::InMemory, Some(size)),
                self.side_ratio((current, Mode::StateFile), (current, Mode::InMemory), size),
                true,
                0.5,
            );
        }
        if let (Some(first), Some(last)) = (sizes.first(), sizes.last())
            && sizes.len() > 1
        {
            for mode in [Mode::InMemory, Mode::StateFile] {
                row(
                    format!(
                        "sign-ups at {} / at {} accounts, {}",
                        count(*last),
                        count(*first),
                        mode.name()
                    ),
                    self.capped(current, mode, None),
                    self.growth_ratio(current, mode),
                    true,
                    0.8,
                );
            }
        }
        if let Some(baseline) = &self.baseline {
            for (size, &goal) in sizes.iter().enumerate() {
                row(
                    format!(
                        "in memory, {current} / {baseline}, sign-ups at {} accounts",
                        count(goal)
                    ),
                    self.capped(current, Mode::InMemory, Some(size))
                        || self.capped(baseline, Mode::InMemory, Some(size)),
                    self.side_ratio((current, Mode::InMemory), (baseline, Mode::InMemory), size),
                    true,
                    1.0,
                );
            }
        }
        for run in self.memory.iter().filter(|run| run.label == current) {
            let (Some(first), Some(last)) = (run.points.first(), run.points.last()) else {
                continue;
            };
            if run.points.len() < 2 {
                continue;
            }
            let capped = run.signed_up.capped || run.points.iter().any(|p| p.pace.capped);
            for (name, kib) in [
                ("VmRSS", (|m: &Memory| m.rss_kib) as fn(&Memory) -> u64),
                ("VmHWM", |m: &Memory| m.hwm_kib),
            ] {
                row(
                    format!(
                        "{name} after {} / after {} rotations, {}",
                        count(last.rotations),
                        count(first.rotations),
                        run.mode.name()
                    ),
                    capped,
                    (kib(&first.memory) > 0)
                        .then(|| kib(&last.memory) as f64 / kib(&first.memory) as f64),
                    false,
                    1.1,
                );
            }
        }
        let _ = writeln!(out);
    }

    fn memory_table(&self, out: &mut String) {
        let Some(accounts) = self.memory.first().map(|run| run.signed_up.done) else {
            return;
        };
        let _ = writeln!(
            out,
            "### Memory of the mock's process while it rotates tokens ({} accounts, round-robin)\n",
            count(accounts)
        );
        let _ = writeln!(
            out,
            "| mock | state | after | VmRSS MiB | VmHWM MiB | rotations/s (since the row before) |"
        );
        let _ = writeln!(out, "| --- | --- | --- | --- | --- | --- |");
        for run in &self.memory {
            let mut signed_up = format!("signing up {} accounts", count(run.signed_up.done));
            if run.signed_up.capped {
                let _ = write!(
                    signed_up,
                    " (of {}: capped at {})",
                    count(self.plan.memory_accounts),
                    seconds(self.plan.populate_cap)
                );
            }
            let _ = writeln!(
                out,
                "| {} | {} | {signed_up} | {} | {} | - |",
                run.label,
                run.mode.name(),
                mib(run.after_sign_up.rss_kib),
                mib(run.after_sign_up.hwm_kib)
            );
            for point in &run.points {
                let mut after = format!("{} rotations", count(point.rotations));
                if point.pace.capped {
                    let _ = write!(
                        after,
                        " (of {}: capped at {})",
                        count(point.goal),
                        seconds(self.plan.rotation_cap)
                    );
                }
                let _ = writeln!(
                    out,
                    "| {} | {} | {after} | {} | {} | {} |",
                    run.label,
                    run.mode.name(),
                    mib(point.memory.rss_kib),
                    mib(point.memory.hwm_kib),
                    rate(&point.pace)
                );
            }
        }
        let _ = writeln!(out);
    }
}

/// One run's rate at a size, with what a cap left short of the plan.
fn describe(point: &RatePoint) -> String {
    let mut short = Vec::new();
    if point.accounts < point.goal_accounts {
        short.push(format!("at {} accounts", count(point.accounts)));
    }
    if point.pace.capped {
        short.push(format!("{} sign-ups", count(point.pace.done)));
    }
    let mut text = rate(&point.pace);
    if !short.is_empty() {
        let _ = write!(text, " ({}: capped)", short.join(", "));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_have_thousands_separators() {
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(1_000), "1,000");
        assert_eq!(count(100_000), "100,000");
        assert_eq!(count(1_234_567), "1,234,567");
    }
}
