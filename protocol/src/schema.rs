//! The contract as JSON Schema, generated from the types themselves, so a
//! field or code added here is in the schema too. `cargo xtask schema`
//! writes these to `docs/schema/`; a test fails when the committed files
//! are stale. Behind the `schema` feature: nothing the helper or the page
//! ships carries schemars.

use schemars::JsonSchema;
use schemars::generate::SchemaSettings;

use crate::messages::{ClientMessage, ServerMessage};
use crate::report::{BindReport, Listener, McpConfigReport, Report};

/// Every document of the contract: its file name under `docs/schema/` and
/// its schema. Outputs are described as portdoctor writes them (every field
/// present, `null` where empty); the client's messages as the helper reads
/// them (fields with defaults may be left out).
pub fn documents() -> Vec<(&'static str, serde_json::Value)> {
    vec![
        ("report.json", output::<Report>()),
        ("bind-report.json", output::<BindReport>()),
        ("mcp-config-report.json", output::<McpConfigReport>()),
        ("listeners.json", output::<Vec<Listener>>()),
        ("server-message.json", output::<ServerMessage>()),
        ("client-message.json", input::<ClientMessage>()),
    ]
}

fn output<T: JsonSchema>() -> serde_json::Value {
    generate::<T>(SchemaSettings::draft2020_12().for_serialize())
}

fn input<T: JsonSchema>() -> serde_json::Value {
    generate::<T>(SchemaSettings::draft2020_12().for_deserialize())
}

fn generate<T: JsonSchema>(settings: SchemaSettings) -> serde_json::Value {
    settings
        .into_generator()
        .into_root_schema_for::<T>()
        .to_value()
}
