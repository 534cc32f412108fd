//! API key scopes: the documented list (data, `data/api-key-scopes.txt`), the cloud's
//! own list for scopes beyond it, and the closest known names for an unknown one.

use crate::iam::Iam;
use crate::platform::Platform;

const DOCUMENTED_TEXT: &str = include_str!("../data/api-key-scopes.txt");

/// The scopes Yandex Cloud documents (accepted without asking the cloud).
pub fn documented() -> impl Iterator<Item = &'static str> {
    DOCUMENTED_TEXT
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
}

/// What a check of requested scopes found.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ScopeCheck {
    /// Scopes neither documented nor in the cloud's list, each with the closest known ones.
    pub unknown: Vec<(String, Vec<String>)>,
    /// Why the cloud's list could not be read (the undocumented scopes were then let through).
    pub unavailable: Option<String>,
}

/// Checks `requested` scopes: documented ones pass at once; any other is looked up in
/// the cloud's list, which is read only then.
pub fn check<P: Platform + ?Sized>(iam: &Iam<'_, P>, requested: &[String]) -> ScopeCheck {
    let undocumented: Vec<&String> = requested
        .iter()
        .filter(|scope| !documented().any(|known| known == scope.as_str()))
        .collect();
    if undocumented.is_empty() {
        return ScopeCheck::default();
    }
    let offered = match iam.list_scopes() {
        Ok(offered) => offered,
        Err(error) => {
            return ScopeCheck {
                unknown: Vec::new(),
                unavailable: Some(error.to_string()),
            };
        }
    };
    let mut known: Vec<&str> = documented().collect();
    known.extend(offered.iter().map(String::as_str));
    let unknown = undocumented
        .into_iter()
        .filter(|scope| !known.contains(&scope.as_str()))
        .map(|scope| (scope.clone(), closest(scope, &known)))
        .collect();
    ScopeCheck {
        unknown,
        unavailable: None,
    }
}

/// The (at most three) known names nearest to `name` by edit distance, nearest first;
/// only those a few edits away.
pub fn closest(name: &str, known: &[&str]) -> Vec<String> {
    let limit = (name.chars().count() / 3).max(3);
    let mut scored: Vec<(usize, &str)> = known
        .iter()
        .map(|k| (edit_distance(name, k), *k))
        .filter(|(d, _)| *d <= limit)
        .collect();
    scored.sort();
    scored.dedup_by(|a, b| a.1 == b.1);
    scored
        .into_iter()
        .take(3)
        .map(|(_, k)| k.to_owned())
        .collect()
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_list_is_read_from_data() {
        let scopes: Vec<&str> = documented().collect();
        assert_eq!(scopes.len(), 20);
        assert!(scopes.contains(&"yc.ai.languageModels.execute"));
    }

    #[test]
    fn closest_names_are_a_few_edits_away() {
        let known: Vec<&str> = documented().collect();
        let cases = [
            (
                "yc.ai.languageModel.execute",
                vec!["yc.ai.languageModels.execute"],
            ),
            ("yc.ai.translate.exec", vec!["yc.ai.translate.execute"]),
            ("totally-unrelated", vec![]),
        ];
        for (name, want) in cases {
            assert_eq!(closest(name, &known), want, "{name}");
        }
    }
}
