/* Helpers shared by the jose unit tests: fixtures from $OK_FIXTURES, base64url in place. */
#ifndef OK_TEST_JOSE_TEST_H
#define OK_TEST_JOSE_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/buf.h"
#include "core/error.h"

/* Reads $OK_FIXTURES/rel as JSON; a file that cannot be read fails the test. */
static inline json_t *jt_fixture_json(const char *rel)
{
	const char *dir = getenv("OK_FIXTURES");
	char path[1024];
	json_error_t jerr;
	json_t *v;

	assert_non_null(dir);
	assert_true(snprintf(path, sizeof(path), "%s/%s", dir, rel) < (int)sizeof(path));
	v = json_load_file(path, 0, &jerr);
	if (!v)
		fail_msg("cannot read fixture %s: %s", path, jerr.text);
	return v;
}

/* The string member name of obj (must exist). */
static inline const char *jt_str(const json_t *obj, const char *name)
{
	const json_t *v = json_object_get(obj, name);

	if (!json_is_string(v))
		fail_msg("no string %s", name);
	return json_string_value(v);
}

#endif
