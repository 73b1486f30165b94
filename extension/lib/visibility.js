// Whether a person can see and use a field. A field nobody can see is never filled, so honeypots
// and decoys stay empty.
//
// Layout comes from a small `view`:
//   view.style(el)    -> {display, visibility, opacity, overflowX, overflowY, clip, clipPath}
//   view.rect(el)     -> {left, top, width, height} in page coordinates
//   view.topLayer(el) -> whether el is rendered in the top layer (optional)
// `domView(window)` is the browser's; tests pass their own.

import { ancestors, inputType, tagOf } from "./dom.js";

const MIN_SIZE = 4; // px: a 1×1 input is a trap, not a field

function matchesSafely(el, selector) {
  try {
    return Boolean(el.matches && el.matches(selector));
  } catch {
    return false; // a browser without this pseudo-class
  }
}

/**
 * Whether `el` is in the top layer: a dialog opened with showModal() (`:modal`) or an open
 * popover (`:popover-open`). The top layer is painted over the page, outside its ancestors'
 * boxes (CSS Position 4 §3), so their overflow, clip and opacity do not apply to it.
 */
export function inTopLayer(el) {
  return matchesSafely(el, ":modal") || matchesSafely(el, ":popover-open");
}

/** The layout facts of a live browser window. */
export function domView(win) {
  return {
    url: () => win.location.href,
    style: (el) => win.getComputedStyle(el),
    rect: (el) => {
      const r = el.getBoundingClientRect();
      return { left: r.left + win.scrollX, top: r.top + win.scrollY, width: r.width, height: r.height };
    },
    topLayer: inTopLayer,
  };
}

export function isDisabled(el) {
  if (el.hasAttribute("disabled")) {
    return true;
  }
  return ancestors(el).some((a) => tagOf(a) === "FIELDSET" && a.hasAttribute("disabled"));
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
    if (tagOf(node) === "DIALOG" && !node.hasAttribute("open")) {
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
  const topLayer = view.topLayer || inTopLayer;
  if (topLayer(el)) {
    return null;
  }
  for (const node of ancestors(el)) {
    if (!node.getAttribute) {
      continue; // the document or a shadow root
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
    if (topLayer(node)) {
      return null; // what holds the top-layer element does not clip or fade it
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
