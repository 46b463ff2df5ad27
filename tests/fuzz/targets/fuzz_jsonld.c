/* libFuzzer target for JSON-LD to N-Quads: any JSON document either converts or fails with an
 * error code and a message, within small limits; a conversion gives the same bytes twice, every
 * line a quad ending in " .", sorted without duplicates; a failure leaves the output as it was. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/error.h"
#include "vc/jcs.h"
#include "vc/jsonld.h"

static void check_lines(const struct buf *b)
{
	const char *p = b->data, *prev = NULL, *end = b->data + b->len;
	size_t prev_len = 0;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len;

		if (!nl)
			abort();
		len = (size_t)(nl - p);
		if (len < 3 || memcmp(nl - 2, " .", 2) != 0)
			abort();
		if (prev) {
			size_t n = prev_len < len ? prev_len : len;
			int c = memcmp(prev, p, n);
			if (c > 0 || (c == 0 && prev_len >= len))
				abort();
		}
		prev = p;
		prev_len = len;
		p = nl + 1;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vc_jsonld_limits l = vc_jsonld_limits_default;
	struct buf one, two;
	struct ok_error err;
	json_t *doc = NULL;
	int rc;

	if (vc_jcs_parse((const char *)data, size, 0, &doc, &err) != 0)
		return 0;
	l.max_nodes = 500;
	l.max_quads = 2000;
	l.max_context_steps = 20000;
	l.strict = size % 2 == 0;
	l.plain_form = l.strict && size % 3 != 0; /* both the plain form and general JSON-LD */
	buf_init(&one, (size_t)4 << 20);
	buf_init(&two, (size_t)4 << 20);
	rc = vc_jsonld_to_nquads(doc, &l, &one, &err);
	if (rc != 0) {
		if (one.len != 0 || err.code != rc || err.message[0] == '\0')
			abort();
	} else {
		check_lines(&one);
		if (vc_jsonld_to_nquads(doc, &l, &two, &err) != 0 || two.len != one.len ||
		    memcmp(one.data, two.data, one.len) != 0)
			abort();
	}
	buf_release(&one);
	buf_release(&two);
	json_decref(doc);
	return 0;
}
