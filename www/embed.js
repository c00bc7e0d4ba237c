// <port-check>: a live "is it up?" line for documentation pages.
//
//   <script type="module" src="/portdoctor/embed.js"></script>
//   <port-check target="localhost:8080" expect="http" label="The dev server"></port-check>
//
// Talks to the portdoctor helper on the reader's machine (ws://127.0.0.1:61900,
// or port="N"); the helper must allow this site: portdoctor --allow-origin ORIGIN.
// Loads the style sheet and the WebAssembly module from its own folder. Every
// element on a page shares one connection. No framework, no build step.

import init, { embed } from "./wasm_probe.js";

const here = (file) => new URL(file, import.meta.url).href;

if (!document.querySelector("link[data-portdoctor]")) {
  const css = document.createElement("link");
  css.rel = "stylesheet";
  css.href = here("style.css");
  css.dataset.portdoctor = "";
  document.head.append(css);
}

const ready = init({ module_or_path: here("wasm_probe_bg.wasm") });

class PortCheck extends HTMLElement {
  async connectedCallback() {
    try {
      await ready;
      if (!this.isConnected || this.mounted) return;
      const attr = (name) => this.getAttribute(name) ?? undefined;
      this.mounted = embed(this, {
        target: attr("target"),
        expect: attr("expect"),
        label: attr("label"),
        port: attr("port"),
      });
    } catch (error) {
      this.textContent = `portdoctor could not start here: ${error}`;
    }
  }

  disconnectedCallback() {
    this.mounted?.unmount();
    this.mounted = undefined;
  }
}

customElements.define("port-check", PortCheck);
