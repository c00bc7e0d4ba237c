"""An OAuth authorization server from the official MCP Python SDK's auth
support (create_auth_routes), for portdoctor's authorization tests.

    sdk_auth_server.py

Listens on 127.0.0.1 on a port the OS chooses, with the issuer
http://127.0.0.1:PORT, Dynamic Client Registration on, and prints
`listening on PORT` once it serves. The tests only read its metadata: the
provider behind the routes refuses everything.
"""

import socket

import uvicorn
from pydantic import AnyHttpUrl
from mcp.server.auth.routes import create_auth_routes
from mcp.server.auth.settings import ClientRegistrationOptions
from starlette.applications import Starlette


class Refusing:
    """A provider that knows no client, code or token."""

    async def get_client(self, client_id):
        return None

    async def load_authorization_code(self, client, code):
        return None

    async def load_refresh_token(self, client, token):
        return None

    async def load_access_token(self, token):
        return None


class Announcing(uvicorn.Server):
    async def startup(self, sockets=None):
        await super().startup(sockets)
        print(f"listening on {sockets[0].getsockname()[1]}", flush=True)


def main():
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    issuer = f"http://127.0.0.1:{sock.getsockname()[1]}"
    routes = create_auth_routes(
        Refusing(),
        issuer_url=AnyHttpUrl(issuer),
        client_registration_options=ClientRegistrationOptions(enabled=True),
    )
    config = uvicorn.Config(Starlette(routes=routes), log_level="warning")
    Announcing(config).run(sockets=[sock])


if __name__ == "__main__":
    main()
