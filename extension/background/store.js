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

// The launch record: one entry per launch, newest first, at most LAUNCH_HISTORY of them, never a
// secret (no username, password, code or ticket: names, origins, phases and outcomes only).
// `lastLaunch` mirrors the newest entry for readers that want only that one (the popup).
const LAUNCH_HISTORY = 20;

/** The launch records, newest first (docs/extension.md, "The launch record"). */
export const loadLaunches = async () => (await read("launches")) || [];
export const loadLastLaunch = () => read("lastLaunch");

// One writer at a time: the record is read, changed and written back by several events.
let writing = Promise.resolve();

function rewrite(change) {
  writing = writing.catch(() => {}).then(async () => {
    const launches = change(await loadLaunches()).slice(0, LAUNCH_HISTORY);
    await area().set({ launches, lastLaunch: launches[0] || null });
  });
  return writing;
}

/** Add a launch at the head of the record. */
export function recordLaunch(record) {
  return rewrite((launches) => [record, ...launches.filter((l) => l.launchId !== record.launchId)]);
}

/** Change the launch `launchId` (if still in the record). */
export function updateLaunch(launchId, changes) {
  return rewrite((launches) => launches.map((l) => (l.launchId === launchId ? { ...l, ...changes } : l)));
}

/** Sign-out forgets them: the next person at this browser does not see the previous one's launches. */
export function dropLaunches() {
  return rewrite(() => []);
}
