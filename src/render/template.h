/* The page templates' one substitution rule, apart from the embedded files so that it can be
 * tested alone.
 *
 * A template is HTML with two kinds of holes:
 *   {{t:key}}   a text of the strings table in the page's language, HTML-escaped
 *   {{v:name}}  a value the handler gives, HTML-escaped unless the value is marked raw (markup
 *               the handler built itself, or a JSON data block made safe by render_json_block)
 * Anything else between "{{" and "}}", an unknown key or name, or a hole left open is an
 * error: templates are ours, so such a mistake is a bug the tests must see.
 */
#ifndef OK_RENDER_TEMPLATE_H
#define OK_RENDER_TEMPLATE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"
#include "core/error.h"

#define RENDER_HOLE_MAX 64 /* longest key or name */

struct render_var {
	const char *name;
	const char *value; /* NULL counts as "" */
	bool raw;
};

/* Returns the text of key (NUL-terminated, at most RENDER_HOLE_MAX bytes), or NULL if none. */
typedef const char *(*render_text_fn)(void *ctx, const char *key);

/* Appends tmpl[0..len) to out with its holes filled. Returns 0, OK_EINTERNAL for a template
 * mistake (err says which), or OK_ETOOBIG / OK_ENOMEM. */
int render_template(const char *tmpl, size_t len, render_text_fn text, void *ctx,
                    const struct render_var *vars, size_t nvars, struct buf *out,
                    struct ok_error *err);

/* Appends s with & < > " ' as character references. Returns 0 or a buf error. */
int render_html_escape(struct buf *out, const char *s);

/*
 * Appends doc as JSON that can sit inside <script type="application/json">: compact, with '/',
 * '<', '>' and '&' written as \u escapes, so that no "</script" or "<!--" can appear.
 */
int render_json_block(struct buf *out, const json_t *doc);

#endif
