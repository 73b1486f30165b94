import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { fillCode, setValue } from "../lib/fill.js";
import { parsePage } from "./helpers/dom.js";

// A model of a host element and of what React does to it: the prototype holds the native value
// accessor; React installs an instance accessor that records every assignment as "what I
// rendered", and on `input` it reads the node's value and ignores it if it equals that record.
class NativeInput extends EventTarget {
  #value = "";
  focused = false;
  log = [];

  get value() {
    return this.#value;
  }

  set value(v) {
    this.#value = String(v);
  }

  focus() {
    this.focused = true;
    this.log.push("focus");
  }

  blur() {
    this.focused = false;
    this.log.push("blur");
  }

  dispatchEvent(event) {
    this.log.push(event.type);
    return super.dispatchEvent(event);
  }
}

function controlledInput() {
  const el = new NativeInput();
  const native = Object.getOwnPropertyDescriptor(NativeInput.prototype, "value");
  let tracked = "";
  Object.defineProperty(el, "value", {
    configurable: true,
    get() {
      return native.get.call(this);
    },
    set(v) {
      tracked = String(v); // React's value tracker
      native.set.call(this, v);
    },
  });
  const state = { value: "", changes: 0 };
  el.addEventListener("input", () => {
    const now = el.value;
    if (now !== tracked) {
      tracked = now;
      state.value = now;
      state.changes += 1;
    }
  });
  return { el, state };
}

describe("setValue on a React-style controlled input", () => {
  it("is noticed by the framework", () => {
    const { el, state } = controlledInput();
    assert.equal(setValue(el, "alice@demo.test"), true);
    assert.deepEqual(state, { value: "alice@demo.test", changes: 1 });
  });

  it("fires focus, input, change, blur in that order, bubbling and composed", () => {
    const { el } = controlledInput();
    const seen = [];
    for (const type of ["input", "change"]) {
      el.addEventListener(type, (e) => seen.push([e.type, e.bubbles, e.composed]));
    }
    setValue(el, "x");
    assert.deepEqual(el.log, ["focus", "input", "change", "blur"]);
    assert.deepEqual(seen, [["input", true, true], ["change", true, true]]);
  });

  it("a plain assignment would not be noticed (why the native setter matters)", () => {
    const { el, state } = controlledInput();
    el.value = "alice@demo.test";
    el.dispatchEvent(new Event("input", { bubbles: true }));
    assert.deepEqual(state, { value: "", changes: 0 });
  });

  it("refuses an object without a value setter", () => {
    assert.equal(setValue(new EventTarget(), "x"), false);
  });
});

describe("fillCode", () => {
  it("puts the whole code into one box", () => {
    const { el, state } = controlledInput();
    assert.equal(fillCode([el], "123456"), true);
    assert.equal(state.value, "123456");
  });

  it("splits the code one digit per box, each noticed", () => {
    const boxes = Array.from({ length: 6 }, controlledInput);
    assert.equal(fillCode(boxes.map((b) => b.el), "907311"), true);
    assert.deepEqual(boxes.map((b) => b.state.value), ["9", "0", "7", "3", "1", "1"]);
  });

  it("fills nothing when the code does not fit the boxes", () => {
    const boxes = Array.from({ length: 6 }, controlledInput);
    assert.equal(fillCode(boxes.map((b) => b.el), "12345"), false);
    assert.ok(boxes.every((b) => b.el.value === "" && b.el.log.length === 0));
    assert.equal(fillCode([], "123456"), false);
    assert.equal(fillCode(boxes.map((b) => b.el), ""), false);
  });
});

describe("fillCode reads the boxes back", () => {
  it("fails when the page rewrites a box after it was filled", () => {
    const { document } = parsePage(`<div>${"<input maxlength=1>".repeat(6)}</div>`);
    const boxes = [...document.querySelectorAll("input")];
    // A page script that clears the first box whenever the last one is typed into.
    boxes[5].addEventListener("input", () => {
      boxes[0].value = "";
    });
    assert.equal(fillCode(boxes, "123456"), false);
  });
});
