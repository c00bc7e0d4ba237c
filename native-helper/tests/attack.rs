//! A hostile page in a real browser: served from another local origin, it
//! tries to open the helper's WebSocket, run a check and read the page API.
//! The helper must refuse, and the check's target must see no connection.

mod support;

use std::net::TcpListener;

use support::browser::Browser;
use support::*;

/// The attacker's page: reports what it managed in data attributes.
const EVIL_PAGE: &str = r#"<!doctype html>
<div id="out">waiting</div>
<script>
  const query = new URLSearchParams(location.search);
  const helper = query.get("helper");
  const out = document.getElementById("out");
  const ws = new WebSocket(`ws://${helper}/ws`);
  ws.onopen = () => {
    out.dataset.ws = "open";
    ws.send(JSON.stringify({ type: "hello", protocol: 1 }));
    ws.send(JSON.stringify({ type: "check", id: 1, target: query.get("target") }));
  };
  ws.onerror = () => { out.dataset.ws = "refused"; };
  fetch(`http://${helper}/api/health`)
    .then((r) => r.text())
    .then((t) => { out.dataset.fetch = "read " + t; },
          () => { out.dataset.fetch = "blocked"; });
</script>
"#;

#[tokio::test]
async fn pages_of_other_origins_cannot_use_the_helper() {
    let helper = helper(&[]);
    let dir = std::env::temp_dir().join(format!("portdoctor-evil-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("evil.html"), EVIL_PAGE).unwrap();
    let evil = python_http_serving(&dir);
    // The port the attacker wants checked; nothing must ever connect to it.
    let target = TcpListener::bind("127.0.0.1:0").unwrap();
    target.set_nonblocking(true).unwrap();
    let target_addr = target.local_addr().unwrap();

    let browser = Browser::start().await;
    let port = helper.addr.port();
    for (page_host, helper_host) in [
        ("127.0.0.1", "127.0.0.1"),
        ("localhost", "localhost"),
        ("localhost", "127.0.0.1"),
    ] {
        let url = format!(
            "http://{page_host}:{}/evil.html?helper={helper_host}:{port}&target={target_addr}",
            evil.addr.port()
        );
        browser.client.goto(&url).await.unwrap();
        browser.wait_for("#out[data-ws=refused]").await;
        assert_eq!(
            browser.attr("#out[data-fetch]", "data-fetch").await,
            "blocked",
            "{url}: the page read the helper's API"
        );
    }
    browser.screenshot("attack-refused.png").await;
    let accepted = target.accept();
    assert!(
        matches!(&accepted, Err(e) if e.kind() == std::io::ErrorKind::WouldBlock),
        "the target saw a connection: {accepted:?}"
    );
    browser.client.close().await.unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}
