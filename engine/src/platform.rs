//! The user's own tools, per operating system: fixes name the command the
//! user can type on the machine the helper runs on (`ss` on Linux, `lsof` on
//! macOS, `netstat` on Windows), not a Linux command on a Mac.
//!
//! Every text is a function of an [`Os`] value rather than of `cfg!`, so the
//! unit tests check all three systems on any one of them.

/// The operating systems fixes are written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Os {
    /// And every other Unix: `ss` and `nft` are where a user looks first.
    Linux,
    MacOs,
    Windows,
}

impl Os {
    /// The system this helper runs on.
    pub const CURRENT: Os = if cfg!(target_os = "macos") {
        Os::MacOs
    } else if cfg!(windows) {
        Os::Windows
    } else {
        Os::Linux
    };

    /// Lists every TCP listener with its owner.
    pub fn listeners_command(self) -> &'static str {
        match self {
            Os::Linux => "ss -tlnp",
            Os::MacOs => "lsof -nP -iTCP -sTCP:LISTEN",
            Os::Windows => "netstat -ano | findstr LISTENING",
        }
    }

    /// How to see the owners of other users' sockets too: what to say when
    /// the OS hid one from us.
    pub fn see_every_owner(self) -> String {
        match self {
            Os::Linux | Os::MacOs => format!("`sudo {}` names it", self.listeners_command()),
            Os::Windows => format!(
                "`{}` in an administrator's Command Prompt names its pid",
                self.listeners_command()
            ),
        }
    }

    /// Where firewall rules that drop a port are listed.
    pub fn firewall_rules(self) -> &'static str {
        match self {
            Os::Linux => "`sudo nft list ruleset` or `sudo iptables -S`",
            Os::MacOs => {
                "`sudo pfctl -sr`, and System Settings › Network › Firewall for the application firewall"
            }
            Os::Windows => {
                "`netsh advfirewall firewall show rule name=all dir=in`, or Windows Defender Firewall › Advanced settings"
            }
        }
    }

    /// Shows where a command found on the PATH lives. Windows has no
    /// `which`; `where.exe` (not `where`, which PowerShell reads as
    /// `Where-Object`) works in both its shells.
    pub fn locate_command(self, command: &str) -> String {
        match self {
            Os::Linux | Os::MacOs => format!("`which {command}`"),
            Os::Windows => format!("`where.exe {command}`"),
        }
    }

    /// Shows a file, or that it is missing: `ls` is not a Command Prompt
    /// command, `dir` is one in both Windows shells.
    pub fn show_file(self, path: &str) -> String {
        match self {
            Os::Linux | Os::MacOs => format!("`ls -l {path}`"),
            Os::Windows => format!("`dir \"{path}\"`"),
        }
    }

    /// Ends a process by its pid (a leftover server holding a port).
    pub fn stop_process(self, pid: u32) -> String {
        match self {
            Os::Linux | Os::MacOs => format!("`kill {pid}`"),
            Os::Windows => format!("`taskkill /PID {pid}`"),
        }
    }

    /// Where the desktop assistant (Claude Desktop) writes what it saw of a
    /// configured MCP server: its own `mcp-server-NAME.log`, beside
    /// `mcp.log` for all of them. Linux has no official assistant, so no
    /// place to name.
    pub fn assistant_log(self, server: &str) -> Option<String> {
        match self {
            Os::MacOs => Some(format!("~/Library/Logs/Claude/mcp-server-{server}.log")),
            Os::Windows => Some(format!(r"%APPDATA%\Claude\logs\mcp-server-{server}.log")),
            Os::Linux => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_os_gets_its_own_listener_command() {
        assert_eq!(Os::Linux.listeners_command(), "ss -tlnp");
        assert_eq!(Os::MacOs.listeners_command(), "lsof -nP -iTCP -sTCP:LISTEN");
        assert_eq!(
            Os::Windows.listeners_command(),
            "netstat -ano | findstr LISTENING"
        );
    }

    #[test]
    fn seeing_every_owner_takes_the_systems_own_elevation() {
        assert_eq!(Os::Linux.see_every_owner(), "`sudo ss -tlnp` names it");
        assert_eq!(
            Os::MacOs.see_every_owner(),
            "`sudo lsof -nP -iTCP -sTCP:LISTEN` names it"
        );
        let windows = Os::Windows.see_every_owner();
        assert!(windows.contains("administrator") && !windows.contains("sudo"));
    }

    #[test]
    fn firewall_rules_are_looked_up_where_each_system_keeps_them() {
        assert!(Os::Linux.firewall_rules().contains("nft list ruleset"));
        assert!(Os::MacOs.firewall_rules().contains("pfctl"));
        assert!(Os::Windows.firewall_rules().contains("netsh advfirewall"));
    }

    #[test]
    fn commands_that_find_show_and_stop_are_the_systems_own() {
        for unix in [Os::Linux, Os::MacOs] {
            assert_eq!(unix.locate_command("npx"), "`which npx`");
            assert_eq!(unix.show_file("/opt/x/server"), "`ls -l /opt/x/server`");
            assert_eq!(unix.stop_process(42), "`kill 42`");
        }
        assert_eq!(Os::Windows.locate_command("npx"), "`where.exe npx`");
        assert_eq!(
            Os::Windows.show_file(r"C:\Tools\server.exe"),
            r#"`dir "C:\Tools\server.exe"`"#
        );
        assert_eq!(Os::Windows.stop_process(42), "`taskkill /PID 42`");
    }

    #[test]
    fn the_assistants_log_is_named_where_the_assistant_writes_it() {
        assert_eq!(
            Os::MacOs.assistant_log("files").as_deref(),
            Some("~/Library/Logs/Claude/mcp-server-files.log")
        );
        assert_eq!(
            Os::Windows.assistant_log("files").as_deref(),
            Some(r"%APPDATA%\Claude\logs\mcp-server-files.log")
        );
        assert_eq!(Os::Linux.assistant_log("files"), None);
    }
}
