// portdoctor's live checker for documentation pages. Two lines for a docs author:
//
//   <script type="module" src="/portdoctor/embed.js"></script>
//   <port-check target="localhost:8080" expect="http" label="Dev server"></port-check>
//
// Copy this folder (embed.js, embed.css, wasm_probe.js, wasm_probe_bg.wasm)
// to the docs site; the reader's own portdoctor must allow the site's origin
// (portdoctor --allow-origin https://docs.example.com).
import init, { embed } from "./wasm_probe.js";

const style = document.createElement("link");
style.rel = "stylesheet";
style.href = new URL("./embed.css", import.meta.url).href;
document.head.append(style);

const ready = init();

class PortCheck extends HTMLElement {
  async connectedCallback() {
    if (this.started) return;
    this.started = true;
    await ready;
    const attr = (name) => this.getAttribute(name) ?? undefined;
    embed(this, {
      target: attr("target"),
      expect: attr("expect"),
      label: attr("label"),
      port: attr("port"),
    });
  }
}

customElements.define("port-check", PortCheck);
