//! The identity block's integration tests, on SQLite and (with `PUBLICA_TEST_POSTGRES`)
//! PostgreSQL.

mod accounts;
mod devices;
mod oidc;
mod proofing;
mod webauthn;
