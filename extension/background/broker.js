// The broker's extension API (`/api/ext/v1`, docs/extension-api.md): one POST per call, JSON in
// and out, a DPoP proof on every call and the credential once registered.
//
//   BrokerError            every refusal: {status, code, description, reason}
//   ├─ code "not_configured"   no broker URL yet (options page or policy)
//   ├─ code "network_error"    the broker could not be reached
//   └─ the API's own codes     login_required, invalid_token, invalid_proof, invalid_grant,
//                              invalid_ticket, access_denied (with `reason`), …

import { apiUrl } from "../lib/broker-url.js";
import { makeProof } from "../lib/dpop.js";
import { keyPair } from "./keys.js";
import { brokerSettings } from "./settings.js";

export class BrokerError extends Error {
  constructor({ status = 0, code, description = "", reason = null }) {
    super(`${code}: ${description}`);
    this.status = status;
    this.code = code;
    this.description = description;
    this.reason = reason;
  }
}

/** The one place a response becomes an error. */
export async function errorFrom(response) {
  let body = {};
  try {
    body = await response.json();
  } catch {
    // not JSON: a proxy's page, say
  }
  return new BrokerError({
    status: response.status,
    code: typeof body.error === "string" ? body.error : `http_${response.status}`,
    description: typeof body.error_description === "string" ? body.error_description : "",
    reason: typeof body.reason === "string" ? body.reason : null,
  });
}

/**
 * POST `body` to the API at `path`.
 * @param {{credential?: string, cookies?: boolean}} options  cookies: only registration,
 *   which the broker authorises by the browser's broker session
 */
export async function post(path, body, options = {}) {
  const { brokerUrl } = await brokerSettings();
  if (!brokerUrl) {
    throw new BrokerError({ code: "not_configured", description: "Set the broker URL in the options." });
  }
  const url = apiUrl(brokerUrl, path);
  const headers = {
    "Content-Type": "application/json",
    DPoP: await makeProof({ keyPair: await keyPair(), method: "POST", url, credential: options.credential }),
  };
  if (options.credential) {
    headers.Authorization = `DPoP ${options.credential}`;
  }
  let response;
  try {
    response = await fetch(url, {
      method: "POST",
      headers,
      body: JSON.stringify(body),
      credentials: options.cookies ? "include" : "omit",
      cache: "no-store",
      redirect: "error",
    });
  } catch (error) {
    throw new BrokerError({ code: "network_error", description: String(error) });
  }
  if (!response.ok) {
    throw await errorFrom(response);
  }
  return response.json();
}
