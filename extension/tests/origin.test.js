import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { fillableOrigin, matchOrigin } from "../lib/origin.js";

const ACCOUNT = "https://login.example.com/signin?next=/home";

describe("matchOrigin", () => {
  const cases = [
    // [live URL, expected, ok, reason]
    ["https://login.example.com/signin", ACCOUNT, true, null],
    ["https://LOGIN.Example.COM:443/other/page#x", ACCOUNT, true, null],
    ["https://login.example.com/", "https://login.example.com", true, null],
    ["https://login.example.com.evil.test/signin", ACCOUNT, false, "origin_mismatch"],
    ["https://evil-login.example.com/signin", ACCOUNT, false, "origin_mismatch"],
    ["https://example.com/signin", ACCOUNT, false, "origin_mismatch"],
    ["https://sub.login.example.com/signin", ACCOUNT, false, "origin_mismatch"],
    ["https://login.example.com:8443/signin", ACCOUNT, false, "origin_mismatch"],
    ["http://login.example.com/signin", ACCOUNT, false, "insecure_scheme"],
    ["http://login.example.com/signin", "http://login.example.com/", false, "expected_insecure_scheme"],
    ["https://login.example.com@evil.test/signin", ACCOUNT, false, "userinfo"],
    ["https://user:pw@login.example.com/signin", ACCOUNT, false, "userinfo"],
    ["https://@login.example.com/signin", ACCOUNT, false, "userinfo"],
    ["https://login.example.com./signin", ACCOUNT, false, "bad_host"],
    ["https://login.example.com/", "https://login.example.com./", false, "expected_bad_host"],
    // Cyrillic "е" and "о": the parser punycodes the host, so it cannot equal the ASCII one.
    ["https://login.\u0435xample.com/signin", ACCOUNT, false, "origin_mismatch"],
    ["https://l\u043egin.example.com/signin", ACCOUNT, false, "origin_mismatch"],
    ["https://xn--login-9ve.example.com/", ACCOUNT, false, "origin_mismatch"],
    // A real IDN account matches its own punycoded form and nothing else.
    ["https://xn--bcher-kva.example/", "https://b\u00fccher.example/login", true, null],
    ["https://bucher.example/", "https://b\u00fccher.example/login", false, "origin_mismatch"],
    ["blob:https://login.example.com/6b1f", ACCOUNT, false, "unsupported_scheme"],
    ["data:text/html,<form>", ACCOUNT, false, "unsupported_scheme"],
    ["javascript:alert(1)", ACCOUNT, false, "unsupported_scheme"],
    ["about:blank", ACCOUNT, false, "unsupported_scheme"],
    ["file:///etc/passwd", ACCOUNT, false, "unsupported_scheme"],
    ["null", ACCOUNT, false, "not_a_url"],
    ["", ACCOUNT, false, "not_a_url"],
    // Loopback development: http allowed, the port still counts.
    ["http://127.0.0.1:8420/single/login", "http://127.0.0.1:8420/single/login", true, null],
    ["http://127.0.0.1:8421/single/login", "http://127.0.0.1:8420/single/login", false, "origin_mismatch"],
    ["http://localhost:8420/x", "http://127.0.0.1:8420/x", false, "origin_mismatch"],
    ["http://[::1]:8420/x", "http://[::1]:8420/y", true, null],
    ["http://0x7f.0.0.1:8420/x", "http://127.0.0.1:8420/y", true, null],
    ["http://127.0.0.2:8420/x", "http://127.0.0.2:8420/y", false, "expected_insecure_scheme"],
    ["http://localhost.:8420/x", "http://localhost:8420/y", false, "bad_host"],
    ["http://app.localhost:8420/x", "http://127.0.0.1:8420/y", false, "insecure_scheme"],
  ];
  for (const [live, expected, ok, reason] of cases) {
    it(`${ok ? "accepts" : "refuses"} ${live} for ${expected}`, () => {
      assert.deepEqual(matchOrigin(live, expected), { ok, reason });
    });
  }
});

describe("fillableOrigin", () => {
  it("normalises the origin of a login URL", () => {
    assert.deepEqual(fillableOrigin("https://Login.Example.com:443/a?b#c"), {
      ok: true,
      origin: "https://login.example.com",
    });
  });

  it("refuses non-strings and absurdly long input", () => {
    assert.equal(fillableOrigin(undefined).ok, false);
    assert.equal(fillableOrigin(`https://a.example/${"x".repeat(5000)}`).ok, false);
  });
});
