/* libFuzzer target for the server's JSON writer (http/json_out.h), differential against jansson:
 * every document jansson reads (duplicates allowed, any value at the top wrapped in an array,
 * reals and integers as jansson keeps them) is written by json_out with the same bytes as
 * json_dumpb(JSON_COMPACT), and the text reads back as an equal document. A document with a value
 * under more than HTTP_JSON_DEPTH_MAX containers (jansson reads up to 2048) must be refused. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "http/json_out.h"

/* How many containers the deepest value of v is under (v itself at depth). */
static unsigned deepest(const json_t *v, unsigned depth)
{
	unsigned most = depth, d;
	const char *key;
	json_t *item;
	size_t i;

	if (json_is_object(v)) {
		json_object_foreach((json_t *)v, key, item)
		{
			if ((d = deepest(item, depth + 1)) > most)
				most = d;
		}
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, item)
		{
			if ((d = deepest(item, depth + 1)) > most)
				most = d;
		}
	}
	return most;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *doc = json_loadb((const char *)data, size, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
	json_t *top, *again;
	char *want;
	struct buf b;

	if (!doc)
		return 0;
	top = json_is_object(doc) || json_is_array(doc) ? json_incref(doc) : json_pack("[O]", doc);
	buf_init(&b, 0);
	if (deepest(top, 0) > HTTP_JSON_DEPTH_MAX) {
		if (http_json_write(&b, top) == 0 || b.len != 0)
			abort(); /* refused, and nothing left written */
		buf_release(&b);
		json_decref(top);
		json_decref(doc);
		return 0;
	}
	want = json_dumps(top, JSON_COMPACT);
	if (!want || http_json_write(&b, top) != 0 || b.len != strlen(want) ||
	    memcmp(b.data, want, b.len) != 0)
		abort();
	again = json_loadb(b.data, b.len, JSON_ALLOW_NUL, NULL);
	if (!again || !json_equal(again, top))
		abort();
	json_decref(again);
	buf_release(&b);
	free(want);
	json_decref(top);
	json_decref(doc);
	return 0;
}
