import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { perform, readPage } from "../lib/page.js";
import { loadFixture, parsePage } from "./helpers/dom.js";

const ORIGIN = "https://login.example.com";

function at(url, loaded) {
  return { ...loaded, view: { ...loaded.view, url: () => url } };
}

function clicks(document) {
  const seen = [];
  document.addEventListener("click", (e) => seen.push(e.target.getAttribute("id")));
  return seen;
}

describe("readPage", () => {
  it("reports the live origin and the steps shown", () => {
    const { document, view } = at(`${ORIGIN}/signin`, loadFixture("single.html"));
    assert.deepEqual(readPage(document, view, ORIGIN), {
      origin: ORIGIN,
      username: true,
      identifier: false,
      password: true,
      code: false,
      usernameFilled: false,
      codeFilled: false,
      error: false,
    });
  });

  it("reports a visible alert as an error", () => {
    const { document, view } = at(`${ORIGIN}/signin`, parsePage(`<div role="alert">Incorrect email or password.</div>
      <form><input type="email" name="e"><input type="password" name="p"></form>`));
    assert.equal(readPage(document, view, ORIGIN).error, true);
  });

  it("reports a look-alike page's own origin, for the background to refuse", () => {
    const { document, view } = at("https://login.example.com.evil.test/", loadFixture("single.html"));
    assert.equal(readPage(document, view, ORIGIN).origin, "https://login.example.com.evil.test");
  });
});

describe("perform", () => {
  it("fills and submits on the account's origin", () => {
    const { document, view } = at(`${ORIGIN}/signin`, loadFixture("single.html"));
    const seen = clicks(document);
    assert.deepEqual(perform({ type: "fill", field: "username", value: "alice@demo.test" }, document, view, ORIGIN), { ok: true, reason: null });
    assert.deepEqual(perform({ type: "fill", field: "password", value: "pw" }, document, view, ORIGIN), { ok: true, reason: null });
    assert.deepEqual(perform({ type: "submit", field: "password" }, document, view, ORIGIN), { ok: true, reason: null });
    assert.equal(document.getElementById("email").value, "alice@demo.test");
    assert.equal(document.getElementById("pw").value, "pw");
    assert.deepEqual(seen, ["go"]);
  });

  const refusals = [
    ["a look-alike host", "https://login.example.com.evil.test/signin", "origin_mismatch"],
    ["another port", "https://login.example.com:8443/signin", "origin_mismatch"],
    ["plain http", "http://login.example.com/signin", "insecure_scheme"],
    ["userinfo", "https://login.example.com@evil.test/", "userinfo"],
    ["a sandboxed document", "null", "not_a_url"],
  ];
  for (const [name, url, reason] of refusals) {
    it(`refuses to fill or submit on ${name}, touching nothing`, () => {
      const { document, view } = at(url, loadFixture("single.html"));
      const seen = clicks(document);
      for (const action of [
        { type: "fill", field: "username", value: "alice@demo.test" },
        { type: "fill", field: "password", value: "pw" },
        { type: "submit", field: "password" },
      ]) {
        assert.deepEqual(perform(action, document, view, ORIGIN), { ok: false, reason });
      }
      assert.equal(document.getElementById("email").value, "");
      assert.equal(document.getElementById("pw").value, "");
      assert.deepEqual(seen, []);
    });
  }

  it("re-checks the live URL at each action: a page that moved away mid-flow gets nothing more", () => {
    let url = `${ORIGIN}/signin`;
    const loaded = loadFixture("single.html");
    const view = { ...loaded.view, url: () => url };
    assert.equal(perform({ type: "fill", field: "username", value: "a" }, loaded.document, view, ORIGIN).ok, true);
    url = "https://evil.test/signin";
    assert.equal(perform({ type: "fill", field: "password", value: "pw" }, loaded.document, view, ORIGIN).ok, false);
    assert.equal(loaded.document.getElementById("pw").value, "");
  });

  const targets = [
    ["a form posting to another origin", `<form action="https://evil.test/steal"><input type="password" name="p"><button id="b">Sign in</button></form>`],
    ["a button whose formaction is another origin", `<form action="/ok"><input type="password" name="p"><button id="b" formaction="https://evil.test/x">Sign in</button></form>`],
    ["a <base> that sends a relative action elsewhere", `<base href="https://evil.test/"><form action="login"><input type="password" name="p"><button id="b">Sign in</button></form>`],
  ];
  for (const [name, html] of targets) {
    it(`refuses to submit ${name}`, () => {
      const { document, view } = at(`${ORIGIN}/signin`, parsePage(html));
      const seen = clicks(document);
      assert.deepEqual(perform({ type: "submit", field: "password" }, document, view, ORIGIN), {
        ok: false,
        reason: "form_target_mismatch",
      });
      assert.deepEqual(seen, []);
    });
  }

  it("fills a split code box by box", () => {
    const { document, view } = at(`${ORIGIN}/verify`, loadFixture("code-split.html"));
    assert.equal(perform({ type: "fill", field: "code", value: "123456" }, document, view, ORIGIN).ok, true);
    assert.deepEqual([...document.querySelectorAll("input")].map((el) => el.value), ["1", "2", "3", "4", "5", "6"]);
  });

  it("says so when the field it was told to fill is not there", () => {
    const { document, view } = at(`${ORIGIN}/signin`, loadFixture("two-step-username.html"));
    assert.deepEqual(perform({ type: "fill", field: "password", value: "pw" }, document, view, ORIGIN), {
      ok: false,
      reason: "no_password_field",
    });
  });
});
