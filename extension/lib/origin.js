// Exact-origin matching: the one rule that decides whether a page may receive a secret.
//
// A live URL matches an account only when its origin (scheme, host, port) equals the account's
// login origin exactly, after the URL parser has normalised both (WHATWG URL: lower-case,
// punycoded hosts, default ports dropped, IPv4 forms canonicalised). Everything a look-alike
// could hide behind is refused before the comparison: userinfo (`https://bank.com@evil.test`),
// a trailing-dot host (another cookie jar, same DNS name), non-http(s) schemes (`blob:`,
// `data:`, `about:`, sandboxed documents whose origin is "null"), and plain http anywhere but
// loopback. IDN look-alikes fail the comparison because their punycoded host differs.

const LOOPBACK_HOSTS = new Set(["127.0.0.1", "[::1]", "localhost"]);

/** @typedef {{ok: true, origin: string} | {ok: false, reason: string}} OriginResult */

/** True for the hosts where plain http is allowed (development against the sandbox). */
export function isLoopbackHost(hostname) {
  return LOOPBACK_HOSTS.has(hostname);
}

/**
 * The origin a URL may be filled on, or why it may not be.
 * @param {string} url
 * @returns {OriginResult}
 */
export function fillableOrigin(url) {
  if (typeof url !== "string" || url.length === 0 || url.length > 4096) {
    return { ok: false, reason: "not_a_url" };
  }
  let parsed;
  try {
    parsed = new URL(url);
  } catch {
    return { ok: false, reason: "not_a_url" };
  }
  if (parsed.username !== "" || parsed.password !== "" || /^[a-z]+:\/*[^/?#]*@/i.test(url)) {
    return { ok: false, reason: "userinfo" };
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") {
    return { ok: false, reason: "unsupported_scheme" };
  }
  const host = parsed.hostname;
  if (host === "" || host.endsWith(".")) {
    return { ok: false, reason: "bad_host" };
  }
  if (parsed.protocol === "https:") {
    return { ok: true, origin: parsed.origin };
  }
  return isLoopbackHost(host)
    ? { ok: true, origin: parsed.origin }
    : { ok: false, reason: "insecure_scheme" };
}

/**
 * Whether `liveUrl` may be filled for an account whose login URL (or origin) is `expected`.
 * @param {string} liveUrl the page's `location.href` (or `location.origin`)
 * @param {string} expected the account's login URL or origin
 * @returns {{ok: boolean, reason: string | null}}
 */
export function matchOrigin(liveUrl, expected) {
  const want = fillableOrigin(expected);
  if (!want.ok) {
    return { ok: false, reason: `expected_${want.reason}` };
  }
  const live = fillableOrigin(liveUrl);
  if (!live.ok) {
    return { ok: false, reason: live.reason };
  }
  if (live.origin !== want.origin) {
    return { ok: false, reason: "origin_mismatch" };
  }
  return { ok: true, reason: null };
}
