import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { describe, it } from "node:test";

const root = new URL("../", import.meta.url);
const manifest = JSON.parse(readFileSync(new URL("manifest.json", root), "utf8"));
const exists = (path) => existsSync(new URL(path, root));

describe("manifest", () => {
  it("is MV3 with a service worker for Chromium and the same file as a script for Firefox", () => {
    assert.equal(manifest.manifest_version, 3);
    assert.equal(manifest.background.type, "module");
    assert.deepEqual(manifest.background.scripts, [manifest.background.service_worker]);
    assert.ok(exists(manifest.background.service_worker));
    assert.match(manifest.browser_specific_settings.gecko.id, /@/);
  });

  it("asks for the minimal permissions and hosts: https, and http on loopback only", () => {
    assert.deepEqual([...manifest.permissions].sort(), ["scripting", "storage", "tabs"]);
    assert.deepEqual(manifest.host_permissions, ["https://*/*", "http://127.0.0.1/*", "http://localhost/*"]);
    assert.equal(manifest.optional_permissions, undefined);
  });

  it("lets no web page or other extension message it, and injects nothing everywhere", () => {
    assert.equal(manifest.externally_connectable, undefined);
    assert.equal(manifest.content_scripts, undefined, "scripts are injected into launch and login tabs only");
    assert.equal(manifest.content_security_policy, undefined, "the strict MV3 default stands");
  });

  it("exposes only the agent's modules, which hold no secret", () => {
    const [entry, ...others] = manifest.web_accessible_resources;
    assert.equal(others.length, 0);
    assert.deepEqual(entry.resources, ["lib/*.js", "content/agent.js"]);
    assert.deepEqual(entry.matches, manifest.host_permissions);
  });

  it("names files that exist: popup, options, managed schema with brokerUrl", () => {
    for (const path of [manifest.action.default_popup, manifest.options_ui.page, manifest.storage.managed_schema,
      "content/agent.js", "content/agent-loader.js", "content/launch.js"]) {
      assert.ok(exists(path), path);
    }
    const schema = JSON.parse(readFileSync(new URL(manifest.storage.managed_schema, root), "utf8"));
    assert.equal(schema.properties.brokerUrl.type, "string");
  });
});

describe("the agent loader", () => {
  /** Every module `path` imports, directly or not (paths relative to the extension). */
  function graph(path, seen = new Set()) {
    const text = readFileSync(new URL(path, root), "utf8");
    for (const [, spec] of text.matchAll(/^(?:import|export)[^;]*?from\s+"([^"]+)";/gms)) {
      const found = new URL(spec, new URL(path, root)).href.slice(root.href.length);
      if (!seen.has(found)) {
        seen.add(found);
        graph(found, seen);
      }
    }
    return seen;
  }

  it("asks for exactly the agent's module graph at once", () => {
    const loader = readFileSync(new URL("content/agent-loader.js", root), "utf8");
    const listed = JSON.parse(`[${/const GRAPH = \[([^\]]*)\]/.exec(loader)[1].trim().replace(/,$/, "")}]`);
    assert.deepEqual([...listed].sort(), [...graph("content/agent.js")].sort());
  });
});

describe("lib/ stays pure", () => {
  it("no module under lib/ touches chrome.* or browser.*", () => {
    for (const name of ["origin", "fields", "fill", "flow", "page", "dpop", "broker-url", "settle"]) {
      const text = readFileSync(new URL(`lib/${name}.js`, root), "utf8").replace(/\/\/.*$/gm, "");
      assert.doesNotMatch(text, /\b(chrome|browser)\./, name);
    }
  });
});
