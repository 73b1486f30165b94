// Proofs of possession for the extension API: compact JWS in the `DPoP` header (RFC 9449 §4.2),
// signed ES256 with the extension's non-extractable P-256 key. WebCrypto's ECDSA signature is
// already R || S (IEEE P1363), the form JWS wants (RFC 7518 §3.4).

const encoder = new TextEncoder();

export function b64url(bytes) {
  let text = "";
  for (const byte of new Uint8Array(bytes)) {
    text += String.fromCharCode(byte);
  }
  return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

const b64urlJson = (value) => b64url(encoder.encode(JSON.stringify(value)));

/** A new key pair: the private half can sign but never leave WebCrypto. */
export function generateKeyPair(subtle = globalThis.crypto.subtle) {
  return subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, ["sign", "verify"]);
}

/** The public key as the JWK the broker registers (RFC 7638 §3.2 members only). */
export async function publicJwk(publicKey, subtle = globalThis.crypto.subtle) {
  const { crv, kty, x, y } = await subtle.exportKey("jwk", publicKey);
  return { crv, kty, x, y };
}

/** RFC 9449 §4.2 `ath`: base64url(SHA-256(credential)). */
export async function accessTokenHash(credential, subtle = globalThis.crypto.subtle) {
  return b64url(await subtle.digest("SHA-256", encoder.encode(credential)));
}

function randomJti() {
  return b64url(globalThis.crypto.getRandomValues(new Uint8Array(18)));
}

/**
 * A proof for one call.
 * @param {{keyPair: CryptoKeyPair, method: string, url: string, credential?: string,
 *          now?: number, jti?: string}} call  `now` in milliseconds
 */
export async function makeProof(call, subtle = globalThis.crypto.subtle) {
  const header = { typ: "dpop+jwt", alg: "ES256", jwk: await publicJwk(call.keyPair.publicKey, subtle) };
  const claims = {
    htm: call.method,
    htu: call.url,
    iat: Math.floor((call.now ?? Date.now()) / 1000),
    jti: call.jti ?? randomJti(),
  };
  if (call.credential) {
    claims.ath = await accessTokenHash(call.credential, subtle);
  }
  const signingInput = `${b64urlJson(header)}.${b64urlJson(claims)}`;
  const signature = await subtle.sign(
    { name: "ECDSA", hash: "SHA-256" },
    call.keyPair.privateKey,
    encoder.encode(signingInput),
  );
  return `${signingInput}.${b64url(signature)}`;
}
