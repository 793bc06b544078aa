//! The validation report of an import: which row, which field, what is wrong. It keeps the
//! first errors (100 by default) and counts the rest.

use std::fmt;

use serde::Serialize;

/// One problem in a bulk file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RowError {
    /// The line of the file where the row starts (a CSV header is line 1).
    pub row: u64,
    /// The column (CSV, dotted for nested fields) or JSON pointer (JSON Lines) at fault; `None`
    /// when the whole row is (not parseable, wrong number of cells).
    pub field: Option<String>,
    pub problem: String,
}

impl RowError {
    pub fn new(row: u64, field: impl Into<String>, problem: impl Into<String>) -> RowError {
        RowError { row, field: Some(field.into()), problem: problem.into() }
    }

    /// A problem with the row as a whole.
    pub fn row(row: u64, problem: impl Into<String>) -> RowError {
        RowError { row, field: None, problem: problem.into() }
    }
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.field {
            Some(field) => write!(f, "row {}, field {}: {}", self.row, field, self.problem),
            None => write!(f, "row {}: {}", self.row, self.problem),
        }
    }
}

/// Everything wrong with a file, for the person who has to fix it.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Report {
    /// Rows read (data rows, not counting a CSV header).
    pub rows: u64,
    /// The first errors, in file order.
    pub errors: Vec<RowError>,
    /// All errors, including those not kept.
    pub error_count: u64,
    /// How many errors are kept.
    pub max_errors: usize,
}

impl Report {
    pub fn new(max_errors: usize) -> Report {
        Report { max_errors: max_errors.max(1), ..Report::default() }
    }

    pub fn push(&mut self, error: RowError) {
        self.error_count += 1;
        if self.errors.len() < self.max_errors {
            self.errors.push(error);
        }
    }

    pub fn extend(&mut self, errors: impl IntoIterator<Item = RowError>) {
        for e in errors {
            self.push(e);
        }
    }

    pub fn is_clean(&self) -> bool {
        self.error_count == 0
    }

    /// Errors found but not listed.
    pub fn not_shown(&self) -> u64 {
        self.error_count.saturating_sub(self.errors.len() as u64)
    }

    /// Order the kept errors by row (workers report chunks as they finish).
    pub fn sort(&mut self) {
        self.errors.sort_by_key(|e| e.row);
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{} error(s) in {} row(s):", self.error_count, self.rows)?;
        for e in &self.errors {
            writeln!(f, "  {e}")?;
        }
        if self.not_shown() > 0 {
            writeln!(f, "  … and {} more not listed", self.not_shown())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_first_errors_and_counts_all() {
        let mut report = Report::new(2);
        report.extend((1..=5).map(|r| RowError::new(r, "f", "bad")));
        assert_eq!(report.errors.len(), 2);
        assert_eq!(report.error_count, 5);
        assert_eq!(report.not_shown(), 3);
        let text = report.to_string();
        assert!(text.contains("row 1, field f: bad") && text.contains("3 more"), "{text}");
    }
}
