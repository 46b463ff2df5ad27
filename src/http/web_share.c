/* The verifier's share page (/s/{token}): the shared achievements with the verification the
 * server did on opening, the depository that vouches for them, and the share's expiry; the
 * document itself rides along as a JSON data block. Rendered on the server, so that it reads
 * right without JavaScript. */
#include "http/internal.h"
#include "http/web.h"
#include "registry/portal.h"

#include <stdio.h>
#include <string.h>

#define FRAGMENT_MAX ((size_t)4 << 20)

static const char *str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

/* "2025-01-31T12:00:00Z" → "2025-01-31 12:00 UTC"; a date stays as it is. */
static void readable_time(const char *iso, char *out, size_t cap)
{
	if (strlen(iso) >= 16 && iso[10] == 'T')
		snprintf(out, cap, "%.10s %.5s UTC", iso, iso + 11);
	else
		snprintf(out, cap, "%s", iso);
}

static const char *text_or(const char *lang, const char *prefix, const char *value)
{
	char key[WEB_HOLE_MAX + 1];
	const char *t;

	snprintf(key, sizeof(key), "%s%s", prefix, value);
	t = web_text(lang, key);
	return t ? t : value;
}

/* The checks of one verification result, as list items. */
static int render_checks(const json_t *verification, const char *lang, struct buf *out,
                         struct ok_error *err)
{
	const json_t *d;
	size_t i;
	int rc = 0;

	json_array_foreach(json_object_get(verification, "details"), i, d)
	{
		bool passed = json_is_true(json_object_get(d, "passed"));
		const struct web_var vars[] = {
		        {"class", passed ? "pass" : "fail", false},
		        {"mark", passed ? "✓" : "✗", false},
		        {"name", text_or(lang, "check.", str(d, "check")), false},
		        {"state", web_text(lang, passed ? "check.passed" : "check.failed"), false},
		        {"message", str(d, "message"), false},
		};
		if ((rc = web_fragment("check_item.html", lang, vars, 5, out, err)))
			break;
	}
	return rc;
}

/* One achievement card; *verified says whether it passed every check. */
static int render_item(const json_t *a, const char *lang, struct buf *out, bool *verified,
                       struct ok_error *err)
{
	const json_t *inst = json_object_get(a, "institution"), *credits;
	const json_t *verification = json_object_get(a, "verification");
	char institution[512], credit_text[32], grade[256];
	struct buf checks;
	int rc;

	*verified = json_is_true(json_object_get(verification, "verified"));
	snprintf(institution, sizeof(institution), "%s%s%s%s", str(inst, "name"),
	         str(inst, "country")[0] ? " (" : "", str(inst, "country"),
	         str(inst, "country")[0] ? ")" : "");
	credits = json_object_get(a, "credits");
	if (json_is_number(credits))
		snprintf(credit_text, sizeof(credit_text), "%g", json_number_value(credits));
	else
		snprintf(credit_text, sizeof(credit_text), "%s", web_text(lang, "field.none"));
	snprintf(grade, sizeof(grade), "%s",
	         str(a, "grade")[0] ? str(a, "grade") : web_text(lang, "field.none"));
	buf_init(&checks, FRAGMENT_MAX);
	rc = render_checks(verification, lang, &checks, err);
	if (rc == 0) {
		const struct web_var vars[] = {
		        {"class", *verified ? "verified" : "unverified", false},
		        {"title", str(a, "title"), false},
		        {"institution", institution, false},
		        {"kind", text_or(lang, "kind.", str(a, "kind")), false},
		        {"awarded", str(a, "awarded_on"), false},
		        {"credits", credit_text, false},
		        {"grade", grade, false},
		        {"mark", *verified ? "✓" : "✗", false},
		        {"verdict",
		         web_text(lang, *verified ? "share.verified" : "share.unverified"), false},
		        {"checks", checks.data, true},
		};
		rc = web_fragment("share_item.html", lang, vars, sizeof(vars) / sizeof(vars[0]),
		                  out, err);
	}
	buf_release(&checks);
	return rc;
}

static void gone_page(struct http_request *req, struct http_response *res, const json_t *doc)
{
	const char *lang = http_lang(req);
	char when[64], text[512];

	readable_time(str(doc, "expires"), when, sizeof(when));
	if (strcmp(str(doc, "state"), "revoked") == 0)
		snprintf(text, sizeof(text), "%s", web_text(lang, "gone.revoked"));
	else
		snprintf(text, sizeof(text), "%s %s.", web_text(lang, "gone.expired"), when);
	{
		const struct web_var vars[] = {
		        {"heading", web_text(lang, "gone.title"), false},
		        {"text", text, false},
		};
		web_page(req, res, 410, "gone.html", "gone.title", vars, 2);
	}
}

void web_share_page(struct http_request *req, struct http_response *res, const char *token)
{
	const char *lang = http_lang(req);
	json_t *doc = NULL, *a, *dep;
	struct buf items, data;
	struct ok_error err;
	char expires[64];
	size_t i, verified = 0, total;
	int rc;

	ok_error_clear(&err);
	/* Never in a search engine's index, whatever the answer. */
	http_header(res, "X-Robots-Tag", "noindex");
	/* A HEAD (a link preview, a checker) learns the state only: no opening is counted. */
	if (strcmp(req->method, "HEAD") == 0) {
		rc = portal_share_state(req->dep, token, &doc, &err);
		if (rc == 0) {
			http_text(res, 200, "text/html; charset=utf-8", "", 0);
			return;
		}
	} else {
		rc = portal_share_open(req->dep, token, &doc, &err);
	}
	if (rc == OK_ENOTFOUND || (rc == OK_EGONE && !doc)) {
		const struct web_var vars[] = {{"text", web_text(lang, "notfound.share"), false}};
		web_page(req, res, rc == OK_EGONE ? 410 : 404, "notfound.html", "notfound.title",
		         vars, 1);
		json_decref(doc);
		return;
	}
	if (rc == OK_EGONE) {
		gone_page(req, res, doc);
		json_decref(doc);
		return;
	}
	if (rc) {
		http_problem_from_error(res, &err);
		json_decref(doc);
		return;
	}
	buf_init(&items, FRAGMENT_MAX);
	buf_init(&data, FRAGMENT_MAX);
	total = json_array_size(json_object_get(doc, "achievements"));
	json_array_foreach(json_object_get(doc, "achievements"), i, a)
	{
		bool ok = false;
		/* Withdrawn (no longer the learner's): only that it is no longer shared. */
		if (strcmp(str(a, "state"), "withdrawn") == 0)
			rc = web_fragment("share_withdrawn.html", lang, NULL, 0, &items, &err);
		else
			rc = render_item(a, lang, &items, &ok, &err);
		if (rc)
			break;
		verified += ok;
	}
	if (rc == 0)
		rc = web_json_block(&data, doc);
	if (rc == 0) {
		bool member;
		dep = json_object_get(doc, "depository");
		member = json_is_true(json_object_get(dep, "network_member"));
		readable_time(str(doc, "expires"), expires, sizeof(expires));
		const struct web_var vars[] = {
		        {"recipient", str(doc, "recipient"), false},
		        {"expires", str(doc, "expires"), false},
		        {"expires_text", expires, false},
		        {"dep_name", str(dep, "name"), false},
		        {"dep_did", str(dep, "did"), false},
		        {"member_class", member ? "member" : "not-member", false},
		        {"member_text", web_text(lang, member ? "share.member" : "share.notmember"),
		         false},
		        {"summary_class", verified == total && total ? "ok" : "bad", false},
		        {"summary",
		         web_text(lang, verified == total && total ? "share.all" : "share.some"),
		         false},
		        {"items", items.data, true},
		        {"token", token, false},
		        {"data", data.data, true},
		};
		web_page(req, res, 200, "share.html", "share.title", vars,
		         sizeof(vars) / sizeof(vars[0]));
	} else {
		http_problem(res, 500, "internal", "Internal error", "the page could not be made");
	}
	buf_release(&items);
	buf_release(&data);
	json_decref(doc);
}
