// Injected by the background into the top frame of a login tab only. Content scripts cannot be
// modules, so this loads the agent (and lib/) as one; once per document.
(() => {
  if (globalThis.latchkeyAgentLoaded) {
    return;
  }
  globalThis.latchkeyAgentLoaded = true;
  import(chrome.runtime.getURL("content/agent.js")).catch((error) => {
    console.error("Latchkey: the login agent did not load", error);
  });
})();
