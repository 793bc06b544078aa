//! Bulk import and export of register records: CSV (a header row naming the fields, dotted for
//! nested ones, `;` between array elements) and JSON Lines (one record per line).
//!
//! Imports validate every row and report row, field and problem; they are all-or-nothing by
//! default and resume after an interruption (see [`import`]). Exports stream a register as it
//! stood at any valid time, as known at any transaction time.

mod export;
mod import;
mod pipeline;
mod report;
mod rows;
pub(crate) mod schema;
mod source;
mod state;

pub use export::{ExportOptions, export};
pub use import::{ImportError, ImportOptions, ImportSummary, Phase, Progress, ProgressFn, import, import_id};
pub use report::{Report, RowError};
pub use source::Format;
pub use state::{ImportRow, State as ImportState};

use publica_kernel::db::Db;
use publica_kernel::error::Result;

/// The imports into a register, newest first.
pub async fn imports(db: &Db, register: &str, limit: i64) -> Result<Vec<ImportRow>> {
    state::list(db, register, limit).await
}
