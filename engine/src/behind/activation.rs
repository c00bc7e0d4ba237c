//! Socket activation: a service manager holds the listening socket and
//! starts the service on the first connection (or one per connection). The
//! port then looks open even when the service fails at every start.

/// A service manager holding the socket, and what it starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Activation {
    pub manager: Manager,
    pub pid: u32,
    /// The command it starts, for `systemd-socket-activate`; systemd's own
    /// socket units are named by `systemctl list-sockets`.
    pub command: Option<String>,
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
}
