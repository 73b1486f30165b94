// On the broker's launch page (docs/launch-contract.md): take the grant, say the extension is
// here, remove the grant from the page, hand it to the background. Keeps no copy.
(() => {
  const section = document.getElementById("latchkey-launch");
  const grantMeta = document.querySelector('meta[name="latchkey-grant"]');
  if (window.top !== window || !grantMeta || !section || section.dataset.latchkeyContract !== "1") {
    return; // not a launch page this version understands: leave it as it is
  }
  document.documentElement.dataset.latchkeyExtension = "present";
  const accountMeta = document.querySelector('meta[name="latchkey-account"]');
  const grant = grantMeta.getAttribute("content") || "";
  const accountId = accountMeta ? accountMeta.getAttribute("content") || undefined : undefined;
  grantMeta.remove();
  if (accountMeta) {
    accountMeta.remove();
  }
  const status = document.getElementById("latchkey-launch-status");
  const say = (text) => {
    if (status) {
      status.textContent = text; // text, never HTML
    }
  };
  chrome.runtime.sendMessage({ command: "launch", grant, accountId }).then(
    (answer) => say((answer && answer.message) || "The Latchkey extension could not start this login."),
    () => say("The Latchkey extension could not start this login."),
  );
})();
