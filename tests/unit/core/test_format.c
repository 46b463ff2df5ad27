/* Unit tests for ok_format and ok_path_join: whole text or an error, never a cut. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "core/error.h"
#include "core/format.h"

static void format_fits(void **state)
{
	char out[8];

	(void)state;
	assert_int_equal(ok_format(out, sizeof(out), "%s-%d", "ab", 42), 0);
	assert_string_equal(out, "ab-42");
	/* Exactly cap - 1 characters still fit. */
	assert_int_equal(ok_format(out, sizeof(out), "%s", "1234567"), 0);
	assert_string_equal(out, "1234567");
}

static void format_too_long_is_an_error_and_leaves_nothing(void **state)
{
	char out[8];

	(void)state;
	memcpy(out, "garbage", 8);
	assert_int_equal(ok_format(out, sizeof(out), "%s", "12345678"), OK_ETOOBIG);
	assert_string_equal(out, "");
	assert_int_equal(ok_format(out, 1, "%s", "x"), OK_ETOOBIG);
	assert_string_equal(out, "");
	assert_int_equal(ok_format(out, 1, "%s", ""), 0);
}

static void copy_array_copies_whole_strings(void **state)
{
	char small[4] = "abc", big[16];
	char unterminated[4] = {'w', 'x', 'y', 'z'};

	(void)state;
	memset(big, 'q', sizeof(big));
	OK_COPY_ARRAY(big, small);
	assert_string_equal(big, "abc");
	/* An array without its NUL (never so in the code) still gives a terminated string. */
	OK_COPY_ARRAY(big, unterminated);
	assert_string_equal(big, "wxy");
}

static void path_join_and_reuse(void **state)
{
	struct buf p;

	(void)state;
	buf_init(&p, OK_PATH_MAX);
	assert_int_equal(ok_path_join(&p, "data", "config.json"), 0);
	assert_string_equal(p.data, "data/config.json");
	assert_int_equal(ok_path_join(&p, "/srv/a", "issuer.key"), 0);
	assert_string_equal(p.data, "/srv/a/issuer.key");
	assert_int_equal(p.len, strlen("/srv/a/issuer.key"));
	buf_release(&p);
}

static void path_longer_than_4096_is_whole(void **state)
{
	char dir[6000];
	struct buf p;

	(void)state;
	memset(dir, 'd', sizeof(dir) - 1);
	dir[sizeof(dir) - 1] = '\0';
	buf_init(&p, OK_PATH_MAX);
	assert_int_equal(ok_path_join(&p, dir, "data.key"), 0);
	assert_int_equal(p.len, sizeof(dir) - 1 + strlen("/data.key"));
	assert_string_equal(p.data + sizeof(dir), "data.key");
	buf_release(&p);
}

static void path_past_the_cap_is_an_error(void **state)
{
	struct buf p;

	(void)state;
	buf_init(&p, 10);
	assert_int_equal(ok_path_join(&p, "fold", "name"), 0);
	assert_int_equal(ok_path_join(&p, "folder", "name"), OK_ETOOBIG);
	assert_int_equal(p.len, 0); /* nothing of the old path or a part of the new one */
	buf_release(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(format_fits),
	        cmocka_unit_test(format_too_long_is_an_error_and_leaves_nothing),
	        cmocka_unit_test(copy_array_copies_whole_strings),
	        cmocka_unit_test(path_join_and_reuse),
	        cmocka_unit_test(path_longer_than_4096_is_whole),
	        cmocka_unit_test(path_past_the_cap_is_an_error),
	};
	return cmocka_run_group_tests_name("core/format", tests, NULL, NULL);
}
