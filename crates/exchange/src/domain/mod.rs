//! The exchange's vocabulary: X-Road identifiers, clients' public keys and the records of the
//! catalogue, agreements and purposes.

pub mod ids;
pub mod keys;
mod lifecycle;
pub mod model;

pub use lifecycle::Lifecycle;
pub use model::*;
