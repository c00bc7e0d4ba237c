//! MCP in the check view: the section of a report whose target answered
//! MCP, and the desktop assistant's configured servers, each a click away
//! from its own check.

use protocol::{ErrorKind, McpReport, McpServerEntry, McpServerKind, McpTransport};

use crate::node::el;
use crate::text::{ms, wire_name};

use super::Msg;
use crate::page::describe::server_name;
use crate::page::views::{self, Html};
use crate::page::widgets::{facts, note, section, table};

/// The MCP server that answered: who and where, the protocol agreed, what it
/// offers, and each exchange with its time.
pub fn mcp_view(mcp: &McpReport) -> Html {
    let mut rows = vec![
        ("Server", "pd-mcp-server", server_name(mcp)),
        (
            if mcp.transport == McpTransport::Stdio {
                "Command"
            } else {
                "Endpoint"
            },
            "pd-mcp-url",
            mcp.url.clone(),
        ),
        (
            "Transport",
            "pd-mcp-transport",
            format!("{}, {} era", mcp.transport.label(), wire_name(&mcp.era)),
        ),
        (
            "Protocol",
            "pd-mcp-protocol",
            mcp.protocol_version
                .clone()
                .unwrap_or_else(|| "none agreed".to_owned()),
        ),
        (
            "Versions",
            "",
            format!(
                "server {}; portdoctor {}",
                mcp.server_versions.join(", "),
                mcp.client_versions.join(", ")
            ),
        ),
    ];
    if !mcp.capabilities.is_empty() {
        rows.push(("Capabilities", "", mcp.capabilities.join(", ")));
    }
    for (term, count) in [("Resources", mcp.resources), ("Prompts", mcp.prompts)] {
        if let Some(count) = count {
            rows.push((term, "", count.to_string()));
        }
    }
    let tools = mcp.tools.map(|count| {
        el("div", "pd-mcp-tools-block")
            .child(el("p", "pd-mcp-tool-count").text(match count {
                1 => "1 tool".to_owned(),
                n => format!("{n} tools"),
            }))
            .child(
                el("ul", "pd-mcp-tools").children(
                    mcp.tool_names
                        .iter()
                        .map(|name| el("li", "").child(el("code", "").text(name))),
                ),
            )
    });
    section("MCP server", "pd-section pd-mcp")
        .attr("data-transport", wire_name(&mcp.transport))
        .attr("data-era", wire_name(&mcp.era))
        .child(facts(rows))
        .children(tools)
        .children((!mcp.steps.is_empty()).then(|| {
            table(
                &["Step", "HTTP", "Time"],
                mcp.steps.iter().map(|step| {
                    el("tr", "pd-mcp-step")
                        .child(el("td", "pd-addr").text(&step.step))
                        .child(
                            el("td", "pd-num")
                                .text(step.http_status.map(|s| s.to_string()).unwrap_or_default()),
                        )
                        .child(el("td", "pd-num").text(ms(step.elapsed_us)))
                }),
            )
        }))
}

/// The desktop assistant's configured servers, each with a Check button
/// that names it (`data-name`): the helper finds the command itself.
pub fn servers(config: &str, servers: &[McpServerEntry]) -> Html {
    if servers.is_empty() {
        return note(&format!("No MCP servers are configured in {config}."));
    }
    el("div", "pd-mcp-config-body")
        .child(el("p", "pd-note").text(format!("From {config}")))
        .child(
            el("ul", "pd-mcp-servers").children(servers.iter().map(|server| {
                let how = match server.kind {
                    McpServerKind::Stdio => {
                        std::iter::once(server.command.clone().unwrap_or_default())
                            .chain(server.args.iter().cloned())
                            .collect::<Vec<_>>()
                            .join(" ")
                    }
                    McpServerKind::Url => server.url.clone().unwrap_or_default(),
                    McpServerKind::Invalid => server.problem.clone().unwrap_or_default(),
                };
                el("li", "pd-mcp-entry")
                    .attr("data-name", &server.name)
                    .attr("data-kind", wire_name(&server.kind))
                    .child(el("strong", "pd-mcp-entry-name").text(&server.name))
                    .child(el("code", "pd-mcp-entry-how").text(how))
                    .child(
                        el("button", "pd-button pd-mcp-check")
                            .attr("type", "button")
                            .attr("data-name", &server.name)
                            .on_click(views::Msg::Check(Msg::McpCheck(server.name.clone())))
                            .text("Check"),
                    )
            })),
        )
}

/// Why the configured servers are not listed (`kind`: the helper's error,
/// `None` when the helper is gone), as the section's `data-state`, and
/// whether the section shows it, given whether it shows now. No
/// configuration is no problem: the section stays away. A configuration
/// that cannot be read is one, for its owner. The helper gone changes
/// nothing: a list shown says it is stale, no section appears.
pub fn unavailable(kind: Option<ErrorKind>, shown: bool) -> (&'static str, bool) {
    match kind {
        Some(ErrorKind::NoConfig | ErrorKind::Forbidden) => ("none", false),
        Some(_) => ("unreadable", true),
        None => ("offline", shown),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdata::sample_report;

    #[test]
    fn the_mcp_section_carries_its_hooks() {
        let report = sample_report();
        let view = mcp_view(report.mcp.as_ref().unwrap());
        let mcp = view.find("pd-mcp");
        assert_eq!(mcp.get("data-transport"), Some("streamable-http"));
        assert_eq!(mcp.get("data-era"), Some("handshake"));
        assert_eq!(mcp.find("pd-mcp-server").text_content(), "demo 1.2");
        assert_eq!(mcp.find("pd-mcp-protocol").text_content(), "2025-06-18");
        assert_eq!(
            mcp.find("pd-mcp-url").text_content(),
            "http://localhost:8080/mcp"
        );
        assert_eq!(mcp.find("pd-mcp-tool-count").text_content(), "3 tools");
        let tools: Vec<String> = mcp
            .find("pd-mcp-tools")
            .find_tag("li")
            .iter()
            .map(|li| li.text_content())
            .collect();
        assert_eq!(tools, ["add", "echo", "search"]);
        let step = mcp.find("pd-mcp-step").text_content();
        assert_eq!(step, "initialize2000.80 ms");
    }

    #[test]
    fn no_configuration_shows_no_mcp_section() {
        for shown in [false, true] {
            assert_eq!(
                unavailable(Some(ErrorKind::NoConfig), shown),
                ("none", false)
            );
            // A file given or found that cannot be read is its owner's problem.
            assert_eq!(
                unavailable(Some(ErrorKind::Config), shown),
                ("unreadable", true)
            );
            // The helper gone: the section stays as it was.
            assert_eq!(unavailable(None, shown), ("offline", shown));
        }
    }

    #[test]
    fn configured_servers_have_a_check_button_each() {
        let entry = |name: &str, kind| McpServerEntry {
            name: name.into(),
            kind,
            command: Some("npx".into()),
            args: vec!["-y".into(), "server-files".into()],
            env: vec!["TOKEN".into()],
            url: None,
            headers: vec![],
            problem: Some("no command".into()),
        };
        let view = servers(
            "/home/a/.config/Claude/claude_desktop_config.json",
            &[
                entry("files", McpServerKind::Stdio),
                entry("typo", McpServerKind::Invalid),
            ],
        );
        let rows = view.find_all("pd-mcp-entry");
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].get("data-name"), Some("files"));
        assert_eq!(rows[0].get("data-kind"), Some("stdio"));
        assert_eq!(
            rows[0].find("pd-mcp-entry-how").text_content(),
            "npx -y server-files"
        );
        assert_eq!(
            rows[1].find("pd-mcp-entry-how").text_content(),
            "no command"
        );
        let button = rows[0].find("pd-mcp-check");
        assert_eq!(button.get("data-name"), Some("files"));
        assert_eq!(button.get("type"), Some("button"));
        assert_eq!(
            button.sends(crate::node::Event::Click),
            Some(&views::Msg::Check(Msg::McpCheck("files".into())))
        );
        assert_eq!(
            servers("/c.json", &[]).text_content(),
            "No MCP servers are configured in /c.json."
        );
    }
}
