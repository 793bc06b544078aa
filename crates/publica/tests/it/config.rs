//! Configuration through the binary: precedence, unknown variables, secrets never printed.

use crate::support::{backends, publica};

#[tokio::test]
async fn config_show_reports_unknown_variables_and_redacts_secrets() {
    let backend = backends().await.remove(0);
    let key = "q83vEjRWeJCrze8SNFZ4kKvN7xI0VniQq83vEjRWeJA=";
    let out = publica(
        &backend,
        &["config", "show"],
        &[
            ("PUBLICA_MASTER_KEY", key),
            ("PUBLICA_LISTEN", "127.0.0.1:9999"),
            ("PUBLICA_JOBS__WORKERS", "7"),
            ("PUBLICA_LISTNE", "typo"),
        ],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let shown = String::from_utf8(out.stdout).expect("utf-8");
    let warnings = String::from_utf8(out.stderr).expect("utf-8");
    assert!(warnings.contains("PUBLICA_LISTNE"), "{warnings}");
    assert!(!shown.contains(key) && shown.contains("master_key = \"[redacted]\""), "{shown}");
    assert!(shown.contains("listen = \"127.0.0.1:9999\""), "{shown}");
    assert!(shown.contains("workers = 7"), "{shown}");
    assert!(shown.contains(&backend.data().display().to_string()), "the command line wins: {shown}");

    let out =
        publica(&backend, &["config", "show", "--database-url", "postgres://app:s3cret-pw@db.example/publica"], &[]);
    let shown = String::from_utf8(out.stdout).expect("utf-8");
    assert!(!shown.contains("s3cret-pw") && shown.contains("db.example"), "{shown}");

    let out = publica(&backend, &["config", "show"], &[("PUBLICA_JOBS__WORKERS", "lots")]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("PUBLICA_JOBS__WORKERS"));
}
