//! Who holds which socket, and user names: `/proc/*/fd` and the C library's
//! user database.
//!
//! The kernel's socket table knows a socket's inode, not its processes; only
//! the fd tables map an inode back to pids, as `ss -p` and `lsof` find them.
//! That scan is one `readlinkat` ("socket:[INODE]") per open fd of every
//! process, and those syscalls are nearly all of the cost, so each fd is read
//! once, relative to its open `fd` directory (no path walk from `/proc` per
//! fd) and into reused buffers (no allocation per fd).

use std::mem::MaybeUninit;

use rustix::fs::{Mode, OFlags, RawDir, open, openat, readlinkat_raw};

use crate::Process;

const DIRECTORY: OFlags = OFlags::RDONLY
    .union(OFlags::DIRECTORY)
    .union(OFlags::CLOEXEC);

/// The processes holding each of `inodes` (same order), lowest pid first.
///
/// Processes that exit during the scan, or whose fds we may not read (other
/// users' unless we are root), are skipped: their sockets are still listed,
/// only without those owners.
pub fn holders(inodes: &[u64]) -> Vec<Vec<Process>> {
    let mut holders = vec![Vec::new(); inodes.len()];
    if inodes.is_empty() {
        return holders;
    }
    let mut wanted: Vec<(u64, usize)> = inodes.iter().copied().zip(0..).collect();
    wanted.sort_unstable();

    let Ok(proc_dir) = open("/proc", DIRECTORY, Mode::empty()) else {
        return holders;
    };
    let mut pid_buffer = Vec::with_capacity(16 * 1024);
    let mut fd_buffer = Vec::with_capacity(16 * 1024);
    let mut path = Vec::with_capacity(32);
    let mut link = [MaybeUninit::uninit(); 64];

    let mut pids = RawDir::new(&proc_dir, pid_buffer.spare_capacity_mut());
    while let Some(Ok(entry)) = pids.next() {
        let pid_text = entry.file_name().to_bytes();
        let Some(pid) = parse_pid(pid_text) else {
            continue;
        };
        let Ok(fd_dir) = openat(
            &proc_dir,
            in_pid(&mut path, pid_text, b"fd"),
            DIRECTORY,
            Mode::empty(),
        ) else {
            continue;
        };
        let mut name: Option<Option<String>> = None;
        let mut fds = RawDir::new(&fd_dir, fd_buffer.spare_capacity_mut());
        while let Some(Ok(fd)) = fds.next() {
            let Ok((target, _)) = readlinkat_raw(&fd_dir, fd.file_name(), &mut link) else {
                continue;
            };
            let Some(inode) = socket_inode(target) else {
                continue;
            };
            let Ok(found) = wanted.binary_search_by_key(&inode, |&(inode, _)| inode) else {
                continue;
            };
            // The name is read once per process, and only for owners.
            let name = name.get_or_insert_with(|| comm(&proc_dir, &mut path, pid_text));
            let Some(name) = name else {
                break; // The process exited while we read its fds.
            };
            let holders = &mut holders[wanted[found].1];
            // One process may hold the same socket in several fds.
            if holders.last().is_none_or(|p: &Process| p.pid != pid) {
                holders.push(Process {
                    pid,
                    name: name.clone(),
                });
            }
        }
    }
    for processes in &mut holders {
        processes.sort_unstable_by_key(|p| p.pid);
    }
    holders
}

/// `PID/leaf`, NUL-free, in a reused buffer.
fn in_pid<'a>(path: &'a mut Vec<u8>, pid: &[u8], leaf: &[u8]) -> &'a [u8] {
    path.clear();
    path.extend_from_slice(pid);
    path.push(b'/');
    path.extend_from_slice(leaf);
    path
}

fn parse_pid(name: &[u8]) -> Option<u32> {
    std::str::from_utf8(name).ok()?.parse().ok()
}

/// `socket:[12345]` → 12345.
fn socket_inode(link: &[u8]) -> Option<u64> {
    let digits = link.strip_prefix(b"socket:[")?.strip_suffix(b"]")?;
    std::str::from_utf8(digits).ok()?.parse().ok()
}

/// `/proc/PID/comm`: the short command name `ss -p` and `top` show.
fn comm(proc_dir: &impl rustix::fd::AsFd, path: &mut Vec<u8>, pid: &[u8]) -> Option<String> {
    let file = openat(
        proc_dir,
        in_pid(path, pid, b"comm"),
        OFlags::RDONLY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .ok()?;
    let mut buffer = [0; 64];
    let length = rustix::io::read(&file, &mut buffer).ok()?;
    let name = buffer[..length]
        .strip_suffix(b"\n")
        .unwrap_or(&buffer[..length]);
    Some(String::from_utf8_lossy(name).into_owned())
}

/// uid → user name, looked up once per uid per table through the C
/// library (getpwuid_r), which asks every source nsswitch.conf names.
pub struct UserNames(Vec<(u32, Option<String>)>);

impl UserNames {
    pub fn of(uids: impl Iterator<Item = u32>) -> Self {
        let mut uids: Vec<u32> = uids.collect();
        uids.sort_unstable();
        uids.dedup();
        Self(uids.into_iter().map(|uid| (uid, user_name(uid))).collect())
    }

    pub fn get(&self, uid: u32) -> Option<String> {
        let found = self.0.binary_search_by_key(&uid, |&(uid, _)| uid).ok()?;
        self.0[found].1.clone()
    }
}

fn user_name(uid: u32) -> Option<String> {
    let user = nix::unistd::User::from_uid(nix::unistd::Uid::from_raw(uid)).ok()??;
    Some(user.name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_socket_links() {
        assert_eq!(socket_inode(b"socket:[4242]"), Some(4242));
        assert_eq!(socket_inode(b"pipe:[4242]"), None);
        assert_eq!(socket_inode(b"socket:[]"), None);
        assert_eq!(socket_inode(b"/dev/null"), None);
    }

    #[test]
    fn reads_pid_directories_only() {
        assert_eq!(parse_pid(b"4242"), Some(4242));
        assert_eq!(parse_pid(b"self"), None);
        assert_eq!(parse_pid(b"net"), None);
    }

    /// A user only a directory service knows: a systemd userdb record, which
    /// nss-systemd serves, in a private mount namespace (`unshare --mount`,
    /// root, as the other namespace tests) so the machine is left as it was.
    /// LDAP and sssd answer through the same NSS call.
    #[test]
    fn names_users_only_a_directory_service_knows() {
        const UID: u32 = 61999;
        if std::env::var_os("SOCKET_TABLE_USERDB_CHILD").is_some() {
            let passwd = std::fs::read_to_string("/etc/passwd").unwrap();
            assert!(!passwd.contains(&format!(":{UID}:")), "in /etc/passwd");
            let names = UserNames::of([UID].into_iter());
            assert_eq!(
                names.get(UID).as_deref(),
                Some("directory-user"),
                "is libnss-systemd installed, with `systemd` on the passwd line of /etc/nsswitch.conf?"
            );
            return;
        }
        let record = format!(r#"{{"userName":"directory-user","uid":{UID},"gid":{UID}}}"#);
        let script = format!(
            "mount -t tmpfs tmpfs /run && mkdir /run/userdb && cd /run/userdb \
             && printf '%s' '{record}' > directory-user.user \
             && ln -s directory-user.user {UID}.user \
             && exec \"$0\" --exact linux::procfs::tests::names_users_only_a_directory_service_knows"
        );
        let status = std::process::Command::new("unshare")
            .args(["--mount", "--propagation", "private", "sh", "-c", &script])
            .arg(std::env::current_exe().unwrap())
            .env("SOCKET_TABLE_USERDB_CHILD", "1")
            .status()
            .unwrap();
        assert!(status.success(), "the lookup in the namespace failed");
    }

    #[test]
    fn names_users_as_the_system_does() {
        // `id -un` asks the same sources (nsswitch.conf) for our own uid.
        let uid = nix::unistd::getuid().as_raw();
        let id = std::process::Command::new("id")
            .arg("-un")
            .output()
            .unwrap();
        let expected = String::from_utf8(id.stdout).unwrap().trim().to_owned();
        let names = UserNames::of([0, uid, uid, u32::MAX - 1].into_iter());
        assert_eq!(names.get(0).as_deref(), Some("root"));
        assert_eq!(names.get(uid), Some(expected));
        assert_eq!(names.get(u32::MAX - 1), None, "no such user");
        assert_eq!(names.get(12345), None, "not asked for");
    }
}
