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
