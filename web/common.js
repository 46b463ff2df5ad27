/* Shared helpers of the pages: the strings of the page's language (a JSON block the server
 * fills), DOM building without innerHTML, dates and JSON requests. */
"use strict";

const oorkonde = (() => {
  const stringsNode = document.getElementById("strings");
  const strings = stringsNode ? JSON.parse(stringsNode.textContent) : {};
  const lang = document.documentElement.lang || "en";

  /* The text of key in the page's language (the key itself if missing). */
  function t(key) {
    return Object.prototype.hasOwnProperty.call(strings, key) ? strings[key] : key;
  }

  /* el("p", {class: "x"}, "text", child, …): an element; strings become text nodes. */
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === false || value === null || value === undefined) continue;
      if (name === "text") node.textContent = value;
      else node.setAttribute(name, value === true ? "" : String(value));
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(typeof child === "string" || typeof child === "number" ? String(child) : child);
    }
    return node;
  }

  function replace(target, ...children) {
    target.replaceChildren(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
  }

  const dateFmt = new Intl.DateTimeFormat(lang === "nl" ? "nl-NL" : "en-GB", { dateStyle: "long" });
  const timeFmt = new Intl.DateTimeFormat(lang === "nl" ? "nl-NL" : "en-GB", { dateStyle: "medium", timeStyle: "short" });

  /* "2024-07-01" → a date in words; a full timestamp → date and time. */
  function date(value) {
    if (!value) return t("field.none");
    const d = new Date(value.length === 10 ? value + "T12:00:00Z" : value);
    if (Number.isNaN(d.getTime())) return value;
    return value.length === 10 ? dateFmt.format(d) : timeFmt.format(d);
  }

  const numberFmt = new Intl.NumberFormat(lang === "nl" ? "nl-NL" : "en-GB", { maximumFractionDigits: 2 });

  /* 9.4 → "9,4" on Dutch pages, "9.4" on English ones. */
  function number(value) {
    return numberFmt.format(value);
  }

  /* A grade as written, but a plain decimal number the page's way ("9.4" → "9,4"). */
  function grade(value) {
    return lang === "nl" && /^[0-9]+\.[0-9]+$/.test(value) ? value.replace(".", ",") : value;
  }

  function timeEl(value) {
    return value ? el("time", { datetime: value }, date(value)) : t("field.none");
  }

  /* A JSON request; resolves to {status, body} (body null when not JSON). */
  async function request(method, path, body, csrf) {
    const headers = { Accept: "application/json" };
    const init = { method, headers, credentials: "same-origin" };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    if (csrf) headers["X-CSRF-Token"] = csrf;
    const res = await fetch(path, init);
    let data = null;
    if ((res.headers.get("Content-Type") || "").includes("json")) {
      try { data = await res.json(); } catch (e) { data = null; }
    }
    return { status: res.status, body: data };
  }

  /* The explanation of a problem+json answer, or a fallback. */
  function problem(body, fallback) {
    return (body && (body.detail || body.title)) || fallback;
  }

  return { t, el, replace, date, number, grade, timeEl, request, problem, lang };
})();
