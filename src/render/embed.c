/* The embedded web/ folder (see embed.h): finding a file, a text, and filling a template with
 * the strings table. */
#include "render/embed.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

struct render_string {
	const char *key;
	const char *text[2]; /* nl, en */
};

#include "ok_web.h"

#define FILE_COUNT   (sizeof(render_files) / sizeof(render_files[0]))
#define STRING_COUNT (sizeof(render_strings) / sizeof(render_strings[0]))

/* The report's texts are not sent to the pages' scripts. */
#define REPORT_PREFIX "report."

static int lang_index(const char *lang)
{
	return lang && strcmp(lang, "nl") == 0 ? 0 : 1;
}

static int cmp_string(const void *key, const void *elem)
{
	return strcmp(key, ((const struct render_string *)elem)->key);
}

const char *render_text(const char *lang, const char *key)
{
	const struct render_string *s =
	        bsearch(key, render_strings, STRING_COUNT, sizeof(render_strings[0]), cmp_string);

	return s ? s->text[lang_index(lang)] : NULL;
}

const struct render_file *render_file(const char *name)
{
	for (size_t i = 0; i < FILE_COUNT; i++)
		if (strcmp(render_files[i].name, name) == 0)
			return &render_files[i];
	return NULL;
}

static const char *text_in(void *ctx, const char *key)
{
	return render_text(ctx, key);
}

int render_fragment(const char *name, const char *lang, const struct render_var *vars, size_t nvars,
                    struct buf *out, struct ok_error *err)
{
	const struct render_file *f = render_file(name);

	if (!f)
		return ok_fail(err, OK_EINTERNAL, "no template %s", name);
	return render_template((const char *)f->data, f->len, text_in, (void *)lang, vars, nvars,
	                       out, err);
}

int render_strings_block(const char *lang, struct buf *out)
{
	json_t *doc = json_object();
	int rc = doc ? 0 : OK_ENOMEM;

	for (size_t i = 0; i < STRING_COUNT && rc == 0; i++) {
		if (strncmp(render_strings[i].key, REPORT_PREFIX, strlen(REPORT_PREFIX)) == 0)
			continue;
		rc = json_object_set_new(doc, render_strings[i].key,
		                         json_string(render_strings[i].text[lang_index(lang)]));
	}
	if (rc == 0)
		rc = render_json_block(out, doc);
	json_decref(doc);
	return rc ? OK_ENOMEM : 0;
}
