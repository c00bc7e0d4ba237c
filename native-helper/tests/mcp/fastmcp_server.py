"""A real MCP server built with fastmcp (PyPI `fastmcp`, pinned by `cargo
xtask setup`), for portdoctor's tests: its name, version, tools, resource and
prompt are what the tests assert.

    fastmcp_server.py http|sse   listens on 127.0.0.1, a port the OS chooses,
                                 and prints `listening on PORT` once serving
    fastmcp_server.py stdio      speaks on stdin and stdout
"""

import socket
import sys

import uvicorn
from fastmcp import FastMCP

server = FastMCP("portdoctor-fastmcp", version="3.1.4")


@server.tool
def add(a: int, b: int) -> int:
    """Adds two numbers."""
    return a + b


@server.tool
def shout(text: str) -> str:
    """Repeats the text in capitals."""
    return text.upper()


@server.tool
def count_words(text: str) -> int:
    """Counts the words of the text."""
    return len(text.split())


@server.resource("config://greeting")
def greeting() -> str:
    return "hello from fastmcp"


@server.prompt
def review(code: str) -> str:
    """Asks for a review of the code."""
    return f"Review this code:\n{code}"


class Announcing(uvicorn.Server):
    """Prints the port once uvicorn has started serving."""

    async def startup(self, sockets=None):
        await super().startup(sockets)
        print(f"listening on {sockets[0].getsockname()[1]}", flush=True)


def main():
    transport = sys.argv[1]
    if transport == "stdio":
        server.run("stdio", show_banner=False)
        return
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    app = server.http_app(path="/sse" if transport == "sse" else "/mcp", transport=transport)
    config = uvicorn.Config(app, log_level="warning", lifespan="on")
    Announcing(config).run(sockets=[sock])


if __name__ == "__main__":
    main()
