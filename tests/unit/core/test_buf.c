/* Unit tests for the capped buffer: growth, the cap, formatting, detaching. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/error.h"

static void empty_buffer_is_a_valid_string(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 16);
	assert_non_null(b.data);
	assert_string_equal(b.data, "");
	assert_int_equal(b.len, 0);
	buf_release(&b);
}

static void adds_and_formats(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 0);
	assert_int_equal(buf_addstr(&b, "ab"), 0);
	assert_int_equal(buf_addch(&b, 'c'), 0);
	assert_int_equal(buf_addf(&b, "-%d-%s", 42, "x"), 0);
	assert_string_equal(b.data, "abc-42-x");
	assert_int_equal(b.len, 8);
	buf_truncate(&b, 3);
	assert_string_equal(b.data, "abc");
	buf_release(&b);
}

static void refuses_to_pass_the_cap_and_keeps_content(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 5);
	assert_int_equal(buf_addstr(&b, "abcd"), 0);
	assert_int_equal(buf_addstr(&b, "ef"), OK_ETOOBIG);
	assert_string_equal(b.data, "abcd");
	assert_int_equal(buf_addf(&b, "%s", "xy"), OK_ETOOBIG);
	assert_string_equal(b.data, "abcd");
	assert_int_equal(buf_addch(&b, 'e'), 0);
	assert_string_equal(b.data, "abcde");
	assert_int_equal(buf_addch(&b, 'f'), OK_ETOOBIG);
	assert_int_equal(buf_grow(&b, SIZE_MAX), OK_ETOOBIG);
	buf_release(&b);
}

static void grows_over_many_appends(void **state)
{
	struct buf b;
	size_t i;

	(void)state;
	buf_init(&b, 0);
	for (i = 0; i < 100000; i++)
		assert_int_equal(buf_addch(&b, (char)('a' + i % 26)), 0);
	assert_int_equal(b.len, 100000);
	assert_int_equal(b.data[25], 'z');
	assert_int_equal(b.data[100000], '\0');
	buf_release(&b);
}

/* Without a cap (SIZE_MAX) the buffer still grows by doubling, not by what each append needs:
 * appending byte by byte must not reallocate every time. */
static void grows_by_doubling_without_a_cap(void **state)
{
	struct buf b;
	size_t i, grew = 0, alloc = 0;

	(void)state;
	buf_init(&b, SIZE_MAX);
	for (i = 0; i < 100000; i++) {
		assert_int_equal(buf_addch(&b, 'x'), 0);
		if (b.alloc != alloc)
			grew++;
		alloc = b.alloc;
	}
	assert_int_equal(b.len, 100000);
	assert_true(grew < 40);
	buf_release(&b);
}

static void detach_hands_over_ownership(void **state)
{
	struct buf b;
	size_t len;
	char *s;

	(void)state;
	buf_init(&b, 0);
	s = buf_detach(&b, &len);
	assert_string_equal(s, "");
	assert_int_equal(len, 0);
	free(s);
	assert_int_equal(buf_add(&b, "x\0y", 3), 0);
	s = buf_detach(&b, &len);
	assert_int_equal(len, 3);
	assert_memory_equal(s, "x\0y", 3);
	assert_int_equal(b.len, 0);
	assert_string_equal(b.data, "");
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(empty_buffer_is_a_valid_string),
	        cmocka_unit_test(adds_and_formats),
	        cmocka_unit_test(refuses_to_pass_the_cap_and_keeps_content),
	        cmocka_unit_test(grows_over_many_appends),
	        cmocka_unit_test(grows_by_doubling_without_a_cap),
	        cmocka_unit_test(detach_hands_over_ownership),
	};
	return cmocka_run_group_tests_name("core/buf", tests, NULL, NULL);
}
