// The running logins, one per tab the extension opened for a launch. The pure machine
// (lib/flow.js) decides; this module persists its state, carries out the background's own
// actions (asking the broker for a code), hands fill and submit actions to the tab's agent, and
// turns browser events (navigation, tab closed, time) into machine events.

import * as flow from "../lib/flow.js";
import { BrokerError } from "./broker.js";
import { authorisedPost } from "./session.js";
import { allFlows, dropFlow, loadFlow, recordLaunch, saveFlow, updateLaunch } from "./store.js";

const AGENT_FILE = "content/agent-loader.js";
const timers = new Map();
const queues = new Map();

/** Run `work` for one tab at a time: agent reports, code answers and tab events interleave. */
function serialised(tabId, work) {
  const previous = queues.get(tabId) || Promise.resolve();
  const next = previous.catch(() => {}).then(work);
  queues.set(tabId, next);
  next.finally(() => {
    if (queues.get(tabId) === next) {
      queues.delete(tabId);
    }
  });
  return next;
}

function contentActions(actions) {
  return actions.filter((a) => a.type === "fill" || a.type === "submit");
}

/** What the launch record keeps of a flow: never its secrets. */
function progress(state) {
  return { phase: state.phase, outcome: state.outcome, reason: state.reason, steps: state.steps };
}

async function finish(tabId, state) {
  clearTimeout(timers.get(tabId));
  timers.delete(tabId);
  await dropFlow(tabId);
  if (state.launchId) {
    await updateLaunch(state.launchId, { ...progress(state), endedAt: Date.now() });
  }
}

function schedule(tabId, state) {
  clearTimeout(timers.get(tabId));
  const due = Math.min(state.stepDeadline ?? Infinity, state.deadline);
  // Best effort while the worker lives; a restarted worker sweeps expired flows at start.
  timers.set(tabId, setTimeout(() => tick(tabId), Math.max(0, due - Date.now()) + 50));
}

/** Store the machine's answer and start what it asks of the background; return the rest. */
async function apply(tabId, record, result) {
  if (flow.isTerminal(result.state)) {
    await finish(tabId, result.state);
    return [];
  }
  const before = record.flow;
  const moved = before.phase !== result.state.phase || before.steps.length !== result.state.steps.length;
  await Promise.all([
    saveFlow(tabId, { ...record, flow: result.state }),
    result.state.launchId && moved ? updateLaunch(result.state.launchId, progress(result.state)) : null,
  ]);
  schedule(tabId, result.state);
  if (result.actions.some((a) => a.type === "fetch_code")) {
    fetchCode(tabId); // answers arrive as their own event
  }
  return contentActions(result.actions);
}

async function tick(tabId) {
  await serialised(tabId, async () => {
    const record = await loadFlow(tabId);
    if (record) {
      await apply(tabId, record, flow.tick(record.flow, Date.now()));
    }
  });
}

/** A redeemed launch: start the login in `tabId`; answers the launch id. */
export async function startFlow(tabId, release, brokerOrigin, launchId = crypto.randomUUID()) {
  await serialised(tabId, async () => {
    const previous = await loadFlow(tabId);
    if (previous) {
      await finish(tabId, flow.abort(previous.flow, "superseded").state);
    }
    const state = flow.start(
      {
        tabId,
        origin: release.account.origin,
        username: release.username,
        password: release.password,
        hasCode: release.has_code_step,
        ticket: release.ticket,
        launchId,
      },
      Date.now(),
    );
    const saved = saveFlow(tabId, { flow: state, arrived: false, brokerOrigin });
    const recorded = recordLaunch({
      launchId,
      tabId,
      account: release.account.name,
      app: release.account.app_name,
      origin: release.account.origin,
      startedAt: state.startedAt,
      endedAt: null,
      ...progress(state),
    });
    await Promise.all([saved, recorded]);
    schedule(tabId, state);
  });
  return launchId;
}

/** The origin the agent in `tabId` may work on, or null when the tab runs no login. */
export async function expectedOrigin(tabId) {
  const record = await loadFlow(tabId);
  return record && !flow.isTerminal(record.flow) ? record.flow.origin : null;
}

/** The agent's report of what the page shows; answers with what to do now. */
export function onAgentPage(tabId, senderOrigin, page) {
  return serialised(tabId, async () => {
    const record = await loadFlow(tabId);
    if (!record) {
      return { active: false, actions: [] };
    }
    // The browser's word on the frame's origin counts, whatever the page reported.
    const seen = { ...page, origin: senderOrigin === page.origin ? page.origin : senderOrigin };
    const result = flow.observe(record.flow, seen, Date.now());
    const actions = await apply(tabId, record, result);
    return { active: !flow.isTerminal(result.state), actions };
  });
}

/** The agent could not carry out an action: end the login. */
export function onAgentFailure(tabId, reason) {
  return serialised(tabId, async () => {
    const record = await loadFlow(tabId);
    if (record) {
      await apply(tabId, record, flow.actionFailed(record.flow, reason));
    }
  });
}

async function fetchCode(tabId) {
  const record = await loadFlow(tabId);
  if (!record || !record.flow.secrets) {
    return;
  }
  let event;
  try {
    const answer = await authorisedPost("/code", { ticket: record.flow.secrets.ticket });
    event = (state) => flow.codeReceived(state, String(answer.code), Date.now());
  } catch (error) {
    const reason = error instanceof BrokerError ? error.reason || error.code : "code_error";
    event = (state) => flow.codeRefused(state, reason);
  }
  const actions = await serialised(tabId, async () => {
    const current = await loadFlow(tabId);
    return current ? apply(tabId, current, event(current.flow)) : [];
  });
  if (actions.length > 0) {
    await chrome.tabs.sendMessage(tabId, { command: "agent.run", actions }, { frameId: 0 }).catch(
      () => onAgentFailure(tabId, "agent_unreachable"),
    );
  }
}

function originOf(url) {
  try {
    return new URL(url).origin;
  } catch {
    return "null";
  }
}

/** Navigation in a login tab: leave the origin and the login ends; load there and the agent goes in. */
export function onTabUpdated(tabId, changeInfo, tab) {
  return serialised(tabId, async () => {
    const record = await loadFlow(tabId);
    if (!record || !tab.url) {
      return;
    }
    if (tab.url === "about:blank") {
      return; // between documents (Firefox shows it while a navigation switches processes)
    }
    const origin = originOf(tab.url);
    if (origin !== record.flow.origin) {
      if (!record.arrived && origin === record.brokerOrigin) {
        return; // still on the launch page, before the login URL loads
      }
      await apply(tabId, record, flow.navigated(record.flow, origin));
      return;
    }
    if (changeInfo.status === "loading" || changeInfo.status === "complete") {
      // The top frame only: the agent reaches same-origin frames from there, never others. In as
      // soon as the navigation starts loading (the agent then waits for the document to be
      // parsed), so it starts with the page rather than after every image and script of it has
      // loaded; again at "complete", in case the first landed in the document being left (the
      // loader runs once per document, and an agent in another origin's document stops at hello).
      // Not awaited: the tab's next events need not wait for the injection.
      chrome.scripting
        .executeScript({
          target: { tabId, frameIds: [0] },
          files: [AGENT_FILE],
          injectImmediately: changeInfo.status === "loading",
        })
        .catch(() => {});
    }
    if (!record.arrived) {
      await saveFlow(tabId, { ...record, arrived: true });
    }
  });
}

export function onTabRemoved(tabId) {
  return serialised(tabId, async () => {
    const record = await loadFlow(tabId);
    if (record) {
      await apply(tabId, record, flow.tabClosed(record.flow));
    }
  });
}

/** End every login (sign-out). */
export async function abortAll(reason) {
  for (const [tabId, record] of await allFlows()) {
    await serialised(tabId, () => apply(tabId, record, flow.abort(record.flow, reason)));
  }
}

/** At worker start: flows whose time ran out while the worker slept end now; others resume. */
export async function sweep() {
  for (const [tabId, record] of await allFlows()) {
    const result = flow.tick(record.flow, Date.now());
    await serialised(tabId, () => apply(tabId, record, result));
  }
}
