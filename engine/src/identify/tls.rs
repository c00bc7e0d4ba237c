//! TLS: a real handshake (rustls), offering h2 and http/1.1. In TLS 1.3 the
//! ALPN choice and the certificate are encrypted, so a hand-made ClientHello
//! could not report them; a full handshake can. The verifier accepts every
//! certificate — we are diagnosing, not sending secrets — but records what
//! the system's trust store thinks of it, for `tls-untrusted-certificate`.

use std::net::SocketAddr;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Duration;

use protocol::ServiceProtocol;
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, RootCertStore, SignatureScheme};
use tokio::net::TcpStream;
use x509_cert::der::Decode as _;

use super::{Answer, Identified};
use crate::target::Target;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFacts {
    /// "TLS 1.3", "TLS 1.2".
    pub version: String,
    pub alpn: Option<String>,
    /// The certificate's subject and issuer, e.g. "CN=localhost".
    pub subject: Option<String>,
    pub issuer: Option<String>,
    /// Why this machine's trust store rejects the certificate, if it does.
    pub untrusted: Option<String>,
}

static PROVIDER: LazyLock<Arc<CryptoProvider>> =
    LazyLock::new(|| Arc::new(rustls::crypto::ring::default_provider()));

/// The system's trust store, read once; empty if unreadable.
static ROOTS: LazyLock<Arc<RootCertStore>> = LazyLock::new(|| {
    let mut roots = RootCertStore::empty();
    roots.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
    Arc::new(roots)
});

/// A connector that completes a handshake with any certificate, offering
/// `alpn`, and the recorder that keeps what the server showed. The MCP
/// client speaks through one too: whether the certificate is trusted is
/// the identify stage's finding, not a reason to leave the server unchecked.
pub fn connector(alpn: &[&[u8]]) -> (tokio_rustls::TlsConnector, Arc<Recorder>) {
    let recorder = Arc::new(Recorder::default());
    let mut config = rustls::ClientConfig::builder_with_provider(PROVIDER.clone())
        .with_safe_default_protocol_versions()
        .expect("ring provides TLS 1.2 and 1.3")
        .dangerous()
        .with_custom_certificate_verifier(recorder.clone())
        .with_no_client_auth();
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    (tokio_rustls::TlsConnector::from(Arc::new(config)), recorder)
}

/// The name to send as SNI: the host as typed, or the address for a host
/// that is not a DNS name.
pub fn server_name(host: &str, addr: SocketAddr) -> ServerName<'static> {
    ServerName::try_from(host.to_owned()).unwrap_or_else(|_| ServerName::from(addr.ip()))
}

pub(super) async fn probe(addr: SocketAddr, target: &Target, deadline: Duration) -> Answer {
    let (connector, recorder) = connector(&[b"h2", b"http/1.1"]);
    let name = server_name(&target.host, addr);
    let work = async {
        let tcp = TcpStream::connect(addr).await?;
        connector.connect(name, tcp).await
    };
    match tokio::time::timeout(deadline, work).await {
        Err(_) => Answer::Nothing,
        Ok(Ok(stream)) => {
            let (_, session) = stream.get_ref();
            let version = match session.protocol_version() {
                Some(rustls::ProtocolVersion::TLSv1_3) => "TLS 1.3",
                Some(rustls::ProtocolVersion::TLSv1_2) => "TLS 1.2",
                _ => "TLS",
            };
            let alpn = session
                .alpn_protocol()
                .map(|p| String::from_utf8_lossy(p).into_owned());
            Answer::Found(Box::new(found(version, alpn, &recorder)))
        }
        Ok(Err(e)) => match e
            .get_ref()
            .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        {
            // The server speaks TLS but would not finish with us.
            Some(rustls::Error::AlertReceived(alert)) => {
                let mut refused = found("TLS", None, &recorder);
                refused.service.detail = Some(format!(
                    "TLS (the server ended the handshake: {})",
                    words(&format!("{alert:?}"))
                ));
                Answer::Found(Box::new(refused))
            }
            _ if e.kind() == std::io::ErrorKind::ConnectionReset => Answer::Reset,
            _ => Answer::Nothing,
        },
    }
}

fn found(version: &str, alpn: Option<String>, recorder: &Recorder) -> Identified {
    let seen = recorder.seen.lock().expect("lock").clone();
    let (subject, issuer) = seen
        .as_ref()
        .and_then(|seen| names(&seen.leaf))
        .map_or((None, None), |(s, i)| (Some(s), Some(i)));
    let untrusted = seen.and_then(|seen| seen.verdict.err());
    let mut detail = version.to_owned();
    if let Some(alpn) = &alpn {
        detail.push_str(&format!(", ALPN {alpn}"));
    }
    if let Some(subject) = &subject {
        detail.push_str(&format!(", certificate {subject}"));
    }
    let mut identified = Identified::new(ServiceProtocol::Tls, detail, None);
    identified.tls = Some(TlsFacts {
        version: version.to_owned(),
        alpn,
        subject,
        issuer,
        untrusted,
    });
    identified
}

/// Why the trust store refuses a certificate, in words. rustls's own
/// messages show its enums' debug forms ("invalid peer certificate:
/// Other(OtherError(CaUsedAsEndEntity))"), which tell a user nothing.
fn untrusted_words(e: &rustls::Error) -> String {
    use rustls::CertificateError as C;
    let rustls::Error::InvalidCertificate(c) = e else {
        return e.to_string();
    };
    match c {
        C::UnknownIssuer => {
            "issued by a certificate authority this machine does not trust".to_owned()
        }
        C::Expired | C::ExpiredContext { .. } => "the certificate has expired".to_owned(),
        C::NotValidYet | C::NotValidYetContext { .. } => {
            "the certificate is not valid yet (or this machine's clock is wrong)".to_owned()
        }
        // Its Display says which names the certificate holds.
        C::NotValidForNameContext { .. } => c.to_string(),
        C::NotValidForName => "the certificate is not valid for the name asked for".to_owned(),
        C::Revoked => "the certificate has been revoked".to_owned(),
        C::BadSignature => "the certificate's signature does not verify".to_owned(),
        C::BadEncoding => "the certificate cannot be read (bad encoding)".to_owned(),
        C::InvalidPurpose | C::InvalidPurposeContext { .. } => {
            "the certificate is not meant for a TLS server (extended key usage)".to_owned()
        }
        C::Other(other) => match other.0.downcast_ref::<webpki::Error>() {
            Some(webpki::Error::CaUsedAsEndEntity) => {
                "the server presents a CA certificate (CA:TRUE) as its own; self-signed certificates made with `openssl req -x509` are CA certificates by default".to_owned()
            }
            Some(webpki::Error::EndEntityUsedAsCa) => {
                "a server certificate (CA:FALSE) was used to sign another".to_owned()
            }
            _ => format!("rejected by the trust store: {}", words(&other.to_string())),
        },
        other => format!(
            "rejected by the trust store: {}",
            words(&format!("{other:?}"))
        ),
    }
}

/// `CaUsedAsEndEntity` → `ca used as end entity`: an enum's debug name, as
/// words, for the variants nobody wrote a sentence for. Anything after the
/// name (`TrailingData(..)`) is dropped.
fn words(debug: &str) -> String {
    let name = debug.split(['(', ' ', '{']).next().unwrap_or(debug);
    let mut out = String::new();
    for c in name.chars() {
        if c.is_uppercase() && !out.is_empty() {
            out.push(' ');
        }
        out.extend(c.to_lowercase());
    }
    out
}

/// Accepts any certificate, remembering the leaf and the trust store's verdict.
#[derive(Debug, Default)]
pub struct Recorder {
    seen: Mutex<Option<Seen>>,
}

#[derive(Debug, Clone)]
struct Seen {
    leaf: Vec<u8>,
    verdict: Result<(), String>,
}

impl ServerCertVerifier for Recorder {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let verdict = WebPkiServerVerifier::builder_with_provider(ROOTS.clone(), PROVIDER.clone())
            .build()
            .map_err(|e| format!("no trust store to check against: {e}"))
            .and_then(|verifier| {
                verifier
                    .verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
                    .map(|_| ())
                    .map_err(|e| untrusted_words(&e))
            });
        *self.seen.lock().expect("lock") = Some(Seen {
            leaf: end_entity.to_vec(),
            verdict,
        });
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &PROVIDER.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &PROVIDER.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        PROVIDER
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// Longest subject or issuer we keep, in characters: the certificate is
/// the server's to write, and the names go into every report.
const MAX_NAME: usize = 256;

/// Subject and issuer of an X.509 certificate in RFC 4514 form
/// (`CN=localhost,O=Example`), read by x509-cert. RFC 4514 escapes the
/// separators and ASCII control characters; other control characters (C1,
/// which some terminals obey) become U+FFFD.
fn names(der: &[u8]) -> Option<(String, String)> {
    let cert = x509_cert::Certificate::from_der(der).ok()?;
    let tbs = cert.tbs_certificate();
    Some((shown(tbs.subject()), shown(tbs.issuer())))
}

fn shown(name: &x509_cert::name::Name) -> String {
    let text = name.to_string();
    let mut out: String = text
        .chars()
        .take(MAX_NAME)
        .map(|c| if c.is_control() { '\u{fffd}' } else { c })
        .collect();
    if text.chars().nth(MAX_NAME).is_some() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trust_store_refusals_are_words_not_debug_text() {
        let ca = rustls::Error::InvalidCertificate(rustls::CertificateError::Other(
            rustls::OtherError(Arc::new(webpki::Error::CaUsedAsEndEntity)),
        ));
        let said = untrusted_words(&ca);
        assert!(
            said.starts_with("the server presents a CA certificate"),
            "{said}"
        );
        let other = rustls::Error::InvalidCertificate(rustls::CertificateError::Other(
            rustls::OtherError(Arc::new(webpki::Error::UnsupportedCriticalExtension)),
        ));
        assert_eq!(
            untrusted_words(&other),
            "rejected by the trust store: unsupported critical extension"
        );
        let unknown = rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer);
        assert!(!untrusted_words(&unknown).contains("UnknownIssuer"));
        assert_eq!(words("HandshakeFailure"), "handshake failure");
    }

    /// A certificate of testdata/ (made by its make.sh), DER.
    macro_rules! certificate {
        ($name:literal) => {
            include_bytes!(concat!("testdata/", $name, ".der")).as_slice()
        };
    }

    fn subject(der: &[u8]) -> String {
        names(der).expect("a certificate").0
    }

    #[test]
    fn names_of_certificates() {
        let plain = certificate!("localhost");
        assert_eq!(
            names(plain),
            Some(("CN=localhost".into(), "CN=localhost".into()))
        );
        // Every attribute, most specific first, as RFC 4514 and openssl's
        // -nameopt RFC2253 write them.
        assert_eq!(
            subject(certificate!("full")),
            "CN=db.example,OU=Ops,O=Example GmbH,C=DE"
        );
        assert_eq!(
            subject(certificate!("components")),
            "CN=host,DC=example,DC=org"
        );
        // A multi-valued RDN, in the order its DER SET sorts it.
        assert_eq!(subject(certificate!("multi-rdn")), "OU=Ops+CN=host");
        assert_eq!(names(&plain[..plain.len() - 1]), None, "truncated");
    }

    #[test]
    fn odd_names_cannot_pass_for_others_or_reach_a_terminal() {
        // Separators in a value are escaped: this is one CN, not an O.
        assert_eq!(subject(certificate!("comma")), "CN=evil\\,O=Trusted Bank");
        // An escape sequence (clear screen) and a C1 control (CSI).
        let controls = subject(certificate!("controls"));
        assert_eq!(controls, "CN=a\\1b[2Jb\u{fffd}31mc");
        // Sixteen attributes: bounded.
        let long = subject(certificate!("long"));
        assert_eq!(long.chars().count(), MAX_NAME + 1);
        assert!(long.starts_with("OU=oooo") && long.ends_with('…'), "{long}");
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2048))]

        /// A certificate is the server's to write: any bytes, any lengths.
        #[test]
        fn any_certificate_bytes(der in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..400)) {
            let _ = names(&der);
        }

        /// A real certificate with a byte changed and cut anywhere: the
        /// reader never panics, and what it keeps stays bounded.
        #[test]
        fn damaged_certificates(
            at in proptest::prelude::any::<proptest::sample::Index>(),
            byte in proptest::prelude::any::<u8>(),
            cut in proptest::prelude::any::<proptest::sample::Index>(),
        ) {
            let mut der = certificate!("long").to_vec();
            let at = at.index(der.len());
            der[at] = byte;
            der.truncate(cut.index(der.len()) + 1);
            if let Some((subject, issuer)) = names(&der) {
                proptest::prop_assert!(subject.chars().count() <= MAX_NAME + 1);
                proptest::prop_assert!(issuer.chars().count() <= MAX_NAME + 1);
            }
        }
    }
}
