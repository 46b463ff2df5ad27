/* libFuzzer target for the form-body reader (io/form.h): every field handed on is valid UTF-8
 * without a NUL inside, and no more than IO_FORM_FIELDS_MAX of them. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "io/form.h"
#include "io/utf8.h"

static int seen(void *ctx, const char *name, const char *value, size_t len)
{
	size_t *count = ctx;

	if (strlen(value) != len || !utf8_valid(name, strlen(name)) || !utf8_valid(value, len) ||
	    ++*count > IO_FORM_FIELDS_MAX)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ok_error err;
	size_t count = 0;

	ok_error_clear(&err);
	(void)io_form_parse((const char *)data, size, seen, &count, &err);
	return 0;
}
