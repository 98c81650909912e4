//! The token a client holds ([`Tokens`]: an immutable snapshot per call, replaced atomically),
//! the application's hook for new tokens, and the order of the store's saves and clears.

use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};

use crate::Token;
use crate::error::Error;
use crate::headers;
use crate::token_store::{StoreError, TokenStore};

/// The application's hook for new tokens.
pub(crate) type OnTokenRefresh = Arc<dyn Fn(&Token) + Send + Sync>;

/// The token a client holds. A call takes an `Arc` snapshot ([`Tokens::current`]) and uses it
/// for its whole life: concurrent calls see the old token or the new one, never a mix.
pub(crate) struct Tokens {
    current: RwLock<Option<Arc<Token>>>,
    on_refresh: Option<OnTokenRefresh>,
    store: Option<Arc<dyn TokenStore>>,
    /// Orders the store's saves and clears.
    store_order: Arc<tokio::sync::Mutex<()>>,
    /// Counts adoptions and forgets (changed with `current` locked): a save or clear of the store
    /// writes only if none came after it, so the store ends with the last one's token.
    epoch: AtomicU64,
}

impl Tokens {
    pub(crate) fn new(
        on_refresh: Option<OnTokenRefresh>,
        store: Option<Arc<dyn TokenStore>>,
    ) -> Self {
        Self {
            current: RwLock::new(None),
            on_refresh,
            store,
            store_order: Arc::new(tokio::sync::Mutex::new(())),
            epoch: AtomicU64::new(0),
        }
    }

    /// The token for one call.
    pub(crate) fn current(&self) -> Option<Arc<Token>> {
        self.current
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Replaces the token (after checking it can be sent as a header). Calls neither the hook nor
    /// the store: the application set this token itself.
    pub(crate) fn set(&self, token: Token) -> Result<(), Error> {
        if token.value().trim().is_empty() {
            return Err(Error::config(
                "the customer token is empty: pass the customer's JWT, or use `clear_token`",
            ));
        }
        headers::value("the customer token", token.value())?;
        *self.current.write().unwrap_or_else(PoisonError::into_inner) = Some(Arc::new(token));
        Ok(())
    }

    /// Forgets the token.
    pub(crate) fn clear(&self) {
        *self.current.write().unwrap_or_else(PoisonError::into_inner) = None;
    }

    /// Adopts a token the server issued: switches to it, then hands it to the application's hook
    /// (always: the server may have invalidated the previous token). For a rotation (`replacing`
    /// the token it was sent with), the switch only happens if the client still holds that token:
    /// a `set_token` or `clear_token` made while the rotation was in flight wins over it (a logout
    /// stays a logout). The token is then saved in the store ([`Tokens::save`]), if the client
    /// switched to it (`Some` of the adoption's epoch).
    pub(crate) fn adopt(
        &self,
        replacing: Option<&Arc<Token>>,
        token: &Token,
    ) -> Result<Option<u64>, &'static str> {
        if token.value().trim().is_empty() {
            return Err("it is empty");
        }
        // The header itself is built by the first call that sends the token.
        if !token.is_sendable() {
            return Err("it contains characters that are not allowed in an HTTP header");
        }
        let switched = {
            let mut current = self.current.write().unwrap_or_else(PoisonError::into_inner);
            let still_ours = match replacing {
                Some(previous) => current.as_ref().is_some_and(|c| Arc::ptr_eq(c, previous)),
                None => true,
            };
            still_ours.then(|| {
                *current = Some(Arc::new(token.clone()));
                self.epoch.fetch_add(1, Ordering::SeqCst) + 1
            })
        };
        if let Some(hook) = &self.on_refresh {
            // A panicking hook must not take the call down with it: the new token is kept
            // (the client switched to it above) and the calls waiting for it go on.
            let called = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| hook(token)));
            if called.is_err() {
                tracing::error!(
                    "the on_token_refresh hook panicked; the client keeps the new token, but the \
                     application may not have saved it"
                );
            }
        }
        Ok(switched)
    }

    /// Forgets the token, in memory and in the store (unless a token is adopted before the
    /// store's turn comes: its save writes the store then).
    pub(crate) async fn forget(&self) -> Result<(), StoreError> {
        let epoch = {
            let mut current = self.current.write().unwrap_or_else(PoisonError::into_inner);
            *current = None;
            self.epoch.fetch_add(1, Ordering::SeqCst) + 1
        };
        let Some(store) = &self.store else {
            return Ok(());
        };
        let turn = self.store_order.clone().lock_owned().await;
        if self.epoch.load(Ordering::SeqCst) != epoch {
            return Ok(());
        }
        let store = store.clone();
        to_the_end(async move {
            let _turn = turn;
            store.clear().await
        })
        .await
    }

    /// Saves the token of adoption `epoch` in the store, unless another adoption or a forget
    /// came after it (saves and clears run one at a time, in order: a slow earlier save cannot
    /// overwrite a later token, nor undo a logout). `set_token` and `clear_token` touch memory
    /// only, so they do not stop the save.
    pub(crate) async fn save(&self, token: &Token, epoch: u64) -> Result<(), StoreError> {
        let Some(store) = &self.store else {
            return Ok(());
        };
        let turn = self.store_order.clone().lock_owned().await;
        if self.epoch.load(Ordering::SeqCst) != epoch {
            return Ok(());
        }
        let (store, token) = (store.clone(), token.clone());
        to_the_end(async move {
            let _turn = turn;
            store.save(&token).await
        })
        .await
    }
}

/// Runs a store operation to its end, holding its turn, even if the call waiting for it is
/// dropped: a save or clear whose caller gave up cannot be overtaken by the next one half-way
/// (a file removed after a later token was written, say). A panic of the store reaches the
/// caller, as if it ran inline.
async fn to_the_end(
    operation: impl Future<Output = Result<(), StoreError>> + Send + 'static,
) -> Result<(), StoreError> {
    match tokio::spawn(operation).await {
        Ok(done) => done,
        Err(error) => match error.try_into_panic() {
            Ok(panic) => std::panic::resume_unwind(panic),
            // Only when the runtime shuts down, and the caller with it.
            Err(_) => Err("the runtime shut down while the token store was writing".into()),
        },
    }
}

impl fmt::Debug for Tokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `Token`'s own Debug redacts the value.
        f.debug_struct("Tokens")
            .field("current", &self.current())
            .field("on_refresh", &self.on_refresh.is_some())
            .field("store", &self.store.is_some())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::token_store::StoreFuture;

    /// A store in memory that records what it holds.
    #[derive(Default)]
    struct Memory(std::sync::Mutex<Option<String>>);

    impl TokenStore for Memory {
        fn load(&self) -> StoreFuture<'_, Option<Token>> {
            Box::pin(async { Ok(None) })
        }
        fn save<'a>(&'a self, token: &'a Token) -> StoreFuture<'a, ()> {
            *self.0.lock().unwrap() = Some(token.value().to_owned());
            Box::pin(async { Ok(()) })
        }
        fn clear(&self) -> StoreFuture<'_, ()> {
            *self.0.lock().unwrap() = None;
            Box::pin(async { Ok(()) })
        }
    }

    fn tokens() -> (Arc<Tokens>, Arc<Memory>) {
        let store = Arc::new(Memory::default());
        let tokens = Tokens::new(None, Some(store.clone() as Arc<dyn TokenStore>));
        (Arc::new(tokens), store)
    }

    /// A store whose clear, like a file store's, finishes off the task that asked for it (here:
    /// once `release` is notified), whether or not its caller still waits.
    struct SlowClear {
        held: Arc<std::sync::Mutex<Option<String>>>,
        release: Arc<tokio::sync::Notify>,
    }

    impl TokenStore for SlowClear {
        fn load(&self) -> StoreFuture<'_, Option<Token>> {
            Box::pin(async { Ok(None) })
        }
        fn save<'a>(&'a self, token: &'a Token) -> StoreFuture<'a, ()> {
            *self.held.lock().unwrap() = Some(token.value().to_owned());
            Box::pin(async { Ok(()) })
        }
        fn clear(&self) -> StoreFuture<'_, ()> {
            let (held, release) = (self.held.clone(), self.release.clone());
            let removal = tokio::spawn(async move {
                release.notified().await;
                *held.lock().unwrap() = None;
            });
            Box::pin(async move { removal.await.map_err(|e| e.to_string().into()) })
        }
    }

    // On paused time: the timeouts and pauses are the runtime's, not the machine's.
    #[tokio::test(start_paused = true)]
    async fn a_clear_whose_caller_gave_up_is_not_overtaken_by_the_next_save() {
        let held = Arc::new(std::sync::Mutex::new(Some("t0".to_owned())));
        let release = Arc::new(tokio::sync::Notify::new());
        let store = SlowClear {
            held: held.clone(),
            release: release.clone(),
        };
        let tokens = Arc::new(Tokens::new(
            None,
            Some(Arc::new(store) as Arc<dyn TokenStore>),
        ));
        // A logout under a timeout: the caller gives up while the store is still clearing.
        let logout = tokio::time::timeout(std::time::Duration::from_millis(20), tokens.forget());
        assert!(logout.await.is_err(), "the clear is still running");
        // The next sign-in's save waits for the clear's turn to end, then writes.
        let epoch = tokens.adopt(None, &Token::new("t1")).unwrap().unwrap();
        let save = tokio::spawn({
            let tokens = tokens.clone();
            async move { tokens.save(&Token::new("t1"), epoch).await }
        });
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        release.notify_one();
        save.await.unwrap().unwrap();
        // Whatever the clear still had to do is done by now.
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        assert_eq!(
            held.lock().unwrap().as_deref(),
            Some("t1"),
            "the new token is kept"
        );
    }

    #[tokio::test]
    async fn a_clear_token_does_not_stop_the_save_of_a_rotated_token() {
        let (tokens, store) = tokens();
        let epoch = tokens.adopt(None, &Token::new("t1")).unwrap().unwrap();
        tokens.clear(); // `clear_token`: memory only, and the server already killed t0.
        tokens.save(&Token::new("t1"), epoch).await.unwrap();
        assert_eq!(store.0.lock().unwrap().as_deref(), Some("t1"));
    }

    #[tokio::test]
    async fn saves_and_forgets_overtaken_at_their_turn_are_skipped() {
        let (tokens, store) = tokens();
        // A logout waits for its turn behind a slow store; meanwhile the app sets a token.
        let turn = tokens.store_order.lock().await;
        *store.0.lock().unwrap() = Some("t0".into());
        let logout = tokio::spawn({
            let tokens = tokens.clone();
            async move { tokens.forget().await }
        });
        while tokens.current().is_some() || tokens.epoch.load(Ordering::SeqCst) == 0 {
            tokio::task::yield_now().await;
        }
        tokens.set(Token::new("b")).unwrap();
        drop(turn);
        logout.await.unwrap().unwrap();
        assert_eq!(*store.0.lock().unwrap(), None, "a logout stays a logout");
        // An older save whose turn comes after a newer adoption writes nothing.
        let old = tokens.adopt(None, &Token::new("t1")).unwrap().unwrap();
        let new = tokens.adopt(None, &Token::new("t2")).unwrap().unwrap();
        tokens.save(&Token::new("t2"), new).await.unwrap();
        tokens.save(&Token::new("t1"), old).await.unwrap();
        assert_eq!(store.0.lock().unwrap().as_deref(), Some("t2"));
        // A forget overtaken by an adoption leaves the store to that adoption's save.
        let turn = tokens.store_order.lock().await;
        let logout = tokio::spawn({
            let tokens = tokens.clone();
            async move { tokens.forget().await }
        });
        while tokens.current().is_some() {
            tokio::task::yield_now().await;
        }
        let newest = tokens.adopt(None, &Token::new("t3")).unwrap().unwrap();
        drop(turn);
        logout.await.unwrap().unwrap();
        tokens.save(&Token::new("t3"), newest).await.unwrap();
        assert_eq!(store.0.lock().unwrap().as_deref(), Some("t3"));
    }
}
