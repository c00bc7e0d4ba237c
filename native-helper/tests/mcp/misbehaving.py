"""MCP servers that fail the ways real ones do, for portdoctor's tests.

    misbehaving.py hang-http    takes HTTP connections, never answers
                                (prints `listening on PORT` first)
    misbehaving.py hang-stdio   reads stdin, never answers, ignores SIGTERM
                                and starts a child of its own; writes both
                                pids to $PD_PIDFILE so a test can see that
                                the whole process group was stopped
    misbehaving.py exit-early   dies at start, explaining why on stderr
    misbehaving.py noisy        prints a banner on stdout, then serves the
                                demo server over stdio

Only `noisy` imports the MCP SDK; the rest are standard library.
"""

import os
import signal
import socket
import subprocess
import sys
import threading
import time


def hang_http():
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    print(f"listening on {listener.getsockname()[1]}", flush=True)
    held = []
    while True:
        conn, _ = listener.accept()
        held.append(conn)
        threading.Thread(target=lambda c=conn: c.recv(65536), daemon=True).start()


def hang_stdio():
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    with open(os.environ["PD_PIDFILE"], "w") as f:
        f.write(f"{os.getpid()} {child.pid}\n")
    print("hang-stdio: reading requests, answering none", file=sys.stderr, flush=True)
    while True:
        if not sys.stdin.readline():
            time.sleep(3600)


def exit_early():
    db = os.environ.get("DEMO_DB", "(DEMO_DB not set)")
    print("starting demo server", file=sys.stderr)
    print(f"fatal: cannot open database {db}: no such file", file=sys.stderr)
    sys.exit(3)


def noisy():
    print("Demo server v1.4.2 starting on stdio...", flush=True)
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import demo_server

    demo_server.server.run("stdio")


MODES = {
    "hang-http": hang_http,
    "hang-stdio": hang_stdio,
    "exit-early": exit_early,
    "noisy": noisy,
}

if __name__ == "__main__":
    MODES[sys.argv[1]]()
