import assert from "node:assert/strict";
import { describe, it } from "node:test";

import * as flow from "../lib/flow.js";

const ORIGIN = "https://login.example.com";
const LIMITS = { stepMs: 1000, totalMs: 5000, codeAttempts: 2 };
const page = (shows = {}) => ({ origin: ORIGIN, username: false, password: false, code: false, ...shows });

function launch(extra = {}) {
  return flow.start(
    { tabId: 7, origin: ORIGIN, username: "alice@demo.test", password: "s3cret!", ticket: "tkt-9f2", ...extra },
    0,
    LIMITS,
  );
}

/** Run events in order; return every step's phase and actions, and the last state. */
function run(state, events) {
  const trace = [];
  for (const [kind, arg, now] of events) {
    const result =
      kind === "page" ? flow.observe(state, arg, now)
      : kind === "code" ? flow.codeReceived(state, arg, now)
      : kind === "tick" ? flow.tick(state, now)
      : flow[kind](state, arg);
    state = result.state;
    trace.push([state.phase, result.actions.map((a) => `${a.type}${a.field ? `:${a.field}` : ""}`)]);
  }
  return { state, trace };
}

function assertWiped(state) {
  assert.equal(state.secrets, null);
  assert.ok(!JSON.stringify(state).includes("s3cret!"), "no password left in the state");
  assert.ok(!JSON.stringify(state).includes("alice@demo.test"), "no username left in the state");
  assert.ok(!JSON.stringify(state).includes("tkt-9f2"), "no code ticket left in the state");
}

describe("flow transitions", () => {
  it("single page: fill both, submit, done when the fields are gone", () => {
    const { state, trace } = run(launch(), [
      ["page", page({ username: true, password: true }), 10],
      ["page", page(), 400],
    ]);
    assert.deepEqual(trace, [
      ["submitted", ["fill:username", "fill:password", "submit:password"]],
      ["done", ["wipe"]],
    ]);
    assert.equal(state.outcome, "signed_in");
    assertWiped(state);
  });

  it("carries the secret values in fill actions only", () => {
    const { actions } = flow.observe(launch(), page({ username: true, password: true }), 10);
    assert.deepEqual(actions.filter((a) => a.type === "fill").map((a) => a.value), ["alice@demo.test", "s3cret!"]);
  });

  it("identifier first over two pages", () => {
    const { trace } = run(launch(), [
      ["page", page({ username: true }), 10],
      ["page", page(), 200], // the round trip's blank moment
      ["page", page({ password: true }), 400],
      ["page", page(), 800],
    ]);
    assert.deepEqual(trace, [
      ["awaiting_password", ["fill:username", "submit:username"]],
      ["awaiting_password", []],
      ["submitted", ["fill:password", "submit:password"]],
      ["done", ["wipe"]],
    ]);
  });

  it("identifier first in one page: waits while the filled username stays, then the password", () => {
    const { trace } = run(launch(), [
      ["page", page({ username: true }), 10],
      ["page", page({ username: true, usernameFilled: true }), 50],
      ["page", page({ username: true, usernameFilled: true, password: true }), 200],
      ["page", page(), 900],
    ]);
    assert.deepEqual(trace, [
      ["awaiting_password", ["fill:username", "submit:username"]],
      ["awaiting_password", []],
      ["submitted", ["fill:password", "submit:password"]],
      ["done", ["wipe"]],
    ]);
  });

  it("code step: asks the broker once, fills what it sends, done after", () => {
    const { state, trace } = run(launch({ hasCode: true }), [
      ["page", page({ username: true, password: true }), 10],
      ["page", page({ code: true }), 300],
      ["page", page({ code: true }), 350], // mutations while waiting: no second request
      ["code", "123456", 500],
      ["page", page(), 900],
    ]);
    assert.deepEqual(trace, [
      ["submitted", ["fill:username", "fill:password", "submit:password"]],
      ["awaiting_code", ["fetch_code"]],
      ["awaiting_code", []],
      ["submitted", ["fill:code", "submit:code"]],
      ["done", ["wipe"]],
    ]);
    assertWiped(state);
  });

  it("a rejected code is retried once with a fresh one, then the flow fails", () => {
    const { state, trace } = run(launch({ hasCode: true }), [
      ["page", page({ username: true, password: true }), 10],
      ["page", page({ code: true }), 100],
      ["code", "111111", 200],
      ["page", page({ code: true, error: true }), 300],
      ["code", "222222", 400],
      ["page", page({ code: true, error: true }), 500],
    ]);
    assert.deepEqual(trace.map(([phase]) => phase), [
      "submitted", "awaiting_code", "submitted", "awaiting_code", "submitted", "failed",
    ]);
    assert.equal(state.outcome, "code_rejected");
    assertWiped(state);
  });

  it("a code step on an account without a code fails at once", () => {
    const { state } = run(launch(), [
      ["page", page({ username: true, password: true }), 10],
      ["page", page({ code: true }), 100],
    ]);
    assert.equal(state.outcome, "code_not_available");
    assertWiped(state);
  });

  it("a code answer after the page moved on is ignored", () => {
    const { trace } = run(launch({ hasCode: true }), [["code", "123456", 10]]);
    assert.deepEqual(trace, [["awaiting_username", []]]);
  });
});

describe("flow failures", () => {
  const cases = [
    ["wrong password shown again with an error", [
      ["page", page({ username: true, password: true }), 10],
      ["page", page({ username: true, password: true, error: true }), 300],
    ], "failed", "rejected"],
    ["username refused on the identifier step", [
      ["page", page({ username: true }), 10],
      ["page", page({ username: true, error: true }), 300],
    ], "failed", "rejected"],
    ["the page left the account's origin", [
      ["page", page({ username: true }), 10],
      ["page", { ...page({ password: true }), origin: "https://login.example.com.evil.test" }, 300],
    ], "failed", "left_origin"],
    ["the tab navigated elsewhere", [["navigated", "http://127.0.0.1:8421"]], "failed", "left_origin"],
    ["the tab closed", [["tabClosed"]], "failed", "tab_closed"],
    ["the broker refused the code", [
      ["page", page({ code: true }), 10],
      ["codeRefused", "no_access"],
    ], "failed", "code_refused", "no_access"],
    ["the content script found the origin changed", [["actionFailed", "origin_mismatch"]], "failed", "left_origin", "origin_mismatch"],
    ["the content script found no submit", [["actionFailed", "no_submit"]], "failed", "fill_refused", "no_submit"],
    ["aborted (signed out)", [["abort", "signed_out"]], "failed", "aborted", "signed_out"],
    ["a settled page with nothing to fill", [
      ["page", page(), 10],
      ["page", page({ settled: true }), 300],
    ], "failed", "not_a_login_page", null],
    ["a page that never stops changing, with nothing to fill", [
      ["page", page(), 10],
      ["page", page({ settled: true, restless: true }), 300],
    ], "failed", "not_a_login_page", "never_quiet"],
    ["a lone field without login evidence, first thing on the page", [
      ["page", page({ identifier: true, settled: true }), 10],
    ], "failed", "not_a_login_page"],
    ["an error after the password, with no login step left", [
      ["page", page({ username: true, password: true }), 10],
      ["page", page({ error: true }), 300],
    ], "failed", "rejected"],
    ["a third empty identifier step in a row", [
      ["page", page({ username: true }), 10],
      ["page", page({ username: true, usernameFilled: false }), 100],
      ["page", page({ username: true, usernameFilled: false }), 200],
      ["page", page({ username: true, usernameFilled: false }), 300],
    ], "failed", "rejected", "username"],
  ];
  for (const [name, events, phase, outcome, reason = undefined] of cases) {
    it(`${name} → ${phase} (${outcome}), secrets wiped`, () => {
      const { state } = run(launch({ hasCode: true }), events);
      assert.equal(state.phase, phase);
      assert.equal(state.outcome, outcome);
      if (reason !== undefined) {
        assert.equal(state.reason, reason);
      }
      assertWiped(state);
    });
  }

  it("ends stay ended: no event revives a finished flow", () => {
    const ended = flow.tabClosed(launch()).state;
    for (const result of [
      flow.observe(ended, page({ username: true, password: true }), 10),
      flow.codeReceived(ended, "123456", 10),
      flow.tick(ended, 10_000),
      flow.abort(ended, "x"),
    ]) {
      assert.equal(result.state, ended);
      assert.deepEqual(result.actions, []);
    }
  });

  it("navigating within the origin is not a failure", () => {
    const state = launch();
    assert.equal(flow.navigated(state, ORIGIN).state, state);
  });
});

describe("recall", () => {
  it("two identifier steps (username, then email) before the password", () => {
    const { state, trace } = run(launch(), [
      ["page", page({ username: true }), 10],
      ["page", page({ identifier: true, usernameFilled: false }), 300], // the email step, no evidence of its own
      ["page", page({ password: true }), 600],
      ["page", page(), 900],
    ]);
    assert.deepEqual(trace, [
      ["awaiting_password", ["fill:username", "submit:username"]],
      ["awaiting_password", ["fill:identifier", "submit:identifier"]],
      ["submitted", ["fill:password", "submit:password"]],
      ["done", ["wipe"]],
    ]);
    assert.deepEqual(state.steps.map((s) => s.step), ["username_sent", "username_sent", "password_sent", "signed_in"]);
  });

  it("a lone field without evidence is not filled as the first step", () => {
    const { state, actions } = flow.observe(launch(), page({ identifier: true }), 10);
    assert.equal(state.phase, "awaiting_username");
    assert.deepEqual(actions, []);
  });

  it("a code-only login that succeeds is signed in, with the code accepted", () => {
    const { state, trace } = run(launch({ hasCode: true }), [
      ["page", page({ code: true }), 10],
      ["code", "123456", 20],
      ["page", page(), 400],
    ]);
    assert.deepEqual(trace.map(([phase]) => phase), ["awaiting_code", "submitted", "done"]);
    assert.equal(state.outcome, "signed_in");
    assert.deepEqual(state.steps.map((s) => s.step), ["code_sent", "code_accepted", "signed_in"]);
  });

  it("a refused code shows in the steps, then the fresh one is accepted", () => {
    const { state } = run(launch({ hasCode: true }), [
      ["page", page({ username: true, password: true }), 10],
      ["page", page({ code: true }), 300],
      ["code", "111111", 310],
      ["page", page({ code: true, error: true }), 600],
      ["code", "222222", 610],
      ["page", page(), 900],
    ]);
    assert.equal(state.outcome, "signed_in");
    assert.deepEqual(state.steps.map((s) => s.step),
      ["password_sent", "code_sent", "code_rejected", "code_sent", "code_accepted", "signed_in"]);
  });
});

describe("a code just submitted", () => {
  it("still on screen, filled, while the site answers: wait, do not fetch another", () => {
    const { state, trace } = run(launch({ hasCode: true }), [
      ["page", page({ code: true }), 10],
      ["code", "123456", 20],
      ["page", page({ code: true, codeFilled: true }), 200],
      ["page", page(), 600],
    ]);
    assert.deepEqual(trace.map(([phase, actions]) => [phase, actions.length]),
      [["awaiting_code", 1], ["submitted", 2], ["submitted", 0], ["done", 1]]);
    assert.equal(state.outcome, "signed_in");
  });
});

describe("flow timeouts", () => {
  it("a page that never shows a login field times out after the step limit", () => {
    const { state, trace } = run(launch(), [
      ["page", page(), 500],
      ["tick", null, 999],
      ["tick", null, 1000],
    ]);
    assert.deepEqual(trace.map(([phase]) => phase), ["awaiting_username", "awaiting_username", "timed_out"]);
    assert.equal(state.outcome, "timed_out");
    assert.equal(state.reason, "awaiting_username");
    assertWiped(state);
  });

  it("each step gets its own limit, measured from the last progress", () => {
    const { state } = run(launch(), [
      ["page", page({ username: true }), 900],
      ["tick", null, 1800],
      ["tick", null, 1900],
    ]);
    assert.equal(state.phase, "timed_out");
    assert.equal(state.reason, "awaiting_password");
  });

  it("the whole login is bounded even while steps keep progressing", () => {
    let state = launch({ hasCode: true });
    state = flow.observe(state, page({ username: true, password: true }), 10).state;
    for (let now = 900; now < 5000; now += 900) {
      state = flow.observe(state, page({ code: true }), now).state; // awaiting_code
      state = flow.codeReceived(state, "000000", now + 1).state;
      state = { ...state, sent: { ...state.sent, code: 0 } }; // as if every code were new
    }
    const result = flow.observe(state, page({ code: true }), 5000);
    assert.equal(result.state.phase, "timed_out");
    assert.equal(result.state.outcome, "timed_out");
    assert.equal(result.state.reason, "login");
  });

  it("an observation after the deadline times out instead of filling", () => {
    const { state, actions } = flow.observe(launch(), page({ username: true, password: true }), 1000);
    assert.equal(state.phase, "timed_out");
    assert.deepEqual(actions, [{ type: "wipe" }]);
  });

  it("the state survives JSON (chrome.storage.session) and resumes", () => {
    const first = flow.observe(launch(), page({ username: true }), 10).state;
    const resumed = JSON.parse(JSON.stringify(first));
    const { state, actions } = flow.observe(resumed, page({ password: true }), 300);
    assert.equal(state.phase, "submitted");
    assert.deepEqual(actions.map((a) => a.type), ["fill", "submit"]);
  });
});
