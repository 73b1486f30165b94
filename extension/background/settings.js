// Where the broker is: enterprise policy (chrome.storage.managed, see managed_schema.json) wins
// over what the user typed on the options page (chrome.storage.local).

import { normaliseBrokerUrl } from "../lib/broker-url.js";

// Chromium's managed storage sometimes never answers when no policy is loaded (seen in headless
// runs): an unanswered read counts as "no policy", and a policy that arrives later is picked up
// through storage.onChanged.
const MANAGED_READ_MS = 500;

// Read once per worker life (every API call asks for the broker URL; an unanswered read costs
// MANAGED_READ_MS each time), and again after storage.onChanged reports a policy change.
let managedRead = null;

/** The policy's broker URL, or null (no policy, no answer in time, or not a usable URL). */
export function managedBrokerUrl() {
  if (managedRead === null) {
    managedRead = readManagedBrokerUrl();
  }
  return managedRead;
}

/** The policy changed (storage.onChanged, area "managed"): read it again next time. */
export function forgetManagedBrokerUrl() {
  managedRead = null;
}

async function readManagedBrokerUrl() {
  const timeout = new Promise((resolve) => setTimeout(() => resolve({}), MANAGED_READ_MS));
  try {
    const { brokerUrl } = await Promise.race([chrome.storage.managed.get("brokerUrl"), timeout]);
    return normaliseBrokerUrl(brokerUrl);
  } catch {
    return null; // no policy store on this platform
  }
}

/** `{brokerUrl, managed}`; brokerUrl is null until configured. */
export async function brokerSettings() {
  const managed = await managedBrokerUrl();
  if (managed) {
    return { brokerUrl: managed, managed: true };
  }
  const { brokerUrl } = await chrome.storage.local.get("brokerUrl");
  return { brokerUrl: normaliseBrokerUrl(brokerUrl), managed: false };
}
