//! The IUN (Identificativo Univoco della Notifica) exactly as SEND's `IunGenerator` makes it:
//! `XXXX-XXXX-XXXX-YYYYMM-C-1`, three groups of four letters drawn from 20 unambiguous letters
//! (no two equal neighbours, none of the pairs UV VU HN NH LJ), the UTC year and month of
//! creation, a check letter and the constant `1`; and the notification request id, which is the
//! IUN in base64.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use publica_kernel::db::Timestamp;

/// The letters an IUN is made of (no B C F I O S).
pub const IUN_CHARS: [u8; 20] = *b"ADEGHJKLMNPQRTUVWXYZ";
const INVALID_PAIRS: [&[u8; 2]; 5] = [b"UV", b"VU", b"HN", b"NH", b"LJ"];

/// A new IUN for a notification created at `at` (its month is taken in UTC).
pub fn generate(at: Timestamp) -> String {
    let random = random_groups();
    let month = format!("{:04}{:02}", at.inner().year(), u8::from(at.inner().month()));
    let check = check_char(&random, &month);
    format!("{random}-{month}-{check}-1")
}

/// Three groups of four letters separated by `-`, as `generateRandomString(4, 3, '-')`.
fn random_groups() -> String {
    let mut out: Vec<u8> = Vec::with_capacity(14);
    for group in 0..3 {
        if group > 0 {
            out.push(b'-');
        }
        let mut drawn = 0;
        while drawn < 4 {
            let c = IUN_CHARS[usize::from(random_byte_below(IUN_CHARS.len() as u8))];
            if let Some(&prev) = out.last()
                && (prev == c || INVALID_PAIRS.iter().any(|p| p[0] == prev && p[1] == c))
            {
                continue;
            }
            out.push(c);
            drawn += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A uniform random number below `n`, by rejection.
fn random_byte_below(n: u8) -> u8 {
    let limit = u8::MAX - (u8::MAX % n);
    loop {
        let [b] = publica_kernel::crypto::random_bytes::<1>();
        if b < limit {
            return b % n;
        }
    }
}

/// SEND's check letter: the 1-based positions of the random letters in [`IUN_CHARS`] (the
/// separators count 0) plus the digits of the month, modulo 20.
pub fn check_char(random: &str, month: &str) -> char {
    let letters: usize = random.bytes().map(|c| IUN_CHARS.iter().position(|x| *x == c).map_or(0, |p| p + 1)).sum();
    let digits: usize = month.bytes().filter(u8::is_ascii_digit).map(|d| usize::from(d - b'0')).sum();
    char::from(IUN_CHARS[(letters + digits) % IUN_CHARS.len()])
}

/// Whether `iun` has the IUN shape (`^[A-Z]{4}-[A-Z]{4}-[A-Z]{4}-[0-9]{6}-[A-Z]{1}-[0-9]{1}$`).
pub fn is_well_formed(iun: &str) -> bool {
    let b = iun.as_bytes();
    if b.len() != 25 {
        return false;
    }
    let upper = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_uppercase);
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    upper(0..4)
        && b[4] == b'-'
        && upper(5..9)
        && b[9] == b'-'
        && upper(10..14)
        && b[14] == b'-'
        && digits(15..21)
        && b[21] == b'-'
        && upper(22..23)
        && b[23] == b'-'
        && digits(24..25)
}

/// Whether `iun` is well formed and its check letter is right.
pub fn is_valid(iun: &str) -> bool {
    is_well_formed(iun) && check_char(&iun[..14], &iun[15..21]) == char::from(iun.as_bytes()[22])
}

/// The notification request id SEND returns on submission: base64 of the IUN (36 characters).
pub fn request_id(iun: &str) -> String {
    STANDARD.encode(iun.as_bytes())
}

/// The IUN inside a notification request id, if it is one.
pub fn iun_of_request_id(request_id: &str) -> Option<String> {
    let bytes = STANDARD.decode(request_id.trim()).ok()?;
    let iun = String::from_utf8(bytes).ok()?;
    is_well_formed(&iun).then_some(iun)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_iuns_have_the_right_check_letter() {
        for iun in ["DPDA-LVZM-JREL-202501-N-1", "UJRX-APEQ-UEYZ-202606-R-1", "NMDX-NVHP-UEZE-202606-Y-1"] {
            assert!(is_valid(iun), "{iun}");
        }
        assert!(!is_valid("ABCD-ABCD-ABCD-202212-V-1"), "SEND's placeholder does not check");
        assert!(!is_valid("DPDA-LVZM-JREL-202501-M-1"));
    }

    #[test]
    fn generated_iuns_are_valid_and_dated() {
        let at = Timestamp::parse("2025-01-08T14:07:18Z").expect("time");
        for _ in 0..200 {
            let iun = generate(at);
            assert!(is_valid(&iun), "{iun}");
            assert_eq!(&iun[15..21], "202501");
            assert!(iun.ends_with("-1"));
            let letters: Vec<u8> = iun[..14].bytes().collect();
            for w in letters.windows(2) {
                assert_ne!(w[0], w[1], "{iun}");
                assert!(!INVALID_PAIRS.iter().any(|p| p[0] == w[0] && p[1] == w[1]), "{iun}");
            }
        }
    }

    #[test]
    fn the_request_id_is_the_iun_in_base64() {
        assert_eq!(request_id("DPDA-LVZM-JREL-202501-N-1"), "RFBEQS1MVlpNLUpSRUwtMjAyNTAxLU4tMQ==");
        assert_eq!(
            iun_of_request_id("RFBEQS1MVlpNLUpSRUwtMjAyNTAxLU4tMQ==").as_deref(),
            Some("DPDA-LVZM-JREL-202501-N-1")
        );
        assert_eq!(iun_of_request_id("bm90LWFuLWl1bg=="), None);
    }
}
