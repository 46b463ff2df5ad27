/* Unit tests for render/: template holes, HTML escaping, JSON data blocks that cannot end their
 * script element, and the embedded strings table and templates. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "core/buf.h"
#include "core/error.h"
#include "render/embed.h"
#include "render/template.h"

static const char *texts(void *ctx, const char *key)
{
	(void)ctx;
	if (strcmp(key, "hello") == 0)
		return "Hello <you> & \"them\"";
	if (strcmp(key, "plain") == 0)
		return "plain";
	return NULL;
}

static int render(const char *tmpl, const struct render_var *vars, size_t n, struct buf *out,
                  struct ok_error *err)
{
	buf_reset(out);
	ok_error_clear(err);
	return render_template(tmpl, strlen(tmpl), texts, NULL, vars, n, out, err);
}

static void fills_texts_and_values_escaped(void **state)
{
	const struct render_var vars[] = {
	        {"name", "O'Brien <script>", false},
	        {"markup", "<b>bold</b>", true},
	        {"none", NULL, false},
	};
	struct ok_error err;
	struct buf b;

	(void)state;
	buf_init(&b, 1 << 16);
	assert_int_equal(render("<p>{{t:hello}}</p>{{v:name}}|{{v:markup}}|{{v:none}}|{{t:plain}}",
	                        vars, 3, &b, &err),
	                 0);
	assert_string_equal(b.data, "<p>Hello &lt;you&gt; &amp; &quot;them&quot;</p>"
	                            "O&#39;Brien &lt;script&gt;|<b>bold</b>||plain");
	/* Text around and without holes stays as it is, single braces too. */
	assert_int_equal(render("a { b } c", vars, 3, &b, &err), 0);
	assert_string_equal(b.data, "a { b } c");
	assert_int_equal(render("", vars, 3, &b, &err), 0);
	assert_string_equal(b.data, "");
	buf_release(&b);
}

static void template_mistakes_are_errors(void **state)
{
	const struct render_var vars[] = {{"name", "x", false}};
	struct ok_error err;
	struct buf b;

	(void)state;
	buf_init(&b, 1 << 16);
	assert_int_equal(render("{{t:missing}}", vars, 1, &b, &err), OK_EINTERNAL);
	assert_non_null(strstr(err.message, "missing"));
	assert_int_equal(render("{{v:other}}", vars, 1, &b, &err), OK_EINTERNAL);
	assert_int_equal(render("{{x:name}}", vars, 1, &b, &err), OK_EINTERNAL);
	assert_int_equal(render("{{name}}", vars, 1, &b, &err), OK_EINTERNAL);
	assert_int_equal(render("{{v:}}", vars, 1, &b, &err), OK_EINTERNAL);
	assert_int_equal(render("before {{v:name", vars, 1, &b, &err), OK_EINTERNAL);
	buf_release(&b);
}

static void a_full_page_is_too_big(void **state)
{
	const struct render_var vars[] = {{"name", "0123456789", false}};
	struct ok_error err;
	struct buf b;

	(void)state;
	buf_init(&b, 12);
	assert_int_equal(render("{{v:name}}{{v:name}}", vars, 1, &b, &err), OK_ETOOBIG);
	buf_release(&b);
}

static void json_blocks_cannot_close_their_script(void **state)
{
	json_t *doc = json_pack("{s:s, s:s}", "recipient", "</script><!--<script>&", "url",
	                        "http://x/s/a");
	json_t *back;
	struct buf b;

	(void)state;
	buf_init(&b, 1 << 16);
	assert_int_equal(render_json_block(&b, doc), 0);
	assert_null(strchr(b.data, '<'));
	assert_null(strchr(b.data, '>'));
	assert_null(strchr(b.data, '&'));
	assert_null(strstr(b.data, "</"));
	/* Still the same JSON. */
	back = json_loads(b.data, 0, NULL);
	assert_non_null(back);
	assert_true(json_equal(doc, back));
	json_decref(back);
	json_decref(doc);
	buf_release(&b);
}

static void strings_table_has_both_languages(void **state)
{
	(void)state;
	assert_string_equal(render_text("en", "verify.button"), "Verify");
	assert_string_equal(render_text("nl", "verify.button"), "Controleren");
	assert_null(render_text("en", "no.such.key"));
	/* The first and the last key of the sorted table are found too. */
	assert_non_null(render_text("nl", "back_home"));
	assert_non_null(render_text("nl", "verify.title"));
	/* The access report's texts are in the table too, but not among the scripts' strings. */
	assert_string_equal(render_text("nl", "report.title"), "Inzageoverzicht");
}

static void scripts_get_the_pages_strings(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 1 << 20);
	assert_int_equal(render_strings_block("nl", &b), 0);
	assert_non_null(strstr(b.data, "\"verify.button\":\"Controleren\""));
	assert_null(strstr(b.data, "report."));
	buf_release(&b);
}

static void fragments_come_from_the_embedded_files(void **state)
{
	const struct render_var vars[] = {{"text", "<gone>", false}};
	struct ok_error err;
	struct buf b;

	(void)state;
	buf_init(&b, 1 << 16);
	ok_error_clear(&err);
	assert_int_equal(render_fragment("notfound.html", "nl", vars, 1, &b, &err), 0);
	assert_non_null(strstr(b.data, "Niet gevonden"));
	assert_non_null(strstr(b.data, "&lt;gone&gt;"));
	assert_int_equal(render_fragment("nope.html", "nl", vars, 1, &b, &err), OK_EINTERNAL);
	buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(fills_texts_and_values_escaped),
	        cmocka_unit_test(template_mistakes_are_errors),
	        cmocka_unit_test(a_full_page_is_too_big),
	        cmocka_unit_test(json_blocks_cannot_close_their_script),
	        cmocka_unit_test(strings_table_has_both_languages),
	        cmocka_unit_test(scripts_get_the_pages_strings),
	        cmocka_unit_test(fragments_come_from_the_embedded_files),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
