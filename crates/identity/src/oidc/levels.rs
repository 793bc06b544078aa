//! Levels of assurance in OpenID Connect requests and tokens: which level a request needs
//! (from `acr_values`, an essential `acr` claim, GOV.UK's vectors of trust in `vtr`, and the
//! client's default), and which `acr` (or `vot`) a session achieves. Pure functions over the
//! configured map of `acr` values (`identity.acr`).
//!
//! - `acr_values` is a preference list: the first value Publica knows sets the level needed;
//!   unknown values are skipped, and a list of unknown values only is as if none was sent.
//! - An essential `acr` claim (`claims={"id_token":{"acr":{"essential":true,"values":[…]}}}`)
//!   is a requirement: one of its values must be known, the first known one is needed.
//! - `vtr` is a JSON array of vectors (`["Cl.Cm.P2", "Cl.Cm"]`), also in preference order.
//!   A vector combines a credential component (`Cl`, `Cl.Cm`) and an identity component
//!   (`P0`, `P2`; `P0` when absent); each component is a key of the map.
//! - The level needed is the strongest of what the request asks for and the client's default.
//! - The `acr` reported is the strongest value the session satisfies among those the request
//!   named (or the client's default); for a `vtr` request, `vot` is the strongest vector of
//!   the request the session satisfies.

use std::collections::BTreeMap;

use crate::config::AcrLevel;
use crate::domain::{Aal, Ial};

/// An identity level and an authentication level, both at least.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Level {
    pub ial: Ial,
    pub aal: Aal,
}

impl Level {
    pub const LOWEST: Level = Level { ial: Ial::None, aal: Aal::Aal1 };

    /// Whether a session at `self` meets `needed`.
    pub fn satisfies(self, needed: Level) -> bool {
        self.ial >= needed.ial && self.aal >= needed.aal
    }

    /// The weakest level that meets both.
    pub fn join(self, other: Level) -> Level {
        Level { ial: self.ial.max(other.ial), aal: self.aal.max(other.aal) }
    }

    /// A total order for choosing "the strongest": identity first, then authentication.
    fn rank(self) -> (Ial, Aal) {
        (self.ial, self.aal)
    }
}

impl From<&AcrLevel> for Level {
    fn from(value: &AcrLevel) -> Self {
        Level { ial: value.ial, aal: value.aal }
    }
}

/// The vocabulary a request used, which is the one the ID token answers in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Vocabulary {
    /// `acr_values`, an `acr` claim or the client's default: answered with `acr`.
    Acr,
    /// GOV.UK vectors of trust (`vtr`): answered with `vot`.
    Vtr,
}

/// What a request asks for, resolved against the configured map.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LevelRequest {
    pub vocabulary: Vocabulary,
    /// The known values (or vectors) the request named, in its order, the client's default
    /// last; the reported value is chosen among them.
    pub candidates: Vec<String>,
    /// The level the session must reach before a code is issued.
    pub needed_ial: Ial,
    pub needed_aal: Aal,
}

impl LevelRequest {
    pub fn needed(&self) -> Level {
        Level { ial: self.needed_ial, aal: self.needed_aal }
    }
}

/// Whether a key of the map is a vector-of-trust component (`Cl`, `Cl.Cm`, `P2`) rather than
/// an `acr` value: every dot-separated part is an uppercase letter and a lowercase letter or digit.
pub fn is_vector_component(key: &str) -> bool {
    key.split('.').all(|part| {
        let b = part.as_bytes();
        b.len() == 2 && b[0].is_ascii_uppercase() && (b[1].is_ascii_lowercase() || b[1].is_ascii_digit())
    })
}

/// The `acr` values to advertise: the map's keys that are not vector components, weakest
/// first (equals in the map's order). A client that sends them all as `acr_values`, as the
/// OpenID Foundation's conformance suite does, thus prefers the weakest: `acr_values` is a
/// preference list, and the first known value is the level needed.
pub fn acr_values(map: &BTreeMap<String, AcrLevel>) -> Vec<String> {
    let mut values: Vec<(&String, Level)> =
        map.iter().filter(|(k, _)| !is_vector_component(k)).map(|(k, v)| (k, Level::from(v))).collect();
    values.sort_by_key(|(_, level)| level.rank());
    values.into_iter().map(|(k, _)| k.clone()).collect()
}

/// The vector components to advertise (`Cl`, `Cl.Cm`, `P0`, `P2`).
pub fn vector_components(map: &BTreeMap<String, AcrLevel>) -> Vec<String> {
    map.keys().filter(|k| is_vector_component(k)).cloned().collect()
}

/// The level of one `acr` value, if it is a known one (not a vector component).
pub fn acr_level(map: &BTreeMap<String, AcrLevel>, value: &str) -> Option<Level> {
    if is_vector_component(value) {
        return None;
    }
    map.get(value).map(Level::from)
}

/// The level of a vector of trust such as `Cl.Cm.P2` or `P2.Cl.Cm`; `Err` says which part is
/// not understood.
pub fn vector_level(map: &BTreeMap<String, AcrLevel>, vector: &str) -> Result<Level, String> {
    let mut credential = Vec::new();
    let mut identity = None;
    for part in vector.split('.') {
        if part.starts_with('P') && part.len() == 2 {
            if identity.replace(part).is_some() {
                return Err(format!("`{vector}` has more than one identity component"));
            }
        } else if part.starts_with('C') && part.len() == 2 {
            credential.push(part);
        } else {
            return Err(format!("`{vector}`: `{part}` is not a component Publica knows"));
        }
    }
    if credential.is_empty() {
        return Err(format!("`{vector}` has no credential component (such as `Cl` or `Cl.Cm`)"));
    }
    let credential = credential.join(".");
    let known = |key: &str| map.get(key).filter(|_| is_vector_component(key)).map(Level::from);
    let c =
        known(&credential).ok_or_else(|| format!("`{vector}`: the credential component `{credential}` is unknown"))?;
    let identity = identity.unwrap_or("P0");
    let p = known(identity).ok_or_else(|| format!("`{vector}`: the identity component `{identity}` is unknown"))?;
    Ok(c.join(p))
}

/// Parse `vtr`: a JSON array of vector strings (a single string is read as one vector).
pub fn parse_vtr(text: &str) -> Result<Vec<String>, String> {
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(serde_json::Value::Array(items)) => {
            let vectors: Option<Vec<String>> = items.iter().map(|v| v.as_str().map(str::to_string)).collect();
            match vectors {
                Some(v) if !v.is_empty() => Ok(v),
                _ => Err("vtr must be a non-empty JSON array of strings, e.g. [\"Cl.Cm.P2\"]".into()),
            }
        }
        Ok(serde_json::Value::String(s)) => Ok(vec![s]),
        _ => Err("vtr must be a JSON array of vectors, e.g. [\"Cl.Cm.P2\"]".into()),
    }
}

/// Everything a request says about levels.
#[derive(Clone, Debug, Default)]
pub struct Asked<'a> {
    /// `acr_values`, space-separated.
    pub acr_values: Option<&'a str>,
    /// `vtr`, the JSON text.
    pub vtr: Option<&'a str>,
    /// The values of an essential `acr` claim in the `claims` parameter.
    pub essential_acr: Option<Vec<String>>,
    /// The values of a voluntary `acr` claim in the `claims` parameter (like `acr_values`).
    pub voluntary_acr: Option<Vec<String>>,
    /// The client's registered default.
    pub client_default: Option<&'a str>,
}

/// Resolve what a request asks for; `Err` is the description of an `invalid_request`.
pub fn resolve(map: &BTreeMap<String, AcrLevel>, asked: &Asked<'_>) -> Result<LevelRequest, String> {
    let default = asked.client_default.and_then(|d| acr_level(map, d).map(|l| (d.to_string(), l)));
    let mut needed = default.as_ref().map_or(Level::LOWEST, |(_, l)| *l);
    let mut candidates: Vec<String> = Vec::new();
    let vocabulary = if let Some(vtr) = asked.vtr {
        if asked.acr_values.is_some() || asked.essential_acr.is_some() {
            return Err("send either vtr or acr_values (or an acr claim), not both".into());
        }
        let vectors = parse_vtr(vtr)?;
        let mut first_problem = None;
        for vector in vectors {
            match vector_level(map, &vector) {
                Ok(level) => {
                    if candidates.is_empty() {
                        needed = needed.join(level);
                    }
                    candidates.push(vector);
                }
                Err(problem) => {
                    first_problem.get_or_insert(problem);
                }
            }
        }
        if candidates.is_empty() {
            let known = vector_components(map).join(", ");
            return Err(format!(
                "no vector in vtr is supported ({}); components known: {known}",
                first_problem.unwrap_or_default()
            ));
        }
        Vocabulary::Vtr
    } else {
        let mut preference: Vec<String> = Vec::new();
        if let Some(essential) = &asked.essential_acr {
            let known: Vec<&String> = essential.iter().filter(|v| acr_level(map, v).is_some()).collect();
            let Some(first) = known.first() else {
                return Err(format!(
                    "the essential acr claim asks for {}, none of which this provider supports; supported: {}",
                    essential.join(", "),
                    acr_values(map).join(", ")
                ));
            };
            needed = needed.join(acr_level(map, first).unwrap_or(Level::LOWEST));
            preference.extend(known.into_iter().cloned());
        } else {
            let listed: Vec<String> = asked
                .acr_values
                .map(|a| a.split_whitespace().map(str::to_string).collect())
                .or_else(|| asked.voluntary_acr.clone())
                .unwrap_or_default();
            let known: Vec<String> = listed.into_iter().filter(|v| acr_level(map, v).is_some()).collect();
            if let Some(first) = known.first() {
                needed = needed.join(acr_level(map, first).unwrap_or(Level::LOWEST));
            }
            preference.extend(known);
        }
        for value in preference {
            if !candidates.contains(&value) {
                candidates.push(value);
            }
        }
        Vocabulary::Acr
    };
    if let Some((value, _)) = default
        && vocabulary == Vocabulary::Acr
        && !candidates.contains(&value)
    {
        candidates.push(value);
    }
    Ok(LevelRequest { vocabulary, candidates, needed_ial: needed.ial, needed_aal: needed.aal })
}

/// The value to report for a session at `session`: the strongest candidate it satisfies
/// (the first of equals); when the request named nothing, the strongest `acr` value of the
/// map it satisfies. `None` when nothing fits (a request for more than the session has).
pub fn achieved(map: &BTreeMap<String, AcrLevel>, request: &LevelRequest, session: Level) -> Option<String> {
    let level_of = |value: &str| match request.vocabulary {
        Vocabulary::Acr => acr_level(map, value),
        Vocabulary::Vtr => vector_level(map, value).ok(),
    };
    let pool: Vec<String> = if request.candidates.is_empty() { acr_values(map) } else { request.candidates.clone() };
    let mut best: Option<(String, Level)> = None;
    for value in pool {
        let Some(level) = level_of(&value) else { continue };
        if session.satisfies(level) && best.as_ref().is_none_or(|(_, b)| level.rank() > b.rank()) {
            best = Some((value, level));
        }
    }
    best.map(|(v, _)| v)
}

/// A value deliberately not matching what was asked, for the client simulator's
/// `wrong_level`: the weakest known value (or vector) whose level differs from `achieved`'s.
pub fn wrong_level(map: &BTreeMap<String, AcrLevel>, vocabulary: Vocabulary, achieved: Option<&str>) -> String {
    match vocabulary {
        Vocabulary::Vtr => {
            if achieved == Some("Cl") {
                "Cl.Cm".into()
            } else {
                "Cl".into()
            }
        }
        Vocabulary::Acr => {
            let current = achieved.and_then(|a| acr_level(map, a));
            let mut values: Vec<(String, Level)> =
                acr_values(map).into_iter().filter_map(|v| acr_level(map, &v).map(|l| (v, l))).collect();
            values.sort_by_key(|(_, l)| l.rank());
            values
                .into_iter()
                .find(|(v, l)| Some(*l) != current && Some(v.as_str()) != achieved)
                .map(|(v, _)| v)
                .unwrap_or_else(|| "urn:publica:acr:simulated-wrong-level".into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::assurance::*;

    fn map() -> BTreeMap<String, AcrLevel> {
        default_acr_map()
    }

    fn session(ial: Ial, aal: Aal) -> Level {
        Level { ial, aal }
    }

    fn resolve_acr(acr_values: &str, default: Option<&str>) -> LevelRequest {
        resolve(&map(), &Asked { acr_values: Some(acr_values), client_default: default, ..Asked::default() })
            .expect("resolves")
    }

    #[test]
    fn vector_components_are_not_advertised_as_acr_values() {
        let values = acr_values(&map());
        assert!(values.contains(&EIDAS_HIGH.to_string()));
        assert!(values.contains(&LOGIN_GOV_VERIFIED.to_string()));
        assert!(!values.iter().any(|v| v == "Cl" || v == "Cl.Cm" || v == "P2"));
        assert_eq!(vector_components(&map()), vec!["Cl", "Cl.Cm", "P0", "P2"]);
        let ranks: Vec<(Ial, Aal)> = values.iter().map(|v| acr_level(&map(), v).expect("known").rank()).collect();
        assert!(ranks.windows(2).all(|w| w[0] <= w[1]), "weakest first: {values:?}");
        // All of them as acr_values, in the advertised order, need no more than a password.
        let all = resolve_acr(&values.join(" "), None);
        assert_eq!(all.needed(), Level::LOWEST);
        assert_eq!(achieved(&map(), &all, Level::LOWEST).as_deref(), Some(EIDAS_LOW));
        assert!(is_vector_component("Cl.Cm") && !is_vector_component(AAL2_URN));
    }

    #[test]
    fn eidas_the_first_known_value_is_needed_and_the_strongest_satisfied_reported() {
        let request = resolve_acr(&format!("urn:unknown {EIDAS_SUBSTANTIAL} {EIDAS_LOW}"), None);
        assert_eq!(request.vocabulary, Vocabulary::Acr);
        assert_eq!(request.needed(), session(Ial::Verified, Aal::Aal2));
        assert_eq!(request.candidates, vec![EIDAS_SUBSTANTIAL, EIDAS_LOW]);
        // An unverified aal2 session does not reach substantial: step-up to proofing.
        assert!(!session(Ial::None, Aal::Aal2).satisfies(request.needed()));
        let verified = session(Ial::Verified, Aal::Aal2);
        assert_eq!(achieved(&map(), &request, verified).as_deref(), Some(EIDAS_SUBSTANTIAL));
        // Low first: low is needed, but substantial is reported when the session reaches it.
        let request = resolve_acr(&format!("{EIDAS_LOW} {EIDAS_SUBSTANTIAL}"), None);
        assert_eq!(request.needed(), Level::LOWEST);
        assert_eq!(achieved(&map(), &request, verified).as_deref(), Some(EIDAS_SUBSTANTIAL));
        assert_eq!(achieved(&map(), &request, Level::LOWEST).as_deref(), Some(EIDAS_LOW));
        // High needs aal3.
        let request = resolve_acr(EIDAS_HIGH, None);
        assert_eq!(request.needed(), session(Ial::Verified, Aal::Aal3));
        assert_eq!(achieved(&map(), &request, verified), None);
    }

    #[test]
    fn login_gov_urns_and_the_client_default() {
        let request = resolve_acr(LOGIN_GOV_AUTH_ONLY, Some(LOGIN_GOV_VERIFIED));
        assert_eq!(request.needed(), session(Ial::Verified, Aal::Aal2), "the default is a floor");
        assert_eq!(request.candidates, vec![LOGIN_GOV_AUTH_ONLY, LOGIN_GOV_VERIFIED]);
        assert_eq!(achieved(&map(), &request, session(Ial::Verified, Aal::Aal2)).as_deref(), Some(LOGIN_GOV_VERIFIED));
        let request = resolve_acr(AAL2_URN, None);
        assert_eq!(request.needed(), session(Ial::None, Aal::Aal2));
        assert_eq!(achieved(&map(), &request, session(Ial::None, Aal::Aal3)).as_deref(), Some(AAL2_URN));
        // Nothing known asked, no default: any session will do; the strongest value reported.
        let request = resolve_acr("urn:nobody:knows", None);
        assert_eq!(request.needed(), Level::LOWEST);
        assert!(request.candidates.is_empty());
        let reported = achieved(&map(), &request, session(Ial::Verified, Aal::Aal3)).expect("a value");
        assert_eq!(acr_level(&map(), &reported), Some(session(Ial::Verified, Aal::Aal3)));
    }

    #[test]
    fn an_essential_acr_claim_is_a_requirement() {
        let asked = Asked { essential_acr: Some(vec!["urn:unknown".into(), IAL2_URN.into()]), ..Asked::default() };
        let request = resolve(&map(), &asked).expect("resolves");
        assert_eq!(request.needed(), session(Ial::Verified, Aal::Aal2));
        let unknown = Asked { essential_acr: Some(vec!["urn:unknown".into()]), ..Asked::default() };
        assert!(resolve(&map(), &unknown).expect_err("refused").contains("essential"));
        let voluntary = Asked { voluntary_acr: Some(vec![AAL2_URN.into()]), ..Asked::default() };
        assert_eq!(resolve(&map(), &voluntary).expect("ok").needed(), session(Ial::None, Aal::Aal2));
    }

    #[test]
    fn vectors_of_trust_combine_their_components() {
        assert_eq!(vector_level(&map(), "Cl.Cm.P2"), Ok(session(Ial::Verified, Aal::Aal2)));
        assert_eq!(vector_level(&map(), "P2.Cl.Cm"), Ok(session(Ial::Verified, Aal::Aal2)));
        assert_eq!(vector_level(&map(), "Cl"), Ok(Level::LOWEST));
        assert_eq!(vector_level(&map(), "Cl.Cm"), Ok(session(Ial::None, Aal::Aal2)));
        assert!(vector_level(&map(), "P2").expect_err("no credential").contains("credential"));
        assert!(vector_level(&map(), "Cl.P3").expect_err("unknown").contains("P3"));
        assert!(vector_level(&map(), "Cl.P0.P2").expect_err("two").contains("more than one"));
        assert!(vector_level(&map(), "Cl.Xx").is_err());

        let request =
            resolve(&map(), &Asked { vtr: Some(r#"["Cl.Cm.P2","Cl.Cm"]"#), ..Asked::default() }).expect("resolves");
        assert_eq!(request.vocabulary, Vocabulary::Vtr);
        assert_eq!(request.needed(), session(Ial::Verified, Aal::Aal2));
        assert_eq!(achieved(&map(), &request, session(Ial::Verified, Aal::Aal2)).as_deref(), Some("Cl.Cm.P2"));
        assert_eq!(achieved(&map(), &request, session(Ial::None, Aal::Aal2)).as_deref(), Some("Cl.Cm"));

        // Unknown vectors are skipped; a list of unknown ones only is refused.
        let request =
            resolve(&map(), &Asked { vtr: Some(r#"["Cl.Cm.P9","Cl"]"#), ..Asked::default() }).expect("resolves");
        assert_eq!(request.needed(), Level::LOWEST);
        assert!(resolve(&map(), &Asked { vtr: Some(r#"["Xx"]"#), ..Asked::default() }).is_err());
        assert!(resolve(&map(), &Asked { vtr: Some("Cl.Cm"), ..Asked::default() }).is_err(), "not JSON");
        assert!(resolve(&map(), &Asked { vtr: Some("[]"), ..Asked::default() }).is_err());
        let both = Asked { vtr: Some(r#"["Cl"]"#), acr_values: Some(EIDAS_LOW), ..Asked::default() };
        assert!(resolve(&map(), &both).expect_err("both").contains("either"));
    }

    #[test]
    fn the_simulator_reports_a_level_other_than_the_one_achieved() {
        let wrong = wrong_level(&map(), Vocabulary::Acr, Some(EIDAS_SUBSTANTIAL));
        assert_ne!(acr_level(&map(), &wrong), acr_level(&map(), EIDAS_SUBSTANTIAL));
        assert_eq!(wrong_level(&map(), Vocabulary::Vtr, Some("Cl.Cm.P2")), "Cl");
        assert_eq!(wrong_level(&map(), Vocabulary::Vtr, Some("Cl")), "Cl.Cm");
    }
}
