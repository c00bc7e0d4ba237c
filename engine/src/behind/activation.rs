//! Socket activation: a service manager holds the listening socket and
//! starts the service on the first connection (or one per connection). The
//! port then looks open even when the service fails at every start.

use std::time::Duration;

/// A service manager holding the socket, and what it starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Activation {
    pub manager: Manager,
    pub pid: u32,
    /// The command it starts, for `systemd-socket-activate`.
    pub command: Option<String>,
    /// For systemd: the `.socket` unit listening on the port, as
    /// `systemctl list-sockets` names it; `None` when systemctl is absent,
    /// slow or does not list the port.
    pub unit: Option<SocketUnit>,
}

/// A row of `systemctl list-sockets`: the socket unit and the unit it starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SocketUnit {
    pub socket: String,
    /// Empty when the socket unit starts nothing (yet).
    pub activates: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Manager {
    /// systemd itself (pid 1, or a user's `systemd --user`) for a `.socket` unit.
    Systemd,
    /// `systemd-socket-activate [-a] -l PORT COMMAND`, the testing tool.
    SocketActivate,
    /// macOS's launchd for a `Sockets` entry of a job.
    Launchd,
}

/// `systemd-socket-activate`'s options that take a value.
const VALUED: &[&str] = &["-l", "--listen", "-E", "--setenv", "--fdname"];

/// Whether the process with this name and command line activates sockets.
pub fn of(pid: u32, name: &str, argv: &[String]) -> Option<Activation> {
    let program = argv
        .first()
        .map(|p| p.rsplit('/').next().unwrap_or(p))
        .unwrap_or(name);
    // Debian starts systemd as /sbin/init: its short name tells.
    let (manager, command) = match program {
        _ if name == "systemd" || program == "systemd" => (Manager::Systemd, None),
        "launchd" => (Manager::Launchd, None),
        "systemd-socket-activate" => (Manager::SocketActivate, command(&argv[1..])),
        _ => return None,
    };
    Some(Activation {
        manager,
        pid,
        command,
        unit: None,
    })
}

/// How long systemctl may take: it asks the manager over D-Bus, which a
/// busy or wedged manager answers late or never.
const SYSTEMCTL_TIMEOUT: Duration = Duration::from_secs(2);

/// Asks the systemd holding the socket (pid 1, else a user manager, asked
/// with `--user`) which socket unit listens on `port`.
pub async fn systemd_unit(pid: u32, port: u16) -> Option<SocketUnit> {
    let mut cmd = tokio::process::Command::new("systemctl");
    if pid != 1 {
        cmd.arg("--user");
    }
    cmd.args([
        "list-sockets",
        "--all",
        "--full",
        "--no-legend",
        "--no-pager",
    ])
    .stdin(std::process::Stdio::null())
    .stderr(std::process::Stdio::null())
    .kill_on_drop(true);
    let out = tokio::time::timeout(SYSTEMCTL_TIMEOUT, cmd.output())
        .await
        .ok()?
        .ok()?;
    if !out.status.success() {
        return None;
    }
    socket_unit(&String::from_utf8_lossy(&out.stdout), port)
}

/// The first row of `systemctl list-sockets --no-legend` listening on an
/// internet address with this port. Columns are LISTEN UNIT ACTIVATES;
/// LISTEN may hold spaces (`kobject-uevent 1`), so the row is split at
/// the word naming the `.socket` unit.
fn socket_unit(text: &str, port: u16) -> Option<SocketUnit> {
    let suffix = format!(":{port}");
    text.lines().find_map(|line| {
        let words: Vec<&str> = line.split_whitespace().collect();
        let at = words.iter().position(|w| w.ends_with(".socket"))?;
        let listen = words[..at].join(" ");
        let inet = listen.starts_with(|c: char| c.is_ascii_digit() || c == '[' || c == '*');
        if !inet || !listen.ends_with(&suffix) {
            return None;
        }
        Some(SocketUnit {
            socket: words[at].to_owned(),
            activates: words[at + 1..].join(" "),
        })
    })
}

/// The command after the options: everything from the first non-option word.
fn command(args: &[String]) -> Option<String> {
    let mut i = 0;
    while i < args.len() {
        let arg = args[i].as_str();
        if arg == "--" {
            i += 1;
            break;
        }
        if !arg.starts_with('-') {
            break;
        }
        i += if VALUED.contains(&arg) { 2 } else { 1 };
    }
    let rest = args.get(i..).filter(|r| !r.is_empty())?;
    Some(rest.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(line: &str) -> Vec<String> {
        line.split(' ').map(str::to_owned).collect()
    }

    #[test]
    fn names_the_manager_and_the_command() {
        let a = of(
            7,
            "systemd-socket-",
            &argv("/usr/bin/systemd-socket-activate -a -l 127.0.0.1:8080 -E X=1 --fdname=web python3 app.py"),
        )
        .unwrap();
        assert_eq!(a.manager, Manager::SocketActivate);
        assert_eq!(a.command.as_deref(), Some("python3 app.py"));
        let a = of(1, "systemd", &argv("/sbin/init splash")).map(|a| a.manager);
        assert_eq!(a, Some(Manager::Systemd));
        let a = of(1, "systemd", &argv("/lib/systemd/systemd --system")).unwrap();
        assert_eq!((a.manager, a.command), (Manager::Systemd, None));
        assert_eq!(of(9, "python3", &argv("python3 -m http.server")), None);
    }

    /// `systemctl list-sockets --all --full --no-legend --no-pager` as
    /// systemd 252 prints it (this machine has no systemd as pid 1 to ask).
    const LIST_SOCKETS: &str = "\
/run/dbus/system_bus_socket          dbus.socket                     dbus.service
/run/systemd/journal/dev-log         systemd-journald-dev-log.socket systemd-journald.service
kobject-uevent 1                     systemd-udevd-kernel.socket     systemd-udevd.service
127.0.0.1:18080                      web-old.socket
[::]:8080                            web.socket                      web@0.service
0.0.0.0:80                           nginx.socket                    nginx.service
";

    #[test]
    fn list_sockets_names_the_unit_on_the_port() {
        let unit = |port| socket_unit(LIST_SOCKETS, port);
        assert_eq!(
            unit(8080),
            Some(SocketUnit {
                socket: "web.socket".into(),
                activates: "web@0.service".into(),
            })
        );
        assert_eq!(unit(80).unwrap().socket, "nginx.socket");
        // A unit that starts nothing, and a port only a longer one ends in.
        assert_eq!(unit(18080).unwrap().activates, "");
        assert_eq!(unit(1), None);
        assert_eq!(unit(8081), None);
        assert_eq!(socket_unit("", 80), None);
    }
}
