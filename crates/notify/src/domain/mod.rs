//! Notify's types and rules: no HTTP, no SQL.

pub mod kinds;
pub mod recipient;
pub mod template;
