/* A strict JSON reader (RFC 8259; I-JSON's UTF-8 rules except noncharacters, and its rule
 * against duplicate names) that reads a document in one pass into a compact tree held in one
 * allocation, for the hot verification paths (SD-JWT payloads and disclosures now; W3C
 * credentials next).
 *
 * Invariants:
 * - Strict: UTF-8 validated (no overlong forms, no surrogates, nothing past U+10FFFF); `\u`
 *   escapes checked, a surrogate only as a high-low pair; `\u0000` refused (as jansson without
 *   JSON_ALLOW_NUL, so every string is also a C string without a NUL inside); duplicate member
 *   names refused (compared after unescaping, as jansson's JSON_REJECT_DUPLICATES); nothing but
 *   white space after the value; integers outside int64 and reals outside a double's range
 *   refused (as jansson does, so that a subtree always converts to json_t). Any value may be at
 *   the top (as jansson's JSON_DECODE_ANY): the caller checks the kind it wants.
 *   Noncharacters (U+FFFE, U+FDD0…, raw or escaped) are accepted, as jansson accepts them.
 * - Stricter than jansson in one point: jansson skips one NUL byte right after a number, true,
 *   false or null (`[1\0]` reads as `[1]`); json_tree refuses every NUL byte outside a string as
 *   RFC 8259 does. So an SD-JWT that carries such a byte, which main accepted, is now refused.
 * - Bounded by the caller: input bytes, nodes and depth (struct json_tree_limits). A value's
 *   depth counts as jansson counts it: the top value is at depth 1, every value inside a
 *   container one deeper.
 * - Memory: the nodes and the unescaped strings share one block owned by the tree, sized from
 *   the input's length before a parse starts (a document of n bytes has at most n / 2 + 1
 *   values, and its unescaped strings take at most n bytes), so nothing is allocated per value.
 *   One scratch array, also owned by the tree, serves the duplicate check of objects with more
 *   than 16 members. Several documents may be parsed into the same tree one after the other;
 *   each parse returns its root's index. When the block must grow, it grows by half at least
 *   (so n documents cost O(n) in all); json_tree_reserve() sizes it once ahead.
 * - Pointers that the accessors return (json_tree_str, json_tree_key, json_tree_number_text)
 *   are valid until the next json_tree_parse, json_tree_clear or json_tree_release on that tree:
 *   a parse may move the block, and with it every unescaped string. Only a parse that fails
 *   leaves them valid (the tree is then as before the call). Keep indexes, not pointers, across
 *   parses.
 * - Strings without escapes are referenced in the input, which must outlive the tree; strings
 *   with escapes are unescaped into the tree's block. Numbers keep their text. A string or name
 *   without JSON_TREE_F_S_ESC / JSON_TREE_F_KEY_ESC holds no byte below 0x20, no '"' and no
 *   '\\' (one referenced in the input never does); without JSON_TREE_F_S_HIGH /
 *   JSON_TREE_F_KEY_HIGH, no byte >= 0xEE.
 * - Nodes are named by index (uint32_t). Index 0 is a "none" node, there from json_tree_init on
 *   (before any parse, after a failed one, after clear and release): every lookup that finds
 *   nothing returns it, and every accessor takes it (as jansson takes NULL), so lookups chain.
 *   Nodes are in document order; a container's children follow it.
 * - Errors: OK_EINPUT for JSON that is not valid (the message names line, column and byte
 *   offset, and what was expected), OK_ETOOBIG past a limit, OK_ENOMEM; err->field is the
 *   caller's field name. Messages never quote the input.
 */
#ifndef OK_CORE_JSON_TREE_H
#define OK_CORE_JSON_TREE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/error.h"

enum json_tree_type {
	JSON_TREE_NONE = 0, /* only node 0: "not there" */
	JSON_TREE_NULL,
	JSON_TREE_FALSE,
	JSON_TREE_TRUE,
	JSON_TREE_NUMBER,
	JSON_TREE_STRING,
	JSON_TREE_ARRAY,
	JSON_TREE_OBJECT,
};

#define JSON_TREE_DEPTH_MAX 2048 /* the most a caller may ask for (jansson's own bound) */

struct json_tree_limits {
	size_t max_bytes;  /* input longer than this: OK_ETOOBIG (0: no bound of its own) */
	size_t max_nodes;  /* values in one document (0: no bound beyond the input's length) */
	unsigned depth;    /* 1 .. JSON_TREE_DEPTH_MAX (0: 64) */
	const char *field; /* err->field on failure (NULL: "json") */
	/* Integers outside int64 are read as numbers that are not integers (a double's value,
	 * within its range), as jansson's JSON_DECODE_INT_AS_REAL reads them; false: refused. */
	bool big_integers;
};

/* One value. Only the reader writes these; read them through the accessors below. */
struct json_tree_node {
	uint8_t type;  /* enum json_tree_type */
	uint8_t flags; /* JSON_TREE_F_… */
	uint16_t reserved;
	uint32_t len;     /* string, number: bytes; array: items; object: members */
	uint32_t next;    /* the index after this value and everything inside it */
	uint32_t key_len; /* a member's name: bytes */
	union json_tree_ref {
		const char *p;
		size_t off;
	} key, s; /* a member's name; a string's or number's bytes */
};

#define JSON_TREE_F_S_OWNED   1u /* s is an offset into the tree's text (unescaped) */
#define JSON_TREE_F_KEY_OWNED 2u /* key likewise */
#define JSON_TREE_F_INTEGER   4u /* a number without fraction or exponent */
/* What the reader saw of a string's bytes (unescaped), for writers that would look again: */
#define JSON_TREE_F_S_ESC    8u   /* holds a byte JSON must escape: below 0x20, '"' or '\\' */
#define JSON_TREE_F_KEY_ESC  16u  /* the member's name likewise */
#define JSON_TREE_F_S_HIGH   64u  /* holds a byte >= 0xEE (U+E000 and above) */
#define JSON_TREE_F_KEY_HIGH 128u /* the member's name likewise */

struct json_tree {
	struct json_tree_node *nodes; /* nodes[0] is the none node (a static one while no block) */
	size_t count, cap;            /* nodes in use, room */
	char *text;                   /* unescaped strings, each followed by a NUL */
	size_t text_len, text_cap;
	void *block;   /* nodes and text, one allocation */
	void *scratch; /* the duplicate check of large objects */
	size_t scratch_cap;
	unsigned nesting; /* containers nested in the last document read (0: a scalar) */
#ifdef OK_TEST_HOOKS
	/* Test only: when set (after the parse), counts every step from a child to its sibling
	 * (each json_tree_next, each hop of json_tree_at), so that a test can bound a reader's
	 * walk by the tree's size without timing it. */
	size_t *test_steps;
#endif
};

/* Life cycle */

/* An empty tree (no allocation yet; node 0 is there). Every tree starts here: a zeroed struct
 * is not an empty tree. */
void json_tree_init(struct json_tree *t);
/* Frees what the tree holds; it is empty again (init state, node 0 there). */
void json_tree_release(struct json_tree *t);
/* Makes room ahead for docs documents of bytes bytes in all, so that parsing them allocates
 * nothing more. */
int json_tree_reserve(struct json_tree *t, size_t bytes, size_t docs, struct ok_error *err);
/* Forgets every document but keeps the memory, for the next parse. */
void json_tree_clear(struct json_tree *t);

/*
 * Reads the JSON document of n bytes at s (which must outlive the tree) into t, after the
 * documents already there; *root gets its index. On failure *root is 0 and the tree is as
 * before the call: same block, same documents, every pointer from it still valid.
 */
int json_tree_parse(struct json_tree *t, const char *s, size_t n,
                    const struct json_tree_limits *lim, uint32_t *root, struct ok_error *err);

/* Reading. Every function takes any index of the tree, 0 included. */

static inline enum json_tree_type json_tree_type(const struct json_tree *t, uint32_t i)
{
	return (enum json_tree_type)t->nodes[i].type;
}
static inline bool json_tree_is(const struct json_tree *t, uint32_t i, enum json_tree_type ty)
{
	return t->nodes[i].type == ty;
}
/* Items of an array, members of an object; 0 for anything else. */
static inline size_t json_tree_size(const struct json_tree *t, uint32_t i)
{
	return t->nodes[i].type >= JSON_TREE_ARRAY ? t->nodes[i].len : 0;
}
/* A string's bytes (NUL-terminated only when unescaped: use *len) and length; NULL and 0 for
 * anything else. */
static inline const char *json_tree_str(const struct json_tree *t, uint32_t i, size_t *len)
{
	const struct json_tree_node *nd = &t->nodes[i];

	if (nd->type != JSON_TREE_STRING) {
		if (len)
			*len = 0;
		return NULL;
	}
	if (len)
		*len = nd->len;
	return nd->flags & JSON_TREE_F_S_OWNED ? t->text + nd->s.off : nd->s.p;
}
/* Whether i is a string equal to the C string s. */
bool json_tree_str_is(const struct json_tree *t, uint32_t i, const char *s);
/* A member's name and its length (i a child of an object; NULL otherwise). */
static inline const char *json_tree_key(const struct json_tree *t, uint32_t i, size_t *len)
{
	const struct json_tree_node *nd = &t->nodes[i];

	if (len)
		*len = nd->key_len;
	if (nd->flags & JSON_TREE_F_KEY_OWNED)
		return t->text + nd->key.off;
	return nd->key.p;
}
/* A number's text as it came (no NUL) and its length; NULL for anything else. */
const char *json_tree_number_text(const struct json_tree *t, uint32_t i, size_t *len);
/* Whether i is an integer (no fraction, no exponent: always within int64). */
static inline bool json_tree_is_integer(const struct json_tree *t, uint32_t i)
{
	return t->nodes[i].type == JSON_TREE_NUMBER && (t->nodes[i].flags & JSON_TREE_F_INTEGER);
}
/* The integer i holds; OK_EINPUT when i is not an integer. */
int json_tree_int64(const struct json_tree *t, uint32_t i, int64_t *out);
/* A number's value as a double (jansson's value for a real); OK_EINPUT when not a number. */
int json_tree_double(const struct json_tree *t, uint32_t i, double *out);

/* The member named name (n bytes) of object i, or 0. */
uint32_t json_tree_getn(const struct json_tree *t, uint32_t i, const char *name, size_t n);
/* The member named by the C string name of object i, or 0. */
static inline uint32_t json_tree_get(const struct json_tree *t, uint32_t i, const char *name)
{
	return json_tree_getn(t, i, name, strlen(name));
}
/* Item k of array i, or 0. O(k): it walks k siblings, so a loop over the items must use
 * json_tree_first/json_tree_next (json_tree_foreach), never json_tree_at(…, k) for each k. */
uint32_t json_tree_at(const struct json_tree *t, uint32_t i, size_t k);
/* The first child of array or object i, or 0; the child after c (a child of i), or 0. */
static inline uint32_t json_tree_first(const struct json_tree *t, uint32_t i)
{
	return json_tree_size(t, i) ? i + 1 : 0;
}
static inline uint32_t json_tree_next(const struct json_tree *t, uint32_t i, uint32_t c)
{
	uint32_t n = t->nodes[c].next;

#ifdef OK_TEST_HOOKS
	if (t->test_steps)
		++*t->test_steps;
#endif
	return c && n < t->nodes[i].next ? n : 0;
}
/* Every child c of i in order: json_tree_foreach(t, i, c) { … } */
#define json_tree_foreach(t, i, c) \
	for ((c) = json_tree_first((t), (i)); (c); (c) = json_tree_next((t), (i), (c)))

/* Conversion */

/*
 * A json_t of the value i and everything inside it (*out a new reference; the same values
 * jansson's own parse gives: integers as integers, other numbers as reals). OK_EINPUT for node 0.
 */
int json_tree_to_jansson(const struct json_tree *t, uint32_t i, json_t **out, struct ok_error *err);

#define JSON_TREE_TO_REALS 1u /* every number a real, as jansson's JSON_DECODE_INT_AS_REAL */

/* The same with flags (JSON_TREE_TO_…; 0: as json_tree_to_jansson). */
int json_tree_to_jansson_flags(const struct json_tree *t, uint32_t i, unsigned flags, json_t **out,
                               struct ok_error *err);

#endif
