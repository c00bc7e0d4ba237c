//! A report with something in every field, for the unit tests.

use protocol::{
    AddressResult, Code, Family, Finding, Forward, Listener, McpEra, McpReport, McpServerInfo,
    McpStep, McpTransport, Outcome, Queue, Report, Service, ServiceProtocol, Severity, Target,
    Verdict,
};

pub fn sample_report() -> Report {
    Report {
        target: Target {
            input: "localhost:8080".into(),
            host: Some("localhost".into()),
            port: Some(8080),
            path: None,
        },
        verdict: Verdict::Degraded,
        addresses: vec![
            AddressResult {
                addr: "127.0.0.1:8080".into(),
                family: Family::Ipv4,
                outcome: Outcome::Refused,
                elapsed_us: 41,
                error: Some("Connection refused (os error 111)".into()),
            },
            AddressResult {
                addr: "[::1]:8080".into(),
                family: Family::Ipv6,
                outcome: Outcome::Open,
                elapsed_us: 57,
                error: None,
            },
        ],
        listeners: vec![Listener {
            local_addr: "[::1]:8080".into(),
            pid: Some(4242),
            process: Some("node".into()),
            user: Some("alice".into()),
            queue: Some(Queue {
                current: 0,
                max: 511,
            }),
        }],
        service: Service {
            protocol: Some(ServiceProtocol::Http),
            detail: Some("nginx".into()),
            banner: None,
        },
        mcp: Some(McpReport {
            transport: McpTransport::StreamableHttp,
            era: McpEra::Handshake,
            url: "http://localhost:8080/mcp".into(),
            protocol_version: Some("2025-06-18".into()),
            server: Some(McpServerInfo {
                name: "demo".into(),
                version: "1.2".into(),
            }),
            tools: Some(3),
            elapsed_us: 1234,
            capabilities: vec!["tools".into(), "prompts".into()],
            tool_names: vec!["add".into(), "echo".into(), "search".into()],
            resources: None,
            prompts: Some(1),
            server_versions: vec!["2025-06-18".into()],
            client_versions: vec!["2025-06-18".into(), "2025-11-25".into()],
            session: true,
            steps: vec![McpStep {
                step: "initialize".into(),
                http_status: Some(200),
                elapsed_us: 800,
            }],
            auth: Vec::new(),
            login: None,
        }),
        forward: Some(sample_forward()),
        findings: vec![
            Finding {
                code: Code::ListeningOtherFamily,
                severity: Severity::Error,
                summary: "Only IPv6 listens".into(),
                fix: "Bind to 127.0.0.1 as well".into(),
                evidence: vec!["127.0.0.1:8080 refused".into(), "node on [::1]:8080".into()],
            },
            Finding {
                code: Code::ExposedToNetwork,
                severity: Severity::Warning,
                summary: "Reachable from other machines".into(),
                fix: "Bind to 127.0.0.1".into(),
                evidence: vec![],
            },
        ],
        elapsed_us: 2345,
    }
}

/// docker-proxy in front of a container that refuses.
pub fn sample_forward() -> Forward {
    Forward {
        forwarder: "docker-proxy".into(),
        pid: 812,
        destination: "172.17.0.2:80".into(),
        from: None,
        far_end: Some(AddressResult {
            addr: "172.17.0.2:80".into(),
            family: Family::Ipv4,
            outcome: Outcome::Refused,
            elapsed_us: 90,
            error: Some("Connection refused (os error 111)".into()),
        }),
        note: None,
    }
}
