/* The learner's page: what is registered about me (GET /v1/me/achievements), shares (create,
 * list, revoke, with the link's QR code) and who looked, over the session's JSON endpoints.
 * Every state-changing request carries the session's CSRF token. */
"use strict";

(() => {
  const { t, el, replace, date, number, grade, timeEl, request, problem } = oorkonde;
  const $ = (id) => document.getElementById(id);
  const status = $("learner-status");
  let csrf = null;
  let titles = {}; /* achievement id → title, for the share list */

  function say(message) {
    status.textContent = message;
  }

  /* A failed request: a lost session sends the learner to the sign-in page. */
  function failed(res) {
    if (res.status === 401) {
      window.location.assign("/learner");
      return;
    }
    say(t("learner.error") + ": " + problem(res.body, "HTTP " + res.status));
  }

  function kindText(kind) {
    const key = "kind." + kind;
    return t(key) === key ? kind : t(key);
  }

  function achievementCard(a) {
    const facts = el("dl", { class: "facts" },
      el("dt", {}, t("field.kind")), el("dd", {}, kindText(a.kind)),
      el("dt", {}, t("field.awarded")), el("dd", {}, timeEl(a.awarded_on)),
      el("dt", {}, t("field.credits")), el("dd", {}, a.credits === null || a.credits === undefined ? t("field.none") : number(a.credits)),
      el("dt", {}, t("field.grade")), el("dd", {}, a.grade ? grade(a.grade) + (a.grading_scheme ? " (" + a.grading_scheme + ")" : "") : t("field.none")));
    const badge = a.status && a.status !== "active"
      ? el("span", { class: "badge " + a.status }, t("status." + a.status)) : null;
    const base = "/v1/me/achievements/" + encodeURIComponent(a.id) + "/credential?format=";
    return el("li", { class: "card achievement", "data-id": a.id, "data-kind": a.kind },
      el("h4", {}, a.title, " ", badge), facts,
      el("p", { class: "downloads" }, t("learner.download") + " ",
        /* The server names the file after the result (Content-Disposition). */
        el("a", { href: base + "di", download: "" }, "JSON"),
        el("a", { href: base + "jwt", download: "" }, "JWT")));
  }

  function renderAchievements(doc) {
    const groups = (doc && doc.institutions) || [];
    titles = {};
    const choices = [];
    let withheld = 0;
    const sections = groups.map((inst) => {
      for (const a of inst.achievements) {
        titles[a.id] = a.title;
        /* What the institution revoked or suspended is not offered: it is no longer valid. */
        if (a.status && a.status !== "active") {
          withheld++;
          continue;
        }
        const id = "pick-" + a.id;
        choices.push(el("li", {}, el("label", { for: id },
          el("input", { type: "checkbox", id, name: "achievements", value: a.id }),
          el("span", { class: "pick-title" }, a.title),
          el("span", { class: "pick-meta" }, inst.name + " · " + date(a.awarded_on)))));
      }
      return el("section", { class: "institution-group", "aria-label": inst.name },
        el("h3", {}, inst.name + (inst.country ? " (" + inst.country + ")" : "")),
        el("ul", { class: "cards" }, inst.achievements.map(achievementCard)));
    });
    replace($("achievements"), sections.length ? sections : el("p", {}, t("learner.none")));
    replace($("share-choices"), choices.length ? el("ul", { class: "picks" }, choices) : el("p", {}, t("learner.share.nothing")),
      withheld ? el("p", { class: "hint", id: "share-withheld" }, t("learner.share.withheld")) : null);
  }

  function shareState(s) {
    if (s.revoked) return "revoked";
    return new Date(s.expires) < new Date() ? "expired" : "active";
  }

  /* The shares last listed, by id: "Who looked" tells them apart by their creation date. */
  let sharesById = {};

  function renderShares(doc) {
    const shares = (doc && doc.shares) || [];
    sharesById = Object.fromEntries(shares.map((s) => [s.id, s]));
    if (!shares.length) {
      replace($("shares"), el("p", {}, t("learner.shares.none")));
      return;
    }
    replace($("shares"), el("ul", { class: "cards" }, shares.map((s) => {
      const state = shareState(s);
      const revoke = state === "active"
        ? el("button", { type: "button", class: "danger", "data-share": s.id }, t("learner.shares.revoke"))
        : null;
      if (revoke) revoke.addEventListener("click", () => revokeShare(s.id));
      return el("li", { class: "card share", "data-share": s.id, "data-state": state },
        el("h3", {}, s.recipient, " ", el("span", { class: "badge " + state }, t("learner.shares." + state))),
        el("dl", { class: "facts" },
          el("dt", {}, t("learner.shares.created")), el("dd", {}, timeEl(s.created)),
          el("dt", {}, t("learner.shares.expires")), el("dd", {}, timeEl(s.expires)),
          el("dt", {}, t("learner.shares.uses")), el("dd", { class: "uses" }, String(s.uses)),
          el("dt", {}, t("learner.shares.last")), el("dd", {}, s.last_used ? timeEl(s.last_used) : t("learner.shares.never")),
          el("dt", {}, t("learner.shares.items")), el("dd", {}, (s.achievements || []).map((id) => titles[id] || id).join(", "))),
        revoke);
    })));
  }

  function renderViews(doc) {
    const views = (doc && doc.views) || [];
    if (!views.length) {
      replace($("views"), el("p", {}, t("learner.views.none")));
      return;
    }
    /* Which share: its recipient, when it was made and the end of its id, so that two
     * shares to the same recipient are told apart. */
    const which = (v) => {
      const s = sharesById[v.share_id];
      return el("td", { class: "view-share", "data-share": v.share_id },
        s ? [t("learner.views.created"), " ", timeEl(s.created), " · "] : null,
        el("code", { title: v.share_id }, "…" + String(v.share_id).slice(-6)));
    };
    replace($("views"), el("div", { class: "table-wrap" }, el("table", {},
      el("thead", {}, el("tr", {}, el("th", { scope: "col" }, t("learner.views.at")), el("th", { scope: "col" }, t("learner.views.recipient")),
        el("th", { scope: "col" }, t("learner.views.share")))),
      el("tbody", {}, views.map((v) => el("tr", {}, el("td", {}, timeEl(v.at)), el("td", {}, v.recipient), which(v)))))));
  }

  async function refreshShares() {
    const [shares, views] = await Promise.all([request("GET", "/v1/me/shares"), request("GET", "/v1/me/views")]);
    if (shares.status === 200) renderShares(shares.body); else failed(shares);
    /* After the shares: the views name them. */
    if (views.status === 200) renderViews(views.body); else failed(views);
  }

  async function revokeShare(id) {
    if (!window.confirm(t("learner.shares.revoke.confirm"))) return;
    const res = await request("POST", "/v1/me/shares/" + encodeURIComponent(id) + "/revoke", {}, csrf);
    if (res.status !== 200) return failed(res);
    say(t("learner.shares.revoked.done"));
    await refreshShares();
  }

  async function createShare(ev) {
    ev.preventDefault();
    const error = $("share-error");
    const picked = [...document.querySelectorAll("#share-choices input:checked")].map((i) => i.value);
    const recipient = $("share-recipient").value.trim();
    const days = Number($("share-days").value);
    error.textContent = "";
    if (!picked.length) { error.textContent = t("learner.share.pick"); return; }
    if (!recipient) { error.textContent = t("learner.share.norecipient"); $("share-recipient").focus(); return; }
    if (!Number.isInteger(days) || days < 1 || days > 365) { error.textContent = t("learner.share.baddays"); $("share-days").focus(); return; }
    const res = await request("POST", "/v1/me/shares", { achievements: picked, recipient, days }, csrf);
    if (res.status !== 201) {
      error.textContent = problem(res.body, "HTTP " + res.status);
      return;
    }
    $("share-url").value = res.body.url;
    $("share-copied").textContent = "";
    const svg = res.body.qr_svg ? new DOMParser().parseFromString(res.body.qr_svg, "image/svg+xml").documentElement : null;
    replace($("share-qr"), svg && svg.nodeName === "svg" ? document.importNode(svg, true) : null);
    $("share-result").hidden = false;
    $("share-result").focus();
    await refreshShares();
  }

  /* "Add to wallet": an OpenID4VCI offer of the chosen results, as a QR code the wallet scans
   * (or the link, on the phone that holds the wallet), one use, for 10 minutes. */
  async function addToWallet() {
    const error = $("share-error");
    const picked = [...document.querySelectorAll("#share-choices input:checked")].map((i) => i.value);
    error.textContent = "";
    if (!picked.length) { error.textContent = t("learner.share.pick"); return; }
    const res = await request("POST", "/v1/me/wallet-offers", { achievements: picked }, csrf);
    if (res.status !== 201) {
      error.textContent = problem(res.body, "HTTP " + res.status);
      return;
    }
    const svg = res.body.qr_svg ? new DOMParser().parseFromString(res.body.qr_svg, "image/svg+xml").documentElement : null;
    replace($("wallet-qr"), svg && svg.nodeName === "svg" ? document.importNode(svg, true) : null);
    $("wallet-link").href = res.body.link;
    $("wallet-pin").textContent = res.body.pin || "";
    $("wallet-pin-row").hidden = !res.body.pin;
    replace($("wallet-expires"), timeEl(res.body.expires));
    $("wallet-result").hidden = false;
    $("wallet-result").focus();
  }

  function renderWallet(doc) {
    const issued = (doc && doc.issued) || [];
    replace($("wallet"), issued.length
      ? el("table", {}, el("thead", {}, el("tr", {},
        el("th", { scope: "col" }, t("learner.wallet.when")),
        el("th", { scope: "col" }, t("learner.wallet.what")),
        el("th", { scope: "col" }, t("learner.wallet.key")))),
      el("tbody", {}, issued.map((i) => el("tr", { "data-key": i.key },
        el("td", {}, timeEl(i.at)), el("td", {}, titles[i.achievement] || i.achievement),
        el("td", {}, el("code", { title: i.key }, "…" + String(i.key).slice(-8)))))))
      : el("p", {}, t("learner.wallet.none")));
  }

  async function copyLink() {
    const input = $("share-url");
    try {
      await navigator.clipboard.writeText(input.value);
      $("share-copied").textContent = t("learner.share.copied");
    } catch (e) {
      input.select();
      $("share-copied").textContent = document.execCommand && document.execCommand("copy")
        ? t("learner.share.copied") : t("learner.share.copy.failed");
    }
  }

  async function logout(ev) {
    ev.preventDefault();
    let res;
    try {
      res = await request("POST", "/logout", {}, csrf);
    } catch (e) {
      res = { status: 0, body: null };
    }
    if (res.status === 401) return failed(res); // signed out already: the sign-in page
    if (res.status === 200 && res.body && res.body.logout_url) {
      /* Signed in through an identity provider that ends its own session too. */
      window.location.assign(res.body.logout_url);
      return;
    }
    if (res.status !== 204) {
      /* Not signed out: say so, rather than leave as if it had worked. */
      say(t("learner.logout.failed") + " " + problem(res.body, res.status ? "HTTP " + res.status : ""));
      return;
    }
    window.location.assign("/");
  }

  function renderForeign(doc) {
    const items = (doc && doc.foreign) || [];
    replace($("foreign"), items.length
      ? el("ul", { class: "cards" }, items.map((a) => el("li", { class: "card", "data-id": a.id },
        el("h3", {}, a.title || a.id, " ", a.status && a.status !== "active" ? el("span", { class: "badge " + a.status }, t("status." + a.status)) : null,
          a.format === "elmo-sha1" ? el("span", { class: "badge suspended" }, t("learner.foreign.sha1")) : null),
        a.institution && a.institution.name ? el("p", { class: "institution" }, a.institution.name + (a.institution.country ? " (" + a.institution.country + ")" : "")) : null,
        el("dl", { class: "facts" },
          el("dt", {}, t("field.awarded")), el("dd", {}, timeEl(a.awarded_on)),
          el("dt", {}, t("field.credits")), el("dd", {}, a.credits === null || a.credits === undefined ? t("field.none") : number(a.credits)),
          el("dt", {}, t("field.grade")), el("dd", {}, a.grade || t("field.none")),
          el("dt", {}, t("learner.foreign.from")), el("dd", {}, a.issuer ? (a.issuer.name || a.issuer.did) + (a.issuer.country ? " (" + a.issuer.country + ")" : "") : t("field.none"))))))
      : el("p", {}, t("learner.foreign.none")));
  }

  async function addForeign(ev) {
    ev.preventDefault();
    const file = $("foreign-file").files[0];
    if (!file) return;
    const text = (await file.text()).trim();
    /* A JSON credential goes as it is, a VC-JOSE token as a JSON string. */
    const res = await request("POST", "/v1/me/imports", text.startsWith("{") ? JSON.parse(text) : text, csrf);
    if (res.status !== 200 && res.status !== 201) {
      $("foreign-result").textContent = t("learner.error") + ": " + problem(res.body, "HTTP " + res.status);
      return;
    }
    $("foreign-result").textContent = t("learner.foreign.added");
    const foreign = await request("GET", "/v1/me/foreign");
    if (foreign.status === 200) renderForeign(foreign.body);
  }

  /* Sections of other issues, shown only when their endpoints answer. */
  async function optional() {
    const report = await fetch("/learner/report", { method: "HEAD", credentials: "same-origin" });
    if (report.ok) $("report-link").hidden = false;
    const foreign = await request("GET", "/v1/me/foreign");
    if (foreign.status === 200) {
      $("foreign-section").hidden = false;
      renderForeign(foreign.body);
    }
  }

  async function start() {
    const me = await request("GET", "/v1/me");
    if (me.status !== 200) return failed(me);
    csrf = me.body.csrf;
    const l = me.body.learner || {};
    $("learner-name").textContent = t("learner.hello") + " " + [l.given_names, l.family_name].filter(Boolean).join(" ");
    const achievements = await request("GET", "/v1/me/achievements");
    if (achievements.status !== 200) return failed(achievements);
    renderAchievements(achievements.body);
    await refreshShares();
    const wallet = await request("GET", "/v1/me/wallet");
    if (wallet.status === 200) renderWallet(wallet.body);
    optional().catch(() => {});
  }

  $("share-form").addEventListener("submit", createShare);
  $("share-copy").addEventListener("click", copyLink);
  $("wallet-add").addEventListener("click", () => addToWallet().catch((e) => say(t("learner.error") + ": " + e)));
  $("logout-form").addEventListener("submit", logout);
  $("foreign-form").addEventListener("submit", (ev) => addForeign(ev).catch((e) => { $("foreign-result").textContent = t("learner.error") + ": " + e.message; }));
  start().catch((e) => say(t("learner.error") + ": " + e));
})();
