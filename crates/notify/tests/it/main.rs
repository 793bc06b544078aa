//! Notify's integration tests, one module per area.

mod api;
mod delivery;
mod openapi;
mod pages;
mod send;

/// The latest day folder of the print folder (`letters/YYYY-MM-DD` under `data`): the folder also
/// holds entries of its own (`.lock`, `.sent`), and the file system lists them in any order.
pub(crate) fn print_day(data: &std::path::Path) -> std::path::PathBuf {
    let letters = data.join("letters");
    let mut days: Vec<_> = std::fs::read_dir(&letters)
        .expect("letters folder")
        .map(|entry| entry.expect("entry").path())
        .filter(|path| path.file_name().is_some_and(|name| !name.to_string_lossy().starts_with('.')))
        .collect();
    days.sort();
    days.pop().expect("a day folder")
}
