/* Template substitution and HTML/JSON escaping for the pages (see template.h). */
#include "render/template.h"

#include <stdlib.h>
#include <string.h>

int render_html_escape(struct buf *out, const char *s)
{
	const char *p = s ? s : "";
	int rc = 0;

	while (*p && rc == 0) {
		size_t plain = strcspn(p, "&<>\"'");
		if (plain) {
			rc = buf_add(out, p, plain);
			p += plain;
			continue;
		}
		switch (*p) {
		case '&':
			rc = buf_addstr(out, "&amp;");
			break;
		case '<':
			rc = buf_addstr(out, "&lt;");
			break;
		case '>':
			rc = buf_addstr(out, "&gt;");
			break;
		case '"':
			rc = buf_addstr(out, "&quot;");
			break;
		default:
			rc = buf_addstr(out, "&#39;");
			break;
		}
		p++;
	}
	return rc;
}

int render_json_block(struct buf *out, const json_t *doc)
{
	char *text = json_dumps(doc, JSON_COMPACT | JSON_ESCAPE_SLASH);
	const char *p;
	int rc = 0;

	if (!text)
		return OK_ENOMEM;
	/* '<', '>' and '&' occur only inside JSON strings, where \u escapes mean the same. */
	for (p = text; *p && rc == 0; p++) {
		if (*p == '<')
			rc = buf_addstr(out, "\\u003c");
		else if (*p == '>')
			rc = buf_addstr(out, "\\u003e");
		else if (*p == '&')
			rc = buf_addstr(out, "\\u0026");
		else
			rc = buf_addch(out, *p);
	}
	free(text);
	return rc;
}

static const struct render_var *find_var(const struct render_var *vars, size_t nvars,
                                         const char *name)
{
	for (size_t i = 0; i < nvars; i++)
		if (strcmp(vars[i].name, name) == 0)
			return &vars[i];
	return NULL;
}

/* Fills one hole "t:key" or "v:name" (hole[0..n)). */
static int fill(const char *hole, size_t n, render_text_fn text, void *ctx,
                const struct render_var *vars, size_t nvars, struct buf *out, struct ok_error *err)
{
	char name[RENDER_HOLE_MAX + 1];
	const struct render_var *v;
	const char *t;

	if (n < 3 || n - 2 > RENDER_HOLE_MAX || hole[1] != ':' ||
	    (hole[0] != 't' && hole[0] != 'v'))
		return ok_fail(err, OK_EINTERNAL,
		               "template hole {{%.*s}} is not {{t:key}} or {{v:name}}",
		               (int)(n < 80 ? n : 80), hole);
	memcpy(name, hole + 2, n - 2);
	name[n - 2] = '\0';
	if (hole[0] == 't') {
		if (!(t = text(ctx, name)))
			return ok_fail(err, OK_EINTERNAL, "template names unknown text %s", name);
		return render_html_escape(out, t) ? ok_fail(err, OK_ETOOBIG, "page too large") : 0;
	}
	if (!(v = find_var(vars, nvars, name)))
		return ok_fail(err, OK_EINTERNAL, "template names unknown value %s", name);
	if (v->raw ? buf_addstr(out, v->value ? v->value : "") : render_html_escape(out, v->value))
		return ok_fail(err, OK_ETOOBIG, "page too large");
	return 0;
}

int render_template(const char *tmpl, size_t len, render_text_fn text, void *ctx,
                    const struct render_var *vars, size_t nvars, struct buf *out,
                    struct ok_error *err)
{
	const char *p = tmpl, *end = tmpl + len;
	int rc;

	while (p < end) {
		const char *open = memmem(p, (size_t)(end - p), "{{", 2), *close;
		if (!open)
			open = end;
		if (buf_add(out, p, (size_t)(open - p)) != 0)
			return ok_fail(err, OK_ETOOBIG, "page too large");
		if (open == end)
			break;
		close = memmem(open + 2, (size_t)(end - open - 2), "}}", 2);
		if (!close)
			return ok_fail(err, OK_EINTERNAL, "template hole left open");
		rc = fill(open + 2, (size_t)(close - open - 2), text, ctx, vars, nvars, out, err);
		if (rc)
			return rc;
		p = close + 2;
	}
	return 0;
}
