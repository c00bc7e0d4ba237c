//! End to end in a real browser: headless Chromium, driven through
//! chromedriver, loads the helper's page, which loads the wasm module, which
//! talks to the helper over the WebSocket. Screenshots land in `artifacts/`.

mod support;

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
    assert_eq!(
        browser.attr(".pd-verdict", "data-verdict").await,
        "reachable"
    );
    let address = browser.text(".pd-address[data-outcome=open]").await;
    assert!(address.contains(&server.addr.to_string()), "{address}");
    let text = browser
        .text(&format!(".pd-listener[data-pid=\"{}\"]", server.pid()))
        .await;
    assert!(text.contains("python"), "{text}");
    assert!(text.contains(&server.addr.to_string()), "{text}");
    let progress = browser.count(".pd-progress li").await;
    assert!(progress >= 3, "progress streamed: {progress} items");
    browser.screenshot("browser-reachable.png").await;

    // A refused port: its finding, with cause and fix.
    browser.check(&format!("127.0.0.1:{closed}")).await;
    let finding = ".pd-finding[data-code=nothing-listening]";
    assert_eq!(browser.attr(finding, "data-severity").await, "error");
    let fix = browser.text(&format!("{finding} .pd-fix")).await;
    assert!(fix.contains("Start the server"), "{fix}");
    assert_eq!(
        browser.attr(".pd-verdict", "data-verdict").await,
        "unreachable"
    );
    browser.wait_for(".pd-address[data-outcome=refused]").await;
    browser.screenshot("browser-refused.png").await;

    // Garbage input is explained, not a crash.
    browser.check("localhost:619009").await;
    let summary = browser
        .text(".pd-finding[data-code=port-out-of-range] .pd-summary")
        .await;
    assert!(summary.contains("65535"), "{summary}");
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
    let mcp = ".pd-mcp[data-transport=streamable-http]";
    assert_eq!(browser.attr(mcp, "data-era").await, "stateless");
    let text = async |part: &str| browser.text(&format!("{mcp} {part}")).await;
    assert_eq!(text(".pd-mcp-server").await, "portdoctor-demo 1.4.2");
    assert_eq!(text(".pd-mcp-protocol").await, "2026-07-28");
    assert_eq!(text(".pd-mcp-tool-count").await, "2 tools");
    let names = browser.texts(&format!("{mcp} .pd-mcp-tools li")).await;
    assert_eq!(names, ["add", "echo"]);
    browser.wait_for(".pd-finding[data-code=mcp-ok]").await;
    browser.scroll_to(mcp).await;
    browser.screenshot("browser-mcp.png").await;

    // The configured servers, each with a Check button that names it.
    browser
        .wait_for(".pd-mcp-config[data-state=listed]:not([hidden])")
        .await;
    browser
        .click(".pd-mcp-entry[data-name=demo] .pd-mcp-check")
        .await;
    let stdio = ".pd-mcp[data-transport=stdio]";
    let server = browser.text(&format!("{stdio} .pd-mcp-server")).await;
    assert_eq!(server, "portdoctor-demo 1.4.2");
    browser.scroll_to(stdio).await;
    browser.screenshot("browser-mcp-stdio.png").await;

    browser.client.close().await.unwrap();
}

/// Most people use no desktop assistant: without its configuration the
/// check view shows no MCP section and ends with no MCP advice.
#[tokio::test]
async fn without_an_assistant_configuration_the_page_says_nothing_about_mcp() {
    let home = TempDir::new("browser-no-assistant");
    let helper = helper_without_assistant(&home);
    let closed = closed_port();
    let browser = page(&helper, "/").await;
    browser.check(&format!("127.0.0.1:{closed}")).await;
    browser.wait_for(".pd-report[data-state=done]").await;
    // The helper said there is no configuration: the section stays away.
    browser
        .wait_for(".pd-mcp-config[data-state=none][hidden]")
        .await;
    let shown = browser
        .run("arguments[0](document.querySelector('.pd-view[data-view=check]').innerText)")
        .await;
    let shown = shown.as_str().unwrap();
    for word in ["MCP", "claude_desktop_config", "--config", "--mcp-config"] {
        assert!(!shown.contains(word), "{word:?} in the check view: {shown}");
    }
    browser.screenshot("page-no-assistant.png").await;
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
    let card = browser.text(".pd-service[data-protocol=redis]").await;
    assert!(card.contains("Redis"), "{card}");
    browser.screenshot("browser-redis.png").await;

    browser.check(&format!("http://{}/", nginx.addr)).await;
    let fix = browser
        .text(".pd-finding[data-code=tls-expected] .pd-fix")
        .await;
    assert!(fix.contains(&format!("https://{}/", nginx.addr)), "{fix}");
    browser.screenshot("browser-tls-expected.png").await;
    browser.client.close().await.unwrap();
}

/// A port held by a forwarder: the report shows where it forwards and how
/// the far end answered, and the progress says so as it happens.
#[tokio::test]
async fn the_page_shows_the_forwarder_and_its_far_end() {
    let helper = helper(&[]);
    let closed = closed_port();
    let far = format!("127.0.0.1:{closed}");
    let socat = support::peers::spawn_listening(|port| support::peers::socat(port, &far));
    let browser = Browser::start().await;
    browser.open(helper.addr).await;

    browser.check(&socat.addr.to_string()).await;
    browser
        .wait_for(".pd-finding[data-code=forward-target-refused]")
        .await;
    let forward = browser.text(".pd-forward[data-far-end=refused]").await;
    assert!(
        forward.contains(&format!("socat (pid {})", socat.pid())),
        "{forward}"
    );
    assert!(forward.contains(&far), "{forward}");
    let progress = browser.text(".pd-progress").await;
    assert!(
        progress.contains(&format!("forwards to {far}: refused")),
        "{progress}"
    );
    browser.screenshot("browser-forward.png").await;
    browser.client.close().await.unwrap();
}

/// A browser on the helper's page at `path` (e.g. `/?check=…`), connected.
async fn page(helper: &Running, path: &str) -> Browser {
    let browser = Browser::start().await;
    browser.open_at(helper.addr, path).await;
    browser
}

#[tokio::test]
async fn a_share_link_runs_its_check_and_the_json_copy_is_the_report_contract() {
    let helper = helper(&[]);
    let server = python_http("127.0.0.1");
    let target = server.addr.to_string();
    let browser = page(&helper, &format!("/?check={target}")).await;

    // The check ran on load, was remembered, and its JSON is what the CLI prints.
    browser.wait_for(".pd-report[data-state=done]").await;
    assert_eq!(
        browser.attr(".pd-verdict", "data-verdict").await,
        "reachable"
    );
    let json = browser
        .attr(".pd-copy[data-format=json]", "data-copy")
        .await;
    let copied: serde_json::Value = serde_json::from_str(&json).unwrap();
    let (cli, _) = check_json(&portdoctor(&["check", &target, "--json"]));
    let keys = |v: &serde_json::Value| {
        let mut keys: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        keys.sort();
        keys
    };
    assert_eq!(keys(&copied), keys(&cli));
    for field in ["target", "verdict"] {
        assert_eq!(copied[field], cli[field], "{field}");
    }
    // The same listener; how many connections wait in its queue is a moment's.
    let owners = |report: &serde_json::Value| -> Vec<[serde_json::Value; 4]> {
        report["listeners"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| ["local_addr", "pid", "process", "user"].map(|k| l[k].clone()))
            .collect()
    };
    assert_eq!(owners(&copied), owners(&cli));
    assert_eq!(copied["addresses"][0]["outcome"], "open");
    let markdown = browser
        .attr(".pd-copy[data-format=markdown]", "data-copy")
        .await;
    assert!(markdown.starts_with(&format!("### portdoctor: `{target}` is reachable")));
    let link = browser
        .attr(".pd-copy[data-format=link]", "data-copy")
        .await;
    assert_eq!(
        link,
        format!(
            "http://{}/?check={}",
            helper.addr,
            target.replace(':', "%3A")
        )
    );

    // The button puts that text on the clipboard.
    browser.set_permission("clipboard-read", "granted").await;
    browser.set_permission("clipboard-write", "granted").await;
    browser.click(".pd-copy[data-format=json]").await;
    browser
        .text_when(".pd-copy-status", |s| s == "Copied to the clipboard.")
        .await;
    let clipboard = browser
        .run("navigator.clipboard.readText().then(arguments[0], e => arguments[0](String(e)))")
        .await;
    assert_eq!(clipboard.as_str(), Some(json.as_str()));
    browser.screenshot("page-shared-check.png").await;

    // Readable on a 320 px phone: nothing wider than the screen.
    browser.client.set_window_size(320, 800).await.unwrap();
    let width = browser
        .run("arguments[0](document.documentElement.scrollWidth)")
        .await;
    assert!(width.as_u64().unwrap() <= 320, "page is {width} px wide");
    browser.screenshot("page-320px.png").await;
    browser.client.set_window_size(1100, 1000).await.unwrap();

    // Recent targets outlive the page; a click checks again.
    browser
        .client
        .goto(&format!("http://{}/", helper.addr))
        .await
        .unwrap();
    browser
        .click(&format!(".pd-recent-item[data-target=\"{target}\"]"))
        .await;
    browser.wait_for(".pd-report[data-state=done]").await;
    browser.client.close().await.unwrap();
}

#[tokio::test]
async fn the_machine_view_lists_a_listener_the_test_opened_and_checks_it() {
    let helper = helper(&[]);
    let server = python_http("127.0.0.1");
    let port = server.addr.port();
    let browser = page(&helper, "/").await;
    browser.click(".pd-tab[data-view=machine]").await;
    let row = format!(".pd-machine-row[data-pid=\"{}\"]", server.pid());
    let text = browser.text(&row).await;
    assert!(text.contains("python"), "{text}");
    assert!(
        text.contains(&port.to_string()) && text.contains("IPv4"),
        "{text}"
    );

    // Filtering by port leaves that listener alone; sorting keeps it.
    browser
        .type_into(".pd-machine-filter", &port.to_string())
        .await;
    browser
        .text_when(".pd-machine-count", |c| c.starts_with("1 of "))
        .await;
    browser.click(".pd-sort[data-column=process]").await;
    browser
        .wait_for("th[aria-sort=ascending] .pd-sort[data-column=process]")
        .await;
    let focused = browser
        .run("arguments[0](document.activeElement.dataset.column)")
        .await;
    assert_eq!(focused, "process", "the keyboard stays on the header");
    browser.wait_for(&row).await;
    browser.screenshot("page-machine.png").await;

    // Can a server use that port? No: the bind check names the same holder.
    browser
        .type_into(".pd-bind-form input", &format!("{port}\n"))
        .await;
    let holder = browser
        .text(&format!(
            ".pd-bind-body[data-state=in-use] .pd-listener[data-pid=\"{}\"]",
            server.pid()
        ))
        .await;
    assert!(holder.contains("python"), "{holder}");
    browser.screenshot("page-bind-check.png").await;

    // Only [::1] held: the CLI's words, and the warning's colour, not red.
    let v6 = python_http("::1");
    browser
        .type_into(".pd-bind-form input", &format!("{}\n", v6.addr.port()))
        .await;
    let answer = browser
        .text_when(".pd-bind-answer", |text| text.contains("IPv4 free"))
        .await;
    assert_eq!(
        answer,
        format!("Port {}: IPv6 loopback taken, IPv4 free.", v6.addr.port())
    );
    assert_eq!(
        browser
            .attr(".pd-bind-body .pd-finding", "data-severity")
            .await,
        "warning"
    );
    let same = browser
        .run(
            "const color = css => getComputedStyle(document.querySelector(css)).color;
             arguments[0](color('.pd-bind-answer') === color('.pd-bind-body .pd-severity'));",
        )
        .await;
    assert_eq!(same, true, "the answer and its badge agree");

    // A click on the row checks it.
    browser.click(&format!("{row} .pd-machine-check")).await;
    browser
        .wait_for(".pd-tab[data-view=check][aria-selected=true]")
        .await;
    browser.wait_for(".pd-report[data-state=done]").await;
    assert_eq!(
        browser.prop(".pd-form input[name=target]", "value").await,
        server.addr.to_string()
    );
    browser.client.close().await.unwrap();
}

#[tokio::test]
async fn the_watch_turns_green_once_the_service_starts() {
    let helper = helper(&[]);
    let closed = closed_port();
    let target = format!("127.0.0.1:{closed}");
    let browser = page(&helper, "/").await;
    browser.click(".pd-tab[data-view=watch]").await;
    browser
        .type_into(".pd-watch-form input", &format!("{target}\n"))
        .await;
    browser
        .wait_for(".pd-watch-status[data-state=waiting]")
        .await;
    browser.screenshot("page-watch-waiting.png").await;

    let _listener = closed.listen();
    let up = browser.text(".pd-watch-status[data-state=up]").await;
    assert!(
        up.starts_with(&format!("{target} is up: it answered after ")),
        "{up}"
    );
    browser.screenshot("page-watch-up.png").await;
    browser.client.close().await.unwrap();
}

/// nginx answering 502 for a dead upstream accepts connections but does
/// not work: the watch waits for it to work unless told that anything
/// accepting is enough.
#[tokio::test]
async fn the_watch_waits_for_a_working_service_unless_anything_accepting_will_do() {
    let helper = helper(&[]);
    let scratch = TempDir::new("browser-nginx-watch");
    let nginx = support::peers::nginx(false, &scratch);
    let url = format!("http://{}/down", nginx.addr);
    let browser = page(&helper, "/?view=watch").await;
    assert_eq!(browser.prop(".pd-until", "value").await, "healthy");
    browser
        .type_into(
            ".pd-watch-form input[name=watch-target]",
            &format!("{url}\n"),
        )
        .await;
    // It answered, with its 502, and the watch goes on waiting.
    let waiting = browser
        .text_when(".pd-watch-status", |text| text.contains("Last attempt:"))
        .await;
    assert!(waiting.contains("upstream is down"), "{waiting}");
    // And what to do about it, not only what is wrong.
    let next = browser.text(".pd-watch .pd-fix").await;
    assert!(next.contains("start that service"), "{next}");
    assert_eq!(
        browser.attr(".pd-watch-status", "data-state").await,
        "waiting"
    );
    browser.screenshot("page-watch-502-waiting.png").await;

    // Anything accepting will do: the next attempt is up.
    browser.click(".pd-until option[value=accepts]").await;
    let up = browser.text(".pd-watch-status[data-state=up]").await;
    assert!(
        up.starts_with(&format!(
            "{url} is accepting connections: it answered after "
        )),
        "{up}"
    );
    browser.screenshot("page-watch-502-accepts.png").await;
    browser.client.close().await.unwrap();
}

#[tokio::test]
async fn the_page_keeps_its_report_and_reconnects_when_the_helper_restarts() {
    let first = helper(&[]);
    let port = first.addr.port();
    let closed = closed_port();
    let browser = page(&first, "/").await;
    browser.check(&format!("127.0.0.1:{closed}")).await;
    browser.wait_for(".pd-report[data-state=done]").await;

    drop(first);
    let status = browser
        .text(".pd-status[data-state=closed] .pd-status-text")
        .await;
    assert!(status.contains("reconnects by itself"), "{status}");
    browser
        .wait_for(".pd-verdict[data-verdict=unreachable]")
        .await;
    browser.screenshot("page-helper-gone.png").await;

    let _second = helper_on(port, &[]);
    browser.wait_for(".pd-status[data-state=open]").await;
    browser.check(&format!("127.0.0.1:{closed}")).await;
    browser.wait_for(".pd-report[data-state=done]").await;
    browser.client.close().await.unwrap();
}

#[tokio::test]
async fn a_mount_whose_handle_is_dropped_survives_garbage_collection() {
    let helper = helper(&[]);
    let closed = closed_port();
    // The page itself drops the handle `mount()` returns.
    let browser = page(&helper, "/").await;
    let collected = browser
        .run(
            "const done = arguments[0];
             const turns = (n) => n ? new Promise(r => setTimeout(r, 100)).then(() => { gc(); return turns(n - 1); }) : null;
             turns(5).then(() => done(typeof gc))",
        )
        .await;
    assert_eq!(collected, "function", "gc() is exposed");
    browser.check(&format!("127.0.0.1:{closed}")).await;
    browser
        .wait_for(".pd-verdict[data-verdict=unreachable]")
        .await;

    // unmount() is what takes a component away.
    let left = browser
        .run(
            "import('/pkg/wasm_probe.js').then(m => {
               const handle = m.mount(document.body, {});
               const mounted = document.querySelectorAll('.pd-checker').length;
               handle.unmount();
               arguments[0]([mounted, document.querySelectorAll('.pd-checker').length]);
             })",
        )
        .await;
    assert_eq!(left, serde_json::json!([2, 1]));
    browser.client.close().await.unwrap();
}

/// A docs page on its own origin (python's http.server) with the embed's
/// files as `portdoctor embed` writes them, and `body` as its content.
struct DocsSite {
    server: Running,
    dir: TempDir,
}

impl DocsSite {
    fn start() -> Self {
        let dir = TempDir::new("docs");
        let out = portdoctor(&["embed", "--out", dir.path("portdoctor").to_str().unwrap()]);
        assert!(out.status.success(), "{out:?}");
        let server = python_http_serving(&dir.0);
        Self { server, dir }
    }

    fn origin(&self) -> String {
        format!("http://{}", self.server.addr)
    }

    /// Writes the page; returns its URL.
    fn page(&self, body: &str) -> String {
        let html = format!(
            "<!doctype html><html lang=en><meta charset=utf-8><title>Docs</title>\
             <script type=module src=portdoctor/embed.js></script>\
             <body><h1>Getting started</h1><p>Start the server, then watch this box:</p>{body}"
        );
        std::fs::write(self.dir.path("index.html"), html).unwrap();
        format!("{}/index.html", self.origin())
    }
}

/// Established TCP connections to `port` on loopback, as `ss` sees them.
fn connections_to(port: u16) -> usize {
    let out = std::process::Command::new("ss")
        .args([
            "-Htn",
            "state",
            "established",
            &format!("( dport = :{port} )"),
        ])
        .output()
        .expect("run ss");
    String::from_utf8_lossy(&out.stdout).lines().count()
}

#[tokio::test]
async fn the_embed_on_an_allowed_docs_site_shows_up_and_down_over_one_socket() {
    let docs = DocsSite::start();
    let helper = helper(&["--allow-origin", &docs.origin()]);
    let closed = closed_port();
    let up = docs.server.addr;
    let url = docs.page(&format!(
        "<port-check target=\"{up}\" expect=\"http\" label=\"The docs server\" port=\"{port}\"></port-check>\
         <port-check target=\"127.0.0.1:{closed}\" port=\"{port}\"></port-check>",
        port = helper.addr.port()
    ));
    let browser = Browser::start().await;
    browser.client.goto(&url).await.unwrap();

    let text = browser
        .text(&format!(".pd-embed[data-target=\"{up}\"][data-state=up]"))
        .await;
    assert!(text.starts_with("The docs server is up (http)"), "{text}");
    let down = format!(".pd-embed[data-target=\"127.0.0.1:{closed}\"][data-state=down]");
    let text = browser.text(&down).await;
    assert!(text.contains("is down: Nothing is listening"), "{text}");
    let fix = browser.text(&format!("{down} .pd-embed-fix")).await;
    assert!(fix.contains("Start the server"), "{fix}");
    assert_eq!(connections_to(helper.addr.port()), 1, "one shared socket");
    browser.screenshot("embed-up-and-down.png").await;
    browser.client.close().await.unwrap();
}

#[tokio::test]
async fn the_embed_on_a_site_the_helper_does_not_allow_says_so() {
    let docs = DocsSite::start();
    let helper = helper(&[]);
    let nothing = closed_port();
    let url = docs.page(&format!(
        "<port-check target=\"localhost:8080\" port=\"{}\"></port-check>\
         <port-check target=\"localhost:3000\" port=\"{nothing}\"></port-check>",
        helper.addr.port()
    ));
    let browser = Browser::start().await;
    browser.client.goto(&url).await.unwrap();

    let refused = browser
        .text(".pd-embed[data-target=\"localhost:8080\"][data-state=not-allowed]")
        .await;
    assert!(refused.contains("does not accept this site"), "{refused}");
    let command = browser
        .text(".pd-embed[data-state=not-allowed] .pd-cmd")
        .await;
    assert!(
        command.starts_with(&format!("portdoctor --allow-origin {}", docs.origin())),
        "{command}"
    );
    let log = helper.stderr();
    assert!(
        log.contains("websocket refused") && log.contains(&docs.origin()),
        "{log}"
    );

    // No helper at all on that port: how to start one.
    let missing = browser
        .text(".pd-embed[data-target=\"localhost:3000\"][data-state=not-running]")
        .await;
    assert!(missing.contains("portdoctor is not running"), "{missing}");
    browser.screenshot("embed-not-allowed.png").await;
    browser.client.close().await.unwrap();
}

#[tokio::test]
async fn the_embed_explains_a_denied_local_network_access_prompt() {
    let docs = DocsSite::start();
    let helper = helper(&["--allow-origin", &docs.origin()]);
    // The docs page counts as a public site, as on the real web.
    let public = format!("--ip-address-space-overrides={}=public", docs.server.addr);
    let browser = Browser::start_with(&[public]).await;
    let url = docs.page(&format!(
        "<port-check target=\"localhost:8080\" port=\"{}\"></port-check>",
        helper.addr.port()
    ));
    browser.client.goto(&url).await.unwrap();
    browser.set_permission("loopback-network", "denied").await;
    browser.client.refresh().await.unwrap();
    let text = browser
        .text(".pd-embed[data-state=permission-denied]")
        .await;
    assert!(text.contains("Local network access to Allow"), "{text}");
    browser.screenshot("embed-permission-denied.png").await;
    browser.client.close().await.unwrap();
}

#[tokio::test]
async fn a_check_asked_while_the_helper_is_gone_runs_once_it_is_back() {
    let first = helper(&[]);
    let port = first.addr.port();
    let closed = closed_port();
    let browser = page(&first, "/?view=machine").await;
    browser.wait_for(".pd-machine-row").await;
    drop(first);
    browser.wait_for(".pd-status[data-state=closed]").await;

    // The machine view says the helper is gone, as the status line does,
    // rather than "asking" or showing the listeners of a moment ago.
    let said = browser
        .run(
            "arguments[0]([document.querySelector('.pd-status-text').innerText,
                           document.querySelector('.pd-machine').innerText])",
        )
        .await;
    let [status, machine] = [0, 1].map(|i| said[i].as_str().unwrap().to_owned());
    assert!(status.contains("not reachable"), "{status}");
    assert!(machine.contains("helper is not reachable"), "{machine}");
    assert!(!machine.contains("Asking"), "{machine}");
    assert_eq!(browser.count(".pd-machine-row").await, 0);

    // A check asked now never started, and says so.
    browser.click(".pd-tab[data-view=check]").await;
    browser.check(&format!("127.0.0.1:{closed}")).await;
    let error = browser
        .text(".pd-report[data-state=error] .pd-result .pd-error")
        .await;
    assert!(error.contains("has not started"), "{error}");
    browser.screenshot("page-check-while-gone.png").await;

    // Back: the page reconnects by itself, runs the check, and the red box goes.
    let _second = helper_on(port, &[]);
    browser.wait_for(".pd-status[data-state=open]").await;
    browser
        .wait_for(".pd-report[data-state=done] .pd-verdict[data-verdict=unreachable]")
        .await;
    let errors = browser.count(".pd-result .pd-error").await;
    assert_eq!(errors, 0, "the red box cleared");
    browser.click(".pd-tab[data-view=machine]").await;
    browser.wait_for(".pd-machine-row").await;
    browser.client.close().await.unwrap();
}

#[tokio::test]
async fn the_page_uses_the_clis_words_and_copies_whole_commands() {
    let helper = helper(&[]);
    let server = python_http("127.0.0.1");
    let closed_port = closed_port();
    let closed = format!("127.0.0.1:{closed_port}");
    let browser = page(&helper, "/").await;

    for target in [closed.as_str(), "localhost:619009"] {
        browser.check(target).await;
        browser.wait_for(".pd-report[data-state=done]").await;
        let (cli, _) = check_json(&portdoctor(&["check", target, "--json"]));
        let text = String::from_utf8(portdoctor(&["check", target]).stdout).unwrap();
        let label = browser.text(".pd-verdict-label").await;
        let cli_word = text.split(": ").nth(1).unwrap().split(' ').next().unwrap();
        assert_eq!(label.to_uppercase(), cli_word, "{text}");
        assert_eq!(
            browser.attr(".pd-verdict", "data-verdict").await,
            cli["verdict"]
        );
        // The banner has the colour of the top finding.
        assert_eq!(
            browser.attr(".pd-verdict", "data-severity").await,
            browser.attr(".pd-finding", "data-severity").await
        );
    }
    // Not checked, so no time.
    let line = browser.text(".pd-verdict-target").await;
    assert_eq!(line, "localhost:619009");

    // Commands are copied whole, from buttons outside the sentence.
    browser.check(&closed).await;
    let card = ".pd-finding[data-code=nothing-listening]";
    let command = browser.text(&format!("{card} .pd-fix .pd-cmd")).await;
    assert_eq!(command, "portdoctor listeners");
    // Set apart from the card it sits on: the same fill and no border made
    // its padding read as stray spaces around the words.
    let visible = browser
        .run(&format!(
            "const cmd = document.querySelector('{card} .pd-fix .pd-cmd');
             const own = getComputedStyle(cmd), card = getComputedStyle(cmd.closest('.pd-finding'));
             arguments[arguments.length - 1](own.backgroundColor !== card.backgroundColor
                 || parseFloat(own.borderTopWidth) > 0);"
        ))
        .await;
    assert_eq!(visible, true, "a command looks like one on its card");
    assert_eq!(
        browser
            .attr(&format!("{card} .pd-fix-copies .pd-copy"), "data-copy")
            .await,
        command
    );
    let inside = browser.count(".pd-fix .pd-copy").await;
    assert_eq!(inside, 0, "no Copy button inside a sentence");

    // An ok card has nothing to fix.
    browser.check(&server.addr.to_string()).await;
    browser
        .wait_for(".pd-finding[data-code=reachable][data-severity=ok]")
        .await;
    let fixes = browser.count(".pd-finding[data-severity=ok] .pd-fix").await;
    assert_eq!(fixes, 0, "no \"Fix: Nothing to fix\" on an ok card");
    assert_eq!(browser.attr(".pd-verdict", "data-severity").await, "ok");
    browser.client.close().await.unwrap();
}

#[tokio::test]
async fn a_long_target_shows_once_cut_and_invalid_targets_leave_recent() {
    let helper = helper(&[]);
    let closed_port = closed_port();
    let closed = format!("127.0.0.1:{closed_port}");
    let browser = page(&helper, "/").await;

    // 5,000 characters, typed in at once.
    browser
        .run(
            "const input = document.querySelector('.pd-form input[name=target]');
             input.value = 'a'.repeat(5000);
             input.form.requestSubmit();
             arguments[0](null)",
        )
        .await;
    browser
        .wait_for(".pd-report[data-state=done] .pd-verdict[data-verdict=invalid]")
        .await;
    let line = browser.text(".pd-verdict-target").await;
    assert!(line.ends_with('…') && line.chars().count() <= 64, "{line}");
    // Shown once, cut, in the verdict; the findings right below it.
    let measured = browser
        .run(
            "const view = document.querySelector('.pd-view[data-view=check]');
             const runs = view.innerText.match(/a{10,}/g) || [];
             const rect = (css) => document.querySelector(css).getBoundingClientRect();
             arguments[0]([runs.map(r => r.length), rect('.pd-findings').top - rect('.pd-verdict').bottom,
                           document.documentElement.scrollWidth, window.innerWidth])",
        )
        .await;
    assert_eq!(
        measured[0],
        serde_json::json!([63]),
        "runs of the target shown"
    );
    let [below, width, viewport] = [1, 2, 3].map(|i| measured[i].as_f64().unwrap());
    assert!(
        below < 120.0,
        "the findings start {below} px below the verdict"
    );
    assert!(
        width <= viewport,
        "the page is {width} px wide in {viewport}"
    );
    let evidence = browser
        .text(".pd-finding[data-code=invalid-target] .pd-evidence")
        .await;
    assert_eq!(evidence, "input: the target above (5000 characters)");
    browser.screenshot("page-long-target.png").await;

    // Invalid targets are not remembered; a checked one is.
    browser.check("localhost:619009").await;
    browser.wait_for(".pd-verdict[data-verdict=invalid]").await;
    browser.check(&closed).await;
    browser
        .wait_for(".pd-verdict[data-verdict=unreachable]")
        .await;
    let recent = async || {
        browser.wait_for(".pd-recent-item").await;
        browser
            .run(
                "arguments[0](Array.from(document.querySelectorAll('.pd-recent-item'), b => b.dataset.target))",
            )
            .await
    };
    browser
        .client
        .goto(&format!("http://{}/", helper.addr))
        .await
        .unwrap();
    assert_eq!(recent().await, serde_json::json!([closed]));

    // One kept by an older page leaves once it turns out invalid.
    browser
        .run(&format!(
            "localStorage.setItem('portdoctor.recent', 'localhost:619009\\n{closed}'); arguments[0](null)"
        ))
        .await;
    browser.client.refresh().await.unwrap();
    browser
        .click(".pd-recent-item[data-target=\"localhost:619009\"]")
        .await;
    // The list is updated before the report is shown.
    browser.wait_for(".pd-verdict[data-verdict=invalid]").await;
    assert_eq!(recent().await, serde_json::json!([closed]));
    browser.client.close().await.unwrap();
}

#[tokio::test]
async fn the_view_is_in_the_address_and_the_tabs_fit_a_phone() {
    let helper = helper(&[]);
    let browser = page(&helper, "/?view=machine").await;
    browser
        .wait_for(".pd-tab[data-view=machine][aria-selected=true]")
        .await;
    browser
        .wait_for(".pd-view[data-view=machine]:not([hidden]) .pd-machine-row")
        .await;

    // Another tab goes into the address, and a reload comes back to it.
    browser.click(".pd-tab[data-view=watch]").await;
    let search = browser.run("arguments[0](location.search)").await;
    assert_eq!(search, "?view=watch");
    browser.client.refresh().await.unwrap();
    browser
        .wait_for(".pd-tab[data-view=watch][aria-selected=true]")
        .await;
    browser
        .wait_for(".pd-view[data-view=watch]:not([hidden])")
        .await;

    // At 390 px every tab is on one row, none cut off.
    browser.client.set_window_size(390, 800).await.unwrap();
    let fit = browser
        .run(
            "const tabs = Array.from(document.querySelectorAll('.pd-tab'));
             const list = document.querySelector('.pd-tabs');
             const rows = new Set(tabs.map(t => Math.round(t.getBoundingClientRect().top)));
             arguments[0]([rows.size, list.scrollWidth - list.clientWidth, window.innerWidth])",
        )
        .await;
    assert_eq!(fit[2], 390, "the viewport is 390 px wide");
    assert_eq!(fit[0], 1, "tabs on {} rows", fit[0]);
    assert_eq!(fit[1], 0, "tabs overflow by {} px", fit[1]);
    browser.screenshot("page-390px-tabs.png").await;

    // A long command's Copy button shows all of what it copies, wrapped,
    // not cut with an ellipsis (a 10.x target's fix names two commands).
    browser.click(".pd-tab[data-view=check]").await;
    browser.check("10.1.2.3:80").await;
    browser
        .wait_for(".pd-finding[data-code=target-not-allowed] .pd-fix-copies .pd-copy")
        .await;
    let cut = browser
        .run(
            "const buttons = Array.from(document.querySelectorAll('.pd-fix-copies .pd-copy'));
             arguments[0](buttons.filter(b => b.scrollWidth > b.clientWidth).map(b => b.dataset.copy))",
        )
        .await;
    assert_eq!(cut, serde_json::json!([]), "Copy buttons cut at 390 px");
    browser.screenshot("page-390px-copy.png").await;
    browser.client.close().await.unwrap();
}

/// The talk view connected to `target` through the helper's relay.
async fn console(helper: &Running, target: &str) -> Browser {
    let browser = page(helper, "/?view=talk").await;
    browser
        .type_into(".pd-talk-connect input[name=talk-target]", target)
        .await;
    browser.click(".pd-talk-connect button[type=submit]").await;
    browser.wait_for(".pd-talk-status[data-state=open]").await;
    browser
}

#[tokio::test]
async fn a_console_from_a_redis_report_pings_it() {
    let helper = helper(&[]);
    let redis = support::peers::redis();
    let browser = page(&helper, "/").await;
    browser.check(&redis.addr.to_string()).await;
    browser.wait_for(".pd-service[data-protocol=redis]").await;
    browser.click(".pd-open-console").await;
    browser
        .wait_for(".pd-tab[data-view=talk][aria-selected=true]")
        .await;
    browser.wait_for(".pd-talk-status[data-state=open]").await;
    assert_eq!(browser.text(".pd-talk-suggestion").await, "Redis PING");
    browser.click(".pd-talk-suggestion").await;
    let sent = browser
        .text(".pd-chunk[data-direction=sent] .pd-chunk-text")
        .await;
    assert_eq!(sent, "PING\\r\\n\n");
    let pong = browser
        .text(".pd-chunk[data-direction=received] .pd-chunk-text")
        .await;
    assert_eq!(pong, "+PONG\\r\\n\n");
    let head = browser
        .text(".pd-chunk[data-direction=received] .pd-chunk-head")
        .await;
    assert!(head.starts_with("← received 7 bytes at "), "{head}");
    browser.screenshot("page-console-redis.png").await;

    // A typed line with its ending, then Close: the ending in words.
    browser
        .type_into(".pd-talk-send input[name=talk-message]", "ECHO hi\n")
        .await;
    browser
        .text_when(".pd-transcript", |t| t.contains("$2\\r\\n\nhi\\r\\n"))
        .await;
    browser.click(".pd-talk-close").await;
    let ended = browser
        .text(".pd-talk-status[data-state=ended][data-ended=you-closed]")
        .await;
    assert_eq!(ended, "You closed the connection.");
    browser.client.close().await.unwrap();
}

#[tokio::test]
async fn a_console_to_nginx_gets_a_200_and_says_how_it_ended() {
    let helper = helper(&[]);
    let scratch = TempDir::new("console-nginx");
    let nginx = support::peers::nginx(false, &scratch);
    let browser = page(&helper, "/").await;
    browser.check(&format!("http://{}/", nginx.addr)).await;
    browser.click(".pd-open-console").await;
    browser.wait_for(".pd-talk-status[data-state=open]").await;
    browser.click(".pd-talk-suggestion").await;
    let answer = browser
        .text_when(".pd-transcript", |t| t.contains("hello from nginx"))
        .await;
    assert!(answer.contains("HTTP/1.1 200 OK\\r\\n"), "{answer}");
    assert!(answer.contains("Server: nginx"), "{answer}");
    let sent = browser
        .text(".pd-chunk[data-direction=sent] .pd-chunk-text")
        .await;
    assert!(
        sent.contains(&format!("Host: {}\\r\\n", nginx.addr)),
        "the Host the user typed: {sent}"
    );
    // `Connection: close`: nginx ends it, and the page says so.
    browser
        .wait_for(".pd-talk-status[data-state=ended][data-ended=closed]")
        .await;
    let markdown = browser
        .run(
            "navigator.clipboard.writeText = (t) => { window.copied = t; return Promise.resolve(); };
             document.querySelector('.pd-talk-copy').click();
             arguments[0](window.copied)",
        )
        .await;
    let markdown = markdown.as_str().unwrap();
    assert!(
        markdown.starts_with("### portdoctor console: `"),
        "{markdown}"
    );
    assert!(markdown.contains("**← received**"), "{markdown}");
    browser.screenshot("page-console-nginx.png").await;
    browser.client.close().await.unwrap();
}

/// Sends back whatever arrives.
fn echo(mut stream: std::net::TcpStream) {
    std::thread::spawn(move || {
        let mut buffer = [0u8; 4096];
        while let Ok(n @ 1..) = std::io::Read::read(&mut stream, &mut buffer) {
            if std::io::Write::write_all(&mut stream, &buffer[..n]).is_err() {
                break;
            }
        }
    });
}

/// Reads what arrives first, then resets the connection (RST mid-stream).
fn reset_after_reading(mut stream: std::net::TcpStream) {
    std::thread::spawn(move || {
        let _ = std::io::Read::read(&mut stream, &mut [0u8; 64]);
        support::peers::reset(stream);
    });
}

/// Says one line, then closes (FIN).
fn bye(mut stream: std::net::TcpStream) {
    let _ = std::io::Write::write_all(&mut stream, b"bye\r\n");
}

#[tokio::test]
async fn every_byte_value_goes_through_the_console_and_back_in_the_hex_view() {
    let helper = helper(&[]);
    let echo = support::peers::raw_listener(echo);
    let browser = console(&helper, &echo.to_string()).await;
    browser
        .run(
            "const select = document.querySelector('select[name=talk-encoding]');
             select.value = 'hex';
             select.dispatchEvent(new Event('change'));
             arguments[0](null)",
        )
        .await;
    let all: Vec<u8> = (0..=255).collect();
    let hex: Vec<String> = all.iter().map(|b| format!("{b:02x}")).collect();
    browser
        .type_into(
            ".pd-talk-send input[name=talk-message]",
            &format!("{}\n", hex.join(" ")),
        )
        .await;
    browser.click(".pd-talk-mode[data-mode=hex]").await;
    browser.wait_for(".pd-transcript[data-mode=hex]").await;
    let received = browser
        .run(
            "const wait = () => {
               const rows = document.querySelectorAll('.pd-chunk[data-direction=received] .pd-hex-bytes');
               const bytes = Array.from(rows, r => r.textContent.trim().split(/\\s+/)).flat();
               if (bytes.length >= 256) arguments[0](bytes); else setTimeout(wait, 20);
             };
             wait()",
        )
        .await;
    let back: Vec<u8> = received
        .as_array()
        .unwrap()
        .iter()
        .map(|h| u8::from_str_radix(h.as_str().unwrap(), 16).unwrap())
        .collect();
    assert_eq!(back, all);
    browser.screenshot("page-console-hex.png").await;
    browser.client.close().await.unwrap();
}

#[tokio::test]
async fn a_console_says_reset_closed_or_silent() {
    let helper = helper(&[]);
    let reset = support::peers::raw_listener(reset_after_reading);
    let bye = support::peers::raw_listener(bye);
    let silent = support::peers::raw_listener(support::peers::silent);

    let browser = page(&helper, "/?view=talk").await;
    let connect = |target: String| {
        let browser = &browser;
        async move {
            browser
                .type_into(".pd-talk-connect input[name=talk-target]", &target)
                .await;
            browser.click(".pd-talk-connect button[type=submit]").await;
        }
    };
    connect(reset.to_string()).await;
    browser.wait_for(".pd-talk-status[data-state=open]").await;
    browser
        .type_into(".pd-talk-send input[name=talk-message]", "hello\n")
        .await;
    let words = browser.text(".pd-talk-status[data-state=ended]").await;
    assert_eq!(
        browser.attr(".pd-talk-status", "data-ended").await,
        "reset",
        "{words}"
    );
    assert!(words.contains("reset"), "{words}");

    connect(bye.to_string()).await;
    browser
        .text_when(".pd-chunk[data-direction=received] .pd-chunk-text", |t| {
            t == "bye\\r\\n\n"
        })
        .await;
    browser
        .wait_for(".pd-talk-status[data-state=ended][data-ended=closed]")
        .await;

    connect(silent.to_string()).await;
    browser.wait_for(".pd-talk-status[data-state=open]").await;
    browser
        .type_into(".pd-talk-send input[name=talk-message]", "hello?\n")
        .await;
    browser.wait_for(".pd-chunk[data-direction=sent]").await;
    assert_eq!(
        browser.count(".pd-chunk[data-direction=received]").await,
        0,
        "a silent target sends nothing"
    );
    assert_eq!(browser.attr(".pd-talk-status", "data-state").await, "open");
    browser.client.close().await.unwrap();
}

#[tokio::test]
async fn a_saved_conversation_reruns_from_its_share_link_and_shows_the_failing_step() {
    let helper = helper(&[]);
    let redis = support::peers::redis();
    let browser = console(&helper, &redis.addr.to_string()).await;
    browser
        .type_into(".pd-talk-send input[name=talk-message]", "PING\n")
        .await;
    browser
        .text_when(".pd-transcript", |t| t.contains("+PONG"))
        .await;
    browser.click(".pd-talk-save").await;
    browser.wait_for(".pd-talk-row").await;
    assert_eq!(
        rows(&browser).await,
        serde_json::json!([
            ["send-text", "PING\\r\\n"],
            ["expect-text", "+PONG", "2000"]
        ])
    );

    // One more exchange, whose expectation is wrong, built in the rows: a
    // send, and an expectation turned into a regex.
    browser.click(".pd-talk-add[data-kind=send-text]").await;
    let row = |n: usize, what: &str| format!(".pd-talk-row:nth-child({n}) {what}");
    browser
        .type_into(&row(3, "input[name=step-value]"), "ECHO hi\\r\\n")
        .await;
    browser.click(".pd-talk-add[data-kind=expect-text]").await;
    browser
        .client
        .execute(
            "const kind = document.querySelector(arguments[0]);
             kind.value = 'expect-regex';
             kind.dispatchEvent(new Event('change', { bubbles: true }));",
            vec![row(4, "select[name=step-kind]").into()],
        )
        .await
        .unwrap();
    browser
        .wait_for(".pd-talk-row:nth-child(4)[data-kind=expect-regex]")
        .await;
    browser
        .type_into(&row(4, "input[name=step-value]"), "^bye")
        .await;
    browser
        .type_into(&row(4, "input[name=step-within]"), "300")
        .await;
    // A stray step, moved up, then removed: the order holds.
    browser.click(".pd-talk-add[data-kind=send-text]").await;
    browser
        .type_into(&row(5, "input[name=step-value]"), "stray")
        .await;
    browser.click(&row(5, ".pd-talk-up")).await;
    assert_eq!(
        rows(&browser).await,
        serde_json::json!([
            ["send-text", "PING\\r\\n"],
            ["expect-text", "+PONG", "2000"],
            ["send-text", "ECHO hi\\r\\n"],
            ["send-text", "stray"],
            ["expect-regex", "^bye", "300"]
        ])
    );
    browser.click(&row(4, ".pd-talk-remove")).await;
    assert_eq!(browser.count(".pd-talk-row").await, 4);

    let link = browser
        .client
        .execute(
            "navigator.clipboard.writeText = (t) => { window.copied = t; return Promise.resolve(); };
             document.querySelector('.pd-talk-share').click();
             return window.copied",
            vec![],
        )
        .await
        .unwrap();
    let link = link.as_str().unwrap();
    assert!(
        link.starts_with(&format!("http://{}/?talk=", helper.addr)),
        "{link}"
    );
    // The share link's format: the conversation as JSON, as before the editor.
    let url = url::Url::parse(link).unwrap();
    let shared = url.query_pairs().find(|(k, _)| k == "talk").unwrap().1;
    let shared: serde_json::Value = serde_json::from_str(&shared).unwrap();
    assert_eq!(
        shared,
        serde_json::json!({
            "target": redis.addr.to_string(),
            "steps": [
                {"send": {"text": "PING\r\n"}},
                {"expect": {"expect": {"text": "+PONG"}, "within_ms": 2000}},
                {"send": {"text": "ECHO hi\r\n"}},
                {"expect": {"expect": {"regex": "^bye"}, "within_ms": 300}}
            ]
        })
    );

    // The link alone reruns it: every step judged, the wrong one with what came instead.
    browser.client.goto(link).await.unwrap();
    browser
        .wait_for(".pd-tab[data-view=talk][aria-selected=true]")
        .await;
    browser
        .wait_for(".pd-talk-results-body[data-state=done]")
        .await;
    assert_eq!(
        browser.attr(".pd-talk-results-body", "data-failed").await,
        "1"
    );
    let verdicts = browser
        .run(
            "arguments[0](Array.from(document.querySelectorAll('.pd-talk-outcome'), o => o.dataset.verdict))",
        )
        .await;
    assert_eq!(
        verdicts,
        serde_json::json!(["sent", "passed", "sent", "failed"])
    );
    let failed = browser.text(".pd-talk-outcome[data-verdict=failed]").await;
    assert!(
        failed.contains("expect regex ^bye within 300 ms"),
        "{failed}"
    );
    assert!(failed.contains("nothing matched within 300 ms"), "{failed}");
    let received = browser
        .text(".pd-talk-outcome[data-verdict=failed] .pd-talk-received")
        .await;
    assert_eq!(received, "$2\\r\\n\nhi\\r\\n\n");
    browser.scroll_to(".pd-talk-editor").await;
    browser.screenshot("page-conversation.png").await;
    browser.client.close().await.unwrap();
}

/// The conversation editor's rows: kind, value and (for an expectation)
/// milliseconds, as the boxes hold them.
async fn rows(browser: &Browser) -> serde_json::Value {
    browser
        .run(
            "arguments[0](Array.from(document.querySelectorAll('.pd-talk-row'), (row) =>
               [row.dataset.kind, ...Array.from(row.querySelectorAll('input'), (i) => i.value)]))",
        )
        .await
}

/// Answers its first read with 10 MB, then closes.
fn ten_megabytes(mut stream: std::net::TcpStream) {
    std::thread::spawn(move || {
        let _ = std::io::Read::read(&mut stream, &mut [0u8; 64]);
        let block = [b'x'; 64 * 1024];
        for _ in 0..160 {
            if std::io::Write::write_all(&mut stream, &block).is_err() {
                return;
            }
        }
    });
}

#[tokio::test]
async fn a_ten_megabyte_answer_stays_bounded_on_screen() {
    let helper = helper(&[]);
    let big = support::peers::raw_listener(ten_megabytes);
    let browser = console(&helper, &big.to_string()).await;
    browser
        .type_into(".pd-talk-send input[name=talk-message]", "go\n")
        .await;
    browser
        .wait_for(".pd-talk-status[data-state=ended][data-ended=closed]")
        .await;
    let hidden = browser.text(".pd-transcript-hidden").await;
    let shown_bytes = 16 * 1024;
    // "go\r\n" went out first.
    let expected = 4 + 160 * 64 * 1024 - shown_bytes;
    assert!(
        hidden.starts_with(&format!("{expected} earlier bytes are not shown")),
        "{hidden}"
    );
    let on_screen = browser
        .run("arguments[0](document.querySelector('.pd-transcript').textContent.length)")
        .await;
    assert!(
        on_screen.as_u64().unwrap() < 20 * 1024,
        "{on_screen} characters on screen"
    );
    // The capture keeps all of it for the download.
    let captured = browser
        .run(
            "const created = [];
             URL.createObjectURL = (blob) => { created.push(blob.size); return 'blob:x'; };
             URL.revokeObjectURL = () => {};
             HTMLAnchorElement.prototype.click = function () {};
             document.querySelector('.pd-talk-download').click();
             arguments[0](created)",
        )
        .await;
    assert_eq!(captured, serde_json::json!([160 * 64 * 1024]));
    browser.client.close().await.unwrap();
}

/// A page on another origin (python's http.server on its own port) tries
/// to open `/relay` to a local listener, as a cross-protocol attack would:
/// from a site the helper does not know, from one allowed with
/// --allow-origin (checks only), and with a guessed `?token=`. Every upgrade
/// is refused (the helper's log says why, so the browser did reach it), and
/// the listener sees no connection. The same page's `/ws` to the helper
/// that allows it opens, so the page itself works.
#[tokio::test]
async fn a_page_on_another_origin_cannot_open_a_relay_and_the_target_sees_nothing() {
    let docs = DocsSite::start();
    let stranger = helper(&[]);
    let allowing = helper(&["--allow-origin", &docs.origin()]);
    let (target, accepted) = support::peers::counting_listener();
    let relay = |helper: &Running, query: &str| {
        format!("ws://{}/relay?target={target}{query}", helper.addr)
    };
    let urls = [
        relay(&stranger, ""),
        relay(&allowing, ""),
        relay(&allowing, "&token=guess"),
        format!("ws://{}{}", allowing.addr, protocol::WS_PATH),
    ];
    let url = docs.page(&format!(
        "<script>
         const attempt = (url) => new Promise((done) => {{
           const ws = new WebSocket(url, url.includes('/relay') ? 'binary' : []);
           ws.onopen = () => {{ ws.close(); done('opened'); }};
           ws.onerror = () => done('refused');
         }});
         (async () => {{
           const results = [];
           for (const url of {urls:?}) results.push(await attempt(url));
           document.body.dataset.results = JSON.stringify(results);
         }})();
         </script>"
    ));
    let browser = Browser::start().await;
    browser.client.goto(&url).await.unwrap();
    let results = browser.attr("body[data-results]", "data-results").await;
    assert_eq!(
        results, r#"["refused","refused","refused","opened"]"#,
        "{urls:?}"
    );
    let log = stranger.stderr();
    assert!(
        log.contains("websocket refused") && log.contains(&docs.origin()),
        "{log}"
    );
    let log = allowing.stderr();
    assert_eq!(
        log.matches("a relay needs the helper's own page").count(),
        2,
        "{log}"
    );
    assert_eq!(
        accepted.load(std::sync::atomic::Ordering::SeqCst),
        0,
        "the target was reached"
    );
    browser.client.close().await.unwrap();
}

/// The page after a click on Sign in, switched to the popup, which shows
/// the consent page of the SDK's authorization server. The servers and the
/// scratch folder live as long as it.
struct SigningIn {
    browser: Browser,
    /// The page's window, to switch back to.
    page: fantoccini::wd::WindowHandle,
    helper: Running,
    /// Where the authorization server writes the tokens it issues.
    issued: std::path::PathBuf,
    _servers: (Running, Running),
    _scratch: TempDir,
}

/// A check of an MCP server behind the SDK's OAuth ends at 401 with a
/// whole chain and offers "Sign in"; the click opens a popup, which shows
/// the authorization server's consent page once the helper has the URL.
async fn signing_in(name: &str) -> SigningIn {
    let scratch = TempDir::new(name);
    let issued = scratch.path("issued");
    let servers = signing_in_servers(&issued, &[]);
    let url = format!("http://{}/mcp", servers.1.addr);
    let helper = helper(&[]);
    let browser = Browser::start().await;
    browser.open(helper.addr).await;
    browser.check(&url).await;
    browser
        .wait_for(".pd-finding[data-code=mcp-rejected]")
        .await;
    let page = browser.client.window().await.unwrap();
    browser.click(".pd-sign-in").await;
    let deadline = std::time::Instant::now() + DEADLINE;
    let (client, opener) = (&browser.client, &page);
    let popup = eventually(deadline, "a popup opened", || async move {
        let windows = client.windows().await.unwrap();
        windows.into_iter().find(|w| w != opener)
    })
    .await;
    client.switch_to_window(popup).await.unwrap();
    // The popup opens on about:blank and is sent to the consent page once
    // the helper has its URL. A wait started in about:blank can miss that
    // navigation (ChromeDriver then reports a script timeout, not an
    // unload): wait for the consent page's address first.
    eventually(deadline, "the popup left about:blank", || async move {
        let url = client.current_url().await.unwrap();
        (url.scheme() != "about").then_some(())
    })
    .await;
    browser.wait_for("#approve").await;
    SigningIn {
        browser,
        page,
        helper,
        issued,
        _servers: servers,
        _scratch: scratch,
    }
}

/// The page's Sign in: a check of an MCP server behind the SDK's OAuth ends
/// at 401 with a whole chain and offers "Sign in"; the click opens a popup,
/// which shows the authorization server's consent page once the helper has
/// the URL; approving it redirects to the helper's loopback URI, the page
/// hears so and closes the popup (without cancelling the sign-in), and shows
/// the server behind the 401.
#[tokio::test]
async fn sign_in_opens_a_popup_and_shows_what_is_behind_the_401() {
    // Every part bound: what `..` leaves out is dropped, servers and all.
    let SigningIn {
        browser,
        page,
        helper: _helper,
        issued,
        _servers,
        _scratch,
    } = signing_in("browser-sign-in").await;
    let deadline = std::time::Instant::now() + DEADLINE;
    browser.screenshot("browser-sign-in-consent.png").await;
    // Clicked from script: the popup goes away while a WebDriver click
    // would still wait for it.
    browser
        .run("document.getElementById('approve').click(); arguments[0](true);")
        .await;

    // Back at the helper: the page closes the popup and shows the signed-in check.
    browser.client.switch_to_window(page.clone()).await.unwrap();
    browser
        .wait_for(".pd-finding[data-code=mcp-signed-in]")
        .await;
    browser.wait_for(".pd-finding[data-code=mcp-ok]").await;
    assert_eq!(
        browser
            .text(".pd-mcp[data-transport=streamable-http] .pd-mcp-server")
            .await,
        "portdoctor-demo 1.4.2"
    );
    assert_eq!(browser.count(".pd-sign-in").await, 0);
    let (client, opener) = (&browser.client, &page);
    eventually(deadline, "the page closed the popup", || async move {
        (client.windows().await.unwrap() == [opener.clone()]).then_some(())
    })
    .await;
    browser.screenshot("browser-signed-in.png").await;
    // The page never held the token.
    let tokens = std::fs::read_to_string(&issued).unwrap();
    let html = browser
        .run("arguments[0](document.documentElement.outerHTML)")
        .await;
    for token in tokens.lines() {
        assert!(
            !html.to_string().contains(token),
            "a token reached the page"
        );
    }
    browser.client.close().await.unwrap();
}

/// Listening sockets held by process `pid`.
fn listeners_of(pid: u32) -> usize {
    socket_table::tcp_listeners()
        .unwrap_or_default()
        .iter()
        .filter(|l| l.processes.iter().any(|p| p.pid == pid))
        .count()
}

/// Closing the sign-in popup before approving gives up: the page sends
/// `cancel` for the sign-in, the helper stops it (its loopback redirect
/// listener closes at once, not after two minutes), and the page offers
/// Sign in again.
#[tokio::test]
async fn closing_the_sign_in_popup_cancels_the_sign_in() {
    let SigningIn {
        browser,
        page,
        helper,
        issued,
        _servers,
        _scratch,
    } = signing_in("browser-sign-in-closed").await;
    let deadline = std::time::Instant::now() + DEADLINE;
    // The consent page: the helper listens for the redirect now.
    assert_eq!(
        listeners_of(helper.pid()),
        2,
        "the helper and its redirect listener"
    );

    // The person closes the popup instead of approving.
    browser.client.close_window().await.unwrap();
    browser.client.switch_to_window(page).await.unwrap();
    let stopped = browser
        .text(".pd-report[data-state=error] .pd-sign-in-stopped[data-kind=cancelled]")
        .await;
    assert!(stopped.contains("Signing in stopped"), "{stopped}");
    browser.wait_for(".pd-sign-in-stopped .pd-sign-in").await;
    // The helper stopped the sign-in: only its own listener is left.
    eventually(deadline, "the redirect listener closed", || {
        std::future::ready((listeners_of(helper.pid()) == 1).then_some(()))
    })
    .await;
    assert!(
        std::fs::read_to_string(&issued)
            .unwrap_or_default()
            .is_empty()
    );
    browser.screenshot("browser-sign-in-closed.png").await;
    browser.client.close().await.unwrap();
}
