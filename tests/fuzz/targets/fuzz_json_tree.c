/* libFuzzer target for the strict JSON reader (core/json_tree.h), differential against jansson
 * (JSON_REJECT_DUPLICATES | JSON_DECODE_ANY): the same documents accepted, with the same values;
 * a refusal keeps nothing and says why; lookups of every member and item find what iteration
 * finds; what the reader notes of strings, names and nesting agrees with the bytes; a second
 * document parsed into the same tree leaves the first as it was. The one known
 * difference (json_tree.h): jansson skips a NUL byte right after a number or literal, json_tree
 * refuses it; such an input must then read, without its NUL bytes, as jansson read it. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/json_tree.h"
#include "../../common/json_tree_notes.h"

/* jansson accepted s, json_tree refused it: only the known difference may explain it. jansson
 * accepts a NUL byte nowhere else, so s without its NUL bytes is what jansson read. */
static void known_difference(const char *s, size_t size, const json_t *j)
{
	const struct json_tree_limits lim = {.depth = JSON_TREE_DEPTH_MAX};
	struct json_tree t;
	json_t *mine = NULL;
	uint32_t root;
	size_t n = 0;
	char *c;

	if (!memchr(s, '\0', size))
		abort(); /* refused by json_tree, accepted by jansson, no NUL: a real difference */
	c = malloc(size ? size : 1);
	if (!c)
		abort();
	for (size_t i = 0; i < size; i++) {
		if (s[i] == '\0') {
			/* After a number's last character or a literal's, nothing else. */
			if (i == 0 || s[i - 1] == '\0' || !strchr("0123456789el", s[i - 1]))
				abort();
		} else {
			c[n++] = s[i];
		}
	}
	json_tree_init(&t);
	if (json_tree_parse(&t, c, n, &lim, &root, NULL) ||
	    json_tree_to_jansson(&t, root, &mine, NULL) || !json_equal(j, mine))
		abort();
	json_decref(mine);
	json_tree_release(&t);
	free(c);
}

/* Every member found again by name and every item by index. */
static void check_lookups(const struct json_tree *t, uint32_t i, unsigned depth)
{
	uint32_t c;
	size_t k = 0;

	if (depth > 64)
		return;
	json_tree_foreach(t, i, c)
	{
		if (json_tree_is(t, i, JSON_TREE_OBJECT)) {
			size_t len;
			const char *key = json_tree_key(t, c, &len);

			if (!key || json_tree_getn(t, i, key, len) != c)
				abort();
		} else if (json_tree_at(t, i, k) != c) {
			abort();
		}
		k++;
		check_lookups(t, c, depth + 1);
	}
	if (k != json_tree_size(t, i))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct json_tree_limits lim = {.depth = JSON_TREE_DEPTH_MAX};
	const char *s = (const char *)data;
	json_t *j, *mine = NULL, *again = NULL;
	struct json_tree t;
	struct ok_error err;
	uint32_t root, second;
	int rc;

	json_tree_init(&t);
	ok_error_clear(&err);
	rc = json_tree_parse(&t, s, size, &lim, &root, &err);
	if (rc) {
		if (err.code != rc || !err.message[0] || t.count > 1)
			abort();
		j = json_loadb(s, size, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, NULL);
		if (j)
			known_difference(s, size, j);
		json_decref(j);
		json_tree_release(&t);
		return 0;
	}
	if (memchr(s, '\0', size))
		abort();
	j = json_loadb(s, size, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, NULL);
	if (!j || json_tree_to_jansson(&t, root, &mine, NULL) || !json_equal(j, mine))
		abort();
	check_lookups(&t, root, 0);
	if (json_tree_notes_check(&t, root, false) != (int)t.nesting)
		abort();
	/* The same bytes again into the same tree (which may grow): the first still reads the
	 * same. */
	if (json_tree_parse(&t, s, size, &lim, &second, NULL) || second <= root ||
	    json_tree_to_jansson(&t, root, &again, NULL) || !json_equal(again, mine))
		abort();
	json_decref(again);
	json_decref(mine);
	json_decref(j);
	json_tree_release(&t);
	return 0;
}
