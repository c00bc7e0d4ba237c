//! `cargo xtask dist`: the release archives this machine can build — Linux
//! x86_64 (`.tar.gz`) and Windows x86_64 (`.zip`, linked by mingw-w64) —
//! and `SHA256SUMS`, in `target/dist/`. Each archive holds one folder with
//! the binary, README.md and both licences. When they are written, they are
//! checked as a user would: every sum again (and by `sha256sum -c` where
//! coreutils has it), every archive opened and its files listed, and the
//! Linux binary unpacked and run (`--version`).
//!
//! macOS is not among them: linking needs Apple's SDK (README: Install).

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};

use crate::platforms::{self, WINDOWS};
use crate::{cargo, run};

/// The documents every archive carries beside the binary.
const DOCS: [&str; 3] = ["README.md", "LICENSE-MIT", "LICENSE-APACHE"];
/// The file of sums, in the format `sha256sum -c` reads.
const SUMS: &str = "SHA256SUMS";

/// How an archive is packed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    TarGz,
    Zip,
}

/// One archive: which build, under which name.
#[derive(Debug)]
struct Package {
    /// `x86_64-linux`, `x86_64-windows`: what the archive's name says.
    platform: &'static str,
    /// `None`: the host's own build.
    target: Option<&'static str>,
    binary: &'static str,
    format: Format,
}

const PACKAGES: [Package; 2] = [
    Package {
        platform: "x86_64-linux",
        target: None,
        binary: "portdoctor",
        format: Format::TarGz,
    },
    Package {
        platform: "x86_64-windows",
        target: Some(WINDOWS),
        binary: "portdoctor.exe",
        format: Format::Zip,
    },
];

impl Package {
    fn folder(&self, version: &str) -> String {
        format!("portdoctor-{version}-{}", self.platform)
    }

    fn file_name(&self, version: &str) -> String {
        let ext = match self.format {
            Format::TarGz => "tar.gz",
            Format::Zip => "zip",
        };
        format!("{}.{ext}", self.folder(version))
    }
}

pub fn dist() -> Result<(), String> {
    if std::env::consts::OS != "linux" || std::env::consts::ARCH != "x86_64" {
        return Err(
            "cargo xtask dist builds the Linux and Windows x86_64 archives on x86_64 Linux".into(),
        );
    }
    if let [_, ..] = platforms::missing().as_slice() {
        return Err(format!(
            "the Windows build needs what this machine lacks: {}; install it with: cargo xtask setup",
            platforms::missing().join(", ")
        ));
    }
    let root = workspace_root();
    let version = version()?;
    let out = platforms::target_dir().join("dist");
    if out.exists() {
        std::fs::remove_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
    }
    std::fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
    let mut sums = String::new();
    for package in &PACKAGES {
        let mut build = vec![
            "build",
            "--release",
            "--locked",
            "--package",
            "native-helper",
        ];
        if let Some(target) = package.target {
            build.extend(["--target", target]);
        }
        cargo(&build)?;
        let built = platforms::target_dir()
            .join(package.target.unwrap_or(""))
            .join("release")
            .join(package.binary);
        let docs: Vec<PathBuf> = DOCS.iter().map(|d| root.join(d)).collect();
        let archive = out.join(package.file_name(&version));
        pack(package, &version, &built, &docs, &archive)?;
        sums += &sum_line(&archive)?;
    }
    write(&out.join(SUMS), sums.as_bytes())?;
    verify(&out, &version)?;
    runs_unpacked(&out.join(PACKAGES[0].file_name(&version)), &version)?;
    for package in &PACKAGES {
        eprintln!("dist: {}", out.join(package.file_name(&version)).display());
    }
    eprintln!("dist: {} (checked)", out.join(SUMS).display());
    Ok(())
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// native-helper's version, as cargo reads it.
fn version() -> Result<String, String> {
    let out = Command::new(crate::setup::cargo_program())
        .args(["pkgid", "--package", "native-helper"])
        .output()
        .map_err(|e| format!("cannot run cargo pkgid: {e}"))?;
    let id = String::from_utf8_lossy(&out.stdout);
    pkgid_version(id.trim()).ok_or_else(|| format!("cargo pkgid printed no version: {id}"))
}

/// `path+file:///…/native-helper#0.1.0`, or `…/dir#native-helper@0.1.0`
/// when the folder is named otherwise: the version after `#` (and `@`).
fn pkgid_version(id: &str) -> Option<String> {
    let (_, tail) = id.rsplit_once('#')?;
    let version = tail.rsplit_once('@').map_or(tail, |(_, v)| v);
    (!version.is_empty()).then(|| version.to_owned())
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), String> {
    std::fs::write(path, bytes).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

fn read(path: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

/// One line of `SHA256SUMS`: the hex digest, two spaces, the file's name.
fn sum_line(file: &Path) -> Result<String, String> {
    let name = file
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| format!("{} has no UTF-8 name", file.display()))?;
    Ok(format!("{}  {name}\n", hex(&Sha256::digest(read(file)?))))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Writes `archive`: the folder `portdoctor-VERSION-PLATFORM/` with the
/// binary (executable) and the documents, each file stamped with the same
/// time so two builds of the same bytes pack the same.
fn pack(
    package: &Package,
    version: &str,
    binary: &Path,
    docs: &[PathBuf],
    archive: &Path,
) -> Result<(), String> {
    let folder = package.folder(version);
    let files = std::iter::once((binary, 0o755))
        .chain(docs.iter().map(|d| (d.as_path(), 0o644)))
        .map(|(path, mode)| {
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .ok_or_else(|| format!("{} has no UTF-8 name", path.display()))?;
            Ok((format!("{folder}/{name}"), read(path)?, mode))
        })
        .collect::<Result<Vec<_>, String>>()?;
    let file = std::fs::File::create(archive)
        .map_err(|e| format!("cannot create {}: {e}", archive.display()))?;
    let failed = |e: std::io::Error| format!("cannot write {}: {e}", archive.display());
    match package.format {
        Format::TarGz => {
            let gz = flate2::write::GzEncoder::new(file, flate2::Compression::best());
            let mut tar = tar::Builder::new(gz);
            for (name, bytes, mode) in &files {
                let mut header = tar::Header::new_gnu();
                header.set_size(bytes.len() as u64);
                header.set_mode(*mode);
                header.set_mtime(STAMP);
                tar.append_data(&mut header, name, bytes.as_slice())
                    .map_err(failed)?;
            }
            tar.into_inner()
                .and_then(|gz| gz.finish())
                .and_then(|mut f| f.flush())
                .map_err(failed)?;
        }
        Format::Zip => {
            let mut zip = zip::ZipWriter::new(file);
            for (name, bytes, mode) in &files {
                let options = zip::write::SimpleFileOptions::default()
                    .compression_method(zip::CompressionMethod::Deflated)
                    .unix_permissions(*mode)
                    .last_modified_time(zip::DateTime::default());
                zip.start_file(name.as_str(), options)
                    .map_err(|e| failed(e.into()))?;
                zip.write_all(bytes).map_err(failed)?;
            }
            zip.finish().map_err(|e| failed(e.into()))?;
        }
    }
    Ok(())
}

/// 2020-01-01: every packed file's time (zip's default is 1980-01-01).
const STAMP: u64 = 1_577_836_800;

/// Checks `dir` as a downloader would: every archive `SHA256SUMS` lists
/// has that sum, every package is listed, and each archive holds its
/// folder with a non-empty binary and the documents.
fn verify(dir: &Path, version: &str) -> Result<(), String> {
    let sums = String::from_utf8(read(&dir.join(SUMS))?).map_err(|e| e.to_string())?;
    let mut listed = Vec::new();
    for line in sums.lines() {
        let (sum, name) = line
            .split_once("  ")
            .ok_or_else(|| format!("{SUMS}: not `SUM  NAME`: {line}"))?;
        let actual = sum_line(&dir.join(name))?;
        if actual != format!("{line}\n") {
            return Err(format!(
                "{name}: {SUMS} says {sum}, the file's is {}",
                actual.split_once("  ").map_or("", |(s, _)| s)
            ));
        }
        listed.push(name.to_owned());
    }
    for package in &PACKAGES {
        let name = package.file_name(version);
        if !listed.contains(&name) {
            return Err(format!("{SUMS} does not list {name}"));
        }
        let entries = entries(&dir.join(&name), package.format)?;
        let folder = package.folder(version);
        for want in std::iter::once(package.binary).chain(DOCS) {
            let path = format!("{folder}/{want}");
            match entries.iter().find(|(n, _, _)| *n == path) {
                Some((_, size, mode)) if *size > 0 => {
                    if want == package.binary && mode & 0o111 == 0 {
                        return Err(format!("{name}: {path} is not executable"));
                    }
                }
                Some(_) => return Err(format!("{name}: {path} is empty")),
                None => return Err(format!("{name} has no {path}")),
            }
        }
    }
    // coreutils' reading of the same file, where it is installed.
    if crate::setup::on_path("sha256sum").is_some() {
        run(Command::new("sha256sum")
            .args(["--check", "--strict", SUMS])
            .current_dir(dir))?;
    }
    Ok(())
}

/// Unpacks the Linux archive with the system's tar, as a user would, and
/// runs the binary in it: it must say its version.
fn runs_unpacked(archive: &Path, version: &str) -> Result<(), String> {
    let dir = archive.with_extension("").with_extension("unpacked");
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    run(Command::new("tar")
        .arg("-xzf")
        .arg(archive)
        .arg("-C")
        .arg(&dir))?;
    let exe = dir
        .join(PACKAGES[0].folder(version))
        .join(PACKAGES[0].binary);
    let out = Command::new(&exe)
        .arg("--version")
        .output()
        .map_err(|e| format!("cannot run the unpacked {}: {e}", exe.display()))?;
    let said = String::from_utf8_lossy(&out.stdout);
    std::fs::remove_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    if said.trim() != format!("portdoctor {version}") {
        return Err(format!(
            "the unpacked {} says {said:?} to --version",
            exe.display()
        ));
    }
    Ok(())
}

/// Every file in an archive: name, size, Unix mode.
fn entries(archive: &Path, format: Format) -> Result<Vec<(String, u64, u32)>, String> {
    let file = std::fs::File::open(archive).map_err(|e| format!("{}: {e}", archive.display()))?;
    let bad =
        |e: &dyn std::fmt::Display| format!("{} is not a readable archive: {e}", archive.display());
    let mut found = Vec::new();
    match format {
        Format::TarGz => {
            let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(file));
            for entry in tar.entries().map_err(|e| bad(&e))? {
                let mut entry = entry.map_err(|e| bad(&e))?;
                let name = entry.path().map_err(|e| bad(&e))?.display().to_string();
                let mode = entry.header().mode().map_err(|e| bad(&e))?;
                // Read to the end: a truncated archive fails here.
                let size = std::io::copy(&mut entry, &mut std::io::sink()).map_err(|e| bad(&e))?;
                found.push((name, size, mode));
            }
        }
        Format::Zip => {
            let mut zip = zip::ZipArchive::new(file).map_err(|e| bad(&e))?;
            for i in 0..zip.len() {
                let mut entry = zip.by_index(i).map_err(|e| bad(&e))?;
                let name = entry.name().map_err(|e| bad(&e))?.into_owned();
                let mode = entry.unix_mode().unwrap_or(0);
                let mut bytes = Vec::new();
                entry.read_to_end(&mut bytes).map_err(|e| bad(&e))?;
                found.push((name, bytes.len() as u64, mode));
            }
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A dist folder from small stand-in files, packed and summed as `dist`
    /// does.
    fn sample(dir: &Path) -> Vec<PathBuf> {
        std::fs::create_dir_all(dir).unwrap();
        let mut docs = Vec::new();
        for doc in DOCS {
            let path = dir.join(doc);
            std::fs::write(&path, format!("{doc} text")).unwrap();
            docs.push(path);
        }
        let mut sums = String::new();
        let mut archives = Vec::new();
        for package in &PACKAGES {
            let binary = dir.join(package.binary);
            std::fs::write(&binary, b"\x7fELF or MZ, and more").unwrap();
            let archive = dir.join(package.file_name("9.9.9"));
            pack(package, "9.9.9", &binary, &docs, &archive).unwrap();
            sums += &sum_line(&archive).unwrap();
            archives.push(archive);
        }
        std::fs::write(dir.join(SUMS), sums).unwrap();
        archives
    }

    fn temp(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("xtask-dist-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn the_version_is_read_from_either_form_of_package_id() {
        assert_eq!(
            pkgid_version("path+file:///w/native-helper#0.1.0").as_deref(),
            Some("0.1.0")
        );
        assert_eq!(
            pkgid_version("path+file:///w/helper#native-helper@1.2.3").as_deref(),
            Some("1.2.3")
        );
        assert_eq!(pkgid_version("native-helper"), None);
    }

    #[test]
    fn packed_archives_pass_and_a_changed_byte_fails() {
        let dir = temp("sums");
        let archives = sample(&dir);
        verify(&dir, "9.9.9").unwrap();
        // One byte of the zip changed (a comment byte at the end: still a zip).
        let mut zip = std::fs::read(&archives[1]).unwrap();
        *zip.last_mut().unwrap() ^= 1;
        std::fs::write(&archives[1], &zip).unwrap();
        let error = verify(&dir, "9.9.9").unwrap_err();
        assert!(
            error.starts_with("portdoctor-9.9.9-x86_64-windows.zip: SHA256SUMS says"),
            "{error}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn an_archive_without_its_licence_fails() {
        let dir = temp("docs");
        let docs: Vec<PathBuf> = DOCS.iter().map(|d| dir.join(d)).collect();
        let archives = sample(&dir);
        // The tarball again, without LICENSE-APACHE, summed anew.
        let linux = &PACKAGES[0];
        pack(
            linux,
            "9.9.9",
            &dir.join(linux.binary),
            &docs[..2],
            &archives[0],
        )
        .unwrap();
        let sums: String = archives.iter().map(|a| sum_line(a).unwrap()).collect();
        std::fs::write(dir.join(SUMS), sums).unwrap();
        assert_eq!(
            verify(&dir, "9.9.9").unwrap_err(),
            "portdoctor-9.9.9-x86_64-linux.tar.gz has no portdoctor-9.9.9-x86_64-linux/LICENSE-APACHE"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_binary_is_packed_executable_and_the_docs_are_not() {
        let dir = temp("modes");
        let archives = sample(&dir);
        for (package, archive) in PACKAGES.iter().zip(&archives) {
            let entries = entries(archive, package.format).unwrap();
            let names: Vec<&str> = entries.iter().map(|(n, _, _)| n.as_str()).collect();
            let folder = package.folder("9.9.9");
            assert_eq!(
                names,
                [package.binary, "README.md", "LICENSE-MIT", "LICENSE-APACHE"]
                    .map(|f| format!("{folder}/{f}"))
            );
            assert_eq!(entries[0].2 & 0o777, 0o755, "{archive:?}");
            assert_eq!(entries[1].2 & 0o777, 0o644, "{archive:?}");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
