//! Profiles: the credentials file (`menu/credentials.toml` in the platform's config directory,
//! `$XDG_CONFIG_HOME` honoured; mode 0600, refused when looser), one named profile per section
//! (`[profiles.default]`) with the base URL, the application key and the customer token. The
//! token and the key go only to that base URL, or to the profile's local proxy (`binding.rs`).
//!
//! A command that uses a profile holds an inter-process lock (`credentials.toml.lock`, through
//! fs4) from before it reads the file until it exits, so that two `menu` processes never refresh
//! one token: the second one waits, then reads the profile again and uses the token the first
//! one stored. The profile is the client's token store (`settings/store.rs`): every token the
//! server issues (a refresh, automatic or explicit, a `register`) is written back, atomically,
//! before the command exits, bound to the base URL that issued it in the same write.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::output::Failure;

/// The profile used when none is named.
pub const DEFAULT_PROFILE: &str = "default";

/// One profile. Its `Debug` says which secrets are set, never their values.
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Profile {
    /// The base URL the profile's token and key are bound to (the default host when absent: a
    /// profile of `menu` 0.3, bound on first use).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
    /// A local proxy in front of that base URL, which the token and key may also go to
    /// (`menu login --proxy-url`; loopback only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proxy_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub application_key: Option<String>,
    /// The customer token (the JWT).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// Keys this version does not know, kept as they are.
    #[serde(flatten)]
    other: BTreeMap<String, toml::Value>,
}

impl std::fmt::Debug for Profile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Profile")
            .field("base_url", &self.base_url)
            .field("proxy_url", &self.proxy_url)
            .field(
                "application_key",
                &self.application_key.as_ref().map(|_| "<redacted>"),
            )
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .finish_non_exhaustive()
    }
}

/// The credentials file's contents.
#[derive(Default, Serialize, Deserialize)]
struct Credentials {
    #[serde(default)]
    profiles: BTreeMap<String, Profile>,
    /// Keys this version does not know, kept as they are.
    #[serde(flatten)]
    other: BTreeMap<String, toml::Value>,
}

/// The credentials file of one profile.
#[derive(Debug, Clone)]
pub struct Profiles {
    path: PathBuf,
    name: String,
}

/// The inter-process lock, held until dropped.
pub struct Locked {
    _file: std::fs::File,
}

impl Profiles {
    /// The credentials file in the platform's config directory, for profile `name`.
    pub fn new(name: Option<&str>) -> Result<Self, Failure> {
        let name = name.unwrap_or(DEFAULT_PROFILE).trim();
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        {
            return Err(Failure::usage(format!(
                "`{name}` is not a profile name (letters, digits, `-`, `_`, `.`)"
            )));
        }
        let dir = dirs::config_dir()
            .ok_or_else(|| Failure::usage("no config directory: set XDG_CONFIG_HOME (or HOME)"))?;
        Ok(Self {
            path: dir.join("menu").join("credentials.toml"),
            name: name.to_owned(),
        })
    }

    /// The profile's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The credentials file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Takes the inter-process lock (waiting for another `menu` that holds it).
    pub fn lock(&self) -> Result<Locked, Failure> {
        let dir = self.path.parent().unwrap_or(Path::new("."));
        create_private_dir(dir)
            .map_err(|e| Failure::other(format!("cannot create {}: {e}", dir.display())))?;
        let lock = self.path.with_extension("toml.lock");
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock)
            .map_err(|e| Failure::other(format!("cannot open {}: {e}", lock.display())))?;
        let locked = match fs4::FileExt::try_lock(&file) {
            Ok(()) => Ok(()),
            Err(fs4::TryLockError::WouldBlock) => {
                crate::output::tell!(
                    "Waiting for another `menu` that is using {}...",
                    self.path.display()
                );
                fs4::FileExt::lock(&file)
            }
            Err(fs4::TryLockError::Error(e)) => Err(e),
        };
        locked.map_err(|e| Failure::other(format!("cannot lock {}: {e}", lock.display())))?;
        Ok(Locked { _file: file })
    }

    /// The profile (empty when the file or the profile does not exist). A file readable or
    /// writable by others is refused.
    pub fn read(&self) -> Result<Profile, Failure> {
        Ok(self
            .credentials()?
            .profiles
            .remove(&self.name)
            .unwrap_or_default())
    }

    fn credentials(&self) -> Result<Credentials, Failure> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Credentials::default());
            }
            Err(e) => {
                return Err(Failure::other(format!(
                    "cannot read {}: {e}",
                    self.path.display()
                )));
            }
        };
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&self.path)
                .map_err(|e| Failure::other(format!("cannot read {}: {e}", self.path.display())))?
                .permissions()
                .mode();
            if mode & 0o077 != 0 {
                return Err(Failure::usage(format!(
                    "{} holds secrets but other users can access it (mode {:o}): run `chmod 600 {}`",
                    self.path.display(),
                    mode & 0o777,
                    self.path.display()
                )));
            }
        }
        // toml's message quotes the line, which may hold a secret: only its position is kept.
        toml::from_str(&text).map_err(|e| {
            let at = e
                .span()
                .map(|span| {
                    let line = text[..span.start.min(text.len())].lines().count().max(1);
                    format!(" (line {line})")
                })
                .unwrap_or_default();
            Failure::usage(format!(
                "{} is not a valid credentials file{at}",
                self.path.display()
            ))
        })
    }

    /// Changes the profile with `change` and writes the file back (mode 0600, atomically). The
    /// caller holds the lock.
    pub fn update(&self, change: impl FnOnce(&mut Profile)) -> Result<(), Failure> {
        let mut credentials = self.credentials()?;
        change(credentials.profiles.entry(self.name.clone()).or_default());
        let text = toml::to_string(&credentials)
            .map_err(|e| Failure::other(format!("cannot encode the credentials: {e}")))?;
        let text = format!(
            "# Credentials of the `menu` command line. Secrets: keep this file private (mode 0600).\n{text}"
        );
        let dir = self.path.parent().unwrap_or(Path::new("."));
        create_private_dir(dir)
            .map_err(|e| Failure::other(format!("cannot create {}: {e}", dir.display())))?;
        crate::private_file::write(&self.path, text.as_bytes())
            .map_err(|e| Failure::other(format!("cannot write {}: {e}", self.path.display())))
    }
}

/// Creates `dir` (and its parents) readable only by its owner, if it does not exist.
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}
