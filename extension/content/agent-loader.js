// Injected by the background into the top frame of a login tab only. Content scripts cannot be
// modules, so this loads the agent (and lib/) as one; once per document.
(() => {
  if (globalThis.latchkeyAgentLoaded) {
    return;
  }
  globalThis.latchkeyAgentLoaded = true;
  // The agent's hello (is this tab's login on this document's origin?) goes out now, while its
  // modules load, rather than after; the agent takes the answer from here.
  globalThis.latchkeyAgentHello = chrome.runtime.sendMessage({ command: "agent.hello" }).catch(() => null);
  // The agent's whole module graph, asked for at once: imported one level at a time (agent, then
  // page.js, then fields.js, …) it costs a round trip per level before the agent can start.
  // tests/manifest.test.js checks that this list is exactly what content/agent.js imports.
  const GRAPH = [
    "lib/page.js", "lib/settle.js", "lib/visibility.js", "lib/fill.js", "lib/fields.js",
    "lib/origin.js", "lib/code.js", "lib/dom.js", "lib/intent.js", "lib/submit.js",
  ];
  for (const path of GRAPH) {
    import(chrome.runtime.getURL(path)).catch(() => {}); // the agent's own import reports errors
  }
  import(chrome.runtime.getURL("content/agent.js")).catch((error) => {
    console.error("Latchkey: the login agent did not load", error);
  });
})();
