//! Where the customer token is kept between runs: [`TokenStore`], with the [`FileTokenStore`] the
//! SDK ships. The client's token module (`identity`) saves every token the server issues in it.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;

use crate::Token;

/// What a [`TokenStore`] returns: a boxed future (so that the trait can be used as
/// `Arc<dyn TokenStore>`).
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'a>>;

/// Why a [`TokenStore`] failed: any error (its message must not contain the token).
pub type StoreError = Box<dyn std::error::Error + Send + Sync>;

/// Where a client keeps the customer token between runs. The client loads the last token when
/// it is built ([`crate::ClientBuilder::load`]) and saves every token the server issues (a
/// `register`, a refresh) after it switched to it. Saves and clears run one at a time, in order,
/// and one that a later token or a logout has overtaken is skipped: the store ends with the
/// client's last token. A failed save is the error of the call that brought the token (the
/// client holds the new token all the same: the server has already invalidated the old one).
///
/// A store must not call the same [`crate::Client`] from `save` or `clear`: the client waits
/// for one store operation to end before it starts the next.
///
/// ```
/// use menu_sdk::{StoreFuture, Token, TokenStore};
///
/// /// Keeps the token in a database, say.
/// struct MyStore;
///
/// impl TokenStore for MyStore {
///     fn load(&self) -> StoreFuture<'_, Option<Token>> {
///         Box::pin(async { Ok(None) })
///     }
///     fn save<'a>(&'a self, token: &'a Token) -> StoreFuture<'a, ()> {
///         Box::pin(async move {
///             let _ = token.value(); // write it
///             Ok(())
///         })
///     }
/// }
/// ```
pub trait TokenStore: Send + Sync {
    /// The last token saved, if any.
    fn load(&self) -> StoreFuture<'_, Option<Token>>;
    /// Keeps `token` (replacing the previous one).
    fn save<'a>(&'a self, token: &'a Token) -> StoreFuture<'a, ()>;
    /// Forgets the token ([`crate::Client::logout`], or an operation that revokes the token);
    /// by default, does nothing.
    fn clear(&self) -> StoreFuture<'_, ()> {
        Box::pin(async { Ok(()) })
    }
}

/// A [`TokenStore`] in one file: the token as JSON (`{"value": ..., "ttl": ..., "refresh_ttl":
/// ...}`), readable only by its owner (mode 0600 on Unix), replaced atomically (written to a
/// temporary file beside it, synced, then renamed over it), so that a crash never leaves half a
/// token. A missing file is no token.
#[derive(Debug, Clone)]
pub struct FileTokenStore {
    path: PathBuf,
}

impl FileTokenStore {
    /// A store in `path` (created on the first save; its directory must exist).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl TokenStore for FileTokenStore {
    fn load(&self) -> StoreFuture<'_, Option<Token>> {
        Box::pin(async move {
            let path = self.path.clone();
            // A small file, read off the async runtime's workers all the same.
            let read = tokio::task::spawn_blocking(move || std::fs::read(path))
                .await
                .map_err(|e| format!("cannot read {}: {e}", self.path.display()))?;
            let text = match read {
                Ok(text) => text,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
                Err(e) => return Err(format!("cannot read {}: {e}", self.path.display()).into()),
            };
            // serde's message could quote the token: it is not repeated.
            let token = serde_json::from_slice::<Token>(&text).map_err(|_| {
                format!(
                    "{} does not hold a token (JSON with a `value`)",
                    self.path.display()
                )
            })?;
            Ok(Some(token))
        })
    }

    fn save<'a>(&'a self, token: &'a Token) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let json = serde_json::to_vec(token)?;
            let path = self.path.clone();
            tokio::task::spawn_blocking(move || write_private(&path, &json))
                .await
                .map_err(std::io::Error::other)
                .and_then(|written| written)
                .map_err(|e| format!("cannot write {}: {e}", self.path.display()).into())
        })
    }

    fn clear(&self) -> StoreFuture<'_, ()> {
        Box::pin(async move {
            let path = self.path.clone();
            // Off the async runtime's workers, as the other file operations.
            let removed = tokio::task::spawn_blocking(move || std::fs::remove_file(path))
                .await
                .map_err(std::io::Error::other)
                .and_then(|removed| removed);
            match removed {
                Ok(()) => Ok(()),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
                Err(e) => Err(format!("cannot remove {}: {e}", self.path.display()).into()),
            }
        })
    }
}

/// Replaces `path` with `contents`, readable only by its owner (on Unix): written to a temporary
/// file beside it (tempfile creates it with mode 0600), synced, renamed over `path`, then the
/// directory synced, so that no reader ever sees a part of it, an existing file's permissions
/// never apply, and the rename survives a crash.
fn write_private(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let mut file = tempfile::NamedTempFile::new_in(dir)?;
    file.write_all(contents)?;
    file.as_file().sync_all()?;
    file.persist(path).map_err(|e| e.error)?;
    #[cfg(unix)]
    std::fs::File::open(dir)?.sync_all()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_file_store_round_trips_a_token_privately() {
        let dir = std::env::temp_dir().join(format!("menu-sdk-store-{}", fastrand::u64(..)));
        std::fs::create_dir_all(&dir).unwrap();
        let store = FileTokenStore::new(dir.join("token.json"));
        assert!(store.load().await.unwrap().is_none(), "no file: no token");
        let token = Token::new("a.b.c").with_ttl(Some(1440), Some(2_628_000));
        store.save(&token).await.unwrap();
        assert_eq!(store.load().await.unwrap(), Some(token));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(store.path())
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::write(store.path(), "eyJsecret garbage").unwrap();
        let err = store.load().await.unwrap_err().to_string();
        assert!(
            err.contains("does not hold a token") && !err.contains("eyJ"),
            "{err}"
        );
        // Only the store's file is left: no temporary file.
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
        std::fs::remove_dir_all(dir).unwrap();
    }
}
