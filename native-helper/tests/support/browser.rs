//! Headless Chromium through chromedriver (fantoccini), for the browser tests.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::error::CmdError;
use fantoccini::wd::TimeoutConfiguration;
use fantoccini::{Client, ClientBuilder, Locator};

use super::{DEADLINE, Running, TempDir, try_spawn_announcing};

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

/// ChromeDriver on a port it chose. Tried up to three times: on a loaded
/// machine it has exited before listening (a fresh-clone run beside two
/// others); each failed start is logged with what it printed.
fn chromedriver() -> Running {
    let mut attempt = 1;
    loop {
        let mut command = Command::new(CHROMEDRIVER);
        command.arg("--port=0");
        let started = try_spawn_announcing(command, true, |line| {
            let port = line
                .strip_prefix("ChromeDriver was started successfully on port ")?
                .trim_end_matches('.')
                .parse::<u16>()
                .ok()?;
            Some(SocketAddr::from(([127, 0, 0, 1], port)))
        });
        match started {
            Ok(driver) => return driver,
            Err(e) if attempt < 3 => eprintln!("chromedriver, attempt {attempt}: {e}"),
            Err(e) => panic!("chromedriver, attempt {attempt}: {e}"),
        }
        attempt += 1;
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
                "{path} is missing: run `cargo xtask setup` (Debian's chromium and chromium-driver)"
            );
        }
        let driver = chromedriver();
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
        // Our waits end themselves at DEADLINE; the session's script timeout
        // must not cut them short.
        client
            .update_timeouts(TimeoutConfiguration::new(
                Some(DEADLINE * 2),
                Some(DEADLINE * 2),
                None,
            ))
            .await
            .expect("set timeouts");
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

    /// Waits until an element matches `css`. Elements are never handed out:
    /// the page re-renders whenever an answer arrives, and a handle found a
    /// moment ago may already be gone (StaleElementReference). Every read
    /// below finds and reads in one JavaScript turn instead.
    pub async fn wait_for(&self, css: &str) {
        self.read(css, Read::Present).await;
    }

    /// The rendered text of the first element matching `css`, once there is one.
    pub async fn text(&self, css: &str) -> String {
        string(self.read(css, Read::Text).await)
    }

    /// The text of the first element matching `css` once `ready` holds for
    /// it (the page renders asynchronously); panics with the last text seen.
    pub async fn text_when(&self, css: &str, ready: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + DEADLINE;
        let mut text = self.text(css).await;
        while !ready(&text) {
            let left = deadline.saturating_duration_since(Instant::now());
            match self
                .read_changed(css, Read::Text, Some(&text.clone().into()), left)
                .await
            {
                Some(changed) => text = string(changed),
                None => panic!("{css} still reads {text:?}"),
            }
        }
        text
    }

    /// The texts of every element matching `css`, once there is one.
    pub async fn texts(&self, css: &str) -> Vec<String> {
        let all = self.read(css, Read::Texts).await;
        serde_json::from_value(all).expect("an array of strings")
    }

    /// How many elements match `css` right now (0 is an answer too).
    pub async fn count(&self, css: &str) -> usize {
        let count = self
            .client
            .execute(
                "return document.querySelectorAll(arguments[0]).length",
                vec![css.into()],
            )
            .await
            .unwrap_or_else(|e| panic!("count {css}: {e}"));
        count.as_u64().expect("a number") as usize
    }

    /// An attribute of the first element matching `css`.
    pub async fn attr(&self, css: &str, name: &str) -> String {
        match self.read(css, Read::Attribute(name)).await {
            serde_json::Value::String(value) => value,
            _ => panic!("{css} has no {name}"),
        }
    }

    /// A DOM property of the first element matching `css`, e.g. an input's `value`.
    pub async fn prop(&self, css: &str, name: &str) -> serde_json::Value {
        self.read(css, Read::Property(name)).await
    }

    /// Scrolls the first element matching `css` into view, for a screenshot that shows it.
    pub async fn scroll_to(&self, css: &str) {
        self.read(css, Read::ScrollIntoView).await;
    }

    /// Clicks the first element matching `css` (a real click, through WebDriver).
    pub async fn click(&self, css: &str) {
        self.act(css, "click", async |element| element.click().await)
            .await
    }

    /// Replaces the text of the input matching `css` with `keys` (typed, so
    /// the page sees key events; `\n` submits).
    pub async fn type_into(&self, css: &str, keys: &str) {
        self.act(css, "type into", async |element| {
            element.clear().await?;
            element.send_keys(keys).await
        })
        .await
    }

    /// Types `target` into the check form and submits it.
    pub async fn check(&self, target: &str) {
        self.type_into(".pd-form input[name=target]", target).await;
        self.click(".pd-form button[type=submit]").await;
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

    /// Runs async JavaScript; its last argument is the callback for the result.
    pub async fn run(&self, script: &str) -> serde_json::Value {
        self.client
            .execute_async(script, vec![])
            .await
            .unwrap_or_else(|e| panic!("{script}: {e}"))
    }

    /// Waits for `css` and reads from its first match, within the deadline.
    async fn read(&self, css: &str, read: Read<'_>) -> serde_json::Value {
        self.read_changed(css, read, None, DEADLINE)
            .await
            .unwrap_or_else(|| panic!("no element {css} appeared within {DEADLINE:?}"))
    }

    /// Waits in the page, woken by DOM mutations, until `css` matches and
    /// what `read` gives differs from `last` (if given); finds and reads in one turn of
    /// the page's event loop, so nothing can go stale in between. `None`
    /// when `within` passes first.
    async fn read_changed(
        &self,
        css: &str,
        read: Read<'_>,
        last: Option<&serde_json::Value>,
        within: Duration,
    ) -> Option<serde_json::Value> {
        let (kind, name) = match read {
            Read::Present => ("present", ""),
            Read::Text => ("text", ""),
            Read::Texts => ("texts", ""),
            Read::Attribute(name) => ("attribute", name),
            Read::Property(name) => ("property", name),
            Read::ScrollIntoView => ("scroll", ""),
        };
        let args = vec![
            css.into(),
            kind.into(),
            name.into(),
            last.into_iter().cloned().collect(),
            (within.as_millis() as u64).into(),
        ];
        let deadline = Instant::now() + within;
        loop {
            match self.client.execute_async(WAIT_AND_READ, args.clone()).await {
                Ok(serde_json::Value::Null) => return None,
                Ok(found) => return Some(found["value"].clone()),
                // A navigation (a reload, the page's own) ends a running script.
                Err(e) if e.is_javascript_error() && e.to_string().contains("unloaded") => {
                    assert!(Instant::now() < deadline, "waiting for {css}: {e}");
                }
                Err(e) => panic!("waiting for {css}: {e}"),
            }
        }
    }

    /// Finds `css` and acts on it; when the page re-rendered in between
    /// (stale handle) finds it again, until the deadline.
    async fn act(
        &self,
        css: &str,
        what: &str,
        action: impl AsyncFn(Element) -> Result<(), CmdError>,
    ) {
        let deadline = Instant::now() + DEADLINE;
        loop {
            self.wait_for(css).await;
            let result = match self.client.find(Locator::Css(css)).await {
                Ok(element) => action(element).await,
                Err(e) => Err(e),
            };
            match result {
                Ok(()) => return,
                Err(e) if e.is_stale_element_reference() || e.is_no_such_element() => {
                    assert!(Instant::now() < deadline, "{what} {css}: {e}");
                }
                Err(e) => panic!("{what} {css}: {e}"),
            }
        }
    }

    pub async fn screenshot(&self, name: &str) {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../artifacts");
        std::fs::create_dir_all(&dir).unwrap();
        let png = self.client.screenshot().await.unwrap();
        assert!(png.starts_with(b"\x89PNG"), "a PNG screenshot");
        std::fs::write(dir.join(name), png).unwrap();
    }
}

/// What to read from the element a wait finds.
#[derive(Clone, Copy)]
enum Read<'a> {
    Present,
    Text,
    Texts,
    Attribute(&'a str),
    Property(&'a str),
    ScrollIntoView,
}

fn string(value: serde_json::Value) -> String {
    match value {
        serde_json::Value::String(text) => text,
        other => panic!("expected a string, got {other}"),
    }
}

/// The in-page half of `read_changed`: arguments (css, kind, name, `[last]`
/// or `[]`, milliseconds), answers `{value}` or null at the deadline. A
/// MutationObserver wakes it on every change; the interval catches what
/// changes without a mutation (an input's value, focus).
const WAIT_AND_READ: &str = r#"
const [css, kind, name, last, ms, done] = arguments;
const read = () => {
  const all = document.querySelectorAll(css);
  if (all.length === 0) return undefined;
  const first = all[0];
  switch (kind) {
    case "present": return true;
    case "text": return first.innerText;
    case "texts": return Array.from(all, (e) => e.innerText);
    case "attribute": return first.getAttribute(name);
    case "property": return first[name] ?? null;
    case "scroll": first.scrollIntoView(); return true;
  }
  throw new Error("unknown read " + kind);
};
let observer, interval, timer;
const finish = (answer) => {
  observer.disconnect();
  clearInterval(interval);
  clearTimeout(timer);
  done(answer);
};
const look = () => {
  const value = read();
  if (value !== undefined && (last.length === 0 || JSON.stringify(value) !== JSON.stringify(last[0]))) finish({ value });
};
observer = new MutationObserver(look);
observer.observe(document, { subtree: true, childList: true, attributes: true, characterData: true });
interval = setInterval(look, 50);
timer = setTimeout(() => finish(null), ms);
look();
"#;
