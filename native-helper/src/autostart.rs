//! `portdoctor autostart on|off`: the helper starts at login, so a docs
//! embed finds it running. One entry per OS, each in the user's own scope
//! (no administrator rights): a systemd user unit on Linux, a launchd agent
//! on macOS, a value under the Windows logon `Run` key.
//!
//! The entries' text is made by plain functions compiled everywhere, so the
//! Linux tests check the plist and the registry value too; only the code
//! that installs them is per OS.

use std::path::{Path, PathBuf};

/// What the entry starts: the page server, without opening a browser at
/// every login.
pub const ARGS: [&str; 2] = ["serve", "--no-open"];
/// The systemd unit's file name.
pub const UNIT: &str = "portdoctor.service";
/// The launchd agent's label (and file name, with `.plist`).
pub const LABEL: &str = "dev.portdoctor.helper";
/// The Windows key (under HKEY_CURRENT_USER) whose values run at logon.
pub const RUN_KEY: &str = r"Software\Microsoft\Windows\CurrentVersion\Run";
/// The value's name under [`RUN_KEY`].
pub const RUN_VALUE: &str = "portdoctor";
/// On Windows the logon entry adds this: the console window Windows gives a
/// console program is closed, so nothing stays open on the desktop.
pub const NO_CONSOLE: &str = "--no-console";

#[derive(Debug, thiserror::Error)]
pub enum AutostartError {
    #[error("cannot find your home folder (HOME is not set); set HOME and try again")]
    NoHome,
    #[error("cannot find where portdoctor itself is ({0}); run it by its full path")]
    NoExe(std::io::Error),
    #[error(
        "the path {path} {why}, which a login entry cannot hold; move portdoctor to a plain path"
    )]
    BadPath { path: PathBuf, why: &'static str },
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot remove {path}: {source}")]
    Remove {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("`{command}` failed: {message}")]
    Command { command: String, message: String },
    #[error(r"the registry refused HKEY_CURRENT_USER\{RUN_KEY}\{RUN_VALUE} (error {0}); is the registry writable for you?")]
    Registry(u32),
    #[error(
        "starting at login is not supported on this system; start `portdoctor serve` from your session's startup instead"
    )]
    Unsupported,
}

/// Where the entry is and whether it is there.
#[derive(Debug, PartialEq, Eq)]
pub struct Status {
    pub on: bool,
    /// The file, or the registry value, shown to the user.
    pub place: String,
}

/// What `on` or `off` did, in sentences for the user.
#[derive(Debug, PartialEq, Eq)]
pub struct Outcome {
    pub place: String,
    pub notes: Vec<String>,
}

/// Double quotes where systemd's ExecStart needs them, with its escapes:
/// `\` and `"` backslashed, `%` (specifiers) and `$` (variables) doubled.
fn systemd_word(word: &str) -> String {
    let mut out = String::with_capacity(word.len() + 2);
    out.push('"');
    for c in word.chars() {
        match c {
            '\\' | '"' => {
                out.push('\\');
                out.push(c);
            }
            '%' | '$' => {
                out.push(c);
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out.push('"');
    out
}

fn exe_text(exe: &Path) -> Result<&str, AutostartError> {
    let bad = |why| AutostartError::BadPath {
        path: exe.to_owned(),
        why,
    };
    let text = exe.to_str().ok_or_else(|| bad("is not valid UTF-8"))?;
    if text.contains(['\n', '\r']) {
        return Err(bad("contains a line break"));
    }
    Ok(text)
}

/// The systemd user unit that runs `exe serve --no-open` at login and
/// restarts it if it fails (not when it is stopped).
pub fn systemd_unit(exe: &Path) -> Result<String, AutostartError> {
    let exe = systemd_word(exe_text(exe)?);
    Ok(format!(
        "[Unit]\n\
         Description=portdoctor: the local helper for connection checks (http://127.0.0.1:{port}/)\n\
         \n\
         [Service]\n\
         Type=exec\n\
         ExecStart={exe} {args}\n\
         Restart=on-failure\n\
         RestartSec=5\n\
         \n\
         [Install]\n\
         WantedBy=default.target\n",
        port = protocol::DEFAULT_PORT,
        args = ARGS.join(" "),
    ))
}

/// XML's five escapes, for the plist's strings.
fn xml_text(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

/// The launchd agent: runs at load (login), restarted when it exits with an
/// error, its messages in `log`.
pub fn launchd_plist(exe: &Path, log: &Path) -> Result<String, AutostartError> {
    let arguments: String = std::iter::once(exe_text(exe)?)
        .chain(ARGS)
        .map(|a| format!("\t\t<string>{}</string>\n", xml_text(a)))
        .collect();
    let log = xml_text(exe_text(log)?);
    Ok(format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" \"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n\
         <plist version=\"1.0\">\n\
         <dict>\n\
         \t<key>Label</key>\n\
         \t<string>{LABEL}</string>\n\
         \t<key>ProgramArguments</key>\n\
         \t<array>\n\
         {arguments}\
         \t</array>\n\
         \t<key>RunAtLoad</key>\n\
         \t<true/>\n\
         \t<key>KeepAlive</key>\n\
         \t<dict>\n\
         \t\t<key>SuccessfulExit</key>\n\
         \t\t<false/>\n\
         \t</dict>\n\
         \t<key>StandardOutPath</key>\n\
         \t<string>{log}</string>\n\
         \t<key>StandardErrorPath</key>\n\
         \t<string>{log}</string>\n\
         </dict>\n\
         </plist>\n"
    ))
}

/// The `Run` value's data: the command line Windows runs at logon. The path
/// is quoted (it usually has spaces); Windows paths cannot contain `"`.
pub fn run_value(exe: &Path) -> Result<String, AutostartError> {
    let exe = exe_text(exe)?;
    if exe.contains('"') {
        return Err(AutostartError::BadPath {
            path: exe.into(),
            why: "contains a double quote",
        });
    }
    Ok(format!("\"{exe}\" {} {NO_CONSOLE}", ARGS.join(" ")))
}

/// `HKCU\…\Run\portdoctor`, as the user would look for it in regedit.
pub fn run_place() -> String {
    format!(r"HKEY_CURRENT_USER\{RUN_KEY}\{RUN_VALUE}")
}

fn home() -> Result<PathBuf, AutostartError> {
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(PathBuf::from)
        .ok_or(AutostartError::NoHome)
}

/// `$XDG_CONFIG_HOME/systemd/user/portdoctor.service`, else under `~/.config`.
pub fn unit_path() -> Result<PathBuf, AutostartError> {
    let config = match std::env::var_os("XDG_CONFIG_HOME").filter(|d| !d.is_empty()) {
        Some(dir) => PathBuf::from(dir),
        None => home()?.join(".config"),
    };
    Ok(config.join("systemd/user").join(UNIT))
}

/// `~/Library/LaunchAgents/dev.portdoctor.helper.plist`.
pub fn plist_path() -> Result<PathBuf, AutostartError> {
    Ok(home()?
        .join("Library/LaunchAgents")
        .join(format!("{LABEL}.plist")))
}

fn current_exe() -> Result<PathBuf, AutostartError> {
    std::env::current_exe().map_err(AutostartError::NoExe)
}

#[cfg(unix)]
fn write(path: &Path, text: &str) -> Result<(), AutostartError> {
    let error = |source| AutostartError::Write {
        path: path.to_owned(),
        source,
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(error)?;
    }
    std::fs::write(path, text).map_err(error)
}

#[cfg(unix)]
/// Removes `path`; true if it was there.
fn remove(path: &Path) -> Result<bool, AutostartError> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(source) => Err(AutostartError::Remove {
            path: path.to_owned(),
            source,
        }),
    }
}

#[cfg(unix)]
/// How a service manager's command went.
enum Ran {
    Ok,
    /// The program is not installed.
    Missing,
    Failed(String),
}

#[cfg(unix)]
fn run(program: &str, args: &[&str]) -> Ran {
    match std::process::Command::new(program)
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
    {
        Ok(out) if out.status.success() => Ran::Ok,
        Ok(out) => Ran::Failed(format!(
            "`{program} {}`: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        )),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ran::Missing,
        Err(e) => Ran::Failed(format!("`{program}`: {e}")),
    }
}

#[cfg(target_os = "linux")]
mod os {
    use super::*;

    const SYSTEMCTL: &str = "systemctl";

    pub fn status() -> Result<Status, AutostartError> {
        let path = unit_path()?;
        Ok(Status {
            on: path.is_file(),
            place: path.display().to_string(),
        })
    }

    /// Writes the unit, then asks the user's systemd to enable and start it.
    /// Without systemctl, or without a user manager to reach, the file is
    /// still written: it takes effect at the next login with systemd.
    pub fn on() -> Result<Outcome, AutostartError> {
        let path = unit_path()?;
        write(&path, &systemd_unit(&current_exe()?)?)?;
        let mut notes = vec![format!("wrote {}", path.display())];
        let reload = run(SYSTEMCTL, &["--user", "daemon-reload"]);
        let enabled = run(SYSTEMCTL, &["--user", "enable", UNIT]);
        match enabled {
            Ran::Missing => notes.push(format!(
                "systemctl is not installed, so nothing enabled the unit; on a system with systemd run `systemctl --user enable --now {UNIT}`"
            )),
            Ran::Failed(why) => {
                return Err(AutostartError::Command {
                    command: format!("systemctl --user enable {UNIT}"),
                    message: format!("{why}; the unit is written at {}", path.display()),
                });
            }
            Ran::Ok => {
                notes.push("enabled: it starts at every login".to_owned());
                // Starting needs a running user manager; enabling did not.
                match (reload, run(SYSTEMCTL, &["--user", "restart", UNIT])) {
                    (Ran::Ok, Ran::Ok) => notes.push("started now".to_owned()),
                    (_, Ran::Failed(why)) | (Ran::Failed(why), _) => notes.push(format!(
                        "not started now ({why}); it starts at your next login, or run `systemctl --user start {UNIT}`"
                    )),
                    _ => {}
                }
            }
        }
        Ok(Outcome {
            place: path.display().to_string(),
            notes,
        })
    }

    pub fn off() -> Result<Outcome, AutostartError> {
        let path = unit_path()?;
        let mut notes = Vec::new();
        if path.is_file() {
            // Stopping and disabling fail harmlessly when it never ran.
            match run(SYSTEMCTL, &["--user", "disable", "--now", UNIT]) {
                Ran::Ok => notes.push("stopped and disabled".to_owned()),
                Ran::Missing => {
                    notes.push("systemctl is not installed: nothing to stop or disable".to_owned())
                }
                Ran::Failed(why) => {
                    // Offline, `disable` still removes the link; say why it did not stop.
                    let _ = run(SYSTEMCTL, &["--user", "disable", UNIT]);
                    notes.push(format!("could not stop it ({why})"));
                }
            }
        }
        notes.push(removed(remove(&path)?, &path));
        if let Ran::Failed(why) = run(SYSTEMCTL, &["--user", "daemon-reload"]) {
            tracing::debug!("daemon-reload after removing the unit: {why}");
        }
        Ok(Outcome {
            place: path.display().to_string(),
            notes,
        })
    }
}

#[cfg(target_os = "macos")]
mod os {
    use super::*;

    const LAUNCHCTL: &str = "launchctl";

    fn domain() -> String {
        // SAFETY: getuid cannot fail and touches no memory of ours.
        format!("gui/{}", unsafe { libc::getuid() })
    }

    pub fn status() -> Result<Status, AutostartError> {
        let path = plist_path()?;
        Ok(Status {
            on: path.is_file(),
            place: path.display().to_string(),
        })
    }

    /// Writes the agent and loads it into the login session (which starts
    /// it: RunAtLoad). Loaded already, it is unloaded first so a changed
    /// file takes effect.
    pub fn on() -> Result<Outcome, AutostartError> {
        let path = plist_path()?;
        let log = home()?.join("Library/Logs/portdoctor.log");
        write(&path, &launchd_plist(&current_exe()?, &log)?)?;
        let service = format!("{}/{LABEL}", domain());
        let _ = run(LAUNCHCTL, &["bootout", &service]);
        let file = exe_text(&path)?.to_owned();
        match run(LAUNCHCTL, &["bootstrap", &domain(), &file]) {
            Ran::Ok => {}
            Ran::Missing => {
                return Err(AutostartError::Command {
                    command: LAUNCHCTL.to_owned(),
                    message: "launchctl is missing; it ships with macOS".to_owned(),
                });
            }
            Ran::Failed(message) => {
                return Err(AutostartError::Command {
                    command: format!("launchctl bootstrap {} {file}", domain()),
                    message,
                });
            }
        }
        Ok(Outcome {
            place: path.display().to_string(),
            notes: vec![
                format!("wrote {}", path.display()),
                format!(
                    "loaded and started; it starts at every login, messages in {}",
                    log.display()
                ),
            ],
        })
    }

    pub fn off() -> Result<Outcome, AutostartError> {
        let path = plist_path()?;
        let mut notes = Vec::new();
        if let Ran::Ok = run(LAUNCHCTL, &["bootout", &format!("{}/{LABEL}", domain())]) {
            notes.push("stopped and unloaded".to_owned());
        }
        notes.push(removed(remove(&path)?, &path));
        Ok(Outcome {
            place: path.display().to_string(),
            notes,
        })
    }
}

#[cfg(windows)]
mod os {
    use super::*;
    use windows_sys::Win32::Foundation::{ERROR_FILE_NOT_FOUND, ERROR_SUCCESS};
    use windows_sys::Win32::System::Registry::{
        HKEY_CURRENT_USER, REG_SZ, RRF_RT_REG_SZ, RegDeleteKeyValueW, RegGetValueW, RegSetKeyValueW,
    };

    fn wide(text: &str) -> Vec<u16> {
        text.encode_utf16().chain(std::iter::once(0)).collect()
    }

    /// The data of `name` under HKCU\[`RUN_KEY`], if there is such a value.
    pub fn read(name: &str) -> Result<Option<String>, AutostartError> {
        let (key, name) = (wide(RUN_KEY), wide(name));
        let mut buffer = vec![0u16; 4096];
        let mut bytes = (buffer.len() * 2) as u32;
        // SAFETY: every pointer is to a live, NUL-terminated or sized buffer.
        let code = unsafe {
            RegGetValueW(
                HKEY_CURRENT_USER,
                key.as_ptr(),
                name.as_ptr(),
                RRF_RT_REG_SZ,
                std::ptr::null_mut(),
                buffer.as_mut_ptr().cast(),
                &mut bytes,
            )
        };
        match code {
            ERROR_SUCCESS => {
                let chars = (bytes as usize / 2).saturating_sub(1);
                Ok(Some(String::from_utf16_lossy(&buffer[..chars])))
            }
            ERROR_FILE_NOT_FOUND => Ok(None),
            code => Err(AutostartError::Registry(code)),
        }
    }

    pub fn set(name: &str, data: &str) -> Result<(), AutostartError> {
        let (key, name, data) = (wide(RUN_KEY), wide(name), wide(data));
        // SAFETY: as above; the size includes the terminating NUL, as REG_SZ wants.
        let code = unsafe {
            RegSetKeyValueW(
                HKEY_CURRENT_USER,
                key.as_ptr(),
                name.as_ptr(),
                REG_SZ,
                data.as_ptr().cast(),
                (data.len() * 2) as u32,
            )
        };
        match code {
            ERROR_SUCCESS => Ok(()),
            code => Err(AutostartError::Registry(code)),
        }
    }

    /// Deletes `name`; true if it was there.
    pub fn delete(name: &str) -> Result<bool, AutostartError> {
        let (key, name) = (wide(RUN_KEY), wide(name));
        // SAFETY: as above.
        match unsafe { RegDeleteKeyValueW(HKEY_CURRENT_USER, key.as_ptr(), name.as_ptr()) } {
            ERROR_SUCCESS => Ok(true),
            ERROR_FILE_NOT_FOUND => Ok(false),
            code => Err(AutostartError::Registry(code)),
        }
    }

    pub fn status() -> Result<Status, AutostartError> {
        Ok(Status {
            on: read(RUN_VALUE)?.is_some(),
            place: run_place(),
        })
    }

    pub fn on() -> Result<Outcome, AutostartError> {
        set(RUN_VALUE, &run_value(&current_exe()?)?)?;
        Ok(Outcome {
            place: run_place(),
            notes: vec![
                format!("wrote {}", run_place()),
                "it starts at your next logon; to start it now, run `portdoctor`".to_owned(),
            ],
        })
    }

    pub fn off() -> Result<Outcome, AutostartError> {
        let note = if delete(RUN_VALUE)? {
            format!(
                "removed {}; a helper running now keeps running until you log off (or end portdoctor.exe in Task Manager)",
                run_place()
            )
        } else {
            format!("{} was not there: autostart was already off", run_place())
        };
        Ok(Outcome {
            place: run_place(),
            notes: vec![note],
        })
    }
}

#[cfg(not(any(target_os = "linux", target_os = "macos", windows)))]
mod os {
    use super::*;

    pub fn status() -> Result<Status, AutostartError> {
        Err(AutostartError::Unsupported)
    }
    pub fn on() -> Result<Outcome, AutostartError> {
        Err(AutostartError::Unsupported)
    }
    pub fn off() -> Result<Outcome, AutostartError> {
        Err(AutostartError::Unsupported)
    }
}

#[cfg(unix)]
fn removed(was_there: bool, path: &Path) -> String {
    if was_there {
        format!("removed {}", path.display())
    } else {
        format!(
            "{} was not there: autostart was already off",
            path.display()
        )
    }
}

pub use os::{off, on, status};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_unit_quotes_the_path_and_escapes_what_systemd_expands() {
        let unit = systemd_unit(Path::new("/home/a b/100%/$HOME/\"x\"/portdoctor")).unwrap();
        assert!(
            unit.contains(
                "\nExecStart=\"/home/a b/100%%/$$HOME/\\\"x\\\"/portdoctor\" serve --no-open\n"
            ),
            "{unit}"
        );
        assert!(unit.contains("\nWantedBy=default.target\n"), "{unit}");
        assert!(unit.contains("\nRestart=on-failure\n"), "{unit}");
        assert!(matches!(
            systemd_unit(Path::new("/tmp/a\nExecStartPre=/bin/evil")),
            Err(AutostartError::BadPath { .. })
        ));
    }

    /// systemd's own checker, where it is installed (xtask setup installs it).
    #[test]
    #[cfg(target_os = "linux")]
    fn systemd_analyze_accepts_the_unit() {
        let Some(analyze) = ["/usr/bin/systemd-analyze", "/bin/systemd-analyze"]
            .into_iter()
            .map(Path::new)
            .find(|p| p.is_file())
        else {
            eprintln!("systemd-analyze is not installed: skipped");
            return;
        };
        let dir = std::env::temp_dir().join(format!("portdoctor-unit-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        // A real executable with a space in its path, as ExecStart names it.
        let exe = dir.join("my bin/portdoctor");
        std::fs::create_dir_all(exe.parent().unwrap()).unwrap();
        std::fs::copy(std::env::current_exe().unwrap(), &exe).unwrap();
        let unit = dir.join(UNIT);
        std::fs::write(&unit, systemd_unit(&exe).unwrap()).unwrap();
        let out = std::process::Command::new(analyze)
            .arg("verify")
            .arg(&unit)
            .output()
            .unwrap();
        let said = String::from_utf8_lossy(&out.stderr).into_owned();
        // A broken unit is reported on stderr naming the file, even when
        // the exit status is 0 (verify only fails on some errors).
        assert!(out.status.success() && said.trim().is_empty(), "{said}");
        // The checker does catch a bad unit: the same file with the binary gone.
        std::fs::remove_file(&exe).unwrap();
        let out = std::process::Command::new(analyze)
            .arg("verify")
            .arg(&unit)
            .output()
            .unwrap();
        let said = String::from_utf8_lossy(&out.stderr);
        assert!(said.contains("portdoctor"), "{said}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_plist_runs_the_helper_at_load_with_escaped_strings() {
        let plist = launchd_plist(
            Path::new("/Users/a&b/<bin>/portdoctor"),
            Path::new("/Users/a&b/Library/Logs/portdoctor.log"),
        )
        .unwrap();
        assert!(
            plist.contains("<string>dev.portdoctor.helper</string>"),
            "{plist}"
        );
        assert!(
            plist.contains(
                "<array>\n\t\t<string>/Users/a&amp;b/&lt;bin&gt;/portdoctor</string>\n\t\t<string>serve</string>\n\t\t<string>--no-open</string>\n\t</array>"
            ),
            "{plist}"
        );
        assert!(plist.contains("<key>RunAtLoad</key>\n\t<true/>"), "{plist}");
        assert!(
            plist.contains("<string>/Users/a&amp;b/Library/Logs/portdoctor.log</string>"),
            "{plist}"
        );
    }

    /// Python's plistlib, a real plist reader, reads what launchd will.
    #[test]
    fn a_plist_reader_reads_the_agent_back() {
        let dir = std::env::temp_dir().join(format!("portdoctor-plist-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("agent.plist");
        let exe = "/Applications/Port Doctor/a&b <1>/portdoctor";
        std::fs::write(
            &file,
            launchd_plist(Path::new(exe), Path::new("/tmp/p.log")).unwrap(),
        )
        .unwrap();
        let read = std::process::Command::new("python3")
            .args([
                "-c",
                "import json, plistlib, sys; print(json.dumps(plistlib.load(open(sys.argv[1], 'rb'))))",
            ])
            .arg(&file)
            .output();
        std::fs::remove_dir_all(&dir).unwrap();
        let Ok(read) = read else {
            eprintln!("python3 is not installed: skipped");
            return;
        };
        assert!(
            read.status.success(),
            "{}",
            String::from_utf8_lossy(&read.stderr)
        );
        let agent: serde_json::Value = serde_json::from_slice(&read.stdout).unwrap();
        assert_eq!(
            agent,
            serde_json::json!({
                "Label": LABEL,
                "ProgramArguments": [exe, "serve", "--no-open"],
                "RunAtLoad": true,
                "KeepAlive": {"SuccessfulExit": false},
                "StandardOutPath": "/tmp/p.log",
                "StandardErrorPath": "/tmp/p.log",
            })
        );
    }

    #[test]
    fn the_run_value_quotes_the_exe_and_closes_the_console() {
        assert_eq!(
            run_value(Path::new(
                r"C:\Users\Ann Lee\AppData\Local\portdoctor\portdoctor.exe"
            ))
            .unwrap(),
            r#""C:\Users\Ann Lee\AppData\Local\portdoctor\portdoctor.exe" serve --no-open --no-console"#
        );
        assert_eq!(
            run_place(),
            r"HKEY_CURRENT_USER\Software\Microsoft\Windows\CurrentVersion\Run\portdoctor"
        );
        assert!(run_value(Path::new("C:\\a\"b.exe")).is_err());
    }

    /// The real registry (Wine's, in `cargo xtask platforms`), under a value
    /// name of the test's own so a developer's real entry is left alone.
    #[test]
    #[cfg(windows)]
    fn the_run_value_is_written_read_and_deleted() {
        let name = format!("portdoctor-test-{}", std::process::id());
        let data = run_value(Path::new(r"C:\Program Files\portdoctor\portdoctor.exe")).unwrap();
        assert_eq!(os::read(&name).unwrap(), None);
        os::set(&name, &data).unwrap();
        os::set(&name, &data).unwrap();
        assert_eq!(os::read(&name).unwrap(), Some(data));
        assert!(os::delete(&name).unwrap());
        assert!(!os::delete(&name).unwrap());
        assert_eq!(os::read(&name).unwrap(), None);
    }
}
