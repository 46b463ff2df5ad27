/* The web/ folder as built into the binary (scripts/embed_web.py): the templates and assets, and
 * the one strings table (web/strings.json) of the pages and the access report, each text in
 * Dutch and English.
 *
 * Invariants: the table and the files are constant and sorted at build time; every {{t:key}} of
 * a template names a key of the table (the build fails otherwise); nothing returned is ever
 * freed. A language other than "nl" is English.
 */
#ifndef OK_RENDER_EMBED_H
#define OK_RENDER_EMBED_H

#include <stddef.h>

#include "core/buf.h"
#include "core/error.h"
#include "render/template.h"

struct render_file {
	const char *name; /* "home.html", "style.css" */
	const char *type; /* its media type */
	const unsigned char *data;
	size_t len;
};

/* The text of key in lang ("nl" or "en"), or NULL when the strings table has no such key. */
const char *render_text(const char *lang, const char *key);

/* The embedded file name (a file of web/, no folder), or NULL. */
const struct render_file *render_file(const char *name);

/* Appends the template name (a file of web/) filled with vars in lang to out. Returns 0, or
 * OK_EINTERNAL for an unknown template or a template mistake, OK_ETOOBIG / OK_ENOMEM. */
int render_fragment(const char *name, const char *lang, const struct render_var *vars, size_t nvars,
                    struct buf *out, struct ok_error *err);

/*
 * Appends the strings of lang that the pages' scripts read, as a JSON data block (see
 * render_json_block): every key but those of the access report ("report."), which has no
 * script. Returns 0, OK_ENOMEM or a buf error.
 */
int render_strings_block(const char *lang, struct buf *out);

#endif
