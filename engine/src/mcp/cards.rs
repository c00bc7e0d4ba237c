//! Where is the endpoint? When nothing speaks MCP at the paths tried, the
//! documents servers publish to say where it is:
//!
//! ```text
//! /.well-known/mcp/server-card   server card (SEP-2127): remotes[].url, .type
//! /.well-known/mcp.json          its earlier name
//! /.well-known/ai-catalog.json   AI Card catalog (experimental): entries naming MCP
//! <endpoint>/server-card         a card beside the endpoint asked for
//! ```
//!
//! GETs only, each through the target policy ([`Fetcher`]); the first
//! document that names an endpoint wins.

use serde_json::Value;
use url::Url;

use super::Probe;
use super::auth::Fetcher;

/// What a discovery document says about the endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Advertised {
    /// The document that said it.
    pub card: String,
    /// The endpoint's URL, absolute.
    pub endpoint: String,
    /// Its transport as the document names it (`streamable-http`, `sse`).
    pub transport: Option<String>,
}

/// The documents asked for, what each answered, and the first endpoint named.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cards {
    pub tried: Vec<Probe>,
    pub found: Option<Advertised>,
}

/// Asks the server at `base` (its origin) for its discovery documents;
/// `endpoint` is the path a card may sit beside.
pub async fn look(fetcher: &Fetcher<'_>, base: &Url, endpoint: &str) -> Cards {
    let mut places: Vec<String> = [
        "/.well-known/mcp/server-card",
        "/.well-known/mcp.json",
        "/.well-known/ai-catalog.json",
    ]
    .map(str::to_owned)
    .to_vec();
    places.push(format!("{}/server-card", endpoint.trim_end_matches('/')));
    let mut cards = Cards::default();
    for place in places {
        let mut url = base.clone();
        url.set_path(&place);
        url.set_query(None);
        let fetched = fetcher.get(&url).await;
        let answer = match (&fetched.json, fetched.status) {
            (Ok(json), _) => match endpoints(json, &url).into_iter().next() {
                Some((endpoint, transport)) => {
                    cards.found = Some(Advertised {
                        card: url.to_string(),
                        endpoint: endpoint.to_string(),
                        transport,
                    });
                    format!("names {endpoint}")
                }
                None => "a JSON document naming no MCP endpoint".to_owned(),
            },
            (Err(why), _) => why.clone(),
        };
        cards.tried.push(Probe {
            url: url.to_string(),
            answer,
            moved_to: None,
        });
        if cards.found.is_some() {
            break;
        }
    }
    cards
}

/// The endpoints a document names, resolved against its URL: a server
/// card's `remotes`, a top-level `url` or `endpoint`, or a catalog's entries
/// that mention MCP.
fn endpoints(json: &serde_json::Map<String, Value>, at: &Url) -> Vec<(Url, Option<String>)> {
    let resolve = |v: &Value| v.as_str().and_then(|u| at.join(u).ok());
    let typed = |o: &serde_json::Map<String, Value>| {
        o.get("type")
            .or_else(|| o.get("transport"))
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    let remotes = json
        .get("remotes")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_object)
        .filter_map(|r| Some((resolve(r.get("url")?)?, typed(r))));
    let top = ["url", "endpoint"]
        .iter()
        .filter_map(|k| Some((resolve(json.get(*k)?)?, typed(json))));
    let catalog = json
        .iter()
        .filter(|(k, _)| *k != "remotes")
        .filter_map(|(_, v)| v.as_array())
        .flatten()
        .filter_map(Value::as_object)
        .filter(|entry| {
            entry
                .values()
                .filter_map(Value::as_str)
                .any(|s| s.to_ascii_lowercase().contains("mcp"))
        })
        .filter_map(|entry| Some((resolve(entry.get("url")?)?, typed(entry))));
    remotes
        .chain(top)
        .chain(catalog)
        .filter(|(u, _)| matches!(u.scheme(), "http" | "https"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Vec<(String, Option<String>)> {
        let Value::Object(json) = serde_json::from_str(text).unwrap() else {
            panic!("not an object")
        };
        let at = Url::parse("http://127.0.0.1:8000/.well-known/mcp/server-card").unwrap();
        endpoints(&json, &at)
            .into_iter()
            .map(|(u, t)| (u.to_string(), t))
            .collect()
    }

    #[test]
    fn a_cards_remotes_a_top_level_url_and_a_catalogs_mcp_entries() {
        assert_eq!(
            parse(
                r#"{"name":"x/y","remotes":[{"type":"streamable-http","url":"/api/mcp"},{"type":"sse","url":"https://e.example/sse"}]}"#
            ),
            [
                (
                    "http://127.0.0.1:8000/api/mcp".to_owned(),
                    Some("streamable-http".to_owned())
                ),
                ("https://e.example/sse".to_owned(), Some("sse".to_owned())),
            ]
        );
        assert_eq!(
            parse(r#"{"endpoint":"/rpc","transport":"streamable-http"}"#),
            [(
                "http://127.0.0.1:8000/rpc".to_owned(),
                Some("streamable-http".to_owned())
            )]
        );
        assert_eq!(
            parse(
                r#"{"entries":[{"protocol":"a2a","url":"/agent"},{"protocol":"MCP","url":"/tools/mcp"}]}"#
            ),
            [("http://127.0.0.1:8000/tools/mcp".to_owned(), None)]
        );
        assert!(parse(r#"{"remotes":[{"url":"file:///etc/passwd"}],"name":"x"}"#).is_empty());
    }
}
