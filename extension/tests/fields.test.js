import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { findLoginFields, findSubmit, pageSteps } from "../lib/fields.js";
import { fixtureNames, loadFixture, parsePage } from "./helpers/dom.js";

function describeEl(el) {
  return el ? `<input name=${el.getAttribute("name") ?? el.getAttribute("aria-label")}>` : "none";
}

function marked(document, role) {
  const found = [];
  const visit = (node) => {
    for (const el of node.querySelectorAll("[data-expect]")) {
      if (el.getAttribute("data-expect") === role) {
        found.push(el);
      }
    }
    for (const host of node.querySelectorAll("*")) {
      if (host.shadowRoot) {
        visit(host.shadowRoot);
      }
    }
  };
  visit(document);
  return found;
}

describe("findLoginFields on the fixture pages", () => {
  for (const name of fixtureNames()) {
    it(`chooses the marked fields of ${name}`, () => {
      const { document, view } = loadFixture(name);
      const fields = findLoginFields(document, view);
      const [username = null] = marked(document, "username");
      const [password = null] = marked(document, "password");
      assert.equal(describeEl(fields.username), describeEl(username), "username");
      assert.equal(fields.username, username, "username");
      assert.equal(fields.password, password, "password");
      assert.deepEqual(fields.code.map(describeEl), marked(document, "code").map(describeEl), "code");
      assert.deepEqual(fields.code, marked(document, "code"), "code");
      const chosen = [fields.username, fields.password, ...fields.code];
      for (const trap of marked(document, "never")) {
        assert.ok(!chosen.includes(trap), `${describeEl(trap)} must never be chosen`);
      }
    });
  }

  it("covers at least the cases the issue names", () => {
    const names = fixtureNames();
    for (const needed of ["single", "two-step-username", "two-step-password", "code-one-box",
      "code-split", "formless", "shadow-dom", "dialog", "honeypots", "new-password",
      // issue 11: what must never be filled, and what must be
      "signup", "change-password", "reset-password", "newsletter", "search", "payment", "address",
      "profile", "codes-not-ours", "lone-email", "formless-nav-login", "login-beside-newsletter",
      "digits-number", "digits-inputmode", "password-type-code", "two-identifiers-username"]) {
      assert.ok(names.includes(`${needed}.html`), needed);
    }
  });
});

describe("refusal reasons", () => {
  it("names why each honeypot was refused", () => {
    const { document, view } = loadFixture("honeypots.html");
    const reasons = Object.fromEntries(
      findLoginFields(document, view).refused.map(({ element, reason }) => [
        element.getAttribute("name"),
        reason,
      ]),
    );
    assert.deepEqual(reasons, {
      email_h: "hidden_type",
      email_none: "hidden_style",
      email_vis: "hidden_style",
      email_vis_parent: "hidden_style",
      email_off: "off_screen",
      email_up: "off_screen",
      email_zero: "zero_size",
      email_opacity: "hidden_style",
      email_aria: "hidden_markup",
      email_tab: "decoy_tabindex",
      email_clip: "clipped",
      email_hidden_attr: "hidden_markup",
      email_disabled: "disabled",
      email_fs: "disabled",
      email_ro: "readonly",
      password_trap: "hidden_style",
    });
  });
});

describe("pageSteps", () => {
  const cases = [
    ["single.html", { username: true, identifier: false, password: true, code: false }],
    ["two-step-username.html", { username: true, identifier: false, password: false, code: false }],
    ["two-step-password.html", { username: false, identifier: false, password: true, code: false }],
    ["code-split.html", { username: false, identifier: false, password: false, code: true }],
    ["new-password.html", { username: false, identifier: false, password: false, code: false }],
  ];
  for (const [name, steps] of cases) {
    it(`reads ${name} as ${JSON.stringify(steps)}`, () => {
      const { document, view } = loadFixture(name);
      assert.deepEqual(pageSteps(findLoginFields(document, view)), steps);
    });
  }
});

describe("findSubmit", () => {
  const cases = [
    ["single.html", "go", true],
    ["formless.html", "signin", false],
    ["code-split-wrapped.html", "verify", false],
  ];
  for (const [name, buttonId, hasForm] of cases) {
    it(`finds #${buttonId} on ${name}`, () => {
      const { document, view } = loadFixture(name);
      const fields = findLoginFields(document, view);
      const field = fields.password || fields.code[0] || fields.username;
      const { form, button } = findSubmit(field, view);
      assert.equal(button && button.getAttribute("id"), buttonId);
      assert.equal(form !== null, hasForm);
    });
  }

  it("skips a hidden submit button for a visible one", () => {
    const { document, view } = parsePage(`<form><input type="password" name="p">
      <button type="submit" style="display:none" id="trap">Sign in</button>
      <button type="submit" id="real">Sign in</button></form>`);
    const { button } = findSubmit(findLoginFields(document, view).password, view);
    assert.equal(button.getAttribute("id"), "real");
  });

  it("finds a submit button outside the form through its form attribute", () => {
    const { document, view } = parsePage(`<form id="f"><input type="password" name="p"></form>
      <button type="submit" form="f" id="outside">Sign in</button>`);
    const { form, button } = findSubmit(findLoginFields(document, view).password, view);
    assert.equal(form.getAttribute("id"), "f");
    assert.equal(button.getAttribute("id"), "outside");
  });
});
