// The broker URL, unless enterprise policy sets it (chrome.storage.managed), in which case it is
// shown and cannot be changed here.

import { normaliseBrokerUrl } from "../lib/broker-url.js";
import { managedBrokerUrl } from "../background/settings.js";

const input = document.getElementById("broker-url");
const status = document.getElementById("status");

async function load() {
  const fromPolicy = await managedBrokerUrl();
  if (fromPolicy) {
    input.value = fromPolicy;
    input.disabled = true;
    document.getElementById("save").disabled = true;
    document.getElementById("managed-note").hidden = false;
    return;
  }
  const { brokerUrl } = await chrome.storage.local.get("brokerUrl");
  input.value = brokerUrl || "";
}

document.getElementById("settings").addEventListener("submit", async (event) => {
  event.preventDefault();
  const brokerUrl = normaliseBrokerUrl(input.value);
  if (!brokerUrl) {
    status.textContent = "Use an https:// address (http:// only for 127.0.0.1 or localhost), without a query.";
    return;
  }
  await chrome.storage.local.set({ brokerUrl });
  input.value = brokerUrl;
  status.textContent = "Saved.";
});

load();
