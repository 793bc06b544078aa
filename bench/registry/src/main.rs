//! Tools for `bench/run-registry`: files of compact persons for the bulk import, the import's
//! ceilings (a bare insert loop of the same rows; the narrowest row holding a record), loading
//! the population register at scale and timing look-ups in-process, and vouchers for the gateway
//! calls wrk makes.

mod ceiling;
mod persons;
mod scale;
mod voucher;

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

fn usage() -> ! {
    eprintln!(
        "usage: publica-bench-registry persons csv|jsonl FROM COUNT FILE
       publica-bench-registry ceiling DATA_DIR DATABASE_URL|- COUNT rows|narrow
       publica-bench-registry load DATA_DIR DATABASE_URL|- FROM COUNT
       publica-bench-registry lookups DATA_DIR DATABASE_URL|- POPULATION SAMPLES
       publica-bench-registry import DATA_DIR DATABASE_URL|- FILE
       publica-bench-registry voucher CREDENTIALS_JSON_FILE"
    );
    std::process::exit(2)
}

#[tokio::main]
async fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        ["persons", format @ ("csv" | "jsonl"), from, count, file] => {
            persons::write_file(format, from.parse()?, count.parse()?, file)?
        }
        ["ceiling", data, url, count, shape] => ceiling::run(data, url, count.parse()?, shape).await?,
        ["load", data, url, from, count] => scale::load(data, url, from.parse()?, count.parse()?).await?,
        ["lookups", data, url, population, samples] => {
            scale::lookups(data, url, population.parse()?, samples.parse()?).await?
        }
        ["import", data, url, file] => scale::import(data, url, file).await?,
        ["voucher", file] => {
            let credentials: serde_json::Value = serde_json::from_slice(&std::fs::read(file)?)?;
            let exchange = credentials.get("exchange").ok_or("no `exchange` entry in the credentials")?;
            println!("{}", voucher::voucher(exchange).await?);
        }
        _ => usage(),
    }
    Ok(())
}
