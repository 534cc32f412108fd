//! A provider of `note` resources kept in memory, driving the generic plan and apply rules.

use std::cell::RefCell;

use serde_json::{Value, json};
use ycprov_provider_sdk::rules::settle;
use ycprov_provider_sdk::{
    AttrType, Attribute, Attrs, Context, Diagnostic, Equivalence, OPTIONAL_STRING, Outcome,
    Provider, ProviderDefinition, Resource, ResourceSchema,
};

/// The notes that exist, by id.
#[derive(Default)]
struct Store {
    notes: RefCell<Vec<(String, String)>>,
}

struct Notes;

struct Note;

static SCHEMA: ResourceSchema = ResourceSchema {
    type_name: "demo_note",
    version: 0,
    description: "A note.",
    attributes: &[
        Attribute {
            name: "id",
            optional: false,
            computed: true,
            ..OPTIONAL_STRING
        },
        Attribute {
            name: "text",
            required: true,
            optional: false,
            ..OPTIONAL_STRING
        },
        Attribute {
            name: "folder",
            force_new: true,
            ..OPTIONAL_STRING
        },
        Attribute {
            name: "tags",
            ty: AttrType::ListOfString,
            equivalence: Equivalence::Set,
            ..OPTIONAL_STRING
        },
        Attribute {
            name: "secret",
            sensitive: true,
            computed: true,
            optional: false,
            ..OPTIONAL_STRING
        },
    ],
};

static PROVIDER_SCHEMA: ResourceSchema = ResourceSchema {
    type_name: "provider \"demo\"",
    version: 0,
    description: "Notes.",
    attributes: &[Attribute {
        name: "prefix",
        ..OPTIONAL_STRING
    }],
};

impl ProviderDefinition for Notes {
    type Host = Store;
    type Config = Option<String>;
    const UNCONFIGURED: Option<String> = None;
    fn schema() -> &'static ResourceSchema {
        &PROVIDER_SCHEMA
    }
    fn resources() -> &'static [&'static dyn Resource<Notes>] {
        &[&Note]
    }
    fn configure(config: &Attrs) -> Result<Option<String>, Vec<Diagnostic>> {
        match config.get("prefix").and_then(Value::as_str) {
            Some("") => Err(vec![
                Diagnostic::error("Empty prefix", "Set a prefix or leave it out.").at("prefix"),
            ]),
            prefix => Ok(prefix.map(str::to_owned)),
        }
    }
}

impl Resource<Notes> for Note {
    fn schema(&self) -> &'static ResourceSchema {
        &SCHEMA
    }
    fn check(&self, config: &Attrs) -> Vec<Diagnostic> {
        match config.get("text").and_then(Value::as_str) {
            Some(text) if text.len() > 20 => {
                vec![Diagnostic::error("Too long", "At most 20 characters.").at("text")]
            }
            _ => Vec::new(),
        }
    }
    fn create(&self, ctx: &Context<'_, Notes>, planned: &Attrs) -> Outcome {
        let mut notes = ctx.host.notes.borrow_mut();
        let id = format!(
            "{}{}",
            ctx.config.as_deref().unwrap_or("n"),
            notes.len() + 1
        );
        let text = planned["text"].as_str().unwrap_or_default().to_owned();
        notes.push((id.clone(), text));
        let mut observed = planned.clone();
        observed.insert("id".into(), json!(id));
        observed.insert("secret".into(), json!("s3cr3t"));
        Outcome::state(settle(&SCHEMA, planned, &observed))
    }
    fn update(&self, ctx: &Context<'_, Notes>, _prior: &Attrs, planned: &Attrs) -> Outcome {
        let id = planned["id"].as_str().unwrap_or_default();
        for note in ctx.host.notes.borrow_mut().iter_mut().filter(|n| n.0 == id) {
            note.1 = planned["text"].as_str().unwrap_or_default().to_owned();
        }
        Outcome::state(planned.clone())
    }
    fn delete(&self, ctx: &Context<'_, Notes>, prior: &Attrs) -> Outcome {
        ctx.host
            .notes
            .borrow_mut()
            .retain(|n| Some(n.0.as_str()) != prior["id"].as_str());
        Outcome::gone()
    }
    fn read(&self, ctx: &Context<'_, Notes>, state: &Attrs) -> Outcome {
        let notes = ctx.host.notes.borrow();
        match notes
            .iter()
            .find(|n| Some(n.0.as_str()) == state["id"].as_str())
        {
            Some((_, text)) => {
                let mut fresh = state.clone();
                fresh.insert("text".into(), json!(text));
                if let Some(Value::Array(tags)) = fresh.get_mut("tags") {
                    tags.reverse();
                }
                Outcome::state(fresh)
            }
            None => Outcome::gone(),
        }
    }
    fn import(&self, ctx: &Context<'_, Notes>, id: &str) -> Outcome {
        let mut state = Attrs::new();
        state.insert("id".into(), json!(id));
        self.read(ctx, &state)
    }
}

fn parsed(text: Option<&str>) -> Value {
    text.map(|t| serde_json::from_str(t).unwrap())
        .unwrap_or(Value::Null)
}

#[test]
fn the_generic_rules_drive_a_resource_through_its_life() {
    let store = Store::default();
    let mut provider = Provider::<Notes>::new();
    assert!(provider.configure(r#"{"prefix": "note-"}"#).is_empty());
    let config = json!({"text": "hello", "folder": "a", "tags": ["x", "y"]}).to_string();

    let plan = provider.plan(&store, "demo_note", None, Some(&config));
    let planned = parsed(plan.planned.as_deref());
    assert_eq!(
        planned["id"],
        json!({"$unknown": true}),
        "computed values are unknown at create"
    );
    let created = provider.apply(&store, "demo_note", None, plan.planned.as_deref());
    let state = created.state.unwrap();
    assert_eq!(
        parsed(Some(&state))["id"],
        json!("note-1"),
        "the provider configuration reaches the resource"
    );

    let read = provider.read(&store, "demo_note", &state);
    assert_eq!(
        read.state.as_deref(),
        Some(state.as_str()),
        "a reordered set is not drift"
    );

    let same = provider.plan(&store, "demo_note", Some(&state), Some(&config));
    assert_eq!(same.planned.as_deref(), Some(state.as_str()));
    assert!(same.requires_replace.is_empty());

    let moved = json!({"text": "hello", "folder": "b"}).to_string();
    let replace = provider.plan(&store, "demo_note", Some(&state), Some(&moved));
    assert_eq!(replace.requires_replace, vec!["folder".to_owned()]);
    let refused = provider.apply(
        &store,
        "demo_note",
        Some(&state),
        replace.planned.as_deref(),
    );
    assert_eq!(
        refused.diagnostics[0].summary, "Change requires replacement",
        "a force-new change is never applied in place"
    );
    assert_eq!(
        refused.state.as_deref(),
        Some(state.as_str()),
        "the prior state is kept"
    );

    let gone = provider.apply(&store, "demo_note", Some(&state), None);
    assert!(gone.state.is_none() && gone.diagnostics.is_empty());
    assert!(store.notes.borrow().is_empty());
}

#[test]
fn bad_input_is_refused_with_typed_paths() {
    let store = Store::default();
    let mut provider = Provider::<Notes>::new();
    let configured = provider.configure(r#"{"prefix": ""}"#);
    assert_eq!(
        configured[0]
            .attribute
            .as_ref()
            .map(ToString::to_string)
            .as_deref(),
        Some("prefix")
    );
    let cases = [
        (
            json!({"text": ["a"]}),
            "Incorrect attribute value type",
            "text",
        ),
        (
            json!({"text": "a", "tags": ["x", 1]}),
            "Incorrect attribute value type",
            "tags[1]",
        ),
        (json!({}), "Missing required argument", "text"),
        (
            json!({"text": "a", "colour": "red"}),
            "Unsupported argument",
            "colour",
        ),
        (
            json!({"text": "a", "secret": "x"}),
            "Invalid configuration for read-only attribute",
            "secret",
        ),
        (
            json!({"text": "a very long note indeed, too long"}),
            "Too long",
            "text",
        ),
    ];
    for (config, summary, path) in cases {
        let plan = provider.plan(&store, "demo_note", None, Some(&config.to_string()));
        assert!(plan.planned.is_none(), "{config}");
        let found = plan
            .diagnostics
            .iter()
            .find(|d| d.summary == summary)
            .unwrap_or_else(|| panic!("{config}: {:?}", plan.diagnostics));
        assert_eq!(
            found.attribute.as_ref().unwrap().to_string(),
            path,
            "{config}"
        );
    }
    let unknown_type = provider.plan(&store, "demo_page", None, Some("{}"));
    assert!(unknown_type.diagnostics[0].detail.contains("demo_note"));
    let unknown_at_apply =
        json!({"id": {"$unknown": true}, "text": {"$unknown": true}}).to_string();
    let refused = provider.apply(&store, "demo_note", None, Some(&unknown_at_apply));
    assert_eq!(refused.diagnostics[0].summary, "Value unknown at apply");
    assert!(store.notes.borrow().is_empty(), "nothing was created");
}

#[test]
fn the_schema_document_lists_types_and_flags() {
    let schema: Value = serde_json::from_str(&Provider::<Notes>::new().schema()).unwrap();
    let note = &schema["resources"]["demo_note"]["attributes"];
    assert_eq!(note["folder"]["force_new"], json!(true));
    assert_eq!(note["secret"]["sensitive"], json!(true));
    assert_eq!(note["tags"]["type"], json!("list(string)"));
    assert!(schema["provider"]["attributes"]["prefix"].is_object());
}
