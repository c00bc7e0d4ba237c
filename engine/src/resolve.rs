//! Stage 3: every address the host name has, in the order the OS gives them.
//!
//! The order matters: most clients try the first address first, so "localhost
//! resolves to ::1 before 127.0.0.1" is often the whole story of a failure.

use std::net::SocketAddr;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResolveError {
    #[error("\"{host}\" has no address: {reason}")]
    NotFound { host: String, reason: String },
}

/// Resolves through the system resolver (getaddrinfo: hosts file, then DNS),
/// as the user's own client would, keeping the OS order and dropping repeats.
pub async fn resolve(host: &str, port: u16) -> Result<Vec<SocketAddr>, ResolveError> {
    let not_found = |reason: String| ResolveError::NotFound {
        host: host.to_owned(),
        reason,
    };
    let found = tokio::net::lookup_host((host, port))
        .await
        .map_err(|e| not_found(e.to_string()))?;
    let mut addresses: Vec<SocketAddr> = Vec::new();
    for addr in found {
        if !addresses.contains(&addr) {
            addresses.push(addr);
        }
    }
    if addresses.is_empty() {
        return Err(not_found("the resolver returned no address".to_owned()));
    }
    Ok(addresses)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn ip_literals_resolve_to_themselves() {
        let addrs = resolve("::1", 80).await.unwrap();
        assert_eq!(addrs, vec!["[::1]:80".parse().unwrap()]);
    }

    #[tokio::test]
    async fn localhost_resolves_to_loopback() {
        let addrs = resolve("localhost", 80).await.unwrap();
        assert!(!addrs.is_empty());
        assert!(addrs.iter().all(|a| a.ip().is_loopback()), "{addrs:?}");
    }

    #[tokio::test]
    async fn unknown_names_are_an_error_not_a_panic() {
        // `.invalid` is reserved (RFC 2606) and never resolves.
        let err = resolve("no-such-host.invalid", 80).await.unwrap_err();
        assert!(err.to_string().contains("no-such-host.invalid"));
    }
}
