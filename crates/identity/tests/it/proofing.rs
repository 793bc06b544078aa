//! Integration tests of proofing.
