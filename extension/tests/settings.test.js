import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { installFakeChrome } from "./helpers/chrome.js";

const chrome = installFakeChrome();
const { brokerSettings, forgetManagedBrokerUrl } = await import("../background/settings.js");

describe("the broker URL's policy read", () => {
  it("asks managed storage once per worker life, and again after a policy change", async () => {
    let reads = 0;
    const get = chrome.storage.managed.get.bind(chrome.storage.managed);
    chrome.storage.managed.get = (key) => {
      reads += 1;
      return get(key);
    };
    chrome.storage.local.reset({ brokerUrl: "http://127.0.0.1:8400" });
    for (let i = 0; i < 3; i++) {
      assert.deepEqual(await brokerSettings(), { brokerUrl: "http://127.0.0.1:8400", managed: false });
    }
    assert.equal(reads, 1);
    chrome.storage.managed.reset({ brokerUrl: "https://latchkey.example.com" });
    forgetManagedBrokerUrl(); // what storage.onChanged (area "managed") does
    assert.deepEqual(await brokerSettings(), { brokerUrl: "https://latchkey.example.com", managed: true });
    assert.equal(reads, 2);
  });
});
