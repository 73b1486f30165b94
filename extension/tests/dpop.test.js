import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { accessTokenHash, generateKeyPair, makeProof, publicJwk } from "../lib/dpop.js";

const decode = (part) => JSON.parse(Buffer.from(part, "base64url").toString("utf8"));

describe("makeProof", () => {
  it("is a compact ES256 JWS carrying the public key and the call", async () => {
    const keyPair = await generateKeyPair();
    const proof = await makeProof({
      keyPair, method: "POST", url: "http://127.0.0.1:8400/api/ext/v1/keys", now: 1_700_000_000_500, jti: "j1",
    });
    const [h, c, s] = proof.split(".");
    const header = decode(h);
    assert.deepEqual(Object.keys(header.jwk).sort(), ["crv", "kty", "x", "y"]);
    assert.equal(header.typ, "dpop+jwt");
    assert.equal(header.alg, "ES256");
    assert.deepEqual(decode(c), { htm: "POST", htu: "http://127.0.0.1:8400/api/ext/v1/keys", iat: 1_700_000_000, jti: "j1" });
    assert.equal(Buffer.from(s, "base64url").length, 64, "R || S, 32 bytes each");
    const ok = await crypto.subtle.verify(
      { name: "ECDSA", hash: "SHA-256" }, keyPair.publicKey, Buffer.from(s, "base64url"), Buffer.from(`${h}.${c}`),
    );
    assert.equal(ok, true);
  });

  it("binds the credential through ath and uses a fresh jti each time", async () => {
    const keyPair = await generateKeyPair();
    const call = { keyPair, method: "POST", url: "https://b.example/api/ext/v1/code", credential: "tok" };
    const [a, b] = [await makeProof(call), await makeProof(call)];
    assert.equal(decode(a.split(".")[1]).ath, await accessTokenHash("tok"));
    assert.notEqual(decode(a.split(".")[1]).jti, decode(b.split(".")[1]).jti);
  });

  it("keeps the private key inside WebCrypto", async () => {
    const keyPair = await generateKeyPair();
    assert.equal(keyPair.privateKey.extractable, false);
    await assert.rejects(crypto.subtle.exportKey("jwk", keyPair.privateKey));
    assert.equal((await publicJwk(keyPair.publicKey)).d, undefined);
  });
});
