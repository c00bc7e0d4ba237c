//! `cargo xtask schema`: writes the contract's JSON Schemas, generated from
//! the protocol types, to `docs/schema/`. The tests below fail when the
//! committed files are stale, and when docs/report.md leaves out a finding
//! code (from its Finding codes table), a verdict or a message the types have.

use std::path::{Path, PathBuf};

/// Where the schemas live in the repository.
fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/schema")
}

/// The file as committed: pretty JSON, one trailing newline.
fn render(schema: &serde_json::Value) -> String {
    serde_json::to_string_pretty(schema).expect("a schema serialises") + "\n"
}

pub fn write() -> Result<(), String> {
    let dir = dir();
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for (name, schema) in protocol::schema::documents() {
        let path = dir.join(name);
        std::fs::write(&path, render(&schema)).map_err(|e| format!("{}: {e}", path.display()))?;
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use serde_json::Value;

    use super::*;

    #[test]
    fn the_committed_schemas_are_current() {
        for (name, schema) in protocol::schema::documents() {
            let path = dir().join(name);
            let committed = std::fs::read_to_string(&path).unwrap_or_default();
            assert!(
                committed == render(&schema),
                "{} is stale: run `cargo xtask schema` and commit it",
                path.display()
            );
        }
    }

    /// Every string a definition of `document` allows (enum values, and the
    /// `type`/`stage` tags of messages), not following references.
    fn values(document: &str, definition: &str) -> BTreeSet<String> {
        fn collect(value: &Value, into: &mut BTreeSet<String>) {
            match value {
                Value::Object(map) => {
                    for (key, value) in map {
                        match (key.as_str(), value) {
                            ("const", Value::String(s)) => {
                                into.insert(s.clone());
                            }
                            ("enum", Value::Array(all)) => {
                                into.extend(
                                    all.iter().filter_map(Value::as_str).map(str::to_owned),
                                );
                            }
                            _ => collect(value, into),
                        }
                    }
                }
                Value::Array(all) => all.iter().for_each(|v| collect(v, into)),
                _ => {}
            }
        }
        let (_, schema) = protocol::schema::documents()
            .into_iter()
            .find(|(name, _)| *name == document)
            .expect("a document");
        // "": the message variants of the root, not its $defs.
        let definition = if definition.is_empty() {
            schema["oneOf"].clone()
        } else {
            schema["$defs"][definition].clone()
        };
        let mut found = BTreeSet::new();
        collect(&definition, &mut found);
        assert!(!found.is_empty(), "no values in {document} {definition}");
        found
    }

    fn page() -> String {
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/report.md"))
            .expect("docs/report.md")
    }

    /// The first cell of every table row of `text`, when it is one `code`
    /// span: the names it documents.
    fn documented(text: &str) -> BTreeSet<String> {
        text.lines()
            .filter_map(|line| line.strip_prefix("| `"))
            .filter_map(|rest| rest.split_once("` |"))
            .map(|(name, _)| name.to_owned())
            .collect()
    }

    /// The "Finding codes" section of docs/report.md, up to the next one.
    fn finding_codes(page: &str) -> &str {
        page.split("## Finding codes")
            .nth(1)
            .and_then(|rest| rest.split("\n## ").next())
            .expect("a Finding codes section")
    }

    /// Each value has a table row; a finding code its own row in the Finding
    /// codes table, not merely a name that is also a verdict (`reachable`).
    #[test]
    fn every_finding_code_enum_value_and_message_is_documented() {
        let page = page();
        let anywhere = documented(&page);
        let code_rows = documented(finding_codes(&page));
        for (document, definition, rows) in [
            ("report.json", "Code", &code_rows),
            ("report.json", "Verdict", &anywhere),
            ("report.json", "Severity", &anywhere),
            ("report.json", "Outcome", &anywhere),
            ("report.json", "ServiceProtocol", &anywhere),
            ("server-message.json", "ErrorKind", &anywhere),
            ("server-message.json", "Progress", &anywhere),
            ("server-message.json", "", &anywhere),
            ("client-message.json", "", &anywhere),
        ] {
            let missing: Vec<_> = values(document, definition)
                .into_iter()
                .filter(|v| !rows.contains(v))
                .collect();
            assert!(
                missing.is_empty(),
                "docs/report.md has no table row for these values of {definition} ({document}): {missing:?}"
            );
        }
    }

    #[test]
    fn every_field_of_every_output_is_documented() {
        fn fields(value: &Value, into: &mut BTreeSet<String>) {
            match value {
                Value::Object(map) => {
                    if let Some(Value::Object(properties)) = map.get("properties") {
                        into.extend(properties.keys().cloned());
                    }
                    map.values().for_each(|v| fields(v, into));
                }
                Value::Array(all) => all.iter().for_each(|v| fields(v, into)),
                _ => {}
            }
        }
        let page = page();
        for (name, schema) in protocol::schema::documents() {
            let mut all = BTreeSet::new();
            fields(&schema, &mut all);
            let missing: Vec<_> = all
                .into_iter()
                .filter(|field| !page.contains(&format!("`{field}`")))
                .collect();
            assert!(
                missing.is_empty(),
                "docs/report.md does not mention these fields of {name}: {missing:?}"
            );
        }
    }

    #[test]
    fn the_code_table_lists_no_code_that_does_not_exist() {
        let codes = values("report.json", "Code");
        let page = page();
        for row in finding_codes(&page)
            .lines()
            .filter_map(|l| l.strip_prefix("| `"))
        {
            let code = row.split('`').next().unwrap_or_default();
            assert!(
                codes.contains(code),
                "docs/report.md documents `{code}`, which is no Code"
            );
        }
    }
}
