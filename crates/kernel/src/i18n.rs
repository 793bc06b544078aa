//! Translations with Fluent: every user-facing string has an id, and English and French
//! messages live in `locales/{lang}/*.ftl`. The language comes from the `lang` cookie, else the
//! browser's `Accept-Language`, else English.

use std::collections::HashMap;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource};
use unic_langid::LanguageIdentifier;

/// A language Publica speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Lang {
    En,
    Fr,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Fr];

    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Fr => "fr",
        }
    }

    /// The language's own name, for the language switch.
    pub fn native_name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::Fr => "Français",
        }
    }

    pub fn parse(code: &str) -> Option<Lang> {
        let primary = code.trim().split(['-', '_']).next().unwrap_or_default().to_ascii_lowercase();
        Lang::ALL.into_iter().find(|l| l.code() == primary)
    }

    /// The best match for an `Accept-Language` header, by quality.
    pub fn from_accept_language(header: &str) -> Option<Lang> {
        let mut choices: Vec<(f32, Lang)> = header
            .split(',')
            .filter_map(|part| {
                let mut pieces = part.split(';');
                let lang = Lang::parse(pieces.next()?)?;
                let q =
                    pieces.find_map(|p| p.trim().strip_prefix("q=").and_then(|q| q.parse::<f32>().ok())).unwrap_or(1.0);
                (q > 0.0).then_some((q, lang))
            })
            .collect();
        choices.sort_by(|a, b| b.0.total_cmp(&a.0));
        choices.first().map(|c| c.1)
    }
}

const SOURCES: &[(Lang, &str)] =
    &[(Lang::En, include_str!("../locales/en/kernel.ftl")), (Lang::Fr, include_str!("../locales/fr/kernel.ftl"))];

/// The loaded message bundles.
pub struct I18n {
    bundles: HashMap<Lang, FluentBundle<FluentResource>>,
    sources: Vec<(Lang, &'static str)>,
}

impl I18n {
    /// Load the built-in messages. A syntax error in a shipped `.ftl` file is a build defect,
    /// caught by the tests, so it panics here rather than serving half-translated pages.
    pub fn load() -> I18n {
        Self::load_with(&[])
    }

    /// The kernel's messages and the blocks' own (`Block::locales`).
    pub fn load_with(extra: &[(Lang, &'static str)]) -> I18n {
        let sources: Vec<(Lang, &'static str)> = SOURCES.iter().chain(extra).copied().collect();
        let mut bundles = HashMap::new();
        for lang in Lang::ALL {
            let id: LanguageIdentifier = lang.code().parse().expect("valid language id");
            let mut bundle = FluentBundle::new_concurrent(vec![id]);
            bundle.set_use_isolating(false);
            for (_, source) in sources.iter().filter(|(l, _)| *l == lang) {
                let resource = FluentResource::try_new((*source).to_string()).expect("valid Fluent syntax");
                bundle.add_resource(resource).expect("no duplicate message ids");
            }
            bundles.insert(lang, bundle);
        }
        I18n { bundles, sources }
    }

    /// The message `id` in `lang`, falling back to English, then to the id itself.
    pub fn t(&self, lang: Lang, id: &str) -> String {
        self.format(lang, id, None)
    }

    pub fn t_args(&self, lang: Lang, id: &str, args: &[(&str, String)]) -> String {
        let mut fluent_args = FluentArgs::new();
        for (k, v) in args {
            fluent_args.set(*k, v.clone());
        }
        self.format(lang, id, Some(&fluent_args))
    }

    fn format(&self, lang: Lang, id: &str, args: Option<&FluentArgs>) -> String {
        for lang in [lang, Lang::En] {
            let Some(bundle) = self.bundles.get(&lang) else {
                continue;
            };
            if let Some(pattern) = bundle.get_message(id).and_then(|m| m.value()) {
                let mut errors = Vec::new();
                return bundle.format_pattern(pattern, args, &mut errors).into_owned();
            }
        }
        id.to_string()
    }

    /// Message ids present in one language but not the other (for the completeness test).
    pub fn missing(&self) -> Vec<String> {
        let ids = |source: &str| -> Vec<String> {
            source
                .lines()
                .filter_map(|l| l.split_once(" =").map(|(id, _)| id.trim()))
                .filter(|id| !id.is_empty() && !id.starts_with('#') && !id.starts_with(' ') && !id.starts_with('.'))
                .map(str::to_string)
                .collect()
        };
        let en: Vec<String> = self.sources.iter().filter(|(l, _)| *l == Lang::En).flat_map(|(_, s)| ids(s)).collect();
        let fr: Vec<String> = self.sources.iter().filter(|(l, _)| *l == Lang::Fr).flat_map(|(_, s)| ids(s)).collect();
        en.iter().filter(|i| !fr.contains(i)).chain(fr.iter().filter(|i| !en.contains(i))).cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_picks_the_best_supported_language() {
        assert_eq!(Lang::from_accept_language("fr-CA,fr;q=0.9,en;q=0.8"), Some(Lang::Fr));
        assert_eq!(Lang::from_accept_language("de-DE,en;q=0.5,fr;q=0.7"), Some(Lang::Fr));
        assert_eq!(Lang::from_accept_language("de"), None);
        assert_eq!(Lang::from_accept_language("fr;q=0, en"), Some(Lang::En));
    }

    #[test]
    fn every_message_exists_in_every_language() {
        let i18n = I18n::load();
        assert!(i18n.missing().is_empty(), "untranslated: {:?}", i18n.missing());
        assert_eq!(i18n.t(Lang::Fr, "nav-home"), "Accueil");
        assert_eq!(i18n.t(Lang::En, "nav-home"), "Home");
    }
}
