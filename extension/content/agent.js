// The login agent in a tab the background opened for a launch: tells the background which login
// steps the page shows (at once, then again whenever the page changes: lib/settle.js says when a
// burst of DOM changes is worth a new read) and carries out the fill and submit actions it gets
// back. The background decides; every action re-checks the live URL against the account's origin
// here, at the moment it runs.

import { perform, readPage } from "../lib/page.js";
import { watchChanges } from "../lib/settle.js";
import { domView } from "../lib/visibility.js";

const HEARTBEAT_MS = 1000; // report even on a still page: the background's clock needs it
// A page loaded this long ago that shows no login step is "settled": on the first step of a
// launch that means "not a login page". Long enough for a script-built form to appear. (A page
// whose DOM never stops changing is reported `restless` after lib/settle.js GIVE_UP_MS.)
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
let again = false; // the page changed while a report was on its way: report once more after it
let restless = false; // the DOM has not gone quiet since lib/settle.js gave up waiting for it
let lastSeen = null; // what the last report said the page shows
let heartbeat = null;
let watcher = null;

function stop() {
  stopped = true;
  clearInterval(heartbeat);
  if (watcher) {
    watcher.stop();
  }
}

const read = () => readPage(document, view, expected, options);

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
  if (stopped) {
    return;
  }
  if (busy) {
    again = true;
    return;
  }
  busy = true;
  try {
    const seen = read();
    lastSeen = JSON.stringify(seen);
    // Settled: loaded a while ago, and not in the middle of a burst of changes (a page that
    // never goes quiet counts as settled once lib/settle.js gave up on it: `restless`).
    const settled = document.readyState === "complete" && Date.now() - startedAt >= SETTLED_AFTER_MS &&
      !watcher.changing();
    const page = { ...seen, settled, restless };
    await run(await chrome.runtime.sendMessage({ command: "agent.page", page }));
  } catch {
    stop(); // the extension went away (updated, disabled)
  } finally {
    busy = false;
  }
  if (again && !stopped) {
    again = false;
    await report();
  }
}

/** The page shows something the last report did not (a field appeared, one went away). */
const changedSinceReport = () => JSON.stringify(read()) !== lastSeen;

function due(why) {
  restless = why === "restless";
  report();
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

/** Watch the parsed page and report it now, then whenever it changes. */
function begin() {
  if (stopped) {
    return;
  }
  watcher = watchChanges(document, {
    MutationObserver,
    setTimeout: (fn, ms) => setTimeout(fn, ms),
    clearTimeout: (id) => clearTimeout(id),
    now: () => performance.now(),
    ready: changedSinceReport,
    onDue: due,
  });
  heartbeat = setInterval(() => busy || report(), HEARTBEAT_MS);
  report(); // the page as it is now: no waiting for a quiet moment that may never come
}

(async () => {
  // Asked by the loader while this module loaded (or now, when loaded some other way).
  const asked = globalThis.latchkeyAgentHello || chrome.runtime.sendMessage({ command: "agent.hello" });
  const hello = await asked.catch(() => null);
  if (!hello || !hello.active || hello.origin !== location.origin || window.top !== window) {
    stop();
    return;
  }
  if (document.readyState === "loading") {
    // Injected as the navigation started loading: nothing is read or done before the document is
    // parsed (a form read before its submit button is parsed would fail), but no later either:
    // not when every image and script of the page has loaded.
    document.addEventListener("DOMContentLoaded", () => {
      expected = hello.origin;
      begin();
    }, { once: true });
  } else {
    expected = hello.origin;
    begin();
  }
})();
