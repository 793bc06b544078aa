//! The population register at scale: loading numbered persons the fastest way the registry
//! offers (`Registry::insert_batch`, 100,000 records per transaction, rows built here and valid by
//! construction), and timing point look-ups through `Registry::get` in-process.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use publica_kernel::block::KernelBlock;
use publica_kernel::config::{Config, Secret};
use publica_kernel::db::Timestamp;
use publica_kernel::{Block, Kernel};
use publica_registry::bulk::{Phase, Progress, ProgressFn};
use publica_registry::demo::rng::Rng;
use publica_registry::{AsOf, NewRecord, POPULATION, Registry, RegistryBlock};

use crate::Result;
use crate::persons;

const PER_TRANSACTION: u64 = 100_000;

/// Open the data directory (or `database_url`, unless `-`) with the kernel and registry blocks.
pub(crate) async fn open(data: &str, database_url: &str) -> Result<(Kernel, Arc<Registry>)> {
    let mut config = Config { data: PathBuf::from(data), ..Config::default() };
    if database_url != "-" {
        config.database_url = Some(Secret::new(database_url.to_string()));
    }
    let blocks: [&dyn Block; 2] = [&KernelBlock, &RegistryBlock];
    let kernel = Kernel::open(config, &blocks).await?;
    let registry = kernel.get::<Registry>().ok_or("the registry block did not start")?;
    Ok((kernel, registry))
}

/// Insert persons `from..from + count`; prints records per second.
pub async fn load(data: &str, database_url: &str, from: u64, count: u64) -> Result<()> {
    let (kernel, registry) = open(data, database_url).await?;
    let info = registry.register(POPULATION).await?;
    let started = Instant::now();
    let mut done = 0;
    while done < count {
        let n = PER_TRANSACTION.min(count - done);
        let now = Timestamp::now();
        let rows: Vec<NewRecord> = (from + done..from + done + n)
            .map(|i| NewRecord { id: persons::id(i), data: persons::person(i), valid_from: now })
            .collect();
        if done == 0 {
            for row in rows.iter().take(1000) {
                registry.validate(&info, &row.data)?;
            }
        }
        let mut tx = kernel.db().begin().await?;
        registry.insert_batch(&mut tx, &info, &rows).await?;
        tx.commit().await?;
        done += n;
        if done % 1_000_000 == 0 {
            eprintln!("    loaded {done} persons ({:.0}/s)", done as f64 / started.elapsed().as_secs_f64());
        }
    }
    println!("{:.0}", count as f64 / started.elapsed().as_secs_f64());
    kernel.db().close().await;
    Ok(())
}

/// Time `samples` look-ups of random persons among `0..population` (after 2,000 to warm up);
/// prints the median and the 99th percentile in microseconds.
pub async fn lookups(data: &str, database_url: &str, population: u64, samples: usize) -> Result<()> {
    let (kernel, registry) = open(data, database_url).await?;
    let mut rng = Rng::new(population);
    let as_of = AsOf::now();
    let mut micros = Vec::with_capacity(samples);
    for round in 0..samples + 2000 {
        let id = persons::id(rng.below(population));
        let started = Instant::now();
        let found = registry.get(POPULATION, &id, &as_of).await?;
        let elapsed = started.elapsed();
        if found.is_none() {
            return Err(format!("person {id} is not in the register").into());
        }
        if round >= 2000 {
            micros.push(elapsed.as_secs_f64() * 1e6);
        }
    }
    micros.sort_by(f64::total_cmp);
    let at = |q: f64| micros[((micros.len() as f64 * q) as usize).min(micros.len() - 1)];
    println!("{:.1} {:.1}", at(0.5), at(0.99));
    kernel.db().close().await;
    Ok(())
}

/// Import a file into the population register as `publica registry import` does (the same
/// library call, for the register's owner); prints records per second, and the time of each
/// phase to stderr.
pub async fn import(data: &str, database_url: &str, file: &str) -> Result<()> {
    let (kernel, registry) = open(data, database_url).await?;
    let info = registry.register(POPULATION).await?;
    let options = publica_registry::bulk::ImportOptions::default();
    let phases = phase_timer();
    let summary = publica_registry::bulk::import(
        &kernel,
        &publica_kernel::audit::Actor::operator(),
        info.owner_org,
        POPULATION,
        std::path::Path::new(file),
        &options,
        phases.clone(),
    )
    .await?;
    // Close the last phase.
    phases(Progress { phase: Phase::Hashing, done: 0, total: 0 });
    println!("{:.0}", summary.rows as f64 / summary.seconds);
    kernel.db().close().await;
    Ok(())
}

/// CPU time of this process (every thread, live or gone), in seconds, from /proc (10 ms ticks).
pub(crate) fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit(')').next().unwrap_or_default();
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    (ticks(11) + ticks(12)) as f64 / 100.0
}

/// A progress callback that prints to stderr how long each phase of an import took (wall and
/// CPU time of the whole process); a last call with a new phase closes the one before.
fn phase_timer() -> ProgressFn {
    let state = std::sync::Mutex::new((None::<Phase>, Instant::now(), cpu_seconds()));
    Arc::new(move |p: Progress| {
        let mut state = state.lock().unwrap_or_else(|e| e.into_inner());
        if state.0 != Some(p.phase) {
            if let Some(previous) = state.0 {
                let (wall, cpu) = (state.1.elapsed().as_secs_f64(), cpu_seconds() - state.2);
                eprintln!("    {}: {wall:.3} s, cpu {cpu:.2} s", previous.as_str());
            }
            *state = (Some(p.phase), Instant::now(), cpu_seconds());
        }
    })
}
