// The classifier as a table: a labelled field set per row, and what it must be read as. Each row
// is a small form (or formless container) of the kind the public login-form corpora hold; the
// answer names the fields chosen by their `name` (or "-" for none). Precision rows first: a
// field set that is not a login step must come back empty.

import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { findLoginFields } from "../lib/fields.js";
import { parsePage } from "./helpers/dom.js";

const name = (el) => (el ? el.getAttribute("name") : "-");

function read(html) {
  const { document, view } = parsePage(`<!doctype html><html><head><title>Page</title></head><body>${html}</body></html>`);
  const f = findLoginFields(document, view);
  return {
    username: name(f.username),
    identifier: name(f.identifier),
    password: name(f.password),
    code: f.code.map(name).join(",") || "-",
  };
}

const NONE = { username: "-", identifier: "-", password: "-", code: "-" };

const NEVER = [
  ["sign-up with new-password",
    `<form><input name="e" type="email"><input name="p" type="password" autocomplete="new-password"><button>Join</button></form>`],
  ["sign-up by its button",
    `<form><input name="u"><input name="p" type="password"><button>Sign up</button></form>`],
  ["registration with a confirm field",
    `<form><input name="u"><input name="pw" type="password"><input name="pw_confirm" type="password"><button>Continue</button></form>`],
  ["change password with the current one",
    `<form><input name="cur" type="password" autocomplete="current-password"><input name="new" type="password" autocomplete="new-password"><button>Save</button></form>`],
  ["reset by email",
    `<form action="/forgot"><input name="email" type="email"><button>Reset password</button></form>`],
  ["newsletter",
    `<form><input name="email" type="email" placeholder="you@example.com"><button>Subscribe</button></form>`],
  ["search box",
    `<form role="search"><input name="q"><button>Go</button></form>`],
  ["search type",
    `<form><input name="query" type="search"><button>Find</button></form>`],
  ["payment with a card security code",
    `<form><input name="cc" autocomplete="cc-number"><input name="csc" type="password" autocomplete="cc-csc"><button>Pay</button></form>`],
  ["address with a postal code",
    `<form><input name="street"><input name="postal_code" inputmode="numeric" maxlength="5"><button>Save</button></form>`],
  ["profile by tokens",
    `<form><input name="gn" autocomplete="given-name"><input name="fn" autocomplete="family-name"><input name="mail" type="email"><button>Update</button></form>`],
  ["too many fields for a login",
    `<form><input name="a"><input name="b"><input name="c"><input name="d"><input name="p" type="password"><button>Sign in</button></form>`],
  ["a zip code is not a verification code",
    `<form><input name="zip_code" inputmode="numeric" maxlength="6"><button>Next</button></form>`],
  ["a promo code is not a verification code",
    `<form><label>Promo code <input name="promo"></label><button>Apply</button></form>`],
  ["a digit box is not a verification code",
    `<form><label>Enter one digit <input name="x" maxlength="1"></label><button>OK</button></form>`],
  ["country code and area code",
    `<form><input name="country_code" maxlength="3"><input name="area_code" maxlength="4"><button>Save</button></form>`],
  ["a password-rules text box",
    `<form><label>Password rules <input name="rules"></label><button>Save</button></form>`],
  ["a sign-up form that says nothing of itself, under a sign-up heading",
    `<h1>Create your account</h1><form><input name="e" type="email"><input name="p" type="password"><button>Continue</button></form>`],
  ["four similar boxes for a phone number",
    `<form><label>Phone</label><input name="p1" maxlength="1"><input name="p2" maxlength="1"><input name="p3" maxlength="1"><input name="p4" maxlength="1"><button>Save</button></form>`],
];

const LOGIN = [
  ["username and password", `<form><input name="u"><input name="p" type="password"><button>Sign in</button></form>`,
    { username: "u", password: "p" }],
  ["username from the password's own form, not the newsletter before it",
    `<form><input name="news" type="email"><button>Subscribe</button></form><form><input name="pw" type="password"><button>Log in</button></form>`,
    { password: "pw" }],
  ["formless: the username sharing the nearest container",
    `<div><input name="far"></div><div><div><input name="near"></div><input name="p" type="password"><div role="button">Log in</div></div>`,
    { username: "near", password: "p" }],
  ["identifier step with autocomplete username",
    `<form><input name="x" autocomplete="username"><button>Continue</button></form>`, { username: "x" }],
  ["identifier step with a webauthn token",
    `<form><input name="x" type="email" autocomplete="email webauthn"><button>Continue</button></form>`, { username: "x" }],
  ["identifier step by its login button",
    `<form><input name="mail" type="email"><button>Log in</button></form>`, { username: "mail" }],
  ["a lone email: kept aside as an identifier only the flow may use",
    `<form><input name="mail" type="email"><button>Next</button></form>`, { identifier: "mail" }],
  ["one-time-code token", `<form><input name="c" autocomplete="one-time-code"><button>Verify</button></form>`, { code: "c" }],
  ["otp by name", `<form><input name="otp"><button>Verify</button></form>`, { code: "otp" }],
  ["MFA code by label", `<form><label>MFA code <input name="f1"></label><button>Continue</button></form>`, { code: "f1" }],
  ["authenticator by placeholder",
    `<form><input name="f2" placeholder="Code from your authenticator app"><button>Go</button></form>`, { code: "f2" }],
  ["a bare 'code' where the form speaks of two-step verification",
    `<form><h2>Two-step verification</h2><input name="code"><button>Verify</button></form>`, { code: "code" }],
  ["a password-type field labelled as a verification code is the code",
    `<form><label>Verification code <input name="vc" type="password"></label><button>Verify</button></form>`, { code: "vc" }],
  ["six number boxes in a verification group",
    `<form><fieldset><legend>Verification code</legend>${[1, 2, 3, 4, 5, 6].map((i) => `<input type="number" name="n${i}">`).join("")}</fieldset><button>Verify</button></form>`,
    { code: "n1,n2,n3,n4,n5,n6" }],
  ["a login form under a page heading about something else",
    `<h1>Search our catalogue</h1><form><input name="u"><input name="p" type="password"><button>Continue</button></form>`,
    { username: "u", password: "p" }],
  ["current-password wins over a later password-like field",
    `<form><input name="u" autocomplete="username"><input name="cp" type="password" autocomplete="current-password"><button>Sign in</button></form>`,
    { username: "u", password: "cp" }],
];

describe("the classifier: field sets that are never a login step", () => {
  for (const [label, html] of NEVER) {
    it(label, () => assert.deepEqual(read(html), NONE));
  }
});

describe("the classifier: login steps", () => {
  for (const [label, html, expected] of LOGIN) {
    it(label, () => assert.deepEqual(read(html), { ...NONE, ...expected }));
  }
});
