//! The critical path of an apply, from the exchanges the emulator recorded.
//!
//! One account's chain is: create the service account, poll its Operation, add its folder
//! role (an `updateAccessBindings` call, possibly shared with other accounts), poll that
//! Operation, create its API key (and poll, should that ever return an Operation). Every
//! request the chain needed is one round trip on it, retries included. The critical path is
//! the longest chain.

use std::collections::BTreeMap;

use anyhow::{Context, Result};
use serde_json::Value;

/// Round trips per account chain, observed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Chains {
    /// Round trips of each account's chain, by service account id.
    pub round_trips: BTreeMap<String, u64>,
}

impl Chains {
    /// Attributes the recorded exchanges (JSON lines) to account chains.
    pub fn from_exchanges(jsonl: &str) -> Result<Chains> {
        let mut chains = Chains::default();
        let mut operation_owners: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (number, line) in jsonl.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let exchange: Value = serde_json::from_str(line)
                .with_context(|| format!("record line {} is not JSON", number + 1))?;
            let method = exchange["method"].as_str().unwrap_or_default();
            let path = exchange["path"].as_str().unwrap_or_default();
            let request = &exchange["request_body"];
            let response = &exchange["response_body"];
            let owners = match (method, path) {
                ("POST", "/iam/v1/serviceAccounts") => {
                    created_account_id(response).into_iter().collect()
                }
                ("POST", p) if p.ends_with(":updateAccessBindings") => delta_subjects(request),
                ("POST", "/iam/v1/apiKeys") => request["serviceAccountId"]
                    .as_str()
                    .map(str::to_string)
                    .into_iter()
                    .collect(),
                ("GET", p) if p.starts_with("/operations/") => {
                    let id = p.trim_start_matches("/operations/");
                    operation_owners.get(id).cloned().unwrap_or_default()
                }
                _ => Vec::new(),
            };
            if let Some(operation_id) = response["id"].as_str()
                && response.get("done").is_some()
                && !path.starts_with("/operations/")
            {
                operation_owners.insert(operation_id.to_string(), owners.clone());
            }
            for owner in owners {
                *chains.round_trips.entry(owner).or_insert(0) += 1;
            }
        }
        Ok(chains)
    }

    /// The longest chain's round trips (0 with no chain).
    pub fn critical_path(&self) -> u64 {
        self.round_trips.values().copied().max().unwrap_or(0)
    }

    /// The number of chains seen.
    pub fn len(&self) -> usize {
        self.round_trips.len()
    }
}

/// The longest run of requests that had to follow one another while reading: the pages of
/// one list (a request carrying a `pageToken` continues the list of its path), at least 1
/// when anything was read.
pub fn longest_paged_read(jsonl: &str) -> Result<u64> {
    let mut continued: BTreeMap<String, u64> = BTreeMap::new();
    let mut any = false;
    for (number, line) in jsonl.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let exchange: Value = serde_json::from_str(line)
            .with_context(|| format!("record line {} is not JSON", number + 1))?;
        any = true;
        let query = exchange["query"].as_str().unwrap_or_default();
        if query.split('&').any(|pair| pair.starts_with("pageToken=")) {
            let path = exchange["path"].as_str().unwrap_or_default();
            *continued.entry(path.to_string()).or_insert(0) += 1;
        }
    }
    Ok(continued
        .values()
        .max()
        .map_or(u64::from(any), |pages| pages + 1))
}

/// The new account's id from a create answer (an Operation, or the account itself).
fn created_account_id(response: &Value) -> Option<String> {
    [
        &response["metadata"]["serviceAccountId"],
        &response["response"]["id"],
    ]
    .into_iter()
    .find_map(Value::as_str)
    .map(str::to_string)
}

/// The service accounts named by the deltas of an `updateAccessBindings` request.
fn delta_subjects(request: &Value) -> Vec<String> {
    let mut subjects: Vec<String> = request["accessBindingDeltas"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|delta| delta["accessBinding"]["subject"]["type"] == "serviceAccount")
        .filter_map(|delta| delta["accessBinding"]["subject"]["id"].as_str())
        .map(str::to_string)
        .collect();
    subjects.sort();
    subjects.dedup();
    subjects
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn line(method: &str, path: &str, request: Value, response: Value) -> String {
        json!({
            "method": method, "path": path, "query": "", "status": 200,
            "request_body": request, "response_body": response,
        })
        .to_string()
    }

    fn sa_create(op: &str, sa: &str, done: bool) -> String {
        line(
            "POST",
            "/iam/v1/serviceAccounts",
            json!({"name": "x"}),
            json!({"id": op, "done": done, "metadata": {"serviceAccountId": sa}}),
        )
    }

    fn bind(op: &str, subjects: &[&str]) -> String {
        let deltas: Vec<Value> = subjects
            .iter()
            .map(|id| json!({"action": "ADD", "accessBinding": {"roleId": "r", "subject": {"id": id, "type": "serviceAccount"}}}))
            .collect();
        line(
            "POST",
            "/resource-manager/v1/folders/b1g:updateAccessBindings",
            json!({"accessBindingDeltas": deltas}),
            json!({"id": op, "done": true}),
        )
    }

    fn poll(op: &str, done: bool) -> String {
        line(
            "GET",
            &format!("/operations/{op}"),
            Value::Null,
            json!({"id": op, "done": done}),
        )
    }

    fn key(sa: &str) -> String {
        line(
            "POST",
            "/iam/v1/apiKeys",
            json!({"serviceAccountId": sa}),
            json!({"apiKey": {"id": "k"}, "secret": "s"}),
        )
    }

    #[test]
    fn chains_count_each_accounts_round_trips() {
        struct Case {
            name: &'static str,
            lines: Vec<String>,
            expected: &'static [(&'static str, u64)],
            critical: u64,
        }
        let cases = [
            Case {
                name: "three steps, operations done at once",
                lines: vec![sa_create("o1", "a", true), bind("o2", &["a"]), key("a")],
                expected: &[("a", 3)],
                critical: 3,
            },
            Case {
                name: "polls count on the chain of their operation",
                lines: vec![
                    sa_create("o1", "a", false),
                    sa_create("o2", "b", true),
                    poll("o1", false),
                    poll("o1", true),
                    bind("o3", &["a"]),
                    bind("o4", &["b"]),
                    key("a"),
                    key("b"),
                ],
                expected: &[("a", 5), ("b", 3)],
                critical: 5,
            },
            Case {
                name: "one batched role call is one round trip of every chain in it",
                lines: vec![
                    sa_create("o1", "a", true),
                    sa_create("o2", "b", true),
                    bind("o3", &["a", "b"]),
                    key("a"),
                    key("b"),
                ],
                expected: &[("a", 3), ("b", 3)],
                critical: 3,
            },
            Case {
                name: "reads outside the chains are not counted",
                lines: vec![
                    line(
                        "GET",
                        "/resource-manager/v1/folders/b1g",
                        Value::Null,
                        json!({"id": "b1g"}),
                    ),
                    sa_create("o1", "a", true),
                ],
                expected: &[("a", 1)],
                critical: 1,
            },
        ];
        for case in cases {
            let chains = Chains::from_exchanges(&case.lines.join("\n")).unwrap();
            let expected: BTreeMap<String, u64> = case
                .expected
                .iter()
                .map(|(id, n)| (id.to_string(), *n))
                .collect();
            assert_eq!(chains.round_trips, expected, "{}", case.name);
            assert_eq!(chains.critical_path(), case.critical, "{}", case.name);
        }
    }

    #[test]
    fn paged_reads_follow_one_another() {
        let read = |path: &str, query: &str| {
            json!({"method": "GET", "path": path, "query": query, "status": 200}).to_string()
        };
        let cases = [
            ("nothing read", vec![], 0),
            ("single reads", vec![read("/k/1", ""), read("/k/2", "")], 1),
            (
                "three pages of one list, one of another",
                vec![
                    read("/b:list", "pageSize=1000"),
                    read("/a", "pageSize=1000"),
                    read("/b:list", "pageSize=1000&pageToken=x"),
                    read("/b:list", "pageToken=y&pageSize=1000"),
                ],
                3,
            ),
        ];
        for (name, lines, expected) in cases {
            assert_eq!(
                longest_paged_read(&lines.join("\n")).unwrap(),
                expected,
                "{name}"
            );
        }
        assert!(longest_paged_read("{not json").is_err());
    }

    #[test]
    fn a_broken_line_is_an_error() {
        assert!(Chains::from_exchanges("{not json").is_err());
        assert_eq!(Chains::from_exchanges("").unwrap().critical_path(), 0);
    }
}
