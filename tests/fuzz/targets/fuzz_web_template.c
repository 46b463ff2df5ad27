/* libFuzzer target for the page templates' substitution and escaping (render/template.h): any
 * template renders or fails cleanly; a template without "{{" is copied as is; HTML escaping and
 * the JSON data block leave no markup characters and read back as the input. */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "render/template.h"

/* Texts for keys that start with a letter, none for others. */
static const char *text_of(void *ctx, const char *key)
{
	(void)ctx;
	if (strlen(key) > RENDER_HOLE_MAX)
		abort();
	if ((key[0] >= 'a' && key[0] <= 'z') || (key[0] >= 'A' && key[0] <= 'Z'))
		return key[0] == 'x' ? "<b>\"x\" & 'y'</b>" : key;
	return NULL;
}

static const struct render_var vars[] = {
        {"name", "<script>alert(1)</script>", false},
        {"main", "<p>raw</p>", true},
        {"empty", NULL, false},
        {"none", NULL, true},
};

/* Undoes render_html_escape; false when s holds markup characters. */
static bool unescape_equals(const char *s, size_t n, const char *want)
{
	static const char *const ent[][2] = {
	        {"&amp;", "&"}, {"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&#39;", "'"}};
	size_t i = 0, j = 0;

	while (i < n) {
		size_t k;
		if (strchr("<>\"'", s[i]))
			return false;
		if (s[i] != '&') {
			if (want[j++] != s[i++])
				return false;
			continue;
		}
		for (k = 0; k < 5; k++)
			if (strncmp(s + i, ent[k][0], strlen(ent[k][0])) == 0)
				break;
		if (k == 5 || want[j++] != ent[k][1][0])
			return false;
		i += strlen(ent[k][0]);
	}
	return want[j] == '\0';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *tmpl = (const char *)data;
	struct ok_error err;
	struct buf out;
	char *text;
	json_t *s;
	int rc;

	ok_error_clear(&err);
	buf_init(&out, (size_t)1 << 20);
	rc = render_template(tmpl, size, text_of, NULL, vars, sizeof(vars) / sizeof(vars[0]), &out,
	                     &err);
	if (rc != 0 && rc != OK_EINTERNAL && rc != OK_ETOOBIG && rc != OK_ENOMEM)
		abort();
	if (rc == 0 && !memmem(tmpl, size, "{{", 2) &&
	    (out.len != size || (size && memcmp(out.data, tmpl, size) != 0)))
		abort();
	buf_release(&out);

	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	buf_init(&out, (size_t)8 << 20);
	if (render_html_escape(&out, text) != 0 || !unescape_equals(out.data, out.len, text))
		abort();
	buf_release(&out);

	/* The data block: nothing that could end the script element, and the same string back. */
	s = json_stringn(text, strlen(text));
	if (s) {
		json_t *doc = json_pack("{s:O}", "v", s), *back;
		buf_init(&out, (size_t)8 << 20);
		if (!doc || render_json_block(&out, doc) != 0)
			abort();
		if (memchr(out.data, '<', out.len) || memchr(out.data, '>', out.len) ||
		    memchr(out.data, '&', out.len))
			abort();
		back = json_loadb(out.data, out.len, 0, NULL);
		if (!json_equal(back, doc))
			abort();
		json_decref(back);
		json_decref(doc);
		buf_release(&out);
		json_decref(s);
	}
	free(text);
	return 0;
}
