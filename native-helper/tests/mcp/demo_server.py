"""A real MCP server from the official Python SDK, for portdoctor's tests.

    demo_server.py stdio
    demo_server.py streamable-http [--path /mcp] [--guard] [--era handshake]
                                   [--token TOKEN] [--tls DIR] [--auth-issuer URL]
    demo_server.py sse [--guard]

HTTP transports listen on 127.0.0.1 on a port the OS chooses and print
`listening on PORT` once the server accepts requests: the tests read that
line instead of sleeping.

`--guard` turns on the SDK's transport security allowing only 127.0.0.1 as
Host and http://127.0.0.1:* as Origin, so `localhost` gets the SDK's 421 and
any other page's Origin its 403.

`--era handshake` makes the server what a 2025 SDK is: the SDK routes a
request by its MCP-Protocol-Version header, so dropping stateless-era values
sends `server/discover` down the SDK's own handshake-era path, which answers
it 400 for want of a session.

`--token` answers 401 with `WWW-Authenticate: Bearer` unless a request
carries `Authorization: Bearer TOKEN`, as a server behind an API key does.
`--tls DIR` serves HTTPS with DIR/cert.pem and DIR/key.pem.
`--auth-issuer URL` turns on the SDK's own OAuth resource-server support
(AuthSettings): 401 with a resource_metadata link, and Protected Resource
Metadata naming URL as the authorization server; no token is accepted,
unless `--introspect URL` names the authorization server's RFC 7662
endpoint (sdk_auth_server.py --grant), which then vouches for tokens.
`--card URL` publishes a server card (SEP-2127) at
/.well-known/mcp/server-card naming URL as the streamable-http endpoint
(`self`: this server's own).
`--step-up SCOPE` also wants SCOPE, beside the SDK's required "demo", and
answers 403 insufficient_scope naming both, as the spec's step-up expects.

The tests assert the name, version and tool names below exactly.
"""

import argparse
import socket
import sys

import uvicorn
from mcp.server.auth.provider import AccessToken
from mcp.server.auth.settings import AuthSettings
from mcp.server.mcpserver import MCPServer
from mcp.server.transport_security import TransportSecuritySettings
from starlette.responses import JSONResponse
from starlette.routing import Route

NAME = "portdoctor-demo"
VERSION = "1.4.2"


def build(**settings):
    """The demo server: two tools, a resource, a prompt."""
    server = MCPServer(NAME, version=VERSION, **settings)

    @server.tool()
    def add(a: int, b: int) -> int:
        """Add two numbers."""
        return a + b

    @server.tool()
    def echo(text: str) -> str:
        """Say it back."""
        return text

    @server.resource("demo://greeting")
    def greeting() -> str:
        """A fixed text."""
        return "hello"

    @server.prompt()
    def review(code: str) -> str:
        """Ask for a review."""
        return f"Review this:\n{code}"

    return server


server = build()


class NoToken:
    """Accepts no token: the tests look at what happens before one."""

    async def verify_token(self, token):
        return None


class Introspecting:
    """Asks the authorization server about each token (RFC 7662)."""

    def __init__(self, endpoint):
        self.endpoint = endpoint

    async def verify_token(self, token):
        import httpx2 as httpx

        async with httpx.AsyncClient() as client:
            answer = await client.post(self.endpoint, data={"token": token})
        facts = answer.json()
        if not facts.get("active"):
            return None
        return AccessToken(
            token=token,
            client_id=facts["client_id"],
            scopes=facts["scope"].split(),
            expires_at=facts["exp"],
            resource=facts.get("aud"),
        )


def step_up(app, scope, metadata, verifier):
    """403 insufficient_scope, naming every scope wanted, when the request's
    token is valid but lacks `scope`; anything else goes on to the SDK."""

    async def wrapped(scope_, receive, send):
        header = dict(scope_.get("headers", [])).get(b"authorization", b"").decode()
        token = None
        if scope_["type"] == "http" and header.lower().startswith("bearer "):
            token = await verifier.verify_token(header[7:])
        if token is not None and scope not in token.scopes:
            challenge = (
                f'Bearer error="insufficient_scope", scope="demo {scope}", resource_metadata="{metadata}"'
            )
            await send(
                {
                    "type": "http.response.start",
                    "status": 403,
                    "headers": [
                        (b"www-authenticate", challenge.encode()),
                        (b"content-type", b"application/json"),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": b'{"error":"insufficient_scope"}'})
            return
        await app(scope_, receive, send)

    return wrapped


def card(endpoint):
    """A server card naming `endpoint`, with this server's name and version."""

    async def serve(request):
        return JSONResponse(
            {
                "$schema": "https://static.modelcontextprotocol.io/schemas/v1/server-card.schema.json",
                "name": f"io.example/{NAME}",
                "version": VERSION,
                "remotes": [{"type": "streamable-http", "url": endpoint}],
                "capabilities": {"tools": {}},
            }
        )

    return serve


HANDSHAKE_VERSIONS = {"2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25"}


def handshake_era_only(app):
    """Drops MCP-Protocol-Version headers naming a stateless-era version."""

    async def wrapped(scope, receive, send):
        if scope["type"] == "http":
            scope = dict(scope)
            scope["headers"] = [
                (k, v)
                for k, v in scope["headers"]
                if k != b"mcp-protocol-version" or v.decode("latin-1") in HANDSHAKE_VERSIONS
            ]
        await app(scope, receive, send)

    return wrapped


def bearer_only(app, token):
    """Refuses every HTTP request without `Authorization: Bearer TOKEN`."""
    expected = f"Bearer {token}".encode()

    async def wrapped(scope, receive, send):
        if scope["type"] == "http" and dict(scope["headers"]).get(b"authorization") != expected:
            await send(
                {
                    "type": "http.response.start",
                    "status": 401,
                    "headers": [
                        (b"www-authenticate", b'Bearer realm="demo"'),
                        (b"content-type", b"text/plain"),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": b"token required"})
            return
        await app(scope, receive, send)

    return wrapped


class Announcing(uvicorn.Server):
    """Prints the port once uvicorn has started serving."""

    async def startup(self, sockets=None):
        await super().startup(sockets)
        port = sockets[0].getsockname()[1]
        print(f"listening on {port}", flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("transport", choices=["stdio", "streamable-http", "sse"])
    parser.add_argument("--path", default="/mcp")
    parser.add_argument("--guard", action="store_true")
    parser.add_argument("--era", choices=["handshake", "any"], default="any")
    parser.add_argument("--token")
    parser.add_argument("--tls", metavar="DIR")
    # `::` is where Express and many servers listen by default.
    parser.add_argument("--bind", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--auth-issuer", metavar="URL")
    parser.add_argument("--introspect", metavar="URL")
    parser.add_argument("--step-up", metavar="SCOPE")
    parser.add_argument("--card", metavar="URL")
    args = parser.parse_args()
    if args.transport == "stdio":
        server.run("stdio")
        return
    family = socket.AF_INET6 if ":" in args.bind else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.bind((args.bind, args.port))
    port = sock.getsockname()[1]
    app_server = server
    if args.auth_issuer:
        app_server = build(
            auth=AuthSettings(
                issuer_url=args.auth_issuer,
                resource_server_url=f"http://127.0.0.1:{port}{args.path}",  # as the tests ask
                required_scopes=["demo"],
                validate_token_resource=args.introspect is not None,
            ),
            token_verifier=Introspecting(args.introspect) if args.introspect else NoToken(),
        )
    security = TransportSecuritySettings(
        enable_dns_rebinding_protection=args.guard,
        allowed_hosts=["127.0.0.1:*"],
        allowed_origins=["http://127.0.0.1:*"],
    )
    if args.transport == "sse":
        app = server.sse_app(transport_security=security)
    else:
        app = app_server.streamable_http_app(
            streamable_http_path=args.path, transport_security=security
        )
        if args.card:
            endpoint = f"http://127.0.0.1:{port}{args.path}" if args.card == "self" else args.card
            app.router.routes.append(Route("/.well-known/mcp/server-card", card(endpoint)))
        if args.era == "handshake":
            app = handshake_era_only(app)
        if args.token:
            app = bearer_only(app, args.token)
        if args.step_up:
            metadata = f"http://127.0.0.1:{port}/.well-known/oauth-protected-resource{args.path}"
            app = step_up(app, args.step_up, metadata, Introspecting(args.introspect))
    tls = {}
    if args.tls:
        tls = {
            "ssl_certfile": f"{args.tls}/cert.pem",
            "ssl_keyfile": f"{args.tls}/key.pem",
        }
    config = uvicorn.Config(app, log_level="warning", lifespan="on", **tls)
    Announcing(config).run(sockets=[sock])


if __name__ == "__main__":
    sys.exit(main())
