//! `portdoctor` without a command: what a double-click does, and what a
//! person at a terminal gets.
//!
//! Both want the page open, and both get it: a start without a terminal on
//! Linux or macOS (a desktop launcher; stdin not a tty) needs nothing else,
//! as the page is where it speaks. So a start without a command that finds a
//! helper already running opens that one's page and ends well, instead of
//! failing with "port taken" (an explicit `portdoctor serve` still fails:
//! scripts asked for a server of their own). Started from Explorer, the
//! window Windows made for the helper is its only voice: it says that
//! closing it stops the helper, and an error stays on screen until Enter.

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Limited};

/// What is known about how the process was started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Started {
    /// No command given (`portdoctor`, `portdoctor --port 0`): "start it
    /// and show me the page".
    pub default_command: bool,
    /// Windows: the console was made for this process alone (Explorer,
    /// a shortcut), so it closes when the process ends.
    pub own_console: bool,
}

/// What the start does differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Plan {
    /// A helper already on the port: open its page, exit 0.
    pub reuse_running: bool,
    /// The window closes with the process: say so, and keep an error on
    /// screen until Enter.
    pub own_window: bool,
}

/// The decision, from the facts alone.
pub fn plan(started: Started) -> Plan {
    if !started.default_command {
        return Plan::default();
    }
    Plan {
        reuse_running: true,
        // A window of our own that nobody else reads from. A desktop start
        // on Linux or macOS (no terminal) has no window at all.
        own_window: started.own_console,
    }
}

/// The facts of this process.
pub fn started(default_command: bool) -> Started {
    Started {
        default_command,
        own_console: own_console(),
    }
}

#[cfg(windows)]
fn own_console() -> bool {
    let mut pids = [0u32; 2];
    // SAFETY: the buffer and its length match. Explorer's start leaves us
    // alone on a new console; cmd.exe or PowerShell count as a second.
    let count =
        unsafe { windows_sys::Win32::System::Console::GetConsoleProcessList(pids.as_mut_ptr(), 2) };
    count == 1
}

#[cfg(not(windows))]
fn own_console() -> bool {
    false
}

/// How long a helper on the port has to answer its health URL.
const ASK: Duration = Duration::from_secs(2);
/// More than a health answer is ever long.
const HEALTH_MAX: usize = 4096;

/// Whether a portdoctor helper answers on `addr`: its `/api/health` names
/// it (`"server": "portdoctor 0.1.0"`). Anything else there is not ours.
pub async fn helper_answers(addr: SocketAddr) -> bool {
    tokio::time::timeout(ASK, health(addr))
        .await
        .ok()
        .and_then(Result::ok)
        .is_some_and(|server| server.starts_with("portdoctor "))
}

async fn health(addr: SocketAddr) -> Result<String, Box<dyn std::error::Error + Send + Sync>> {
    let stream = tokio::net::TcpStream::connect(addr).await?;
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await?;
    tokio::spawn(connection);
    let request = http::Request::get("/api/health")
        .header(http::header::HOST, addr.to_string())
        .body(Empty::<Bytes>::new())?;
    let response = sender.send_request(request).await?;
    let body = Limited::new(response.into_body(), HEALTH_MAX)
        .collect()
        .await?
        .to_bytes();
    let health: serde_json::Value = serde_json::from_slice(&body)?;
    Ok(health["server"].as_str().unwrap_or_default().to_owned())
}

/// With a window of our own, an error stays readable until Enter.
pub fn hold(plan: Plan) {
    if plan.own_window {
        eprintln!("Press Enter to close this window.");
        let _ = std::io::stdin().read_line(&mut String::new());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_command_keeps_todays_behaviour_wherever_it_was_started() {
        for own_console in [true, false] {
            let started = Started {
                default_command: false,
                own_console,
            };
            assert_eq!(plan(started), Plan::default(), "{started:?}");
        }
    }

    #[test]
    fn double_clicked_on_windows_owns_its_window_and_reuses_a_running_helper() {
        // Explorer: a console of our own.
        let started = Started {
            default_command: true,
            own_console: true,
        };
        assert_eq!(
            plan(started),
            Plan {
                reuse_running: true,
                own_window: true
            }
        );
    }

    #[test]
    fn from_a_terminal_or_a_desktop_launcher_no_window_is_held() {
        // A shell (any OS; cmd.exe shares its console), or a Linux or
        // macOS desktop launcher (no terminal, no window at all).
        let started = Started {
            default_command: true,
            own_console: false,
        };
        assert_eq!(
            plan(started),
            Plan {
                reuse_running: true,
                own_window: false
            }
        );
    }
}
