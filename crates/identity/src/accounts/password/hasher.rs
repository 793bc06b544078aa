//! Argon2id at OWASP's parameters (19 MiB, 2 passes, 1 lane), run on the blocking thread pool
//! with at most one hash per CPU at a time, so sign-ins never stall the async runtime and a
//! burst of them queues instead of exhausting memory. The 19 MiB of working memory are kept
//! between hashes (one buffer per CPU at most) rather than allocated and zeroed for each.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use argon2::password_hash::PasswordVerifier;
use argon2::password_hash::phc::{Output, ParamsString, PasswordHash, Salt};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use publica_kernel::crypto::{b64url, constant_time_eq, random_bytes};
use publica_kernel::error::{Error, Result};
use tokio::sync::{OnceCell, Semaphore};

/// OWASP's Password Storage Cheat Sheet, first Argon2id option.
pub const M_COST_KIB: u32 = 19 * 1024;
pub const T_COST: u32 = 2;
pub const P_COST: u32 = 1;

/// Length of the hash in a new PHC string.
const OUTPUT_LEN: usize = 32;

fn params() -> Result<Params> {
    Params::new(M_COST_KIB, T_COST, P_COST, None).map_err(Error::internal)
}

fn argon2() -> Result<Argon2<'static>> {
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params()?))
}

/// Argon2's working memory at today's parameters, kept between hashes. Hashing is bounded by
/// the permits, so there are never more buffers than permits; [`Hasher::trim`] drops those
/// that have not been used for a while.
#[derive(Default)]
struct Memory(Mutex<Vec<(Vec<Block>, Instant)>>);

impl Memory {
    fn take(&self) -> Vec<Block> {
        let kept = self.0.lock().unwrap_or_else(PoisonError::into_inner).pop();
        kept.map_or_else(|| vec![Block::new(); M_COST_KIB as usize], |(blocks, _)| blocks)
    }

    fn give(&self, blocks: Vec<Block>) {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).push((blocks, Instant::now()));
    }

    /// Argon2id of `password` with `salt` at today's parameters into `out`, in kept memory.
    fn hash_into(&self, password: &[u8], salt: &[u8], out: &mut [u8]) -> Result<()> {
        let mut blocks = self.take();
        let hashed = argon2()?.hash_password_into_with_memory(password, salt, out, &mut blocks);
        self.give(blocks);
        hashed.map_err(Error::internal)
    }
}

/// Hashes and verifies passwords, one per CPU at a time.
pub struct Hasher {
    permits: Arc<Semaphore>,
    memory: Arc<Memory>,
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
        Hasher { permits: Arc::new(Semaphore::new(cpus)), memory: Arc::default(), dummy: OnceCell::new() }
    }

    /// Give back the working memory that no hash has used for `idle` (the server's
    /// housekeeping calls this, so that a quiet server does not keep 19 MiB per CPU).
    pub fn trim(&self, idle: Duration) {
        self.memory.0.lock().unwrap_or_else(PoisonError::into_inner).retain(|(_, used)| used.elapsed() < idle);
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
        let memory = self.memory.clone();
        self.run(move || {
            let salt = random_bytes::<16>();
            let mut out = [0u8; OUTPUT_LEN];
            memory.hash_into(password.as_bytes(), &salt, &mut out)?;
            let phc = PasswordHash {
                algorithm: Algorithm::Argon2id.ident(),
                version: Some(Version::V0x13.into()),
                params: ParamsString::try_from(&params()?).map_err(Error::internal)?,
                salt: Some(Salt::new(&salt).map_err(Error::internal)?),
                hash: Some(Output::new(&out).map_err(Error::internal)?),
            };
            Ok(phc.to_string())
        })
        .await
    }

    /// Whether `password` matches the stored PHC string. The comparison of the outputs is
    /// constant-time (argon2's `verify_password`); a stored string that cannot be read is an
    /// internal error, not a wrong password.
    pub async fn verify(&self, password: &str, phc: &str) -> Result<bool> {
        let password = password.to_string();
        let phc = phc.to_string();
        let memory = self.memory.clone();
        self.run(move || {
            let parsed = PasswordHash::new(&phc).map_err(|e| Error::internal(format!("stored password hash: {e}")))?;
            // Today's parameters: in kept memory. Older ones (rehashed after this sign-in):
            // through the library's own verification.
            if let (false, Some(salt), Some(expected)) = (needs_rehash(&phc), &parsed.salt, &parsed.hash) {
                let mut out = vec![0u8; expected.len()];
                memory.hash_into(password.as_bytes(), salt, &mut out)?;
                return Ok(constant_time_eq(&out, expected.as_bytes()));
            }
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

    #[tokio::test]
    async fn kept_memory_gives_the_library_s_hashes_and_is_trimmed() {
        use argon2::password_hash::PasswordHasher;
        let hasher = Hasher::new();
        // A hash made by the library itself verifies through the kept-memory path, and ours
        // through the library's.
        let theirs = argon2().expect("argon2").hash_password_with_salt(b"a quiet violet kettle", &[7u8; 16]);
        let theirs = theirs.expect("library hash").to_string();
        assert!(!needs_rehash(&theirs), "{theirs}");
        assert!(hasher.verify("a quiet violet kettle", &theirs).await.expect("verify"));
        assert!(!hasher.verify("a quiet violet kettlE", &theirs).await.expect("verify"));
        let ours = hasher.hash("a quiet violet kettle").await.expect("hash");
        let parsed = PasswordHash::new(&ours).expect("PHC");
        assert!(argon2().expect("argon2").verify_password(b"a quiet violet kettle", &parsed).is_ok());
        // One buffer was kept; trimming with a zero idle time gives it back.
        assert_eq!(hasher.memory.0.lock().expect("lock").len(), 1);
        hasher.trim(Duration::ZERO);
        assert!(hasher.memory.0.lock().expect("lock").is_empty());
        assert!(hasher.verify("a quiet violet kettle", &ours).await.expect("verify after trim"));
    }

    #[test]
    fn older_parameters_need_a_new_hash() {
        assert!(needs_rehash("$argon2id$v=19$m=4096,t=3,p=1$c2FsdHNhbHQ$aGFzaGhhc2g"));
        assert!(needs_rehash("$argon2i$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g"));
    }
}
