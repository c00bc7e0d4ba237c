//! Era detection against scripted answers: each case is what a real server
//! of that kind sends (the stateless SDK, a 2025 SDK behind its session
//! check, an old or a future server).

use std::collections::VecDeque;
use std::time::Duration;

use serde_json::json;

use super::*;
use crate::mcp::jsonrpc::RpcError;
use crate::mcp::transport::{HttpRefusal, Outgoing};

/// Answers in order; remembers the methods and envelopes it was sent.
#[derive(Default)]
struct Script {
    answers: VecDeque<Result<Value, CallError>>,
    sent: Vec<(String, String)>,
}

impl Script {
    fn new(answers: Vec<Result<Value, CallError>>) -> Self {
        Self {
            answers: answers.into(),
            sent: Vec::new(),
        }
    }

    fn methods(&self) -> Vec<&str> {
        self.sent.iter().map(|(m, _)| m.as_str()).collect()
    }
}

impl Transport for Script {
    type Pending = ();

    async fn send(&mut self, outgoing: Outgoing<'_>) -> Result<(), CallError> {
        let Outgoing {
            method,
            message,
            envelope,
        } = outgoing;
        if let Envelope::Modern(version) = envelope {
            assert_eq!(
                message["params"]["_meta"]["io.modelcontextprotocol/protocolVersion"],
                version
            );
        }
        self.sent.push((method.to_owned(), format!("{envelope:?}")));
        Ok(())
    }

    async fn answer(&mut self, (): (), _: u64) -> Result<Value, CallError> {
        self.answers
            .pop_front()
            .unwrap_or(Err(CallError::Timeout(Duration::ZERO)))
    }
}

fn rpc(code: i64, data: Value) -> Result<Value, CallError> {
    Err(CallError::Rpc {
        error: RpcError {
            code,
            message: "refused".into(),
            data: Some(data),
        },
        status: Some(400),
    })
}

fn initialize_result(version: &str) -> Result<Value, CallError> {
    Ok(json!({
        "protocolVersion": version,
        "capabilities": {"tools": {}, "prompts": {}},
        "serverInfo": {"name": "demo", "version": "1.0"},
    }))
}

fn limits() -> Limits {
    Limits {
        timeout: Duration::from_secs(1),
        deadline: Instant::now() + Duration::from_secs(5),
    }
}

async fn agree(script: &mut Script) -> Result<Agreed, HandshakeError> {
    Client::new(script, limits(), false).agree().await
}

#[tokio::test]
async fn a_stateless_server_answers_discover() {
    let mut script = Script::new(vec![Ok(json!({
        "supportedVersions": ["2026-07-28"],
        "capabilities": {"tools": {"listChanged": true}},
        "_meta": {"io.modelcontextprotocol/serverInfo": {"name": "demo", "version": "2.0"}},
    }))]);
    let agreed = agree(&mut script).await.unwrap();
    assert_eq!(agreed.era, McpEra::Stateless);
    assert_eq!(agreed.version, "2026-07-28");
    assert_eq!(agreed.server.unwrap().version, "2.0");
    assert_eq!(agreed.capabilities, ["tools"]);
    assert_eq!(script.sent[0].1, "Modern(\"2026-07-28\")");
}

#[tokio::test]
async fn a_400_without_a_modern_error_falls_back_to_initialize() {
    // A 2025 SDK: no session id, so 400 with a plain JSON-RPC error.
    let mut script = Script::new(vec![
        rpc(-32600, json!(null)),
        initialize_result("2025-06-18"),
    ]);
    let agreed = agree(&mut script).await.unwrap();
    assert_eq!(agreed.era, McpEra::Handshake);
    assert_eq!(agreed.version, "2025-06-18");
    assert_eq!(
        script.methods(),
        ["server/discover", "initialize", "notifications/initialized"]
    );
    assert_eq!(script.sent[2].1, "Handshake(\"2025-06-18\")");

    let mut script = Script::new(vec![
        Err(CallError::Http(Box::new(HttpRefusal {
            status: 400,
            ..HttpRefusal::default()
        }))),
        initialize_result("2024-11-05"),
    ]);
    assert_eq!(agree(&mut script).await.unwrap().version, "2024-11-05");
}

#[tokio::test]
async fn a_recognised_modern_error_is_an_answer_not_a_fallback() {
    let mut script = Script::new(vec![rpc(-32020, json!(null))]);
    let err = agree(&mut script).await.unwrap_err();
    assert!(
        matches!(&err, HandshakeError::Call { step, error: CallError::Rpc { error, .. } } if step == "server/discover" && error.code == -32020),
        "{err:?}"
    );
    assert_eq!(script.methods(), ["server/discover"]);
}

#[tokio::test]
async fn only_unknown_versions_are_a_mismatch() {
    let mut script = Script::new(vec![rpc(-32022, json!({"supported": ["2027-03-01"]}))]);
    assert_eq!(
        agree(&mut script).await.unwrap_err(),
        HandshakeError::VersionMismatch {
            theirs: vec!["2027-03-01".into()],
            server: None
        }
    );

    // A stateless-only answer that also lists a handshake version: initialize.
    let mut script = Script::new(vec![
        rpc(-32022, json!({"supported": ["2025-11-25"]})),
        initialize_result("2025-11-25"),
    ]);
    assert_eq!(agree(&mut script).await.unwrap().era, McpEra::Handshake);

    let mut script = Script::new(vec![
        rpc(-32601, json!(null)),
        initialize_result("2024-10-07"),
    ]);
    match agree(&mut script).await.unwrap_err() {
        HandshakeError::VersionMismatch { theirs, server } => {
            assert_eq!(theirs, ["2024-10-07"]);
            assert_eq!(server.unwrap().name, "demo");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn discover_that_offers_no_stateless_version_means_initialize() {
    let mut script = Script::new(vec![
        Ok(json!({"supportedVersions": ["2025-11-25"], "capabilities": {}})),
        initialize_result("2025-11-25"),
    ]);
    assert_eq!(agree(&mut script).await.unwrap().era, McpEra::Handshake);
}

#[tokio::test]
async fn silence_leads_to_initialize_only_where_servers_ignore_early_requests() {
    let silent = || Err(CallError::Timeout(Duration::ZERO));
    let mut script = Script::new(vec![silent()]);
    assert!(matches!(
        agree(&mut script).await.unwrap_err(),
        HandshakeError::Call {
            error: CallError::Timeout(_),
            ..
        }
    ));
    let mut script = Script::new(vec![silent(), initialize_result("2025-03-26")]);
    let agreed = Client::new(&mut script, limits(), true).agree().await;
    assert_eq!(agreed.unwrap().version, "2025-03-26");
}

#[tokio::test]
async fn no_route_here_is_not_a_fallback() {
    let mut script = Script::new(vec![Err(CallError::Http(Box::new(HttpRefusal {
        status: 404,
        ..HttpRefusal::default()
    })))]);
    assert!(matches!(
        agree(&mut script).await.unwrap_err(),
        HandshakeError::Call {
            error: CallError::Http(refusal),
            ..
        } if refusal.status == 404
    ));
}

#[tokio::test]
async fn inventory_follows_pages_and_lists_only_what_is_announced() {
    let agreed = Agreed {
        era: McpEra::Stateless,
        version: "2026-07-28".into(),
        server: None,
        capabilities: vec!["tools".into(), "prompts".into()],
        server_versions: vec![],
    };
    let mut script = Script::new(vec![
        Ok(json!({"tools": [{"name": "a"}], "nextCursor": "2"})),
        Ok(json!({"tools": [{"name": "b"}, {"nameless": true}]})),
        Ok(json!({"prompts": [{"name": "p"}]})),
    ]);
    let mut client = Client::new(&mut script, limits(), false);
    let inventory = client.inventory(&agreed).await.unwrap();
    assert_eq!(client.steps.len(), 3);
    assert_eq!(
        inventory,
        Inventory {
            tools: Some(vec!["a".into(), "b".into()]),
            resources: None,
            prompts: Some(1),
        }
    );
    assert_eq!(
        script.methods(),
        ["tools/list", "tools/list", "prompts/list"]
    );
}

#[tokio::test]
async fn a_slow_starter_that_answers_discover_late_is_asked_again() {
    // stdio: discover goes unanswered in time, initialize is refused with
    // -32022 because the server took the discover after all.
    let mut script = Script::new(vec![
        Err(CallError::Timeout(Duration::from_secs(1))),
        rpc(-32022, json!({"supported": ["2026-07-28"]})),
        Ok(json!({
            "supportedVersions": ["2026-07-28"],
            "capabilities": {"tools": {}},
            "_meta": {"io.modelcontextprotocol/serverInfo": {"name": "demo", "version": "2.0"}},
        })),
    ]);
    let agreed = Client::new(&mut script, limits(), true)
        .agree()
        .await
        .unwrap();
    assert_eq!(agreed.era, McpEra::Stateless);
    assert_eq!(
        script.methods(),
        ["server/discover", "initialize", "server/discover"]
    );
}

#[tokio::test]
async fn every_version_the_server_names_is_kept() {
    // The TypeScript SDK, stateless: a version header it does not know gets
    // a 400 whose message lists what it supports; initialize then agrees on one.
    let mut script = Script::new(vec![
        Err(CallError::Rpc {
            error: RpcError {
                code: -32000,
                message: "Bad Request: Unsupported protocol version: 2026-07-28 (supported versions: 2025-11-25, 2025-06-18, 2025-03-26, 2024-11-05, 2024-10-07)".into(),
                data: None,
            },
            status: Some(400),
        }),
        initialize_result("2025-11-25"),
    ]);
    let agreed = agree(&mut script).await.unwrap();
    assert_eq!(agreed.version, "2025-11-25");
    assert_eq!(
        agreed.server_versions,
        [
            "2025-11-25",
            "2025-06-18",
            "2025-03-26",
            "2024-11-05",
            "2024-10-07"
        ]
    );

    // A -32022 names them in its data; the handshake then adds its own.
    let mut script = Script::new(vec![
        rpc(UNSUPPORTED_VERSION, json!({"supported": ["2025-06-18"]})),
        initialize_result("2025-06-18"),
    ]);
    let agreed = agree(&mut script).await.unwrap();
    assert_eq!(agreed.server_versions, ["2025-06-18"]);
}

#[tokio::test]
async fn a_patient_client_keeps_half_its_time_for_initialize() {
    // A stdio server that ignores requests before `initialize`.
    struct Silent;
    impl Transport for Silent {
        type Pending = ();
        async fn send(&mut self, _: Outgoing<'_>) -> Result<(), CallError> {
            Ok(())
        }
        async fn answer(&mut self, (): (), _: u64) -> Result<Value, CallError> {
            std::future::pending().await
        }
    }
    let timeout = Duration::from_millis(400);
    let limits = Limits {
        timeout,
        deadline: Instant::now() + timeout,
    };
    let mut silent = Silent;
    let mut client = Client::new(&mut silent, limits, true);
    let result = client.agree().await;
    assert!(
        matches!(&result, Err(HandshakeError::Call { step, error: CallError::Timeout(_) }) if step == "initialize"),
        "{result:?}"
    );
    let waits: Vec<(&str, Duration)> = client
        .unanswered
        .iter()
        .map(|(s, w)| (s.as_str(), *w))
        .collect();
    assert_eq!(waits[0], ("server/discover", timeout / 2));
    assert_eq!(waits[1].0, "initialize");
    // Both together stay within the one timeout.
    assert!(waits[0].1 + waits[1].1 <= timeout, "{waits:?}");
}
