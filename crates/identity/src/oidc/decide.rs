//! What an authorization request needs next, as a pure function of the request, the browser's
//! session and the consent on record: sign in (again, or more strongly), prove one's identity,
//! consent, or nothing more (the code can be issued). With `prompt=none`, anything that needs
//! the person is an error for the client instead.

use publica_kernel::db::Timestamp;
use uuid::Uuid;

use super::levels::Level;
use super::request::AuthRequest;
use super::store::people::Consent;
use crate::domain::{Aal, SignedIn};

/// The next step of an interaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Next {
    /// Send the person to sign in: `force` to authenticate again even with a session,
    /// `aal` for the authentication level needed when above aal1.
    SignIn { force: bool, aal: Option<Aal> },
    /// The account's identity must be verified first.
    Proofing,
    /// The person must approve what the client asks for.
    Consent,
    /// Everything is in place: issue the code.
    Issue,
    /// `prompt=none` and the person would be needed: this error goes to the client.
    Fail { error: &'static str, description: String },
}

/// What the interaction knows besides the request.
#[derive(Clone, Debug)]
pub struct Progress {
    /// When the request arrived: a sign-in after it counts as fresh for `prompt=login` and `max_age`.
    pub started_at: Timestamp,
    /// The account that approved the consent page during this interaction.
    pub consented_by: Option<Uuid>,
    /// The request's `id_token_hint` names someone other than the person signed in.
    pub other_person_hinted: bool,
}

fn fail(error: &'static str, description: &str) -> Next {
    Next::Fail { error, description: description.into() }
}

/// Decide the next step at `now`.
pub fn decide(
    request: &AuthRequest,
    progress: &Progress,
    session: Option<&SignedIn>,
    consent: Option<&Consent>,
    now: Timestamp,
) -> Next {
    let silent = request.prompts("none");
    let needed = request.levels.needed();
    let aal = (needed.aal > Aal::Aal1).then_some(needed.aal);
    let Some(session) = session else {
        return if silent {
            fail("login_required", "the person is not signed in")
        } else {
            Next::SignIn { force: false, aal }
        };
    };
    let fresh = session.auth_time >= progress.started_at;
    let wants_login = request.prompts("login") || request.prompts("select_account");
    if wants_login && !fresh {
        return Next::SignIn { force: true, aal };
    }
    if progress.other_person_hinted && !fresh {
        // The client expects another person: never answer silently for this one.
        return if silent {
            fail("login_required", "the id_token_hint names another person than the one signed in")
        } else {
            Next::SignIn { force: true, aal }
        };
    }
    if let Some(max_age) = request.max_age {
        let age = now.unix_seconds() - session.auth_time.unix_seconds();
        if age > max_age && !fresh {
            return if silent {
                fail("login_required", "the sign-in is older than max_age")
            } else {
                Next::SignIn { force: true, aal }
            };
        }
    }
    let level = Level { ial: session.ial, aal: session.aal };
    if level.aal < needed.aal {
        return if silent {
            fail("interaction_required", "a stronger sign-in is needed for the level asked for")
        } else {
            Next::SignIn { force: false, aal }
        };
    }
    if level.ial < needed.ial {
        return if silent {
            fail("interaction_required", "the person's identity must be verified for the level asked for")
        } else {
            Next::Proofing
        };
    }
    let consented_now = progress.consented_by == Some(session.account_id);
    let covered = consent.is_some_and(|c| c.covers(&request.scopes, &request.requested_claims()));
    let needs_consent = if request.prompts("consent") { !consented_now } else { !covered && !consented_now };
    if needs_consent {
        return if silent {
            fail("consent_required", "the person has not consented to this client")
        } else {
            Next::Consent
        };
    }
    Next::Issue
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Ial;
    use crate::domain::assurance::{EIDAS_SUBSTANTIAL, default_acr_map};
    use crate::oidc::levels::{Asked, resolve};

    fn request(prompt: &[&str], max_age: Option<i64>, acr: Option<&str>) -> AuthRequest {
        let levels =
            resolve(&default_acr_map(), &Asked { acr_values: acr, ..Asked::default() }).expect("levels resolve");
        AuthRequest {
            client_id: "c".into(),
            redirect_uri: "https://rp.example/cb".into(),
            scopes: vec!["openid".into(), "email".into()],
            state: None,
            nonce: None,
            code_challenge: None,
            prompt: prompt.iter().map(|p| p.to_string()).collect(),
            max_age,
            claims: None,
            ui_locales: None,
            login_hint: None,
            levels,
            hint_sub: None,
        }
    }

    fn at(seconds: i64) -> Timestamp {
        Timestamp::from(time::OffsetDateTime::from_unix_timestamp(1_800_000_000 + seconds).expect("time"))
    }

    fn session(auth_time: i64, aal: Aal, ial: Ial) -> SignedIn {
        SignedIn {
            session_id: Uuid::nil(),
            account_id: Uuid::from_u128(7),
            auth_time: at(auth_time),
            aal,
            amr: vec!["pwd".into()],
            ial,
        }
    }

    fn consent(scopes: &[&str], claims: &[&str]) -> Consent {
        Consent {
            account_id: Uuid::from_u128(7),
            client_id: "c".into(),
            scopes: scopes.iter().map(|s| s.to_string()).collect(),
            claims: claims.iter().map(|s| s.to_string()).collect(),
            granted_at: at(0),
            updated_at: at(0),
        }
    }

    fn progress() -> Progress {
        Progress { started_at: at(100), consented_by: None, other_person_hinted: false }
    }

    #[test]
    fn without_a_session_the_person_signs_in_or_the_client_hears_login_required() {
        assert_eq!(
            decide(&request(&[], None, None), &progress(), None, None, at(101)),
            Next::SignIn { force: false, aal: None }
        );
        let none = decide(&request(&["none"], None, None), &progress(), None, None, at(101));
        assert!(matches!(none, Next::Fail { error: "login_required", .. }));
    }

    #[test]
    fn prompt_login_and_max_age_force_a_fresh_sign_in_once() {
        let old = session(50, Aal::Aal1, Ial::None);
        let ok = consent(&["email"], &["email", "email_verified"]);
        let login = request(&["login"], None, None);
        assert_eq!(
            decide(&login, &progress(), Some(&old), Some(&ok), at(101)),
            Next::SignIn { force: true, aal: None }
        );
        let fresh = session(100, Aal::Aal1, Ial::None);
        assert_eq!(decide(&login, &progress(), Some(&fresh), Some(&ok), at(101)), Next::Issue);

        let max_age = request(&[], Some(30), None);
        assert_eq!(
            decide(&max_age, &progress(), Some(&old), Some(&ok), at(101)),
            Next::SignIn { force: true, aal: None }
        );
        assert_eq!(decide(&max_age, &progress(), Some(&old), Some(&ok), at(75)), Next::Issue, "within max_age");
        let zero = request(&[], Some(0), None);
        assert_eq!(
            decide(&zero, &progress(), Some(&fresh), Some(&ok), at(130)),
            Next::Issue,
            "fresh after the request"
        );
        let silent = request(&["none"], Some(30), None);
        assert!(matches!(
            decide(&silent, &progress(), Some(&old), Some(&ok), at(101)),
            Next::Fail { error: "login_required", .. }
        ));
    }

    #[test]
    fn a_hint_for_another_person_is_never_answered_silently() {
        let s = session(50, Aal::Aal1, Ial::None);
        let ok = consent(&["email"], &["email", "email_verified"]);
        let other = Progress { other_person_hinted: true, ..progress() };
        let silent = request(&["none"], None, None);
        assert!(matches!(
            decide(&silent, &other, Some(&s), Some(&ok), at(101)),
            Next::Fail { error: "login_required", .. }
        ));
        assert_eq!(
            decide(&request(&[], None, None), &other, Some(&s), Some(&ok), at(101)),
            Next::SignIn { force: true, aal: None }
        );
        let fresh = session(100, Aal::Aal1, Ial::None);
        assert_eq!(decide(&request(&[], None, None), &other, Some(&fresh), Some(&ok), at(101)), Next::Issue);
        assert_eq!(decide(&silent, &progress(), Some(&s), Some(&ok), at(101)), Next::Issue, "the same person");
    }

    #[test]
    fn step_up_goes_to_mfa_then_proofing() {
        let ok = consent(&["email"], &["email", "email_verified"]);
        let substantial = request(&[], None, Some(EIDAS_SUBSTANTIAL));
        let aal1 = session(10, Aal::Aal1, Ial::None);
        assert_eq!(
            decide(&substantial, &progress(), Some(&aal1), Some(&ok), at(101)),
            Next::SignIn { force: false, aal: Some(Aal::Aal2) }
        );
        let aal2 = session(10, Aal::Aal2, Ial::None);
        assert_eq!(decide(&substantial, &progress(), Some(&aal2), Some(&ok), at(101)), Next::Proofing);
        let verified = session(10, Aal::Aal2, Ial::Verified);
        assert_eq!(decide(&substantial, &progress(), Some(&verified), Some(&ok), at(101)), Next::Issue);
        let silent = request(&["none"], None, Some(EIDAS_SUBSTANTIAL));
        assert!(matches!(
            decide(&silent, &progress(), Some(&aal2), Some(&ok), at(101)),
            Next::Fail { error: "interaction_required", .. }
        ));
    }

    #[test]
    fn consent_is_asked_when_missing_narrower_or_prompted() {
        let s = session(10, Aal::Aal1, Ial::None);
        let r = request(&[], None, None);
        assert_eq!(decide(&r, &progress(), Some(&s), None, at(101)), Next::Consent);
        let narrower = consent(&[], &[]);
        assert_eq!(decide(&r, &progress(), Some(&s), Some(&narrower), at(101)), Next::Consent);
        let ok = consent(&["email"], &["email", "email_verified"]);
        assert_eq!(decide(&r, &progress(), Some(&s), Some(&ok), at(101)), Next::Issue);
        let again = request(&["consent"], None, None);
        assert_eq!(decide(&again, &progress(), Some(&s), Some(&ok), at(101)), Next::Consent);
        let consented = Progress { consented_by: Some(s.account_id), ..progress() };
        assert_eq!(decide(&again, &consented, Some(&s), Some(&ok), at(101)), Next::Issue);
        let other = Progress { consented_by: Some(Uuid::from_u128(8)), ..progress() };
        assert_eq!(decide(&again, &other, Some(&s), Some(&ok), at(101)), Next::Consent, "another account's consent");
        let silent = request(&["none"], None, None);
        assert!(matches!(
            decide(&silent, &progress(), Some(&s), None, at(101)),
            Next::Fail { error: "consent_required", .. }
        ));
    }
}
