"""A protected MCP endpoint and its authorization server in one small
process, published the ways real deployments get wrong, for portdoctor's
authorization tests (the well-behaved case is the official SDK's:
demo_server.py --auth-issuer with sdk_auth_server.py).

    auth_variants.py [--prm header|path|root|custom|mismatch|none]
                     [--as rfc8414|openid|path|path-openid|no-pkce|
                           no-registration|cimd|issuer-mismatch|missing|legacy]

POST /mcp answers 401 with a JSON-RPC error and WWW-Authenticate: Bearer
(with resource_metadata for --prm header and custom). Protected Resource
Metadata is served at the path-based well-known URL (header, path,
mismatch), the root one (root), /meta/resource.json (custom), or nowhere
(none). Its resource is this server's /mcp (mismatch: /api), its
authorization server this origin (path, path-openid: this origin + /t1).
Authorization server metadata is served where --as says; `legacy` is a
2025-03-26 server: no resource metadata, server metadata at the origin.
Listens on 127.0.0.1 on a port the OS chooses; prints `listening on PORT`.
Standard library only.
"""

import argparse
import json
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--prm", default="header")
    parser.add_argument("--as", dest="asv", default="rfc8414")
    args = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    issuer = base + "/t1" if args.asv in ("path", "path-openid") else base
    prm_at = {
        "header": "/.well-known/oauth-protected-resource/mcp",
        "path": "/.well-known/oauth-protected-resource/mcp",
        "mismatch": "/.well-known/oauth-protected-resource/mcp",
        "root": "/.well-known/oauth-protected-resource",
        "custom": "/meta/resource.json",
        "none": None,
    }[args.prm]
    documents = {}
    if prm_at and args.asv != "legacy":
        documents[prm_at] = {
            "resource": base + ("/api" if args.prm == "mismatch" else "/mcp"),
            "authorization_servers": [issuer],
            "scopes_supported": ["files:read"],
        }
    as_at = {
        "openid": "/.well-known/openid-configuration",
        "path": "/.well-known/oauth-authorization-server/t1",
        "path-openid": "/t1/.well-known/openid-configuration",
        "missing": None,
    }.get(args.asv, "/.well-known/oauth-authorization-server")
    if as_at:
        metadata = {
            "issuer": issuer + ("/" if args.asv == "issuer-mismatch" else ""),
            "authorization_endpoint": issuer + "/authorize",
            "token_endpoint": issuer + "/token",
            "registration_endpoint": issuer + "/register",
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["none", "client_secret_post"],
        }
        if args.asv == "no-pkce":
            del metadata["code_challenge_methods_supported"]
        if args.asv in ("no-registration", "cimd"):
            del metadata["registration_endpoint"]
        if args.asv == "cimd":
            metadata["client_id_metadata_document_supported"] = True
        documents[as_at] = metadata
    challenge = "Bearer"
    if args.prm in ("header", "custom") and args.asv != "legacy":
        challenge += f' resource_metadata="{base}{prm_at}", scope="files:read files:write"'
    Handler.documents = documents
    Handler.challenge = challenge
    print(f"listening on {server.server_address[1]}", flush=True)
    server.serve_forever()


class Handler(BaseHTTPRequestHandler):
    documents = {}
    challenge = "Bearer"

    def do_GET(self):
        document = self.documents.get(self.path)
        if document is None:
            self.answer(404, {"error": "not_found"})
        else:
            self.answer(200, document)

    def do_POST(self):
        self.rfile.read(int(self.headers.get("content-length", 0)))
        if self.path != "/mcp":
            self.answer(404, {"error": "not_found"})
            return
        error = {"jsonrpc": "2.0", "id": None, "error": {"code": -32001, "message": "Unauthorized"}}
        self.answer(401, error, [("WWW-Authenticate", self.challenge)])

    def answer(self, status, body, headers=()):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


if __name__ == "__main__":
    main()
