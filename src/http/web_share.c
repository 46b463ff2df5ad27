/* The verifier's share page (/s/{token}): the shared achievements with the verification the
 * server did on opening, the depository that vouches for them, and the share's expiry; the
 * document itself rides along as a JSON data block. Rendered on the server, so that it reads
 * right without JavaScript. */
#include "http/internal.h"
#include "http/web.h"
#include "portal/portal.h"
#include "registry/verify_summary.h"

#include <stdio.h>
#include <string.h>

#define FRAGMENT_MAX ((size_t)4 << 20)

static const char *str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

/* "2025-01-31T12:00:00Z" → "31 januari 2025 12:00 UTC" (in lang); a date stays a date. */
static void readable_time(const char *iso, const char *lang, char *out, size_t cap)
{
	char day[11], text[RENDER_DATE_TEXT_MAX];

	/* Text for people on a page: day holds the ten characters it takes, and a cut of out
	 * (callers size it for a date text and a time) would only shorten what is shown. */
	snprintf(day, sizeof(day), "%.10s", iso);
	render_date_text(day, lang, text, sizeof(text));
	if (strlen(iso) >= 16 && iso[10] == 'T')
		snprintf(out, cap, "%s %.5s UTC", text, iso + 11);
	else
		snprintf(out, cap, "%s", text);
}

static const char *text_or(const char *lang, const char *prefix, const char *value)
{
	char key[RENDER_HOLE_MAX + 1];
	const char *t;

	if (snprintf(key, sizeof(key), "%s%s", prefix, value) >= (int)sizeof(key))
		return value;
	t = render_text(lang, key);
	return t ? t : value;
}

/* The explanation of one check in the page's language: English pages show the server's own
 * words; others the explanation of its reason code from the strings table. */
static const char *check_explanation(const json_t *d, const char *lang)
{
	char key[RENDER_HOLE_MAX + 1];
	const char *reason = str(d, "reason"), *t;

	if (strcmp(reason, "not_applicable") == 0)
		return render_text(lang, "check.na.explain");
	if (strcmp(lang, "en") == 0)
		return str(d, "message");
	if (snprintf(key, sizeof(key), "check.%s.%s", str(d, "check"), reason) < (int)sizeof(key) &&
	    (t = render_text(lang, key)))
		return t;
	return render_text(lang, json_is_true(json_object_get(d, "passed"))
	                                 ? "check.passed.explain"
	                                 : "check.failed.explain");
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
		const char *state = str(d, "state");
		bool passed = strcmp(state, "passed") == 0 || strcmp(state, "warning") == 0;
		bool na = strcmp(state, "not_applicable") == 0;
		const struct render_var vars[] = {
		        {"class",
		         na       ? "na"
		         : passed ? "pass"
		                  : "fail",
		         false},
		        {"mark",
		         na       ? "–"
		         : passed ? "✓"
		                  : "✗",
		         false},
		        {"check", str(d, "check"), false},
		        {"name", text_or(lang, "check.", str(d, "check")), false},
		        {"state",
		         render_text(lang, na       ? "check.na"
		                           : passed ? "check.passed"
		                                    : "check.failed"),
		         false},
		        {"message", check_explanation(d, lang), false},
		};
		if ((rc = render_fragment("check_item.html", lang, vars,
		                          sizeof(vars) / sizeof(vars[0]), out, err)))
			break;
	}
	return rc;
}

/* The headline of one result in the page's language: "Ingetrokken door de instelling op 4 juli
 * 2024", "Verified: genuine and valid", …; *verified says whether it passed every check. */
static void headline(const json_t *verification, const char *lang, char *out, size_t cap,
                     bool *verified)
{
	const json_t *h = json_object_get(verification, "headline");
	const char *state = str(h, "state"), *since = str(h, "since");
	const char *reason = str(h, "reason");
	char key[RENDER_HOLE_MAX + 1], date[RENDER_DATE_TEXT_MAX];
	const char *text;

	*verified = strcmp(state, "verified") == 0;
	/* "headline.revoked_destroyed": destroyed under the retention schedule. */
	if (snprintf(key, sizeof(key), "headline.%s%s%s", state, reason[0] ? "_" : "", reason) >=
	            (int)sizeof(key) ||
	    !(text = render_text(lang, key)))
		text = render_text(lang, "headline.not_verified");
	/* A headline for people, of words from the strings table and a date: a cut only
	 * shortens it. */
	render_date_text(since, lang, date, sizeof(date));
	if (since[0] && (strcmp(state, "revoked") == 0 || strcmp(state, "suspended") == 0))
		snprintf(out, cap, "%s %s %s", text,
		         render_text(lang, strcmp(state, "revoked") == 0 ? "headline.on"
		                                                         : "headline.since"),
		         date);
	else
		snprintf(out, cap, "%s", text);
}

/* One achievement card, its headline first; *verified says whether it passed every check. */
static int render_item(const json_t *a, const char *lang, struct buf *out, bool *verified,
                       struct ok_error *err)
{
	const json_t *inst = json_object_get(a, "institution"), *credits;
	const json_t *verification = json_object_get(a, "verification");
	const char *state = str(json_object_get(verification, "headline"), "state");
	char institution[512], credit_text[32], grade[256], awarded[RENDER_DATE_TEXT_MAX],
	        verdict[256];
	struct buf checks;
	int rc;

	headline(verification, lang, verdict, sizeof(verdict), verified);
	/* Text for people: a stored name (at most 200 bytes) and a two-letter country fit in
	 * 512 bytes, and the strings table's words in credit_text are short. */
	snprintf(institution, sizeof(institution), "%s%s%s%s", str(inst, "name"),
	         str(inst, "country")[0] ? " (" : "", str(inst, "country"),
	         str(inst, "country")[0] ? ")" : "");
	credits = json_object_get(a, "credits");
	if (json_is_number(credits))
		render_number_text(json_number_value(credits), lang, credit_text,
		                   sizeof(credit_text));
	else
		snprintf(credit_text, sizeof(credit_text), "%s", render_text(lang, "field.none"));
	render_grade_text(str(a, "grade")[0] ? str(a, "grade") : render_text(lang, "field.none"),
	                  lang, grade, sizeof(grade));
	render_date_text(str(a, "awarded_on"), lang, awarded, sizeof(awarded));
	buf_init(&checks, FRAGMENT_MAX);
	rc = render_checks(verification, lang, &checks, err);
	if (rc == 0) {
		const struct render_var vars[] = {
		        {"class", *verified ? "verified" : "unverified", false},
		        {"state", state[0] ? state : "not_verified", false},
		        {"title", str(a, "title"), false},
		        {"institution", institution, false},
		        {"kind", text_or(lang, "kind.", str(a, "kind")), false},
		        {"awarded_iso", str(a, "awarded_on"), false},
		        {"awarded", awarded, false},
		        {"credits", credit_text, false},
		        {"grade", grade, false},
		        {"mark", *verified ? "✓" : "✗", false},
		        {"verdict", verdict, false},
		        {"checks", checks.data, true},
		};
		rc = render_fragment("share_item.html", lang, vars, sizeof(vars) / sizeof(vars[0]),
		                     out, err);
	}
	buf_release(&checks);
	return rc;
}

static void gone_page(struct http_request *req, struct http_response *res, const json_t *doc)
{
	const char *lang = http_lang(req);
	char when[64], text[512];

	/* A sentence for people, of the strings table's words and a date: a cut only shortens
	 * it. */
	readable_time(str(doc, "expires"), lang, when, sizeof(when));
	if (strcmp(str(doc, "state"), "revoked") == 0)
		snprintf(text, sizeof(text), "%s", render_text(lang, "gone.revoked"));
	else
		snprintf(text, sizeof(text), "%s %s.", render_text(lang, "gone.expired"), when);
	{
		const struct render_var vars[] = {
		        {"heading", render_text(lang, "gone.title"), false},
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
		const struct render_var vars[] = {
		        {"text", render_text(lang, "notfound.share"), false}};
		web_page(req, res, ok_http_status(rc), "notfound.html", "notfound.title", vars, 1);
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
			rc = render_fragment("share_withdrawn.html", lang, NULL, 0, &items, &err);
		else if (strcmp(str(a, "state"), "destroyed") == 0)
			rc = render_fragment("share_destroyed.html", lang, NULL, 0, &items, &err);
		else
			rc = render_item(a, lang, &items, &ok, &err);
		if (rc)
			break;
		verified += ok;
	}
	if (rc == 0)
		rc = render_json_block(&data, doc);
	if (rc == 0) {
		bool member;
		dep = json_object_get(doc, "depository");
		member = json_is_true(json_object_get(dep, "network_member"));
		readable_time(str(doc, "expires"), lang, expires, sizeof(expires));
		const json_t *holder = json_object_get(doc, "holder");
		const char *name = str(holder, "name"), *born = str(holder, "birth_date");
		char born_text[RENDER_DATE_TEXT_MAX + 64], day[RENDER_DATE_TEXT_MAX];
		render_date_text(born, lang, day, sizeof(day));
		/* A short word of the strings table and a date text: born_text holds both. */
		snprintf(born_text, sizeof(born_text), "%s %s", render_text(lang, "share.born"),
		         day);
		const struct render_var vars[] = {
		        {"holder", name[0] ? name : render_text(lang, "share.holder.unknown"),
		         false},
		        {"born_hidden", born[0] ? "" : "hidden", false},
		        {"born", born[0] ? born_text : "", false},
		        {"recipient", str(doc, "recipient"), false},
		        {"expires", str(doc, "expires"), false},
		        {"expires_text", expires, false},
		        {"dep_name", str(dep, "name"), false},
		        {"dep_did", str(dep, "did"), false},
		        {"member_class", member ? "member" : "not-member", false},
		        {"member_text",
		         render_text(lang, member ? "share.member" : "share.notmember"), false},
		        {"summary_class", verified == total && total ? "ok" : "bad", false},
		        {"summary",
		         render_text(lang, verified == total && total ? "share.all" : "share.some"),
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
