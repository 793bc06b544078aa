//! Argon2id at OWASP's parameters (19 MiB, 2 passes, 1 lane), run on the blocking thread pool
//! with at most one hash per CPU at a time, so sign-ins never stall the async runtime and a
//! burst of them queues instead of exhausting memory.

use std::sync::Arc;

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};
use publica_kernel::crypto::{b64url, random_bytes};
use publica_kernel::error::{Error, Result};
use tokio::sync::{OnceCell, Semaphore};

/// OWASP's Password Storage Cheat Sheet, first Argon2id option.
pub const M_COST_KIB: u32 = 19 * 1024;
pub const T_COST: u32 = 2;
pub const P_COST: u32 = 1;

fn argon2() -> Result<Argon2<'static>> {
    let params = Params::new(M_COST_KIB, T_COST, P_COST, None).map_err(Error::internal)?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Hashes and verifies passwords, one per CPU at a time.
pub struct Hasher {
    permits: Arc<Semaphore>,
    /// A hash of a random password, verified against when an account does not exist so that
    /// the answer takes as long as for one that does.
    dummy: OnceCell<String>,
}

impl Default for Hasher {
    fn default() -> Self {
        Self::new()
    }
}

impl Hasher {
    pub fn new() -> Hasher {
        let cpus = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
        Hasher { permits: Arc::new(Semaphore::new(cpus)), dummy: OnceCell::new() }
    }

    async fn run<T: Send + 'static>(&self, work: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
        let permit = self.permits.clone().acquire_owned().await.map_err(Error::internal)?;
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            work()
        })
        .await
        .map_err(Error::internal)?
    }

    /// The PHC string (`$argon2id$v=19$m=19456,t=2,p=1$…`) of a new password.
    pub async fn hash(&self, password: &str) -> Result<String> {
        let password = password.to_string();
        self.run(move || {
            let salt = random_bytes::<16>();
            let hash = argon2()?.hash_password_with_salt(password.as_bytes(), &salt).map_err(Error::internal)?;
            Ok(hash.to_string())
        })
        .await
    }

    /// Whether `password` matches the stored PHC string. The comparison of the outputs is
    /// constant-time (argon2's `verify_password`); a stored string that cannot be read is an
    /// internal error, not a wrong password.
    pub async fn verify(&self, password: &str, phc: &str) -> Result<bool> {
        let password = password.to_string();
        let phc = phc.to_string();
        self.run(move || {
            let parsed = PasswordHash::new(&phc).map_err(|e| Error::internal(format!("stored password hash: {e}")))?;
            match argon2()?.verify_password(password.as_bytes(), &parsed) {
                Ok(()) => Ok(true),
                Err(argon2::password_hash::Error::PasswordInvalid) => Ok(false),
                Err(e) => Err(Error::internal(format!("password verification: {e}"))),
            }
        })
        .await
    }

    /// Spend the time of a verification without an account (the answer is always "no").
    pub async fn verify_nothing(&self, password: &str) -> Result<()> {
        let dummy =
            self.dummy.get_or_try_init(|| async { self.hash(&b64url(&random_bytes::<24>())).await }).await?.clone();
        self.verify(password, &dummy).await.map(|_| ())
    }
}

/// Whether a stored hash was made with other parameters than today's (it is replaced at the
/// next successful sign-in).
pub fn needs_rehash(phc: &str) -> bool {
    let expected = format!("$argon2id$v=19$m={M_COST_KIB},t={T_COST},p={P_COST}$");
    !phc.starts_with(&expected)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn argon2id_round_trip_at_owasp_parameters() {
        let hasher = Hasher::new();
        let phc = hasher.hash("violet kettle under a bridge").await.expect("hash");
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(!needs_rehash(&phc));
        assert!(hasher.verify("violet kettle under a bridge", &phc).await.expect("verify"));
        assert!(!hasher.verify("violet kettle under a bridgE", &phc).await.expect("verify"));
        assert!(!hasher.verify("violet kettle under a bridg", &phc).await.expect("verify"));
        assert_ne!(phc, hasher.hash("violet kettle under a bridge").await.expect("hash"), "salted");
        assert!(hasher.verify("x", "not a hash").await.is_err());
        hasher.verify_nothing("anything").await.expect("dummy verification");
    }

    #[tokio::test]
    async fn nothing_is_truncated() {
        let hasher = Hasher::new();
        let long: String = "abcdefghij".repeat(100);
        let phc = hasher.hash(&long).await.expect("hash");
        let mut almost = long.clone();
        almost.pop();
        almost.push('X');
        assert!(hasher.verify(&long, &phc).await.expect("verify"));
        assert!(!hasher.verify(&almost, &phc).await.expect("verify"), "the 1,000th character counts");
    }

    #[test]
    fn older_parameters_need_a_new_hash() {
        assert!(needs_rehash("$argon2id$v=19$m=4096,t=3,p=1$c2FsdHNhbHQ$aGFzaGhhc2g"));
        assert!(needs_rehash("$argon2i$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g"));
    }
}
