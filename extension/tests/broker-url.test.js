import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { apiUrl, isLaunchPage, launchMatchPatterns, normaliseBrokerUrl } from "../lib/broker-url.js";

describe("normaliseBrokerUrl", () => {
  const cases = [
    ["https://latchkey.example.com/", "https://latchkey.example.com"],
    [" https://Latchkey.example.com:443/sso/ ", "https://latchkey.example.com/sso"],
    ["http://127.0.0.1:8400", "http://127.0.0.1:8400"],
    ["http://latchkey.example.com", null],
    ["https://user@latchkey.example.com", null],
    ["https://latchkey.example.com/?x=1", null],
    ["https://latchkey.example.com.", null],
    ["latchkey.example.com", null],
    [42, null],
  ];
  for (const [input, expected] of cases) {
    it(`${JSON.stringify(input)} → ${expected}`, () => assert.equal(normaliseBrokerUrl(input), expected));
  }
});

describe("launch pages", () => {
  const broker = "http://127.0.0.1:8400";
  it("are the broker's exact origin under /launch/", () => {
    assert.equal(isLaunchPage("http://127.0.0.1:8400/launch/acc_1", broker), true);
    assert.equal(isLaunchPage("http://127.0.0.1:8401/launch/acc_1", broker), false);
    assert.equal(isLaunchPage("http://127.0.0.1:8400/launcher", broker), false);
    assert.equal(isLaunchPage("http://localhost:8400/launch/acc_1", broker), false);
    assert.equal(isLaunchPage("not a url", broker), false);
  });

  it("give the content script a match pattern and the API its URLs", () => {
    assert.deepEqual(launchMatchPatterns("https://b.example/sso"), ["https://b.example/sso/launch/*"]);
    assert.equal(apiUrl(broker, "/grants/redeem"), "http://127.0.0.1:8400/api/ext/v1/grants/redeem");
  });
});
