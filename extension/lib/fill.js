// Putting a value into an input so that the page notices, as if a person had typed it.
//
// Frameworks with controlled inputs (React) remember the last value they rendered on the element
// itself and ignore an `input` event whose value equals it; assigning `el.value` goes through the
// instance's own (framework) setter and updates that memory. Calling the native setter of the
// element's prototype changes the value underneath, so the `input` event that follows carries a
// change the framework accepts. Then `change`, and focus/blur for pages that validate on them.

function valueSetter(el) {
  for (let proto = Object.getPrototypeOf(el); proto; proto = Object.getPrototypeOf(proto)) {
    const descriptor = Object.getOwnPropertyDescriptor(proto, "value");
    if (descriptor && descriptor.set) {
      return descriptor.set;
    }
  }
  return null;
}

function eventFor(el, type) {
  // The element's own window: a same-origin frame's events must come from its realm.
  const win = (el.ownerDocument && el.ownerDocument.defaultView) || globalThis;
  const Ctor = win.Event || globalThis.Event;
  // Composed, so that listeners outside an open shadow root hear it too.
  return new Ctor(type, { bubbles: true, cancelable: type !== "change", composed: true });
}

/**
 * Set `value` on `el` through its prototype's native setter, then fire input and change.
 * @returns {boolean} whether the element holds the value afterwards
 */
export function setValue(el, value) {
  const setter = valueSetter(el);
  if (!setter) {
    return false;
  }
  if (typeof el.focus === "function") {
    el.focus();
  }
  setter.call(el, value);
  el.dispatchEvent(eventFor(el, "input"));
  el.dispatchEvent(eventFor(el, "change"));
  if (typeof el.blur === "function") {
    el.blur();
  }
  return el.value === value;
}

/**
 * Fill a verification code: the whole code into one box, or one character per box, digit by
 * digit, then read the boxes back: pages that move focus or spread pasted digits must end up
 * holding the whole code, in order, or the fill fails (and the step is not submitted).
 * @returns {boolean} false when the boxes cannot take the code or do not hold it afterwards
 */
export function fillCode(inputs, code) {
  if (inputs.length === 0 || typeof code !== "string" || code.length === 0) {
    return false;
  }
  if (inputs.length === 1) {
    return setValue(inputs[0], code);
  }
  if (inputs.length !== code.length) {
    return false;
  }
  const each = inputs.map((box, i) => setValue(box, code[i])).every(Boolean);
  return each && inputs.map((box) => box.value).join("") === code;
}
