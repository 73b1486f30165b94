// The broker's URL as settings hold it: an origin (plus an optional path prefix) that the
// extension may call with credentials. Same rule as a login origin: https, or http on loopback.

import { fillableOrigin } from "./origin.js";

/**
 * The canonical broker URL (no trailing slash, no query or fragment), or null when unusable.
 * @param {unknown} value
 */
export function normaliseBrokerUrl(value) {
  if (typeof value !== "string") {
    return null;
  }
  const text = value.trim();
  const origin = fillableOrigin(text);
  if (!origin.ok) {
    return null;
  }
  const url = new URL(text);
  if (url.search || url.hash) {
    return null;
  }
  return origin.origin + url.pathname.replace(/\/+$/, "");
}

/** The URL of an extension API endpoint (also the `htu` its proof must name). */
export function apiUrl(brokerUrl, path) {
  return `${brokerUrl}/api/ext/v1${path}`;
}

/** Whether `url` is a launch page of this broker (exact origin, path under /launch/). */
export function isLaunchPage(url, brokerUrl) {
  let parsed;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  const broker = new URL(brokerUrl);
  const prefix = broker.pathname.replace(/\/+$/, "");
  return parsed.origin === broker.origin && parsed.pathname.startsWith(`${prefix}/launch/`) &&
    parsed.username === "" && parsed.password === "";
}

/** Match patterns for the launch pages (ports are not part of a match pattern's host). */
export function launchMatchPatterns(brokerUrl) {
  const broker = new URL(brokerUrl);
  return [`${broker.protocol}//${broker.hostname}${broker.pathname.replace(/\/+$/, "")}/launch/*`];
}
