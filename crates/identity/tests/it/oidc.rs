//! Integration tests of the OpenID Connect provider, on SQLite and (with
//! `PUBLICA_TEST_POSTGRES`) PostgreSQL: discovery, client management (API, pages), the
//! authorization flow with sign-in, step-up and consent, every client authentication method,
//! the grants, userinfo, introspection and revocation, logout (RP-initiated and back-channel)
//! and the simulator. Every JWT the provider issues is checked with its published JWKS.

mod clients;
mod conformance;
mod discovery;
mod flow;
mod logout;
mod security;
mod simulate;
mod support;
mod token_security;
mod tokens;
mod verified;
