//! The shipped list of common and breached passwords (`data/common-passwords.txt`, see
//! `data/README.md`): sorted, lower-case, one a line, searched by bisection in the embedded
//! text itself, so it costs no memory beyond the binary.

const LIST: &str = include_str!("../../../data/common-passwords.txt");

/// Whether the password (compared case-insensitively) is on the list.
pub fn is_common(password: &str) -> bool {
    let needle = password.to_lowercase();
    let bytes = LIST.as_bytes();
    // `lo` and `hi` are always at the start of a line (or the end of the text).
    let (mut lo, mut hi) = (0usize, bytes.len());
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        let start = bytes[..mid].iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1).max(lo);
        let end = bytes[start..].iter().position(|&b| b == b'\n').map_or(bytes.len(), |p| start + p);
        match LIST[start..end].cmp(needle.as_str()) {
            std::cmp::Ordering::Equal => return true,
            std::cmp::Ordering::Less => lo = end + 1,
            std::cmp::Ordering::Greater => hi = start,
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_is_sorted_and_without_duplicates() {
        let lines: Vec<&str> = LIST.lines().collect();
        assert!(lines.len() > 90_000, "{} lines", lines.len());
        assert!(lines.windows(2).all(|w| w[0] < w[1]), "sorted, no duplicates");
        assert!(lines.iter().all(|l| l.chars().count() >= 8 && *l == l.to_lowercase()));
    }

    #[test]
    fn every_listed_password_is_found_and_others_are_not() {
        for line in LIST.lines().step_by(97) {
            assert!(is_common(line), "{line}");
            assert!(is_common(&line.to_uppercase()), "{line} in capitals");
        }
        let first = LIST.lines().next().expect("a first line");
        let last = LIST.lines().last().expect("a last line");
        assert!(is_common(first) && is_common(last));
        assert!(is_common("Password1") || is_common("password"));
        assert!(is_common("qwertyuiop"));
        assert!(is_common("PasswordPassword"));
        for fresh in ["violet kettle under a quiet bridge", "zq-9!unlikely-2077-ferns", "", "~~~~~~~~~~~~~~~~~~~~~~~~"]
        {
            assert!(!is_common(fresh), "{fresh}");
        }
    }
}
