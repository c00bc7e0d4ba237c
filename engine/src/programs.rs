//! Which server program holds a socket, so a fix can name that program's
//! own way to choose its address (`python3 -m http.server --bind`,
//! `openssl s_server -accept`) instead of "its host/bind option".
//!
//! Read beside the socket table: the process name, and on Linux its command
//! line (`/proc/PID/cmdline`), which only serves to tell `python3 -m
//! http.server` from other Python servers and is never reported.

use std::net::{IpAddr, SocketAddr};

use socket_table::Listener;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Program {
    PythonHttpServer,
    Uvicorn,
    OpensslSServer,
    Node,
    RedisServer,
    Nginx,
    Sshd,
    Postgres,
    Socat,
}

impl Program {
    /// Recognises a server from its process name and arguments.
    pub fn classify(name: &str, args: &[String]) -> Option<Self> {
        let has = |word: &str| {
            args.iter()
                .any(|a| a == word || a.ends_with(&format!("/{word}")))
        };
        Some(match name {
            "openssl" => Self::OpensslSServer,
            "node" | "nodejs" => Self::Node,
            "redis-server" => Self::RedisServer,
            "nginx" => Self::Nginx,
            "sshd" => Self::Sshd,
            "postgres" | "postmaster" => Self::Postgres,
            "socat" => Self::Socat,
            "uvicorn" => Self::Uvicorn,
            n if n.starts_with("python") && has("http.server") => Self::PythonHttpServer,
            n if n.starts_with("python") && has("uvicorn") => Self::Uvicorn,
            _ => return None,
        })
    }

    /// The command or setting that makes this program listen on `ip:port`.
    pub fn listen_on(self, ip: IpAddr, port: u16) -> String {
        let addr = SocketAddr::new(ip, port);
        let socat = if ip.is_ipv6() { "TCP6" } else { "TCP" };
        match self {
            Self::PythonHttpServer => format!("`python3 -m http.server --bind {ip} {port}`"),
            Self::Uvicorn => format!("`uvicorn APP --host {ip} --port {port}`"),
            Self::OpensslSServer => format!("`openssl s_server -accept {addr}`"),
            Self::Node => {
                format!("`server.listen({port}, '{ip}')` (Express: `app.listen({port}, '{ip}')`)")
            }
            Self::RedisServer => format!("`redis-server --bind {ip} --port {port}`"),
            Self::Nginx => format!("`listen {addr};` in its server block, then `nginx -s reload`"),
            Self::Sshd => format!("`ListenAddress {addr}` in sshd_config"),
            Self::Postgres => format!("`listen_addresses = '{ip}'` in postgresql.conf"),
            Self::Socat => format!("`socat {socat}-LISTEN:{port},bind={ip} ...`"),
        }
    }
}

/// The program behind a listener's first owning process, if it is one we know.
pub fn of(listener: &Listener) -> Option<(u32, Program)> {
    let process = listener.processes.first()?;
    Program::classify(&process.name, &command_line(process.pid)).map(|p| (process.pid, p))
}

#[cfg(target_os = "linux")]
fn command_line(pid: u32) -> Vec<String> {
    std::fs::read(format!("/proc/{pid}/cmdline"))
        .map(|raw| {
            raw.split(|&b| b == 0)
                .filter(|a| !a.is_empty())
                .map(|a| String::from_utf8_lossy(a).into_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(not(target_os = "linux"))]
fn command_line(_pid: u32) -> Vec<String> {
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(line: &str) -> Vec<String> {
        line.split(' ').map(str::to_owned).collect()
    }

    #[test]
    fn servers_are_told_apart_by_name_and_arguments() {
        assert_eq!(
            Program::classify("python3", &args("python3 -u -m http.server --bind ::1 0")),
            Some(Program::PythonHttpServer)
        );
        assert_eq!(
            Program::classify("python3", &args("python3 manage.py runserver")),
            None
        );
        assert_eq!(
            Program::classify("openssl", &args("openssl s_server -accept 4433")),
            Some(Program::OpensslSServer)
        );
        assert_eq!(Program::classify("java", &[]), None);
    }

    #[test]
    fn commands_bracket_ipv6_where_the_program_wants_it() {
        let v6: IpAddr = "::1".parse().unwrap();
        assert_eq!(
            Program::OpensslSServer.listen_on(v6, 4433),
            "`openssl s_server -accept [::1]:4433`"
        );
        assert_eq!(
            Program::PythonHttpServer.listen_on("127.0.0.1".parse().unwrap(), 8000),
            "`python3 -m http.server --bind 127.0.0.1 8000`"
        );
    }
}
