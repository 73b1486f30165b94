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

function fieldsOf(doc, view, expectedOrigin) {
  return findLoginFields(doc, view, {
    frameDocument: (frame) => sameOriginFrameDocument(frame, expectedOrigin),
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
 * What the flow needs to know of the page now: `{origin, username, password, code, error}`.
 * The origin is the live one, so the background can refuse a page that is not the account's.
 */
export function readPage(doc, view, expectedOrigin) {
  const fields = fieldsOf(doc, view, expectedOrigin);
  return { origin: liveOrigin(doc, view), ...pageSteps(fields), error: showsError(doc, view, fields) };
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

function submit(field, doc, view, expectedOrigin) {
  const { form, button } = findSubmit(field, view);
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
    if (typeof form.requestSubmit === "function") {
      form.requestSubmit();
    } else {
      form.submit();
    }
    return { ok: true, reason: null };
  }
  return { ok: false, reason: "no_submit" };
}

/**
 * Carry out one flow action (`fill` or `submit`) on `doc`, or refuse it.
 * @returns {{ok: boolean, reason: string | null}}
 */
export function perform(action, doc, view, expectedOrigin) {
  const where = matchOrigin(liveUrl(doc, view), expectedOrigin);
  if (!where.ok) {
    return { ok: false, reason: where.reason };
  }
  const fields = fieldsOf(doc, view, expectedOrigin);
  const target = action.field === "code" ? fields.code : fields[action.field];
  if (!target || (Array.isArray(target) && target.length === 0)) {
    return { ok: false, reason: `no_${action.field}_field` };
  }
  if (action.type === "fill") {
    const filled = action.field === "code" ? fillCode(target, action.value) : setValue(target, action.value);
    return filled ? { ok: true, reason: null } : { ok: false, reason: `fill_${action.field}_failed` };
  }
  if (action.type === "submit") {
    const field = Array.isArray(target) ? target[target.length - 1] : target;
    return submit(field, doc, view, expectedOrigin);
  }
  return { ok: false, reason: "unknown_action" };
}
