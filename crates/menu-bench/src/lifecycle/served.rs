//! The mocks measured: how one is started ([`Launch`]), what a running one tells ([`Running`]:
//! where it listens, the application key it accepts, its process's memory), and the launcher of
//! `menu mock serve` processes ([`MenuProcess`]), which reads the URL and the key from the banner
//! it prints (the same lines in every version of `menu` that has `mock serve`).

use std::collections::VecDeque;
use std::io::{BufRead as _, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// A kind of mock to measure.
pub trait Launch {
    /// How the tables name it.
    fn label(&self) -> &str;

    /// Starts one: in memory, or keeping its state in `state` (a path where nothing is yet).
    /// Dropping what it returns stops it.
    fn start(&self, state: Option<&Path>) -> Result<Box<dyn Running>, String>;
}

/// A mock that is serving.
pub trait Running {
    /// Its base URL (`http://127.0.0.1:PORT/api`).
    fn base_url(&self) -> &str;

    /// An application key it accepts.
    fn application_key(&self) -> &str;

    /// The resident memory of its process, now.
    fn memory(&self) -> Result<Memory, String>;
}

/// The resident memory of a process, from `/proc/PID/status`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Memory {
    /// `VmRSS`: resident now, KiB.
    pub rss_kib: u64,
    /// `VmHWM`: the most it has been resident, KiB.
    pub hwm_kib: u64,
}

impl Memory {
    /// The memory of the process `pid`.
    pub fn of_process(pid: u32) -> Result<Self, String> {
        let path = format!("/proc/{pid}/status");
        let status =
            std::fs::read_to_string(&path).map_err(|e| format!("cannot read {path}: {e}"))?;
        Self::parse(&status).ok_or_else(|| format!("{path} has no VmRSS and VmHWM lines"))
    }

    /// `VmRSS` and `VmHWM` of a `/proc/PID/status` text.
    pub fn parse(status: &str) -> Option<Self> {
        let kib = |name: &str| {
            status
                .lines()
                .find_map(|line| line.strip_prefix(name)?.strip_prefix(':'))
                .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        };
        Some(Self {
            rss_kib: kib("VmRSS")?,
            hwm_kib: kib("VmHWM")?,
        })
    }
}

/// Where a mock listens and the key it accepts, as its banner tells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Announced {
    /// The base URL.
    pub base_url: String,
    /// The application key.
    pub application_key: String,
}

/// Reads the banner of `menu mock serve` line by line: the base URL from its first line
/// (`menu mock server listening on URL (Ctrl-C to stop)`), the key from
/// `export MENU_APPLICATION_KEY=KEY`. `None` until both were read.
#[derive(Debug, Default)]
pub struct Banner {
    base_url: Option<String>,
    application_key: Option<String>,
}

impl Banner {
    /// Takes in one line of the banner; what it announced once it told both.
    pub fn read(&mut self, line: &str) -> Option<Announced> {
        let line = line.trim();
        if let Some(rest) = line.strip_prefix("menu mock server listening on ") {
            let url = rest.split_whitespace().next().unwrap_or_default();
            self.base_url = Some(url.to_owned());
        } else if let Some(key) = line.strip_prefix("export MENU_APPLICATION_KEY=") {
            self.application_key = Some(key.trim_matches(['\'', '"']).to_owned());
        }
        Some(Announced {
            base_url: self.base_url.clone()?,
            application_key: self.application_key.clone()?,
        })
    }
}

/// How long a mock may take to tell where it listens.
const START_TIMEOUT: Duration = Duration::from_secs(60);
/// The last lines of a mock's stderr kept, for the error when it fails.
const STDERR_LINES: usize = 20;

/// `menu mock serve` processes of one `menu` binary, on a free port of 127.0.0.1.
#[derive(Debug, Clone)]
pub struct MenuProcess {
    label: String,
    menu: PathBuf,
}

impl MenuProcess {
    /// Mocks of the `menu` binary `menu`, named `label` in the tables.
    pub fn new(label: impl Into<String>, menu: impl Into<PathBuf>) -> Self {
        Self {
            label: label.into(),
            menu: menu.into(),
        }
    }
}

impl Launch for MenuProcess {
    fn label(&self) -> &str {
        &self.label
    }

    fn start(&self, state: Option<&Path>) -> Result<Box<dyn Running>, String> {
        let mut command = Command::new(&self.menu);
        command.args(["mock", "serve", "--port", "0"]);
        if let Some(state) = state {
            command.arg("--state").arg(state);
        }
        let what = format!("{} mock serve", self.menu.display());
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start {what}: {e}"))?;
        let stderr = Arc::new(Mutex::new(VecDeque::new()));
        if let Some(pipe) = child.stderr.take() {
            let tail = stderr.clone();
            drain(pipe, move |line| {
                let mut tail = tail.lock().unwrap_or_else(PoisonError::into_inner);
                if tail.len() == STDERR_LINES {
                    tail.pop_front();
                }
                tail.push_back(line);
            });
        }
        // The banner's lines come through the channel; every line, the codes the mock prints as
        // it sends them included, is read to the end (a full pipe would stall the mock).
        let (lines, banner) = mpsc::channel();
        if let Some(pipe) = child.stdout.take() {
            drain(pipe, move |line| {
                let _ = lines.send(line);
            });
        }
        let mut served = ServedProcess {
            child,
            announced: Announced {
                base_url: String::new(),
                application_key: String::new(),
            },
            stderr,
        };
        let mut reading = Banner::default();
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match banner.recv_timeout(left) {
                Ok(line) => {
                    if let Some(announced) = reading.read(&line) {
                        served.announced = announced;
                        return Ok(Box::new(served));
                    }
                }
                Err(RecvTimeoutError::Timeout) => {
                    return Err(served.failure(&format!(
                        "{what} told no base URL and application key in {START_TIMEOUT:?}"
                    )));
                }
                Err(RecvTimeoutError::Disconnected) => {
                    return Err(served.failure(&format!(
                        "{what} closed its output before telling its base URL and key"
                    )));
                }
            }
        }
    }
}

/// Reads `pipe` line by line on a thread of its own, handing each line to `each`.
fn drain(pipe: impl Read + Send + 'static, mut each: impl FnMut(String) + Send + 'static) {
    std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines() {
            match line {
                Ok(line) => each(line),
                Err(_) => break,
            }
        }
    });
}

/// A `menu mock serve` process; killed when dropped.
struct ServedProcess {
    child: Child,
    announced: Announced,
    /// The last lines of its stderr.
    stderr: Arc<Mutex<VecDeque<String>>>,
}

impl ServedProcess {
    /// `message`, with how the process ended (or that it is killed now) and its last stderr
    /// lines.
    fn failure(mut self, message: &str) -> String {
        let ended = match self.child.try_wait() {
            Ok(Some(status)) => format!("it exited: {status}"),
            _ => "it is stopped now".to_owned(),
        };
        let _ = self.child.kill();
        let _ = self.child.wait();
        // The drain thread may still be reading the last lines.
        std::thread::sleep(Duration::from_millis(50));
        let tail = self.stderr.lock().unwrap_or_else(PoisonError::into_inner);
        let tail: Vec<&str> = tail.iter().map(String::as_str).collect();
        format!(
            "{message} ({ended}); its stderr ended with:\n{}",
            tail.join("\n")
        )
    }
}

impl Running for ServedProcess {
    fn base_url(&self) -> &str {
        &self.announced.base_url
    }

    fn application_key(&self) -> &str {
        &self.announced.application_key
    }

    fn memory(&self) -> Result<Memory, String> {
        Memory::of_process(self.child.id())
    }
}

impl Drop for ServedProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn announced(banner: &str) -> Option<Announced> {
        let mut reading = Banner::default();
        banner.lines().find_map(|line| reading.read(line))
    }

    #[test]
    fn the_banner_tells_the_base_url_and_the_key_in_every_version() {
        let expected = Announced {
            base_url: "http://127.0.0.1:40123/api".into(),
            application_key: "0123456789abcdef0123456789abcdef".into(),
        };
        // Today's banner.
        let today = "menu mock server listening on http://127.0.0.1:40123/api (Ctrl-C to stop)\n\n\
            # Use it from another shell (paste these lines; --print-env prints only them):\n\
            export MENU_BASE_URL=http://127.0.0.1:40123/api\n\
            export MENU_APPLICATION_KEY=0123456789abcdef0123456789abcdef\n";
        assert_eq!(announced(today), Some(expected.clone()));
        // d80ccd9's: a token line follows, quoted values are unquoted.
        let older = "menu mock server listening on http://127.0.0.1:40123/api (Ctrl-C to stop)\n\
            export MENU_APPLICATION_KEY='0123456789abcdef0123456789abcdef'\n\
            export MENU_TOKEN=eyJ0...\n";
        assert_eq!(announced(older), Some(expected));
        assert_eq!(announced("export MENU_APPLICATION_KEY=k\n"), None);
    }

    #[test]
    fn memory_is_read_from_proc_status() {
        let status = "Name:\tmenu\nVmPeak:\t  900 kB\nVmHWM:\t   20480 kB\nVmRSS:\t   10240 kB\n";
        assert_eq!(
            Memory::parse(status),
            Some(Memory {
                rss_kib: 10240,
                hwm_kib: 20480
            })
        );
        assert_eq!(Memory::parse("VmRSS:\t1 kB\n"), None);
        let own = Memory::of_process(std::process::id()).unwrap();
        assert!(own.rss_kib > 0 && own.hwm_kib >= own.rss_kib, "{own:?}");
    }
}
