//! Bulk import and export: CSV and JSON Lines into the population register, the validation
//! report, all-or-nothing (also when checking and publishing overlap), resumption after a crash
//! (both modes), and exports as of past dates.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use publica_kernel::Kernel;
use publica_kernel::audit::Actor;
use publica_kernel::db::Timestamp;
use publica_registry::bulk::{
    ExportOptions, Format, ImportError, ImportOptions, ImportState, ImportSummary, Phase, Progress, ProgressFn, export,
    import, imports,
};
use publica_registry::domain::builtin::{example_person, population};
use publica_registry::{AsOf, RegisterInfo, national_id};
use serde_json::{Value, json};
use uuid::Uuid;

use super::{apps, owners, registry};

/// Person number `i`, valid in the population register.
fn person(i: u32) -> Value {
    let mut p = example_person();
    p["national_id"] = json!(national_id::with_check(&format!("{:010}", 3_000_000_000u64 + u64::from(i))).expect("id"));
    p["given_names"] = json!(format!("Person {i}"));
    p["family_name"] = json!(if i.is_multiple_of(2) { "Even" } else { "Odd" });
    p["citizenships"] = json!(["DL", "FR"]);
    p["residence"]["municipality"] = json!(format!("Town {}", i % 7));
    p
}

fn id(i: u32) -> String {
    person(i)["national_id"].as_str().expect("id").to_string()
}

const HEADER: &str = "national_id,given_names,family_name,birth_date,birth_place,sex,citizenships,residence.street,\
residence.postcode,residence.municipality,residence.country,family.parents,family.spouse,family.children,status,\
digital_domicile.type,digital_domicile.address";

fn csv_row(p: &Value) -> String {
    let s = |v: &Value| v.as_str().unwrap_or_default().to_string();
    let list = |v: &Value| v.as_array().map(|a| a.iter().map(s).collect::<Vec<_>>().join(";")).unwrap_or_default();
    [
        s(&p["national_id"]),
        s(&p["given_names"]),
        s(&p["family_name"]),
        s(&p["birth_date"]),
        s(&p["birth_place"]),
        s(&p["sex"]),
        list(&p["citizenships"]),
        format!("\"{}\"", s(&p["residence"]["street"])),
        s(&p["residence"]["postcode"]),
        s(&p["residence"]["municipality"]),
        s(&p["residence"]["country"]),
        list(&p["family"]["parents"]),
        s(&p["family"]["spouse"]),
        list(&p["family"]["children"]),
        s(&p["status"]),
        s(&p["digital_domicile"]["type"]),
        s(&p["digital_domicile"]["address"]),
    ]
    .join(",")
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write file");
    path
}

fn jsonl(people: impl Iterator<Item = Value>) -> String {
    people.map(|p| p.to_string() + "\n").collect()
}

fn quiet() -> ProgressFn {
    Arc::new(|_| {})
}

async fn run(kernel: &Kernel, org: Uuid, path: &Path, options: ImportOptions) -> Result<ImportSummary, ImportError> {
    import(kernel, &Actor::operator(), org, "population", path, &options, quiet()).await
}

/// Every current record of the population register, by identifier.
async fn all(kernel: &Kernel) -> Vec<Value> {
    let registry = registry(kernel);
    let mut out = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = registry.search("population", &[], after.as_deref(), 1000).await.expect("search");
        let Some(last) = page.last() else { break };
        after = Some(last.id.clone());
        out.extend(page.into_iter().map(|r| r.data));
    }
    out
}

#[tokio::test]
async fn a_csv_file_is_coerced_by_the_schema_and_imported_once() {
    for app in apps().await {
        let (civil, chamber) = owners(&app.kernel).await;
        let dir = tempfile::tempdir().expect("dir");
        let mut ana = person(1);
        ana["family"]["parents"] = json!([id(2), id(3)]);
        ana["digital_domicile"] = json!({"type": "pec", "address": "ana@pec.demoland.example"});
        let mut bo = person(2);
        bo.as_object_mut().expect("object").remove("digital_domicile");
        bo["citizenships"] = json!([]);
        let text = format!("{HEADER}\n{}\n{}\n", csv_row(&ana), csv_row(&bo));
        let path = write(dir.path(), "people.csv", &text);

        let phases = Arc::new(Mutex::new(Vec::<Progress>::new()));
        let seen = phases.clone();
        let progress: ProgressFn = Arc::new(move |p| seen.lock().expect("lock").push(p));
        let summary =
            import(&app.kernel, &Actor::operator(), civil, "population", &path, &ImportOptions::default(), progress)
                .await
                .expect("imported");
        assert_eq!((summary.rows, summary.resumed_from, summary.already_imported), (2, 0, false));
        let registry = registry(&app.kernel);
        let stored = registry.get("population", &id(1), &AsOf::now()).await.expect("get").expect("ana");
        assert_eq!(stored.data, ana, "{}", app.backend);
        let stored = registry.get("population", &id(2), &AsOf::now()).await.expect("get").expect("bo");
        assert_eq!(stored.data, bo);
        assert_eq!(stored.data["family"]["spouse"], Value::Null);
        let phases = phases.lock().expect("lock").clone();
        for phase in [Phase::Hashing, Phase::Checking, Phase::Publishing] {
            assert!(phases.iter().any(|p| p.phase == phase), "{phase:?} reported: {phases:?}");
        }
        let last = phases.last().expect("progress");
        assert_eq!((last.phase, last.done, last.total), (Phase::Publishing, 2, 2));

        // The same file again: recognised by its digest, nothing written twice.
        let again = run(&app.kernel, civil, &path, ImportOptions::default()).await.expect("again");
        assert!(again.already_imported);
        assert_eq!(again.import_id, summary.import_id);
        assert_eq!(registry.changes("population", 0, 100).await.expect("feed").len(), 2);
        let listed = imports(app.kernel.db(), "population", 10).await.expect("imports");
        assert_eq!((listed.len(), listed[0].state), (1, ImportState::Published));
        let audit = publica_kernel::audit::list(app.kernel.db(), Some(civil), None, 50).await.expect("audit");
        assert!(audit.iter().any(|e| e.action == "registry.import.completed"), "the import is audited once");

        // Only the owner imports.
        let refused = run(&app.kernel, chamber, &path, ImportOptions::default()).await;
        assert!(
            matches!(refused, Err(ImportError::Registry(publica_kernel::error::Error::Forbidden(_)))),
            "{refused:?}"
        );
    }
}

#[tokio::test]
async fn a_json_lines_file_is_imported_in_chunks() {
    for app in apps().await {
        let (civil, _) = owners(&app.kernel).await;
        let dir = tempfile::tempdir().expect("dir");
        let mut text = jsonl((0..250).map(person));
        text.insert(text.find('\n').expect("line") + 1, '\n'); // a blank line is skipped
        let path = write(dir.path(), "people.ndjson", &text);
        let valid_from = Timestamp::parse("2020-01-01T00:00:00Z").expect("time");
        let options = ImportOptions { chunk_rows: 100, valid_from: Some(valid_from), ..Default::default() };
        let summary = run(&app.kernel, civil, &path, options).await.expect("imported");
        assert_eq!(summary.rows, 250);
        let records = all(&app.kernel).await;
        assert_eq!(records.len(), 250);
        assert!(records.contains(&person(249)));
        let stored = registry(&app.kernel).get("population", &id(7), &AsOf::now()).await.expect("get").expect("record");
        assert_eq!(stored.valid_from, valid_from);
        let searched = registry(&app.kernel)
            .search("population", &[("municipality".into(), "Town 3".into())], None, 1000)
            .await
            .expect("search");
        assert_eq!(searched.len(), (0..250).filter(|i| i % 7 == 3).count(), "imported records are indexed");
    }
}

#[tokio::test]
async fn a_bad_file_is_reported_by_row_and_field_and_nothing_is_written() {
    for app in apps().await {
        let (civil, _) = owners(&app.kernel).await;
        let dir = tempfile::tempdir().expect("dir");
        let mut bad_date = person(2);
        bad_date["birth_date"] = json!("1985-13-45");
        let mut bad_id = person(4);
        let mut digits: Vec<u8> = id(4).into_bytes();
        let last = digits.len() - 1;
        digits[last] = b'0' + (digits[last] - b'0' + 1) % 10;
        bad_id["national_id"] = json!(String::from_utf8(digits).expect("digits"));
        let mut bad_parent = person(5);
        bad_parent["family"]["parents"] = json!(["123"]);
        let rows = [
            csv_row(&person(1)),
            csv_row(&bad_date),
            csv_row(&person(3)),
            csv_row(&bad_id),
            csv_row(&person(1)),
            csv_row(&bad_parent),
        ];
        let path = write(dir.path(), "people.csv", &format!("{HEADER}\n{}\n", rows.join("\n")));
        let options = ImportOptions { max_errors: 3, chunk_rows: 2, ..Default::default() };
        let Err(ImportError::Rejected(report)) = run(&app.kernel, civil, &path, options).await else {
            panic!("the file is rejected");
        };
        assert_eq!((report.rows, report.error_count, report.errors.len()), (6, 4, 3), "{report}");
        let first = &report.errors[0];
        assert_eq!((first.row, first.field.as_deref()), (3, Some("birth_date")), "{report}");
        assert_eq!((report.errors[1].row, report.errors[1].field.as_deref()), (5, Some("national_id")));
        assert_eq!(report.errors[2].row, 6);
        assert!(report.errors[2].problem.contains("twice") && report.errors[2].problem.contains("row 2"), "{report}");
        assert!(report.to_string().contains("1 more"), "{report}");
        assert!(all(&app.kernel).await.is_empty(), "nothing written");
        let listed = imports(app.kernel.db(), "population", 10).await.expect("imports");
        assert_eq!(listed[0].state, ImportState::Failed);

        // A column that is not in the schema is reported against the header row.
        let path = write(dir.path(), "extra.csv", "national_id,nickname\n30000000010,Al\n");
        let Err(ImportError::Rejected(report)) = run(&app.kernel, civil, &path, ImportOptions::default()).await else {
            panic!("rejected");
        };
        assert_eq!((report.errors[0].row, report.errors[0].field.as_deref()), (1, Some("nickname")));

        // JSON Lines errors name the JSON pointer.
        let path = write(dir.path(), "bad.jsonl", &format!("{}\nnot json\n{}\n", person(1), bad_parent));
        let Err(ImportError::Rejected(report)) = run(&app.kernel, civil, &path, ImportOptions::default()).await else {
            panic!("rejected");
        };
        assert_eq!((report.errors[0].row, report.errors[0].field.as_deref()), (2, None));
        assert_eq!((report.errors[1].row, report.errors[1].field.as_deref()), (3, Some("/family/parents/0")));
        assert!(all(&app.kernel).await.is_empty());

        // A record already in the register: the row is named, nothing is written.
        registry(&app.kernel).create(&Actor::operator(), civil, "population", person(3), None).await.expect("create");
        let path = write(dir.path(), "clash.jsonl", &jsonl([person(1), person(2), person(3)].into_iter()));
        let Err(ImportError::Rejected(report)) = run(&app.kernel, civil, &path, ImportOptions::default()).await else {
            panic!("rejected");
        };
        assert_eq!((report.errors[0].row, report.errors[0].field.as_deref()), (3, Some("national_id")));
        assert!(report.errors[0].problem.contains("already"), "{report}");
        assert_eq!(all(&app.kernel).await, vec![person(3)]);
    }
}

/// Import on a task of its own whose progress callback panics (a crash) once `phase` has
/// reached `after` rows.
async fn crash(kernel: &Kernel, org: Uuid, path: &Path, options: ImportOptions, phase: Phase, after: u64) {
    let (kernel, path) = (kernel.clone(), path.to_path_buf());
    let progress: ProgressFn = Arc::new(move |p: Progress| {
        if p.phase == phase && p.done >= after {
            panic!("simulated crash after {} rows", p.done);
        }
    });
    let task =
        tokio::spawn(
            async move { import(&kernel, &Actor::operator(), org, "population", &path, &options, progress).await },
        );
    let outcome = task.await;
    assert!(outcome.is_err_and(|e| e.is_panic()), "the import crashed");
}

/// Options under which every file is checked first, committing the check's progress.
fn check_first(options: &ImportOptions) -> ImportOptions {
    ImportOptions { overlap_rows: 0, ..options.clone() }
}

#[tokio::test]
async fn an_interrupted_import_resumes_after_its_last_chunk_and_publishes_once() {
    for app in apps().await {
        let (civil, _) = owners(&app.kernel).await;
        let dir = tempfile::tempdir().expect("dir");
        let path = write(dir.path(), "people.jsonl", &jsonl((0..250).map(person)));
        let options = ImportOptions { chunk_rows: 100, ..Default::default() };
        crash(&app.kernel, civil, &path, check_first(&options), Phase::Checking, 100).await;

        let state = &imports(app.kernel.db(), "population", 1).await.expect("imports")[0];
        assert_eq!((state.state, state.rows_checked, state.rows_written), (ImportState::Running, 100, 0));
        assert!(all(&app.kernel).await.is_empty(), "nothing is written before every row is checked");
        let partial = run(&app.kernel, civil, &path, ImportOptions { partial: true, ..options.clone() }).await;
        assert!(
            matches!(partial, Err(ImportError::Registry(publica_kernel::error::Error::Conflict(_)))),
            "{partial:?}"
        );

        let summary = run(&app.kernel, civil, &path, options).await.expect("resumed");
        assert_eq!((summary.resumed_from, summary.rows), (100, 250));
        let records = all(&app.kernel).await;
        assert_eq!(records.len(), 250);
        assert_eq!(
            registry(&app.kernel).changes("population", 0, 1000).await.expect("feed").len(),
            250,
            "no duplicates"
        );
        let state = &imports(app.kernel.db(), "population", 1).await.expect("imports")[0];
        assert_eq!((state.state, state.rows_total, state.rows_written), (ImportState::Published, Some(250), 250));
    }
}

#[tokio::test]
async fn a_partial_import_shows_committed_chunks_and_resumes() {
    for app in apps().await {
        let (civil, _) = owners(&app.kernel).await;
        let dir = tempfile::tempdir().expect("dir");
        let path = write(dir.path(), "people.jsonl", &jsonl((0..250).map(person)));
        let options = ImportOptions { chunk_rows: 100, partial: true, ..Default::default() };
        crash(&app.kernel, civil, &path, options.clone(), Phase::Writing, 100).await;

        let state = &imports(app.kernel.db(), "population", 1).await.expect("imports")[0];
        assert_eq!((state.rows_checked, state.rows_written, state.rows_total), (250, 100, Some(250)));
        let registry = registry(&app.kernel);
        assert!(registry.get("population", &id(99), &AsOf::now()).await.expect("get").is_some(), "chunk 1 is visible");
        assert!(registry.get("population", &id(100), &AsOf::now()).await.expect("get").is_none());
        let summary = run(&app.kernel, civil, &path, options).await.expect("resumed");
        assert_eq!((summary.resumed_from, summary.rows, summary.partial), (100, 250, true));
        assert_eq!(all(&app.kernel).await.len(), 250);
        assert_eq!(registry.changes("population", 0, 1000).await.expect("feed").len(), 250, "no duplicates");
    }
}

#[tokio::test]
async fn a_small_file_checked_while_published_is_all_or_nothing_and_starts_again_when_interrupted() {
    for app in apps().await {
        let (civil, _) = owners(&app.kernel).await;
        let dir = tempfile::tempdir().expect("dir");
        let options = ImportOptions { chunk_rows: 100, ..Default::default() };
        let path = write(dir.path(), "people.jsonl", &jsonl((0..250).map(person)));
        crash(&app.kernel, civil, &path, options.clone(), Phase::Publishing, 200).await;
        let state = &imports(app.kernel.db(), "population", 1).await.expect("imports")[0];
        assert_eq!((state.state, state.rows_checked, state.rows_written), (ImportState::Running, 0, 0));
        assert!(all(&app.kernel).await.is_empty(), "nothing is visible before the end");
        let summary = run(&app.kernel, civil, &path, options.clone()).await.expect("imported again");
        assert_eq!((summary.resumed_from, summary.rows), (0, 250));
        assert_eq!(registry(&app.kernel).changes("population", 0, 1000).await.expect("feed").len(), 250);
        let state = &imports(app.kernel.db(), "population", 1).await.expect("imports")[0];
        assert_eq!(
            (state.state, state.rows_checked, state.rows_total, state.rows_written),
            (ImportState::Published, 250, Some(250), 250)
        );

        // Bad rows after chunks already written: rolled back, the same report as checking first.
        let mut bad = person(540);
        bad["birth_date"] = json!("1985-13-45");
        let people = (300..600).map(|i| if i == 540 { bad.clone() } else { person(i) });
        let path = write(dir.path(), "late.jsonl", &jsonl(people.chain([person(301)])));
        for options in [options.clone(), check_first(&options)] {
            let outcome = import(&app.kernel, &Actor::operator(), civil, "population", &path, &options, quiet()).await;
            let Err(ImportError::Rejected(report)) = outcome else { panic!("rejected: {outcome:?}") };
            assert_eq!((report.rows, report.error_count), (301, 2), "{report}");
            assert_eq!((report.errors[0].row, report.errors[0].field.as_deref()), (241, Some("/birth_date")));
            assert!(report.errors[1].problem.contains("twice"), "{report}");
            assert_eq!(
                all(&app.kernel).await.len(),
                250,
                "nothing of the file is written (overlap_rows {})",
                options.overlap_rows
            );
        }

        // A record already there, then a bad row: the bad row is reported, as when checking first;
        // the clash alone is reported by its row.
        let people = (600..900).map(|i| if i == 850 { bad.clone() } else { person(i) });
        let path = write(dir.path(), "clash.jsonl", &jsonl([person(7)].into_iter().chain(people)));
        let Err(ImportError::Rejected(report)) = run(&app.kernel, civil, &path, options.clone()).await else {
            panic!("rejected");
        };
        assert_eq!((report.error_count, report.errors[0].row), (1, 252), "{report}");
        let path = write(dir.path(), "clash2.jsonl", &jsonl((900..1100).map(person).chain([person(7)])));
        let Err(ImportError::Rejected(report)) = run(&app.kernel, civil, &path, options.clone()).await else {
            panic!("rejected");
        };
        assert_eq!((report.errors[0].row, report.errors[0].field.as_deref()), (201, Some("national_id")));
        assert!(report.errors[0].problem.contains("already"), "{report}");
        assert_eq!(all(&app.kernel).await.len(), 250);
        let listed = imports(app.kernel.db(), "population", 10).await.expect("imports");
        assert!(listed.iter().filter(|i| i.state == ImportState::Failed).count() >= 3, "{listed:?}");
    }
}

async fn exported(kernel: &Kernel, info: &RegisterInfo, format: Format, as_of: AsOf) -> String {
    let mut out = Vec::new();
    let count = export(kernel.db(), info, &ExportOptions { format, as_of }, &mut out, &|_| {}).await.expect("export");
    let text = String::from_utf8(out).expect("utf-8");
    let lines = text.lines().count() as u64;
    assert_eq!(lines, count + u64::from(format == Format::Csv), "{text}");
    text
}

fn records(text: &str) -> Vec<Value> {
    text.lines().map(|l| serde_json::from_str(l).expect("json line")).collect()
}

#[tokio::test]
async fn exports_show_the_register_as_of_any_date_and_import_back() {
    for app in apps().await {
        let (civil, _) = owners(&app.kernel).await;
        let registry = registry(&app.kernel);
        let dir = tempfile::tempdir().expect("dir");
        let path = write(dir.path(), "people.jsonl", &jsonl((0..3).map(person)));
        let valid_from = Timestamp::parse("2020-01-01T00:00:00Z").expect("time");
        run(&app.kernel, civil, &path, ImportOptions { valid_from: Some(valid_from), ..Default::default() })
            .await
            .expect("imported");
        let before_changes = Timestamp::now();
        let mut renamed = person(0);
        renamed["family_name"] = json!("Renamed");
        let actor = Actor::operator();
        let at = |t: &str| Timestamp::parse(t).expect("time");
        registry
            .change(&actor, civil, "population", &id(0), renamed.clone(), Some(at("2024-01-01T00:00:00Z")))
            .await
            .expect("change");
        registry
            .delete(&actor, civil, "population", &id(1), "emigrated", Some(at("2024-06-01T00:00:00Z")))
            .await
            .expect("delete");
        let info = registry.register("population").await.expect("info");

        let past =
            records(&exported(&app.kernel, &info, Format::JsonLines, AsOf::valid_at(at("2023-01-01T00:00:00Z"))).await);
        assert_eq!(past, vec![person(0), person(1), person(2)], "{}", app.backend);
        let now = records(&exported(&app.kernel, &info, Format::JsonLines, AsOf::now()).await);
        assert_eq!(now, vec![renamed.clone(), person(2)]);
        let as_known = AsOf { valid_at: None, known_at: Some(before_changes) };
        let known = records(&exported(&app.kernel, &info, Format::JsonLines, as_known).await);
        assert_eq!(known, vec![person(0), person(1), person(2)], "as the register knew it before the changes");
        let before_import = AsOf::valid_at(at("2019-01-01T00:00:00Z"));
        assert_eq!(exported(&app.kernel, &info, Format::JsonLines, before_import).await, "");

        // CSV: a header naming every field, and a file the import reads back to the same data.
        let csv = exported(&app.kernel, &info, Format::Csv, AsOf::valid_at(at("2023-01-01T00:00:00Z"))).await;
        let header = csv.lines().next().expect("header");
        assert!(header.starts_with("national_id,") && header.contains("residence.municipality"), "{header}");
        let copy = RegisterInfo { name: "population-copy".into(), title: "Copy".into(), ..population(civil) };
        registry.define(&actor, copy.clone()).await.expect("define the copy");
        let path = write(dir.path(), "export.csv", &csv);
        import(&app.kernel, &actor, civil, "population-copy", &path, &ImportOptions::default(), quiet())
            .await
            .expect("re-import");
        for i in 0..3 {
            let back = registry.get("population-copy", &id(i), &AsOf::now()).await.expect("get").expect("record");
            assert_eq!(back.data, person(i), "row {i} survives the round trip");
        }
    }
}

/// The import rate on SQLite for the population register (`cargo test --release -p
/// publica-registry import_throughput -- --ignored --nocapture`).
#[tokio::test]
#[ignore]
async fn import_throughput() {
    let app = apps().await.into_iter().next().expect("sqlite");
    let (civil, _) = owners(&app.kernel).await;
    let dir = tempfile::tempdir().expect("dir");
    const ROWS: u32 = 100_000;
    let csv: String =
        std::iter::once(HEADER.to_string()).chain((0..ROWS).map(|i| csv_row(&person(i)))).map(|l| l + "\n").collect();
    let path = write(dir.path(), "people.csv", &csv);
    let summary = run(&app.kernel, civil, &path, ImportOptions::default()).await.expect("imported");
    assert_eq!(summary.rows, u64::from(ROWS));
    println!("CSV: {ROWS} persons in {:.2} s: {:.0} records/s", summary.seconds, f64::from(ROWS) / summary.seconds);
    let registry = registry(&app.kernel);
    let copy = RegisterInfo { name: "population-copy".into(), title: "Copy".into(), ..population(civil) };
    registry.define(&Actor::operator(), copy).await.expect("define");
    let path = write(dir.path(), "people.jsonl", &jsonl((0..ROWS).map(person)));
    let started = std::time::Instant::now();
    import(&app.kernel, &Actor::operator(), civil, "population-copy", &path, &ImportOptions::default(), quiet())
        .await
        .expect("imported");
    let seconds = started.elapsed().as_secs_f64();
    println!("JSON Lines: {ROWS} persons in {seconds:.2} s: {:.0} records/s", f64::from(ROWS) / seconds);
}
