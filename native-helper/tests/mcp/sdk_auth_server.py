"""An OAuth authorization server from the official MCP Python SDK's auth
support (create_auth_routes), for portdoctor's authorization tests.

    sdk_auth_server.py            the provider refuses everything (metadata only)
    sdk_auth_server.py --grant [--issued FILE]   a provider that signs people in
    ... --post-only      the metadata offers client_secret_post alone

Listens on 127.0.0.1 on a port the OS chooses, with the issuer
http://127.0.0.1:PORT, Dynamic Client Registration on, and prints
`listening on PORT` once it serves.

With --grant, the SDK's own handlers do the OAuth work (registration,
/authorize's client, redirect URI and scope checks, /token's client
authentication and PKCE check); the provider below stores clients, codes
and tokens in memory and adds what an application adds around them:

- a consent page, /consent?request=ID, whose form approves or denies;
- the redirect back with code, state and iss (RFC 9207);
- /introspect (RFC 7662), for the resource server (demo_server.py
  --introspect) to check the tokens it is given.
"""

import argparse
import html
import secrets
import socket
import time

import uvicorn
from pydantic import AnyHttpUrl
from mcp.server.auth.provider import (
    AccessToken,
    AuthorizationCode,
    construct_redirect_uri,
)
from mcp.server.auth.handlers.metadata import MetadataHandler
from mcp.server.auth.routes import build_metadata, create_auth_routes
from mcp.server.auth.settings import ClientRegistrationOptions, RevocationOptions
from mcp.shared.auth import OAuthToken
from starlette.applications import Starlette
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse
from starlette.routing import Route

SCOPES = ["demo", "extra"]
TOKEN_LIFETIME = 3600


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


class Granting:
    """Signs in whoever approves on the consent page."""

    def __init__(self, issuer, issued):
        self.issuer = issuer
        self.issued = issued
        # iss in redirects: the issuer exactly as the metadata spells it.
        self.iss = str(AnyHttpUrl(issuer))
        self.clients = {}
        self.pending = {}
        self.codes = {}
        self.tokens = {}

    async def get_client(self, client_id):
        return self.clients.get(client_id)

    async def register_client(self, client_info):
        self.clients[client_info.client_id] = client_info

    async def authorize(self, client, params):
        request = secrets.token_urlsafe(16)
        self.pending[request] = (client.client_id, params)
        return f"{self.issuer}/consent?request={request}"

    async def load_authorization_code(self, client, code):
        return self.codes.get(code)

    async def exchange_authorization_code(self, client, code):
        del self.codes[code.code]
        token = secrets.token_urlsafe(32)
        if self.issued:
            with open(self.issued, "a") as issued:
                print(token, file=issued)
        self.tokens[token] = AccessToken(
            token=token,
            client_id=client.client_id,
            scopes=code.scopes,
            expires_at=int(time.time()) + TOKEN_LIFETIME,
            resource=code.resource,
        )
        return OAuthToken(
            access_token=token,
            expires_in=TOKEN_LIFETIME,
            scope=" ".join(code.scopes),
        )

    async def load_refresh_token(self, client, token):
        return None

    async def load_access_token(self, token):
        return self.tokens.get(token)

    async def consent_page(self, request):
        key = request.query_params.get("request", "")
        if key not in self.pending:
            return HTMLResponse("<p>No such request.</p>", status_code=400)
        client_id, params = self.pending[key]
        scopes = " ".join(params.scopes or []) or "(none)"
        return HTMLResponse(
            f"""<!doctype html><title>Sign in</title>
<p>{html.escape(client_id)} asks for {html.escape(scopes)} on {html.escape(params.resource or "")}.</p>
<form method="post" action="/consent">
<input type="hidden" name="request" value="{html.escape(key)}">
<button name="answer" value="approve" id="approve">Approve</button>
<button name="answer" value="deny" id="deny">Deny</button>
</form>"""
        )

    async def consent(self, request):
        form = await request.form()
        pending = self.pending.pop(str(form.get("request", "")), None)
        if pending is None:
            return HTMLResponse("<p>No such request.</p>", status_code=400)
        client_id, params = pending
        if form.get("answer") != "approve":
            target = construct_redirect_uri(
                str(params.redirect_uri), error="access_denied", state=params.state, iss=self.iss
            )
            return RedirectResponse(target, status_code=302)
        code = secrets.token_urlsafe(32)
        self.codes[code] = AuthorizationCode(
            code=code,
            scopes=params.scopes or [],
            expires_at=time.time() + 300,
            client_id=client_id,
            code_challenge=params.code_challenge,
            redirect_uri=params.redirect_uri,
            redirect_uri_provided_explicitly=params.redirect_uri_provided_explicitly,
            resource=params.resource,
        )
        target = construct_redirect_uri(
            str(params.redirect_uri), code=code, state=params.state, iss=self.iss
        )
        return RedirectResponse(target, status_code=302)

    async def introspect(self, request):
        form = await request.form()
        token = self.tokens.get(str(form.get("token", "")))
        if token is None or token.expires_at < time.time():
            return JSONResponse({"active": False})
        return JSONResponse(
            {
                "active": True,
                "client_id": token.client_id,
                "scope": " ".join(token.scopes),
                "exp": token.expires_at,
                "aud": token.resource,
            }
        )


class Announcing(uvicorn.Server):
    async def startup(self, sockets=None):
        await super().startup(sockets)
        print(f"listening on {sockets[0].getsockname()[1]}", flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--grant", action="store_true")
    # Every token issued, one a line: the tests look for them where they must not be.
    parser.add_argument("--issued", metavar="FILE")
    # For a confidential client: the SDK offers client_secret_post and
    # client_secret_basic; a server that takes only the first is common.
    parser.add_argument("--post-only", action="store_true")
    args = parser.parse_args()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    issuer = f"http://127.0.0.1:{sock.getsockname()[1]}"
    provider = Granting(issuer, args.issued) if args.grant else Refusing()
    registration = ClientRegistrationOptions(
        enabled=True, valid_scopes=SCOPES if args.grant else None
    )
    routes = create_auth_routes(
        provider,
        issuer_url=AnyHttpUrl(issuer),
        client_registration_options=registration,
    )
    if args.post_only:
        metadata = build_metadata(
            AnyHttpUrl(issuer), None, registration, RevocationOptions()
        )
        metadata.token_endpoint_auth_methods_supported = ["client_secret_post"]
        # Starlette takes the first route that matches: this one.
        routes.insert(
            0,
            Route(
                "/.well-known/oauth-authorization-server",
                MetadataHandler(metadata).handle,
                methods=["GET"],
            ),
        )
    if args.grant:
        routes += [
            Route("/consent", provider.consent_page, methods=["GET"]),
            Route("/consent", provider.consent, methods=["POST"]),
            Route("/introspect", provider.introspect, methods=["POST"]),
        ]
    config = uvicorn.Config(Starlette(routes=routes), log_level="warning")
    Announcing(config).run(sockets=[sock])


if __name__ == "__main__":
    main()
