//! Tests of the page count: PDFs written by hand, compressed ones built here with object and
//! cross-reference streams, broken and oversized streams, and files written by other tools.

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

fn zlib(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(data).expect("deflate");
    encoder.finish().expect("deflate")
}

/// Object `num`: a stream with its dictionary's other entries and its (already encoded) data.
fn stream_object(num: u32, entries: &str, data: &[u8]) -> Vec<u8> {
    let mut out = format!("{num} 0 obj\n<< {entries} /Length {} >>\nstream\n", data.len()).into_bytes();
    out.extend_from_slice(data);
    out.extend_from_slice(b"\nendstream\nendobj\n");
    out
}

/// The decoded data of an object stream holding `members` (number, text), and its `/First`.
fn object_stream_data(members: &[(u32, &str)]) -> (Vec<u8>, usize) {
    let (mut header, mut body) = (String::new(), String::new());
    for (num, text) in members {
        header.push_str(&format!("{num} {} ", body.len()));
        body.push_str(text);
        body.push('\n');
    }
    (format!("{header}{body}").into_bytes(), header.len())
}

/// A PDF 1.5 file as current tools write it: every object but two in a compressed object
/// stream, and a compressed cross-reference stream (fields 1, 4 and 2 bytes wide) in place of
/// the `xref` table and `trailer`.
fn compressed(members: &[(u32, &str)]) -> Vec<u8> {
    let stream = members.iter().map(|(n, _)| *n).max().unwrap_or(0) + 1;
    let xref = stream + 1;
    let mut pdf = b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let stream_at = pdf.len();
    let (data, first) = object_stream_data(members);
    let entries = format!("/Type /ObjStm /N {} /First {first} /Filter /FlateDecode", members.len());
    pdf.extend(stream_object(stream, &entries, &zlib(&data)));
    let xref_at = pdf.len();
    let mut rows = vec![0u8; 7 * (xref as usize + 1)];
    let mut row = |num: u32, kind: u8, field: u32, index: u16| {
        let at = 7 * num as usize;
        rows[at] = kind;
        rows[at + 1..at + 5].copy_from_slice(&field.to_be_bytes());
        rows[at + 5..at + 7].copy_from_slice(&index.to_be_bytes());
    };
    row(0, 0, 0, 65535);
    for (i, (num, _)) in members.iter().enumerate() {
        row(*num, 2, stream, i as u16);
    }
    row(stream, 1, stream_at as u32, 0);
    row(xref, 1, xref_at as u32, 0);
    let entries = format!("/Type /XRef /Size {} /W [1 4 2] /Root 1 0 R /Filter [/FlateDecode]", xref + 1);
    pdf.extend(stream_object(xref, &entries, &zlib(&rows)));
    pdf.extend(format!("startxref\n{xref_at}\n%%EOF\n").into_bytes());
    pdf
}

const CATALOG: (u32, &str) = (1, "<< /Type /Catalog /Pages 2 0 R >>");
const PAGE_3: (u32, &str) = (3, "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>");
const PAGE_4: (u32, &str) = (4, "<</Type/Page/Parent 2 0 R>>");
/// A page no tree refers to (left over from an edit): only the fallback counts it.
const ORPHAN: (u32, &str) = (5, "<< /Type /Page >>");

#[test]
fn counts_pages_whose_tree_is_in_compressed_object_streams() {
    let tree = (2, "<< /Type /Pages /Kids [3 0 R 4 0 R] /Count 2 >>");
    let pdf = compressed(&[CATALOG, tree, PAGE_3, PAGE_4, ORPHAN]);
    assert!(!pdf.windows(5).any(|w| w == b"/Page"), "no page object is in plain text");
    assert_eq!(page_count(&pdf), Ok(2), "the tree's count, not the three page objects");

    let indirect = (2, "<< /Type /Pages /Kids [3 0 R 4 0 R] /Count 6 0 R >>");
    assert_eq!(page_count(&compressed(&[CATALOG, indirect, PAGE_3, PAGE_4, ORPHAN, (6, "2")])), Ok(2));

    // No count in the tree: the page objects inside the stream are counted instead.
    let uncounted = (2, "<< /Type /Pages /Kids [3 0 R 4 0 R] >>");
    assert_eq!(page_count(&compressed(&[CATALOG, uncounted, PAGE_3, PAGE_4, ORPHAN])), Ok(3));
}

#[test]
fn the_latest_definition_wins_across_plain_objects_and_object_streams() {
    let tree = (2, "<< /Type /Pages /Kids [3 0 R 4 0 R] /Count 2 >>");
    let mut pdf = compressed(&[CATALOG, tree, PAGE_3, PAGE_4]);
    pdf.extend_from_slice(b"2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n");
    pdf.extend_from_slice(b"trailer\n<< /Root 1 0 R >>\n%%EOF\n");
    assert_eq!(page_count(&pdf), Ok(1), "an update in plain text after the object stream");

    let mut pdf = sample("/Count 3");
    let (data, first) = object_stream_data(&[(2, "<< /Type /Pages /Kids [4 0 R] /Count 1 >>")]);
    pdf.extend(stream_object(20, &format!("/Type /ObjStm /N 1 /First {first} /Filter /FlateDecode"), &zlib(&data)));
    pdf.extend_from_slice(b"trailer\n<< /Root 1 0 R >>\n%%EOF\n");
    assert_eq!(page_count(&pdf), Ok(1), "an update in an object stream after the plain object");
}

#[test]
fn object_streams_that_cannot_be_read_are_left_aside() {
    let tree = (2, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>");
    let (data, first) = object_stream_data(&[CATALOG, tree, PAGE_3]);
    let head = b"%PDF-1.5\n".to_vec();
    let stream = |entries: &str, bytes: &[u8]| {
        let mut pdf = head.clone();
        pdf.extend(stream_object(9, &format!("/Type /ObjStm /N 3 /First {first} {entries}"), bytes));
        pdf.extend_from_slice(b"trailer\n<< /Root 1 0 R >>\n%%EOF\n");
        pdf
    };
    assert_eq!(page_count(&stream("", &data)), Ok(1), "an object stream without a filter");
    let mut cut = zlib(&data);
    cut.truncate(cut.len() - 4);
    assert_eq!(page_count(&stream("/Filter /FlateDecode", &cut)), Ok(1), "a stream cut short keeps its start");
    assert_eq!(page_count(&stream("/Filter /FlateDecode", b"not zlib at all")), Err(PdfError::NoPages));
    assert_eq!(page_count(&stream("/Filter /LZWDecode", &data)), Err(PdfError::NoPages));
    let predicted = "/Filter /FlateDecode /DecodeParms << /Predictor 12 /Columns 4 >>";
    assert_eq!(page_count(&stream(predicted, &zlib(&data))), Err(PdfError::NoPages));
    // A wrong `/Length` is read up to `endstream` instead.
    let mut wrong = stream("/Filter /FlateDecode", &zlib(&data));
    let at = wrong.windows(7).position(|w| w == b"/Length").expect("length") + 8;
    wrong[at] = b'9';
    wrong.splice(at + 1..at + 1, *b"999");
    assert_eq!(page_count(&wrong), Ok(1));
    // Offsets past the end of the stream name nothing.
    assert_eq!(members(b"1 0 2 99 <<>>", 2, 9), vec![(1, 9, 13)]);
}

#[test]
fn compression_bombs_are_refused() {
    let bomb = zlib(&vec![b' '; 30 * 1024 * 1024]);
    assert!(bomb.len() < 100 * 1024, "{} bytes", bomb.len());
    let mut pdf = b"%PDF-1.5\n".to_vec();
    pdf.extend(stream_object(1, "/Type /ObjStm /N 1 /First 4 /Filter /FlateDecode", &bomb));
    assert_eq!(page_count(&pdf), Err(PdfError::NoPages), "30 MB is within the cap");
    pdf.extend(stream_object(2, "/Type /ObjStm /N 1 /First 4 /Filter /FlateDecode", &bomb));
    assert_eq!(page_count(&pdf), Err(PdfError::TooLarge), "60 MB in all is not");
    assert_eq!(PdfError::TooLarge.to_string(), "The letter's compressed object streams expand to more than 50 MB");
    assert_eq!(pdf_page_count(&pdf), None);
}

/// PDFs written by other tools, where this machine has them (and more listed in
/// `PUBLICA_TEST_PDFS`): the count is the one poppler's `pdfinfo` gives.
#[test]
fn counts_as_pdfinfo_does_on_pdfs_written_by_other_tools() {
    // pdfTeX's output: page tree in object streams, a cross-reference stream.
    let mut paths = vec![std::path::PathBuf::from("/usr/share/doc/shared-mime-info/shared-mime-info-spec.pdf")];
    if let Some(more) = std::env::var_os("PUBLICA_TEST_PDFS") {
        paths.extend(std::env::split_paths(&more));
    }
    for path in paths.iter().filter(|p| p.is_file()) {
        let Ok(info) = std::process::Command::new("pdfinfo").arg(path).output() else {
            eprintln!("pdfinfo is not installed: PDFs from other tools not checked");
            return;
        };
        let info = String::from_utf8_lossy(&info.stdout);
        let Some(pages) = info.lines().find_map(|l| l.strip_prefix("Pages:")?.trim().parse().ok()) else {
            continue;
        };
        let pdf = std::fs::read(path).expect("read");
        assert_eq!(page_count(&pdf), Ok(pages), "{}", path.display());
        eprintln!("{}: {pages} pages, as pdfinfo says", path.display());
    }
}
