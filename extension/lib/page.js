// The content script's work on one document, kept free of `chrome.*` so it runs anywhere:
// read which login steps the page shows, and carry out one action of the flow — each time
// re-checking the live URL against the account's origin first.

import { fillCode, setValue } from "./fill.js";
import { findLoginFields, findSubmit, pageSteps, sameOriginFrameDocument } from "./fields.js";
import { matchOrigin } from "./origin.js";

// The live URL, read at the moment of use (`view.url`, else the document's window).
function liveUrl(doc, view) {
  return view.url ? view.url() : doc.defaultView.location.href;
}

function liveOrigin(doc, view) {
  try {
    return new URL(liveUrl(doc, view)).origin;
  } catch {
    return "null";
  }
}

// `options.shadowRoot(el)`: the content script's key to closed shadow roots, when the browser
// lends one (chrome.dom.openOrClosedShadowRoot; Firefox's element.openOrClosedShadowRoot).
function fieldsOf(doc, view, expectedOrigin, options = {}) {
  return findLoginFields(doc, view, {
    frameDocument: (frame) => sameOriginFrameDocument(frame, expectedOrigin),
    shadowRoot: options.shadowRoot,
  });
}

function showsError(doc, view, fields) {
  const chosen = [fields.username, fields.password, ...fields.code].filter(Boolean);
  if (chosen.some((el) => (el.getAttribute("aria-invalid") || "") === "true")) {
    return true;
  }
  for (const el of doc.querySelectorAll("[role=alert], [aria-live=assertive]")) {
    const box = view.rect(el);
    if ((el.textContent || "").trim() && box.width > 0 && box.height > 0) {
      return true;
    }
  }
  return false;
}

/**
 * What the flow needs to know of the page now: `{origin, username, identifier, password, code,
 * usernameFilled, codeFilled, error}`. The origin is the live one, so the background can refuse a page that
 * is not the account's. `usernameFilled`: the identifier field shown already holds a value (the
 * step sent a moment ago, still on screen), as opposed to a new, empty identifier step;
 * `codeFilled`, the same for the code (a code just submitted, the next page not there yet).
 */
export function readPage(doc, view, expectedOrigin, options = {}) {
  const fields = fieldsOf(doc, view, expectedOrigin, options);
  const shown = fields.username || fields.identifier;
  return {
    origin: liveOrigin(doc, view),
    ...pageSteps(fields),
    usernameFilled: Boolean(shown && shown.value),
    codeFilled: fields.code.length > 0 && fields.code.every((el) => Boolean(el.value)),
    error: showsError(doc, view, fields),
  };
}

function targetAllowed(url, doc, view, expectedOrigin) {
  if (!url) {
    return true; // submits to the document's own URL
  }
  try {
    // Resolved as the browser will: against <base href> when the page has one.
    const base = doc.baseURI && doc.baseURI !== "about:blank" ? doc.baseURI : liveUrl(doc, view);
    return matchOrigin(new URL(url, base).href, expectedOrigin).ok;
  } catch {
    return false;
  }
}

function submit(field, companions, doc, view, expectedOrigin) {
  const { form, button } = findSubmit(field, view, companions);
  // Where the browser would send the form: the button's formaction, else the form's action.
  const action = (button && button.getAttribute("formaction")) || (form && form.getAttribute("action"));
  if (form && !targetAllowed(action, doc, view, expectedOrigin)) {
    return { ok: false, reason: "form_target_mismatch" };
  }
  if (button) {
    button.click();
    return { ok: true, reason: null };
  }
  if (form) {
    // The form's own submission: validation and submit listeners run, as on Enter.
    if (typeof form.requestSubmit !== "function") {
      return { ok: false, reason: "no_submit" };
    }
    form.requestSubmit();
    return { ok: true, reason: null };
  }
  return { ok: false, reason: "no_submit" };
}

/**
 * Carry out one flow action (`fill` or `submit`) on `doc`, or refuse it.
 * @returns {{ok: boolean, reason: string | null}}
 */
export function perform(action, doc, view, expectedOrigin, options = {}) {
  const where = matchOrigin(liveUrl(doc, view), expectedOrigin);
  if (!where.ok) {
    return { ok: false, reason: where.reason };
  }
  const fields = fieldsOf(doc, view, expectedOrigin, options);
  if (!["username", "identifier", "password", "code"].includes(action.field)) {
    return { ok: false, reason: "unknown_field" };
  }
  const target = fields[action.field];
  if (!target || (Array.isArray(target) && target.length === 0)) {
    return { ok: false, reason: `no_${action.field}_field` };
  }
  if (action.type === "fill") {
    const filled = action.field === "code" ? fillCode(target, action.value) : setValue(target, action.value);
    return filled ? { ok: true, reason: null } : { ok: false, reason: `fill_${action.field}_failed` };
  }
  if (action.type === "submit") {
    const filled = Array.isArray(target) ? target : [target];
    const companions = action.field === "password" && fields.username ? [fields.username, ...filled] : filled;
    return submit(filled[filled.length - 1], companions, doc, view, expectedOrigin);
  }
  return { ok: false, reason: "unknown_action" };
}
