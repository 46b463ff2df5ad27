/* The access report's page (see report.h): the document's parts written into the templates of
 * web/, sections and rows first, then the page around them. */
#include "render/report.h"

#include "render/embed.h"
#include "render/template.h"
#include "render/text.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#define NVARS(v)   (sizeof(v) / sizeof((v)[0]))
#define WORD_MAX   96 /* the longest key of a code's words */
#define PAGE_STYLE "<style>"

struct page {
	const json_t *doc;
	const char *lang; /* "nl" or "en" */
	size_t max;       /* the cap of every scratch buffer: the page's own */
	struct ok_error *err;
	int rc; /* the first failure; nothing is written after it */
};

/* Scratch buffers for the parts of a row or a page; they hold personal data, so they are wiped
 * before they are freed. */
#define CELLS_MAX 8

struct cells {
	struct buf c[CELLS_MAX];
};

static void cells_init(const struct page *p, struct cells *c)
{
	for (size_t i = 0; i < CELLS_MAX; i++)
		buf_init(&c->c[i], p->max);
}

static void cells_reset(struct cells *c)
{
	for (size_t i = 0; i < CELLS_MAX; i++) {
		sodium_memzero(c->c[i].data, c->c[i].len);
		buf_reset(&c->c[i]);
	}
}

static void cells_release(struct cells *c)
{
	for (size_t i = 0; i < CELLS_MAX; i++) {
		sodium_memzero(c->c[i].data, c->c[i].len);
		buf_release(&c->c[i]);
	}
}

static void too_big(struct page *p, int rc)
{
	if (rc && !p->rc)
		p->rc = rc == OK_ENOMEM
		                ? ok_fail(p->err, OK_ENOMEM, "out of memory")
		                : ok_fail(p->err, OK_ETOOBIG, "the report is too large to render");
}

static void raw(struct page *p, struct buf *b, const char *s)
{
	if (!p->rc)
		too_big(p, buf_addstr(b, s));
}

static void esc(struct page *p, struct buf *b, const char *s)
{
	if (!p->rc)
		too_big(p, render_html_escape(b, s));
}

static void fragment(struct page *p, struct buf *b, const char *name, const struct render_var *vars,
                     size_t nvars)
{
	if (!p->rc)
		p->rc = render_fragment(name, p->lang, vars, nvars, b, p->err);
}

static const char *str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

static const char *text(const struct page *p, const char *key)
{
	const char *t = render_text(p->lang, key);
	return t ? t : key;
}

/* A code as stored ("learner.read", "admission-check") in words: the text prefix + code, with
 * '-' written '_' as keys are; a code without one is shown as it is. */
static const char *word(const struct page *p, const char *prefix, const char *code)
{
	char key[WORD_MAX];
	size_t n = strlen(prefix), len = strlen(code), i;
	const char *t;

	if (n + len >= sizeof(key) || strchr(code, '_'))
		return code;
	memcpy(key, prefix, n);
	for (i = 0; i <= len; i++)
		key[n + i] = code[i] == '-' ? '_' : code[i];
	t = render_text(p->lang, key);
	return t ? t : code;
}

/* A time as stored ("2026-01-31T14:30:00Z"), shown in the page's language: "31 January 2026
 * 14:30 UTC"; a dash when there is none. */
static void when(struct page *p, struct buf *b, const char *iso)
{
	char shown[RENDER_DATE_TEXT_MAX + 16], day[11], date[RENDER_DATE_TEXT_MAX];

	if (!iso[0]) {
		raw(p, b, "–");
		return;
	}
	/* Sized to fit: ten characters of the date, and the date text with " HH:MM UTC". */
	snprintf(day, sizeof(day), "%.10s", iso);
	render_date_text(day, p->lang, date, sizeof(date));
	if (strlen(iso) == 20 && iso[10] == 'T')
		snprintf(shown, sizeof(shown), "%s %.5s UTC", date, iso + 11);
	else
		snprintf(shown, sizeof(shown), "%s", date);
	raw(p, b, "<time datetime=\"");
	esc(p, b, iso);
	raw(p, b, "\">");
	esc(p, b, shown);
	raw(p, b, "</time>");
}

/* A number of the document: 7.5 as "7.5" or "7,5", a whole number as it is, else a dash. */
static void number(struct page *p, struct buf *b, const json_t *v)
{
	char n[48];

	/* 48 bytes hold any long long and the dash: nothing is cut. */
	if (json_is_integer(v))
		snprintf(n, sizeof(n), "%lld", (long long)json_integer_value(v));
	else if (json_is_real(v))
		render_number_text(json_real_value(v), p->lang, n, sizeof(n));
	else
		snprintf(n, sizeof(n), "–");
	esc(p, b, n);
}

/* One "term: value" pair of a description list; value is markup when is_raw, else text.
 * Left out when value is empty. */
static void pair(struct page *p, struct buf *b, const char *term_key, const char *value,
                 bool is_raw)
{
	const struct render_var vars[] = {
	        {"term", text(p, term_key), false},
	        {"value", value, is_raw},
	};

	if (value && value[0])
		fragment(p, b, "report_pair.html", vars, NVARS(vars));
}

/* A "no such thing" paragraph. */
static void none(struct page *p, struct buf *b, const char *key)
{
	const struct render_var vars[] = {{"text", text(p, key), false}};

	fragment(p, b, "report_none.html", vars, NVARS(vars));
}

static void institution_name(struct page *p, struct buf *b, const char *code)
{
	const json_t *inst = json_object_get(json_object_get(p->doc, "institutions"), code);

	esc(p, b, code);
	if (inst) {
		raw(p, b, " (");
		esc(p, b, str(inst, "name"));
		raw(p, b, ")");
	}
}

/* Who an actor is, in words: the operator, you, an institution by name, a share's recipient. */
static void who(struct page *p, struct buf *b, const char *actor)
{
	const char *self = str(json_object_get(p->doc, "learner"), "id");
	const json_t *s;
	size_t i;

	if (strcmp(actor, "operator") == 0) {
		esc(p, b, text(p, "report.operator"));
		return;
	}
	if (strncmp(actor, "learner:", 8) == 0 && strcmp(actor + 8, self) == 0) {
		esc(p, b, text(p, "report.you"));
		return;
	}
	if (strncmp(actor, "institution:", 12) == 0) {
		char code[33];
		size_t n = strcspn(actor + 12, "/");
		esc(p, b, text(p, "report.institution_actor"));
		raw(p, b, " ");
		if (n < sizeof(code)) {
			memcpy(code, actor + 12, n);
			code[n] = '\0';
			institution_name(p, b, code);
		} else {
			esc(p, b, actor + 12);
		}
		return;
	}
	if (strncmp(actor, "share:", 6) == 0) {
		json_array_foreach(json_object_get(p->doc, "shares"), i, s)
		{
			if (strcmp(str(s, "id"), actor + 6) == 0) {
				esc(p, b, text(p, "report.share_actor"));
				raw(p, b, " ");
				esc(p, b, str(s, "recipient"));
				return;
			}
		}
		esc(p, b, text(p, "report.share_unknown"));
		return;
	}
	esc(p, b, actor);
}

/* What an event was about: nothing more for the learner's own record, an achievement's title,
 * else the record id. */
static void subject(struct page *p, struct buf *b, const char *id)
{
	const json_t *a;
	size_t i;

	if (!id[0] || strcmp(id, str(json_object_get(p->doc, "learner"), "id")) == 0)
		return;
	json_array_foreach(json_object_get(p->doc, "achievements"), i, a)
	{
		if (strcmp(str(a, "id"), id) == 0) {
			raw(p, b, ": ");
			esc(p, b, str(a, "title"));
			return;
		}
	}
	raw(p, b, " <span class=\"code\">(");
	esc(p, b, text(p, "report.about"));
	raw(p, b, " ");
	esc(p, b, id);
	raw(p, b, ")</span>");
}

/* Sections */

static void personal(struct page *p, struct buf *pairs, struct buf *registered)
{
	const json_t *l = json_object_get(p->doc, "learner");

	pair(p, pairs, "report.given_names", str(l, "given_names"), false);
	pair(p, pairs, "report.family_name", str(l, "family_name"), false);
	pair(p, pairs, "report.birth_date", str(l, "birth_date"), false);
	pair(p, pairs, "report.national_id", str(l, "national_id"), false);
	pair(p, pairs, "report.learner_id", str(l, "id"), false);
	when(p, registered, str(l, "registered"));
}

/* One side of a correction: the names and the birth date. */
static void identity_cell(struct page *p, struct buf *b, const json_t *o)
{
	const char *given = str(o, "given_names");

	esc(p, b, given);
	if (given[0])
		raw(p, b, " ");
	esc(p, b, str(o, "family_name"));
	raw(p, b, "<br>");
	esc(p, b, str(o, "birth_date"));
}

static void corrections(struct page *p, struct buf *out)
{
	const json_t *list = json_object_get(p->doc, "identity_corrections"), *c;
	struct cells row, rows;
	size_t i;

	if (!json_array_size(list))
		return;
	cells_init(p, &row);
	cells_init(p, &rows);
	json_array_foreach(list, i, c)
	{
		cells_reset(&row);
		when(p, &row.c[0], str(c, "at"));
		who(p, &row.c[1], str(c, "actor"));
		identity_cell(p, &row.c[2], json_object_get(c, "before"));
		identity_cell(p, &row.c[3], json_object_get(c, "after"));
		{
			const struct render_var vars[] = {
			        {"at", row.c[0].data, true},
			        {"who", row.c[1].data, true},
			        {"before", row.c[2].data, true},
			        {"after", row.c[3].data, true},
			};
			fragment(p, &rows.c[0], "report_correction_row.html", vars, NVARS(vars));
		}
	}
	{
		const struct render_var vars[] = {{"rows", rows.c[0].data, true}};
		fragment(p, out, "report_corrections.html", vars, NVARS(vars));
	}
	cells_release(&row);
	cells_release(&rows);
}

static void history(struct page *p, struct buf *out, const json_t *versions)
{
	char grade[RENDER_DATE_TEXT_MAX + 64];
	struct cells row, rows;
	const json_t *v;
	size_t i;

	if (!json_array_size(versions))
		return;
	cells_init(p, &row);
	cells_init(p, &rows);
	json_array_foreach(versions, i, v)
	{
		cells_reset(&row);
		number(p, &row.c[0], json_object_get(v, "version"));
		when(p, &row.c[1], str(v, "replaced"));
		render_grade_text(str(v, "grade"), p->lang, grade, sizeof(grade));
		{
			const struct render_var vars[] = {
			        {"version", row.c[0].data, true},
			        {"title", str(v, "title"), false},
			        {"replaced", row.c[1].data, true},
			        {"by", str(v, "replaced_by"), false},
			        {"reason", str(v, "reason"), false},
			        {"grade", grade, false},
			        {"status", word(p, "status.", str(v, "status")), false},
			};
			fragment(p, &rows.c[0], "report_history_row.html", vars, NVARS(vars));
		}
	}
	{
		const struct render_var vars[] = {{"rows", rows.c[0].data, true}};
		fragment(p, out, "report_history.html", vars, NVARS(vars));
	}
	cells_release(&row);
	cells_release(&rows);
}

/* A pair whose value is markup written into value (reset first). */
static void pair_of(struct page *p, struct buf *b, const char *term_key, struct buf *value)
{
	pair(p, b, term_key, value->data, true);
	sodium_memzero(value->data, value->len);
	buf_reset(value);
}

static void achievements(struct page *p, struct buf *out)
{
	const json_t *list = json_object_get(p->doc, "achievements"), *a;
	char t[RENDER_DATE_TEXT_MAX + 64];
	struct cells item;
	size_t i;

	if (!json_array_size(list)) {
		none(p, out, "report.no_achievements");
		return;
	}
	cells_init(p, &item);
	json_array_foreach(list, i, a)
	{
		struct buf *pairs = &item.c[0], *history_table = &item.c[1], *value = &item.c[2];

		cells_reset(&item);
		institution_name(p, value, str(a, "institution"));
		pair_of(p, pairs, "report.institution", value);
		pair(p, pairs, "report.kind", word(p, "report.kind.", str(a, "kind")), false);
		render_date_text(str(a, "awarded_on"), p->lang, t, sizeof(t));
		pair(p, pairs, "report.awarded", t, false);
		if (json_object_get(a, "credits")) {
			number(p, value, json_object_get(a, "credits"));
			pair_of(p, pairs, "report.credits", value);
		}
		if (str(a, "grade")[0]) {
			render_grade_text(str(a, "grade"), p->lang, t, sizeof(t));
			esc(p, value, t);
			if (str(a, "grading_scheme")[0]) {
				raw(p, value, " (");
				esc(p, value, str(a, "grading_scheme"));
				raw(p, value, ")");
			}
			pair_of(p, pairs, "report.grade", value);
		}
		if (json_object_get(a, "eqf_level")) {
			number(p, value, json_object_get(a, "eqf_level"));
			pair_of(p, pairs, "report.eqf", value);
		}
		pair(p, pairs, "report.programme", str(a, "programme_code"), false);
		pair(p, pairs, "report.language", str(a, "language"), false);
		pair(p, pairs, "report.status", word(p, "status.", str(a, "status")), false);
		pair(p, pairs, "report.record_id", str(a, "record_id"), false);
		number(p, value, json_object_get(a, "version"));
		pair_of(p, pairs, "report.version", value);
		when(p, value, str(a, "registered"));
		pair_of(p, pairs, "report.registered", value);
		when(p, value, str(a, "updated"));
		pair_of(p, pairs, "report.updated", value);
		history(p, history_table, json_object_get(a, "history"));
		{
			const struct render_var vars[] = {
			        {"title", str(a, "title"), false},
			        {"pairs", pairs->data, true},
			        {"history", history_table->data, true},
			};
			fragment(p, out, "report_achievement.html", vars, NVARS(vars));
		}
	}
	cells_release(&item);
}

static void foreign(struct page *p, struct buf *out)
{
	const json_t *list = json_object_get(p->doc, "foreign_achievements"), *f;
	char t[RENDER_DATE_TEXT_MAX + 64];
	struct cells item, items;
	size_t i;

	if (!json_array_size(list))
		return;
	cells_init(p, &item);
	cells_init(p, &items);
	json_array_foreach(list, i, f)
	{
		struct buf *pairs = &item.c[0];

		cells_reset(&item);
		pair(p, pairs, "report.from", str(f, "depository"), false);
		pair(p, pairs, "report.institution", str(f, "institution"), false);
		pair(p, pairs, "report.kind", word(p, "report.kind.", str(f, "kind")), false);
		render_date_text(str(f, "awarded_on"), p->lang, t, sizeof(t));
		pair(p, pairs, "report.awarded", t, false);
		render_grade_text(str(f, "grade"), p->lang, t, sizeof(t));
		pair(p, pairs, "report.grade", t, false);
		pair(p, pairs, "report.status", word(p, "status.", str(f, "status")), false);
		/* EMREX: a SHA-1 signature was accepted for its contact point only; say so. */
		if (strcmp(str(f, "format"), "elmo-sha1") == 0)
			pair(p, pairs, "report.signature", word(p, "report.format.", "elmo-sha1"),
			     false);
		{
			const struct render_var vars[] = {
			        {"title", str(f, "title"), false},
			        {"pairs", pairs->data, true},
			        {"history", "", true},
			};
			fragment(p, &items.c[0], "report_achievement.html", vars, NVARS(vars));
		}
	}
	{
		const struct render_var vars[] = {{"items", items.c[0].data, true}};
		fragment(p, out, "report_foreign.html", vars, NVARS(vars));
	}
	cells_release(&item);
	cells_release(&items);
}

static void shares(struct page *p, struct buf *out)
{
	const json_t *list = json_object_get(p->doc, "shares"), *s, *id;
	struct cells row, rows;
	size_t i, j;

	if (!json_array_size(list)) {
		none(p, out, "report.no_shares");
		return;
	}
	cells_init(p, &row);
	cells_init(p, &rows);
	json_array_foreach(list, i, s)
	{
		cells_reset(&row);
		when(p, &row.c[0], str(s, "created"));
		when(p, &row.c[1], str(s, "expires"));
		number(p, &row.c[2], json_object_get(s, "uses"));
		json_array_foreach(json_object_get(s, "achievements"), j, id)
		{
			if (j)
				raw(p, &row.c[3], ", ");
			esc(p, &row.c[3], json_string_value(id) ? json_string_value(id) : "");
		}
		{
			const struct render_var vars[] = {
			        {"recipient", str(s, "recipient"), false},
			        {"created", row.c[0].data, true},
			        {"expires", row.c[1].data, true},
			        {"revoked",
			         text(p, json_is_true(json_object_get(s, "revoked")) ? "report.yes"
			                                                             : "report.no"),
			         false},
			        {"uses", row.c[2].data, true},
			        {"achievements", row.c[3].data, true},
			};
			fragment(p, &rows.c[0], "report_share_row.html", vars, NVARS(vars));
		}
	}
	{
		const struct render_var vars[] = {{"rows", rows.c[0].data, true}};
		fragment(p, out, "report_shares.html", vars, NVARS(vars));
	}
	cells_release(&row);
	cells_release(&rows);
}

static void accesses(struct page *p, struct buf *out)
{
	const json_t *list = json_object_get(p->doc, "accesses"), *e;
	struct cells row, rows;
	size_t i;

	if (!json_array_size(list)) {
		none(p, out, "report.no_accesses");
		return;
	}
	cells_init(p, &row);
	cells_init(p, &rows);
	/* Newest first: what a reader looks for. */
	for (i = json_array_size(list); i-- > 0;) {
		e = json_array_get(list, i);
		cells_reset(&row);
		when(p, &row.c[0], str(e, "at"));
		who(p, &row.c[1], str(e, "actor"));
		esc(p, &row.c[2], word(p, "report.action.", str(e, "action")));
		subject(p, &row.c[2], str(e, "subject"));
		{
			const struct render_var vars[] = {
			        {"when", row.c[0].data, true},
			        {"who", row.c[1].data, true},
			        {"what", row.c[2].data, true},
			        {"why", word(p, "report.purpose.", str(e, "purpose")), false},
			};
			fragment(p, &rows.c[0], "report_access_row.html", vars, NVARS(vars));
		}
	}
	{
		const struct render_var vars[] = {{"rows", rows.c[0].data, true}};
		fragment(p, out, "report_accesses.html", vars, NVARS(vars));
	}
	cells_release(&row);
	cells_release(&rows);
}

/* The page */

int render_report_html(const json_t *doc, const char *lang, struct buf *out, struct ok_error *err)
{
	struct page p = {doc, lang && strcmp(lang, "nl") == 0 ? "nl" : "en", out->max, err, 0};
	const json_t *dep = json_object_get(doc, "depository");
	struct cells part;

	if (!json_is_object(doc) || !json_is_object(json_object_get(doc, "learner")))
		return ok_fail(err, OK_EINPUT, "not an access report");
	cells_init(&p, &part);
	when(&p, &part.c[0], str(doc, "generated"));
	personal(&p, &part.c[1], &part.c[2]);
	corrections(&p, &part.c[3]);
	achievements(&p, &part.c[4]);
	foreign(&p, &part.c[5]);
	shares(&p, &part.c[6]);
	accesses(&p, &part.c[7]);
	{
		const struct render_var vars[] = {
		        {"lang", p.lang, false},
		        {"dep_name", str(dep, "name"), false},
		        {"dep_did", str(dep, "did"), false},
		        {"generated", part.c[0].data, true},
		        {"personal", part.c[1].data, true},
		        {"registered", part.c[2].data, true},
		        {"corrections", part.c[3].data, true},
		        {"achievements", part.c[4].data, true},
		        {"foreign", part.c[5].data, true},
		        {"shares", part.c[6].data, true},
		        {"accesses", part.c[7].data, true},
		};
		fragment(&p, out, "report.html", vars, NVARS(vars));
	}
	cells_release(&part);
	return p.rc;
}

int render_report_csp(char out[RENDER_REPORT_CSP_MAX], struct ok_error *err)
{
	const struct render_file *f = render_file("report.html");
	const char *style = NULL, *end = NULL;
	unsigned char h[crypto_hash_sha256_BYTES];
	char b64[sodium_base64_ENCODED_LEN(crypto_hash_sha256_BYTES,
	                                   sodium_base64_VARIANT_ORIGINAL)];
	int n;

	if (f)
		style = memmem(f->data, f->len, PAGE_STYLE, strlen(PAGE_STYLE));
	if (style) {
		style += strlen(PAGE_STYLE);
		end = memmem(style, f->len - (size_t)(style - (const char *)f->data), "</style>",
		             8);
	}
	if (!end)
		return ok_fail(err, OK_EINTERNAL, "report.html has no style element");
	crypto_hash_sha256(h, (const unsigned char *)style, (unsigned long long)(end - style));
	sodium_bin2base64(b64, sizeof(b64), h, sizeof(h), sodium_base64_VARIANT_ORIGINAL);
	n = snprintf(out, RENDER_REPORT_CSP_MAX,
	             "default-src 'none'; style-src 'sha256-%s'; base-uri 'none'; "
	             "form-action 'none'; frame-ancestors 'none'",
	             b64);
	if (n < 0 || n >= RENDER_REPORT_CSP_MAX)
		return ok_fail(err, OK_EINTERNAL, "the report's policy does not fit");
	return 0;
}
