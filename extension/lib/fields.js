// Finding the login fields a page shows now: username, current password, verification code.
//
// Precision first: a field is chosen only in a form (or formless container) that is not one of
// the classes never filled (sign-up, change or reset password, newsletter, search, payment,
// address, profile; see intent.js), and only on evidence. Order of evidence: the page's
// `autocomplete` tokens (HTML "autofill detail tokens": username, current-password,
// one-time-code, webauthn), then names, labels, buttons and headings. The username comes from
// the password's own form (formless: the nearest container they share), never from another form.
// A field a person cannot see or use is never chosen (visibility.js).

import { isCodeField, digitRows } from "./code.js";
import {
  autofillToken,
  autofillTokens,
  collectInputs,
  commonAncestor,
  ancestors,
  formOf,
  hints,
  inputType,
  maxLength,
  tagOf,
} from "./dom.js";
import {
  LOGIN_TEXT,
  isNever,
  isNewPassword,
  neverClassOf,
  pageHeadings,
  judge,
} from "./intent.js";
import { refusalReason } from "./visibility.js";

export { autofillToken, collectInputs, formOf, labelText, sameOriginFrameDocument } from "./dom.js";
export { domView, hiddenReason, refusalReason } from "./visibility.js";
export { findSubmit } from "./submit.js";

const TEXT_TYPES = new Set(["", "text", "email", "tel"]);
const IDENTITY_HINT = /user|login|e-?mail|identifier|account|member|\bid\b/i;
// A name or label that on its own says "the identifier of a login" (not merely "email").
const LOGIN_NAME = /user.?name|user.?id|login|logon|sign.?in|identifier|account.?(name|id)|member.?id/i;

function isUsernameCandidate(el) {
  const token = autofillToken(el);
  if (!TEXT_TYPES.has(inputType(el))) {
    return false;
  }
  if (token === "username" || token === "email") {
    return true;
  }
  // A field the page names for something else (search, a one-time code, an address) is not one.
  return (token === "" || token === "on" || token === "off") && (el.getAttribute("role") || "") !== "searchbox";
}

function isLoginPassword(el) {
  if (inputType(el) !== "password") {
    return false;
  }
  const token = autofillToken(el);
  if (token === "new-password" || token === "one-time-code" || maxLength(el) === 1) {
    return false;
  }
  return token === "current-password" || !isNewPassword(el);
}

function openDialogs(inputs) {
  const dialogs = new Set();
  for (const el of inputs) {
    for (const a of ancestors(el)) {
      const isDialog = tagOf(a) === "DIALOG" || (a.getAttribute && a.getAttribute("role") === "dialog") ||
        (a.getAttribute && a.getAttribute("aria-modal") === "true");
      if (isDialog) {
        dialogs.add(a);
      }
    }
  }
  return [...dialogs];
}

function depth(node) {
  return node ? ancestors(node).length : -1;
}

/** The username of `password`'s own form, or (formless) of the nearest container they share. */
function usernameFor(password, names, order) {
  const form = formOf(password);
  const before = names.filter((el) => order.get(el) < order.get(password) && formOf(el) === form);
  if (before.length === 0) {
    return null;
  }
  const tokened = before.find((el) => autofillToken(el) === "username");
  if (tokened) {
    return tokened;
  }
  if (form) {
    return before[before.length - 1];
  }
  // Formless: the candidate sharing the deepest container with the password; the last one wins ties.
  let best = null;
  let bestDepth = -1;
  for (const el of before) {
    const d = depth(commonAncestor(el, password));
    if (d >= bestDepth) {
      best = el;
      bestDepth = d;
    }
  }
  return best;
}

/** Whether a lone identifier field shows evidence of a login (not merely "an email field"). */
function identifierEvidence(el, intent) {
  if (autofillToken(el) === "username" || autofillTokens(el).includes("webauthn")) {
    return true;
  }
  if (intent === "login") {
    return true;
  }
  // A page about something else (a reset, a sign-up, a newsletter) lends no evidence.
  const page = pageHeadings(el);
  if (neverClassOf(page)) {
    return false;
  }
  const own = `${el.getAttribute("name") || ""} ${el.getAttribute("id") || ""} ${hints(el)}`;
  return LOGIN_NAME.test(own) || LOGIN_TEXT.test(page);
}

function chooseCode(usable, view, password, judged) {
  const rows = digitRows(usable.filter((el) => el !== password), view).filter(
    (row) => !isNever(judged.intent(row[0])),
  );
  const inRow = new Set(rows.flat());
  const singles = usable
    .filter((el) => el !== password && !inRow.has(el) && maxLength(el) !== 1 && isCodeField(el, judged.scope(el)))
    .filter((el) => !isNever(judged.intent(el)))
    .map((el) => [el]);
  const groups = [...rows, ...singles];
  const first = (group) => usable.indexOf(group[0]);
  groups.sort((a, b) => first(a) - first(b));
  return groups.find((g) => g.some((el) => autofillToken(el) === "one-time-code")) || groups[0] || [];
}

/**
 * The login fields `root` shows now.
 * @returns {{username: Element | null, identifier: Element | null, password: Element | null,
 *            code: Element[], refused: {element: Element, reason: string}[],
 *            skipped: {element: Element, intent: string}[]}}
 * `identifier` is a lone identifier field without login evidence: only the step after one of
 * the same flow may fill it (the flow decides); `skipped` names fields left alone for their form.
 */
export function findLoginFields(root, view, options = {}) {
  const all = collectInputs(root, options);
  // Traversal order is document order through shadow trees, where compareDocumentPosition is not.
  const order = new Map(all.map((el, i) => [el, i]));
  const refused = [];
  let usable = [];
  for (const el of all) {
    const reason = refusalReason(el, view);
    if (reason) {
      refused.push({ element: el, reason });
    } else {
      usable.push(el);
    }
  }
  // A login in a dialog: the dialog is what the person is looking at, the page behind is not.
  const inDialog = openDialogs(usable);
  if (inDialog.length > 0) {
    const dialog = inDialog[inDialog.length - 1];
    usable = usable.filter((el) => ancestors(el).includes(dialog));
  }

  const judged = judge(usable);
  const skipped = [];
  const allowed = (el) => {
    const intent = judged.intent(el);
    if (isNever(intent)) {
      skipped.push({ element: el, intent });
      return false;
    }
    return true;
  };

  // A password-type field that says it is a verification code is a code field, not the password.
  const codeLike = new Set(
    usable.filter((el) => inputType(el) === "password" && isCodeField(el, judged.scope(el))),
  );
  const passwords = usable.filter((el) => isLoginPassword(el) && !codeLike.has(el)).filter(allowed);
  const password =
    passwords.find((el) => autofillToken(el) === "current-password") || passwords[0] || null;
  const code = chooseCode(usable, view, password, judged);

  const names = usable.filter(
    (el) => isUsernameCandidate(el) && !code.includes(el) && !isCodeField(el, judged.scope(el)),
  );
  let username = null;
  let identifier = null;
  if (password) {
    username = usernameFor(password, names, order);
  } else if (code.length === 0) {
    // No password shown: perhaps an identifier-first step.
    const lone = names.filter(allowed);
    const candidate =
      lone.find((el) => autofillToken(el) === "username") ||
      lone.find((el) => inputType(el) === "email" || autofillToken(el) === "email") ||
      lone.find((el) => IDENTITY_HINT.test(hints(el))) ||
      null;
    if (candidate && identifierEvidence(candidate, judged.intent(candidate))) {
      username = candidate;
    } else {
      identifier = candidate;
    }
  }
  return { username, identifier, password, code, refused, skipped };
}

/** What a flow needs to know of a page: which steps it shows. */
export function pageSteps(fields) {
  return {
    username: Boolean(fields.username),
    identifier: Boolean(fields.identifier),
    password: Boolean(fields.password),
    code: fields.code.length > 0,
  };
}
