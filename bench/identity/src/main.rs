//! Tools for `bench/run-identity`: the raw rates on one core that the identity block is
//! compared with (JWS signatures with the kernel's keys, Argon2id at Publica's password
//! parameters), setting up Publica's bench clients and minting authorization codes through the
//! real flow (sign-in page, consent page, then `prompt=none` authorizations), and the HTTP load
//! generator that drives Publica and the Node oidc-provider peer alike.

mod load;
mod publica;
mod raw;

use publica_kernel::crypto::Alg;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

fn usage() -> ! {
    eprintln!(
        "usage: publica-bench-identity sign RS256|ES256 SECONDS
       publica-bench-identity argon2 fresh|reused SECONDS
       publica-bench-identity clients BASE_URL CREDENTIALS_JSON SECRET REDIRECT_URI RESOURCE
       publica-bench-identity mint BASE_URL CREDENTIALS_JSON CLIENT_ID REDIRECT_URI COUNT CONCURRENCY CODES_FILE
       publica-bench-identity exchange TOKEN_URL CLIENT_ID SECRET REDIRECT_URI CODES_FILE CONCURRENCY WARMUP_CODES
       publica-bench-identity cc TOKEN_URL CLIENT_ID SECRET RESOURCE CONCURRENCY SECONDS WARMUP_SECONDS
       publica-bench-identity signins BASE_URL CREDENTIALS_JSON CONCURRENCY SECONDS WARMUP_SECONDS

sign and argon2 print the rate per second of wall-clock time and per second of CPU time; the
HTTP commands print one line: rate/s, successes, failures, median ms, p99 ms, and the
successes counting the untimed warm-up's."
    );
    std::process::exit(2)
}

fn alg(text: &str) -> Alg {
    match Alg::parse(text) {
        Some(alg @ (Alg::RS256 | Alg::ES256)) => alg,
        _ => usage(),
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        ["sign", a, seconds] => {
            let rate = raw::signatures(alg(a), seconds.parse()?)?;
            println!("{:.1} {:.1}", rate.wall, rate.cpu)
        }
        ["argon2", memory @ ("fresh" | "reused"), seconds] => {
            let rate = raw::argon2_hashes(*memory == "reused", seconds.parse()?)?;
            println!("{:.2} {:.2}", rate.wall, rate.cpu)
        }
        ["clients", base, credentials, secret, redirect, resource] => {
            publica::register_clients(base, &publica::credentials(credentials)?, secret, redirect, resource).await?
        }
        ["mint", base, credentials, client_id, redirect, count, concurrency, file] => {
            let creds = publica::credentials(credentials)?;
            let codes = publica::mint(base, &creds, client_id, redirect, count.parse()?, concurrency.parse()?).await?;
            std::fs::write(file, codes.join("\n") + "\n")?;
        }
        ["exchange", url, client_id, secret, redirect, file, concurrency, warmup] => {
            let codes: Vec<String> = std::fs::read_to_string(file)?.lines().map(str::to_string).collect();
            let client = load::Client::new(client_id, secret);
            let outcome = load::exchange(url, &client, redirect, &codes, concurrency.parse()?, warmup.parse()?).await?;
            outcome.print();
        }
        ["cc", url, client_id, secret, resource, concurrency, seconds, warmup] => {
            let client = load::Client::new(client_id, secret);
            let outcome = load::client_credentials(
                url,
                &client,
                resource,
                concurrency.parse()?,
                seconds.parse()?,
                warmup.parse()?,
            )
            .await?;
            outcome.print();
        }
        ["signins", base, credentials, concurrency, seconds, warmup] => {
            let creds = publica::credentials(credentials)?;
            let (email, password) = publica::password_only_citizen(&creds)?;
            let outcome =
                load::sign_ins(base, &email, &password, concurrency.parse()?, seconds.parse()?, warmup.parse()?)
                    .await?;
            outcome.print();
        }
        _ => usage(),
    }
    Ok(())
}
