// Reading a page's tree the way the field finder needs it: through shadow roots (closed ones too,
// when the browser lends the content script a key), into same-origin frames, and always through
// attributes rather than IDL properties, which a page can shadow.

export function tagOf(node) {
  return node && node.tagName ? node.tagName.toUpperCase() : "";
}

export function inputType(el) {
  return (el.getAttribute("type") || "").toLowerCase().trim();
}

/** The autocomplete tokens of a field, lower-case ("section-x shipping email webauthn" → 4). */
export function autofillTokens(el) {
  return (el.getAttribute("autocomplete") || "").toLowerCase().trim().split(/\s+/).filter(Boolean);
}

/** The autofill field name of an input (its last `autocomplete` token but webauthn), or "". */
export function autofillToken(el) {
  const named = autofillTokens(el).filter((t) => t !== "webauthn");
  return named.length > 0 ? named[named.length - 1] : "";
}

export function parentOf(node) {
  // Cross shadow boundaries: a shadow root's parent is its host.
  return node.parentElement || (node.parentNode && node.parentNode.host) || null;
}

export function ancestors(el) {
  const found = [];
  for (let node = parentOf(el); node; node = parentOf(node)) {
    found.push(node);
  }
  return found;
}

export function rootOf(el) {
  return el.getRootNode ? el.getRootNode() : el.ownerDocument;
}

/** Whether `outer` holds `inner`, across shadow boundaries. */
export function holds(outer, inner) {
  return outer === inner || ancestors(inner).includes(outer);
}

/** The deepest element holding both `a` and `b` (across shadow boundaries), or null. */
export function commonAncestor(a, b) {
  const chain = new Set([a, ...ancestors(a)]);
  for (let node = b; node; node = parentOf(node)) {
    if (chain.has(node)) {
      return node;
    }
  }
  return null;
}

/**
 * Every element matching `selector` under `root`, in document order, through open (and, with
 * `options.shadowRoot`, closed) shadow roots and, with `options.frameDocument`, frames.
 */
export function deepQuery(root, selector, options = {}) {
  const found = [];
  const visit = (node) => {
    for (let child = node.firstElementChild; child; child = child.nextElementSibling) {
      const tag = tagOf(child);
      if (child.matches && child.matches(selector)) {
        found.push(child);
      }
      const shadow = shadowOf(child, options);
      if (shadow) {
        visit(shadow);
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

function shadowOf(el, options) {
  if (el.shadowRoot) {
    return el.shadowRoot;
  }
  if (!options.shadowRoot) {
    return null;
  }
  try {
    return options.shadowRoot(el) || null;
  } catch {
    return null; // not an element the browser lends a closed root for
  }
}

/** Every <input> under `root`, in document order (see deepQuery). */
export function collectInputs(root, options = {}) {
  return deepQuery(root, "input", options);
}

// A sandboxed frame is used only when its sandbox keeps both its real origin and its forms
// (HTML §4.8.5 "sandbox"): without allow-same-origin its origin is opaque and nothing may be
// filled there; without allow-forms its form cannot be submitted, so a fill would be pointless.
const SANDBOX_NEEDS = ["allow-same-origin", "allow-forms"];

/**
 * The document of a same-origin frame, or null. A cross-origin frame's document is out of reach
 * (null or a SecurityError); a sandboxed one only counts with allow-same-origin and allow-forms.
 */
export function sameOriginFrameDocument(frame, expectedOrigin) {
  if (frame.hasAttribute("sandbox")) {
    const tokens = (frame.getAttribute("sandbox") || "").toLowerCase().split(/\s+/);
    if (!SANDBOX_NEEDS.every((t) => tokens.includes(t))) {
      return null;
    }
  }
  try {
    const doc = frame.contentDocument;
    const origin = doc && doc.defaultView && doc.defaultView.location.origin;
    return origin === expectedOrigin ? doc : null;
  } catch {
    return null;
  }
}

/** The form a field belongs to (its `form` attribute, else its ancestor <form>), or null. */
export function formOf(el) {
  const id = el.getAttribute("form");
  const root = rootOf(el);
  if (id && root && root.getElementById) {
    const named = root.getElementById(id);
    if (named && tagOf(named) === "FORM") {
      return named;
    }
  }
  return ancestors(el).find((a) => tagOf(a) === "FORM") || null;
}

function squash(text) {
  return (text || "").replace(/\s+/g, " ").trim();
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
  const wrapping = ancestors(el).find((a) => tagOf(a) === "LABEL");
  if (wrapping) {
    parts.push(wrapping.textContent || "");
  }
  parts.push(labelledBy(el));
  parts.push(el.getAttribute("placeholder") || "");
  return squash(parts.join(" "));
}

/** The text of the elements `aria-labelledby` names. */
export function labelledBy(el) {
  const root = rootOf(el);
  const parts = [];
  for (const ref of (el.getAttribute("aria-labelledby") || "").split(/\s+/).filter(Boolean)) {
    const target = root && root.getElementById ? root.getElementById(ref) : null;
    if (target) {
      parts.push(target.textContent || "");
    }
  }
  return squash(parts.join(" "));
}

/** What a field calls itself: name, id and the text people read for it. */
export function hints(el) {
  return [el.getAttribute("name"), el.getAttribute("id"), labelText(el)].filter(Boolean).join(" ");
}

export function maxLength(el) {
  const value = Number.parseInt(el.getAttribute("maxlength") || "", 10);
  return Number.isFinite(value) ? value : null;
}

/** The visible words of a control (text, value, aria-label, title). */
export function controlText(el) {
  return squash(
    `${el.textContent || ""} ${el.getAttribute("value") || ""} ${el.getAttribute("aria-label") || ""} ` +
      `${el.getAttribute("title") || ""} ${labelledBy(el)}`,
  );
}

/** Headings and legends directly under `scope` (not the whole text: links and help say little). */
export function headingText(scope) {
  if (!scope || !scope.querySelectorAll) {
    return "";
  }
  const parts = [...scope.querySelectorAll("h1, h2, h3, h4, legend, [role=heading]")].map(
    (h) => h.textContent || "",
  );
  if (scope.getAttribute) {
    parts.push(scope.getAttribute("aria-label") || "", labelledBy(scope));
  }
  return squash(parts.join(" "));
}
