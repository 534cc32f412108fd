//! Diagnostics: errors and warnings, accumulated and attached to typed attribute paths.

use std::fmt;

/// One step of an attribute path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PathStep {
    /// An attribute or nested attribute by name.
    Attribute(String),
    /// A list element by position.
    Index(u32),
    /// A map element by key.
    Key(String),
}

/// Where in a resource's configuration a diagnostic points: `scopes[1]` is
/// `[Attribute("scopes"), Index(1)]`, `labels.team` is `[Attribute("labels"), Attribute("team")]`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AttributePath(pub Vec<PathStep>);

impl AttributePath {
    /// The path of a top-level attribute.
    pub fn root(name: impl Into<String>) -> AttributePath {
        AttributePath(vec![PathStep::Attribute(name.into())])
    }

    /// The path extended by a list index.
    pub fn index(mut self, position: u32) -> AttributePath {
        self.0.push(PathStep::Index(position));
        self
    }

    /// The path extended by a map key.
    pub fn key(mut self, key: impl Into<String>) -> AttributePath {
        self.0.push(PathStep::Key(key.into()));
        self
    }

    /// Reads the text form `a.b[0]["k"]`: names after dots, numbers in brackets as
    /// indexes, anything else in brackets as keys.
    pub fn parse(text: &str) -> AttributePath {
        let mut steps = Vec::new();
        let mut rest = text;
        while !rest.is_empty() {
            if let Some(inner) = rest.strip_prefix('[') {
                let (step, after) = match inner.strip_prefix('"') {
                    Some(quoted) => {
                        let end = quoted.find("\"]").unwrap_or(quoted.len());
                        let after = quoted.get(end + 2..).unwrap_or("");
                        (PathStep::Key(quoted[..end].to_owned()), after)
                    }
                    None => {
                        let end = inner.find(']').unwrap_or(inner.len());
                        let after = inner.get(end + 1..).unwrap_or("");
                        let step = match inner[..end].parse::<u32>() {
                            Ok(position) => PathStep::Index(position),
                            Err(_) => PathStep::Key(inner[..end].to_owned()),
                        };
                        (step, after)
                    }
                };
                steps.push(step);
                rest = after;
            } else {
                let name = rest.strip_prefix('.').unwrap_or(rest);
                let end = name.find(['.', '[']).unwrap_or(name.len());
                if end > 0 {
                    steps.push(PathStep::Attribute(name[..end].to_owned()));
                }
                rest = &name[end..];
                if end == 0 && rest.starts_with('.') {
                    rest = &rest[1..];
                }
            }
        }
        AttributePath(steps)
    }
}

impl fmt::Display for AttributePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (position, step) in self.0.iter().enumerate() {
            match step {
                PathStep::Attribute(name) if position == 0 => write!(f, "{name}")?,
                PathStep::Attribute(name) => write!(f, ".{name}")?,
                PathStep::Index(index) => write!(f, "[{index}]")?,
                PathStep::Key(key) => write!(f, "[{key:?}]")?,
            }
        }
        Ok(())
    }
}

impl From<&str> for AttributePath {
    fn from(text: &str) -> AttributePath {
        AttributePath::parse(text)
    }
}

impl From<String> for AttributePath {
    fn from(text: String) -> AttributePath {
        AttributePath::parse(&text)
    }
}

/// How serious a diagnostic is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    /// The operation failed.
    Error,
    /// The operation succeeded, but the user should know.
    Warning,
}

/// One problem or warning.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// A one-line summary.
    pub summary: String,
    /// Details and a hint how to fix it (may be empty).
    pub detail: String,
    /// The attribute path it concerns.
    pub attribute: Option<AttributePath>,
}

impl Diagnostic {
    /// An error.
    pub fn error(summary: impl Into<String>, detail: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            summary: summary.into(),
            detail: detail.into(),
            attribute: None,
        }
    }

    /// A warning.
    pub fn warning(summary: impl Into<String>, detail: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            summary: summary.into(),
            detail: detail.into(),
            attribute: None,
        }
    }

    /// The same diagnostic, attached to an attribute path.
    pub fn at(mut self, attribute: impl Into<AttributePath>) -> Self {
        self.attribute = Some(attribute.into());
        self
    }

    /// Whether this is an error.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// Whether any diagnostic is an error.
pub fn has_errors(diagnostics: &[Diagnostic]) -> bool {
    diagnostics.iter().any(Diagnostic::is_error)
}
