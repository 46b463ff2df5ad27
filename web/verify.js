/* The verify page: a pasted or dropped credential (JSON or a VC-JOSE token) goes to
 * POST /credentials/verify; the page shows whom and what it is about, the headline verdict, and
 * every check as passed, failed or not applicable, explained in the page's language. */
"use strict";

(() => {
  const { t, el, replace, request, problem, lang, date, number, grade } = oorkonde;
  const form = document.getElementById("verify-form");
  const text = document.getElementById("credential");
  const file = document.getElementById("file");
  const drop = form;
  const button = document.getElementById("verify-button");
  const result = document.getElementById("verify-result");
  const verdict = document.getElementById("verify-verdict");
  const checks = document.getElementById("verify-checks");
  const subject = document.getElementById("verify-subject");
  const CHECKS = ["proof", "validity", "status", "issuer"];

  function show(ok, heading, items, about) {
    result.hidden = false;
    result.classList.toggle("ok", ok);
    result.classList.toggle("bad", !ok);
    verdict.textContent = heading;
    replace(subject, about || []);
    replace(checks, items);
    result.focus();
  }

  /* Whom and what the credential is about: the holder first, then the result. */
  function about(body) {
    const h = body.holder, a = body.achievement;
    if (!h && !a) return [];
    const kind = a && a.kind ? (t("kind." + a.kind) === "kind." + a.kind ? a.kind : t("kind." + a.kind)) : null;
    const none = t("field.none");
    return [
      el("p", { class: "eyebrow" }, t("verify.about")),
      el("p", { class: "holder", id: "verify-holder" }, (h && h.name) || t("share.holder.unknown")),
      h && h.birth_date ? el("p", { class: "born" }, t("share.born") + " " + date(h.birth_date)) : null,
      /* Marked by the verdict: what a forged credential states is not shown as fact. */
      a ? el("div", { class: "card achievement " + (body.verified ? "verified" : "unverified") },
        el("h3", {}, a.title || none),
        el("p", { class: "institution" }, (a.institution || none) + (a.country ? " (" + a.country + ")" : "")),
        el("dl", { class: "facts" },
          el("dt", {}, t("field.kind")), el("dd", {}, kind || none),
          el("dt", {}, t("field.awarded")), el("dd", {}, a.awarded_on ? date(a.awarded_on) : none),
          el("dt", {}, t("field.credits")), el("dd", {}, typeof a.credits === "number" ? number(a.credits) : none),
          el("dt", {}, t("field.grade")), el("dd", {}, a.grade ? grade(a.grade) : none))) : null,
    ];
  }

  /* The headline in the page's language: "Ingetrokken door de instelling op 4 juli 2024". */
  function headline(body) {
    const h = body.headline || {};
    /* "headline.revoked_destroyed": destroyed under the retention schedule. */
    const key = "headline." + (h.state || "not_verified") + (h.reason ? "_" + h.reason : "");
    let text = t(key) === key ? t("headline.not_verified") : t(key);
    if (h.since && (h.state === "revoked" || h.state === "suspended"))
      text += " " + t(h.state === "revoked" ? "headline.on" : "headline.since") + " " + date(h.since);
    return text;
  }

  function checkItem(d) {
    const known = CHECKS.includes(d.check);
    const name = known ? t("check." + d.check) : d.check;
    const state = d.state || (d.passed ? "passed" : "failed");
    const na = state === "not_applicable";
    const passed = state === "passed" || state === "warning";
    /* English pages give the server's own words; Dutch ones the explanation of its reason. */
    let explain;
    if (na) explain = t("check.na.explain");
    else if (lang === "en" || !known) explain = d.message;
    else {
      const key = "check." + d.check + "." + (d.reason || (passed ? "ok" : "bad"));
      explain = t(key) === key ? t(passed ? "check.passed.explain" : "check.failed.explain") : t(key);
    }
    return el("li", { class: na ? "na" : passed ? "pass" : "fail", "data-check": d.check, "data-state": state },
      el("span", { class: "mark", "aria-hidden": "true" }, na ? "– " : passed ? "✓ " : "✗ "),
      el("strong", {}, name + ": " + t(na ? "check.na" : passed ? "check.passed" : "check.failed") + ". "),
      explain);
  }

  async function verify() {
    const input = text.value.trim();
    if (!input) {
      show(false, t("verify.empty"), []);
      text.focus();
      return;
    }
    let credential = input;
    if (input.startsWith("{")) {
      try {
        credential = JSON.parse(input);
      } catch (e) {
        show(false, t("verify.notcredential"), [el("li", { class: "fail" }, e.message)]);
        return;
      }
    }
    button.disabled = true;
    const old = button.textContent;
    button.textContent = t("verify.busy");
    try {
      const { status, body } = await request("POST", "/credentials/verify", { verifiableCredential: credential });
      if (body && Array.isArray(body.details)) {
        const items = body.details.map(checkItem);
        for (const e of body.errors || []) {
          if (!e.check) items.push(el("li", { class: "fail" }, el("strong", {}, t("verify.notcredential") + ". "), e.detail || ""));
        }
        const notCredential = body.details.length === 0 && !body.verified;
        show(body.verified === true, notCredential ? t("verify.notcredential") : headline(body), items, about(body));
      } else {
        show(false, t("verify.error"), [el("li", { class: "fail" }, problem(body, "HTTP " + status))]);
      }
    } catch (e) {
      show(false, t("verify.error"), [el("li", { class: "fail" }, String(e))]);
    } finally {
      button.disabled = false;
      button.textContent = old;
    }
  }

  async function load(f) {
    try {
      text.value = (await f.text()).trim();
      await verify();
    } catch (e) {
      show(false, t("verify.file.error"), []);
    }
  }

  form.addEventListener("submit", (ev) => { ev.preventDefault(); verify(); });
  file.addEventListener("change", () => { if (file.files[0]) load(file.files[0]); });
  drop.addEventListener("dragover", (ev) => { ev.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (ev) => {
    ev.preventDefault();
    drop.classList.remove("over");
    if (ev.dataTransfer.files[0]) load(ev.dataTransfer.files[0]);
  });
})();
