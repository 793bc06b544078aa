//! Integration tests: the real `publica` binary, started on a random port, on SQLite and (when
//! `PUBLICA_TEST_POSTGRES` is set, as `scripts/test` does) on PostgreSQL.

mod audit;
mod cli;
mod config;
mod endpoints;
mod jobs;
mod outage;
mod pages;
mod support;
