//! End to end in a real browser: headless Chromium, driven through
//! chromedriver, loads the helper's page, which loads the wasm module, which
//! talks to the helper over the WebSocket. Screenshots land in `artifacts/`.

mod support;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use support::*;

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// A browser session; chromedriver and its Chromium die with it.
struct Browser {
    client: Client,
    _driver: Running,
    _profile: TempDir,
}

impl Browser {
    async fn start() -> Self {
        for path in [CHROMIUM, CHROMEDRIVER] {
            assert!(
                std::path::Path::new(path).exists(),
                "{path} is missing: install Debian's chromium and chromium-driver (apt-get install chromium chromium-driver)"
            );
        }
        let mut command = Command::new(CHROMEDRIVER);
        command.arg("--port=0");
        let driver = spawn_announcing(command, true, |line| {
            let port = line
                .strip_prefix("ChromeDriver was started successfully on port ")?
                .trim_end_matches('.')
                .parse::<u16>()
                .ok()?;
            Some(SocketAddr::from(([127, 0, 0, 1], port)))
        });
        let profile = TempDir::new("chromium");
        let args = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--window-size=1100,1000",
        ];
        let mut args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        args.push(format!("--user-data-dir={}", profile.0.display()));
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            serde_json::json!({ "binary": CHROMIUM, "args": args }),
        );
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&format!("http://{}", driver.addr))
            .await
            .expect("chromedriver session");
        Self {
            client,
            _driver: driver,
            _profile: profile,
        }
    }

    /// Waits (polling the DOM, bounded) for an element matching `css`.
    async fn wait_for(&self, css: &str) -> fantoccini::elements::Element {
        self.client
            .wait()
            .at_most(Duration::from_secs(20))
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no element {css} appeared: {e}"))
    }

    async fn check(&self, target: &str) {
        let input = self.wait_for(".pd-form input[name=target]").await;
        input.clear().await.unwrap();
        input.send_keys(target).await.unwrap();
        self.wait_for(".pd-form button[type=submit]")
            .await
            .click()
            .await
            .unwrap();
    }

    /// Brings an element into the viewport, for a screenshot that shows it.
    async fn scroll_to(&self, element: &fantoccini::elements::Element) {
        let element = serde_json::to_value(element).unwrap();
        self.client
            .execute("arguments[0].scrollIntoView()", vec![element])
            .await
            .unwrap();
    }

    async fn screenshot(&self, name: &str) {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../artifacts");
        std::fs::create_dir_all(&dir).unwrap();
        let png = self.client.screenshot().await.unwrap();
        assert!(png.starts_with(b"\x89PNG"), "a PNG screenshot");
        std::fs::write(dir.join(name), png).unwrap();
    }
}

#[tokio::test]
async fn page_checks_an_open_port_and_a_refused_one() {
    let helper = helper(&[]);
    let server = python_http("127.0.0.1");
    let closed = closed_port();
    let browser = Browser::start().await;
    let page = format!("http://{}/", helper.addr);
    browser.client.goto(&page).await.unwrap();
    browser.wait_for(".pd-status[data-state=open]").await;

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
    browser
        .client
        .goto(&format!("http://{}/", helper.addr))
        .await
        .unwrap();
    browser.wait_for(".pd-status[data-state=open]").await;

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
