//! Engine diagnostics: errors and warnings with a place in the configuration.

use std::fmt;

use crate::provider::{Diagnostic, Severity};

/// A place in a configuration file (one-based line and column).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceLocation {
    /// The file name relative to the configuration directory.
    pub file: String,
    /// One-based line.
    pub line: usize,
    /// One-based column.
    pub column: usize,
    /// The text of that line, for the snippet.
    pub line_text: String,
}

impl fmt::Display for SourceLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

/// One error or warning.
#[derive(Debug, Clone, PartialEq)]
pub struct Diag {
    /// Error or warning.
    pub severity: Severity,
    /// A one-line summary.
    pub summary: String,
    /// Details and a hint how to fix it.
    pub detail: String,
    /// Where in the configuration, if known.
    pub location: Option<SourceLocation>,
    /// The resource instance or block it concerns, if any.
    pub address: Option<String>,
    /// The attribute path it concerns (`scopes[1]`, `labels.team`), from the provider.
    pub attribute: Option<String>,
}

impl Diag {
    /// An error.
    pub fn error(summary: impl Into<String>, detail: impl Into<String>) -> Diag {
        Diag {
            severity: Severity::Error,
            summary: summary.into(),
            detail: detail.into(),
            location: None,
            address: None,
            attribute: None,
        }
    }

    /// A warning.
    pub fn warning(summary: impl Into<String>, detail: impl Into<String>) -> Diag {
        Diag {
            severity: Severity::Warning,
            ..Diag::error(summary, detail)
        }
    }

    /// The same diagnostic at `location`.
    pub fn at(mut self, location: Option<SourceLocation>) -> Diag {
        if self.location.is_none() {
            self.location = location;
        }
        self
    }

    /// The same diagnostic concerning `address`.
    pub fn for_address(mut self, address: impl Into<String>) -> Diag {
        if self.address.is_none() {
            self.address = Some(address.into());
        }
        self
    }

    /// Converts a provider diagnostic about `address` (declared at `location`).
    pub fn from_provider(d: &Diagnostic, address: &str, location: Option<SourceLocation>) -> Diag {
        let mut detail = d.detail.clone();
        if let Some(attr) = &d.attribute {
            detail = if detail.is_empty() {
                format!("(attribute {attr})")
            } else {
                format!("{detail} (attribute {attr})")
            };
        }
        Diag {
            severity: d.severity,
            summary: format!("{address}: {}", d.summary),
            detail,
            location,
            address: Some(address.to_string()),
            attribute: d.attribute.clone(),
        }
    }

    /// True for errors.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Diag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = match self.severity {
            Severity::Error => "Error",
            Severity::Warning => "Warning",
        };
        write!(f, "{level}: {}", self.summary)?;
        if let Some(loc) = &self.location {
            write!(f, "\n\n  on {loc}")?;
            if let Some(addr) = &self.address {
                write!(f, ", in {addr}")?;
            }
            write!(f, ":\n  {:>3}: {}", loc.line, loc.line_text)?;
        } else if let Some(addr) = &self.address
            && !self.summary.starts_with(addr.as_str())
        {
            write!(f, "\n\n  with {addr}")?;
        }
        if !self.detail.is_empty() {
            write!(f, "\n\n{}", self.detail)?;
        }
        Ok(())
    }
}

/// An accumulated list of diagnostics.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Diagnostics(pub Vec<Diag>);

impl Diagnostics {
    /// No diagnostics.
    pub fn new() -> Self {
        Self(Vec::new())
    }

    /// Adds one.
    pub fn push(&mut self, d: Diag) {
        self.0.push(d);
    }

    /// Adds all of `other`.
    pub fn extend(&mut self, other: Diagnostics) {
        self.0.extend(other.0);
    }

    /// True when any is an error.
    pub fn has_errors(&self) -> bool {
        self.0.iter().any(Diag::is_error)
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The errors only.
    pub fn errors(&self) -> impl Iterator<Item = &Diag> {
        self.0.iter().filter(|d| d.is_error())
    }

    /// The warnings only.
    pub fn warnings(&self) -> impl Iterator<Item = &Diag> {
        self.0.iter().filter(|d| !d.is_error())
    }

    /// A single error diagnostic.
    pub fn error(summary: impl Into<String>, detail: impl Into<String>) -> Diagnostics {
        Diagnostics(vec![Diag::error(summary, detail)])
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                write!(f, "\n\n")?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostics {}

impl From<Diag> for Diagnostics {
    fn from(d: Diag) -> Self {
        Diagnostics(vec![d])
    }
}

/// The Levenshtein distance between two strings, for "did you mean" hints.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// The candidate nearest to `name`, if it is close enough to be a likely typo.
pub fn nearest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (edit_distance(name, c), c))
        .filter(|(d, c)| *d <= 3.max(c.len() / 3))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// " Did you mean \"x\"?" when there is a near candidate, else "".
pub fn did_you_mean<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    nearest(name, candidates)
        .map(|c| format!(" Did you mean \"{c}\"?"))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_name() {
        assert_eq!(nearest("nmae", ["name", "description"]), Some("name"));
        assert_eq!(
            nearest("descripton", ["name", "description"]),
            Some("description")
        );
        assert_eq!(nearest("zzzzzzzz", ["name", "id"]), None);
    }
}
