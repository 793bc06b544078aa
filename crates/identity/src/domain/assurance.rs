//! Levels of assurance: how sure Publica is of who a person is (identity, `Ial`) and how
//! strongly they signed in (authentication, `Aal`), and the `acr` vocabularies that name
//! them (eIDAS, Login.gov's URNs, GOV.UK's vectors of trust).

use std::collections::BTreeMap;

use crate::config::AcrLevel;

/// Identity assurance (`none`, `verified`) and authentication assurance as NIST SP 800-63B
/// (`aal1` one factor, `aal2` two, `aal3` a phishing-resistant authenticator bound to a
/// device): the kernel's, so that every block speaks of the same levels.
pub use publica_kernel::citizen::{Aal, Ial};

pub const EIDAS_LOW: &str = "http://eidas.europa.eu/LoA/low";
pub const EIDAS_SUBSTANTIAL: &str = "http://eidas.europa.eu/LoA/substantial";
pub const EIDAS_HIGH: &str = "http://eidas.europa.eu/LoA/high";
pub const LOGIN_GOV_AUTH_ONLY: &str = "urn:acr.login.gov:auth-only";
pub const LOGIN_GOV_VERIFIED: &str = "urn:acr.login.gov:verified";
pub const AAL1_URN: &str = "http://idmanagement.gov/ns/assurance/aal/1";
pub const AAL2_URN: &str = "http://idmanagement.gov/ns/assurance/aal/2";
pub const AAL3_URN: &str = "http://idmanagement.gov/ns/assurance/aal/3";
pub const IAL1_URN: &str = "http://idmanagement.gov/ns/assurance/ial/1";
pub const IAL2_URN: &str = "http://idmanagement.gov/ns/assurance/ial/2";

/// The default mapping of `acr` values and vector-of-trust components to levels. GOV.UK's
/// vectors combine an authentication component (`Cl`, `Cl.Cm`) with an identity one (`P0`,
/// `P2`), so those are listed separately and combined by the vector's parser.
pub fn default_acr_map() -> BTreeMap<String, AcrLevel> {
    let level = |ial, aal| AcrLevel { ial, aal };
    [
        (EIDAS_LOW, level(Ial::None, Aal::Aal1)),
        (EIDAS_SUBSTANTIAL, level(Ial::Verified, Aal::Aal2)),
        (EIDAS_HIGH, level(Ial::Verified, Aal::Aal3)),
        (LOGIN_GOV_AUTH_ONLY, level(Ial::None, Aal::Aal1)),
        (LOGIN_GOV_VERIFIED, level(Ial::Verified, Aal::Aal2)),
        (AAL1_URN, level(Ial::None, Aal::Aal1)),
        (AAL2_URN, level(Ial::None, Aal::Aal2)),
        (AAL3_URN, level(Ial::None, Aal::Aal3)),
        (IAL1_URN, level(Ial::None, Aal::Aal1)),
        (IAL2_URN, level(Ial::Verified, Aal::Aal2)),
        ("Cl", level(Ial::None, Aal::Aal1)),
        ("Cl.Cm", level(Ial::None, Aal::Aal2)),
        ("P0", level(Ial::None, Aal::Aal1)),
        ("P2", level(Ial::Verified, Aal::Aal1)),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}
