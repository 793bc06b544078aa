//! Passwords as NIST SP 800-63B rev. 4 asks: lengths counted in Unicode code points (at least
//! 15 when the password is the only factor, 8 with a second factor; up to 1,024 accepted and
//! never truncated), no composition rules, refused when on the shipped list of common and
//! breached passwords or trivially guessable, with strength feedback from zxcvbn; hashed with
//! Argon2id at OWASP's parameters off the async runtime.

mod breached;
mod hasher;

pub use breached::is_common;
pub use hasher::{Hasher, M_COST_KIB, P_COST, T_COST, needs_rehash};
use zxcvbn::feedback::{Suggestion, Warning};

/// Shortest password allowed as the only factor.
pub const MIN_SINGLE_FACTOR: usize = 15;
/// Shortest password allowed on an account with a second factor.
pub const MIN_WITH_SECOND_FACTOR: usize = 8;
/// Longest password accepted (far above NIST's 64; Argon2 reads it all).
pub const MAX_CHARS: usize = 1024;
/// zxcvbn only looks at this many characters for its estimate (its matching grows fast with
/// length); the password itself is never shortened.
const ESTIMATE_CHARS: usize = 128;

/// Why a password is refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Problem {
    Empty,
    TooShort {
        min: usize,
    },
    TooLong,
    /// On the list of common and breached passwords.
    Common,
    /// The email address, the name, or a part of them.
    Personal,
    /// zxcvbn finds it in fewer than a million guesses (repeats, sequences, keyboard rows, …).
    Guessable,
}

impl Problem {
    /// The Fluent id of the message explaining it (with `$min` for `TooShort`).
    pub fn message_id(&self) -> &'static str {
        match self {
            Problem::Empty => "acc-error-password-empty",
            Problem::TooShort { .. } => "acc-error-password-short",
            Problem::TooLong => "acc-error-password-long",
            Problem::Common => "acc-error-password-common",
            Problem::Personal => "acc-error-password-personal",
            Problem::Guessable => "acc-error-password-guessable",
        }
    }

    /// The same in English, for service errors.
    pub fn english(&self) -> String {
        match self {
            Problem::Empty => "enter a password".into(),
            Problem::TooShort { min } => format!("use at least {min} characters"),
            Problem::TooLong => format!("use at most {MAX_CHARS} characters"),
            Problem::Common => "this password is too common: it appears in lists of leaked passwords".into(),
            Problem::Personal => "do not use your email address or name as your password".into(),
            Problem::Guessable => "this password is too easy to guess: use a few unrelated words".into(),
        }
    }
}

/// zxcvbn's estimate: a score of 0 (guessed in 10^3 tries) to 4 (more than 10^10), what is
/// wrong and what would help.
#[derive(Clone, Debug)]
pub struct Strength {
    pub score: u8,
    pub warning: Option<Warning>,
    pub suggestions: Vec<Suggestion>,
}

/// zxcvbn's estimate of a password, given what the person told us about themselves.
pub fn strength(password: &str, personal: &[&str]) -> Strength {
    let sample: String = password.chars().take(ESTIMATE_CHARS).collect();
    let entropy = zxcvbn::zxcvbn(&sample, personal);
    let (warning, suggestions) = match entropy.feedback() {
        Some(f) => (f.warning(), f.suggestions().to_vec()),
        None => (None, Vec::new()),
    };
    Strength { score: u8::from(entropy.score()), warning, suggestions }
}

/// Check a new password; `min` is [`MIN_SINGLE_FACTOR`] or [`MIN_WITH_SECOND_FACTOR`];
/// `personal` are the email address and name, which it must not be.
pub fn check(password: &str, min: usize, personal: &[&str]) -> Result<Strength, Problem> {
    let chars = password.chars().count();
    if chars == 0 {
        return Err(Problem::Empty);
    }
    if chars < min {
        return Err(Problem::TooShort { min });
    }
    if chars > MAX_CHARS {
        return Err(Problem::TooLong);
    }
    if is_common(password) {
        return Err(Problem::Common);
    }
    let lower = password.to_lowercase();
    let personal_hit = personal.iter().filter(|p| !p.trim().is_empty()).any(|p| {
        let p = p.trim().to_lowercase();
        let local = p.split('@').next().unwrap_or_default().to_string();
        lower == p || (local.chars().count() >= 4 && lower == local)
    });
    if personal_hit {
        return Err(Problem::Personal);
    }
    let strength = strength(password, personal);
    if strength.score < 2 {
        return Err(Problem::Guessable);
    }
    Ok(strength)
}

/// The Fluent id of a zxcvbn warning.
pub fn warning_id(w: Warning) -> &'static str {
    match w {
        Warning::StraightRowsOfKeysAreEasyToGuess => "acc-zxcvbn-w-straight-rows",
        Warning::ShortKeyboardPatternsAreEasyToGuess => "acc-zxcvbn-w-short-keyboard",
        Warning::RepeatsLikeAaaAreEasyToGuess => "acc-zxcvbn-w-repeats-aaa",
        Warning::RepeatsLikeAbcAbcAreOnlySlightlyHarderToGuess => "acc-zxcvbn-w-repeats-abcabc",
        Warning::ThisIsATop10Password => "acc-zxcvbn-w-top10",
        Warning::ThisIsATop100Password => "acc-zxcvbn-w-top100",
        Warning::ThisIsACommonPassword => "acc-zxcvbn-w-common",
        Warning::ThisIsSimilarToACommonlyUsedPassword => "acc-zxcvbn-w-similar",
        Warning::SequencesLikeAbcAreEasyToGuess => "acc-zxcvbn-w-sequences",
        Warning::RecentYearsAreEasyToGuess => "acc-zxcvbn-w-recent-years",
        Warning::AWordByItselfIsEasyToGuess => "acc-zxcvbn-w-word",
        Warning::DatesAreOftenEasyToGuess => "acc-zxcvbn-w-dates",
        Warning::NamesAndSurnamesByThemselvesAreEasyToGuess => "acc-zxcvbn-w-names",
        Warning::CommonNamesAndSurnamesAreEasyToGuess => "acc-zxcvbn-w-common-names",
    }
}

/// The Fluent id of a zxcvbn suggestion.
pub fn suggestion_id(s: Suggestion) -> &'static str {
    match s {
        Suggestion::UseAFewWordsAvoidCommonPhrases => "acc-zxcvbn-s-few-words",
        Suggestion::NoNeedForSymbolsDigitsOrUppercaseLetters => "acc-zxcvbn-s-no-symbols-needed",
        Suggestion::AddAnotherWordOrTwo => "acc-zxcvbn-s-another-word",
        Suggestion::CapitalizationDoesntHelpVeryMuch => "acc-zxcvbn-s-capitalization",
        Suggestion::AllUppercaseIsAlmostAsEasyToGuessAsAllLowercase => "acc-zxcvbn-s-all-uppercase",
        Suggestion::ReversedWordsArentMuchHarderToGuess => "acc-zxcvbn-s-reversed",
        Suggestion::PredictableSubstitutionsDontHelpVeryMuch => "acc-zxcvbn-s-substitutions",
        Suggestion::UseALongerKeyboardPatternWithMoreTurns => "acc-zxcvbn-s-keyboard-turns",
        Suggestion::AvoidRepeatedWordsAndCharacters => "acc-zxcvbn-s-repeats",
        Suggestion::AvoidSequences => "acc-zxcvbn-s-sequences",
        Suggestion::AvoidRecentYears => "acc-zxcvbn-s-recent-years",
        Suggestion::AvoidYearsThatAreAssociatedWithYou => "acc-zxcvbn-s-your-years",
        Suggestion::AvoidDatesAndYearsThatAreAssociatedWithYou => "acc-zxcvbn-s-your-dates",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD_LONG: &str = "violet kettle under a bridge";

    #[test]
    fn lengths_count_code_points_and_depend_on_the_second_factor() {
        assert_eq!(check("", MIN_SINGLE_FACTOR, &[]).err(), Some(Problem::Empty));
        assert_eq!(check("kettle-bridge7", MIN_SINGLE_FACTOR, &[]).err(), Some(Problem::TooShort { min: 15 }));
        assert!(check("kettle-bridge7", MIN_WITH_SECOND_FACTOR, &[]).is_ok());
        // 15 code points of 2 bytes each: long enough, whatever the bytes.
        let accents = "éàüöçñøåæœßðþłž";
        assert_eq!(accents.chars().count(), 15);
        assert!(check(accents, MIN_SINGLE_FACTOR, &[]).is_ok());
        assert_eq!(check(&accents[..28], MIN_SINGLE_FACTOR, &[]).err(), Some(Problem::TooShort { min: 15 }));
        assert!(check(GOOD_LONG, MIN_SINGLE_FACTOR, &[]).is_ok());
    }

    #[test]
    fn long_passwords_are_accepted_up_to_the_limit() {
        let sixty_four: String = "river otter maple lantern ".repeat(3).chars().take(64).collect();
        assert!(check(&sixty_four, MIN_SINGLE_FACTOR, &[]).is_ok());
        let long: String = (0..MAX_CHARS).map(|i| char::from(b'a' + ((i * 7 + i / 26) % 26) as u8)).collect();
        assert!(check(&long, MIN_SINGLE_FACTOR, &[]).is_ok(), "1,024 characters are accepted");
        let longer = format!("{long}x");
        assert_eq!(check(&longer, MIN_SINGLE_FACTOR, &[]).err(), Some(Problem::TooLong));
    }

    #[test]
    fn common_personal_and_guessable_passwords_are_refused() {
        assert_eq!(check("passwordpassword", MIN_SINGLE_FACTOR, &[]).err(), Some(Problem::Common));
        assert_eq!(check("PASSWORDPASSWORD", MIN_SINGLE_FACTOR, &[]).err(), Some(Problem::Common));
        assert_eq!(check("qwertyuiop", MIN_WITH_SECOND_FACTOR, &[]).err(), Some(Problem::Common));
        assert_eq!(
            check("marie.curie.physics@example.org", MIN_SINGLE_FACTOR, &["marie.curie.physics@example.org"]).err(),
            Some(Problem::Personal)
        );
        assert_eq!(
            check("marie.curie.physics", MIN_SINGLE_FACTOR, &["marie.curie.physics@example.org"]).err(),
            Some(Problem::Personal)
        );
        assert_eq!(check("gggggggggggggggggggg", MIN_SINGLE_FACTOR, &[]).err(), Some(Problem::Guessable));
        assert_eq!(check("abcdefghijklmnopqrst", MIN_SINGLE_FACTOR, &[]).err(), Some(Problem::Guessable));
    }

    #[test]
    fn feedback_names_what_is_wrong() {
        let weak = strength("gggggggggggggggggggg", &[]);
        assert!(weak.score < 2);
        assert_eq!(weak.warning, Some(Warning::RepeatsLikeAaaAreEasyToGuess));
        assert!(!weak.suggestions.is_empty());
        assert!(warning_id(Warning::ThisIsACommonPassword).starts_with("acc-zxcvbn-w-"));
        assert_eq!(strength(GOOD_LONG, &[]).score, 4);
    }
}
