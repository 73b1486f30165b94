// The login agent in a tab the background opened for a launch: tells the background which login
// steps the page shows (again whenever the page changes: a MutationObserver waits for the next
// step) and carries out the fill and submit actions it gets back. The background decides; every
// action re-checks the live URL against the account's origin here, at the moment it runs.

import { domView } from "../lib/fields.js";
import { perform, readPage } from "../lib/page.js";

const SETTLE_MS = 250; // let a burst of DOM changes finish before reading the page
const HEARTBEAT_MS = 1000; // report even on a still page: the background's clock needs it

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
    const result = perform(action, document, view, expected);
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
    const page = readPage(document, view, expected);
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
  if (!stopped && Array.isArray(message.actions)) {
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
