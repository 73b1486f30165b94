// When the login agent reads the page again: on the page's own signals, never after a fixed
// sleep. A MutationObserver watches the document; after a burst of changes the page is due
//
//   "ready"     at once, when `ready()` says the page shows what the last report did not (a
//               login field appeared or went away): a busy page still gets its form filled;
//   "quiet"     else once the DOM has gone `quietMs` without a change (the burst is over);
//   "restless"  else, on a page that never goes quiet, `giveUpMs` after the burst began: the
//               bound on the wait, so the caller can say so instead of waiting on.
//
// `ready()` costs a read of the page, so during a burst it runs at most once per `quietMs`: a
// page that changes every frame would otherwise have it run every frame. Timers and the clock
// come from the caller (the page's window; a fake clock in the tests).

export const QUIET_MS = 40;
export const GIVE_UP_MS = 2000;

/**
 * Watch `root` (and its subtree) and call `onDue(why)` when the page is worth reading again.
 * @param {Node} root
 * @param {{MutationObserver: Function, setTimeout: Function, clearTimeout: Function,
 *          now: () => number, ready: () => boolean, onDue: (why: string) => void,
 *          quietMs?: number, giveUpMs?: number}} options
 * @returns {{stop: () => void, changing: () => boolean}} `changing()`: a burst is under way (the
 *   page changed since it was last due)
 */
export function watchChanges(root, options) {
  const { setTimeout, clearTimeout, now, ready, onDue } = options;
  const quietMs = options.quietMs ?? QUIET_MS;
  const giveUpMs = options.giveUpMs ?? GIVE_UP_MS;
  let burst = false; // changes seen since the page was last due
  let quiet = null;
  let giveUp = null;
  let check = null;
  let lastCheck = -Infinity;
  let stopped = false;

  function due(why) {
    clearTimeout(quiet);
    clearTimeout(giveUp);
    clearTimeout(check);
    quiet = giveUp = check = null;
    burst = false;
    if (!stopped) {
      onDue(why);
    }
  }

  function checkReady() {
    check = null;
    lastCheck = now();
    if (burst && !stopped && ready()) {
      due("ready");
    }
  }

  function changed() {
    if (stopped) {
      return;
    }
    if (!burst) {
      burst = true;
      giveUp = setTimeout(() => due("restless"), giveUpMs);
    }
    clearTimeout(quiet);
    quiet = setTimeout(() => due("quiet"), quietMs);
    if (check === null) {
      const wait = lastCheck + quietMs - now();
      if (wait <= 0) {
        checkReady();
      } else {
        check = setTimeout(checkReady, wait);
      }
    }
  }

  const observer = new options.MutationObserver(changed);
  observer.observe(root, { subtree: true, childList: true, attributes: true, characterData: true });
  return {
    changing: () => burst,
    stop() {
      stopped = true;
      observer.disconnect();
      clearTimeout(quiet);
      clearTimeout(giveUp);
      clearTimeout(check);
    },
  };
}
