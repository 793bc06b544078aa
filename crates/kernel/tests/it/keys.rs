//! Signing keys: rotation keeps the old key published through the overlap, then retires it;
//! private keys are useless without the master key.

use publica_kernel::crypto::{self, Alg};
use publica_kernel::keys::Purpose;
use publica_kernel::testing::TestApp;

fn kids(jwks: &serde_json::Value) -> Vec<String> {
    jwks["keys"].as_array().expect("keys").iter().map(|k| k["kid"].as_str().expect("kid").to_string()).collect()
}

#[tokio::test]
async fn rotation_overlaps_then_retires() {
    for app in TestApp::each(&[]).await {
        let keys = app.kernel.keys();
        let old = keys.active(Purpose::Signing, Alg::ES256).expect("an ES256 key");
        let sig = old.sign(b"token").expect("sign");

        let mut tx = app.kernel.db().begin().await.expect("begin");
        let new_kid =
            keys.rotate(&mut tx, Purpose::Signing, Alg::ES256, time::Duration::days(7)).await.expect("rotate");
        tx.commit().await.expect("commit");
        keys.reload(app.kernel.db()).await.expect("reload");
        let published = kids(&keys.jwks());
        assert!(
            published.contains(&old.kid) && published.contains(&new_kid),
            "{}: both during the overlap",
            app.backend
        );
        assert_eq!(keys.active(Purpose::Signing, Alg::ES256).expect("active").kid, new_kid);
        // Tokens signed before the rotation still verify against the published key.
        let jwk = keys.jwks()["keys"]
            .as_array()
            .expect("keys")
            .iter()
            .find(|k| k["kid"] == old.kid.as_str())
            .cloned()
            .expect("old key");
        assert!(crypto::verify(&jwk, Alg::ES256, b"token", &sig));

        let mut tx = app.kernel.db().begin().await.expect("begin");
        let newest = keys.rotate(&mut tx, Purpose::Signing, Alg::ES256, time::Duration::ZERO).await.expect("rotate");
        tx.commit().await.expect("commit");
        keys.reload(app.kernel.db()).await.expect("reload");
        let published = kids(&keys.jwks());
        assert!(published.contains(&newest) && !published.contains(&new_kid), "{}: no overlap asked", app.backend);
        assert!(published.contains(&old.kid), "the first key's own overlap has not ended");
        assert!(keys.by_kid(&new_kid).is_some(), "retired keys stay known for verification");
    }
}

#[tokio::test]
async fn another_master_key_cannot_open_the_keys() {
    let apps = TestApp::each(&[]).await;
    let app = &apps[0];
    let mut config = app.kernel.config().clone();
    config.master_key = Some(publica_kernel::config::Secret::new("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="));
    let block = publica_kernel::block::KernelBlock;
    let error = publica_kernel::Kernel::open_existing(config, &[&block]).await.err().expect("must refuse");
    assert!(error.to_string().contains("PUBLICA_MASTER_KEY"), "{error}");
}
