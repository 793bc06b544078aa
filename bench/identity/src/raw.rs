//! The ceilings on one core: JWS signatures with a key of the kernel's kind
//! (`publica_kernel::crypto::PrivateKey::sign`, aws-lc-rs: RSA 2048 PKCS#1 v1.5 or P-256) over
//! the signing input of an ID token, and Argon2id hashes at the parameters Publica's password
//! hasher uses (read from `publica_identity`, so they cannot drift apart).

use std::time::{Duration, Instant};

use argon2::{Algorithm, Argon2, Block, Params, Version};
use publica_identity::accounts::password::{M_COST_KIB, P_COST, T_COST};
use publica_kernel::crypto::{Alg, PrivateKey, b64url, random_bytes};
use serde_json::json;

use crate::Result;

/// The JWS signing input of an ID token like those the provider signs (same claims, same sizes).
fn id_token_input(alg: Alg) -> String {
    let header = json!({ "alg": alg.as_str(), "kid": b64url(&random_bytes::<32>()), "typ": "JWT" });
    let claims = json!({
        "iss": "http://127.0.0.1:18092/identity",
        "sub": b64url(&random_bytes::<32>()),
        "aud": "bench-client",
        "iat": 1_800_000_000,
        "exp": 1_800_000_300,
        "auth_time": 1_800_000_000,
        "nonce": b64url(&random_bytes::<16>()),
        "acr": "urn:acr.login.gov:auth-only",
        "amr": ["pwd"],
        "sid": b64url(&random_bytes::<32>()),
        "at_hash": b64url(&random_bytes::<16>()),
    });
    format!("{}.{}", b64url(header.to_string().as_bytes()), b64url(claims.to_string().as_bytes()))
}

/// Nanoseconds this thread has spent on a CPU (`/proc/thread-self/schedstat`).
fn cpu_ns() -> Result<u64> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat")?;
    Ok(text.split_whitespace().next().ok_or("empty schedstat")?.parse()?)
}

/// Completions per second of wall-clock time and per second of this thread's CPU time (the
/// latter does not count time the core spent on other processes).
pub struct Rate {
    pub wall: f64,
    pub cpu: f64,
}

/// Repeat `work` for `seconds` (after a quarter of a second of warm-up).
fn rate(seconds: f64, mut work: impl FnMut() -> Result<()>) -> Result<Rate> {
    let warm = Instant::now();
    while warm.elapsed() < Duration::from_millis(250) {
        work()?;
    }
    let (start, cpu_start) = (Instant::now(), cpu_ns()?);
    let mut done = 0u64;
    while start.elapsed().as_secs_f64() < seconds {
        work()?;
        done += 1;
    }
    let (wall, cpu) = (start.elapsed().as_secs_f64(), (cpu_ns()? - cpu_start) as f64 / 1e9);
    Ok(Rate { wall: done as f64 / wall, cpu: done as f64 / cpu })
}

/// Signatures per second with a fresh key of `alg`, one thread.
pub fn signatures(alg: Alg, seconds: f64) -> Result<Rate> {
    let key = PrivateKey::generate(alg)?;
    let input = id_token_input(alg);
    rate(seconds, || {
        let signature = key.sign(input.as_bytes())?;
        std::hint::black_box(signature);
        Ok(())
    })
}

/// Argon2id hashes per second at Publica's parameters, one thread: each with its own 19 MiB of
/// memory allocated and freed (`hash_password_into`, what verifying a PHC string does), or in
/// one block of memory reused (the primitive alone).
pub fn argon2_hashes(reuse_memory: bool, seconds: f64) -> Result<Rate> {
    let params = Params::new(M_COST_KIB, T_COST, P_COST, Some(32)).map_err(|e| e.to_string())?;
    let blocks = params.block_count();
    let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
    let password = b"violet kettle under a bridge";
    let salt = random_bytes::<16>();
    let mut out = [0u8; 32];
    let mut memory = if reuse_memory { vec![Block::default(); blocks] } else { Vec::new() };
    rate(seconds, || {
        if reuse_memory {
            argon2.hash_password_into_with_memory(password, &salt, &mut out, &mut memory).map_err(|e| e.to_string())?;
        } else {
            argon2.hash_password_into(password, &salt, &mut out).map_err(|e| e.to_string())?;
        }
        std::hint::black_box(&out);
        Ok(())
    })
}
