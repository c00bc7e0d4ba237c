//! Headless Chromium through chromedriver (fantoccini), for the browser tests.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};

use super::{Running, TempDir, spawn_announcing};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// A browser session; chromedriver and its Chromium die with it.
pub struct Browser {
    pub client: Client,
    _driver: Running,
    _profile: TempDir,
}

/// WebDriver's Set Permission, which fantoccini has no method for.
#[derive(Debug)]
struct SetPermission(serde_json::Value);

impl fantoccini::wd::WebDriverCompatibleCommand for SetPermission {
    fn endpoint(
        &self,
        base: &url::Url,
        session: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base.join(&format!(
            "session/{}/permissions",
            session.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(self.0.to_string()))
    }
}

impl Browser {
    pub async fn start() -> Self {
        Self::start_with(&[]).await
    }

    /// With extra Chromium flags, e.g. `--ip-address-space-overrides=…`.
    pub async fn start_with(extra: &[String]) -> Self {
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
            // So a test can collect garbage instead of hoping for it.
            "--js-flags=--expose-gc",
        ];
        let mut args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        args.extend_from_slice(extra);
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

    /// Loads the helper's page and waits until it is connected.
    pub async fn open(&self, helper: SocketAddr) {
        self.open_at(helper, "/").await
    }

    /// The same at `path`, e.g. a share link `/?check=…`.
    pub async fn open_at(&self, helper: SocketAddr, path: &str) {
        self.client
            .goto(&format!("http://{helper}{path}"))
            .await
            .expect("load the page");
        self.wait_for(".pd-status[data-state=open]").await;
    }

    /// Waits (polling the DOM, bounded) for an element matching `css`.
    pub async fn wait_for(&self, css: &str) -> fantoccini::elements::Element {
        self.client
            .wait()
            .at_most(Duration::from_secs(20))
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no element {css} appeared: {e}"))
    }

    pub async fn check(&self, target: &str) {
        let input = self.wait_for(".pd-form input[name=target]").await;
        input.clear().await.unwrap();
        input.send_keys(target).await.unwrap();
        self.wait_for(".pd-form button[type=submit]")
            .await
            .click()
            .await
            .unwrap();
    }

    /// Grants or denies a permission (`loopback-network`, `clipboard-read`)
    /// to the current page's origin.
    pub async fn set_permission(&self, name: &str, state: &str) {
        let body = serde_json::json!({ "descriptor": { "name": name }, "state": state });
        self.client
            .issue_cmd(SetPermission(body))
            .await
            .unwrap_or_else(|e| panic!("set permission {name} to {state}: {e}"));
    }

    pub async fn attr(&self, css: &str, name: &str) -> String {
        self.wait_for(css)
            .await
            .attr(name)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("{css} has no {name}"))
    }

    pub async fn text(&self, css: &str) -> String {
        self.wait_for(css).await.text().await.unwrap()
    }

    pub async fn click(&self, css: &str) {
        self.wait_for(css).await.click().await.unwrap();
    }

    /// Runs async JavaScript; its last argument is the callback for the result.
    pub async fn run(&self, script: &str) -> serde_json::Value {
        self.client
            .execute_async(script, vec![])
            .await
            .unwrap_or_else(|e| panic!("{script}: {e}"))
    }

    /// Brings an element into the viewport, for a screenshot that shows it.
    pub async fn scroll_to(&self, element: &fantoccini::elements::Element) {
        let element = serde_json::to_value(element).unwrap();
        self.client
            .execute("arguments[0].scrollIntoView()", vec![element])
            .await
            .unwrap();
    }

    pub async fn screenshot(&self, name: &str) {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../artifacts");
        std::fs::create_dir_all(&dir).unwrap();
        let png = self.client.screenshot().await.unwrap();
        assert!(png.starts_with(b"\x89PNG"), "a PNG screenshot");
        std::fs::write(dir.join(name), png).unwrap();
    }
}
