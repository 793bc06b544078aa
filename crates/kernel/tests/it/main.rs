//! Kernel integration tests, in-process through `TestApp`, on SQLite and PostgreSQL.

mod audit;
mod edge;
mod group;
mod jobs;
mod keys;
mod openapi;
mod orgs;
mod unsynced;
