//! Integration tests of oidc.
