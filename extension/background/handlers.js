// Every message the extension accepts, `{command, …}`, in one map. Each entry says who may send
// it and what the payload must look like; both are checked before the handler runs, and
// anything else is refused. Web pages cannot send runtime messages at all (no
// externally_connectable); content scripts can, so their frame and origin are checked here.

import { isLaunchPage } from "../lib/broker-url.js";
import { BrokerError } from "./broker.js";
import { abortAll, expectedOrigin, onAgentFailure, onAgentPage } from "./flows.js";
import { launch } from "./launch.js";
import { currentSession, register, signInUrl, signOut } from "./session.js";
import { brokerSettings } from "./settings.js";
import { dropLaunches, loadLastLaunch, loadLaunches } from "./store.js";

const isText = (value, max) => typeof value === "string" && value.length > 0 && value.length <= max;
const isFlag = (value) => typeof value === "boolean";
// What the agent says of a page (lib/page.js readPage, plus `settled` and `restless` from the
// agent itself).
const PAGE_FLAGS = [
  "username", "identifier", "password", "code", "usernameFilled", "codeFilled", "error", "settled",
  "restless",
];

function senderOrigin(sender) {
  if (typeof sender.origin === "string") {
    return sender.origin; // Chromium: the frame's origin, as the browser knows it
  }
  try {
    return new URL(sender.url).origin;
  } catch {
    return "null";
  }
}

// Our own pages (popup, options) have our extension's URL; content scripts have the page's.
const fromOwnPage = (sender) =>
  typeof sender.url === "string" && sender.url.startsWith(chrome.runtime.getURL(""));

const SENDERS = {
  /** An extension page of ours (popup, options; in a tab or not), never a content script. */
  async extensionPage(sender) {
    return sender.id === chrome.runtime.id && fromOwnPage(sender);
  },
  /** The top frame of a broker launch page. */
  async launchPage(sender) {
    const { brokerUrl } = await brokerSettings();
    return sender.id === chrome.runtime.id && Boolean(sender.tab) && sender.frameId === 0 &&
      !fromOwnPage(sender) && Boolean(brokerUrl) && isLaunchPage(sender.url, brokerUrl) &&
      senderOrigin(sender) === new URL(brokerUrl).origin;
  },
  /** The top frame of a tab running a login (the agent; its origin is checked by the flow). */
  async loginTab(sender) {
    const topFrameOfTab = Boolean(sender.tab) && sender.frameId === 0 && !fromOwnPage(sender);
    if (sender.id !== chrome.runtime.id || !topFrameOfTab) {
      return false;
    }
    return (await expectedOrigin(sender.tab.id)) !== null;
  },
};

const HANDLERS = {
  launch: {
    from: "launchPage",
    valid: (m) => isText(m.grant, 256) && (m.accountId === undefined || isText(m.accountId, 128)),
    async handle(m, sender) {
      const { brokerUrl } = await brokerSettings();
      return launch(m, sender.tab.id, new URL(brokerUrl).origin);
    },
  },
  "agent.hello": {
    from: "loginTab",
    valid: () => true,
    async handle(_m, sender) {
      const origin = await expectedOrigin(sender.tab.id);
      return { active: origin === senderOrigin(sender), origin };
    },
  },
  "agent.page": {
    from: "loginTab",
    valid: (m) =>
      m.page !== null && typeof m.page === "object" && isText(m.page.origin, 512) &&
      PAGE_FLAGS.every((k) => isFlag(m.page[k])),
    // Only the flags the flow reads go on, whatever else the message carries.
    handle: (m, sender) => onAgentPage(
      sender.tab.id,
      senderOrigin(sender),
      Object.fromEntries([["origin", m.page.origin], ...PAGE_FLAGS.map((k) => [k, m.page[k]])]),
    ),
  },
  "agent.failed": {
    from: "loginTab",
    valid: (m) => isText(m.reason, 64),
    async handle(m, sender) {
      await onAgentFailure(sender.tab.id, m.reason);
      return { ok: true };
    },
  },
  "popup.state": {
    from: "extensionPage",
    valid: () => true,
    async handle() {
      const session = await currentSession();
      const settings = await brokerSettings();
      return {
        ...settings,
        member: session ? session.member : null,
        lastLaunch: await loadLastLaunch(),
        launches: await loadLaunches(),
      };
    },
  },
  "session.signIn": {
    from: "extensionPage",
    valid: () => true,
    async handle() {
      try {
        const session = await register();
        return { ok: true, member: session.member };
      } catch (error) {
        if (error instanceof BrokerError && error.code === "login_required") {
          return { ok: false, signInUrl: await signInUrl() };
        }
        return { ok: false, message: error instanceof BrokerError ? error.description || error.code : "error" };
      }
    },
  },
  "session.signOut": {
    from: "extensionPage",
    valid: () => true,
    async handle() {
      await abortAll("signed_out");
      await signOut();
      await dropLaunches();
      return { ok: true };
    },
  },
};

/** Check the sender and the payload, then run the handler; a refusal answers `{refused}`. */
export async function dispatch(message, sender) {
  if (message === null || typeof message !== "object" || typeof message.command !== "string") {
    return { refused: "bad_message" };
  }
  const handler = Object.hasOwn(HANDLERS, message.command) ? HANDLERS[message.command] : null;
  if (!handler) {
    return { refused: "unknown_command" };
  }
  if (!(await SENDERS[handler.from](sender))) {
    return { refused: "sender_not_allowed" };
  }
  if (!handler.valid(message)) {
    return { refused: "bad_payload" };
  }
  return handler.handle(message, sender);
}
