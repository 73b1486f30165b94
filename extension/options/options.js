// The broker URL, unless enterprise policy sets it (chrome.storage.managed), in which case it is
// shown and cannot be changed here. Before saving, the broker must answer GET /healthz as a
// Latchkey broker: a typo or a server that is not Latchkey is said at the field, and not saved.

import { normaliseBrokerUrl } from "../lib/broker-url.js";
import { managedBrokerUrl } from "../background/settings.js";

const HEALTH_TIMEOUT_MS = 5000;

const input = document.getElementById("broker-url");
const fieldError = document.getElementById("broker-url-error");
const status = document.getElementById("status");
const save = document.getElementById("save");

function showFieldError(text) {
  fieldError.textContent = text; // text, never HTML
  fieldError.hidden = !text;
  if (text) {
    input.setAttribute("aria-invalid", "true");
    input.setAttribute("aria-describedby", "broker-url-help broker-url-error");
  } else {
    input.removeAttribute("aria-invalid");
    input.setAttribute("aria-describedby", "broker-url-help");
  }
}

/** Why `brokerUrl` is not a Latchkey broker that answers, or null when it is one. */
async function brokerProblem(brokerUrl) {
  let answer;
  try {
    answer = await fetch(`${brokerUrl}/healthz`, {
      cache: "no-store",
      credentials: "omit",
      redirect: "error",
      signal: AbortSignal.timeout(HEALTH_TIMEOUT_MS),
    });
  } catch {
    return `No answer from ${brokerUrl}: check the address, and that the broker is running.`;
  }
  let body;
  try {
    body = answer.ok ? await answer.json() : null;
  } catch {
    body = null;
  }
  if (!body || body.status !== "ok" || body.service !== "latchkey") {
    return `${brokerUrl} answered, but not as a Latchkey broker (HTTP ${answer.status}). Check the address.`;
  }
  return null;
}

async function load() {
  const fromPolicy = await managedBrokerUrl();
  if (fromPolicy) {
    input.value = fromPolicy;
    input.disabled = true;
    save.disabled = true;
    document.getElementById("managed-note").hidden = false;
    return;
  }
  const { brokerUrl } = await chrome.storage.local.get("brokerUrl");
  input.value = brokerUrl || "";
  if (!brokerUrl) {
    status.textContent = "Latchkey is not set up yet: enter your organisation's broker URL.";
  }
}

document.getElementById("settings").addEventListener("submit", async (event) => {
  event.preventDefault();
  status.textContent = "";
  const brokerUrl = normaliseBrokerUrl(input.value);
  if (!brokerUrl) {
    showFieldError("Use an https:// address (http:// only for 127.0.0.1 or localhost), without a query.");
    input.focus();
    return;
  }
  showFieldError("");
  save.disabled = true;
  status.textContent = `Checking ${brokerUrl}…`;
  const problem = await brokerProblem(brokerUrl);
  save.disabled = false;
  if (problem) {
    status.textContent = "";
    showFieldError(problem);
    input.focus();
    return;
  }
  await chrome.storage.local.set({ brokerUrl });
  input.value = brokerUrl;
  status.textContent = "Saved.";
});

load();
