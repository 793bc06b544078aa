//! Checks on letters uploaded as PDF: is it a PDF, and how many pages does it have. The page
//! count follows the document's own page tree (trailer `/Root`, catalog `/Pages`, `/Count`,
//! the latest revision of each object winning) and falls back to counting page objects when the
//! tree cannot be read. Page trees kept in compressed object streams cannot be read this way.

use std::collections::HashMap;

/// Notify's `LETTER_MAX_PAGE_COUNT`.
pub const LETTER_MAX_PAGE_COUNT: usize = 10;

/// Why an uploaded letter is not usable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PdfError {
    #[error("The letter is not a PDF")]
    NotPdf,
    #[error("The letter has no pages that can be counted")]
    NoPages,
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\n' | b'\r' | b'\t' | b'\x0c' | b'\0')
}

fn is_delimiter(b: u8) -> bool {
    is_space(b) || matches!(b, b'(' | b')' | b'<' | b'>' | b'[' | b']' | b'{' | b'}' | b'/' | b'%')
}

fn find_all<'a>(hay: &'a [u8], needle: &'a [u8]) -> impl Iterator<Item = usize> + 'a {
    hay.windows(needle.len()).enumerate().filter(move |(_, w)| *w == needle).map(|(i, _)| i)
}

/// Reads an unsigned integer ending just before `end` (walking backwards); returns its start.
fn number_before(pdf: &[u8], end: usize) -> Option<(usize, u32)> {
    let start = pdf[..end].iter().rposition(|b| !b.is_ascii_digit()).map_or(0, |p| p + 1);
    if start == end {
        return None;
    }
    let n = std::str::from_utf8(&pdf[start..end]).ok()?.parse().ok()?;
    Some((start, n))
}

/// Object number → offset just after `N G obj`, the last definition winning.
fn objects(pdf: &[u8]) -> HashMap<u32, usize> {
    let mut found = HashMap::new();
    for at in find_all(pdf, b"obj") {
        if pdf.get(at + 3).is_some_and(|b| !is_delimiter(*b)) || at == 0 || !is_space(pdf[at - 1]) {
            continue;
        }
        let mut p = at;
        while p > 0 && is_space(pdf[p - 1]) {
            p -= 1;
        }
        let Some((gen_start, _)) = number_before(pdf, p) else { continue };
        let mut p = gen_start;
        if p == 0 || !is_space(pdf[p - 1]) {
            continue;
        }
        while p > 0 && is_space(pdf[p - 1]) {
            p -= 1;
        }
        let Some((num_start, num)) = number_before(pdf, p) else { continue };
        if num_start == 0 || is_delimiter(pdf[num_start - 1]) {
            found.insert(num, at + 3);
        }
    }
    found
}

fn skip_space(pdf: &[u8], mut p: usize) -> usize {
    while p < pdf.len() && is_space(pdf[p]) {
        p += 1;
    }
    p
}

/// The dictionary starting at `p` (after whitespace), as a byte range including `<<` and `>>`.
fn dictionary(pdf: &[u8], p: usize) -> Option<&[u8]> {
    let start = skip_space(pdf, p);
    if !pdf[start..].starts_with(b"<<") {
        return None;
    }
    let mut depth = 0usize;
    let mut i = start;
    while i < pdf.len() {
        match pdf[i] {
            b'<' if pdf.get(i + 1) == Some(&b'<') => {
                depth += 1;
                i += 2;
                continue;
            }
            b'>' if pdf.get(i + 1) == Some(&b'>') => {
                depth -= 1;
                i += 2;
                if depth == 0 {
                    return Some(&pdf[start..i]);
                }
                continue;
            }
            b'<' => i += pdf[i..].iter().position(|b| *b == b'>').unwrap_or(pdf.len() - i),
            b'(' => {
                let mut nesting = 0usize;
                while i < pdf.len() {
                    match pdf[i] {
                        b'\\' => i += 1,
                        b'(' => nesting += 1,
                        b')' => {
                            nesting -= 1;
                            if nesting == 0 {
                                break;
                            }
                        }
                        _ => {}
                    }
                    i += 1;
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

#[derive(Debug, PartialEq)]
enum Value<'a> {
    Int(u32),
    Ref(u32),
    Name(&'a [u8]),
    Other,
}

fn value(dict: &[u8], p: usize) -> Value<'_> {
    let p = skip_space(dict, p);
    if dict.get(p) == Some(&b'/') {
        let end = dict[p + 1..].iter().position(|b| is_delimiter(*b)).map_or(dict.len(), |e| p + 1 + e);
        return Value::Name(&dict[p + 1..end]);
    }
    let digits = |from: usize| dict[from.min(dict.len())..].iter().take_while(|b| b.is_ascii_digit()).count();
    let n = digits(p);
    let Some(num) = std::str::from_utf8(&dict[p..p + n]).ok().and_then(|s| s.parse().ok()) else { return Value::Other };
    let q = skip_space(dict, p + n);
    let g = digits(q);
    if g > 0 && q > p + n {
        let r = skip_space(dict, q + g);
        if dict.get(r) == Some(&b'R') && r > q + g {
            return Value::Ref(num);
        }
    }
    Value::Int(num)
}

/// The value of `/key` at the top level of a dictionary.
fn lookup<'a>(dict: &'a [u8], key: &[u8]) -> Value<'a> {
    let mut depth = 0i32;
    let mut i = 0;
    while i < dict.len() {
        match dict[i] {
            b'<' if dict.get(i + 1) == Some(&b'<') => {
                depth += 1;
                i += 1;
            }
            b'>' if dict.get(i + 1) == Some(&b'>') => {
                depth -= 1;
                i += 1;
            }
            b'[' => depth += 1,
            b']' => depth -= 1,
            b'/' if depth == 1 => {
                let end = dict[i + 1..].iter().position(|b| is_delimiter(*b)).map_or(dict.len(), |e| i + 1 + e);
                if &dict[i + 1..end] == key {
                    return value(dict, end);
                }
                i = end;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    Value::Other
}

fn count_from_tree(pdf: &[u8], objs: &HashMap<u32, usize>) -> Option<usize> {
    let root_at = find_all(pdf, b"/Root").last()?;
    let Value::Ref(root) = value(pdf, root_at + 5) else { return None };
    let catalog = dictionary(pdf, *objs.get(&root)?)?;
    let Value::Ref(tree) = lookup(catalog, b"Pages") else { return None };
    let pages = dictionary(pdf, *objs.get(&tree)?)?;
    match lookup(pages, b"Count") {
        Value::Int(n) => Some(n as usize),
        Value::Ref(r) => match value(pdf, *objs.get(&r)?) {
            Value::Int(n) => Some(n as usize),
            _ => None,
        },
        _ => None,
    }
}

/// Number of pages of a PDF.
pub fn page_count(pdf: &[u8]) -> Result<usize, PdfError> {
    if !pdf.starts_with(b"%PDF-") {
        return Err(PdfError::NotPdf);
    }
    let objs = objects(pdf);
    let count = count_from_tree(pdf, &objs).filter(|n| *n > 0).unwrap_or_else(|| {
        objs.values()
            .filter_map(|at| dictionary(pdf, *at))
            .filter(|d| lookup(d, b"Type") == Value::Name(b"Page"))
            .count()
    });
    if count == 0 { Err(PdfError::NoPages) } else { Ok(count) }
}

/// The page count of a PDF, or `None` when it is not a PDF or has no countable pages.
pub fn pdf_page_count(pdf: &[u8]) -> Option<usize> {
    page_count(pdf).ok()
}

/// Checks an uploaded letter: a PDF with at least one page. Returns its page count (compare it
/// with [`LETTER_MAX_PAGE_COUNT`]).
pub fn check_precompiled(pdf: &[u8]) -> Result<usize, PdfError> {
    page_count(pdf)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal PDF as another tool would write it, pages in a nested tree.
    fn sample(count_line: &str) -> Vec<u8> {
        format!(
            "%PDF-1.4\n%\u{e2}\u{e3}\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R /Names << /Pages 9 0 R >> >>\nendobj\n\
             2 0 obj\n<< /Type /Pages /Kids [3 0 R 4 0 R] {count_line} >>\nendobj\n\
             3 0 obj\n<</Type/Pages/Parent 2 0 R/Kids[5 0 R 6 0 R]/Count 2>>\nendobj\n\
             4 0 obj\n<</Type/Page/Parent 2 0 R/Contents (a >> b \\) c)>>\nendobj\n\
             5 0 obj\n<</Type/Page/Parent 3 0 R>>\nendobj\n6 0 obj\n<</Type /Page /Parent 3 0 R>>\nendobj\n\
             7 0 obj\n3\nendobj\n\
             trailer\n<< /Size 8 /Root 1 0 R >>\n%%EOF\n"
        )
        .into_bytes()
    }

    #[test]
    fn counts_pages_from_the_page_tree() {
        assert_eq!(page_count(&sample("/Count 3")), Ok(3));
        assert_eq!(page_count(&sample("/Count 7 0 R")), Ok(3));
    }

    #[test]
    fn falls_back_to_counting_page_objects() {
        assert_eq!(page_count(&sample("")), Ok(3));
        let no_root = String::from_utf8_lossy(&sample("/Count 3")).replace("/Root 1 0 R", "");
        assert_eq!(page_count(no_root.as_bytes()), Ok(3));
    }

    #[test]
    fn later_revisions_win() {
        let mut pdf = sample("/Count 3");
        pdf.extend_from_slice(
            b"2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 2 >>\nendobj\ntrailer\n<< /Root 1 0 R /Prev 0 >>\n%%EOF\n",
        );
        assert_eq!(page_count(&pdf), Ok(2));
    }

    #[test]
    fn rejects_what_is_not_a_pdf_or_has_no_pages() {
        assert_eq!(page_count(b"GIF89a"), Err(PdfError::NotPdf));
        assert_eq!(page_count(b" %PDF-1.4"), Err(PdfError::NotPdf));
        assert_eq!(page_count(b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\n"), Err(PdfError::NoPages));
        assert_eq!(check_precompiled(b"%PDF-1.7\n"), Err(PdfError::NoPages));
    }
}
