//! State kept in a remote store (the `s3` backend): what the engine needs from one. The
//! host implements it (the engine does no networking); the engine reads, writes and
//! locks through it exactly where it would use the local file.
//!
//! A remote store has no journal: every save writes the whole state, and only if the
//! stored state is still the one this run last read or wrote, so a foreign write between
//! two saves is detected instead of overwritten.

use crate::lock::LockStore;

/// A remote state store and its lock ([`LockStore`]).
pub trait RemoteState: LockStore {
    /// The stored state's bytes, or `None` when there is no state yet. Remembers what
    /// was read, so the next [`RemoteState::write`] can check nothing changed since.
    fn read(&self) -> anyhow::Result<Option<Vec<u8>>>;

    /// Stores `bytes` as the state, only if the stored state is still the one last read
    /// or written through this handle (none at all if none was found); otherwise fails
    /// naming the conflict, and nothing is written.
    fn write(&self, bytes: &[u8]) -> anyhow::Result<()>;
}
