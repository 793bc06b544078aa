//! The identity block's integration tests, on SQLite and (with `PUBLICA_TEST_POSTGRES`)
//! PostgreSQL.

mod accounts;
mod oidc;
mod proofing;
