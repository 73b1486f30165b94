// The popup: who is signed in, the last launch and how it ended, sign in and sign out; on a first
// run (no broker URL yet), a pointer to Options. Sign-out forgets the last launch (the background
// drops it), so the next person at this browser does not see it.

const OUTCOMES = {
  signed_in: "signed in",
  rejected: "the site refused the login",
  code_rejected: "the site refused the verification code",
  code_not_available: "the site asked for a code this account does not have",
  left_origin: "stopped: the page left the account's site",
  tab_closed: "stopped: the tab was closed",
  signed_out: "stopped: you signed out",
  login_timeout: "timed out",
};

const $ = (id) => document.getElementById(id);
const send = (command) => chrome.runtime.sendMessage({ command });

function describeLaunch(last) {
  if (!last) {
    return "None yet.";
  }
  const what = last.account ? `${last.account}${last.app ? ` (${last.app})` : ""}` : "A launch";
  const when = new Date(last.startedAt).toLocaleTimeString();
  const how = last.outcome
    ? OUTCOMES[last.outcome] || (last.outcome.endsWith("_timeout") ? "timed out" : last.outcome.replace(/_/g, " "))
    : `in progress (${last.phase.replace(/_/g, " ")})`;
  return `${what} at ${when}: ${how}.`;
}

async function render() {
  const state = await send("popup.state");
  if (!state || state.refused) {
    $("member").textContent = "The extension did not answer; reopen this window.";
    return;
  }
  $("member").textContent = state.member
    ? `Signed in as ${state.member.name || state.member.email}`
    : "Not signed in.";
  $("broker").textContent = state.brokerUrl
    ? `Broker: ${state.brokerUrl}${state.managed ? " (set by your organisation)" : ""}`
    : "No broker configured: see Options.";
  // First run: nothing can work until the broker URL is set, so say so first.
  $("setup").hidden = Boolean(state.brokerUrl);
  $("sign-in").hidden = Boolean(state.member) || !state.brokerUrl;
  $("sign-out").hidden = !state.member;
  $("last-launch").textContent = describeLaunch(state.lastLaunch);
}

$("sign-in").addEventListener("click", async () => {
  const answer = await send("session.signIn");
  if (answer.ok) {
    await render();
  } else if (answer.signInUrl) {
    $("message").textContent = "Sign in to Latchkey in the new tab, then try again.";
    await chrome.tabs.create({ url: answer.signInUrl });
  } else {
    $("message").textContent = answer.message || "Could not sign in.";
  }
});

$("sign-out").addEventListener("click", async () => {
  await send("session.signOut");
  $("message").textContent = "Signed out.";
  await render();
});

for (const id of ["options", "open-setup"]) {
  $(id).addEventListener("click", (event) => {
    event.preventDefault();
    chrome.runtime.openOptionsPage();
  });
}

render();
