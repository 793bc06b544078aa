//! The identity block's answer to other blocks' question "who is the citizen in this browser":
//! the kernel's [`CitizenSignIn`], registered at start, so that blocks which cannot depend on
//! this one (the exchange, notify) learn who is signed in, at which levels, and their national
//! identifier once proofed, and know where to send a browser to sign in or to be proofed.

use std::sync::Arc;

use axum::http::HeaderMap;
use publica_kernel::Kernel;
use publica_kernel::citizen::{self as kernel_citizen, Citizen, CitizenProvider, CitizenSignIn, Need};
use publica_kernel::error::Result;
use publica_kernel::web::form::query;

use crate::accounts::domain::{ACCOUNT_PAGE, local_path};
use crate::domain::Ial;
use crate::proofing::pages::PROOFING_PATH;
use crate::service::Identity;

/// Register the identity block's [`CitizenSignIn`] with the kernel (call after the
/// [`Identity`] service is provided).
pub fn provide(kernel: &Kernel) {
    if let Some(identity) = kernel.get::<Identity>() {
        kernel.provide(CitizenProvider(Arc::new(CitizenSignInOf(identity))));
    }
}

/// The identity service seen through the kernel's trait.
pub struct CitizenSignInOf(pub Arc<Identity>);

/// A path on this server to come back to; the account page for anything else.
fn back(return_to: &str) -> String {
    local_path(return_to).unwrap_or_else(|| ACCOUNT_PAGE.to_string())
}

#[async_trait::async_trait]
impl CitizenSignIn for CitizenSignInOf {
    async fn citizen(&self, headers: &HeaderMap) -> Result<Option<Citizen>> {
        let Some(signed_in) = self.0.signed_in(headers).await? else {
            return Ok(None);
        };
        // The identity level already accounts for a recovery that requires proofing again.
        let national_id = match signed_in.ial {
            Ial::Verified => self.0.verified_identity(signed_in.account_id).await?.map(|v| v.national_id),
            Ial::None => None,
        };
        let ial = if national_id.is_some() { Ial::Verified } else { Ial::None };
        Ok(Some(Citizen {
            account_id: signed_in.account_id,
            national_id,
            ial,
            aal: signed_in.aal,
            auth_time: signed_in.auth_time,
        }))
    }

    fn sign_in_url(&self, return_to: &str, need: &Need, again: bool) -> String {
        let back = back(return_to);
        let mut pairs = vec![("return_to", back.as_str())];
        if need.aal > kernel_citizen::Aal::Aal1 {
            pairs.push(("aal", need.aal.as_str()));
        }
        if again {
            pairs.push(("force", "1"));
        }
        format!("/identity/sign-in?{}", query(pairs))
    }

    fn proofing_url(&self, return_to: &str) -> String {
        format!("{PROOFING_PATH}?{}", query([("return_to", back(return_to))]))
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;
    use publica_kernel::Block;
    use publica_kernel::citizen::{Access, require};
    use publica_kernel::testing::TestApp;
    use uuid::Uuid;

    use super::*;
    use crate::IdentityBlock;
    use crate::accounts::{NewAccount, Origin};
    use crate::domain::{Aal, AccountKind, VerifiedIdentity};

    const NATIONAL_ID: &str = "19850612344";

    async fn account(identity: &Identity) -> Uuid {
        identity
            .create_account(NewAccount {
                kind: AccountKind::Citizen,
                email: format!("{}@example.org", Uuid::new_v4().simple()),
                email_verified: true,
                password: format!("correct horse battery {}", Uuid::new_v4().simple()),
                name: None,
                phone: None,
                member_id: None,
            })
            .await
            .expect("account")
    }

    fn cookie(token: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        let value = format!("publica_csrf=x; {}={token}", crate::accounts::SESSION_COOKIE);
        headers.insert(axum::http::header::COOKIE, HeaderValue::from_str(&value).expect("header"));
        headers
    }

    async fn link(identity: &Identity, account_id: Uuid) {
        let verified = VerifiedIdentity {
            national_id: NATIONAL_ID.into(),
            given_name: "Camille".into(),
            family_name: "Martin".into(),
            birthdate: "1985-06-12".into(),
            address: None,
            ial: Ial::Verified,
            verified_at: publica_kernel::db::Timestamp::now(),
        };
        let mut tx = identity.kernel.db().begin().await.expect("tx");
        // Proofing itself (through the exchange) is tested in tests/it/proofing.rs.
        let linked = crate::proofing::store::link(&mut tx, account_id, &verified, Uuid::now_v7(), "test").await;
        assert!(linked.expect("link"));
        tx.commit().await.expect("commit");
    }

    #[tokio::test]
    async fn the_signed_in_person_is_told_with_their_levels_and_verified_national_id() {
        let blocks: Vec<Arc<dyn Block>> = vec![Arc::new(IdentityBlock)];
        for app in TestApp::each(&blocks).await {
            let kernel = &app.kernel;
            let identity = kernel.get::<Identity>().expect("identity");
            let provider = kernel.get::<CitizenProvider>().expect("provided at start");
            let need = Need::verified(Aal::Aal2);

            assert_eq!(provider.0.citizen(&HeaderMap::new()).await.expect("none"), None);
            assert_eq!(provider.0.citizen(&cookie("not-a-session")).await.expect("none"), None);
            let away = require(kernel, &HeaderMap::new(), "/exchange/evidence/1", &need).await.expect("access");
            assert_eq!(
                away,
                Access::Redirect("/identity/sign-in?return_to=%2Fexchange%2Fevidence%2F1&aal=aal2".into())
            );

            let account_id = account(&identity).await;
            let (token, _) = identity
                .start_session(account_id, Aal::Aal2, vec!["pwd".into(), "otp".into()], &Origin::default())
                .await
                .expect("session");
            let headers = cookie(&token);
            let unverified = provider.0.citizen(&headers).await.expect("citizen").expect("signed in");
            assert_eq!(unverified.account_id, account_id);
            assert_eq!((unverified.ial, unverified.aal), (Ial::None, Aal::Aal2));
            assert_eq!(unverified.national_id, None);
            let away = require(kernel, &headers, "/exchange/evidence/1", &need).await.expect("access");
            assert_eq!(away, Access::Redirect("/identity/proofing?return_to=%2Fexchange%2Fevidence%2F1".into()));

            link(&identity, account_id).await;
            let verified = provider.0.citizen(&headers).await.expect("citizen").expect("signed in");
            assert_eq!(verified.verified_national_id(), Some(NATIONAL_ID));
            assert_eq!(require(kernel, &headers, "/x", &need).await.expect("access"), Access::Granted(verified));

            // Another site is never a place to come back to.
            assert_eq!(
                provider.0.proofing_url("//evil.example/"),
                "/identity/proofing?return_to=%2Fidentity%2Faccount"
            );
            assert_eq!(provider.0.sign_in_url("/x", &need, true), "/identity/sign-in?return_to=%2Fx&aal=aal2&force=1");
        }
    }
}
