//! The `portdoctor` binary: argument parsing lives in [`native_helper::cli`].

fn main() -> std::process::ExitCode {
    native_helper::cli::main()
}
