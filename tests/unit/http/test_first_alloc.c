/* Unit tests for the server's first allocations: an announced body's buffer and a JSON answer's
 * each take at most what the comments and docs say (64 KiB, 4 KiB), not the next power of two. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <string.h>

#include "core/buf.h"
#include "http/internal.h"

static size_t first_alloc(unsigned long long announced)
{
	struct buf b;
	size_t alloc;

	buf_init(&b, (size_t)1 << 20);
	assert_int_equal(buf_grow(&b, http_body_first_grow(announced)), 0);
	alloc = b.alloc;
	buf_release(&b);
	return alloc;
}

static void body_at_most_64_kib(void **state)
{
	(void)state;
	assert_int_equal(first_alloc(1), 64); /* buf's smallest */
	assert_int_equal(first_alloc(40000), 65536);
	assert_int_equal(first_alloc(65535), 65536); /* with its NUL, in one */
	assert_int_equal(first_alloc(65536), 65536);
	assert_int_equal(first_alloc(70000), 65536);
	assert_int_equal(first_alloc(1 << 20), 65536);
	assert_int_equal(first_alloc(~0ULL), 65536);
}

static void json_answer_first_try_4_kib(void **state)
{
	struct http_response res;

	(void)state;
	memset(&res, 0, sizeof(res));
	buf_init(&res.body, (size_t)1 << 20);
	http_json(&res, 200, json_pack("{s:s}", "status", "ok"));
	assert_int_equal(res.status, 200);
	assert_int_equal(res.body.alloc, 4096);
	assert_memory_equal(res.body.data, "{\"status\":\"ok\"}", 15);
	buf_release(&res.body);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(body_at_most_64_kib),
	        cmocka_unit_test(json_answer_first_try_4_kib),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
