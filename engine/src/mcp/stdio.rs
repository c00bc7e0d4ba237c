//! stdio: the desktop assistant starts the server as a child process and
//! speaks newline-delimited JSON-RPC on its stdin and stdout; stderr is the
//! server's log. This is how most configured servers run, and how most of
//! them fail: the command is not on the assistant's PATH, the process dies
//! for want of a setting, or it prints a banner to stdout that no JSON parser
//! accepts.
//!
//! Only commands from the user's own configuration file come here (see
//! `config.rs`). The process gets its own process group (a job object on
//! Windows), and the whole group is killed when the check ends however it
//! ends (answered, timed out, cancelled): `npx` and `uvx` run the real server
//! as a grandchild, which killing the child alone would leave behind.

use std::collections::VecDeque;
use std::process::Stdio as Pipe;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};
use tokio::task::JoinHandle;

use super::http::snippet;
use super::jsonrpc::{self, Found};
use super::transport::{CallError, Outgoing, Transport, answered};

/// Longest stdout line we hold.
const MAX_LINE: usize = 4 * 1024 * 1024;
/// Lines we read waiting for one answer.
const MAX_LINES: usize = 1000;
/// Stderr lines kept: the end of the log is where the reason is.
const STDERR_LINES: usize = 20;
/// Non-JSON stdout lines quoted in the report.
const STRAY_LINES: usize = 5;
/// How long a server gets to exit after stdin closes, and again after SIGTERM.
const GRACE: Duration = Duration::from_millis(500);

/// A configured command: what to start, with what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spec {
    pub command: String,
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
}

impl Spec {
    /// The command line as the user would type it, for reports.
    pub fn command_line(&self) -> String {
        std::iter::once(&self.command)
            .chain(&self.args)
            .map(|a| {
                if a.is_empty() || a.contains(char::is_whitespace) {
                    format!("{a:?}")
                } else {
                    a.clone()
                }
            })
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// Why the process could not be started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartError {
    /// Nothing by that name on PATH (`path`: the PATH searched), or no
    /// file at all when the command names one (`None`).
    NotFound {
        command: String,
        path: Option<String>,
    },
    Other {
        command: String,
        error: String,
    },
}

/// What the process did, for the diagnosis.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProcessFacts {
    pub command_line: String,
    pub pid: Option<u32>,
    /// How it ended, when it ended by itself before the check was over.
    pub exited: Option<String>,
    /// The end of its stderr.
    pub stderr: Vec<String>,
    /// Lines on stdout that are not JSON-RPC (the first few).
    pub stray: Vec<String>,
}

pub struct Stdio {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: ChildStdout,
    /// Bytes of stdout not yet split into lines.
    buffer: Vec<u8>,
    /// Whether stdout has ended: the process closed it or exited.
    ended: bool,
    stderr: Arc<Mutex<VecDeque<String>>>,
    stderr_task: JoinHandle<()>,
    stray: Vec<String>,
    facts: ProcessFacts,
    group: Group,
}

impl Stdio {
    pub fn start(spec: &Spec) -> Result<Self, StartError> {
        let mut command = Command::new(&spec.command);
        command
            .args(&spec.args)
            .envs(spec.env.iter().map(|(k, v)| (k, v)))
            .stdin(Pipe::piped())
            .stdout(Pipe::piped())
            .stderr(Pipe::piped())
            .kill_on_drop(true);
        #[cfg(unix)]
        command.process_group(0);
        let mut child = command.spawn().map_err(|e| match e.kind() {
            // A command with a separator names a file; PATH is not searched.
            std::io::ErrorKind::NotFound => StartError::NotFound {
                command: spec.command.clone(),
                path: (!spec.command.contains(std::path::is_separator)).then(|| {
                    spec.env
                        .iter()
                        .find(|(k, _)| k == "PATH")
                        .map(|(_, v)| v.clone())
                        .or_else(|| std::env::var("PATH").ok())
                        .unwrap_or_default()
                }),
            },
            _ => StartError::Other {
                command: spec.command.clone(),
                error: e.to_string(),
            },
        })?;
        let pid = child.id();
        let group = Group::of(&child);
        let (Some(stdin), Some(stdout), Some(stderr)) =
            (child.stdin.take(), child.stdout.take(), child.stderr.take())
        else {
            return Err(StartError::Other {
                command: spec.command.clone(),
                error: "its standard streams could not be opened".to_owned(),
            });
        };
        let tail = Arc::new(Mutex::new(VecDeque::new()));
        Ok(Self {
            child,
            stdin: Some(stdin),
            stdout,
            buffer: Vec::new(),
            ended: false,
            stderr_task: tokio::spawn(keep_tail(stderr, tail.clone())),
            stderr: tail,
            stray: Vec::new(),
            facts: ProcessFacts {
                command_line: spec.command_line(),
                pid,
                ..ProcessFacts::default()
            },
            group,
        })
    }

    /// Stops the process (stdin closed, then SIGTERM, then SIGKILL, to the
    /// whole group) and says what it did. The check's `deadline` bounds the
    /// goodbye too, so the whole check keeps to the user's timeout: a
    /// server still there when it has passed is killed at once.
    pub async fn stop(mut self, deadline: Instant) -> ProcessFacts {
        let grace = || GRACE.min(deadline.saturating_duration_since(Instant::now()));
        if self.ended {
            // It closed stdout: give it a moment to report how it ended.
            if let Ok(Ok(status)) = tokio::time::timeout(grace(), self.child.wait()).await {
                self.facts.exited = Some(describe(status));
            }
        } else if let Ok(Some(status)) = self.child.try_wait() {
            self.facts.exited = Some(describe(status));
        }
        drop(self.stdin.take());
        if tokio::time::timeout(grace(), self.child.wait())
            .await
            .is_err()
        {
            self.group.signal(Signal::Term);
            if tokio::time::timeout(grace(), self.child.wait())
                .await
                .is_err()
            {
                self.group.signal(Signal::Kill);
                let _ = self.child.kill().await;
            }
        }
        // Whatever it started goes too, so stderr reaches its end.
        self.group.signal(Signal::Kill);
        let _ = tokio::time::timeout(grace(), &mut self.stderr_task).await;
        self.facts.stderr = self
            .stderr
            .lock()
            .map(|t| t.iter().cloned().collect())
            .unwrap_or_default();
        self.facts.stray = std::mem::take(&mut self.stray);
        self.facts.clone()
    }

    async fn write(&mut self, message: &Value) -> Result<(), CallError> {
        let Some(stdin) = &mut self.stdin else {
            return Err(CallError::Broken("stdin is closed".to_owned()));
        };
        let mut line = message.to_string();
        line.push('\n');
        let written = async {
            stdin.write_all(line.as_bytes()).await?;
            stdin.flush().await
        };
        written
            .await
            .map_err(|e| CallError::Broken(format!("the process does not read its stdin ({e})")))
    }

    /// The next stdout line; cancel-safe, so a timeout loses nothing.
    async fn line(&mut self) -> Result<String, CallError> {
        loop {
            if let Some(end) = self.buffer.iter().position(|&b| b == b'\n') {
                let line: Vec<u8> = self.buffer.drain(..=end).collect();
                return Ok(String::from_utf8_lossy(&line).trim_end().to_owned());
            }
            if self.buffer.len() > MAX_LINE {
                return Err(CallError::Broken(format!(
                    "a stdout line is longer than {MAX_LINE} bytes"
                )));
            }
            let mut chunk = [0u8; 8192];
            match self.stdout.read(&mut chunk).await {
                Ok(0) | Err(_) => {
                    self.ended = true;
                    return Err(CallError::Broken(
                        "the process closed its stdout (it has probably exited)".to_owned(),
                    ));
                }
                Ok(n) => self.buffer.extend_from_slice(&chunk[..n]),
            }
        }
    }
}

/// Lines on stdin out, lines on stdout back; the stateless era's `_meta`
/// is in the message, so the envelope adds nothing.
impl Transport for Stdio {
    type Pending = ();

    async fn send(&mut self, outgoing: Outgoing<'_>) -> Result<(), CallError> {
        self.write(&outgoing.message).await
    }

    async fn answer(&mut self, (): (), id: u64) -> Result<Value, CallError> {
        for _ in 0..MAX_LINES {
            let line = self.line().await?;
            match jsonrpc::answer_in(&line, id) {
                Found::Answer(answer) => return answered(answer),
                Found::Other => {}
                Found::NotJsonRpc => {
                    if !line.trim().is_empty() && self.stray.len() < STRAY_LINES {
                        self.stray.push(snippet(&line));
                    }
                }
            }
        }
        Err(CallError::Broken(format!(
            "{MAX_LINES} lines on stdout without the answer"
        )))
    }
}

/// Keeps the last lines of a stream; reads to its end.
async fn keep_tail(mut stream: impl AsyncRead + Unpin, tail: Arc<Mutex<VecDeque<String>>>) {
    let mut pending = Vec::new();
    let mut chunk = [0u8; 4096];
    while let Ok(n @ 1..) = stream.read(&mut chunk).await {
        pending.extend_from_slice(&chunk[..n]);
        while let Some(end) = pending.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = pending.drain(..=end).collect();
            push_line(&tail, &line);
        }
        // A line without an end is cut rather than held without bound.
        if pending.len() > MAX_LINE {
            push_line(&tail, &std::mem::take(&mut pending));
        }
    }
    if !pending.is_empty() {
        push_line(&tail, &pending);
    }
}

fn push_line(tail: &Mutex<VecDeque<String>>, line: &[u8]) {
    let line = snippet(&String::from_utf8_lossy(line));
    if line.is_empty() {
        return;
    }
    if let Ok(mut tail) = tail.lock() {
        if tail.len() == STDERR_LINES {
            tail.pop_front();
        }
        tail.push_back(line);
    }
}

fn describe(status: std::process::ExitStatus) -> String {
    #[cfg(unix)]
    if let Some(signal) = std::os::unix::process::ExitStatusExt::signal(&status) {
        return format!("killed by signal {signal}");
    }
    match status.code() {
        Some(code) => format!("exit code {code}"),
        None => status.to_string(),
    }
}

enum Signal {
    Term,
    Kill,
}

/// The process tree of a started server: its process group on Unix, a job
/// object on Windows. Killed when dropped, so a cancelled check leaves
/// nothing behind either.
#[cfg(unix)]
struct Group(Option<u32>);

/// Windows: a job object the child is assigned to right after it starts; its
/// children inherit it. The handle closes with the group, and
/// `JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE` kills whatever is still in the job.
#[cfg(windows)]
struct Group(Option<std::os::windows::io::OwnedHandle>);

impl Group {
    #[cfg(unix)]
    fn of(child: &Child) -> Self {
        Self(child.id())
    }

    #[cfg(unix)]
    fn signal(&self, signal: Signal) {
        let Some(pid) = self.0.and_then(|p| i32::try_from(p).ok()) else {
            return;
        };
        let signal = match signal {
            Signal::Term => libc::SIGTERM,
            Signal::Kill => libc::SIGKILL,
        };
        // SAFETY: kill(2) with a negative pid signals the process group
        // created for this child (process_group(0) made its pid the group
        // id); it reads and writes no memory of ours.
        unsafe {
            libc::kill(-pid, signal);
        }
    }

    /// Without a job (the calls failed), only the child itself is killed.
    #[cfg(windows)]
    fn of(child: &Child) -> Self {
        use std::os::windows::io::{FromRawHandle, OwnedHandle};
        use windows_sys::Win32::System::JobObjects::{
            AssignProcessToJobObject, CreateJobObjectW, JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE,
            JOBOBJECT_EXTENDED_LIMIT_INFORMATION, JobObjectExtendedLimitInformation,
            SetInformationJobObject,
        };
        let Some(process) = child.raw_handle() else {
            return Self(None);
        };
        // SAFETY: a fresh unnamed job; its handle is checked, then owned by
        // the OwnedHandle, which closes it once. The limit struct is ours and
        // correctly sized; `process` stays valid while `child` is borrowed.
        unsafe {
            let job = CreateJobObjectW(std::ptr::null(), std::ptr::null());
            if job.is_null() {
                return Self(None);
            }
            let job = OwnedHandle::from_raw_handle(job);
            let mut limits = JOBOBJECT_EXTENDED_LIMIT_INFORMATION::default();
            limits.BasicLimitInformation.LimitFlags = JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE;
            let handle = std::os::windows::io::AsRawHandle::as_raw_handle(&job);
            let limited = SetInformationJobObject(
                handle,
                JobObjectExtendedLimitInformation,
                (&raw const limits).cast(),
                size_of::<JOBOBJECT_EXTENDED_LIMIT_INFORMATION>() as u32,
            ) != 0;
            if !limited || AssignProcessToJobObject(handle, process) == 0 {
                return Self(None);
            }
            Self(Some(job))
        }
    }

    /// Windows has no polite signal for a process without our console:
    /// closing stdin was the request to exit, so `Term` waits and `Kill` ends
    /// every process in the job.
    #[cfg(windows)]
    fn signal(&self, signal: Signal) {
        let (Some(job), Signal::Kill) = (&self.0, signal) else {
            return;
        };
        // SAFETY: the job handle is open for as long as `self` lives.
        unsafe {
            windows_sys::Win32::System::JobObjects::TerminateJobObject(
                std::os::windows::io::AsRawHandle::as_raw_handle(job),
                1,
            );
        }
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        self.signal(Signal::Kill);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_lines_quote_what_needs_it() {
        let spec = Spec {
            command: "npx".into(),
            args: vec!["-y".into(), "my server".into(), String::new()],
            env: vec![],
        };
        assert_eq!(spec.command_line(), "npx -y \"my server\" \"\"");
    }

    #[tokio::test]
    async fn a_missing_command_says_so_with_the_path_searched() {
        let spec = Spec {
            command: "portdoctor-no-such-command".into(),
            args: vec![],
            env: vec![("PATH".into(), "/nowhere".into())],
        };
        assert_eq!(
            Stdio::start(&spec).err(),
            Some(StartError::NotFound {
                command: "portdoctor-no-such-command".into(),
                path: Some("/nowhere".into())
            })
        );
    }

    #[tokio::test]
    async fn a_missing_file_is_not_looked_for_on_the_path() {
        let spec = Spec {
            command: "/nonexistent/portdoctor-server".into(),
            args: vec![],
            env: vec![],
        };
        assert_eq!(
            Stdio::start(&spec).err(),
            Some(StartError::NotFound {
                command: "/nonexistent/portdoctor-server".into(),
                path: None
            })
        );
    }
}
