//! The identity block's types and rules: levels of assurance and what the other parts of the
//! block tell each other about a signed-in person. No axum, no SQL.

pub mod assurance;
pub mod person;

pub use assurance::{Aal, Ial};
pub use person::{AccountClaims, AccountKind, SignedIn, VerifiedIdentity};
