//! Kernel domain types: parsed once at the edge so a bad value cannot travel further.
pub mod org;

pub use org::{Email, OrgKind, Role, Roles, Slug};
