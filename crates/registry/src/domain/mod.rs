//! The registry's types and rules: identifiers, register definitions, record versions and
//! schema checks. No HTTP, no SQL.

pub mod builtin;
pub mod ids;
pub mod record;
pub mod register;
pub mod schema;

pub use builtin::{BUSINESSES, POPULATION};
pub use ids::IdScheme;
pub use record::{AsOf, ChangeKind, NewRecord, Record};
pub use register::{IndexField, RegisterInfo};
