// Preloaded (`node --import`) into the npm MCP servers the tests run, so a
// test can start them on a port the OS chooses: every listen() on a bare
// port binds 127.0.0.1 instead of all interfaces (traffic stays on
// loopback), and once listening the server prints `listening on PORT` on
// stdout, which the test reads instead of sleeping. Nothing else changes:
// the server's own code answers every request.
import net from "node:net";

const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  const port = args[0];
  const bare = typeof port === "number" || (typeof port === "string" && /^\d+$/.test(port));
  if (bare && typeof args[1] !== "string") {
    args.splice(1, 0, "127.0.0.1");
  }
  this.once("listening", () => console.log(`listening on ${this.address().port}`));
  return listen.apply(this, args);
};
