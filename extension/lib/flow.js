// The multi-step login as a pure state machine.
//
// The background holds one flow per launch tab and persists it (JSON) in chrome.storage.session,
// so a restarted service worker resumes where it was. Each event returns the next state and the
// actions to carry out; nothing here touches the browser. Transitions are driven by what the
// page shows now (`{origin, username, identifier, password, code, usernameFilled, codeFilled,
// error, settled, restless}` from the content script):
//
//   awaiting_username ──(username only: fill, submit)──────────────▶ awaiting_password
//   awaiting_username ──(username + password: fill both, submit)───▶ submitted
//   awaiting_password ──(a new, empty identifier step: fill, submit)▶ awaiting_password
//   awaiting_password ──(password: fill, submit)────────────────────▶ submitted
//   any live phase   ──(code step: ask the broker for a code)──────▶ awaiting_code
//   awaiting_code    ──(code arrives: fill, submit)────────────────▶ submitted
//   submitted        ──(no login step any more, no error)──────────▶ done (signed_in)
//   awaiting_username ──(settled page, nothing to fill)────────────▶ failed (not_a_login_page;
//                        reason never_quiet when its DOM never stopped changing)
//   a step already sent shown again with an error ─────────────────▶ failed (rejected)
//   another origin, tab closed, no code to be had, aborted ────────▶ failed
//   no progress within the step limit, or the whole limit ─────────▶ timed_out
//
// The state's `outcome` is one word of OUTCOMES (what QA and the popup read); `reason` says
// more where there is more (the step that ran out, the broker's refusal). `steps` lists what
// happened, without values. Every end drops the secrets from the state.

export const PHASES = Object.freeze({
  AWAITING_USERNAME: "awaiting_username",
  AWAITING_PASSWORD: "awaiting_password",
  AWAITING_CODE: "awaiting_code",
  SUBMITTED: "submitted",
  DONE: "done",
  FAILED: "failed",
  TIMED_OUT: "timed_out",
});

/** How a login ended (docs/extension.md, "The launch record"). */
export const OUTCOMES = Object.freeze({
  SIGNED_IN: "signed_in", // the last login step disappeared without an error
  NOT_A_LOGIN_PAGE: "not_a_login_page", // the page settled with nothing that is a login step
  // (reason never_quiet: its DOM never stopped changing, and still no login step after 2 s)
  REJECTED: "rejected", // the site showed the username or password step again, with an error
  CODE_REJECTED: "code_rejected", // the site refused the codes sent (a fresh one included)
  CODE_NOT_AVAILABLE: "code_not_available", // a code step, but the account has no code
  CODE_REFUSED: "code_refused", // the broker would not give a code (reason: its word)
  TIMED_OUT: "timed_out", // a step or the whole login ran out of time (reason: which)
  LEFT_ORIGIN: "left_origin", // the tab went to another origin than the account's
  TAB_CLOSED: "tab_closed",
  FILL_REFUSED: "fill_refused", // the page agent would not or could not act (reason: why)
  ABORTED: "aborted", // signed out, or a new launch in the same tab (reason: which)
});

const TERMINAL = new Set([PHASES.DONE, PHASES.FAILED, PHASES.TIMED_OUT]);

export const DEFAULT_LIMITS = Object.freeze({
  stepMs: 20_000, // one page to show its next step (a slow server round trip included)
  totalMs: 120_000, // the whole login, code step included
  codeAttempts: 2, // a code may straddle a 30 s boundary: one fresh retry, never a loop
  identifierSteps: 3, // username, then e.g. email, before the password; never a loop
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
    sent: { username: false, identifiers: 0, password: false, code: 0 },
    steps: [],
    codePending: false, // a code was sent and the page has not answered yet
    startedAt: now,
    stepDeadline: now + limits.stepMs,
    deadline: now + limits.totalMs,
    limits: { ...DEFAULT_LIMITS, ...limits },
    outcome: null,
    reason: null,
  };
}

export function isTerminal(state) {
  return TERMINAL.has(state.phase);
}

function end(state, phase, outcome, reason = null, now = null) {
  const steps = now === null ? state.steps : [...state.steps, { step: outcome, at: now }];
  return {
    state: { ...state, phase, secrets: null, outcome, reason, stepDeadline: null, steps },
    actions: [{ type: "wipe" }],
  };
}

function advance(state, phase, now, changes = {}, step = null) {
  const steps = step ? [...state.steps, { step, at: now }] : state.steps;
  return { ...state, ...changes, steps, phase, stepDeadline: now + state.limits.stepMs };
}

const wait = (state) => ({ state, actions: [] });

/** Time passing: the step or the whole login may run out. */
export function tick(state, now) {
  if (isTerminal(state)) {
    return wait(state);
  }
  if (now >= state.deadline) {
    return end(state, PHASES.TIMED_OUT, OUTCOMES.TIMED_OUT, "login");
  }
  if (state.stepDeadline !== null && now >= state.stepDeadline) {
    return end(state, PHASES.TIMED_OUT, OUTCOMES.TIMED_OUT, state.phase);
  }
  return wait(state);
}

function identifierStep(state, now, field) {
  const { sent } = state;
  const actions = [
    { type: "fill", field, value: state.secrets.username },
    { type: "submit", field },
  ];
  const next = advance(
    state,
    PHASES.AWAITING_PASSWORD,
    now,
    { sent: { ...sent, username: true, identifiers: (sent.identifiers || 0) + 1 } },
    "username_sent",
  );
  return { state: next, actions };
}

/**
 * What the page shows now.
 * @param {{origin: string, username: boolean, identifier?: boolean, password: boolean,
 *          code: boolean, usernameFilled?: boolean, codeFilled?: boolean, error?: boolean,
 *          settled?: boolean, restless?: boolean}} page
 * `restless`: the page's DOM has not gone quiet since the agent gave up waiting for it to.
 */
export function observe(state, page, now) {
  const timed = tick(state, now);
  if (timed.state !== state || isTerminal(state)) {
    return timed;
  }
  if (page.origin !== state.origin) {
    return end(state, PHASES.FAILED, OUTCOMES.LEFT_ORIGIN, page.origin, now);
  }
  const { sent } = state;
  if (page.code) {
    if (!state.hasCode) {
      return end(state, PHASES.FAILED, OUTCOMES.CODE_NOT_AVAILABLE, null, now);
    }
    if (state.phase === PHASES.AWAITING_CODE) {
      return wait(state); // already asked the broker
    }
    if (state.codePending && page.codeFilled && !page.error) {
      return wait(state); // the code just sent, still on screen while the site answers
    }
    if (sent.code >= state.limits.codeAttempts) {
      return end(state, PHASES.FAILED, OUTCOMES.CODE_REJECTED, null, now);
    }
    const step = state.codePending ? "code_rejected" : null;
    const next = advance(state, PHASES.AWAITING_CODE, now, { codePending: false }, step);
    return { state: next, actions: [{ type: "fetch_code" }] };
  }
  // A code sent and its step gone without an error: the site took it.
  const took = state.codePending && !page.error;
  if (took) {
    state = { ...state, codePending: false, steps: [...state.steps, { step: "code_accepted", at: now }] };
  }
  if (page.password) {
    if (sent.password) {
      return page.error ? end(state, PHASES.FAILED, OUTCOMES.REJECTED, "password", now) : wait(state);
    }
    const actions = [];
    const withUsername = page.username && !(sent.username && page.usernameFilled);
    if (withUsername) {
      actions.push({ type: "fill", field: "username", value: state.secrets.username });
    }
    actions.push({ type: "fill", field: "password", value: state.secrets.password });
    actions.push({ type: "submit", field: "password" });
    const next = advance(state, PHASES.SUBMITTED, now, {
      sent: { ...sent, username: sent.username || withUsername, password: true },
    }, "password_sent");
    return { state: next, actions };
  }
  // An identifier step: evidenced, or a lone field right after an identifier step of this flow.
  const field = page.username ? "username" : page.identifier && sent.username ? "identifier" : null;
  if (field) {
    if (sent.username && page.error) {
      return end(state, PHASES.FAILED, OUTCOMES.REJECTED, "username", now);
    }
    if (!sent.username) {
      return identifierStep(state, now, field);
    }
    if (page.usernameFilled !== false) {
      // Identifier-first in one page: the password appears a moment after Next. Wait for it.
      return wait(state);
    }
    // A new, empty identifier step (username, then email): once more, never in a loop.
    if ((sent.identifiers || 1) >= state.limits.identifierSteps) {
      return end(state, PHASES.FAILED, OUTCOMES.REJECTED, "username", now);
    }
    return identifierStep(state, now, field);
  }
  // No login step on the page.
  if (state.phase === PHASES.SUBMITTED && (sent.password || sent.code > 0)) {
    return page.error
      ? end(state, PHASES.FAILED, sent.password ? OUTCOMES.REJECTED : OUTCOMES.CODE_REJECTED, null, now)
      : end(state, PHASES.DONE, OUTCOMES.SIGNED_IN, null, now);
  }
  if (state.phase === PHASES.AWAITING_USERNAME && page.settled) {
    return end(state, PHASES.FAILED, OUTCOMES.NOT_A_LOGIN_PAGE, page.restless ? "never_quiet" : null, now);
  }
  return wait(state); // loading, or an interstitial: the step limit bounds it
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
    codePending: true,
  }, "code_sent");
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
  return isTerminal(state) ? wait(state) : end(state, PHASES.FAILED, OUTCOMES.CODE_REFUSED, reason || null);
}

/** The content script refused or failed an action (live origin changed, field gone, …). */
export function actionFailed(state, reason) {
  if (isTerminal(state)) {
    return wait(state);
  }
  const left = ["origin_mismatch", "insecure_scheme", "unsupported_scheme", "userinfo", "bad_host"];
  return left.includes(reason)
    ? end(state, PHASES.FAILED, OUTCOMES.LEFT_ORIGIN, reason)
    : end(state, PHASES.FAILED, OUTCOMES.FILL_REFUSED, reason || null);
}

export function tabClosed(state) {
  return isTerminal(state) ? wait(state) : end(state, PHASES.FAILED, OUTCOMES.TAB_CLOSED);
}

/** The tab navigated somewhere else than the account's origin. */
export function navigated(state, origin) {
  if (isTerminal(state) || origin === state.origin) {
    return wait(state);
  }
  return end(state, PHASES.FAILED, OUTCOMES.LEFT_ORIGIN, origin);
}

export function abort(state, reason) {
  return isTerminal(state) ? wait(state) : end(state, PHASES.FAILED, OUTCOMES.ABORTED, reason || null);
}
