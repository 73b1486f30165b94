// Where the broker is: enterprise policy (chrome.storage.managed, see managed_schema.json) wins
// over what the user typed on the options page (chrome.storage.local).

import { normaliseBrokerUrl } from "../lib/broker-url.js";

async function managedBrokerUrl() {
  try {
    const { brokerUrl } = await chrome.storage.managed.get("brokerUrl");
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
