// The multi-step login as a pure state machine.
//
// The background holds one flow per launch tab and persists it (JSON) in chrome.storage.session,
// so a restarted service worker resumes where it was. Each event returns the next state and the
// actions to carry out; nothing here touches the browser. Transitions are driven by what the
// page shows now (`{origin, username, password, code, error}` from the content script):
//
//   awaiting_username ──(username only: fill, submit)──────────────▶ awaiting_password
//   awaiting_username ──(username + password: fill both, submit)───▶ submitted
//   awaiting_password ──(password: fill, submit)────────────────────▶ submitted
//   any live phase   ──(code step: ask the broker for a code)──────▶ awaiting_code
//   awaiting_code    ──(code arrives: fill, submit)────────────────▶ submitted
//   submitted        ──(no login fields any more)──────────────────▶ done
//   a step already sent shown again with an error ─────────────────▶ failed (rejected)
//   another origin, tab closed, no code to be had, aborted ────────▶ failed
//   no progress within the step limit, or the whole limit ─────────▶ timed_out
//
// Every end (done, failed, timed_out) drops the secrets from the state.

export const PHASES = Object.freeze({
  AWAITING_USERNAME: "awaiting_username",
  AWAITING_PASSWORD: "awaiting_password",
  AWAITING_CODE: "awaiting_code",
  SUBMITTED: "submitted",
  DONE: "done",
  FAILED: "failed",
  TIMED_OUT: "timed_out",
});

const TERMINAL = new Set([PHASES.DONE, PHASES.FAILED, PHASES.TIMED_OUT]);

export const DEFAULT_LIMITS = Object.freeze({
  stepMs: 20_000, // one page to show its next step (a slow server round trip included)
  totalMs: 120_000, // the whole login, code step included
  codeAttempts: 2, // a code may straddle a 30 s boundary: one fresh retry, never a loop
});

/**
 * A new flow for one launch.
 * @param {{tabId: number, origin: string, username: string, password: string,
 *          hasCode?: boolean, ticket?: string, launchId?: string}} launch
 * `ticket` is what the broker wants back for a code; a secret like the others.
 */
export function start(launch, now, limits = DEFAULT_LIMITS) {
  return {
    phase: PHASES.AWAITING_USERNAME,
    tabId: launch.tabId,
    origin: launch.origin,
    launchId: launch.launchId || null,
    hasCode: Boolean(launch.hasCode),
    secrets: { username: launch.username, password: launch.password, ticket: launch.ticket || null },
    sent: { username: false, password: false, code: 0 },
    startedAt: now,
    stepDeadline: now + limits.stepMs,
    deadline: now + limits.totalMs,
    limits: { ...limits },
    outcome: null,
  };
}

export function isTerminal(state) {
  return TERMINAL.has(state.phase);
}

function end(state, phase, reason) {
  return {
    state: { ...state, phase, secrets: null, outcome: reason, stepDeadline: null },
    actions: [{ type: "wipe" }],
  };
}

function advance(state, phase, now, changes = {}) {
  return { ...state, ...changes, phase, stepDeadline: now + state.limits.stepMs };
}

const wait = (state) => ({ state, actions: [] });

/** Time passing: the step or the whole login may run out. */
export function tick(state, now) {
  if (isTerminal(state)) {
    return wait(state);
  }
  if (now >= state.deadline) {
    return end(state, PHASES.TIMED_OUT, "login_timeout");
  }
  if (state.stepDeadline !== null && now >= state.stepDeadline) {
    return end(state, PHASES.TIMED_OUT, `${state.phase}_timeout`);
  }
  return wait(state);
}

/**
 * What the page shows now.
 * @param {{origin: string, username: boolean, password: boolean, code: boolean, error?: boolean}} page
 */
export function observe(state, page, now) {
  const timed = tick(state, now);
  if (timed.state !== state || isTerminal(state)) {
    return timed;
  }
  if (page.origin !== state.origin) {
    return end(state, PHASES.FAILED, "left_origin");
  }
  const { sent } = state;
  if (page.code) {
    if (!state.hasCode) {
      return end(state, PHASES.FAILED, "code_not_available");
    }
    if (state.phase === PHASES.AWAITING_CODE) {
      return wait(state); // already asked the broker
    }
    if (sent.code >= state.limits.codeAttempts) {
      return end(state, PHASES.FAILED, "code_rejected");
    }
    return { state: advance(state, PHASES.AWAITING_CODE, now), actions: [{ type: "fetch_code" }] };
  }
  if (page.password) {
    if (sent.password) {
      return page.error ? end(state, PHASES.FAILED, "rejected") : wait(state);
    }
    const actions = [];
    if (page.username && !sent.username) {
      actions.push({ type: "fill", field: "username", value: state.secrets.username });
    }
    actions.push({ type: "fill", field: "password", value: state.secrets.password });
    actions.push({ type: "submit", field: "password" });
    const next = advance(state, PHASES.SUBMITTED, now, {
      sent: { ...sent, username: sent.username || page.username, password: true },
    });
    return { state: next, actions };
  }
  if (page.username) {
    if (sent.username) {
      // Identifier-first in one page: the password appears a moment after Next. Wait for it,
      // unless the page says the username was refused.
      return page.error ? end(state, PHASES.FAILED, "rejected") : wait(state);
    }
    const actions = [
      { type: "fill", field: "username", value: state.secrets.username },
      { type: "submit", field: "username" },
    ];
    const next = advance(state, PHASES.AWAITING_PASSWORD, now, { sent: { ...sent, username: true } });
    return { state: next, actions };
  }
  // No login field on the page.
  if (sent.password && state.phase === PHASES.SUBMITTED) {
    return end(state, PHASES.DONE, "signed_in");
  }
  return wait(state); // a page still loading, or an interstitial: the step limit bounds it
}

/** The broker answered the code request. */
export function codeReceived(state, code, now) {
  const timed = tick(state, now);
  if (timed.state !== state || isTerminal(state)) {
    return timed;
  }
  if (state.phase !== PHASES.AWAITING_CODE) {
    return wait(state); // stale answer: the page moved on
  }
  const next = advance(state, PHASES.SUBMITTED, now, {
    sent: { ...state.sent, code: state.sent.code + 1 },
  });
  return {
    state: next,
    actions: [
      { type: "fill", field: "code", value: code },
      { type: "submit", field: "code" },
    ],
  };
}

/** The broker would not give a code (no access any more, no TOTP on the account, error). */
export function codeRefused(state, reason) {
  return isTerminal(state) ? wait(state) : end(state, PHASES.FAILED, reason || "code_refused");
}

/** The content script refused or failed an action (live origin changed, field gone, …). */
export function actionFailed(state, reason) {
  return isTerminal(state) ? wait(state) : end(state, PHASES.FAILED, reason || "fill_failed");
}

export function tabClosed(state) {
  return isTerminal(state) ? wait(state) : end(state, PHASES.FAILED, "tab_closed");
}

/** The tab navigated somewhere else than the account's origin. */
export function navigated(state, origin) {
  if (isTerminal(state) || origin === state.origin) {
    return wait(state);
  }
  return end(state, PHASES.FAILED, "left_origin");
}

export function abort(state, reason) {
  return isTerminal(state) ? wait(state) : end(state, PHASES.FAILED, reason || "aborted");
}
