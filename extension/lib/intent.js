// What a form is for. A login assistant that fills a sign-up, a newsletter or a payment form is
// worse than none, so every field is judged with its form (or, formless, its nearest container
// with a button): first by structure (a new password, a card number, an address, a search box),
// then by the words on its buttons, headings and attributes. Links and help text are not read:
// "No account? Sign up" sits inside many login forms.

import { saysCode } from "./code.js";
import {
  ancestors,
  autofillToken,
  autofillTokens,
  controlText,
  formOf,
  headingText,
  hints,
  inputType,
  rootOf,
  tagOf,
} from "./dom.js";

export const LOGIN_TEXT = /sign.?in|log.?in|log.?on|sign.?on|anmelden|connexion|iniciar sesi|accedi/i;
// What a submit control of a login step says (WHATWG "next"/"continue" steps included).
export const SUBMIT_TEXT =
  /sign.?in|log.?in|log.?on|sign.?on|\bnext\b|continue|verify|submit|weiter|suivant|anmelden|connexion/i;
// Words that put a form in a class that is never filled, checked in this order.
const NEVER_WORDS = [
  ["new_password", /forgot|reset.{0,16}(password|link)|change.{0,16}password|new.?password|update.{0,16}password|recover/i],
  ["signup", /sign.?up|regist|create.{0,16}account|join\b|enrol/i],
  ["newsletter", /newsletter|subscri/i],
  ["search", /search/i],
  ["payment", /payment|checkout|billing|credit.?card|card.?number|pay\b|purchase/i],
  ["address", /shipping|delivery|street|postal.?address/i],
  ["profile", /profile|account.?settings|preferences|contact.?(us|form)|feedback|comment/i],
];
const NEW_PASSWORD_HINT = /new|confirm|repeat|retype|again|verify|re.?enter|password2|pass2/i;
const PAYMENT_TOKEN = /^cc-|^transaction-/;
const ADDRESS_TOKEN =
  /^(street-address|address-line\d|address-level\d|postal-code|country|country-name)$/;
const PROFILE_TOKEN =
  /^(name|given-name|family-name|additional-name|honorific-\w+|nickname|bday(-\w+)?|sex|organization-title|photo)$/;
const PAYMENT_HINT = /card.?(number|no)|cc.?num|cvv|cvc|\bcsc\b|expir/i;
const ADDRESS_HINT = /postal|\bzip\b|post.?code|street|\bcity\b/i;
const PROFILE_HINT = /first.?name|last.?name|surname|full.?name|birth|\bdob\b/i;
const TEXTUAL = new Set(["", "text", "email", "tel", "number", "url", "search"]);

function isButtonLike(el) {
  const tag = tagOf(el);
  const type = inputType(el);
  return tag === "BUTTON" || (tag === "INPUT" && ["submit", "button", "image"].includes(type)) ||
    (el.getAttribute && el.getAttribute("role") === "button");
}

/**
 * Where a field belongs: its form, else the nearest container that also holds a button-like
 * control (the formless "form"), else its document's body.
 */
export function scopeOf(el) {
  const form = formOf(el);
  if (form) {
    return form;
  }
  for (const node of ancestors(el)) {
    if (!node.querySelectorAll || !node.getAttribute) {
      continue;
    }
    if ([...node.querySelectorAll("button, input, [role=button]")].some(isButtonLike)) {
      return node;
    }
  }
  const root = rootOf(el);
  return (root && root.body) || (el.ownerDocument && el.ownerDocument.body) || null;
}

/** Whether `el` is a password field for a new password (sign-up, change, reset). */
export function isNewPassword(el) {
  if (inputType(el) !== "password") {
    return false;
  }
  const token = autofillToken(el);
  if (token === "new-password") {
    return true;
  }
  if (token === "current-password") {
    return false;
  }
  return NEW_PASSWORD_HINT.test(`${el.getAttribute("name") || ""} ${el.getAttribute("id") || ""}`) ||
    /new|confirm|repeat|re-?enter|again/i.test(hints(el));
}

function submitControls(scope) {
  if (!scope || !scope.querySelectorAll) {
    return [];
  }
  if (tagOf(scope) !== "FORM") {
    return [...scope.querySelectorAll("button, input, [role=button]")].filter(isButtonLike);
  }
  const inside = [...scope.querySelectorAll("button, input")].filter((el) => {
    const type = inputType(el);
    return (tagOf(el) === "BUTTON" && (type === "" || type === "submit")) ||
      (tagOf(el) === "INPUT" && (type === "submit" || type === "image"));
  });
  const id = scope.getAttribute && scope.getAttribute("id");
  const root = rootOf(scope);
  if (id && root && root.querySelectorAll) {
    inside.push(...[...root.querySelectorAll("button[form], input[form]")].filter(
      (el) => el.getAttribute("form") === id,
    ));
  }
  return inside;
}

function structuralClass(fields) {
  // A password-type field that says it is a verification code is not a second password.
  const passwords = fields.filter((el) => inputType(el) === "password" && !saysCode(el));
  if (passwords.some(isNewPassword) || passwords.length > 1) {
    return "new_password";
  }
  for (const el of fields) {
    const tokens = autofillTokens(el);
    const named = `${el.getAttribute("name") || ""} ${el.getAttribute("id") || ""}`;
    if (tokens.some((t) => PAYMENT_TOKEN.test(t)) || PAYMENT_HINT.test(named)) {
      return "payment";
    }
    if (tokens.some((t) => ADDRESS_TOKEN.test(t)) || ADDRESS_HINT.test(named)) {
      return "address";
    }
    if (tokens.some((t) => PROFILE_TOKEN.test(t)) || PROFILE_HINT.test(named)) {
      return "profile";
    }
    if (inputType(el) === "search" || el.getAttribute("role") === "searchbox") {
      return "search";
    }
  }
  const form = fields[0] ? formOf(fields[0]) : null;
  return form && (form.getAttribute("role") || "").toLowerCase() === "search" ? "search" : null;
}

export function neverClassOf(text) {
  for (const [kind, words] of NEVER_WORDS) {
    if (words.test(text)) {
      return kind;
    }
  }
  return null;
}

/**
 * What the form (or formless scope) of `el` is for, from the fields a person can use in it:
 * `"login"`, `"unknown"`, or the class that is never filled (`new_password`, `signup`,
 * `newsletter`, `search`, `payment`, `address`, `profile`, `too_many_fields`).
 * @param {Element} el a field of the scope
 * @param {Element[]} usable every usable field of the page
 */
export function scopeIntent(el, usable) {
  return judge(usable).intent(el);
}

/**
 * Scopes and intents for one reading of a page, each worked out once: a page is read every
 * second, and a formless scope costs a walk up the tree with a query at each level.
 * @param {Element[]} usable every usable field of the page
 */
export function judge(usable) {
  const scopes = new Map();
  const intents = new Map();
  const scope = (el) => {
    if (!scopes.has(el)) {
      scopes.set(el, scopeOf(el));
    }
    return scopes.get(el);
  };
  const intent = (el) => {
    const where = scope(el);
    const key = where || el;
    if (!intents.has(key)) {
      const fields = where ? usable.filter((f) => scope(f) === where) : [el];
      intents.set(key, intentOf(where, fields.length > 0 ? fields : [el]));
    }
    return intents.get(key);
  };
  return { scope, intent };
}

function intentOf(scope, fields) {
  const structural = structuralClass(fields);
  if (structural) {
    return structural;
  }
  const buttons = submitControls(scope).map(controlText).join(" ");
  const attrs = scope && scope.getAttribute
    ? ["id", "name", "class", "action", "aria-label"].map((a) => scope.getAttribute(a) || "").join(" ")
    : "";
  const words = `${attrs} ${headingText(scope)}`;
  // The buttons speak first: a "Sign in" button makes a login form whatever its class names.
  if (LOGIN_TEXT.test(buttons)) {
    return countsAsLogin(fields);
  }
  const never = neverClassOf(buttons) || neverClassOf(words);
  if (never) {
    return never;
  }
  if (LOGIN_TEXT.test(words)) {
    return countsAsLogin(fields);
  }
  // A form that says nothing of itself, under a page heading that says sign-up or reset.
  const page = topHeadings(fields[0]);
  const pageKind = neverClassOf(page);
  return PAGE_NEVER.has(pageKind) && !LOGIN_TEXT.test(page) ? pageKind : "unknown";
}

// Only these are read from the page's headings: a page title or banner about search or payment
// sits above many login forms, one about creating an account or a new password does not.
const PAGE_NEVER = new Set(["signup", "new_password"]);

function topHeadings(el) {
  const doc = el && el.ownerDocument;
  if (!doc || !doc.querySelectorAll) {
    return "";
  }
  return [...doc.querySelectorAll("h1, h2")].map((h) => h.textContent || "").join(" ");
}

// A login asks for an identifier, a password, maybe a code and one more thing (a company, a
// tenant); a form with more text fields than that is a profile or a sign-up form.
function countsAsLogin(fields) {
  const textual = fields.filter((f) => TEXTUAL.has(inputType(f)));
  return textual.length > 3 ? "too_many_fields" : "login";
}

/** The title and top headings of the document holding `el`: a page says what it is for. */
export function pageHeadings(el) {
  const doc = el.ownerDocument;
  if (!doc || !doc.querySelectorAll) {
    return "";
  }
  const title = doc.querySelector("title");
  const parts = [title ? title.textContent || "" : ""];
  for (const h of doc.querySelectorAll("h1, h2")) {
    parts.push(h.textContent || "");
  }
  return parts.join(" ");
}

export function isNever(intent) {
  return intent !== "login" && intent !== "unknown";
}
