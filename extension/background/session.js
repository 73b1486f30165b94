// The extension's own session with the broker: a credential bound to its key pair.
// Registering needs the browser's broker session (the user signed in with Okta); a launch page
// proves there is one, so the first launch registers without asking.

import { BrokerError, post } from "./broker.js";
import { forgetKeyPair, keyPair } from "./keys.js";
import { publicJwk } from "../lib/dpop.js";
import { brokerSettings } from "./settings.js";
import { dropSession, loadSession, saveSession } from "./store.js";

const EXPIRY_MARGIN_MS = 30_000;

/** The current session, or null when there is none or it has (nearly) expired. */
export async function currentSession(now = Date.now()) {
  const session = await loadSession();
  return session && session.expiresAt - EXPIRY_MARGIN_MS > now ? session : null;
}

/** Register this browser's key with the broker (POST /keys) and keep the credential. */
export async function register(now = Date.now()) {
  const jwk = await publicJwk((await keyPair()).publicKey);
  const answer = await post("/keys", { jwk }, { cookies: true });
  const session = {
    credential: answer.credential,
    member: answer.member,
    expiresAt: now + answer.expires_in * 1000,
  };
  await saveSession(session);
  return session;
}

export async function ensureSession() {
  return (await currentSession()) || register();
}

/** Call the API with the credential; a refused credential is dropped and registered anew once. */
export async function authorisedPost(path, body) {
  const session = await ensureSession();
  try {
    return await post(path, body, { credential: session.credential });
  } catch (error) {
    if (error instanceof BrokerError && error.code === "invalid_token") {
      await dropSession();
      const fresh = await register();
      return post(path, body, { credential: fresh.credential });
    }
    throw error;
  }
}

export async function signOut() {
  const session = await loadSession();
  await dropSession();
  if (session) {
    try {
      await post("/keys/revoke", {}, { credential: session.credential });
    } catch {
      // Signed out here either way; the broker expires the credential on its own.
    }
  }
  await forgetKeyPair();
}

/** Where a person signs in to the broker (Okta behind it). */
export async function signInUrl() {
  const { brokerUrl } = await brokerSettings();
  return brokerUrl ? `${brokerUrl}/auth/login` : null;
}
