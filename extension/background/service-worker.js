// The background service worker: every listener is registered here, at top level, so that an
// event which wakes the worker finds its listener (MV3 workers stop when idle and restart).

import { launchMatchPatterns } from "../lib/broker-url.js";
import { dispatch } from "./handlers.js";
import { onTabRemoved, onTabUpdated, sweep } from "./flows.js";
import { keyPair } from "./keys.js";
import { brokerSettings, forgetManagedBrokerUrl } from "./settings.js";
import { restrictToExtension } from "./store.js";

const LAUNCH_SCRIPT_ID = "latchkey-launch";

let registering = Promise.resolve();

/** The launch-page content script runs on the configured broker's /launch/ pages only. */
function registerLaunchScript() {
  // One at a time: install, start-up and a settings change may ask at once.
  registering = registering.catch(() => {}).then(registerLaunchScriptNow);
  return registering;
}

async function registerLaunchScriptNow() {
  const { brokerUrl } = await brokerSettings();
  const registered = await chrome.scripting.getRegisteredContentScripts({ ids: [LAUNCH_SCRIPT_ID] });
  if (registered.length > 0) {
    await chrome.scripting.unregisterContentScripts({ ids: [LAUNCH_SCRIPT_ID] });
  }
  if (brokerUrl) {
    await chrome.scripting.registerContentScripts([
      {
        id: LAUNCH_SCRIPT_ID,
        matches: launchMatchPatterns(brokerUrl),
        js: ["content/launch.js"],
        runAt: "document_end", // the DOM parsed: the grant is there; no need to wait for idle
        allFrames: false,
      },
    ]);
  }
}

chrome.runtime.onMessage.addListener((message, sender, sendResponse) => {
  dispatch(message, sender).then(sendResponse, (error) => {
    console.error("Latchkey: a message handler failed", error);
    sendResponse({ refused: "internal_error" });
  });
  return true; // the answer comes asynchronously
});

chrome.tabs.onUpdated.addListener((tabId, changeInfo, tab) => {
  onTabUpdated(tabId, changeInfo, tab).catch((error) => console.error("Latchkey: tab update", error));
});

chrome.tabs.onRemoved.addListener((tabId) => {
  onTabRemoved(tabId).catch((error) => console.error("Latchkey: tab removed", error));
});

chrome.storage.onChanged.addListener((changes, areaName) => {
  if (areaName === "managed") {
    forgetManagedBrokerUrl();
  }
  if ((areaName === "local" || areaName === "managed") && changes.brokerUrl) {
    registerLaunchScript().catch((error) => console.error("Latchkey: launch script", error));
  }
});

chrome.runtime.onInstalled.addListener(() => {
  registerLaunchScript().catch((error) => console.error("Latchkey: launch script", error));
});

// Each time the worker starts: secrets stay out of content scripts' reach, and logins whose
// time ran out while it slept end now. The key pair is read (or, on a fresh install, made) now
// rather than on the launch that needs it: a proof is signed with it on every API call.
restrictToExtension().catch(() => {});
keyPair().catch(() => {});
sweep().catch((error) => console.error("Latchkey: sweep", error));
registerLaunchScript().catch((error) => console.error("Latchkey: launch script", error));
