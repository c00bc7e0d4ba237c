//! End to end in a real browser: headless Chromium, driven through
//! chromedriver, loads the helper's page, which loads the wasm module, which
//! talks to the helper over the WebSocket. Screenshots land in `artifacts/`.

mod support;

use fantoccini::Locator;
use support::browser::Browser;
use support::*;

#[tokio::test]
async fn page_checks_an_open_port_and_a_refused_one() {
    let helper = helper(&[]);
    let server = python_http("127.0.0.1");
    let closed = closed_port();
    let browser = Browser::start().await;
    browser.open(helper.addr).await;

    // An open port: the outcome per address and who listens.
    browser.check(&server.addr.to_string()).await;
    browser.wait_for(".pd-report[data-state=done]").await;
    let verdict = browser.wait_for(".pd-verdict").await;
    assert_eq!(
        verdict.attr("data-verdict").await.unwrap().as_deref(),
        Some("reachable")
    );
    let address = browser.wait_for(".pd-address[data-outcome=open]").await;
    assert!(
        address
            .text()
            .await
            .unwrap()
            .contains(&server.addr.to_string())
    );
    let listener = browser
        .wait_for(&format!(".pd-listener[data-pid=\"{}\"]", server.pid()))
        .await;
    let text = listener.text().await.unwrap();
    assert!(text.contains("python"), "{text}");
    assert!(text.contains(&server.addr.to_string()), "{text}");
    let progress = browser
        .client
        .find_all(Locator::Css(".pd-progress li"))
        .await
        .unwrap();
    assert!(
        progress.len() >= 3,
        "progress streamed: {} items",
        progress.len()
    );
    browser.screenshot("browser-reachable.png").await;

    // Copy as JSON gives the report contract, as `check --json` prints it.
    browser
        .wait_for(".pd-copy[data-format=json]")
        .await
        .click()
        .await
        .unwrap();
    let copied = browser.wait_for(".pd-copied[data-format=json]").await;
    let text = copied.prop("value").await.unwrap().unwrap_or_default();
    let report: serde_json::Value = serde_json::from_str(&text).expect("copied JSON");
    for key in [
        "target",
        "verdict",
        "addresses",
        "listeners",
        "service",
        "mcp",
        "findings",
        "elapsed_us",
    ] {
        assert!(report.get(key).is_some(), "{key} missing from {text}");
    }
    assert_eq!(report["verdict"], "reachable");
    assert_eq!(report["listeners"][0]["pid"], server.pid());
    browser
        .wait_for(".pd-copy[data-format=markdown]")
        .await
        .click()
        .await
        .unwrap();
    let copied = browser.wait_for(".pd-copied[data-format=markdown]").await;
    let text = copied.prop("value").await.unwrap().unwrap_or_default();
    assert!(text.starts_with("### portdoctor:"), "{text}");

    // A refused port: its finding, with cause and fix.
    browser.check(&format!("127.0.0.1:{closed}")).await;
    let finding = browser
        .wait_for(".pd-finding[data-code=nothing-listening]")
        .await;
    assert_eq!(
        finding.attr("data-severity").await.unwrap().as_deref(),
        Some("error")
    );
    let fix = finding.find(Locator::Css(".pd-fix")).await.unwrap();
    assert!(fix.text().await.unwrap().contains("Start the server"));
    let verdict = browser.wait_for(".pd-verdict").await;
    assert_eq!(
        verdict.attr("data-verdict").await.unwrap().as_deref(),
        Some("unreachable")
    );
    browser.wait_for(".pd-address[data-outcome=refused]").await;
    browser.screenshot("browser-refused.png").await;

    // Garbage input is explained, not a crash.
    browser.check("localhost:619009").await;
    let finding = browser
        .wait_for(".pd-finding[data-code=port-out-of-range]")
        .await;
    let summary = finding.find(Locator::Css(".pd-summary")).await.unwrap();
    assert!(summary.text().await.unwrap().contains("65535"));
    browser.screenshot("browser-out-of-range.png").await;

    browser.client.close().await.unwrap();
}

#[tokio::test]
async fn page_renders_an_mcp_report_and_checks_a_configured_server() {
    let http = mcp_server("demo_server.py", &["streamable-http"]);
    let url = format!("http://{}/mcp", http.addr);
    let dir = TempDir::new("browser-mcp");
    let config = mcp_config(&dir, &url);
    let helper = helper(&["--mcp-config", config.to_str().unwrap()]);
    let browser = Browser::start().await;
    browser.open(helper.addr).await;

    // An MCP URL: the report has an MCP section with who, what and how.
    browser.check(&url).await;
    let mcp = browser
        .wait_for(".pd-mcp[data-transport=streamable-http]")
        .await;
    assert_eq!(
        mcp.attr("data-era").await.unwrap().as_deref(),
        Some("stateless")
    );
    let text = |css: &'static str| {
        let mcp = mcp.clone();
        async move {
            mcp.find(Locator::Css(css))
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
        }
    };
    assert_eq!(text(".pd-mcp-server").await, "portdoctor-demo 1.4.2");
    assert_eq!(text(".pd-mcp-protocol").await, "2026-07-28");
    assert_eq!(text(".pd-mcp-tool-count").await, "2 tools");
    let tools = mcp
        .find_all(Locator::Css(".pd-mcp-tools li"))
        .await
        .unwrap();
    let mut names = Vec::new();
    for tool in tools {
        names.push(tool.text().await.unwrap());
    }
    assert_eq!(names, ["add", "echo"]);
    browser.wait_for(".pd-finding[data-code=mcp-ok]").await;
    browser.scroll_to(&mcp).await;
    browser.screenshot("browser-mcp.png").await;

    // The configured servers, each with a Check button that names it.
    browser
        .wait_for(".pd-mcp-entry[data-name=demo] .pd-mcp-check")
        .await
        .click()
        .await
        .unwrap();
    let stdio = browser.wait_for(".pd-mcp[data-transport=stdio]").await;
    let server = stdio.find(Locator::Css(".pd-mcp-server")).await.unwrap();
    assert_eq!(server.text().await.unwrap(), "portdoctor-demo 1.4.2");
    browser.scroll_to(&stdio).await;
    browser.screenshot("browser-mcp-stdio.png").await;

    browser.client.close().await.unwrap();
}

#[tokio::test]
async fn page_names_the_service_and_explains_tls_expected() {
    let helper = helper(&[]);
    let redis = support::peers::redis();
    let scratch = TempDir::new("browser-nginx");
    let nginx = support::peers::nginx(true, &scratch);
    let browser = Browser::start().await;
    browser.open(helper.addr).await;

    browser.check(&redis.addr.to_string()).await;
    let card = browser.wait_for(".pd-service[data-protocol=redis]").await;
    assert!(card.text().await.unwrap().contains("Redis"));
    browser.screenshot("browser-redis.png").await;

    browser.check(&format!("http://{}/", nginx.addr)).await;
    let finding = browser
        .wait_for(".pd-finding[data-code=tls-expected]")
        .await;
    let fix = finding.find(Locator::Css(".pd-fix")).await.unwrap();
    assert!(
        fix.text()
            .await
            .unwrap()
            .contains(&format!("https://{}/", nginx.addr))
    );
    browser.screenshot("browser-tls-expected.png").await;
    browser.client.close().await.unwrap();
}

#[tokio::test]
async fn share_links_run_at_once_and_the_page_reconnects_by_itself() {
    let helper = helper(&[]);
    let port = helper.addr.port();
    let server = python_http("127.0.0.1");
    let browser = Browser::start().await;
    // The page drops the handle `mount` returns: the checker must not care.
    browser
        .client
        .goto(&format!("http://{}/?check={}", helper.addr, server.addr))
        .await
        .unwrap();
    browser
        .wait_for(".pd-verdict[data-verdict=reachable]")
        .await;

    // The helper goes away: the page says so and keeps the report.
    drop(helper);
    browser.wait_for(".pd-status[data-state=closed]").await;
    browser
        .wait_for(".pd-verdict[data-verdict=reachable]")
        .await;
    browser.screenshot("browser-helper-gone.png").await;

    // It comes back on the same port: the page reconnects without a click.
    let _helper = helper_on(port, &[]);
    browser.wait_for(".pd-status[data-state=open]").await;
    let closed = closed_port();
    browser.check(&format!("127.0.0.1:{closed}")).await;
    browser
        .wait_for(".pd-finding[data-code=nothing-listening]")
        .await;
    browser.client.close().await.unwrap();
}

/// A docs page `name.html` on its own origin with `<port-check>` elements
/// for `checks` (element id, target) talking to the helper on `helper_port`.
/// Each page gets its own name: a browser may reuse a page it just loaded.
fn docs_page(dir: &TempDir, name: &str, helper_port: u16, checks: &[(&str, String)]) {
    let out = portdoctor(&["embed", "--out", dir.0.to_str().unwrap()]);
    assert!(out.status.success(), "portdoctor embed failed");
    let elements: String = checks
        .iter()
        .map(|(id, target)| {
            format!(
                "<port-check id=\"{id}\" target=\"{target}\" label=\"{id}\" port=\"{helper_port}\"></port-check>\n"
            )
        })
        .collect();
    let page = format!(
        "<!doctype html><meta charset=utf-8><title>docs</title>\n<script type=\"module\" src=\"./embed.js\"></script>\n<h1>Start the server</h1>\n{elements}"
    );
    std::fs::write(dir.path(&format!("{name}.html")), page).unwrap();
}

#[tokio::test]
async fn the_docs_embed_shows_up_down_not_allowed_and_not_running() {
    let server = python_http("127.0.0.1");
    let closed = closed_port();
    let docs_dir = TempDir::new("docs");
    let docs = python_http_serving(&docs_dir.0);
    let origin = format!("http://127.0.0.1:{}", docs.addr.port());
    let allowing = helper(&["--allow-origin", &origin]);
    let refusing = helper(&[]);
    // Bound but never listening: refused, and no other process can take it.
    let reserved =
        socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    reserved
        .bind(&std::net::SocketAddr::from(([127, 0, 0, 1], 0)).into())
        .unwrap();
    let absent = reserved.local_addr().unwrap().as_socket().unwrap().port();
    docs_page(
        &docs_dir,
        "allowed",
        allowing.addr.port(),
        &[
            ("up", server.addr.to_string()),
            ("down", format!("127.0.0.1:{closed}")),
        ],
    );
    let browser = Browser::start().await;
    browser
        .client
        .goto(&format!("{origin}/allowed.html"))
        .await
        .unwrap();
    browser.wait_for("#up .pd-embed[data-state=up]").await;
    let down = browser.wait_for("#down .pd-embed[data-state=down]").await;
    let fix = down.find(Locator::Css(".pd-embed-fix")).await.unwrap();
    assert!(fix.text().await.unwrap().contains("Start the server"));
    browser.screenshot("embed-up-down.png").await;

    // A helper that does not allow the docs' origin, and no helper at all.
    docs_page(
        &docs_dir,
        "refused",
        refusing.addr.port(),
        &[("refused", server.addr.to_string())],
    );
    browser
        .client
        .goto(&format!("{origin}/refused.html"))
        .await
        .unwrap();
    let refused = browser
        .wait_for("#refused .pd-embed[data-state=not-allowed]")
        .await;
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains(&format!("--allow-origin {origin}"))
    );
    docs_page(
        &docs_dir,
        "absent",
        absent,
        &[("absent", server.addr.to_string())],
    );
    browser
        .client
        .goto(&format!("{origin}/absent.html"))
        .await
        .unwrap();
    browser
        .wait_for("#absent .pd-embed[data-state=not-running]")
        .await;
    browser.screenshot("embed-not-running.png").await;
    browser.client.close().await.unwrap();
}
