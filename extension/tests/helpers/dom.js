// A DOM for the Node tests: linkedom parses the fixture, a fake view supplies the layout facts
// linkedom does not compute (from inline styles only, which is how the fixtures hide things).

import { readdirSync, readFileSync } from "node:fs";

import { parseHTML } from "linkedom";

const FIXTURES = new URL("../fixtures/", import.meta.url);

function inlineStyle(el) {
  const found = {};
  for (const decl of (el.getAttribute("style") || "").split(";")) {
    const at = decl.indexOf(":");
    if (at > 0) {
      const key = decl.slice(0, at).trim().toLowerCase().replace(/-([a-z])/g, (_, c) => c.toUpperCase());
      found[key] = decl.slice(at + 1).trim();
    }
  }
  if (found.overflow) {
    found.overflowX ??= found.overflow;
    found.overflowY ??= found.overflow;
  }
  return found;
}

function parentOf(node) {
  return node.parentElement || (node.parentNode && node.parentNode.host) || null;
}

function px(value, fallback) {
  const n = Number.parseFloat(value ?? "");
  return Number.isFinite(n) ? n : fallback;
}

/** A view whose computed style is the inline style (visibility inherited, as CSS does). */
export function fakeView() {
  const style = (el) => {
    const own = inlineStyle(el);
    let visibility = own.visibility;
    for (let node = parentOf(el); !visibility && node && node.getAttribute; node = parentOf(node)) {
      visibility = inlineStyle(node).visibility;
    }
    const tag = el.tagName.toUpperCase();
    const display = own.display ?? (tag === "DIALOG" && !el.hasAttribute("open") ? "none" : "inline");
    return { ...own, display, visibility: visibility ?? "visible", opacity: own.opacity ?? "1" };
  };
  const rect = (el) => {
    for (let node = el; node && node.getAttribute; node = parentOf(node)) {
      if (style(node).display === "none") {
        return { left: 0, top: 0, width: 0, height: 0 };
      }
    }
    const own = inlineStyle(el);
    // Positioned ancestors carry their children with them (the off-screen wrapper trick).
    let dx = 0;
    let dy = 0;
    for (let node = parentOf(el); node && node.getAttribute; node = parentOf(node)) {
      const outer = inlineStyle(node);
      dx += px(outer.left, 0);
      dy += px(outer.top, 0);
    }
    const isControl = ["INPUT", "BUTTON"].includes(el.tagName.toUpperCase());
    return {
      left: dx + px(own.left, 10),
      top: dy + px(own.top, 10),
      width: px(own.width, isControl ? 200 : 10000),
      height: px(own.height, isControl ? 30 : 10000),
    };
  };
  return { style, rect };
}

/** Declarative shadow roots (`<template shadowrootmode=open>`), which linkedom does not attach. */
function attachDeclarativeShadows(document) {
  for (const template of [...document.querySelectorAll("template[shadowrootmode]")]) {
    const host = template.parentElement;
    const shadow = host.attachShadow({ mode: template.getAttribute("shadowrootmode") });
    shadow.innerHTML = template.innerHTML;
    template.remove();
    attachDeclarativeShadows(shadow);
  }
}

export function parsePage(html) {
  const { document, window } = parseHTML(html);
  attachDeclarativeShadows(document);
  return { document, window, view: fakeView() };
}

export function loadFixture(name) {
  return parsePage(readFileSync(new URL(name, FIXTURES), "utf8"));
}

/** The fixture pages, each marking its expected fields with `data-expect`. */
export function fixtureNames() {
  return readdirSync(FIXTURES).filter((n) => n.endsWith(".html")).sort();
}
