// The extension's signing key pair, kept in IndexedDB as CryptoKey objects: the private key was
// made non-extractable, so neither this code nor anyone who copies the profile's data can read it.

import { generateKeyPair } from "../lib/dpop.js";

const DB_NAME = "latchkey";
const STORE = "keys";
const KEY_ID = "extension";

function openDb() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function run(mode, work) {
  const db = await openDb();
  try {
    return await new Promise((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      const request = work(tx.objectStore(STORE));
      tx.oncomplete = () => resolve(request.result);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });
  } finally {
    db.close();
  }
}

// Read from IndexedDB once per worker life, not on every API call (each proof needs it).
let loaded = null;

async function loadOrMake() {
  const stored = await run("readonly", (store) => store.get(KEY_ID));
  if (stored) {
    return stored;
  }
  const made = await generateKeyPair();
  await run("readwrite", (store) => store.put(made, KEY_ID));
  return made;
}

/** The key pair, made on first use. */
export function keyPair() {
  if (loaded === null) {
    loaded = loadOrMake();
    loaded.catch(() => {
      loaded = null; // try the database again next time
    });
  }
  return loaded;
}

/** Forget the key pair (sign-out): the next sign-in registers a new one. */
export async function forgetKeyPair() {
  loaded = null;
  await run("readwrite", (store) => store.delete(KEY_ID));
  loaded = null; // a call made meanwhile may have read the old pair
}
