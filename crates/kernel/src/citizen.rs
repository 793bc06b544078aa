//! Who the citizen in this browser is, for blocks that must not depend on the identity block:
//! the identity block implements [`CitizenSignIn`] and registers it at start with
//! `kernel.provide(CitizenProvider(Arc::new(…)))`; a block that shows a person their own data
//! asks [`require`] (or reads `kernel.get::<CitizenProvider>()` itself). When no identity block
//! runs in the deployment, [`require`] answers [`Access::Unavailable`] and the block says that
//! signing in is not available (never a server error).

use std::sync::Arc;

use axum::http::HeaderMap;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::Kernel;
use crate::db::Timestamp;
use crate::error::Result;

/// How sure the identity provider is of who the person is: `none` for a self-asserted
/// identity, `verified` once proofed against the population register.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Ial {
    None,
    Verified,
}

/// How strongly the person signed in (NIST SP 800-63B): one factor, two factors, a
/// phishing-resistant authenticator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Aal {
    Aal1,
    Aal2,
    Aal3,
}

impl Ial {
    pub fn as_str(self) -> &'static str {
        match self {
            Ial::None => "none",
            Ial::Verified => "verified",
        }
    }
    pub fn parse(text: &str) -> Option<Ial> {
        [Ial::None, Ial::Verified].into_iter().find(|l| l.as_str() == text)
    }
}

impl Aal {
    pub fn as_str(self) -> &'static str {
        match self {
            Aal::Aal1 => "aal1",
            Aal::Aal2 => "aal2",
            Aal::Aal3 => "aal3",
        }
    }
    pub fn parse(text: &str) -> Option<Aal> {
        [Aal::Aal1, Aal::Aal2, Aal::Aal3].into_iter().find(|l| l.as_str() == text)
    }
}

/// The person signed in to this browser, as of this request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Citizen {
    /// Their account at the identity provider.
    pub account_id: Uuid,
    /// Their national identifier, only when the identity is verified (never self-asserted).
    pub national_id: Option<String>,
    pub ial: Ial,
    pub aal: Aal,
    /// When they last actively authenticated.
    pub auth_time: Timestamp,
}

impl Citizen {
    /// The national identifier, if the identity is verified.
    pub fn verified_national_id(&self) -> Option<&str> {
        if self.ial == Ial::Verified { self.national_id.as_deref() } else { None }
    }
}

/// What a page needs of the person: a verified identity or not, and a minimum authentication
/// level.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Need {
    pub verified: bool,
    pub aal: Aal,
}

impl Need {
    /// Anyone signed in.
    pub const SIGNED_IN: Need = Need { verified: false, aal: Aal::Aal1 };

    /// A verified identity, signed in at `aal` at least.
    pub const fn verified(aal: Aal) -> Need {
        Need { verified: true, aal }
    }

    pub fn met_by(&self, citizen: &Citizen) -> bool {
        citizen.aal >= self.aal && (!self.verified || citizen.verified_national_id().is_some())
    }
}

/// The identity provider's answer to "who is the person in this browser", and where to send a
/// browser to sign in or to verify its identity. `return_to` is a path on this server (starting
/// with one `/`); the identity provider refuses anything else.
#[async_trait::async_trait]
pub trait CitizenSignIn: Send + Sync + 'static {
    /// The person signed in to this browser (from the request's cookies), if any.
    async fn citizen(&self, headers: &HeaderMap) -> Result<Option<Citizen>>;

    /// Sign in, or raise the session to `need.aal`, then back to `return_to`. With `again`,
    /// the person signs in even when a session exists (to sign in as another person).
    fn sign_in_url(&self, return_to: &str, need: &Need, again: bool) -> String;

    /// Identity proofing of the person signed in, then back to `return_to`.
    fn proofing_url(&self, return_to: &str) -> String;
}

/// What the kernel holds: `kernel.provide(CitizenProvider(Arc::new(implementation)))`.
#[derive(Clone)]
pub struct CitizenProvider(pub Arc<dyn CitizenSignIn>);

/// Where a person stands with respect to a [`Need`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Access {
    /// No identity provider runs in this deployment: nobody can sign in.
    Unavailable,
    /// Send the browser there (sign in, step up, or proof the identity); it comes back.
    Redirect(String),
    /// The person meets the need.
    Granted(Citizen),
}

/// The next step for `citizen` (what [`CitizenSignIn::citizen`] answered) towards `need`.
pub fn next_step(signin: &dyn CitizenSignIn, citizen: Option<Citizen>, return_to: &str, need: &Need) -> Access {
    match citizen {
        Some(c) if need.met_by(&c) => Access::Granted(c),
        Some(c) if c.aal >= need.aal => Access::Redirect(signin.proofing_url(return_to)),
        _ => Access::Redirect(signin.sign_in_url(return_to, need, false)),
    }
}

/// Whether the person in this browser meets `need`, or where they go first.
pub async fn require(kernel: &Kernel, headers: &HeaderMap, return_to: &str, need: &Need) -> Result<Access> {
    let Some(provider) = kernel.get::<CitizenProvider>() else {
        return Ok(Access::Unavailable);
    };
    let citizen = provider.0.citizen(headers).await?;
    Ok(next_step(provider.0.as_ref(), citizen, return_to, need))
}

/// Where a person signed in as someone else goes to sign in as themselves (`None` when no
/// identity provider runs).
pub fn sign_in_again_url(kernel: &Kernel, return_to: &str, need: &Need) -> Option<String> {
    kernel.get::<CitizenProvider>().map(|p| p.0.sign_in_url(return_to, need, true))
}

/// A stand-in identity provider for other blocks' tests: a test signs a person in with
/// [`TestSignIn::sign_in`] and sends the cookie it returns; the URLs name the need so tests
/// can check where a browser was sent. The identity block's own implementation is tested there.
#[cfg(feature = "testing")]
pub mod testing {
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex};

    use axum::http::HeaderMap;

    use super::{Citizen, CitizenProvider, CitizenSignIn, Need};
    use crate::Kernel;
    use crate::crypto::random_token;
    use crate::error::Result;
    use crate::web::form::query;

    /// The cookie a test browser sends.
    pub const COOKIE: &str = "publica_test_citizen";

    #[derive(Clone, Default)]
    pub struct TestSignIn {
        sessions: Arc<Mutex<HashMap<String, Citizen>>>,
    }

    impl TestSignIn {
        /// Provide a new stand-in to `kernel` (found again with `kernel.get::<TestSignIn>()`).
        pub fn install(kernel: &Kernel) -> TestSignIn {
            let signin = TestSignIn::default();
            kernel.provide(CitizenProvider(Arc::new(signin.clone())));
            kernel.provide(signin.clone());
            signin
        }

        /// A session for `citizen`: the `Cookie` header value to send.
        pub fn sign_in(&self, citizen: Citizen) -> String {
            let token = random_token();
            self.sessions.lock().unwrap_or_else(|e| e.into_inner()).insert(token.clone(), citizen);
            format!("{COOKIE}={token}")
        }

        /// End every session (as when they time out).
        pub fn sign_out_everyone(&self) {
            self.sessions.lock().unwrap_or_else(|e| e.into_inner()).clear();
        }
    }

    #[async_trait::async_trait]
    impl CitizenSignIn for TestSignIn {
        async fn citizen(&self, headers: &HeaderMap) -> Result<Option<Citizen>> {
            let jar = axum_extra::extract::CookieJar::from_headers(headers);
            let Some(token) = jar.get(COOKIE).map(|c| c.value().to_string()) else {
                return Ok(None);
            };
            Ok(self.sessions.lock().unwrap_or_else(|e| e.into_inner()).get(&token).cloned())
        }

        fn sign_in_url(&self, return_to: &str, need: &Need, again: bool) -> String {
            let mut pairs = vec![("return_to", return_to), ("aal", need.aal.as_str())];
            if again {
                pairs.push(("again", "1"));
            }
            format!("/test/sign-in?{}", query(pairs))
        }

        fn proofing_url(&self, return_to: &str) -> String {
            format!("/test/proofing?{}", query([("return_to", return_to)]))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Urls;

    #[async_trait::async_trait]
    impl CitizenSignIn for Urls {
        async fn citizen(&self, _headers: &HeaderMap) -> Result<Option<Citizen>> {
            Ok(None)
        }
        fn sign_in_url(&self, return_to: &str, need: &Need, again: bool) -> String {
            format!("sign-in {return_to} {} {again}", need.aal.as_str())
        }
        fn proofing_url(&self, return_to: &str) -> String {
            format!("proofing {return_to}")
        }
    }

    fn citizen(ial: Ial, aal: Aal) -> Citizen {
        Citizen {
            account_id: Uuid::now_v7(),
            national_id: Some("19850612344".into()),
            ial,
            aal,
            auth_time: Timestamp::now(),
        }
    }

    #[test]
    fn each_person_is_sent_to_the_step_they_lack() {
        let need = Need::verified(Aal::Aal2);
        let step = |c| next_step(&Urls, c, "/back", &need);
        assert_eq!(step(None), Access::Redirect("sign-in /back aal2 false".into()));
        assert_eq!(step(Some(citizen(Ial::Verified, Aal::Aal1))), Access::Redirect("sign-in /back aal2 false".into()));
        assert_eq!(step(Some(citizen(Ial::None, Aal::Aal1))), Access::Redirect("sign-in /back aal2 false".into()));
        assert_eq!(step(Some(citizen(Ial::None, Aal::Aal2))), Access::Redirect("proofing /back".into()));
        let verified = citizen(Ial::Verified, Aal::Aal2);
        assert_eq!(step(Some(verified.clone())), Access::Granted(verified));
        let strong = citizen(Ial::Verified, Aal::Aal3);
        assert_eq!(step(Some(strong.clone())), Access::Granted(strong));
    }

    #[test]
    fn a_national_id_counts_only_when_verified() {
        let unverified = citizen(Ial::None, Aal::Aal2);
        assert_eq!(unverified.verified_national_id(), None);
        assert!(!Need::verified(Aal::Aal1).met_by(&unverified));
        assert!(Need::SIGNED_IN.met_by(&unverified));
        let mut no_id = citizen(Ial::Verified, Aal::Aal2);
        no_id.national_id = None;
        assert!(!Need::verified(Aal::Aal1).met_by(&no_id));
    }
}
