import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { parseHTML } from "linkedom";

import { GIVE_UP_MS, QUIET_MS, watchChanges } from "../lib/settle.js";

/** A clock the test moves by hand: timers fire only when it is advanced past them. */
function fakeClock() {
  let now = 0;
  let nextId = 1;
  const timers = new Map();
  return {
    now: () => now,
    setTimeout: (fn, ms) => {
      const id = nextId++;
      timers.set(id, { at: now + ms, fn });
      return id;
    },
    clearTimeout: (id) => timers.delete(id),
    /** Move the clock forward by `ms`, firing the timers due on the way, in order. */
    advance(ms) {
      const until = now + ms;
      for (;;) {
        const next = [...timers.entries()].sort((a, b) => a[1].at - b[1].at)[0];
        if (!next || next[1].at > until) {
          break;
        }
        timers.delete(next[0]);
        now = next[1].at;
        next[1].fn();
      }
      now = until;
    },
    pending: () => timers.size,
  };
}

// linkedom delivers mutation records in a microtask, as browsers do.
const delivered = () => new Promise((resolve) => setTimeout(resolve, 0));

function watch(html, ready = () => false) {
  const { document, MutationObserver } = parseHTML(`<!doctype html><html><body>${html}</body></html>`);
  const clock = fakeClock();
  const due = [];
  const watcher = watchChanges(document, {
    MutationObserver,
    setTimeout: clock.setTimeout,
    clearTimeout: clock.clearTimeout,
    now: clock.now,
    ready: () => ready(document),
    onDue: (why) => due.push([why, clock.now()]),
  });
  return { document, clock, due, watcher };
}

/** Add a paragraph: one DOM change. */
function touch(document, text = "tick") {
  const p = document.createElement("p");
  p.textContent = text;
  document.body.appendChild(p);
}

describe("when the agent reads the page again", () => {
  it("does nothing while the page does not change", () => {
    const { clock, due } = watch("<form><input name=q></form>");
    clock.advance(10 * GIVE_UP_MS);
    assert.deepEqual(due, []);
  });

  it("reads once a burst of changes has gone quiet, not before", async () => {
    const { document, clock, due } = watch("<main></main>");
    for (let i = 0; i < 5; i++) {
      touch(document);
      await delivered();
      clock.advance(QUIET_MS / 2); // each change comes before the quiet window is over
    }
    assert.deepEqual(due, [], "still changing: not yet");
    clock.advance(QUIET_MS / 2);
    assert.deepEqual(due, [["quiet", (5 * QUIET_MS) / 2 + QUIET_MS / 2]]);
    clock.advance(10 * GIVE_UP_MS);
    assert.equal(due.length, 1, "one read per burst");
  });

  it("reads at once when the field it waits for appears, even mid-burst", async () => {
    const hasPassword = (doc) => doc.querySelector("input[type=password]") !== null;
    const { document, clock, due } = watch("<form id=f><input name=user></form>", hasPassword);
    touch(document);
    await delivered();
    clock.advance(QUIET_MS / 4);
    touch(document);
    await delivered();
    clock.advance(QUIET_MS / 4);
    assert.deepEqual(due, []);
    const password = document.createElement("input");
    password.setAttribute("type", "password");
    document.getElementById("f").appendChild(password);
    await delivered();
    clock.advance(QUIET_MS / 2); // the readiness check runs at most once per quiet window
    assert.deepEqual(due.map(([why]) => why), ["ready"]);
    assert.ok(due[0][1] <= QUIET_MS, "within one quiet window of the field appearing");
  });

  it("gives up on a page that never goes quiet, and says so", async () => {
    const { document, clock, due } = watch("<main></main>");
    for (let elapsed = 0; elapsed < GIVE_UP_MS + QUIET_MS; elapsed += QUIET_MS / 4) {
      touch(document);
      await delivered();
      clock.advance(QUIET_MS / 4);
    }
    assert.deepEqual(due, [["restless", GIVE_UP_MS]]);
  });

  it("says whether a burst of changes is under way", async () => {
    const { document, clock, watcher } = watch("<main></main>");
    assert.equal(watcher.changing(), false);
    touch(document);
    await delivered();
    assert.equal(watcher.changing(), true);
    clock.advance(QUIET_MS);
    assert.equal(watcher.changing(), false, "quiet again");
  });

  it("stops watching when told to", async () => {
    const { document, clock, due, watcher } = watch("<main></main>");
    touch(document);
    await delivered();
    watcher.stop();
    clock.advance(10 * GIVE_UP_MS);
    touch(document);
    await delivered();
    clock.advance(10 * GIVE_UP_MS);
    assert.deepEqual(due, []);
    assert.equal(clock.pending(), 0, "no timer left behind");
  });
});
