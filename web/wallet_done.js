/* The end of a wallet sign-in: the page names whom the wallet signed in, since on another device
 * whoever answered the QR code first decides that, and offers to sign out at once if that is not
 * the person at this browser. */
"use strict";

(() => {
  const { request, problem } = oorkonde;
  const form = document.getElementById("wallet-not-me");
  const error = document.getElementById("wallet-sign-out-error");

  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    let res;
    try {
      res = await request("POST", "/logout", {}, form.dataset.csrf);
    } catch (e) {
      res = { status: 0, body: null };
    }
    if (res.status === 204 || res.status === 401) {
      window.location.assign("/signin");
      return;
    }
    error.textContent = problem(res.body, res.status ? "HTTP " + res.status : "");
    error.hidden = false;
  });
})();
