//! What every clone of a [`crate::Client`] and every call of it share: where requests go
//! ([`Endpoint`]) and the customer token ([`Identity`]).

use std::fmt;
use std::sync::Arc;

use crate::exchange::Endpoint;
use crate::identity::Identity;

/// The state all clones of a client share.
pub(crate) struct Shared {
    pub(crate) endpoint: Arc<Endpoint>,
    pub(crate) identity: Arc<Identity>,
}

impl fmt::Debug for Shared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Shared")
            .field("config", &self.endpoint.config)
            .field("identity", &self.identity)
            .finish()
    }
}
