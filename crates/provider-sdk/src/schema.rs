//! Resource schemas: attribute tables, their JSON rendering, and the checks every
//! configuration gets from its schema alone (names, required, types, read-only).

use serde_json::{Map, Value, json};

use crate::diagnostics::Diagnostic;
use crate::value::{Attrs, is_unknown, kind_of};

/// The type of an attribute.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AttrType {
    /// A string.
    String,
    /// A number.
    Number,
    /// A list of strings.
    ListOfString,
    /// A map of strings.
    MapOfString,
    /// A boolean.
    Bool,
    /// Nested blocks (`name { … }`, repeated), kept as a list of objects as Terraform's
    /// SDK keeps them, so `name[0].attr` reads the first block's attribute.
    Blocks {
        /// The attributes of one block.
        attributes: &'static [Attribute],
        /// The most blocks allowed; 0 for no limit.
        max_items: u32,
    },
}

impl AttrType {
    /// The type in the schema JSON, in Terraform's type syntax; a block's attributes that
    /// are not required are `optional(…)`.
    pub fn name(self) -> String {
        match self {
            AttrType::String => "string".into(),
            AttrType::Number => "number".into(),
            AttrType::ListOfString => "list(string)".into(),
            AttrType::MapOfString => "map(string)".into(),
            AttrType::Bool => "bool".into(),
            AttrType::Blocks { attributes, .. } => {
                let fields: Vec<String> = attributes
                    .iter()
                    .map(|attribute| {
                        let ty = attribute.ty.name();
                        if attribute.required {
                            format!("{} = {ty}", attribute.name)
                        } else {
                            format!("{} = optional({ty})", attribute.name)
                        }
                    })
                    .collect();
                format!("list(object({{{}}}))", fields.join(", "))
            }
        }
    }
}

/// When a configured value counts as equal to the prior one (pure normalisation, not drift).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Equivalence {
    /// Only when equal.
    Exact,
    /// `null` equals `""` / `{}`.
    EmptyIsNull,
    /// Lists equal as sets (order and duplicates ignored).
    Set,
    /// RFC3339 strings naming the same instant.
    Instant,
}

/// One attribute of a resource.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Attribute {
    /// The snake_case name.
    pub name: &'static str,
    /// The type.
    pub ty: AttrType,
    /// Must be set in the configuration.
    pub required: bool,
    /// May be set in the configuration.
    pub optional: bool,
    /// Set by the provider when not configured.
    pub computed: bool,
    /// Never shown in plans and logs.
    pub sensitive: bool,
    /// A change replaces the object.
    pub force_new: bool,
    /// When a change is only normalisation.
    pub equivalence: Equivalence,
    /// What it means.
    pub description: &'static str,
}

/// A base for attribute tables: an optional string.
pub const OPTIONAL_STRING: Attribute = Attribute {
    name: "",
    ty: AttrType::String,
    required: false,
    optional: true,
    computed: false,
    sensitive: false,
    force_new: false,
    equivalence: Equivalence::Exact,
    description: "",
};

impl Attribute {
    /// Whether only the provider sets it.
    pub fn is_read_only(&self) -> bool {
        self.computed && !self.optional && !self.required
    }

    /// The attribute as JSON, in the shape `lifecycle.schema` documents.
    pub fn to_json(self) -> Value {
        let mut map = Map::new();
        map.insert("type".into(), json!(self.ty.name()));
        if let AttrType::Blocks {
            attributes,
            max_items,
        } = self.ty
        {
            let nested: Map<String, Value> = attributes
                .iter()
                .map(|attribute| (attribute.name.to_owned(), attribute.to_json()))
                .collect();
            map.insert(
                "block".into(),
                json!({"max_items": max_items, "attributes": nested}),
            );
        }
        for (flag, set) in [
            ("required", self.required),
            ("optional", self.optional),
            ("computed", self.computed),
            ("sensitive", self.sensitive),
            ("force_new", self.force_new),
        ] {
            if set {
                map.insert(flag.into(), json!(true));
            }
        }
        map.insert("description".into(), json!(self.description));
        Value::Object(map)
    }
}

/// The schema of one resource type.
#[derive(Debug)]
pub struct ResourceSchema {
    /// The resource type name, e.g. `yandex_iam_service_account`.
    pub type_name: &'static str,
    /// The schema version of its state.
    pub version: u32,
    /// What it manages.
    pub description: &'static str,
    /// Its attributes.
    pub attributes: &'static [Attribute],
}

impl ResourceSchema {
    /// An attribute by name.
    pub fn attribute(&self, name: &str) -> Option<&Attribute> {
        self.attributes
            .iter()
            .find(|attribute| attribute.name == name)
    }

    /// The schema as JSON, in the shape `provider.schema` documents.
    pub fn to_json(&self) -> Value {
        let attributes: Map<String, Value> = self
            .attributes
            .iter()
            .map(|attribute| (attribute.name.to_owned(), attribute.to_json()))
            .collect();
        json!({"version": self.version, "description": self.description, "attributes": attributes})
    }

    /// A state object with every attribute present (`null` when unset).
    pub fn complete(&self, mut attrs: Attrs) -> Attrs {
        let mut complete = Attrs::new();
        for attribute in self.attributes {
            let value = attrs.remove(attribute.name).unwrap_or(Value::Null);
            complete.insert(attribute.name.to_owned(), value);
        }
        complete
    }

    /// Converts values the way Terraform does: numeric strings to numbers for number
    /// attributes, numbers and bools to strings for string attributes.
    pub fn coerce(&self, config: &Attrs) -> Attrs {
        let mut coerced = config.clone();
        for attribute in self.attributes {
            let Some(value) = coerced.get_mut(attribute.name) else {
                continue;
            };
            match (attribute.ty, &*value) {
                (AttrType::Number, Value::String(text)) => {
                    if let Ok(number) = text.trim().parse::<serde_json::Number>() {
                        *value = Value::Number(number);
                    }
                }
                (AttrType::String, Value::Number(number)) => *value = json!(number.to_string()),
                (AttrType::String, Value::Bool(flag)) => *value = json!(flag.to_string()),
                (AttrType::Bool, Value::String(text))
                    if matches!(text.as_str(), "true" | "false") =>
                {
                    *value = json!(text == "true")
                }
                _ => {}
            }
        }
        coerced
    }

    /// The checks the schema alone implies: unsupported names, read-only attributes,
    /// missing required values and wrong types. Unknown values pass.
    pub fn check_config(&self, config: &Attrs) -> Vec<Diagnostic> {
        let mut diagnostics = Vec::new();
        for name in config.keys() {
            if self.attribute(name).is_none() {
                diagnostics.push(
                    Diagnostic::error(
                        "Unsupported argument",
                        format!(
                            "An argument named \"{name}\" is not expected in {}.",
                            self.type_name
                        ),
                    )
                    .at(name.clone()),
                );
            }
        }
        for attribute in self.attributes {
            let value = config.get(attribute.name).unwrap_or(&Value::Null);
            if attribute.is_read_only() {
                if !value.is_null() {
                    diagnostics.push(
                        Diagnostic::error(
                            "Invalid configuration for read-only attribute",
                            format!(
                                "\"{}\" is set by the provider and cannot be configured.",
                                attribute.name
                            ),
                        )
                        .at(attribute.name),
                    );
                }
                continue;
            }
            if value.is_null() {
                if attribute.required {
                    diagnostics.push(
                        Diagnostic::error(
                            "Missing required argument",
                            format!(
                                "The argument \"{}\" is required, but no definition was found.",
                                attribute.name
                            ),
                        )
                        .at(attribute.name),
                    );
                }
                continue;
            }
            if let Some(problem) = type_problem(attribute, value) {
                diagnostics.push(problem);
            }
        }
        diagnostics
    }
}

fn type_problem(attribute: &Attribute, value: &Value) -> Option<Diagnostic> {
    value_problem(attribute, attribute.name.to_owned(), value)
}

/// The first problem with `value` as a value of `attribute` at `path`; unknown values pass.
fn value_problem(attribute: &Attribute, path: String, value: &Value) -> Option<Diagnostic> {
    let wrong = |path: String, found: &Value, expected: &str| {
        Some(
            Diagnostic::error(
                "Incorrect attribute value type",
                format!("\"{path}\" must be {expected}, got {}.", kind_of(found)),
            )
            .at(path),
        )
    };
    if is_unknown(value) || value.is_null() {
        return None;
    }
    match attribute.ty {
        AttrType::String if !value.is_string() => wrong(path, value, "a string"),
        AttrType::Number if !value.is_number() => wrong(path, value, "a number"),
        AttrType::Bool if !value.is_boolean() => wrong(path, value, "a bool"),
        AttrType::ListOfString => match value {
            Value::Array(items) => items.iter().enumerate().find_map(|(index, item)| {
                (!item.is_string() && !is_unknown(item))
                    .then(|| wrong(format!("{path}[{index}]"), item, "a string"))
                    .flatten()
            }),
            _ => wrong(path, value, "a list of strings"),
        },
        AttrType::MapOfString => match value {
            Value::Object(map) => map.iter().find_map(|(key, item)| {
                (!item.is_string() && !is_unknown(item))
                    .then(|| wrong(format!("{path}.{key}"), item, "a string"))
                    .flatten()
            }),
            _ => wrong(path, value, "a map of strings"),
        },
        AttrType::Blocks {
            attributes,
            max_items,
        } => {
            let Value::Array(blocks) = value else {
                return wrong(path, value, "a list of blocks");
            };
            if max_items > 0 && blocks.len() > max_items as usize {
                return Some(
                    Diagnostic::error(
                        "Too many blocks",
                        format!(
                            "At most {max_items} \"{}\" block(s) may be given; found {}.",
                            attribute.name,
                            blocks.len()
                        ),
                    )
                    .at(path),
                );
            }
            blocks.iter().enumerate().find_map(|(index, block)| {
                block_problem(attributes, format!("{path}[{index}]"), block)
            })
        }
        _ => None,
    }
}

/// The first problem with one nested block: unsupported names, missing required
/// arguments, wrong types.
fn block_problem(attributes: &[Attribute], path: String, block: &Value) -> Option<Diagnostic> {
    if is_unknown(block) {
        return None;
    }
    let Value::Object(fields) = block else {
        return Some(
            Diagnostic::error(
                "Incorrect attribute value type",
                format!("\"{path}\" must be a block, got {}.", kind_of(block)),
            )
            .at(path),
        );
    };
    if let Some(name) = fields
        .iter()
        .find(|(name, value)| {
            !value.is_null() && !attributes.iter().any(|attribute| attribute.name == *name)
        })
        .map(|(name, _)| name)
    {
        return Some(
            Diagnostic::error(
                "Unsupported argument",
                format!("An argument named \"{name}\" is not expected in \"{path}\"."),
            )
            .at(format!("{path}.{name}")),
        );
    }
    attributes.iter().find_map(|attribute| {
        let at = format!("{path}.{}", attribute.name);
        match fields.get(attribute.name).unwrap_or(&Value::Null) {
            Value::Null if attribute.required => Some(
                Diagnostic::error(
                    "Missing required argument",
                    format!(
                        "The argument \"{}\" is required in \"{path}\".",
                        attribute.name
                    ),
                )
                .at(at),
            ),
            value => value_problem(attribute, at, value),
        }
    })
}
