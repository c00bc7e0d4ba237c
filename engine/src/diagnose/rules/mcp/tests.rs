//! One test per MCP row, each with a literal piece of evidence: what a real
//! server of that kind answered.

use std::time::Duration;

use protocol::{
    AddressResult, Code, Family, McpEra, McpReport, McpServerInfo, McpStep, McpTransport, Outcome,
    Severity, Verdict,
};

use crate::diagnose::{Attempt, Evidence, diagnose, verdict};
use crate::mcp::{AuthFacts, AuthProblem, Failure, HttpRefusal, McpEvidence, Probe, ProcessFacts};
use crate::platform::Os;

const URL: &str = "http://127.0.0.1:8000/mcp";

fn server(transport: McpTransport, url: &str) -> McpReport {
    McpReport {
        transport,
        era: McpEra::Handshake,
        url: url.into(),
        protocol_version: Some("2025-06-18".into()),
        server: Some(McpServerInfo {
            name: "weather".into(),
            version: "0.3.1".into(),
        }),
        tools: Some(2),
        elapsed_us: 4200,
        capabilities: vec!["tools".into()],
        tool_names: vec!["forecast".into(), "alerts".into()],
        resources: None,
        prompts: None,
        server_versions: vec!["2025-06-18".into()],
        client_versions: vec!["2025-06-18".into(), "2025-11-25".into()],
        session: true,
        steps: vec![],
        auth: Vec::new(),
        login: None,
    }
}

/// An HTTP target that accepted the connection, and what MCP made of it.
fn http(mcp: McpEvidence) -> Evidence {
    let addr = "127.0.0.1:8000".parse().unwrap();
    Evidence {
        input: URL.into(),
        host: "127.0.0.1".into(),
        port: Some(8000),
        attempts: vec![Attempt {
            addr,
            result: AddressResult {
                addr: addr.to_string(),
                family: Family::Ipv4,
                outcome: Outcome::Open,
                elapsed_us: 90,
                error: None,
            },
        }],
        listeners: Some(Ok(Vec::new())),
        mcp: Some(McpEvidence {
            expected: true,
            asked: Some(URL.into()),
            ..mcp
        }),
        ..Evidence::default()
    }
}

/// The same, for a check of another URL on that server.
fn asking(url: &str, mcp: McpEvidence) -> Evidence {
    let mut e = http(mcp);
    if let Some(m) = &mut e.mcp {
        m.asked = Some(url.into());
    }
    e
}

/// A configured stdio server named `files`.
fn stdio(mcp: McpEvidence, process: ProcessFacts) -> Evidence {
    Evidence {
        input: "files".into(),
        mcp: Some(McpEvidence {
            expected: true,
            process: Some(ProcessFacts {
                command_line: "npx -y @modelcontextprotocol/server-filesystem /tmp".into(),
                pid: Some(4711),
                ..process
            }),
            ..mcp
        }),
        ..Evidence::default()
    }
}

fn failed(failure: Failure) -> McpEvidence {
    McpEvidence {
        failure: Some(failure),
        ..McpEvidence::default()
    }
}

fn refusal(status: u16, body: &str) -> HttpRefusal {
    HttpRefusal {
        status,
        content_type: "text/plain".into(),
        body: body.into(),
        ..HttpRefusal::default()
    }
}

/// The finding with `code`, which must be the first (most important) one.
fn first(e: &Evidence, code: Code) -> protocol::Finding {
    let findings = diagnose(e);
    assert_eq!(findings[0].code, code, "{findings:#?}");
    assert!(!findings[0].fix.is_empty() && !findings[0].evidence.is_empty());
    findings[0].clone()
}

#[test]
fn mcp_ok_names_server_protocol_and_tools() {
    let e = http(McpEvidence {
        found: Some(server(McpTransport::StreamableHttp, URL)),
        ..McpEvidence::default()
    });
    let f = first(&e, Code::McpOk);
    assert_eq!(f.severity, Severity::Ok);
    assert_eq!(
        f.summary,
        "MCP server weather 0.3.1 answers at http://127.0.0.1:8000/mcp over Streamable HTTP: protocol 2025-06-18 (handshake era), 2 tools"
    );
    assert!(f.evidence.contains(&"tools: forecast, alerts".to_owned()));
    let codes: Vec<Code> = diagnose(&e).iter().map(|f| f.code).collect();
    assert_eq!(codes, [Code::McpOk, Code::Reachable]);
    assert_eq!(verdict(&e, &diagnose(&e)), Verdict::Reachable);
}

#[test]
fn wrong_path_says_where_the_server_is() {
    let e = http(McpEvidence {
        probes: vec![Probe {
            url: URL.into(),
            answer: "POST: HTTP 404 Not Found; GET: HTTP 404 Not Found".into(),
            moved_to: None,
        }],
        found: Some(server(McpTransport::Sse, "http://127.0.0.1:8000/sse")),
        ..McpEvidence::default()
    });
    let f = first(&e, Code::McpWrongPath);
    assert_eq!(f.severity, Severity::Error);
    assert_eq!(
        f.summary,
        "Nothing speaks MCP at http://127.0.0.1:8000/mcp (POST: HTTP 404 Not Found; GET: HTTP 404 Not Found); the server is at http://127.0.0.1:8000/sse"
    );
    assert!(
        f.fix.contains("\"url\": \"http://127.0.0.1:8000/sse\""),
        "{}",
        f.fix
    );
    assert!(f.fix.contains("legacy HTTP+SSE"), "{}", f.fix);
    assert!(!diagnose(&e).iter().any(|f| f.code == Code::McpOk));
    assert_eq!(verdict(&e, &diagnose(&e)), Verdict::Degraded);
}

#[test]
fn a_redirect_names_its_location_and_the_server_still_works() {
    let asked = "http://127.0.0.1:8000/mcp/";
    let e = asking(
        asked,
        McpEvidence {
            probes: vec![Probe {
                url: asked.into(),
                answer: "HTTP 307 Temporary Redirect".into(),
                moved_to: Some(URL.into()),
            }],
            found: Some(server(McpTransport::StreamableHttp, URL)),
            ..McpEvidence::default()
        },
    );
    let findings = diagnose(&e);
    let f = first(&e, Code::McpWrongPath);
    assert_eq!(f.severity, Severity::Warning);
    assert_eq!(
        f.summary,
        "http://127.0.0.1:8000/mcp/ redirects to http://127.0.0.1:8000/mcp (HTTP 307 Temporary Redirect); the MCP server answers at http://127.0.0.1:8000/mcp"
    );
    assert!(
        f.fix
            .starts_with("Use http://127.0.0.1:8000/mcp in the client's configuration"),
        "{}",
        f.fix
    );
    // A warning leaves the working server's ok row in place.
    let codes: Vec<Code> = findings.iter().map(|f| f.code).collect();
    assert_eq!(codes, [Code::McpWrongPath, Code::McpOk, Code::Reachable]);
    assert_eq!(verdict(&e, &findings), Verdict::Reachable);
}

#[test]
fn the_legacy_message_endpoint_points_to_the_stream() {
    let asked = "http://127.0.0.1:8000/message";
    let sse = "http://127.0.0.1:8000/sse";
    let e = asking(
        asked,
        McpEvidence {
            found: Some(server(McpTransport::Sse, sse)),
            messages: Some(asked.into()),
            ..McpEvidence::default()
        },
    );
    let f = first(&e, Code::McpWrongPath);
    assert_eq!(f.severity, Severity::Error);
    assert_eq!(
        f.summary,
        "http://127.0.0.1:8000/message is where a legacy HTTP+SSE server takes messages, not where clients connect: its stream is at http://127.0.0.1:8000/sse"
    );
    assert!(
        f.fix.starts_with("Use http://127.0.0.1:8000/sse"),
        "{}",
        f.fix
    );
}

#[test]
fn a_redirect_to_another_server_is_named_not_followed() {
    let e = http(failed(Failure::Redirected {
        url: URL.into(),
        refusal: HttpRefusal {
            location: Some("https://mcp.example.com/mcp".into()),
            ..refusal(308, "")
        },
    }));
    let f = first(&e, Code::McpWrongPath);
    assert_eq!(
        f.summary,
        "http://127.0.0.1:8000/mcp redirects to https://mcp.example.com/mcp (HTTP 308), another server, which portdoctor does not follow"
    );
    assert!(
        f.fix.contains("portdoctor mcp https://mcp.example.com/mcp"),
        "{}",
        f.fix
    );
}

#[test]
fn a_foreign_host_is_explained_as_the_host_check() {
    let e = http(failed(Failure::Rejected {
        url: "http://localhost:8000/mcp".into(),
        refusal: refusal(421, "Invalid Host header"),
        host: "localhost:8000".into(),
        origin: None,
    }));
    let f = first(&e, Code::McpRejected);
    assert_eq!(
        f.summary,
        "http://localhost:8000/mcp refused the Host header \"localhost:8000\" (421 Misdirected Request)"
    );
    assert!(f.fix.contains("allowed_hosts"), "{}", f.fix);
    assert!(f.evidence.contains(&"Host: localhost:8000".to_owned()));
}

#[test]
fn a_foreign_origin_is_explained_as_the_origin_check() {
    let e = http(failed(Failure::Rejected {
        url: URL.into(),
        refusal: refusal(403, "Invalid Origin header"),
        host: "127.0.0.1:8000".into(),
        origin: Some("http://evil.example".into()),
    }));
    let f = first(&e, Code::McpRejected);
    assert_eq!(
        f.summary,
        "http://127.0.0.1:8000/mcp refused the Origin \"http://evil.example\" (403 Forbidden)"
    );
    assert!(f.fix.contains("allowed_origins"), "{}", f.fix);
    assert!(f.evidence.contains(
        &"POST http://127.0.0.1:8000/mcp: HTTP 403 Forbidden: Invalid Origin header".to_owned()
    ));
}

#[test]
fn unauthorized_names_the_challenge() {
    let e = http(failed(Failure::Rejected {
        url: URL.into(),
        refusal: HttpRefusal {
            www_authenticate: Some(
                "Bearer resource_metadata=\"http://127.0.0.1:8000/.well-known/oauth-protected-resource\"".into(),
            ),
            ..refusal(401, "")
        },
        host: "127.0.0.1:8000".into(),
        origin: None,
    }));
    let f = first(&e, Code::McpRejected);
    assert!(
        f.summary
            .contains("requires authorization (HTTP 401 Unauthorized)"),
        "{}",
        f.summary
    );
    assert!(f.fix.contains("Bearer resource_metadata"), "{}", f.fix);
    assert!(
        f.evidence
            .iter()
            .any(|l| l.starts_with("WWW-Authenticate: Bearer"))
    );
}

#[test]
fn not_acceptable_explains_the_accept_header() {
    let e = http(failed(Failure::NotAcceptable {
        url: URL.into(),
        refusal: refusal(
            406,
            "Not Acceptable: Client must accept both application/json and text/event-stream",
        ),
    }));
    let f = first(&e, Code::McpNotAcceptable);
    assert!(
        f.fix
            .contains("Accept: application/json, text/event-stream"),
        "{}",
        f.fix
    );
    assert!(
        f.evidence[1].contains("406 Not Acceptable"),
        "{:?}",
        f.evidence
    );
}

#[test]
fn version_mismatch_names_both_sides() {
    let mut report = server(McpTransport::StreamableHttp, URL);
    report.protocol_version = None;
    report.server_versions = vec!["2024-10-07".into()];
    report.client_versions = vec!["2024-11-05".into(), "2026-07-28".into()];
    let e = http(McpEvidence {
        found: Some(report),
        failure: Some(Failure::VersionMismatch {
            url: URL.into(),
            theirs: vec!["2024-10-07".into()],
        }),
        ..McpEvidence::default()
    });
    let f = first(&e, Code::McpVersionMismatch);
    assert_eq!(
        f.summary,
        "weather 0.3.1 speaks MCP 2024-10-07, which portdoctor does not (it speaks 2024-11-05, 2026-07-28)"
    );
    assert_eq!(
        f.evidence,
        [
            "server supports: 2024-10-07",
            "portdoctor supports: 2024-11-05, 2026-07-28"
        ]
    );
}

#[test]
fn not_mcp_lists_what_answered_instead() {
    let e = http(McpEvidence {
        probes: vec![Probe {
            url: URL.into(),
            answer: "POST: HTTP 501 Not Implemented; GET: HTTP 404 Not Found".into(),
            moved_to: None,
        }],
        failure: Some(Failure::NotMcp),
        ..McpEvidence::default()
    });
    let f = first(&e, Code::NotMcp);
    assert_eq!(
        f.summary,
        "No MCP server answers at http://127.0.0.1:8000/mcp: HTTP answers, but no JSON-RPC"
    );
    assert_eq!(
        f.evidence,
        ["http://127.0.0.1:8000/mcp: POST: HTTP 501 Not Implemented; GET: HTTP 404 Not Found"]
    );
}

#[test]
fn no_mcp_where_nobody_asked_for_it_is_no_finding() {
    let mut e = http(failed(Failure::NotMcp));
    if let Some(m) = &mut e.mcp {
        m.expected = false;
    }
    assert!(!diagnose(&e).iter().any(|f| f.code == Code::NotMcp));
}

#[test]
fn a_silent_server_is_no_answer() {
    let e = http(failed(Failure::NoAnswer {
        url: URL.into(),
        unanswered: vec![("initialize".into(), Duration::from_millis(3000))],
        within: Duration::from_millis(3000),
    }));
    let f = first(&e, Code::McpNoAnswer);
    assert_eq!(
        f.summary,
        "http://127.0.0.1:8000/mcp took the initialize request but did not answer within 3000 ms"
    );
}

#[test]
fn a_silent_process_has_its_start_and_each_wait_apart() {
    let e = stdio(
        McpEvidence {
            steps: vec![McpStep {
                step: "start".into(),
                http_status: None,
                elapsed_us: 2400,
            }],
            ..failed(Failure::NoAnswer {
                url: "npx".into(),
                unanswered: vec![
                    ("server/discover".into(), Duration::from_millis(2500)),
                    ("initialize".into(), Duration::from_millis(2500)),
                ],
                within: Duration::from_secs(5),
            })
        },
        ProcessFacts::default(),
    );
    let f = first(&e, Code::McpNoAnswer);
    assert_eq!(
        f.summary,
        "files took the server/discover and initialize requests but answered none within 5000 ms"
    );
    assert_eq!(
        f.evidence,
        [
            "started in 2.4 ms (pid 4711)",
            "server/discover: no answer after 2500 ms",
            "initialize: no answer after 2500 ms"
        ]
    );
}

#[test]
fn a_header_mismatch_error_points_at_proxies() {
    let e = http(failed(Failure::Error {
        url: URL.into(),
        step: "server/discover".into(),
        error: "JSON-RPC error -32020: mcp-method header does not match the request body's method"
            .into(),
    }));
    let f = first(&e, Code::McpError);
    assert!(f.fix.contains("proxy"), "{}", f.fix);
}

#[test]
fn command_not_found_shows_the_path_searched() {
    let e = Evidence {
        input: "files".into(),
        mcp: Some(failed(Failure::CommandNotFound {
            command: "npx".into(),
            path: Some("/usr/bin:/bin".into()),
        })),
        ..Evidence::default()
    };
    let f = first(&e, Code::McpCommandNotFound);
    assert_eq!(
        f.summary,
        "\"npx\" is not on the PATH, so \"files\" cannot start"
    );
    assert!(f.fix.contains("full path"), "{}", f.fix);
    // `which npx` here, `where.exe npx` on Windows.
    assert!(
        f.fix.contains(&Os::CURRENT.locate_command("npx")),
        "{}",
        f.fix
    );
    assert!(
        f.evidence
            .contains(&"PATH searched: /usr/bin:/bin".to_owned())
    );
    assert_eq!(verdict(&e, &diagnose(&e)), Verdict::Unreachable);
}

#[test]
fn a_missing_file_is_not_a_path_problem() {
    let e = Evidence {
        input: "files".into(),
        mcp: Some(failed(Failure::CommandNotFound {
            command: "/nonexistent/server".into(),
            path: None,
        })),
        ..Evidence::default()
    };
    let f = first(&e, Code::McpCommandNotFound);
    assert_eq!(
        f.summary,
        "/nonexistent/server does not exist, so \"files\" cannot start"
    );
    assert!(
        !f.fix.contains("PATH") && !f.fix.contains("/full/path"),
        "{}",
        f.fix
    );
    assert!(
        f.fix
            .contains(&Os::CURRENT.show_file("/nonexistent/server")),
        "{}",
        f.fix
    );
    assert_eq!(
        f.evidence,
        [
            "command: /nonexistent/server",
            "no file at /nonexistent/server"
        ]
    );
}

#[test]
fn an_early_exit_shows_the_stderr_tail() {
    let e = stdio(
        failed(Failure::Exited {
            step: "server/discover".into(),
        }),
        ProcessFacts {
            exited: Some("exit code 1".into()),
            stderr: vec!["Error: ENOENT: no such file or directory, stat '/tmp/nope'".into()],
            ..ProcessFacts::default()
        },
    );
    let f = first(&e, Code::McpProcessExited);
    assert_eq!(
        f.summary,
        "\"files\" exited (exit code 1) before answering server/discover"
    );
    assert_eq!(
        f.evidence.last().unwrap(),
        "stderr: Error: ENOENT: no such file or directory, stat '/tmp/nope'"
    );
    assert_eq!(verdict(&e, &diagnose(&e)), Verdict::Unreachable);
}

#[test]
fn stdout_noise_is_a_warning_when_the_handshake_still_worked() {
    let noise = ProcessFacts {
        stray: vec!["Secure MCP Filesystem Server running on stdio".into()],
        ..ProcessFacts::default()
    };
    let e = stdio(
        McpEvidence {
            found: Some(server(McpTransport::Stdio, "npx ...")),
            ..McpEvidence::default()
        },
        noise.clone(),
    );
    let f = first(&e, Code::McpBadOutput);
    assert_eq!(f.severity, Severity::Warning);
    assert_eq!(
        f.evidence,
        ["stdout: Secure MCP Filesystem Server running on stdio"]
    );
    // The handshake worked: a warning, next to the ok finding.
    assert!(diagnose(&e).iter().any(|f| f.code == Code::McpOk));
    assert_eq!(verdict(&e, &diagnose(&e)), Verdict::Reachable);

    let e = stdio(
        failed(Failure::NoAnswer {
            url: "npx".into(),
            unanswered: vec![("initialize".into(), Duration::from_secs(10))],
            within: Duration::from_secs(10),
        }),
        noise,
    );
    let codes: Vec<(Code, Severity)> = diagnose(&e).iter().map(|f| (f.code, f.severity)).collect();
    assert_eq!(
        codes,
        [
            (Code::McpNoAnswer, Severity::Error),
            (Code::McpBadOutput, Severity::Error)
        ]
    );
}

#[test]
fn a_healthy_stdio_server_is_ok_and_reachable() {
    let e = stdio(
        McpEvidence {
            found: Some(server(McpTransport::Stdio, "npx ...")),
            ..McpEvidence::default()
        },
        ProcessFacts::default(),
    );
    let f = first(&e, Code::McpOk);
    assert_eq!(
        f.summary,
        "MCP server weather 0.3.1 (\"files\") answers over stdio: protocol 2025-06-18 (handshake era), 2 tools"
    );
    assert_eq!(verdict(&e, &diagnose(&e)), Verdict::Reachable);
}

#[test]
fn a_bad_entry_is_invalid() {
    let e = Evidence {
        input: "typo".into(),
        mcp: Some(failed(Failure::BadConfig(
            "the entry has neither \"command\" nor \"url\"".into(),
        ))),
        ..Evidence::default()
    };
    let f = first(&e, Code::McpBadConfig);
    assert!(f.fix.contains("claude_desktop_config.json"), "{}", f.fix);
    assert_eq!(verdict(&e, &diagnose(&e)), Verdict::Invalid);
}

/// A 401 at URL, and what walking the authorization chain found.
fn unauthorized(problems: Vec<AuthProblem>) -> Evidence {
    http(McpEvidence {
        failure: Some(Failure::Rejected {
            url: URL.into(),
            refusal: refusal(401, ""),
            host: "127.0.0.1:8000".into(),
            origin: None,
        }),
        auth: Some(AuthFacts {
            steps: Vec::new(),
            problems,
            chain: None,
        }),
        ..McpEvidence::default()
    })
}

#[test]
fn each_broken_link_of_the_authorization_chain_is_a_finding() {
    let metadata = "http://127.0.0.1:9000/.well-known/oauth-authorization-server".to_owned();
    let cases = [
        (
            AuthProblem::NoMetadata {
                tried: vec![
                    "http://127.0.0.1:8000/.well-known/oauth-protected-resource/mcp".into(),
                ],
                legacy: false,
            },
            Code::McpAuthNoMetadata,
            Severity::Warning,
        ),
        (
            AuthProblem::MetadataUnreachable {
                url: "http://127.0.0.1:9000".into(),
                why: "HTTP 404".into(),
            },
            Code::McpAuthMetadataUnreachable,
            Severity::Error,
        ),
        (
            AuthProblem::ResourceMismatch {
                resource: "http://127.0.0.1:8000/api".into(),
                server: URL.into(),
                metadata: metadata.clone(),
            },
            Code::McpAuthResourceMismatch,
            Severity::Error,
        ),
        (
            AuthProblem::IssuerMismatch {
                issuer: "http://127.0.0.1:9000".into(),
                found: "http://127.0.0.1:9000/".into(),
                metadata: metadata.clone(),
            },
            Code::McpAuthIssuerMismatch,
            Severity::Error,
        ),
        (
            AuthProblem::NoPkce {
                metadata: metadata.clone(),
                methods: vec!["plain".into()],
            },
            Code::McpAuthNoPkce,
            Severity::Error,
        ),
        (
            AuthProblem::NoRegistration {
                metadata: metadata.clone(),
            },
            Code::McpAuthNoRegistration,
            Severity::Warning,
        ),
    ];
    for (problem, code, severity) in cases {
        let e = unauthorized(vec![problem]);
        let findings = diagnose(&e);
        let codes: Vec<Code> = findings.iter().map(|f| f.code).collect();
        assert_eq!(codes, [Code::McpRejected, code]);
        assert_eq!(findings[1].severity, severity, "{code:?}");
        assert!(
            findings[0]
                .fix
                .contains("the findings below name the broken link"),
            "{}",
            findings[0].fix
        );
    }
    let e = unauthorized(vec![AuthProblem::IssuerMismatch {
        issuer: "http://127.0.0.1:9000".into(),
        found: "http://127.0.0.1:9000/".into(),
        metadata,
    }]);
    assert!(first_fix(&e, Code::McpAuthIssuerMismatch).contains("trailing slash"));
}

#[test]
fn a_whole_chain_says_signing_in_would_check_further() {
    let e = unauthorized(Vec::new());
    let codes: Vec<Code> = diagnose(&e).iter().map(|f| f.code).collect();
    assert_eq!(codes, [Code::McpRejected]);
    assert!(
        diagnose(&e)[0]
            .fix
            .contains("The authorization chain is whole"),
        "{}",
        diagnose(&e)[0].fix
    );
}

fn first_fix(e: &Evidence, code: Code) -> String {
    diagnose(e)
        .into_iter()
        .find(|f| f.code == code)
        .map(|f| f.fix)
        .unwrap_or_default()
}

#[test]
fn fixes_for_a_configured_server_name_the_assistants_log_on_each_os() {
    assert_eq!(
        super::assistant_log(Os::MacOs, "files"),
        " The assistant's own log of this server: ~/Library/Logs/Claude/mcp-server-files.log."
    );
    assert_eq!(
        super::assistant_log(Os::Windows, "files"),
        r" The assistant's own log of this server: %APPDATA%\Claude\logs\mcp-server-files.log."
    );
    assert_eq!(super::assistant_log(Os::Linux, "files"), "");
    // This system's sentence ends each configured server's fix.
    let here = super::assistant_log(Os::CURRENT, "files");
    let not_found = Evidence {
        input: "files".into(),
        mcp: Some(failed(Failure::CommandNotFound {
            command: "npx".into(),
            path: Some("/usr/bin:/bin".into()),
        })),
        ..Evidence::default()
    };
    let f = first(&not_found, Code::McpCommandNotFound);
    assert!(
        f.fix.ends_with(&format!("often missing.{here}")),
        "{}",
        f.fix
    );
    let gone = Evidence {
        input: "files".into(),
        mcp: Some(failed(Failure::CommandNotFound {
            command: "/nonexistent/server".into(),
            path: None,
        })),
        ..Evidence::default()
    };
    let f = first(&gone, Code::McpCommandNotFound);
    assert!(
        f.fix.ends_with(&format!("what is missing).{here}")),
        "{}",
        f.fix
    );
    let exited = stdio(
        failed(Failure::Exited {
            step: "initialize".into(),
        }),
        ProcessFacts::default(),
    );
    let f = first(&exited, Code::McpProcessExited);
    assert!(
        f.fix.ends_with(&format!("restart the assistant.{here}")),
        "{}",
        f.fix
    );
}
