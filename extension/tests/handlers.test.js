import assert from "node:assert/strict";
import { after, beforeEach, describe, it } from "node:test";

import { EXTENSION_ID, installFakeChrome } from "./helpers/chrome.js";

const chrome = installFakeChrome();
const { dispatch } = await import("../background/handlers.js");
const flows = await import("../background/flows.js");

const BROKER = "http://127.0.0.1:8400";
const SITE = "https://login.example.com";
const POPUP = { id: EXTENSION_ID, url: `chrome-extension://${EXTENSION_ID}/popup/popup.html` };
const launchPage = (extra = {}) => ({
  id: EXTENSION_ID,
  tab: { id: 3 },
  frameId: 0,
  url: `${BROKER}/launch/acc_1`,
  origin: BROKER,
  ...extra,
});
const agent = (extra = {}) => ({
  id: EXTENSION_ID,
  tab: { id: 7 },
  frameId: 0,
  url: `${SITE}/signin`,
  origin: SITE,
  ...extra,
});
const release = {
  account: { id: "a1", name: "Acme", app_name: "Acme", login_url: `${SITE}/signin`, origin: SITE },
  username: "alice@demo.test",
  password: "s3cret!",
  has_code_step: false,
  ticket: "tkt",
};
const steps = (shows) => ({
  origin: SITE, username: false, identifier: false, password: false, code: false,
  usernameFilled: false, codeFilled: false, error: false, settled: false, restless: false, ...shows,
});

beforeEach(async () => {
  chrome.storage.session.reset();
  chrome.storage.local.reset({ brokerUrl: BROKER });
});

after(async () => {
  await flows.onTabRemoved(7); // clears the flow's timer so the test process can end
});

describe("dispatch refuses before acting", () => {
  const cases = [
    ["not an object", "launch", POPUP, "bad_message"],
    ["no command", {}, POPUP, "bad_message"],
    ["an unknown command", { command: "fill" }, POPUP, "unknown_command"],
    ["an inherited name", { command: "constructor" }, POPUP, "unknown_command"],
    ["popup state asked by a content script", { command: "popup.state" }, agent(), "sender_not_allowed"],
    ["sign-out asked by a web page's content script", { command: "session.signOut" }, launchPage(), "sender_not_allowed"],
    ["another extension", { command: "popup.state" }, { ...POPUP, id: "other" }, "sender_not_allowed"],
    ["a launch from the popup", { command: "launch", grant: "g" }, POPUP, "sender_not_allowed"],
    ["a launch from a subframe", { command: "launch", grant: "g" }, launchPage({ frameId: 2 }), "sender_not_allowed"],
    ["a launch from another port", { command: "launch", grant: "g" },
      launchPage({ url: "http://127.0.0.1:8401/launch/acc_1", origin: "http://127.0.0.1:8401" }), "sender_not_allowed"],
    ["a launch from a non-launch path", { command: "launch", grant: "g" },
      launchPage({ url: `${BROKER}/account/acc_1` }), "sender_not_allowed"],
    ["a launch from a look-alike host", { command: "launch", grant: "g" },
      launchPage({ url: "http://localhost:8400/launch/acc_1", origin: "http://localhost:8400" }), "sender_not_allowed"],
    ["a launch without a grant", { command: "launch" }, launchPage(), "bad_payload"],
    ["a launch with an absurd grant", { command: "launch", grant: "g".repeat(300) }, launchPage(), "bad_payload"],
    ["an agent report from a tab running no login", { command: "agent.page", page: steps({}) }, agent(), "sender_not_allowed"],
  ];
  for (const [name, message, sender, refused] of cases) {
    it(`refuses ${name}: ${refused}`, async () => {
      assert.deepEqual(await dispatch(message, sender), { refused });
    });
  }

  it("refuses a launch when no broker is configured", async () => {
    chrome.storage.local.reset({});
    assert.deepEqual(await dispatch({ command: "launch", grant: "g" }, launchPage()), { refused: "sender_not_allowed" });
  });
});

describe("the login tab's agent", () => {
  it("is told what to fill only in the tab, top frame and origin of the login", async () => {
    await flows.startFlow(7, release, BROKER);
    for (const [sender, refused] of [
      [agent({ frameId: 1 }), "sender_not_allowed"],
      [agent({ tab: { id: 8 } }), "sender_not_allowed"],
      [{ ...POPUP, tab: { id: 7 }, frameId: 0 }, "sender_not_allowed"],
    ]) {
      assert.deepEqual(await dispatch({ command: "agent.page", page: steps({ password: true }) }, sender), { refused });
    }
    assert.deepEqual(await dispatch({ command: "agent.page", page: { origin: SITE } }, agent()), { refused: "bad_payload" });
    assert.deepEqual(await dispatch({ command: "agent.hello" }, agent()), { active: true, origin: SITE });

    const answer = await dispatch({ command: "agent.page", page: steps({ username: true, password: true }) }, agent());
    assert.deepEqual(answer, {
      active: true,
      actions: [
        { type: "fill", field: "username", value: "alice@demo.test" },
        { type: "fill", field: "password", value: "s3cret!" },
        { type: "submit", field: "password" },
      ],
    });
  });

  it("ends the login when the frame's real origin is another, whatever the page claims", async () => {
    await flows.startFlow(7, release, BROKER);
    const lookalike = agent({ url: "https://login.example.com.evil.test/", origin: "https://login.example.com.evil.test" });
    const answer = await dispatch({ command: "agent.page", page: steps({ username: true, password: true }) }, lookalike);
    assert.deepEqual(answer, { active: false, actions: [] });
    const stored = await chrome.storage.session.get(null);
    assert.equal(stored["flow:7"], undefined);
    assert.equal(stored.lastLaunch.outcome, "left_origin");
    assert.ok(!JSON.stringify(stored).includes("s3cret!"));
  });

  it("wipes the login when the tab closes", async () => {
    await flows.startFlow(7, release, BROKER);
    await flows.onTabRemoved(7);
    const stored = await chrome.storage.session.get(null);
    assert.equal(stored["flow:7"], undefined);
    assert.equal(stored.lastLaunch.outcome, "tab_closed");
    assert.ok(!JSON.stringify(stored).includes("s3cret!"));
  });

  it("keeps one record per launch, each with its own id, newest first", async () => {
    const first = await flows.startFlow(7, release, BROKER);
    await flows.onTabRemoved(7);
    const second = await flows.startFlow(7, release, BROKER);
    await dispatch({ command: "agent.page", page: steps({ settled: true }) }, agent());
    const { launches, lastLaunch } = await chrome.storage.session.get(null);
    assert.notEqual(first, second);
    assert.deepEqual(launches.map((l) => [l.launchId, l.outcome]), [[second, "not_a_login_page"], [first, "tab_closed"]]);
    assert.deepEqual(lastLaunch, launches[0]);
    assert.deepEqual(Object.keys(launches[0]).sort(),
      ["account", "app", "endedAt", "launchId", "origin", "outcome", "phase", "reason", "startedAt", "steps", "tabId"]);
    assert.ok(!JSON.stringify(launches).includes("alice@demo.test"), "no username in the record");
  });

  it("refuses a page report with a flag that is not a boolean", async () => {
    await flows.startFlow(7, release, BROKER);
    const answer = await dispatch({ command: "agent.page", page: steps({ settled: "yes" }) }, agent());
    assert.deepEqual(answer, { refused: "bad_payload" });
    await flows.onTabRemoved(7); // ends it now: the next beforeEach empties storage, not timers
  });
});

describe("the popup", () => {
  it("gets the broker, the member and the last launch", async () => {
    assert.deepEqual(await dispatch({ command: "popup.state" }, POPUP), {
      brokerUrl: BROKER,
      managed: false,
      member: null,
      lastLaunch: null,
      launches: [],
    });
  });
});
