//! `publica registry`: bulk import of CSV and JSON Lines files into a register (with a progress
//! bar, a report naming row, field and problem, and resumption), export of a register as it
//! stood at any date, and the list of a register's imports.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, bail};
use clap::Subcommand;
use indicatif::{ProgressBar, ProgressStyle};
use publica_kernel::Kernel;
use publica_kernel::audit::Actor;
use publica_kernel::db::Timestamp;
use publica_kernel::error::Error;
use publica_kernel::web::form::{self, DayEnd};
use publica_registry::bulk::{self, ExportOptions, Format, ImportError, ImportOptions, Phase, Progress, ProgressFn};
use publica_registry::{AsOf, Registry};

#[derive(Subcommand, Debug)]
pub enum RegistryCommand {
    /// Import a CSV or JSON Lines file into a register: every row is checked first and nothing
    /// is written unless all are good. Interrupted? Run the same command again to continue.
    Import {
        /// The register, e.g. population.
        register: String,
        #[arg(value_name = "FILE")]
        file: PathBuf,
        /// csv or jsonl (default: from the file's extension).
        #[arg(long)]
        format: Option<String>,
        /// Make each chunk visible as it commits instead of all records at the end.
        #[arg(long)]
        partial: bool,
        /// List at most this many errors (all are counted).
        #[arg(long, default_value_t = 100)]
        max_errors: usize,
        /// Rows per committed chunk.
        #[arg(long, default_value_t = 10_000)]
        chunk_rows: usize,
        /// When the imported facts became true (ISO 8601 date or date-time; default now).
        #[arg(long, value_name = "WHEN")]
        valid_from: Option<String>,
    },
    /// Write a register as CSV or JSON Lines, as it stood at a date and as it was known then.
    Export {
        /// The register, e.g. population.
        register: String,
        /// csv or jsonl; default: from the output file's extension, else jsonl.
        #[arg(long)]
        format: Option<String>,
        /// Valid time: the register as it stood at this date (default now).
        #[arg(long, value_name = "WHEN")]
        as_of: Option<String>,
        /// Transaction time: as the register knew it at this date (default now).
        #[arg(long, value_name = "WHEN")]
        known_at: Option<String>,
        /// Write to this file instead of standard output.
        #[arg(long, short, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// The imports into a register, newest first.
    Imports {
        register: String,
        #[arg(long, default_value_t = 20)]
        limit: i64,
    },
}

pub async fn run(kernel: Kernel, command: RegistryCommand) -> anyhow::Result<ExitCode> {
    let registry = kernel.get::<Registry>().context("the registry block is not running")?;
    match command {
        RegistryCommand::Import { register, file, format, partial, max_errors, chunk_rows, valid_from } => {
            let format = format.as_deref().map(parse_format).transpose()?;
            let valid_from = valid_from.as_deref().map(|t| instant("--valid-from", t)).transpose()?;
            let options = ImportOptions { format, partial, max_errors, chunk_rows, valid_from, ..Default::default() };
            import(&kernel, &registry, &register, &file, &options).await
        }
        RegistryCommand::Export { register, format, as_of, known_at, output } => {
            let as_of = AsOf {
                valid_at: as_of.as_deref().map(|t| instant("--as-of", t)).transpose()?,
                known_at: known_at.as_deref().map(|t| instant("--known-at", t)).transpose()?,
            };
            let format = match (&format, &output) {
                (Some(text), _) => parse_format(text)?,
                (None, Some(path)) => Format::from_path(path).unwrap_or(Format::JsonLines),
                (None, None) => Format::JsonLines,
            };
            let options = ExportOptions { format, as_of };
            export(&kernel, &registry, &register, &options, output).await
        }
        RegistryCommand::Imports { register, limit } => {
            registry.register(&register).await?;
            println!(
                "{:<32}  {:<9}  {:<7}  {:>10}  {:>10}  {:>10}  {:<27}  file sha-256",
                "import", "state", "mode", "checked", "written", "rows", "started"
            );
            for i in bulk::imports(kernel.db(), &register, limit).await? {
                println!(
                    "{:<32}  {:<9}  {:<7}  {:>10}  {:>10}  {:>10}  {:<27}  {}",
                    i.id,
                    i.state.as_str(),
                    if i.partial { "partial" } else { "atomic" },
                    i.rows_checked,
                    i.rows_written,
                    i.rows_total.map_or_else(|| "?".to_string(), |t| t.to_string()),
                    i.started_at.to_fixed(),
                    i.file_sha256
                );
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn import(
    kernel: &Kernel,
    registry: &Registry,
    register: &str,
    file: &std::path::Path,
    options: &ImportOptions,
) -> anyhow::Result<ExitCode> {
    let info = registry.register(register).await?;
    let bar = ProgressBar::new(0);
    bar.enable_steady_tick(Duration::from_millis(200));
    let progress = bar_progress(bar.clone());
    // The operator acts for the register's authoritative source.
    let outcome = bulk::import(kernel, &Actor::operator(), info.owner_org, register, file, options, progress).await;
    bar.finish_and_clear();
    // Close the pool before exiting: SQLite checkpoints the write-ahead log when its last
    // connection closes, so the command leaves a checkpointed database (the import's own
    // background checkpoint may not have had a connection yet).
    kernel.db().close().await;
    match outcome {
        Ok(summary) if summary.already_imported => {
            println!(
                "{} was already imported into {register} ({} rows, import {}); nothing to do",
                file.display(),
                summary.rows,
                summary.import_id
            );
            Ok(ExitCode::SUCCESS)
        }
        Ok(summary) => {
            let rate = if summary.seconds > 0.0 { summary.rows as f64 / summary.seconds } else { 0.0 };
            let resumed = if summary.resumed_from > 0 {
                format!(", resumed after row {}", summary.resumed_from)
            } else {
                String::new()
            };
            println!(
                "imported {} records into {register} in {:.1} s ({rate:.0} records/s{resumed}; import {})",
                summary.rows, summary.seconds, summary.import_id
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(ImportError::Rejected(report)) => {
            eprintln!("{} was not imported into {register}.", file.display());
            eprint!("{report}");
            let hint = if options.partial {
                "Chunks committed before the error stay in the register. Fix the rows listed (row numbers are lines \
                 of the file; a CSV header is line 1), then import the rows not yet imported."
            } else {
                "Nothing was written. Fix the rows listed (row numbers are lines of the file; a CSV header is line 1) \
                 and run the same command again."
            };
            eprintln!("{hint}");
            Ok(ExitCode::FAILURE)
        }
        Err(ImportError::Unreadable { path, message }) => {
            bail!("cannot read {path}: {message}. What was done is kept: run the same command again to continue.")
        }
        Err(ImportError::Registry(Error::Invalid { field, message })) => bail!("{field}: {message}"),
        Err(ImportError::Registry(e)) => Err(e.into()),
    }
}

/// A progress callback drawing `bar`: bytes while hashing, rows after.
fn bar_progress(bar: ProgressBar) -> ProgressFn {
    let current: Mutex<Option<Phase>> = Mutex::new(None);
    Arc::new(move |p: Progress| {
        let mut phase = current.lock().unwrap_or_else(|e| e.into_inner());
        if *phase != Some(p.phase) {
            *phase = Some(p.phase);
            let template = match p.phase {
                Phase::Hashing => "{msg:>10} [{bar:40}] {bytes}/{total_bytes} ({bytes_per_sec})",
                _ => "{msg:>10} [{bar:40}] {human_pos}/{human_len} rows ({per_sec}, {eta} left)",
            };
            if let Ok(style) = ProgressStyle::with_template(template) {
                bar.set_style(style.progress_chars("=> "));
            }
            bar.set_message(p.phase.as_str());
            bar.reset();
        }
        bar.set_length(p.total);
        bar.set_position(p.done);
    })
}

async fn export(
    kernel: &Kernel,
    registry: &Registry,
    register: &str,
    options: &ExportOptions,
    output: Option<PathBuf>,
) -> anyhow::Result<ExitCode> {
    let info = registry.register(register).await?;
    let spinner = ProgressBar::new_spinner();
    if let Ok(style) = ProgressStyle::with_template("{spinner} exporting {human_pos} records ({per_sec})") {
        spinner.set_style(style);
    }
    spinner.enable_steady_tick(Duration::from_millis(200));
    let progress = {
        let spinner = spinner.clone();
        move |n: u64| spinner.set_position(n)
    };
    let mut out: Box<dyn Write + Send> = match &output {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path).with_context(|| format!("cannot create {}", path.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout())),
    };
    let count = bulk::export(kernel.db(), &info, options, out.as_mut(), &progress).await?;
    spinner.finish_and_clear();
    let target = output.map_or_else(|| "standard output".to_string(), |p| p.display().to_string());
    eprintln!("exported {count} records of {register} to {target}");
    Ok(ExitCode::SUCCESS)
}

fn parse_format(text: &str) -> anyhow::Result<Format> {
    Format::parse(text).with_context(|| format!("--format must be csv or jsonl, not {text}"))
}

/// An ISO 8601 date-time (`2024-01-31T12:00:00Z`) or date (`2024-01-31`, midnight UTC).
fn instant(option: &str, text: &str) -> anyhow::Result<Timestamp> {
    form::instant(text, DayEnd::Start)
        .ok()
        .flatten()
        .with_context(|| format!("{option} must be an ISO 8601 date (2024-01-31) or date-time (2024-01-31T12:00:00Z)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_and_formats_parse() {
        assert_eq!(instant("--as-of", "2024-01-31").expect("date").to_fixed(), "2024-01-31T00:00:00.000000Z");
        assert!(instant("--as-of", "31.01.2024").is_err());
        assert_eq!(parse_format("CSV").expect("csv"), Format::Csv);
        assert!(parse_format("xml").is_err());
    }
}
