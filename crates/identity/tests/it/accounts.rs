//! Integration tests of accounts.
