//! Notify's integration tests, one module per area.

mod api;
mod delivery;
mod openapi;
mod pages;
mod send;
