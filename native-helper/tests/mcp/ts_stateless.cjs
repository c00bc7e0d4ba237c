// A stateless Streamable HTTP server on the official MCP TypeScript SDK
// (@modelcontextprotocol/sdk, installed with the npm servers by .ci/run;
// run with NODE_PATH pointing at that node_modules), as the SDK's docs
// write one: a new server and transport per request, no session. Started
// like the npm servers (tests/mcp/announce.mjs prints the port).
// The tests assert the name, version and tool names below.
const http = require("node:http");
const { McpServer } = require("@modelcontextprotocol/sdk/server/mcp.js");
const { StreamableHTTPServerTransport } = require("@modelcontextprotocol/sdk/server/streamableHttp.js");

function build() {
  const server = new McpServer({ name: "portdoctor-ts-stateless", version: "0.9.1" });
  server.registerTool("ping", { description: "Answer pong." }, async () => ({
    content: [{ type: "text", text: "pong" }],
  }));
  return server;
}

http
  .createServer(async (req, res) => {
    if (req.url !== "/mcp") {
      res.writeHead(404).end("Not Found");
      return;
    }
    const server = build();
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    res.on("close", () => {
      transport.close();
      server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(req, res);
  })
  .listen(0);
