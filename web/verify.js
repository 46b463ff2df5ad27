/* The verify page: a pasted or dropped credential (JSON or a VC-JOSE token) goes to
 * POST /credentials/verify; every check is shown as passed or failed, with an explanation. */
"use strict";

(() => {
  const { t, el, replace, request, problem, lang } = oorkonde;
  const form = document.getElementById("verify-form");
  const text = document.getElementById("credential");
  const file = document.getElementById("file");
  const drop = form;
  const button = document.getElementById("verify-button");
  const result = document.getElementById("verify-result");
  const verdict = document.getElementById("verify-verdict");
  const checks = document.getElementById("verify-checks");
  const CHECKS = ["proof", "validity", "status", "issuer"];

  function show(ok, heading, items) {
    result.hidden = false;
    result.classList.toggle("ok", ok);
    result.classList.toggle("bad", !ok);
    verdict.textContent = heading;
    replace(checks, items);
    result.focus();
  }

  function checkItem(d) {
    const known = CHECKS.includes(d.check);
    const name = known ? t("check." + d.check) : d.check;
    const plain = known ? t("check." + d.check + (d.passed ? ".ok" : ".bad")) : "";
    /* The server explains in English; in Dutch the plain text comes first, the detail after. */
    const detail = lang === "en"
      ? el("span", { class: "detail" }, d.message)
      : el("span", { class: "detail", lang: "en" }, t("check.details") + ": " + d.message);
    return el("li", { class: d.passed ? "pass" : "fail", "data-check": d.check },
      el("span", { class: "mark", "aria-hidden": "true" }, d.passed ? "✓ " : "✗ "),
      el("strong", {}, name + ": " + t(d.passed ? "check.passed" : "check.failed") + ". "),
      lang === "en" ? null : plain, detail);
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
        show(body.verified === true, body.verified ? t("verify.ok") : notCredential ? t("verify.notcredential") : t("verify.bad"), items);
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
