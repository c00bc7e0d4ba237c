//! Property tests of the request decoder: whatever a page sends, decoding
//! returns a request or a typed error, never panics, and keeps the id when
//! there is one to keep. (Stable Rust has no cargo-fuzz here; proptest runs
//! the same idea on every `cargo test`, bounded by its case count.)

use proptest::prelude::*;
use protocol::{CheckOptions, ClientMessage, ErrorKind};

/// JSON-ish text: arbitrary values shaped like requests, and raw noise.
fn frames() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just("null".to_owned()),
        any::<bool>().prop_map(|b| b.to_string()),
        any::<i64>().prop_map(|n| n.to_string()),
        any::<u64>().prop_map(|n| n.to_string()),
        any::<f64>().prop_map(|n| format!("{n:?}")),
        ".{0,20}".prop_map(|s| serde_json::to_string(&s).unwrap()),
    ];
    let value = leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(|v| format!("[{}]", v.join(","))),
            prop::collection::vec(
                (
                    prop_oneof![
                        Just("type".to_owned()),
                        Just("id".to_owned()),
                        Just("target".to_owned()),
                        Just("options".to_owned()),
                        Just("protocol".to_owned()),
                        "[a-z_]{1,8}"
                    ],
                    inner
                ),
                0..6
            )
            .prop_map(|kv| {
                let fields: Vec<String> = kv.iter().map(|(k, v)| format!("{k:?}:{v}")).collect();
                format!("{{{}}}", fields.join(","))
            }),
        ]
    });
    prop_oneof![
        value,
        ".{0,64}",
        prop::collection::vec(any::<u8>(), 0..64)
            .prop_map(|b| String::from_utf8_lossy(&b).into_owned())
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4096))]

    #[test]
    fn decoding_never_panics(frame in frames()) {
        match ClientMessage::decode(&frame) {
            Ok(msg) => {
                // Whatever decodes re-encodes to something that decodes the same.
                let again = serde_json::to_string(&msg).unwrap();
                prop_assert_eq!(ClientMessage::decode(&again).unwrap(), msg);
            }
            Err(e) => prop_assert!(matches!(e.error.kind, ErrorKind::BadJson | ErrorKind::BadRequest)),
        }
    }

    #[test]
    fn checks_round_trip_with_their_id(id in any::<u64>(), target in ".{0,40}", timeout in proptest::option::of(any::<u64>())) {
        let msg = ClientMessage::Check { id, target, options: CheckOptions { timeout_ms: timeout, expect: None } };
        let text = serde_json::to_string(&msg).unwrap();
        prop_assert_eq!(ClientMessage::decode(&text).unwrap(), msg);
    }

    #[test]
    fn a_bad_request_keeps_the_id(id in any::<u64>(), kind in "[a-z]{1,12}") {
        prop_assume!(!["hello", "check", "listeners", "cancel"].contains(&kind.as_str()));
        let err = ClientMessage::decode(&format!(r#"{{"type":"{kind}","id":{id}}}"#)).unwrap_err();
        prop_assert_eq!(err.id, Some(id));
        prop_assert_eq!(err.error.kind, ErrorKind::BadRequest);
    }
}
