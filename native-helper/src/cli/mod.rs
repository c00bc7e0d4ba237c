//! The terminal front end: `portdoctor [serve]`, `check`, `wait`, `mcp`,
//! `listeners`, `bind-check`, `embed`, `bridge`, `autostart`.
//!
//! Thin by design: parse arguments, call the engine or the server, print.
//! Exit codes as docs/report.md lists them: 0 healthy, 1 a problem found, 2 bad usage.

mod config;
mod render;
mod start;

use std::io::Write as _;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, ToSocketAddrs};
use std::path::PathBuf;
use std::process::ExitCode;
use std::str::FromStr;
use std::time::{Duration, Instant};

use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::{Args, Parser, Subcommand};
use protocol::{ServiceProtocol, Until};
use strum::IntoEnumIterator;

use protocol::{McpConfigReport, McpServerCheck, Report};

use crate::server::{self, ServerConfig};
use engine::mcp::McpOptions;
use engine::mcp::config::{self as mcp_config, Server};
use engine::mcp::login::{ClientCredentials, LoginOptions, Opener, Secret};
use engine::policy::{Cidr, TargetPolicy};
use engine::{self, CheckOptions};

/// Finds out why a local connection fails, and says how to fix it.
///
/// Without a command, starts the helper: a local page (and WebSocket) on
/// 127.0.0.1 that runs checks from the browser.
#[derive(Debug, Parser)]
#[command(name = "portdoctor", version, args_conflicts_with_subcommands = true)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    serve: ServeArgs,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Start the helper and open its page (the default).
    Serve(ServeArgs),
    /// Check one target: `8080`, `localhost:8080`, `[::1]:5432`, `http://localhost:8000/mcp`.
    Check(CheckArgs),
    /// Wait until TARGET is up (a server starting, a container coming up),
    /// then print its report. Up means working (verdict reachable: a proxy
    /// answering 502 is not up) unless --until accepts. For scripts: exit 0
    /// once it is up, 1 if it was not within --for, 2 if it never can be.
    Wait(WaitArgs),
    /// Check MCP servers: the one at TARGET, or every server in the desktop
    /// assistant's configuration (stdio servers are started for the check).
    Mcp(McpArgs),
    /// List every TCP listener on this machine, with its process.
    Listeners(ListenersArgs),
    /// Can a server listen on this port? If not, who holds it.
    BindCheck(BindCheckArgs),
    /// Write the docs embed (`<port-check>`) into a folder a docs site can serve.
    Embed(EmbedArgs),
    /// A websockify-compatible WebSocket bridge to one TARGET, for a local
    /// web app (a noVNC page): only pages from --allow-origin, and scripts
    /// with the token, may use it.
    Bridge(BridgeArgs),
    /// Start the helper at login (`on`), or no longer (`off`); alone, says
    /// whether it does and where the entry is.
    Autostart(AutostartArgs),
}

#[derive(Debug, Args)]
struct ServeArgs {
    /// Port of the page and WebSocket (0: any free port).
    #[arg(long, default_value_t = protocol::DEFAULT_PORT)]
    port: u16,
    /// Address to listen on. Anything but loopback needs --expose.
    #[arg(long, default_value_t = IpAddr::V4(Ipv4Addr::LOCALHOST))]
    listen: IpAddr,
    /// Allow --listen on a non-loopback address: other machines can then reach the helper.
    #[arg(long)]
    expose: bool,
    /// Where to write the per-start token scripts must present (mode 0600;
    /// default: portdoctor/token in $XDG_RUNTIME_DIR, else in ~/.cache).
    #[arg(long, value_name = "PATH")]
    token_file: Option<PathBuf>,
    /// Settings file with allow-origin / allow-target lists
    /// (default: ~/.config/portdoctor/config.toml, if it exists).
    #[arg(long, value_name = "PATH")]
    config: Option<PathBuf>,
    /// Do not open the page in a browser.
    #[arg(long)]
    no_open: bool,
    /// Windows: close the console window the helper was started with (the
    /// logon entry uses it). Elsewhere it changes nothing.
    #[arg(long)]
    no_console: bool,
    /// Let pages from this origin use the helper (e.g. https://docs.example.com). Repeatable.
    #[arg(long = "allow-origin", value_name = "ORIGIN")]
    allow_origins: Vec<String>,
    /// The desktop assistant's MCP configuration for the page's MCP view
    /// (default: claude_desktop_config.json where the assistant keeps it).
    #[arg(long, value_name = "PATH")]
    mcp_config: Option<PathBuf>,
    #[command(flatten)]
    relay: RelayArgs,
    #[command(flatten)]
    policy: PolicyArgs,
}

#[derive(Debug, Args)]
struct RelayArgs {
    /// Close a relay (`/relay`, or a bridge's connection) after this long
    /// without a byte either way.
    #[arg(long, value_name = "DURATION", default_value = "10m", value_parser = parse_duration)]
    relay_idle: Duration,
    /// Relays open at once; one more is closed with 1013 (try again later).
    #[arg(long, value_name = "N", default_value_t = server::relay::MAX_RELAYS,
          value_parser = clap::value_parser!(u32).range(1..).map(|n| n as usize))]
    max_relays: usize,
}

impl RelayArgs {
    fn limits(&self) -> server::RelayLimits {
        server::RelayLimits {
            idle: self.relay_idle,
            max: self.max_relays,
        }
    }
}

#[derive(Debug, Args)]
struct PolicyArgs {
    /// Also let checks and relays connect to this host, address or range
    /// (default: loopback only).
    /// Names are resolved once, at start. Repeatable.
    #[arg(long = "allow-target", value_name = "HOST|IP|CIDR")]
    allow_targets: Vec<String>,
}

impl PolicyArgs {
    fn policy(&self) -> Result<TargetPolicy, String> {
        target_policy(&self.allow_targets)
    }
}

/// The policy, with host names turned into their addresses now: the policy
/// is applied to addresses, so a name re-pointed later gains nothing.
fn target_policy(specs: &[String]) -> Result<TargetPolicy, String> {
    let mut allowed = Vec::new();
    for spec in specs {
        match spec.parse::<Cidr>() {
            Ok(cidr) => allowed.push(cidr),
            Err(not_cidr) => {
                let addrs = (spec.as_str(), 0).to_socket_addrs().map_err(|e| {
                    format!("--allow-target {spec}: {not_cidr}, and as a host name: {e}")
                })?;
                allowed.extend(addrs.map(|a| Cidr::from(a.ip())));
            }
        }
    }
    Ok(TargetPolicy::new(allowed))
}

#[derive(Debug, Args)]
struct CheckArgs {
    /// What to check.
    target: String,
    /// Print the report as one JSON object (the report contract).
    #[arg(long)]
    json: bool,
    /// Connect timeout per address (default 3s); given, it also bounds an
    /// MCP server's conversation (default 10s): `3s`, `500ms`.
    #[arg(long, value_parser = parse_duration)]
    timeout: Option<Duration>,
    /// The protocol you expect there; something else answering is a finding.
    #[arg(long, value_name = "PROTO", ignore_case = true, value_parser = wire_name(&[ServiceProtocol::Unknown]))]
    expect: Option<ServiceProtocol>,
    #[command(flatten)]
    policy: PolicyArgs,
}

#[derive(Debug, Args)]
struct WaitArgs {
    #[command(flatten)]
    check: CheckArgs,
    /// How long to wait at most: `60s`, `2m`.
    #[arg(long = "for", value_name = "DURATION", default_value = "60s", value_parser = parse_duration)]
    wait: Duration,
    /// `healthy`: until it works (no error finding); `accepts`: until
    /// anything accepts a connection, whatever it answers.
    #[arg(long, ignore_case = true, default_value = "healthy", value_parser = wire_name::<Until>(&[]))]
    until: Until,
}

#[derive(Debug, Args)]
struct McpArgs {
    /// An MCP server's URL (`http://localhost:8000/mcp`) or host:port; without
    /// it, every server in the desktop assistant's configuration.
    #[arg(conflicts_with = "config")]
    target: Option<String>,
    /// The desktop assistant's configuration (default: claude_desktop_config.json
    /// where the assistant keeps it on this system).
    #[arg(long, value_name = "PATH")]
    config: Option<PathBuf>,
    /// Print one JSON object: the report, or every configured server's.
    #[arg(long)]
    json: bool,
    /// Time allowed for the whole check, MCP conversation included: `10s`, `500ms`.
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    timeout: Duration,
    /// Send this Origin header, as a web page would (e.g. http://localhost:6274),
    /// to see whether the server lets that page in.
    #[arg(long, value_name = "ORIGIN")]
    origin: Option<String>,
    /// When the server answers 401 and its authorization chain is whole,
    /// sign in (OAuth with PKCE, in a browser: $BROWSER, else the system's)
    /// and check with the token. The token stays in memory for this check.
    #[arg(long, requires = "target")]
    login: bool,
    /// With --login: a client id the authorization server knows (or the
    /// https URL of a Client ID Metadata Document), instead of registering.
    #[arg(long, value_name = "ID", requires = "login")]
    client_id: Option<String>,
    /// With --client-id: its secret, for a confidential client. Read from
    /// the environment rather than the command line, which others can see.
    #[arg(
        long,
        env = "PORTDOCTOR_CLIENT_SECRET",
        value_name = "SECRET",
        requires = "client_id",
        hide_env_values = true
    )]
    client_secret: Option<String>,
    /// With --login: the loopback redirect URI's port
    /// (http://127.0.0.1:PORT/callback), for a client registered with it;
    /// 0, the default, lets the OS pick one.
    #[arg(long, value_name = "PORT", default_value_t = 0, requires = "login")]
    redirect_port: u16,
    /// With --login: how long to wait for the browser to come back.
    #[arg(long, value_name = "DURATION", default_value = "2m", value_parser = parse_duration, requires = "login")]
    login_timeout: Duration,
    #[command(flatten)]
    policy: PolicyArgs,
}

#[derive(Debug, Args)]
struct EmbedArgs {
    /// The folder to write embed.js, style.css and the WebAssembly into.
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
}

#[derive(Debug, Args)]
struct BindCheckArgs {
    /// The port your server wants.
    #[arg(value_parser = server_port)]
    port: u16,
    /// Print the result as one JSON object.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
struct BridgeArgs {
    /// Where every connection goes, e.g. localhost:5900.
    target: String,
    /// Port to listen on, on 127.0.0.1 (0: any free port).
    #[arg(long, default_value_t = 6080)]
    port: u16,
    /// A page that may use the bridge, e.g. http://localhost:8080. Repeatable.
    #[arg(long = "allow-origin", value_name = "ORIGIN")]
    allow_origins: Vec<String>,
    /// Where to write the token scripts must present (mode 0600; default:
    /// bridge-PORT.token beside the helper's token, which it leaves alone).
    #[arg(long, value_name = "PATH")]
    token_file: Option<PathBuf>,
    #[command(flatten)]
    relay: RelayArgs,
    #[command(flatten)]
    policy: PolicyArgs,
}

#[derive(Debug, Args)]
struct AutostartArgs {
    /// `on`: start at every login (and now); `off`: stop and remove the entry.
    state: Option<Switch>,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum Switch {
    On,
    Off,
}

#[derive(Debug, Args)]
struct ListenersArgs {
    /// Print a JSON array of listeners and nothing else (a count of processes
    /// the OS hid, on macOS without root, is a note on stderr).
    #[arg(long)]
    json: bool,
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => return fail(&format!("cannot start the async runtime: {e}")),
    };
    let plan = start::plan(start::started(cli.command.is_none()));
    match cli.command.unwrap_or(Command::Serve(cli.serve)) {
        Command::Serve(args) => {
            let code = runtime.block_on(serve(args, plan));
            if code != ExitCode::SUCCESS {
                start::hold(plan);
            }
            code
        }
        Command::Check(args) => runtime.block_on(check(args)),
        Command::Wait(args) => runtime.block_on(wait(args)),
        Command::Mcp(args) => runtime.block_on(mcp(args)),
        Command::Listeners(args) => runtime.block_on(listeners(args)),
        Command::BindCheck(args) => runtime.block_on(bind_check(args)),
        Command::Embed(args) => embed(&args),
        Command::Bridge(args) => runtime.block_on(bridge(args)),
        Command::Autostart(args) => autostart(&args),
    }
}

fn autostart(args: &AutostartArgs) -> ExitCode {
    use crate::autostart;
    let done = match args.state {
        None => {
            return match autostart::status() {
                Ok(status) if status.on => {
                    println!("autostart is on: {}", status.place);
                    println!("turn it off with `portdoctor autostart off`");
                    ExitCode::SUCCESS
                }
                Ok(status) => {
                    println!("autostart is off (its entry would be {})", status.place);
                    println!("turn it on with `portdoctor autostart on`");
                    ExitCode::SUCCESS
                }
                Err(e) => fail(&e.to_string()),
            };
        }
        Some(Switch::On) => autostart::on(),
        Some(Switch::Off) => autostart::off(),
    };
    match done {
        Ok(outcome) => {
            for note in &outcome.notes {
                println!("{note}");
            }
            ExitCode::SUCCESS
        }
        Err(e) => fail(&format!("autostart: {e}")),
    }
}

impl CheckArgs {
    fn options(&self) -> Result<CheckOptions, String> {
        let given = self.timeout.map(|t| t.min(engine::MAX_TIMEOUT));
        let defaults = CheckOptions::default();
        Ok(CheckOptions {
            timeout: given.unwrap_or(defaults.timeout),
            policy: self.policy.policy()?,
            expect: self.expect,
            // The user's timeout, not a 10 s of ours, for a hung MCP server.
            mcp: McpOptions {
                timeout: given.unwrap_or(defaults.mcp.timeout),
                ..McpOptions::default()
            },
            ..defaults
        })
    }
}

async fn check(args: CheckArgs) -> ExitCode {
    let options = match args.options() {
        Ok(options) => options,
        Err(e) => return fail(&e),
    };
    let report = engine::check(&args.target, &options, &|_| {}).await;
    emit(&report, args.json, render::report);
    ExitCode::from(report.exit_code() as u8)
}

/// Between attempts: quick at first, so a server that is nearly up is seen
/// at once; then at most every two seconds.
const WAIT_FIRST: Duration = Duration::from_millis(250);
const WAIT_MAX: Duration = Duration::from_secs(2);

async fn wait(args: WaitArgs) -> ExitCode {
    let WaitArgs { check, wait, until } = args;
    let options = match check.options() {
        Ok(options) => options,
        Err(e) => return fail(&e),
    };
    let started = Instant::now();
    let mut delay = WAIT_FIRST;
    let mut said = None;
    let report = loop {
        let report = engine::check(&check.target, &options, &|_| {}).await;
        let left = wait.saturating_sub(started.elapsed());
        if report.is_up(until) || report.is_final() || left.is_zero() {
            break report;
        }
        // Progress on stderr, once per new reason, so stdout stays the report.
        let why = report.findings.first().map(|f| f.summary.clone());
        if why != said {
            eprintln!(
                "waiting for {}: {}",
                check.target,
                why.as_deref().unwrap_or("not up yet")
            );
            said = why;
        }
        // The last attempt comes at the deadline.
        tokio::time::sleep(delay.min(left)).await;
        delay = (delay * 2).min(WAIT_MAX);
    };
    let took = started.elapsed().as_secs_f64();
    let (code, outcome) = if report.is_up(until) {
        (0, format!("{} after {took:.1} s", until.reached()))
    } else if report.is_final() {
        // 2 for a target that cannot be read, as `check` says.
        (
            report.exit_code() as u8,
            "this target can never answer".to_owned(),
        )
    } else if report.answered() {
        (
            1,
            format!("it answers, but still does not work after {took:.1} s"),
        )
    } else {
        (1, format!("still not up after {took:.1} s"))
    };
    eprintln!("{}: {outcome}", check.target);
    emit(&report, check.json, render::report);
    ExitCode::from(code)
}

async fn mcp(args: McpArgs) -> ExitCode {
    let policy = match args.policy.policy() {
        Ok(p) => p,
        Err(e) => return fail(&e),
    };
    let timeout = args.timeout.min(engine::MAX_TIMEOUT);
    let options = CheckOptions {
        timeout,
        policy,
        mcp: McpOptions {
            expect: true,
            timeout,
            origin: args.origin,
            login: args.login.then(|| LoginOptions {
                client: args.client_id.map(|id| ClientCredentials {
                    id,
                    secret: args.client_secret.map(Secret::new),
                }),
                opener: Opener::new(open_sign_in),
                timeout: args.login_timeout,
                port: args.redirect_port,
            }),
            ..McpOptions::default()
        },
        ..CheckOptions::default()
    };
    if let Some(target) = args.target {
        let report = engine::check(&target, &options, &|_| {}).await;
        emit(&report, args.json, render::report);
        return ExitCode::from(report.exit_code() as u8);
    }
    let config = match mcp_config::read(args.config).await {
        Ok(config) => config,
        Err(e @ mcp_config::ConfigError::NotFound(_)) => {
            return fail(&format!(
                "{e}: give the server's URL (`portdoctor mcp http://localhost:8000/mcp`) or the file (`portdoctor mcp --config PATH`)"
            ));
        }
        Err(e) => return fail(&e.to_string()),
    };
    let reports = futures_util::future::join_all(
        config
            .servers
            .iter()
            .map(|server| engine::check_configured(server, &options, &|_| {})),
    )
    .await;
    let exit = reports.iter().map(Report::exit_code).max().unwrap_or(0);
    let checked = McpConfigReport {
        config: config.path.display().to_string(),
        servers: config
            .servers
            .iter()
            .map(Server::entry)
            .zip(reports)
            .map(|(server, report)| McpServerCheck { server, report })
            .collect(),
    };
    emit(&checked, args.json, render::configured);
    ExitCode::from(exit as u8)
}

fn embed(args: &EmbedArgs) -> ExitCode {
    if let Err(e) = std::fs::create_dir_all(&args.out) {
        return fail(&format!("cannot create {}: {e}", args.out.display()));
    }
    for (name, body) in server::embed_files() {
        let path = args.out.join(name);
        if let Err(e) = std::fs::write(&path, body) {
            return fail(&format!("cannot write {}: {e}", path.display()));
        }
        println!("{:>9} bytes  {}", body.len(), path.display());
    }
    println!(
        "add to a page: <script type=\"module\" src=\"…/embed.js\"></script> and <port-check target=\"localhost:8080\"></port-check>"
    );
    ExitCode::SUCCESS
}

async fn bind_check(args: BindCheckArgs) -> ExitCode {
    let report = engine::bind::bind_check(args.port).await;
    emit(&report, args.json, render::bind);
    ExitCode::from(if report.available { 0 } else { 1 })
}

async fn listeners(args: ListenersArgs) -> ExitCode {
    match engine::listeners::listing().await {
        Ok(listing) => {
            if let Some(note) = engine::listeners::hidden_note(&listing) {
                eprintln!("note: {note}");
            }
            let all: Vec<_> = listing
                .listeners
                .iter()
                .map(engine::listeners::to_report)
                .collect();
            emit(&all, args.json, |all| render::listeners(all));
            ExitCode::SUCCESS
        }
        Err(e) => fail(&format!("cannot read the socket table: {e}")),
    }
}

async fn serve(args: ServeArgs, plan: start::Plan) -> ExitCode {
    #[cfg(windows)]
    if args.no_console {
        // SAFETY: no arguments; afterwards writes to the console go nowhere.
        unsafe { windows_sys::Win32::System::Console::FreeConsole() };
    }
    init_logging();
    if !args.listen.is_loopback() && !args.expose {
        return fail(&format!(
            "--listen {} would let other machines use this helper; add --expose if that is really what you want",
            args.listen
        ));
    }
    let config = match config::load(args.config.as_deref()) {
        Ok(c) => c,
        Err(e) => return fail(&e),
    };
    let policy = match target_policy(&[config.allow_target, args.policy.allow_targets].concat()) {
        Ok(p) => p,
        Err(e) => return fail(&e),
    };
    let Bound {
        listener,
        local,
        token,
        token_file,
    } = match listen(
        SocketAddr::new(args.listen, args.port),
        args.token_file,
        |_| default_token_file("token"),
    )
    .await
    {
        Ok(bound) => bound,
        Err(e) => {
            let addr = SocketAddr::new(args.listen, args.port);
            if plan.reuse_running && start::helper_answers(addr).await {
                return open_running(addr, args.no_open).await;
            }
            return fail(&e);
        }
    };
    let url = format!("http://{local}/");
    // Whoever started us may have stopped reading stdout: never die of that.
    let _ = writeln!(std::io::stdout(), "portdoctor is running at {url}");
    let _ = writeln!(
        std::io::stdout(),
        "scripts: send `Authorization: Bearer {}` to ws://{local}{} (token also in {})",
        token.as_str(),
        protocol::WS_PATH,
        token_file.display()
    );
    if plan.own_window {
        let _ = writeln!(
            std::io::stdout(),
            "this window is portdoctor: close it to stop the helper"
        );
    }
    if !args.listen.is_loopback() {
        tracing::warn!("listening on {local}: other machines can reach this helper");
    }
    if !args.no_open {
        open_browser(&url);
    }
    let config = ServerConfig {
        allowed_origins: [config.allow_origin, args.allow_origins].concat(),
        check: CheckOptions {
            policy,
            ..CheckOptions::default()
        },
        token,
        mcp_config: args.mcp_config,
        relay: args.relay.limits(),
        bridge: None,
    };
    run_server(listener, config).await
}

async fn bridge(args: BridgeArgs) -> ExitCode {
    init_logging();
    let policy = match args.policy.policy() {
        Ok(p) => p,
        Err(e) => return fail(&e),
    };
    let addr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), args.port);
    let Bound {
        listener,
        local,
        token,
        token_file,
    } = match listen(addr, args.token_file, |local| {
        // Not the helper's file: scripts read that one to reach the helper.
        default_token_file(&format!("bridge-{}.token", local.port()))
    })
    .await
    {
        Ok(bound) => bound,
        Err(e) => return fail(&e),
    };
    let _ = writeln!(
        std::io::stdout(),
        "portdoctor bridge to {} is running at ws://{local}/",
        args.target
    );
    let _ = writeln!(
        std::io::stdout(),
        "scripts: send `Authorization: Bearer {}` (token also in {})",
        token.as_str(),
        token_file.display()
    );
    let config = ServerConfig {
        allowed_origins: args.allow_origins,
        check: CheckOptions {
            policy,
            ..CheckOptions::default()
        },
        token,
        mcp_config: None,
        relay: args.relay.limits(),
        bridge: Some(args.target),
    };
    run_server(listener, config).await
}

/// A bound listener and the per-start token scripts must present.
struct Bound {
    listener: tokio::net::TcpListener,
    local: SocketAddr,
    token: server::guard::Token,
    token_file: PathBuf,
}

/// Binds `addr` and makes the token, written to `token_file` or, without
/// one, where `default` says for the bound address.
async fn listen(
    addr: SocketAddr,
    token_file: Option<PathBuf>,
    default: impl FnOnce(SocketAddr) -> PathBuf,
) -> Result<Bound, String> {
    let listener = match tokio::net::TcpListener::bind(addr).await {
        Ok(l) => l,
        Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => {
            let port = addr.port();
            let holder = engine::listeners::on_port(port)
                .await
                .ok()
                .and_then(|l| l.first().map(engine::listeners::owner))
                .unwrap_or_else(|| "another program".to_owned());
            return Err(format!(
                "port {port} is already taken by {holder}. Is portdoctor already running? Open http://127.0.0.1:{port}/ or start with --port 0 for any free port."
            ));
        }
        Err(e) => return Err(format!("cannot listen on {addr}: {e}")),
    };
    let local = listener
        .local_addr()
        .map_err(|e| format!("cannot read the bound address: {e}"))?;
    let token = server::guard::Token::generate()
        .map_err(|e| format!("cannot make a session token: {e}"))?;
    let token_file = token_file.unwrap_or_else(|| default(local));
    write_private(&token_file, token.as_str())
        .map_err(|e| format!("cannot write the token to {}: {e}", token_file.display()))?;
    Ok(Bound {
        listener,
        local,
        token,
        token_file,
    })
}

async fn run_server(listener: tokio::net::TcpListener, config: ServerConfig) -> ExitCode {
    tokio::select! {
        result = server::serve(listener, config) => match result {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => fail(&format!("server stopped: {e}")),
        },
        _ = tokio::signal::ctrl_c() => ExitCode::SUCCESS,
    }
}

/// `$XDG_RUNTIME_DIR/portdoctor/NAME`, else the user cache dir, else temp.
fn default_token_file(name: &str) -> PathBuf {
    let base = std::env::var_os("XDG_RUNTIME_DIR")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(std::env::temp_dir);
    base.join("portdoctor").join(name)
}

/// Writes a file only its owner can read, whatever existed before.
fn write_private(path: &std::path::Path, content: &str) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        options.mode(0o600);
        let mut file = options.open(path)?;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        file.write_all(content.as_bytes())
    }
    #[cfg(not(unix))]
    options.open(path)?.write_all(content.as_bytes())
}

/// Prints one result: a JSON document for scripts, or text for people.
fn emit<T: serde::Serialize>(value: &T, json: bool, text: impl FnOnce(&T) -> String) {
    let out = if json {
        serde_json::to_string_pretty(value).expect("protocol types always serialise") + "\n"
    } else {
        text(value)
    };
    print!("{out}");
}

/// A helper already runs at `addr`: its page, not a second helper.
async fn open_running(addr: SocketAddr, no_open: bool) -> ExitCode {
    let url = format!("http://{addr}/");
    println!("portdoctor is already running at {url}");
    if !no_open {
        // Not on a thread: the process ends right after.
        let opened = tokio::task::spawn_blocking(move || webbrowser::open(&url)).await;
        if let Ok(Err(e)) = opened {
            println!("could not open a browser ({e}); open the address above yourself");
        }
    }
    ExitCode::SUCCESS
}

/// Best effort: the URL is printed either way. On a thread, because a text
/// browser in `$BROWSER` (lynx) runs until it quits, and the server must not
/// wait for that.
fn open_browser(url: &str) {
    let url = url.to_owned();
    std::thread::spawn(move || {
        if let Err(e) = webbrowser::open(&url) {
            tracing::info!("could not open a browser ({e}); open {url} yourself");
        }
    });
}

/// Shows the authorization URL on stderr (stdout stays the report) and
/// opens it: $BROWSER, else the system's browser.
fn open_sign_in(url: &str) -> Result<(), String> {
    eprintln!("portdoctor: sign in at {url}");
    webbrowser::open(url).map_err(|e| e.to_string())
}

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // Colours only on a terminal: a log file or pipe gets plain `key=value`.
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
}

/// A port a server can be started on: 1 to 65535, and 0 refused with why
/// (clap's own range message would say 0 is allowed).
fn server_port(text: &str) -> Result<u16, String> {
    match text.parse() {
        Ok(0) => Err(engine::bind::PORT_ZERO.to_owned()),
        Ok(port) => Ok(port),
        Err(_) => Err(format!(
            "{text:?} is not a port: give the port your server will use (1 to 65535)"
        )),
    }
}

fn fail(message: &str) -> ExitCode {
    eprintln!("portdoctor: {message}");
    ExitCode::from(2)
}

/// One of a protocol enum's wire names (`--expect redis`, `--until
/// accepts`), any case, but not those in `except`. The names, listed in
/// `--help` and in the error, are the protocol crate's.
fn wire_name<T>(except: &'static [T]) -> impl TypedValueParser<Value = T>
where
    T: IntoEnumIterator
        + Into<&'static str>
        + FromStr<Err = strum::ParseError>
        + PartialEq
        + Clone
        + Send
        + Sync
        + 'static,
{
    PossibleValuesParser::new(
        T::iter()
            .filter(|value| !except.contains(value))
            .map(Into::<&'static str>::into),
    )
    .try_map(|name| name.to_ascii_lowercase().parse::<T>())
}

/// `3s`, `500ms`, `1.5s`, `2m`, `1h 30m` (humantime's units), or a bare
/// number of seconds. Each use caps it as it needs (a connect timeout at
/// [`engine::MAX_TIMEOUT`]).
fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let bare = !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit() || b == b'.');
    let parsed = if bare {
        humantime::parse_duration(&format!("{text}s"))
    } else {
        humantime::parse_duration(text)
    };
    match parsed {
        Ok(duration) if !duration.is_zero() => Ok(duration),
        Ok(_) => Err(format!(
            "\"{text}\" is no time at all; use e.g. 3s, 500ms or 2m"
        )),
        Err(e) => Err(format!(
            "\"{text}\" is not a duration ({e}); use e.g. 3s, 500ms or 2m"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("3s"), Ok(Duration::from_secs(3)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("2"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration("0.25"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("1h 30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(
            parse_duration("0s"),
            Err("\"0s\" is no time at all; use e.g. 3s, 500ms or 2m".into())
        );
        for bad in ["", "-1s", "0", "1e300", "3 parsecs", "soon", "1.2.3s", "."] {
            let error = parse_duration(bad).unwrap_err();
            assert!(
                error.ends_with("use e.g. 3s, 500ms or 2m"),
                "{bad}: {error}"
            );
        }
        assert!(parse_duration("3 parsecs").unwrap_err().contains("parsecs"));
    }

    #[test]
    fn expect_takes_the_reports_protocol_names() {
        let expect = |name: &str| {
            Cli::try_parse_from(["portdoctor", "check", "8080", "--expect", name])
                .map(|cli| match cli.command {
                    Some(Command::Check(args)) => args.expect,
                    _ => unreachable!("a check command"),
                })
                .map_err(|e| e.to_string())
        };
        assert_eq!(expect("redis"), Ok(Some(ServiceProtocol::Redis)));
        assert_eq!(expect("WebSocket"), Ok(Some(ServiceProtocol::Websocket)));
        for wrong in ["gopher", "unknown"] {
            let error = expect(wrong).unwrap_err();
            assert!(
                error.contains("[possible values: http, tls, ssh, redis, postgres, mysql, smtp, ftp, websocket, mcp]"),
                "{error}"
            );
        }
    }

    #[test]
    fn cli_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
