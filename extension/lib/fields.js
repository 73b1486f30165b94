// Finding the login fields a page shows now: username, current password, verification code.
//
// Works on any DOM-like tree through attributes (not IDL properties, which a page can shadow)
// and a small `view` for what only layout knows:
//
//   view.style(el) -> {display, visibility, opacity, overflowX, overflowY, clip, clipPath}
//   view.rect(el)  -> {left, top, width, height} in page coordinates
//
// `domView(window)` is the browser's; tests pass their own. Order of evidence: the page's
// `autocomplete` tokens (HTML "autofill detail tokens": username, current-password,
// one-time-code), then heuristics. A field a person cannot see or use is never chosen, so
// honeypots and decoys stay empty; `new-password` fields are never a login password.

const TEXT_TYPES = new Set(["", "text", "email", "tel"]);
const CODE_TYPES = new Set(["", "text", "tel", "number", "password"]);
const MIN_SIZE = 4; // px: a 1×1 input is a trap, not a field
const IDENTITY_HINT = /user|login|e-?mail|identifier|account|member|\bid\b/i;
const CODE_HINT =
  /otp|one.?time|totp|2fa|mfa|verif|passcode|pin\b|security.?code|auth\w*.?code|\bcode\b|token|digit/i;
const NEW_PASSWORD_HINT = /new|confirm|repeat|retype|again|verify/i;
const SUBMIT_TEXT = /sign.?in|log.?in|next|continue|submit|verify|confirm|weiter|suivant|go\b/i;

/** The layout facts of a live browser window. */
export function domView(win) {
  return {
    url: () => win.location.href,
    style: (el) => win.getComputedStyle(el),
    rect: (el) => {
      const r = el.getBoundingClientRect();
      return { left: r.left + win.scrollX, top: r.top + win.scrollY, width: r.width, height: r.height };
    },
  };
}

/** The autofill field name of an input (its last `autocomplete` token), lower-case, or "". */
export function autofillToken(el) {
  const tokens = (el.getAttribute("autocomplete") || "").toLowerCase().trim().split(/\s+/);
  const named = tokens.filter((t) => t && t !== "webauthn");
  return named.length > 0 ? named[named.length - 1] : "";
}

function inputType(el) {
  return (el.getAttribute("type") || "").toLowerCase().trim();
}

function parentOf(node) {
  // Cross shadow boundaries: a shadow root's parent is its host.
  return node.parentElement || (node.parentNode && node.parentNode.host) || null;
}

function ancestors(el) {
  const found = [];
  for (let node = parentOf(el); node; node = parentOf(node)) {
    found.push(node);
  }
  return found;
}

/** Every <input> under `root`, in document order, through open shadow roots and same-origin frames. */
export function collectInputs(root, options = {}) {
  const found = [];
  const visit = (node) => {
    for (let child = node.firstElementChild; child; child = child.nextElementSibling) {
      const tag = child.tagName.toUpperCase();
      if (tag === "INPUT") {
        found.push(child);
      }
      if (child.shadowRoot) {
        visit(child.shadowRoot);
      }
      if ((tag === "IFRAME" || tag === "FRAME") && options.frameDocument) {
        const doc = options.frameDocument(child);
        if (doc && doc.documentElement) {
          visit(doc);
        }
      }
      if (tag === "TEMPLATE") {
        continue; // inert content, not in the page
      }
      visit(child);
    }
  };
  visit(root);
  return found;
}

/**
 * The document of a same-origin, unsandboxed frame, or null. A cross-origin frame's document is
 * out of reach (null or a SecurityError); a sandboxed one is refused even when reachable.
 */
export function sameOriginFrameDocument(frame, expectedOrigin) {
  if (frame.hasAttribute("sandbox")) {
    return null;
  }
  try {
    const doc = frame.contentDocument;
    const origin = doc && doc.defaultView && doc.defaultView.location.origin;
    return origin === expectedOrigin ? doc : null;
  } catch {
    return null;
  }
}

function isDisabled(el) {
  if (el.hasAttribute("disabled")) {
    return true;
  }
  return ancestors(el).some(
    (a) => a.tagName && a.tagName.toUpperCase() === "FIELDSET" && a.hasAttribute("disabled"),
  );
}

function hiddenByMarkup(el) {
  for (const node of [el, ...ancestors(el)]) {
    if (!node.getAttribute) {
      continue;
    }
    if (node.hasAttribute("hidden") || node.hasAttribute("inert")) {
      return true;
    }
    if ((node.getAttribute("aria-hidden") || "").toLowerCase() === "true") {
      return true;
    }
    if (node.tagName.toUpperCase() === "DIALOG" && !node.hasAttribute("open")) {
      return true;
    }
  }
  return false;
}

function hiddenByStyle(style) {
  if (!style) {
    return false;
  }
  if (style.display === "none" || style.visibility === "hidden" || style.visibility === "collapse") {
    return true;
  }
  if (style.opacity !== undefined && style.opacity !== "" && Number(style.opacity) < 0.1) {
    return true;
  }
  if (/rect\(\s*0(px)?[\s,]+0(px)?[\s,]+0(px)?[\s,]+0(px)?\s*\)/.test(style.clip || "")) {
    return true;
  }
  return /inset\(\s*50%/.test(style.clipPath || "");
}

function plain(style) {
  // A CSSStyleDeclaration does not spread; copy the properties this module reads.
  const keys = ["display", "visibility", "opacity", "overflowX", "overflowY", "clip", "clipPath"];
  return Object.fromEntries(keys.map((k) => [k, style[k]]));
}

function clips(style) {
  return ["hidden", "clip", "scroll", "auto"].includes(style.overflowX) ||
    ["hidden", "clip", "scroll", "auto"].includes(style.overflowY);
}

/** Why a person could not see `el` (a reason), or null when it is visible. */
export function hiddenReason(el, view) {
  if (hiddenByMarkup(el)) {
    return "hidden_markup";
  }
  if (hiddenByStyle(view.style(el))) {
    return "hidden_style";
  }
  const box = view.rect(el);
  if (box.width < MIN_SIZE || box.height < MIN_SIZE) {
    return "zero_size";
  }
  if (box.left + box.width <= 0 || box.top + box.height <= 0) {
    return "off_screen";
  }
  for (const node of ancestors(el)) {
    if (!node.getAttribute) {
      continue; // the document
    }
    // Not `visibility`: it inherits, and a child may set it back to visible.
    const style = view.style(node);
    if (hiddenByStyle(style && { ...plain(style), visibility: "visible" })) {
      return "hidden_style";
    }
    if (style && clips(style)) {
      const outer = view.rect(node);
      const w = Math.min(box.left + box.width, outer.left + outer.width) - Math.max(box.left, outer.left);
      const h = Math.min(box.top + box.height, outer.top + outer.height) - Math.max(box.top, outer.top);
      if (w < MIN_SIZE || h < MIN_SIZE) {
        return "clipped";
      }
    }
  }
  return null;
}

/** Why `el` must not be filled (a reason), or null when it may be. */
export function refusalReason(el, view) {
  if (isDisabled(el)) {
    return "disabled";
  }
  if (el.hasAttribute("readonly")) {
    return "readonly";
  }
  if (inputType(el) === "hidden") {
    return "hidden_type";
  }
  if ((el.getAttribute("tabindex") || "").trim() === "-1") {
    return "decoy_tabindex";
  }
  return hiddenReason(el, view);
}

function rootOf(el) {
  return el.getRootNode ? el.getRootNode() : el.ownerDocument;
}

/** The text people read for a field: aria-label, its <label>s, aria-labelledby, placeholder. */
export function labelText(el) {
  const parts = [el.getAttribute("aria-label") || ""];
  const root = rootOf(el);
  const id = el.getAttribute("id");
  if (id && root && root.querySelectorAll) {
    for (const label of root.querySelectorAll("label")) {
      if (label.getAttribute("for") === id) {
        parts.push(label.textContent || "");
      }
    }
  }
  const wrapping = ancestors(el).find((a) => a.tagName && a.tagName.toUpperCase() === "LABEL");
  if (wrapping) {
    parts.push(wrapping.textContent || "");
  }
  for (const ref of (el.getAttribute("aria-labelledby") || "").split(/\s+/).filter(Boolean)) {
    const target = root && root.getElementById ? root.getElementById(ref) : null;
    if (target) {
      parts.push(target.textContent || "");
    }
  }
  parts.push(el.getAttribute("placeholder") || "");
  return parts.join(" ").replace(/\s+/g, " ").trim();
}

function hints(el) {
  return [el.getAttribute("name"), el.getAttribute("id"), labelText(el)].filter(Boolean).join(" ");
}

function maxLength(el) {
  const value = Number.parseInt(el.getAttribute("maxlength") || "", 10);
  return Number.isFinite(value) ? value : null;
}

function isNumericEntry(el) {
  return (el.getAttribute("inputmode") || "").toLowerCase() === "numeric" || inputType(el) === "number";
}

function looksLikeCode(el) {
  const token = autofillToken(el);
  if (token === "one-time-code") {
    return true;
  }
  if (!CODE_TYPES.has(inputType(el)) || token === "username" || token.endsWith("password")) {
    return false;
  }
  if (inputType(el) === "password" && maxLength(el) !== 1) {
    return false;
  }
  const length = maxLength(el);
  if (length === 1 && (isNumericEntry(el) || CODE_HINT.test(hints(el)))) {
    return true;
  }
  if (CODE_HINT.test(hints(el)) && !IDENTITY_HINT.test(el.getAttribute("name") || "")) {
    return true;
  }
  return isNumericEntry(el) && length !== null && length >= 4 && length <= 10;
}

function isUsernameCandidate(el) {
  const token = autofillToken(el);
  if (!TEXT_TYPES.has(inputType(el))) {
    return false;
  }
  if (token === "username" || token === "email") {
    return true;
  }
  // A field the page names for something else (search, a one-time code, an address) is not one.
  return (token === "" || token === "on" || token === "off") && !looksLikeCode(el) &&
    (el.getAttribute("role") || "") !== "searchbox";
}

function isLoginPassword(el) {
  if (inputType(el) !== "password") {
    return false;
  }
  const token = autofillToken(el);
  if (token === "new-password" || token === "one-time-code" || maxLength(el) === 1) {
    return false;
  }
  if (token === "current-password") {
    return true;
  }
  return !NEW_PASSWORD_HINT.test(`${el.getAttribute("name") || ""} ${el.getAttribute("id") || ""}`);
}

function codeGroup(first, usable) {
  // A code split over one box per digit: the one-character boxes beside the first one.
  if (maxLength(first) !== 1) {
    return [first];
  }
  const container = ancestors(first).find((a) => {
    const tag = a.tagName ? a.tagName.toUpperCase() : "";
    return tag === "FIELDSET" || tag === "FORM" || a.children.length > 1;
  });
  const boxes = usable.filter(
    (el) => maxLength(el) === 1 && looksLikeCode(el) && container && container.contains(el),
  );
  return boxes.length >= 4 && boxes.length <= 10 ? boxes : [first];
}

function openDialogs(inputs) {
  const dialogs = new Set();
  for (const el of inputs) {
    for (const a of ancestors(el)) {
      const tag = a.tagName ? a.tagName.toUpperCase() : "";
      const isDialog = tag === "DIALOG" || (a.getAttribute && a.getAttribute("role") === "dialog") ||
        (a.getAttribute && a.getAttribute("aria-modal") === "true");
      if (isDialog) {
        dialogs.add(a);
      }
    }
  }
  return [...dialogs];
}

/**
 * The login fields `root` shows now.
 * @returns {{username: Element | null, password: Element | null, code: Element[],
 *            refused: {element: Element, reason: string}[]}}
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

  const passwords = usable.filter(isLoginPassword);
  const password =
    passwords.find((el) => autofillToken(el) === "current-password") || passwords[0] || null;

  const codeStart =
    usable.find((el) => autofillToken(el) === "one-time-code" && el !== password) ||
    usable.find((el) => el !== password && looksLikeCode(el)) ||
    null;
  const code = codeStart ? codeGroup(codeStart, usable) : [];

  const names = usable.filter((el) => isUsernameCandidate(el) && !code.includes(el));
  let username = null;
  if (password) {
    const before = names.filter((el) => order.get(el) < order.get(password));
    username =
      before.find((el) => autofillToken(el) === "username") || before[before.length - 1] || null;
  } else if (code.length === 0 && !usable.some((el) => autofillToken(el) === "new-password")) {
    // No password shown: an identifier-first step, unless the page is a sign-up form.
    username =
      names.find((el) => autofillToken(el) === "username") ||
      names.find((el) => inputType(el) === "email" || autofillToken(el) === "email") ||
      names.find((el) => IDENTITY_HINT.test(hints(el))) ||
      null;
  }
  return { username, password, code, refused };
}

/** What a flow needs to know of a page: which steps it shows. */
export function pageSteps(fields) {
  return { username: Boolean(fields.username), password: Boolean(fields.password), code: fields.code.length > 0 };
}

function buttonText(el) {
  return `${el.textContent || ""} ${el.getAttribute("value") || ""} ${el.getAttribute("aria-label") || ""}`;
}

function isSubmitControl(el) {
  const tag = el.tagName.toUpperCase();
  const type = inputType(el);
  return (tag === "BUTTON" && (type === "" || type === "submit")) ||
    (tag === "INPUT" && (type === "submit" || type === "image"));
}

/** The form a field belongs to (its `form` attribute, else its ancestor <form>), or null. */
export function formOf(el) {
  const id = el.getAttribute("form");
  const root = rootOf(el);
  if (id && root && root.getElementById) {
    const named = root.getElementById(id);
    if (named && named.tagName.toUpperCase() === "FORM") {
      return named;
    }
  }
  return ancestors(el).find((a) => a.tagName && a.tagName.toUpperCase() === "FORM") || null;
}

/**
 * How to submit what `field` belongs to: `{form, button}` (either may be null). The button is a
 * visible, enabled submit control of the form, or, for formless fields, the nearest visible
 * button whose text reads like a login step.
 */
export function findSubmit(field, view) {
  const form = formOf(field);
  const usableButton = (el) => !isDisabled(el) && hiddenReason(el, view) === null;
  if (form) {
    const controls = [...form.querySelectorAll("button, input")].filter(isSubmitControl);
    const root = rootOf(form);
    const formId = form.getAttribute("id");
    if (formId && root && root.querySelectorAll) {
      controls.push(
        ...[...root.querySelectorAll("button[form], input[form]")].filter(
          (el) => el.getAttribute("form") === formId && isSubmitControl(el),
        ),
      );
    }
    return { form, button: controls.find(usableButton) || null };
  }
  for (const scope of ancestors(field)) {
    if (!scope.querySelectorAll) {
      continue;
    }
    const buttons = [...scope.querySelectorAll("button, input[type=submit], input[type=button], [role=button]")]
      .filter((el) => el !== field && usableButton(el));
    const button = buttons.find((el) => SUBMIT_TEXT.test(buttonText(el))) ||
      buttons.find(isSubmitControl);
    if (button) {
      return { form: null, button };
    }
  }
  return { form: null, button: null };
}
