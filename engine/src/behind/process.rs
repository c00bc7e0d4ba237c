//! What the process holding a listener is doing, from its own record in
//! `/proc`: its state, who traces it, how long it has run, and its command
//! line (where a forwarder keeps its destination).
//!
//! A listening socket keeps accepting while its owner is stopped: the kernel
//! completes the handshake and queues the connection. So a stopped or
//! debugged server looks open and silent from outside; only its state says why.

use std::time::Duration;

/// The scheduler state of a process (`/proc/PID/stat`, third field).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Running,
    Sleeping,
    /// `D`: waiting in the kernel, usually on a disk or a network file system.
    Waiting,
    /// `T`: stopped by a signal (Ctrl-Z in its terminal, SIGSTOP).
    Stopped,
    /// `t`: stopped by the debugger tracing it (a breakpoint, a fresh attach).
    Traced,
    Zombie,
    Other(char),
}

impl State {
    pub fn from_char(c: char) -> Self {
        match c {
            'R' => Self::Running,
            'S' | 'I' => Self::Sleeping,
            'D' => Self::Waiting,
            'T' => Self::Stopped,
            't' => Self::Traced,
            'Z' => Self::Zombie,
            other => Self::Other(other),
        }
    }
}

/// A process holding a listener, as `/proc` describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owner {
    pub pid: u32,
    pub name: String,
    pub state: State,
    /// The process tracing it (a debugger, strace), when one is.
    pub tracer: Option<Tracer>,
    /// How long it has run; `None` where the OS does not tell.
    pub age: Option<Duration>,
    /// Its arguments, `argv[0]` first; empty when hidden from us.
    pub cmdline: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tracer {
    pub pid: u32,
    pub name: String,
}

/// Reads one process; `None` when it is gone or hidden from us.
#[cfg(target_os = "linux")]
pub fn read(pid: u32) -> Option<Owner> {
    use procfs::Current;

    let process = procfs::process::Process::new(i32::try_from(pid).ok()?).ok()?;
    let stat = process.stat().ok()?;
    let tracer = process
        .status()
        .ok()
        .and_then(|s| u32::try_from(s.tracerpid).ok())
        .filter(|&t| t != 0)
        .map(|pid| Tracer {
            pid,
            name: name_of(pid).unwrap_or_else(|| "an unknown process".to_owned()),
        });
    let age = procfs::Uptime::current().ok().map(|up| {
        let started = stat.starttime as f64 / procfs::ticks_per_second() as f64;
        Duration::from_secs_f64((up.uptime - started).max(0.0))
    });
    Some(Owner {
        pid,
        name: stat.comm.clone(),
        state: State::from_char(stat.state),
        tracer,
        age,
        cmdline: process.cmdline().unwrap_or_default(),
    })
}

#[cfg(target_os = "linux")]
fn name_of(pid: u32) -> Option<String> {
    let process = procfs::process::Process::new(i32::try_from(pid).ok()?).ok()?;
    Some(process.stat().ok()?.comm)
}

/// Other systems: nothing to read yet, so no owner facts and no findings.
#[cfg(not(target_os = "linux"))]
pub fn read(_pid: u32) -> Option<Owner> {
    None
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn reads_this_very_process() {
        let me = read(std::process::id()).expect("our own /proc entry");
        // The test harness's main thread, which /proc/PID/stat describes, waits for us.
        assert!(
            matches!(me.state, State::Running | State::Sleeping),
            "{me:?}"
        );
        assert!(me.tracer.is_none());
        assert!(me.age.is_some_and(|a| a < Duration::from_secs(24 * 3600)));
        assert!(!me.cmdline.is_empty());
    }

    #[test]
    fn a_stopped_child_reads_as_stopped() {
        let mut child = std::process::Command::new("sleep")
            .arg("60")
            .spawn()
            .unwrap();
        let pid = child.id();
        // SAFETY: kill(2) on our own child.
        unsafe { libc::kill(pid as i32, libc::SIGSTOP) };
        // waitpid with WUNTRACED returns once the stop has happened.
        let mut status = 0;
        // SAFETY: waiting for our own child; status is a valid pointer.
        unsafe { libc::waitpid(pid as i32, &mut status, libc::WUNTRACED) };
        assert!(libc::WIFSTOPPED(status));
        assert_eq!(read(pid).unwrap().state, State::Stopped);
        child.kill().unwrap();
        child.wait().unwrap();
    }

    #[test]
    fn a_gone_process_is_none() {
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        child.wait().unwrap();
        assert_eq!(read(pid), None);
    }

    #[test]
    fn states_by_letter() {
        assert_eq!(State::from_char('T'), State::Stopped);
        assert_eq!(State::from_char('t'), State::Traced);
        assert_eq!(State::from_char('Z'), State::Zombie);
        assert_eq!(State::from_char('I'), State::Sleeping);
        assert_eq!(State::from_char('W'), State::Other('W'));
    }
}
