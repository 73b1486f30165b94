// A launch: the grant from the broker's launch page (docs/launch-contract.md) is redeemed
// (POST /grants/redeem, where the broker checks RBAC again and decides), then the login opens
// in the very tab of the launch page. With no access, the broker's reason is shown there and
// nothing is filled.

import { fillableOrigin } from "../lib/origin.js";
import { BrokerError } from "./broker.js";
import { startFlow } from "./flows.js";
import { authorisedPost } from "./session.js";
import { recordLaunch } from "./store.js";

const MESSAGES = {
  login_required: "Sign in to Latchkey in this browser, then launch the account again.",
  not_configured: "The Latchkey extension has no broker URL yet: set it in the extension's options.",
  network_error: "The Latchkey broker cannot be reached. Try again in a moment.",
  bad_login_url: "This account's login address is not one the extension will fill.",
};

function refusal(error) {
  if (error instanceof BrokerError) {
    return {
      outcome: error.reason || error.code,
      message: MESSAGES[error.code] || error.description || "The Latchkey broker refused this launch.",
    };
  }
  return { outcome: "internal_error", message: "The Latchkey extension could not start this login." };
}

/**
 * @param {{grant: string, accountId?: string}} message
 * @param {number} tabId the launch page's tab (checked by the handler)
 * @param {string} brokerOrigin
 */
export async function launch(message, tabId, brokerOrigin) {
  let release;
  try {
    release = await authorisedPost("/grants/redeem", { grant: message.grant });
    const login = fillableOrigin(release.account.login_url);
    if (!login.ok || login.origin !== release.account.origin) {
      throw new BrokerError({ code: "bad_login_url" });
    }
  } catch (error) {
    const { outcome, message: text } = refusal(error);
    const now = Date.now();
    await recordLaunch({
      launchId: crypto.randomUUID(),
      tabId,
      account: null,
      app: null,
      origin: null,
      startedAt: now,
      endedAt: now,
      phase: "failed",
      outcome: "launch_refused",
      reason: outcome,
      steps: [],
    });
    return { ok: false, message: text };
  }
  // The flow is queued for the tab before the navigation starts (startFlow takes the tab's queue
  // at once), so the tab's events wait for it; its writes and the navigation go on together.
  const started = startFlow(tabId, release, brokerOrigin);
  await chrome.tabs.update(tabId, { url: release.account.login_url });
  const launchId = await started;
  return { ok: true, launchId, message: `Opening ${release.account.name}…` };
}
