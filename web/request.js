/* The verifier's pages: /request makes an OpenID4VP request from plain choices and goes to its
 * own page; /request/{view} shows the QR code and the wallet link, polls the request's state,
 * and shows the answer (who, what, which institution, verified or why not) when it comes. */
"use strict";

(() => {
  const { t, el, replace, request, problem, date, number, grade } = oorkonde;
  const form = document.getElementById("request-form");
  /* The server's reason for a W3C credential that names no holder, shown in the page's language. */
  const UNBOUND = "the credential names no holder: anyone with a copy (a share link hands one out) can present it";

  function list(value) {
    return value.split(/[\s,;]+/).map((s) => s.trim()).filter((s) => s);
  }

  async function create() {
    const error = document.getElementById("request-error");
    const button = document.getElementById("request-button");
    const ask = {
      kinds: [...form.querySelectorAll("input[name=kind]:checked")].map((i) => i.value),
      claims: [...form.querySelectorAll("input[name=claim]:checked")].map((i) => i.value),
      formats: [...form.querySelectorAll("input[name=format]:checked")].map((i) => i.value),
    };
    if (ask.formats.includes("ldp_vc") && form.querySelector("#accept-unbound").checked) ask.accept_unbound = true;
    const level = form.querySelector("#min-level").value;
    if (level) ask.min_eqf_level = Number(level);
    const institutions = list(form.querySelector("#institutions").value);
    if (institutions.length) ask.institutions = institutions;
    const countries = list(form.querySelector("#countries").value.toUpperCase());
    if (countries.length) ask.countries = countries;
    const requester = form.querySelector("#requester").value.trim();
    if (requester) ask.requester = requester;
    const label = form.querySelector("#label").value.trim();
    if (label) ask.label = label;
    error.hidden = true;
    button.disabled = true;
    try {
      const { status, body } = await request("POST", "/request", ask);
      if (status === 201 && body && body.result_url) {
        window.location.assign(new URL(body.result_url).pathname);
        return;
      }
      error.textContent = problem(body, "HTTP " + status);
      error.hidden = false;
    } catch (e) {
      error.textContent = String(e);
      error.hidden = false;
    } finally {
      button.disabled = false;
    }
  }

  function card(c) {
    const r = c.report || {};
    const a = r.achievement || {};
    const h = r.holder || {};
    const kind = a.kind ? t("kind." + a.kind) : null;
    /* Verified but for naming no holder (the verifier accepted that): amber, never green. */
    const state = c.verified ? "verified" : c.verified_unbound ? "verified_unbound" : "not_verified";
    const look = { verified: "ok", verified_unbound: "warn", not_verified: "bad" }[state];
    return el("li", { class: "card achievement " + look, "data-state": state },
      el("p", { class: "verdict" }, el("span", { class: "mark", "aria-hidden": "true" }, c.verified ? "✓" : c.verified_unbound ? "!" : "✗"), " ",
        el("strong", { class: "headline" }, t("request." + state))),
      h.name ? el("p", { class: "holder" }, h.name, h.birth_date ? " (" + date(h.birth_date) + ")" : "") : null,
      a.title ? el("h3", {}, a.title) : null,
      a.institution ? el("p", { class: "institution" }, a.institution) : null,
      el("dl", { class: "facts" },
        kind ? [el("dt", {}, t("field.kind")), el("dd", {}, kind)] : null,
        a.awarded_on ? [el("dt", {}, t("field.awarded")), el("dd", {}, date(a.awarded_on))] : null,
        a.credits !== null && a.credits !== undefined ? [el("dt", {}, t("field.credits")), el("dd", {}, number(a.credits))] : null,
        a.grade ? [el("dt", {}, t("field.grade")), el("dd", {}, grade(a.grade))] : null),
      c.verified_unbound ? el("p", { class: "reason unbound" }, t("request.unbound"))
        : c.reason ? el("p", { class: "reason" }, t("request.because") + " " + (c.reason === UNBOUND ? t("request.unbound") : c.reason)) : null);
  }

  function show(doc) {
    const wait = document.getElementById("request-wait");
    const result = document.getElementById("request-result");
    const verdict = document.getElementById("request-verdict");
    const reason = document.getElementById("request-reason");
    const status = document.getElementById("request-status");
    if (doc.status === "pending") {
      status.textContent = t("request.waiting");
      return false;
    }
    wait.hidden = true;
    result.hidden = false;
    const ok = doc.status === "verified";
    const unbound = doc.status === "verified_unbound";
    result.classList.toggle("ok", ok);
    result.classList.toggle("warn", unbound);
    result.classList.toggle("bad", !ok && !unbound);
    result.dataset.state = doc.status;
    if (doc.status === "expired") {
      verdict.textContent = t("request.not_verified");
      reason.textContent = t("request.because") + " " + t("request.expired");
      return true;
    }
    verdict.textContent = t("request." + (ok || unbound ? doc.status : "not_verified"));
    const r = doc.result || {};
    reason.textContent = ok ? "" : unbound ? t("request.unbound")
      : t("request.because") + " " + (r.reason === UNBOUND ? t("request.unbound") : r.reason || "");
    replace(document.getElementById("request-credentials"), (r.credentials || []).map(card));
    result.focus();
    return true;
  }

  async function poll(view) {
    for (let delay = 1000; ; delay = Math.min(delay * 1.2, 5000)) {
      try {
        const { status, body } = await request("GET", "/v1/verifier/results/" + encodeURIComponent(view));
        if (status === 200 && body && show(body)) return;
        if (status !== 200) {
          document.getElementById("request-status").textContent = problem(body, "HTTP " + status);
          return;
        }
      } catch (e) {
        /* a network hiccup: try again */
      }
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }

  if (form) {
    form.addEventListener("submit", (ev) => { ev.preventDefault(); create(); });
  } else {
    const m = window.location.pathname.match(/^\/request\/([A-Za-z0-9_-]+)$/);
    if (m) poll(m[1]);
  }
})();
