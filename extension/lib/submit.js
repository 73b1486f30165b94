// How to submit a login step. A form: its own submit button (one that reads like a login step,
// not "Sign up", "Forgot password" or another provider), else the form's own requestSubmit().
// Formless: only a button of the container the filled fields share, coming after them, whose
// words say sign in, log in, next, continue or verify, and which is not a link, a menu or a
// disclosure control. Otherwise nothing is clicked.

import {
  ancestors,
  commonAncestor,
  controlText,
  deepQuery,
  formOf,
  inputType,
  rootOf,
  tagOf,
} from "./dom.js";
import { SUBMIT_TEXT } from "./intent.js";
import { hiddenReason, isDisabled } from "./visibility.js";

const NOT_SUBMIT_TEXT =
  /sign.?up|regist|create|forgot|reset|cancel|back\b|subscribe|search|show|hide|google|facebook|apple|microsoft|github|twitter|linkedin|\bsso\b|passkey|other.?(way|account)|help/i;
const NAVIGATION_ROLES = new Set(["link", "menuitem", "menuitemcheckbox", "menuitemradio", "tab", "switch", "checkbox", "option"]);
const NAVIGATION_CONTAINERS = new Set(["navigation", "menu", "menubar", "tablist", "banner", "toolbar"]);

function isSubmitControl(el) {
  const tag = tagOf(el);
  const type = inputType(el);
  return (tag === "BUTTON" && (type === "" || type === "submit")) ||
    (tag === "INPUT" && (type === "submit" || type === "image"));
}

/** A link, a menu item, a disclosure or toggle: never a login step's submit. */
function isNavigation(el) {
  const role = (el.getAttribute("role") || "").toLowerCase();
  if (tagOf(el) === "A" || tagOf(el) === "SUMMARY" || NAVIGATION_ROLES.has(role)) {
    return true;
  }
  if (["aria-expanded", "aria-haspopup", "aria-pressed", "aria-controls"].some((a) => el.hasAttribute(a))) {
    return true;
  }
  return ancestors(el).some((a) => {
    const tag = tagOf(a);
    const aRole = a.getAttribute ? (a.getAttribute("role") || "").toLowerCase() : "";
    return tag === "NAV" || tag === "MENU" || tag === "SUMMARY" || NAVIGATION_CONTAINERS.has(aRole);
  });
}

function saysSubmit(el) {
  const text = controlText(el);
  return SUBMIT_TEXT.test(text) && !NOT_SUBMIT_TEXT.test(text);
}

function formControls(form) {
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
  return controls;
}

/**
 * How to submit what `field` belongs to: `{form, button}` (either may be null).
 * @param {Element} field the last field filled
 * @param {object} view
 * @param {Element[]} companions the other fields filled in this step (formless: they bound the container)
 */
export function findSubmit(field, view, companions = []) {
  const usableButton = (el) => !isDisabled(el) && hiddenReason(el, view) === null;
  const form = formOf(field);
  if (form) {
    const controls = formControls(form).filter(usableButton);
    const button = controls.find(saysSubmit) ||
      controls.find((el) => !NOT_SUBMIT_TEXT.test(controlText(el)) && !isNavigation(el)) || null;
    return { form, button };
  }
  let start = field;
  for (const other of companions) {
    start = commonAncestor(start, other) || start;
  }
  for (const scope of [start, ...ancestors(start)]) {
    if (!scope.querySelectorAll || tagOf(scope) === "HTML") {
      break;
    }
    const inOrder = deepQuery(scope, "input, button, [role=button]");
    const after = inOrder.slice(inOrder.indexOf(field) + 1);
    const buttons = inOrder
      .filter((el) => tagOf(el) !== "INPUT" || ["submit", "button", "image"].includes(inputType(el)))
      .filter((el) => el !== field && !formOf(el) && usableButton(el) && !isNavigation(el));
    if (buttons.length === 0) {
      continue;
    }
    // The nearest container with buttons decides: a login button there, after the field, or none.
    const button = buttons.find((el) => after.includes(el) && saysSubmit(el)) || null;
    return { form: null, button };
  }
  return { form: null, button: null };
}
