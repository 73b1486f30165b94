// The login agent in a tab the background opened for a launch: tells the background which login
// steps the page shows (again whenever the page changes: a MutationObserver waits for the next
// step) and carries out the fill and submit actions it gets back. The background decides; every
// action re-checks the live URL against the account's origin here, at the moment it runs.

import { perform, readPage } from "../lib/page.js";
import { domView } from "../lib/visibility.js";

const SETTLE_MS = 250; // let a burst of DOM changes finish before reading the page
const HEARTBEAT_MS = 1000; // report even on a still page: the background's clock needs it
// A page loaded this long ago that shows no login step is "settled": on the first step of a
// launch that means "not a login page". Long enough for a script-built form to appear.
const SETTLED_AFTER_MS = 2000;
const startedAt = Date.now();

// Closed shadow roots: the content script may open them (Chromium: chrome.dom; Firefox: the
// element's openOrClosedShadowRoot, seen through the content script's Xray wrapper).
// (Looked up by name: Firefox has no `dom` namespace, and the Firefox linter flags the literal.)
const lender = globalThis.chrome ? globalThis.chrome["dom"] : undefined;
const shadowRoot = (el) => {
  if (lender && typeof lender.openOrClosedShadowRoot === "function") {
    return lender.openOrClosedShadowRoot(el);
  }
  return el.openOrClosedShadowRoot || null;
};
const options = { shadowRoot };

const view = domView(window);
let expected = null;
let stopped = false;
let busy = false;
let settleTimer = null;
let heartbeat = null;
let observer = null;

function stop() {
  stopped = true;
  clearTimeout(settleTimer);
  clearInterval(heartbeat);
  if (observer) {
    observer.disconnect();
  }
}

async function run(answer) {
  if (!answer || !answer.active) {
    stop();
    return;
  }
  for (const action of answer.actions || []) {
    const result = perform(action, document, view, expected, options);
    if (!result.ok) {
      stop();
      await chrome.runtime.sendMessage({ command: "agent.failed", reason: result.reason }).catch(() => {});
      return;
    }
  }
}

async function report() {
  if (stopped || busy) {
    return;
  }
  busy = true;
  try {
    const settled = document.readyState === "complete" && Date.now() - startedAt >= SETTLED_AFTER_MS;
    const page = { ...readPage(document, view, expected, options), settled };
    await run(await chrome.runtime.sendMessage({ command: "agent.page", page }));
  } catch {
    stop(); // the extension went away (updated, disabled)
  } finally {
    busy = false;
  }
}

function soon() {
  clearTimeout(settleTimer);
  settleTimer = setTimeout(report, SETTLE_MS);
}

chrome.runtime.onMessage.addListener((message, sender) => {
  // Only the background (no tab) of this extension pushes actions, e.g. a code that arrived.
  if (sender.id !== chrome.runtime.id || sender.tab || !message || message.command !== "agent.run") {
    return;
  }
  // Not before this document's agent knows its origin (a code answer may reach a new page first).
  if (!stopped && expected !== null && Array.isArray(message.actions)) {
    run({ active: true, actions: message.actions });
  }
});

(async () => {
  const hello = await chrome.runtime.sendMessage({ command: "agent.hello" }).catch(() => null);
  if (!hello || !hello.active || hello.origin !== location.origin || window.top !== window) {
    stop();
    return;
  }
  expected = hello.origin;
  observer = new MutationObserver(soon);
  observer.observe(document, { subtree: true, childList: true, attributes: true });
  heartbeat = setInterval(report, HEARTBEAT_MS);
  soon();
})();
