/* The verifier's pages: /request makes an OpenID4VP request from plain choices and goes to its
 * own page; /request/{view} shows the QR code and the wallet link, polls the request's state,
 * and shows the answer (who, what, which institution, verified or why not) when it comes. */
"use strict";

(() => {
  const { t, el, replace, request, problem, date, number, grade } = oorkonde;
  const form = document.getElementById("request-form");

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
    return el("li", { class: "card achievement " + (c.verified ? "ok" : "bad"), "data-state": c.verified ? "verified" : "not_verified" },
      el("p", { class: "verdict" }, el("span", { class: "mark", "aria-hidden": "true" }, c.verified ? "✓" : "✗"), " ",
        el("strong", { class: "headline" }, c.verified ? t("request.verified") : t("request.not_verified"))),
      h.name ? el("p", { class: "holder" }, h.name, h.birth_date ? " (" + date(h.birth_date) + ")" : "") : null,
      a.title ? el("h3", {}, a.title) : null,
      a.institution ? el("p", { class: "institution" }, a.institution) : null,
      el("dl", { class: "facts" },
        kind ? [el("dt", {}, t("field.kind")), el("dd", {}, kind)] : null,
        a.awarded_on ? [el("dt", {}, t("field.awarded")), el("dd", {}, date(a.awarded_on))] : null,
        a.credits !== null && a.credits !== undefined ? [el("dt", {}, t("field.credits")), el("dd", {}, number(a.credits))] : null,
        a.grade ? [el("dt", {}, t("field.grade")), el("dd", {}, grade(a.grade))] : null),
      c.reason ? el("p", { class: "reason" }, t("request.because") + " " + c.reason) : null,
      c.verified && c.format === "ldp_vc" && !c.holder_bound ? el("p", { class: "hint unbound" }, t("request.unbound")) : null);
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
    result.classList.toggle("ok", ok);
    result.classList.toggle("bad", !ok);
    result.dataset.state = doc.status;
    if (doc.status === "expired") {
      verdict.textContent = t("request.not_verified");
      reason.textContent = t("request.because") + " " + t("request.expired");
      return true;
    }
    verdict.textContent = ok ? t("request.verified") : t("request.not_verified");
    const r = doc.result || {};
    reason.textContent = ok ? "" : t("request.because") + " " + (r.reason || "");
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
