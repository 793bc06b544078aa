//! Maintenance commands: keys, jobs, `--blocks`, and their errors.

use crate::support::{backends, publica};

fn text(out: &std::process::Output) -> (String, String) {
    (String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[tokio::test]
async fn keys_rotate_and_list_and_the_audit_log_records_it() {
    for backend in backends().await {
        assert!(publica(&backend, &["migrate"], &[]).status.success());
        let out = publica(&backend, &["keys", "rotate", "--alg", "ES256"], &[]);
        let (stdout, stderr) = text(&out);
        assert!(out.status.success(), "{stderr}");
        assert!(stdout.contains("new ES256 signing key"), "{stdout}");
        let (list, _) = text(&publica(&backend, &["keys", "list"], &[]));
        assert_eq!(list.lines().filter(|l| l.contains("ES256")).count(), 2, "{list}");
        assert_eq!(
            list.lines().filter(|l| l.contains("ES256") && l.trim_end().ends_with("active")).count(),
            1,
            "{list}"
        );
        assert!(publica(&backend, &["keys", "rotate", "--alg", "EdDSA", "--audit"], &[]).status.success());
        let out = publica(&backend, &["audit", "verify"], &[]);
        assert!(out.status.success(), "{}", text(&out).1);

        let bad = publica(&backend, &["keys", "rotate", "--alg", "HS256"], &[]);
        assert!(!bad.status.success() && text(&bad).1.contains("RS256, ES256 or EdDSA"));
    }
}

#[tokio::test]
async fn jobs_commands_explain_bad_input() {
    let backend = backends().await.remove(0);
    assert!(publica(&backend, &["migrate"], &[]).status.success());
    let bad = publica(&backend, &["jobs", "list", "--state", "sleeping"], &[]);
    assert!(!bad.status.success() && text(&bad).1.contains("--state must be one of"));
    let missing = publica(&backend, &["jobs", "retry", "0190f5a4-7b7e-7cc0-8d5c-2f0c1e0b9a11"], &[]);
    assert!(!missing.status.success() && text(&missing).1.contains("not found"));
    assert!(publica(&backend, &["jobs", "probe", "--count", "3"], &[]).status.success());
    let (list, _) = text(&publica(&backend, &["jobs", "list", "--state", "queued"], &[]));
    assert_eq!(list.lines().filter(|l| l.contains("kernel.probe")).count(), 3, "{list}");
}

#[tokio::test]
async fn serve_refuses_unknown_blocks_and_unmigrated_databases_are_named() {
    let backend = backends().await.remove(0);
    let out = publica(&backend, &["serve", "--blocks", "kernel,teleport"], &[]);
    assert!(!out.status.success());
    assert!(text(&out).1.contains("teleport"), "{}", text(&out).1);
    let fresh = backends().await.remove(0);
    let out = publica(&fresh, &["audit", "verify"], &[]);
    assert!(!out.status.success());
    assert!(text(&out).1.contains("publica migrate"), "{}", text(&out).1);
}

#[tokio::test]
async fn demo_seed_writes_the_credentials_once_and_again_without_duplicates() {
    for backend in backends().await {
        let seed = || publica(&backend, &["demo", "seed", "--listen", "127.0.0.1:8181"], &[]);
        let out = seed();
        let (stdout, stderr) = text(&out);
        assert!(out.status.success(), "{stderr}");
        assert!(stdout.contains("demo-credentials.json"), "{stdout}");
        let first = crate::support::demo_credentials(&backend);
        for block in ["kernel", "notify", "registry", "exchange", "identity"] {
            assert!(first.get(block).is_some(), "{block} in {first}");
        }
        assert_eq!(first["identity"]["issuer"], "http://127.0.0.1:8181/identity", "the issuer names --listen");

        let out = seed();
        assert!(out.status.success(), "{}", text(&out).1);
        let again = crate::support::demo_credentials(&backend);
        assert_eq!(first["identity"]["clients"], again["identity"]["clients"], "the same clients, not new ones");
        assert_eq!(first["identity"]["citizens"], again["identity"]["citizens"]);
        let out = publica(&backend, &["audit", "verify"], &[]);
        assert!(out.status.success(), "{}", text(&out).1);
    }
}
