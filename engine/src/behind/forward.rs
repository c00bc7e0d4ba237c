//! Where a forwarder sends what it accepts, read from its command line.
//!
//! Pure functions of `argv` (from `/proc/PID/cmdline`, so no shell quoting
//! to undo) and the port the user asked about: a forwarder with several
//! forwards (`ssh -L a -L b`) is asked about that port's one only.

use std::net::IpAddr;

/// The programs whose destination is on their command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Forwarder {
    /// Docker's userland proxy: `-host-port 8080 -container-ip 172.17.0.2 -container-port 80`.
    DockerProxy,
    /// `socat TCP-LISTEN:8080,fork TCP:127.0.0.1:9000`.
    Socat,
    /// `ssh -L [bind:]8080:host:80 server`.
    Ssh,
    /// `kubectl port-forward pod/web 8080:80`.
    Kubectl,
}

impl Forwarder {
    pub fn name(self) -> &'static str {
        match self {
            Self::DockerProxy => "docker-proxy",
            Self::Socat => "socat",
            Self::Ssh => "ssh -L",
            Self::Kubectl => "kubectl port-forward",
        }
    }
}

/// The far end of a forward.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    /// An address this machine connects to itself: portdoctor can check it.
    Here { host: String, port: u16 },
    /// Reached from somewhere else (the ssh server, inside a pod): described,
    /// not checked.
    Elsewhere {
        host: String,
        port: u16,
        from: String,
    },
}

impl Destination {
    /// `host:port`, with brackets around an IPv6 literal.
    pub fn address(&self) -> String {
        let (Self::Here { host, port } | Self::Elsewhere { host, port, .. }) = self;
        if host.contains(':') {
            format!("[{host}]:{port}")
        } else {
            format!("{host}:{port}")
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub forwarder: Forwarder,
    pub destination: Destination,
}

/// Where the process with this command line forwards connections to `port`,
/// when it is a forwarder that says so.
pub fn route(argv: &[String], port: u16) -> Option<Route> {
    let program = argv.first()?;
    let program = program.rsplit(['/', '\\']).next()?;
    let args = &argv[1..];
    let (forwarder, destination) = match program.trim_end_matches(".exe") {
        "docker-proxy" => (Forwarder::DockerProxy, docker_proxy(args, port)?),
        "socat" => (Forwarder::Socat, socat(args, port)?),
        "ssh" => (Forwarder::Ssh, ssh(args, port)?),
        "kubectl" => (Forwarder::Kubectl, kubectl(args, port)?),
        _ => return None,
    };
    Some(Route {
        forwarder,
        destination,
    })
}

/// Go's flag syntax: `-name value`, `--name value`, `-name=value`.
fn go_flag(args: &[String], name: &str) -> Option<String> {
    args.iter().enumerate().find_map(|(i, arg)| {
        let bare = arg.strip_prefix("--").or_else(|| arg.strip_prefix('-'))?;
        match bare.split_once('=') {
            Some((n, value)) if n == name => Some(value.to_owned()),
            None if bare == name => args.get(i + 1).cloned(),
            _ => None,
        }
    })
}

fn docker_proxy(args: &[String], port: u16) -> Option<Destination> {
    let host_port = go_flag(args, "host-port").and_then(|p| p.parse::<u16>().ok());
    if host_port.is_some_and(|p| p != port) {
        return None;
    }
    Some(Destination::Here {
        host: go_flag(args, "container-ip")?,
        port: go_flag(args, "container-port")?.parse().ok()?,
    })
}

/// The two addresses of socat, `KEYWORD:params,options`; options of socat
/// itself come first (`-d -d`, `-lf FILE`).
fn socat(args: &[String], port: u16) -> Option<Destination> {
    let mut addresses = Vec::new();
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "-lf" | "-lp" => {
                rest.next();
            }
            "-" => addresses.push(arg.as_str()),
            a if a.starts_with('-') => {}
            a => addresses.push(a),
        }
    }
    let [first, second] = addresses[..] else {
        return None;
    };
    let split = |address: &str| -> Option<(String, String)> {
        let (keyword, params) = address.split_once([':', ','])?;
        let params = params.split(',').next().unwrap_or_default();
        Some((keyword.to_ascii_uppercase(), params.to_owned()))
    };
    let listens = |address: &str| {
        split(address).is_some_and(|(keyword, params)| {
            matches!(
                keyword.as_str(),
                "TCP-LISTEN" | "TCP-L" | "TCP4-LISTEN" | "TCP4-L" | "TCP6-LISTEN" | "TCP6-L"
            ) && params.parse::<u16>() == Ok(port)
        })
    };
    let far = if listens(first) {
        second
    } else if listens(second) {
        first
    } else {
        return None;
    };
    let (keyword, params) = split(far)?;
    if !matches!(
        keyword.as_str(),
        "TCP"
            | "TCP-CONNECT"
            | "TCP4"
            | "TCP4-CONNECT"
            | "TCP6"
            | "TCP6-CONNECT"
            | "OPENSSL"
            | "OPENSSL-CONNECT"
            | "SSL"
    ) {
        return None;
    }
    let (host, port) = host_port(&params)?;
    Some(Destination::Here { host, port })
}

/// `host:port` or `[v6]:port`.
fn host_port(text: &str) -> Option<(String, u16)> {
    let (host, port) = text.rsplit_once(':')?;
    let host = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    (!host.is_empty()).then(|| Some((host.to_owned(), port.parse().ok()?)))?
}

/// Splits `a:b:[c]:d` at colons outside brackets.
fn fields(spec: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut depth = 0;
    for c in spec.chars() {
        match c {
            '[' => depth += 1,
            ']' => depth -= 1,
            ':' if depth == 0 => {
                out.push(String::new());
                continue;
            }
            _ => {}
        }
        out.last_mut().expect("never empty").push(c);
    }
    out.into_iter()
        .map(|f| f.trim_start_matches('[').trim_end_matches(']').to_owned())
        .collect()
}

/// ssh's options that take a value (OpenSSH's getopt string).
const SSH_VALUED: &str = "BbcDEeFIiJLlmOoPpQRSWw";

fn ssh(args: &[String], port: u16) -> Option<Destination> {
    let mut forwards = Vec::new();
    let mut server = None;
    let mut i = 0;
    while i < args.len() {
        let arg = &args[i];
        i += 1;
        let Some(flags) = arg.strip_prefix('-').filter(|f| !f.is_empty()) else {
            server.get_or_insert(arg.clone());
            continue;
        };
        // Grouped flags: `-fNL 8080:db:5432`; a valued flag takes the rest
        // of the word, or the next word.
        for (at, flag) in flags.char_indices() {
            if !SSH_VALUED.contains(flag) {
                continue;
            }
            let value = match &flags[at + 1..] {
                "" => {
                    i += 1;
                    args.get(i - 1).cloned()
                }
                attached => Some(attached.to_owned()),
            };
            if flag == 'L' {
                forwards.extend(value);
            }
            break;
        }
    }
    let server = server?;
    let server = server.strip_prefix("ssh://").unwrap_or(&server);
    let server = server.rsplit('@').next().unwrap_or(server);
    let server = fields(server).into_iter().next()?;
    forwards.iter().find_map(|spec| {
        let f = fields(spec);
        let (listen, host, to) = match &f[..] {
            [listen, host, to] | [_, listen, host, to] => (listen, host, to),
            _ => return None,
        };
        if listen.parse::<u16>() != Ok(port) {
            return None;
        }
        let (host, port) = (host.clone(), to.parse().ok()?);
        Some(if is_loopback_name(&server) {
            Destination::Here { host, port }
        } else {
            Destination::Elsewhere {
                host,
                port,
                from: format!("the ssh server {server}"),
            }
        })
    })
}

/// kubectl's flags that take a value (the rest are booleans).
const KUBECTL_VALUED: &[&str] = &[
    "-n",
    "--namespace",
    "--address",
    "--context",
    "--kubeconfig",
    "--cluster",
    "--user",
    "-s",
    "--server",
    "--as",
    "--pod-running-timeout",
    "--request-timeout",
];

fn kubectl(args: &[String], port: u16) -> Option<Destination> {
    let mut words = Vec::new();
    let mut namespace = None;
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        if KUBECTL_VALUED.contains(&arg.as_str()) {
            let value = rest.next();
            if matches!(arg.as_str(), "-n" | "--namespace") {
                namespace = value.cloned();
            }
        } else if let Some(ns) = arg.strip_prefix("--namespace=") {
            namespace = Some(ns.to_owned());
        } else if !arg.starts_with('-') {
            words.push(arg.as_str());
        }
    }
    let at = words.iter().position(|w| *w == "port-forward")?;
    let (resource, ports) = words[at + 1..].split_first()?;
    let remote = ports.iter().find_map(|spec| {
        let (local, remote) = spec.split_once(':').unwrap_or((spec, spec));
        (local.parse::<u16>() == Ok(port)).then(|| remote.parse::<u16>().ok())?
    })?;
    let resource = if resource.contains('/') {
        (*resource).to_owned()
    } else {
        format!("pod/{resource}")
    };
    let namespace = namespace.map_or(String::new(), |ns| format!(" in namespace {ns}"));
    Some(Destination::Elsewhere {
        host: "localhost".to_owned(),
        port: remote,
        from: format!("inside {resource}{namespace}, through the Kubernetes API"),
    })
}

/// `localhost`, `127.0.0.1`, `::1` and the like: this machine.
fn is_loopback_name(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.to_canonical().is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(line: &str) -> Vec<String> {
        line.split(' ').map(str::to_owned).collect()
    }

    fn here(host: &str, port: u16) -> Option<Destination> {
        Some(Destination::Here {
            host: host.to_owned(),
            port,
        })
    }

    fn dest(line: &str, port: u16) -> Option<Destination> {
        route(&argv(line), port).map(|r| r.destination)
    }

    #[test]
    fn docker_proxy_in_every_flag_spelling() {
        let line = "/usr/bin/docker-proxy -proto tcp -host-ip 0.0.0.0 -host-port 8080 -container-ip 172.17.0.2 -container-port 80";
        assert_eq!(dest(line, 8080), here("172.17.0.2", 80));
        assert_eq!(dest(line, 8081), None);
        let line = "docker-proxy --container-ip=10.0.0.5 --container-port=443 --host-port=8443 -use-listen-fd";
        assert_eq!(dest(line, 8443), here("10.0.0.5", 443));
        assert_eq!(dest("docker-proxy -container-ip 10.0.0.5", 80), None);
    }

    #[test]
    fn socat_listen_and_connect_addresses() {
        let line = "socat -d -d TCP-LISTEN:8080,fork,reuseaddr TCP:127.0.0.1:9000";
        assert_eq!(dest(line, 8080), here("127.0.0.1", 9000));
        assert_eq!(dest(line, 9000), None);
        let line = "socat -lf /tmp/log tcp6-connect:[::1]:5432,nodelay tcp4-l:15432,fork";
        assert_eq!(dest(line, 15432), here("::1", 5432));
        assert_eq!(
            dest(
                "socat TCP-LISTEN:8443 OPENSSL:api.example.com:443,verify=0",
                8443
            ),
            here("api.example.com", 443)
        );
        // Not forwarding over TCP: a shell, a Unix socket.
        assert_eq!(dest("socat TCP-LISTEN:8080 EXEC:/bin/cat", 8080), None);
        assert_eq!(
            dest("socat TCP-LISTEN:8080 UNIX-CONNECT:/run/x", 8080),
            None
        );
    }

    #[test]
    fn ssh_local_forwards() {
        let line = "ssh -N -L 8080:127.0.0.1:80 -p 2200 root@127.0.0.1";
        assert_eq!(dest(line, 8080), here("127.0.0.1", 80));
        let line = "ssh -fNL127.0.0.1:5433:db.internal:5432 -L 9000:[::1]:9 bastion";
        assert_eq!(
            dest(line, 5433),
            Some(Destination::Elsewhere {
                host: "db.internal".into(),
                port: 5432,
                from: "the ssh server bastion".into()
            })
        );
        assert_eq!(
            dest(line, 9000).map(|d| d.address()),
            Some("[::1]:9".into())
        );
        assert_eq!(
            dest("ssh -L 8080:localhost:80 ssh://me@[::1]:22", 8080),
            here("localhost", 80)
        );
        assert_eq!(dest("ssh -D 8080 server", 8080), None);
        assert_eq!(dest("ssh -R 8080:localhost:80 server", 8080), None);
    }

    #[test]
    fn kubectl_port_forward_is_described_not_checked() {
        let line = "kubectl -n shop port-forward --address 127.0.0.1 svc/web 8080:80 9090";
        assert_eq!(
            dest(line, 8080),
            Some(Destination::Elsewhere {
                host: "localhost".into(),
                port: 80,
                from: "inside svc/web in namespace shop, through the Kubernetes API".into()
            })
        );
        assert_eq!(
            dest(line, 9090).map(|d| d.address()),
            Some("localhost:9090".into())
        );
        assert_eq!(dest("kubectl get pods", 8080), None);
    }

    #[test]
    fn other_programs_are_not_forwarders() {
        assert_eq!(route(&argv("python3 -m http.server 8080"), 8080), None);
        assert_eq!(route(&[], 8080), None);
    }
}
