// A stand-in for the `chrome` namespace, enough for the background's message handling in Node:
// in-memory storage areas, the runtime's id and URLs. Installed on globalThis before importing.

function area(initial = {}) {
  let items = { ...initial };
  return {
    async get(key) {
      if (key === null || key === undefined) {
        return structuredClone(items);
      }
      const keys = Array.isArray(key) ? key : [key];
      return Object.fromEntries(keys.filter((k) => k in items).map((k) => [k, structuredClone(items[k])]));
    },
    async set(values) {
      items = { ...items, ...structuredClone(values) };
    },
    async remove(key) {
      for (const k of Array.isArray(key) ? key : [key]) {
        delete items[k];
      }
    },
    reset(values = {}) {
      items = { ...values };
    },
  };
}

export const EXTENSION_ID = "npifcemjnkdbeiopcdkdmeinkgpkcmbn";

export function installFakeChrome() {
  const chrome = {
    runtime: { id: EXTENSION_ID, getURL: (path) => `chrome-extension://${EXTENSION_ID}/${path}` },
    storage: { session: area(), local: area(), managed: area() },
    tabs: { sendMessage: async () => {}, update: async () => {} },
    scripting: { executeScript: async () => [] },
  };
  globalThis.chrome = chrome;
  return chrome;
}
