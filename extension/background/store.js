// What the service worker remembers, all in chrome.storage.session: in memory, never on disk,
// gone when the browser closes, and (at the TRUSTED_CONTEXTS level) out of content scripts' reach.
// A service worker restarted mid-login finds its flows here.

const area = () => chrome.storage.session;
const flowKey = (tabId) => `flow:${tabId}`;

export async function restrictToExtension() {
  if (area().setAccessLevel) {
    await area().setAccessLevel({ accessLevel: "TRUSTED_CONTEXTS" });
  }
}

async function read(key) {
  const found = await area().get(key);
  return found[key] ?? null;
}

/** The flow record of a tab: `{flow, arrived, account}`, or null. */
export const loadFlow = (tabId) => read(flowKey(tabId));

export function saveFlow(tabId, record) {
  return area().set({ [flowKey(tabId)]: record });
}

export function dropFlow(tabId) {
  return area().remove(flowKey(tabId));
}

export async function allFlows() {
  const everything = await area().get(null);
  return Object.entries(everything)
    .filter(([key]) => key.startsWith("flow:"))
    .map(([key, record]) => [Number(key.slice(5)), record]);
}

/** The extension's broker credential: `{credential, member, expiresAt}`, or null. */
export const loadSession = () => read("session");
export const saveSession = (session) => area().set({ session });
export const dropSession = () => area().remove("session");

/** The last launch, without secrets: `{account, startedAt, phase, outcome, endedAt}`. */
export const loadLastLaunch = () => read("lastLaunch");
export const saveLastLaunch = (lastLaunch) => area().set({ lastLaunch });
/** Sign-out forgets it: the next person at this browser does not see the previous one's launch. */
export const dropLastLaunch = () => area().remove("lastLaunch");
