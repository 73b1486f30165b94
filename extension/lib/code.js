// Verification-code fields, only on real evidence: `autocomplete="one-time-code"` (HTML autofill
// detail tokens), or a name, id, label or placeholder that means a one-time, verification, 2FA,
// MFA or authenticator code. "Code" alone is not enough (postal, promo, coupon, country, area,
// discount and invite codes are codes too), and neither is "digit"; a bare "code" or "PIN" counts
// only where its form or page speaks of verification.

import {
  ancestors,
  autofillToken,
  commonAncestor,
  headingText,
  hints,
  inputType,
  labelledBy,
  maxLength,
} from "./dom.js";

const CODE_TYPES = new Set(["", "text", "tel", "number", "password"]);
// Words that on their own mean a one-time code.
const CODE_WORDS =
  /(^|[^a-z])(otp|totp|2fa|mfa)|one.?time|two.?factor|2.?step|two.?step|multi.?factor|authenticator|passcode|(verif\w*|security|auth\w*|sms|login|sign.?in|confirmation)[\s_-]*(code|pin|token)/i;
// "code" or "pin" alone: a code only where the form or page speaks of verification.
const BARE_CODE = /(^|[^a-z])(code|pin)([^a-z]|$)/i;
const VERIFICATION_CONTEXT = /verif|one.?time|two.?factor|2.?step|two.?step|multi.?factor|authenticat|2fa|mfa|otp/i;
// Codes that are not ours, whatever else the field says.
const NOT_CODE =
  /postal|post.?code|\bzip|promo|coupon|voucher|gift|country|area|discount|invite|invitation|referr|region|dial|phone|\btax|vat|iban|swift|sort.?code|product|captcha|cvv|cvc|\bcsc\b|card|rules|hint|question|answer/i;

function isNumericEntry(el) {
  return (el.getAttribute("inputmode") || "").toLowerCase() === "numeric" || inputType(el) === "number";
}

/** Whether the field itself says it is a one-time code (no context needed). */
export function saysCode(el) {
  const token = autofillToken(el);
  if (token === "one-time-code") {
    return true;
  }
  if (!CODE_TYPES.has(inputType(el)) || token === "username" || token.endsWith("password") || token === "email") {
    return false;
  }
  const text = hints(el);
  return CODE_WORDS.test(text) && !NOT_CODE.test(text);
}

function contextText(el, scope) {
  const doc = el.ownerDocument;
  const title = doc && doc.querySelector ? doc.querySelector("title") : null;
  const top = doc && doc.querySelectorAll ? [...doc.querySelectorAll("h1, h2")].map((h) => h.textContent || "") : [];
  return `${headingText(scope)} ${title ? title.textContent || "" : ""} ${top.join(" ")}`;
}

/** Whether `el` (in `scope`) is a verification-code field. */
export function isCodeField(el, scope) {
  if (saysCode(el)) {
    return true;
  }
  const token = autofillToken(el);
  const named = token !== "" && token !== "off" && token !== "on";
  if (!CODE_TYPES.has(inputType(el)) || inputType(el) === "password" || named) {
    return false; // a password-type field must say "code" itself; a named token is something else
  }
  const text = hints(el);
  return BARE_CODE.test(text) && !NOT_CODE.test(text) && VERIFICATION_CONTEXT.test(contextText(el, scope));
}

// One box per digit: a row of N similar inputs (N from 4 to 8, as TOTP codes are 6 to 8 digits
// and some sites use 4), each taking one character (maxlength=1) or made for digits (type=number,
// inputmode=numeric, a one-digit pattern, or a box too narrow for more than a few characters).
const MIN_BOXES = 4;
const MAX_BOXES = 8;
const NARROW_PX = 64;

function digitBox(el, view) {
  if (!CODE_TYPES.has(inputType(el)) || (inputType(el) === "password" && maxLength(el) !== 1)) {
    return false;
  }
  const len = maxLength(el);
  if (len !== null && len !== 1) {
    return false;
  }
  const pattern = el.getAttribute("pattern") || "";
  return len === 1 || isNumericEntry(el) || /^(\[0-9\]|\\d)$/.test(pattern) || view.rect(el).width <= NARROW_PX;
}

function similar(a, b) {
  return inputType(a) === inputType(b) && maxLength(a) === maxLength(b) &&
    (a.getAttribute("inputmode") || "") === (b.getAttribute("inputmode") || "");
}

function depthBetween(el, top) {
  let depth = 0;
  for (const node of ancestors(el)) {
    depth += 1;
    if (node === top) {
      return depth;
    }
  }
  return Infinity;
}

/**
 * The rows of digit boxes among `usable` (in document order) that have code evidence: a box that
 * says code, or a group label (aria-label, aria-labelledby, legend, heading) or page that does.
 * @returns {Element[][]}
 */
export function digitRows(usable, view) {
  const rows = [];
  let row = [];
  const close = () => {
    if (row.length >= MIN_BOXES && row.length <= MAX_BOXES) {
      rows.push(row);
    }
    row = [];
  };
  for (const el of usable) {
    if (!digitBox(el, view)) {
      close();
      continue;
    }
    const prev = row[row.length - 1];
    // Neighbours: alike, and no more than three levels of wrappers apart.
    const near = prev && similar(prev, el) && depthBetween(el, commonAncestor(prev, el)) <= 3;
    if (!near) {
      close();
    }
    row.push(el);
  }
  close();
  return rows.filter((boxes) => {
    if (boxes.some(saysCode)) {
      return true;
    }
    const group = boxes.reduce((a, b) => commonAncestor(a, b));
    const groupText = `${group && group.getAttribute ? group.getAttribute("aria-label") || "" : ""} ` +
      `${group && group.getAttribute ? labelledBy(group) : ""} ${headingText(group)}`;
    const negative = boxes.some((b) => NOT_CODE.test(hints(b))) || NOT_CODE.test(groupText);
    if (negative) {
      return false;
    }
    if (CODE_WORDS.test(groupText) || (BARE_CODE.test(groupText) && VERIFICATION_CONTEXT.test(contextText(boxes[0], group)))) {
      return true;
    }
    return VERIFICATION_CONTEXT.test(contextText(boxes[0], group));
  });
}
