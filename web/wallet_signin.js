/* The wallet sign-in's waiting page: polls this browser's sign-in and, once the wallet has
 * answered, goes on to /signin/wallet/done, where the session is made (or refused). Not for a
 * sign-in on this device: that one ends only in the browser the wallet sends back, with the
 * code the wallet gave it, so this page just says so. */
"use strict";

(() => {
  const status = document.getElementById("wallet-status");

  async function poll() {
    try {
      const res = await fetch("/signin/wallet/status", { credentials: "same-origin" });
      const body = res.ok ? await res.json() : null;
      if (body && body.status === "answered" && body.same_device) {
        status.textContent = status.dataset.continue;
        return;
      }
      if (body && body.status === "answered") {
        window.location.assign("/signin/wallet/done");
        return;
      }
      if (!body || body.status === "expired") {
        status.textContent = status.dataset.expired;
        return;
      }
    } catch (e) {
      /* A network hiccup: try again. */
    }
    setTimeout(poll, 1500);
  }
  setTimeout(poll, 1500);
})();
