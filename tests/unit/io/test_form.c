/* Unit tests for form bodies (io/form.h): decoding, repeated and empty fields, and the bodies
 * refused whole (bad escapes, NUL bytes, invalid UTF-8, too many fields). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "io/form.h"

/* Each field as "name=value;" after decoding. */
static int collect(void *ctx, const char *name, const char *value, size_t len)
{
	struct buf *b = ctx;

	assert_int_equal(strlen(value), len);
	return buf_addf(b, "%s=%s;", name, value);
}

static int parse(const char *body, char *out, size_t cap, struct ok_error *err)
{
	struct buf b;
	int rc;

	buf_init(&b, 1 << 16);
	ok_error_clear(err);
	rc = io_form_parse(body, strlen(body), collect, &b, err);
	snprintf(out, cap, "%s", b.data);
	buf_release(&b);
	return rc;
}

static void decodes_fields_in_order(void **state)
{
	struct ok_error err;
	char out[512];

	(void)state;
	assert_int_equal(parse("sessionId=a%2Bb+c&returnUrl=https%3A%2F%2Fx.example%2Fr%3Fq%3D1"
	                       "&a=1&a=2&&flag&empty=",
	                       out, sizeof(out), &err),
	                 0);
	assert_string_equal(out, "sessionId=a+b c;returnUrl=https://x.example/r?q=1;a=1;a=2;flag=;"
	                         "empty=;");
	assert_int_equal(parse("name=J%C3%BCrgen%20%C3%85", out, sizeof(out), &err), 0);
	assert_string_equal(out, "name=Jürgen Å;");
	assert_int_equal(parse("", out, sizeof(out), &err), 0);
	assert_string_equal(out, "");
}

static void refuses_bad_bodies_whole(void **state)
{
	static const char *const bad[] = {"a=%zz", "a=%4", "a=%", "a=1&b=%00", "%FF=1", "a=%C3%28"};
	struct ok_error err;
	char out[512];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(parse(bad[i], out, sizeof(out), &err), OK_EINPUT);
		assert_string_equal(err.field, "form");
	}
}

static void caps_the_number_of_fields(void **state)
{
	struct buf body, got;
	struct ok_error err;
	int i;

	(void)state;
	buf_init(&body, 1 << 20);
	buf_init(&got, 1 << 20);
	for (i = 0; i <= IO_FORM_FIELDS_MAX; i++)
		assert_int_equal(buf_addstr(&body, "a=1&"), 0);
	ok_error_clear(&err);
	assert_int_equal(io_form_parse(body.data, body.len, collect, &got, &err), OK_EINPUT);
	assert_non_null(strstr(err.message, "more than"));
	buf_release(&body);
	buf_release(&got);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(decodes_fields_in_order),
	        cmocka_unit_test(refuses_bad_bodies_whole),
	        cmocka_unit_test(caps_the_number_of_fields),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
