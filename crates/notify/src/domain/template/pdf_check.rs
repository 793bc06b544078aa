//! Checks on letters uploaded as PDF: is it a PDF, and how many pages does it have. The page
//! count follows the document's own page tree (trailer or cross-reference stream `/Root`,
//! catalog `/Pages`, `/Count`, the latest revision of each object winning) and falls back to
//! counting page objects when the tree cannot be read. Objects kept in compressed object
//! streams (PDF 1.5 `/Type /ObjStm`) are inflated and indexed like the others, within a cap on
//! how much they may expand to, so that a compression bomb is refused rather than inflated.

use std::collections::HashMap;
use std::io::Read;

/// Notify's `LETTER_MAX_PAGE_COUNT`.
pub const LETTER_MAX_PAGE_COUNT: usize = 10;
/// How many bytes the object streams of one letter may inflate to, all together.
pub const MAX_INFLATED_BYTES: usize = 50 * 1024 * 1024;

/// Why an uploaded letter is not usable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PdfError {
    #[error("The letter is not a PDF")]
    NotPdf,
    #[error("The letter has no pages that can be counted")]
    NoPages,
    #[error("The letter's compressed object streams expand to more than {} MB", MAX_INFLATED_BYTES / (1024 * 1024))]
    TooLarge,
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

/// Where the value of `/key` at the top level of a dictionary starts.
fn entry(dict: &[u8], key: &[u8]) -> Option<usize> {
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
                    return Some(end);
                }
                i = end;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// The value of `/key` at the top level of a dictionary.
fn lookup<'a>(dict: &'a [u8], key: &[u8]) -> Value<'a> {
    entry(dict, key).map_or(Value::Other, |p| value(dict, p))
}

/// The names of `/key`: one name or an array of them (`None` when it is something else).
fn names<'a>(dict: &'a [u8], key: &[u8]) -> Option<Vec<&'a [u8]>> {
    let Some(p) = entry(dict, key) else { return Some(Vec::new()) };
    let p = skip_space(dict, p);
    match dict.get(p) {
        Some(b'/') => match value(dict, p) {
            Value::Name(name) => Some(vec![name]),
            _ => None,
        },
        Some(b'[') => {
            let end = dict[p..].iter().position(|b| *b == b']').map(|e| p + e)?;
            let mut found = Vec::new();
            let mut q = skip_space(dict, p + 1);
            while q < end {
                let Value::Name(name) = value(dict, q) else { return None };
                found.push(name);
                q = skip_space(dict, q + 1 + name.len());
            }
            Some(found)
        }
        _ => None,
    }
}

/// The objects of a PDF: where the text of each one starts, in the file or in an inflated
/// object stream, the latest definition in the file winning.
struct Objects<'a> {
    pdf: &'a [u8],
    streams: Vec<Vec<u8>>,
    index: HashMap<u32, Place>,
}

/// An object's text: `stream` is `None` for the file itself, else an inflated object stream.
#[derive(Clone, Copy, Debug)]
struct Place {
    stream: Option<usize>,
    start: usize,
    end: usize,
    /// Where in the file it was defined (an object stream's members, where the stream is).
    rank: usize,
}

impl<'a> Objects<'a> {
    fn read(pdf: &'a [u8]) -> Result<Objects<'a>, PdfError> {
        let plain = objects(pdf);
        let index = plain
            .iter()
            .map(|(num, at)| (*num, Place { stream: None, start: *at, end: pdf.len(), rank: *at }))
            .collect();
        let mut objs = Objects { pdf, streams: Vec::new(), index };
        let mut holders: Vec<usize> = plain.values().copied().collect();
        holders.sort_unstable();
        let mut budget = MAX_INFLATED_BYTES;
        for at in holders {
            let Some(dict) = dictionary(pdf, at) else { continue };
            if lookup(dict, b"Type") != Value::Name(b"ObjStm") {
                continue;
            }
            let (Value::Int(n), Value::Int(first)) = (lookup(dict, b"N"), lookup(dict, b"First")) else { continue };
            let Some(raw) = stream_data(pdf, at, &plain) else { continue };
            let Some(data) = decode(dict, raw, &mut budget)? else { continue };
            let stream = objs.streams.len();
            for (num, start, end) in members(&data, n as usize, first as usize) {
                if objs.index.get(&num).is_none_or(|old| old.rank <= at) {
                    objs.index.insert(num, Place { stream: Some(stream), start, end, rank: at });
                }
            }
            objs.streams.push(data);
        }
        Ok(objs)
    }

    /// The text of object `num`, from its start.
    fn get(&self, num: u32) -> Option<&[u8]> {
        self.text(self.index.get(&num)?)
    }

    fn text(&self, place: &Place) -> Option<&[u8]> {
        let source = match place.stream {
            None => self.pdf,
            Some(i) => self.streams.get(i)?,
        };
        source.get(place.start..place.end)
    }

    /// Every object's text.
    fn all(&self) -> impl Iterator<Item = &[u8]> {
        self.index.values().filter_map(|place| self.text(place))
    }
}

/// The raw bytes of the stream of the object whose text starts at `at`: `/Length` of them when
/// that is known and fits, else up to `endstream`.
fn stream_data<'a>(pdf: &'a [u8], at: usize, plain: &HashMap<u32, usize>) -> Option<&'a [u8]> {
    let dict_start = skip_space(pdf, at);
    let dict = dictionary(pdf, at)?;
    let p = skip_space(pdf, dict_start + dict.len());
    if !pdf[p..].starts_with(b"stream") {
        return None;
    }
    let p = p + b"stream".len();
    let start = match pdf.get(p..p + 2) {
        Some(b"\r\n") => p + 2,
        _ if pdf.get(p) == Some(&b'\n') || pdf.get(p) == Some(&b'\r') => p + 1,
        _ => return None,
    };
    let length = match lookup(dict, b"Length") {
        Value::Int(n) => Some(n as usize),
        Value::Ref(r) => match plain.get(&r).map(|at| value(pdf, *at)) {
            Some(Value::Int(n)) => Some(n as usize),
            _ => None,
        },
        _ => None,
    };
    match length.and_then(|n| pdf.get(start..start.checked_add(n)?)) {
        Some(data) => Some(data),
        None => find_all(&pdf[start..], b"endstream").next().map(|end| &pdf[start..start + end]),
    }
}

/// An object stream's bytes once decoded (`None` for filters this check does not read),
/// drawn from what is left of `budget`.
fn decode(dict: &[u8], raw: &[u8], budget: &mut usize) -> Result<Option<Vec<u8>>, PdfError> {
    let filters = names(dict, b"Filter");
    // Predictors (rare in object streams) are not undone: such a stream is left unread.
    let predicted = entry(dict, b"DecodeParms").is_some_and(|p| match dictionary(dict, p) {
        Some(parms) => !matches!(lookup(parms, b"Predictor"), Value::Other | Value::Int(1)),
        None => true,
    });
    match filters.as_deref() {
        Some([]) if raw.len() <= *budget => {
            *budget -= raw.len();
            Ok(Some(raw.to_vec()))
        }
        Some([]) => Err(PdfError::TooLarge),
        Some([b"FlateDecode" | b"Fl"]) if !predicted => inflate(raw, budget),
        _ => Ok(None),
    }
}

/// Inflates zlib data, refusing to produce more than `budget` bytes and taking what it produced
/// from it. Data that breaks off keeps what came before the break; data that is not zlib at all
/// gives `None`.
fn inflate(raw: &[u8], budget: &mut usize) -> Result<Option<Vec<u8>>, PdfError> {
    let limit = u64::try_from(*budget).unwrap_or(u64::MAX).saturating_add(1);
    let mut out = Vec::new();
    let read = flate2::read::ZlibDecoder::new(raw).take(limit).read_to_end(&mut out);
    if out.len() > *budget {
        return Err(PdfError::TooLarge);
    }
    if read.is_err() && out.is_empty() {
        return Ok(None);
    }
    *budget -= out.len();
    Ok(Some(out))
}

/// The members of an inflated object stream: `(number, start, end)` of each of its `n`
/// objects, read from the pairs of integers before `first`.
fn members(data: &[u8], n: usize, first: usize) -> Vec<(u32, usize, usize)> {
    let Some(header) = data.get(..first) else { return Vec::new() };
    let numbers: Vec<usize> = header
        .split(|b| is_space(*b))
        .filter(|t| !t.is_empty())
        .map_while(|t| std::str::from_utf8(t).ok()?.parse().ok())
        .take(n.saturating_mul(2))
        .collect();
    let starts: Vec<(u32, usize)> = numbers
        .chunks_exact(2)
        .filter_map(|pair| Some((u32::try_from(pair[0]).ok()?, first.checked_add(pair[1])?)))
        .filter(|(_, start)| *start < data.len())
        .collect();
    let mut bounds: Vec<usize> = starts.iter().map(|(_, start)| *start).collect();
    bounds.sort_unstable();
    starts
        .into_iter()
        .map(|(num, start)| {
            let next = bounds.partition_point(|b| *b <= start);
            (num, start, bounds.get(next).copied().unwrap_or(data.len()))
        })
        .collect()
}

fn count_from_tree(objs: &Objects) -> Option<usize> {
    let pdf = objs.pdf;
    let root_at = find_all(pdf, b"/Root").last()?;
    let Value::Ref(root) = value(pdf, root_at + 5) else { return None };
    let catalog = dictionary(objs.get(root)?, 0)?;
    let Value::Ref(tree) = lookup(catalog, b"Pages") else { return None };
    let pages = dictionary(objs.get(tree)?, 0)?;
    match lookup(pages, b"Count") {
        Value::Int(n) => Some(n as usize),
        Value::Ref(r) => match value(objs.get(r)?, 0) {
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
    let objs = Objects::read(pdf)?;
    let count = count_from_tree(&objs).filter(|n| *n > 0).unwrap_or_else(|| {
        objs.all().filter_map(|text| dictionary(text, 0)).filter(|d| lookup(d, b"Type") == Value::Name(b"Page")).count()
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
mod tests;
