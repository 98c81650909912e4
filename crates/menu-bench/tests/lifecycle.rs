//! Section 8 runs end to end with the smoke plan, against in-process mocks standing in for
//! `menu mock serve` processes (the test suite builds no `menu` binary): every sign-up and
//! rotation succeeds, every phase reaches its count, and the tables have their rows. The figures
//! themselves are not asserted.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::path::Path;
use std::sync::mpsc;

use menu_bench::lifecycle::{Launch, Memory, Mode, Plan, Running, lifecycle};
use menu_mock::{MockServer, MockState};

/// Mocks served by this process, each on a thread and a runtime of its own.
struct InProcess(&'static str);

/// One of them; stopped when dropped.
struct Served {
    base_url: String,
    application_key: String,
    stop: Option<mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Launch for InProcess {
    fn label(&self) -> &str {
        self.0
    }

    fn start(&self, state: Option<&Path>) -> Result<Box<dyn Running>, String> {
        let state = match state {
            Some(path) => MockState::open(path).map_err(|e| e.to_string())?,
            None => MockState::seeded(),
        };
        let (told, told_rx) = mpsc::channel();
        let (stop, stop_rx) = mpsc::channel::<()>();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let addr = SocketAddr::from(([127, 0, 0, 1], 0));
                let server = MockServer::bind(addr, state).await.unwrap();
                told.send((
                    server.base_url().to_owned(),
                    server.application_key().to_owned(),
                ))
                .unwrap();
                tokio::task::spawn_blocking(move || stop_rx.recv())
                    .await
                    .unwrap()
                    .ok();
                server.shutdown().await;
            });
        });
        let (base_url, application_key) = told_rx.recv().map_err(|e| e.to_string())?;
        Ok(Box::new(Served {
            base_url,
            application_key,
            stop: Some(stop),
            thread: Some(thread),
        }))
    }
}

impl Running for Served {
    fn base_url(&self) -> &str {
        &self.base_url
    }

    fn application_key(&self) -> &str {
        &self.application_key
    }

    fn memory(&self) -> Result<Memory, String> {
        Memory::of_process(std::process::id())
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            thread.join().unwrap();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_lifecycle_section_runs() {
    let plan = Plan::smoke();
    let report = lifecycle(&InProcess("current"), Some(&InProcess("old")), &plan)
        .await
        .unwrap();
    // One round: the baseline and the mock under test in memory, then with `--state`.
    let sides: Vec<(&str, Mode)> = report
        .rates
        .iter()
        .map(|run| (run.label.as_str(), run.mode))
        .collect();
    assert_eq!(
        sides,
        [
            ("old", Mode::InMemory),
            ("current", Mode::InMemory),
            ("current", Mode::StateFile)
        ]
    );
    for run in &report.rates {
        let reached: Vec<usize> = run.points.iter().map(|point| point.accounts).collect();
        assert_eq!(reached, plan.accounts, "{run:?}");
        assert!(
            run.points
                .iter()
                .all(|point| point.pace.done == plan.measured && !point.pace.capped),
            "{run:?}"
        );
    }
    assert_eq!(report.memory.len(), 3);
    for run in &report.memory {
        assert_eq!(run.signed_up.done, plan.memory_accounts, "{run:?}");
        let rotations: Vec<usize> = run.points.iter().map(|point| point.rotations).collect();
        assert_eq!(rotations, plan.rotations, "{run:?}");
        assert!(run.points.iter().all(|point| point.memory.rss_kib > 0));
    }
    let markdown = report.markdown();
    let rows = |heading: &str| {
        markdown
            .split(heading)
            .nth(1)
            .unwrap_or_else(|| panic!("no {heading:?} in:\n{markdown}"))
            .lines()
            .skip_while(|line| !line.starts_with('|'))
            .take_while(|line| line.starts_with('|'))
            .count()
    };
    // Header and rule, then: 3 sides x 2 sizes; 2 + 2 + 2 ratios and 2 x 2 memory ratios; 3
    // memory runs x (after the sign-ups + 2 readings).
    assert_eq!(rows("### Sign-up rate"), 2 + 6, "{markdown}");
    assert_eq!(rows("### Targets"), 2 + 10, "{markdown}");
    assert_eq!(rows("### Memory"), 2 + 9, "{markdown}");
}
