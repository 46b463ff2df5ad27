/* A read-only view of one JSON value that is either a jansson value or a node of a json_tree
 * (core/json_tree.h), so that the data-model rules (datamodel.c), the JSON-LD lookup
 * (jsonld_fast.c) and the verifier's checks (registry/verify.c) are written once and read
 * either: the issuer's jansson document and the verifier's tree get the same rules, in the same
 * order, with the same messages.
 *
 * Invariants:
 * - A view is a value type: {t, i} names node i of tree t (t not NULL); {NULL, j} names the
 *   jansson value j, NULL for "not there" (the tree's node 0). Nothing is owned; a view is valid
 *   as long as the value it names.
 * - Strings are read as bytes and a length. A jansson string's length is its C length
 *   (strlen), so that every comparison here means what strcmp meant on it before; a tree's
 *   strings never hold a NUL (json_tree refuses \u0000). A tree's string is NUL-terminated only
 *   when it was unescaped: always use the length.
 * - Children come in document order for a tree and in jansson's order (the order of insertion,
 *   which json_tree_to_jansson keeps) for jansson.
 */
#ifndef OK_VC_DATAMODEL_VIEW_H
#define OK_VC_DATAMODEL_VIEW_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/json_tree.h"

struct vc_dmv {
	const struct json_tree *t; /* NULL: a jansson value */
	const json_t *j;           /* the jansson value, or NULL (none) */
	uint32_t i;                /* the tree's node */
};

static inline struct vc_dmv vc_dmv_json(const json_t *j)
{
	struct vc_dmv v = {NULL, j, 0};

	return v;
}

static inline struct vc_dmv vc_dmv_tree(const struct json_tree *t, uint32_t i)
{
	struct vc_dmv v = {t, NULL, i};

	return v;
}

/* The same value's view that is "not there", of the same reader. */
static inline struct vc_dmv vc_dmv_none(struct vc_dmv v)
{
	v.j = NULL;
	v.i = 0;
	return v;
}

static inline enum json_tree_type vc_dmv_type(struct vc_dmv v)
{
	if (v.t)
		return json_tree_type(v.t, v.i);
	if (!v.j)
		return JSON_TREE_NONE;
	switch (json_typeof(v.j)) {
	case JSON_OBJECT:
		return JSON_TREE_OBJECT;
	case JSON_ARRAY:
		return JSON_TREE_ARRAY;
	case JSON_STRING:
		return JSON_TREE_STRING;
	case JSON_INTEGER:
	case JSON_REAL:
		return JSON_TREE_NUMBER;
	case JSON_TRUE:
		return JSON_TREE_TRUE;
	case JSON_FALSE:
		return JSON_TREE_FALSE;
	case JSON_NULL:
		return JSON_TREE_NULL;
	}
	return JSON_TREE_NONE;
}

static inline bool vc_dmv_is(struct vc_dmv v, enum json_tree_type ty)
{
	return vc_dmv_type(v) == ty;
}
static inline bool vc_dmv_there(struct vc_dmv v)
{
	return v.t ? v.i != 0 : v.j != NULL;
}
static inline bool vc_dmv_is_object(struct vc_dmv v)
{
	return vc_dmv_is(v, JSON_TREE_OBJECT);
}
static inline bool vc_dmv_is_array(struct vc_dmv v)
{
	return vc_dmv_is(v, JSON_TREE_ARRAY);
}
static inline bool vc_dmv_is_string(struct vc_dmv v)
{
	return vc_dmv_is(v, JSON_TREE_STRING);
}

/* Something that names the value alone while it lives (for memos keyed by the value). */
static inline const void *vc_dmv_identity(struct vc_dmv v)
{
	return v.t ? (const void *)&v.t->nodes[v.i] : (const void *)v.j;
}

/* Items of an array, members of an object; 0 for anything else. */
static inline size_t vc_dmv_size(struct vc_dmv v)
{
	if (v.t)
		return json_tree_size(v.t, v.i);
	return json_is_array(v.j) ? json_array_size(v.j) : json_object_size(v.j);
}

/* The member name of object v, or none. */
static inline struct vc_dmv vc_dmv_get(struct vc_dmv v, const char *name)
{
	if (v.t)
		v.i = json_tree_get(v.t, v.i, name);
	else
		v.j = json_object_get(v.j, name);
	return v;
}

/* Item k of array v, or none. On a tree this walks k siblings (json_tree_at is O(k)): fine for
 * one fixed item (item 0), never in a loop over the items, which would be O(n^2) on a tree;
 * iterate with vc_dmv_first/vc_dmv_next or vc_dmv_each/vc_dmv_each_next instead. */
static inline struct vc_dmv vc_dmv_at(struct vc_dmv v, size_t k)
{
	if (v.t)
		v.i = json_tree_at(v.t, v.i, k);
	else
		v.j = json_array_get(v.j, k);
	return v;
}

/* A string's bytes and length (see the invariants); NULL and 0 for anything else. */
static inline const char *vc_dmv_str(struct vc_dmv v, size_t *len)
{
	const char *s;

	if (v.t)
		return json_tree_str(v.t, v.i, len);
	s = json_string_value(v.j);
	*len = s ? strlen(s) : 0;
	return s;
}

/* A number's value as a double (jansson's json_number_value, json_tree_double); false for
 * anything else. */
static inline bool vc_dmv_number(struct vc_dmv v, double *out)
{
	if (v.t)
		return json_tree_type(v.t, v.i) == JSON_TREE_NUMBER &&
		       json_tree_double(v.t, v.i, out) == 0;
	if (!json_is_number(v.j))
		return false;
	*out = json_number_value(v.j);
	return true;
}

/* Whether v is a string equal to the C string s. */
static inline bool vc_dmv_str_is(struct vc_dmv v, const char *s)
{
	size_t n;
	const char *p = vc_dmv_str(v, &n);

	return p && strlen(s) == n && memcmp(p, s, n) == 0;
}

/* Whether the n bytes at a are the C string s. */
static inline bool vc_dmv_bytes_are(const char *a, size_t n, const char *s)
{
	return strlen(s) == n && memcmp(a, s, n) == 0;
}

/* Iterating the children of an array or an object, in order:
 *   struct vc_dmv_it it; for (c = vc_dmv_first(v, &it); vc_dmv_there(c); c = vc_dmv_next(&it))
 * vc_dmv_key gives an object member's name. */
struct vc_dmv_it {
	struct vc_dmv parent;
	struct vc_dmv cur;
	void *iter;  /* jansson object */
	size_t k;    /* jansson array */
	bool single; /* vc_dmv_each over a value that is not an array: the value alone */
};

static inline struct vc_dmv vc_dmv_first(struct vc_dmv v, struct vc_dmv_it *it)
{
	it->parent = v;
	it->cur = v;
	it->k = 0;
	it->iter = NULL;
	it->single = false;
	if (v.t) {
		it->cur.i = json_tree_first(v.t, v.i);
	} else if (json_is_array(v.j)) {
		it->cur.j = json_array_get(v.j, 0);
	} else if (json_is_object(v.j)) {
		it->iter = json_object_iter((json_t *)v.j);
		it->cur.j = it->iter ? json_object_iter_value(it->iter) : NULL;
	} else {
		it->cur.j = NULL;
	}
	return it->cur;
}

static inline struct vc_dmv vc_dmv_next(struct vc_dmv_it *it)
{
	const struct vc_dmv p = it->parent;

	if (p.t) {
		it->cur.i = json_tree_next(p.t, p.i, it->cur.i);
	} else if (json_is_array(p.j)) {
		it->cur.j = json_array_get(p.j, ++it->k);
	} else if (it->iter) {
		it->iter = json_object_iter_next((json_t *)p.j, it->iter);
		it->cur.j = it->iter ? json_object_iter_value(it->iter) : NULL;
	} else {
		it->cur.j = NULL;
	}
	return it->cur;
}

/* The data model's "a value or an array of values", in order: the items of array v, or v alone
 * when it is there and not an array; each in O(1) on either reader:
 *   for (c = vc_dmv_each(v, &it); vc_dmv_there(c); c = vc_dmv_each_next(&it)) */
static inline struct vc_dmv vc_dmv_each(struct vc_dmv v, struct vc_dmv_it *it)
{
	if (vc_dmv_is_array(v))
		return vc_dmv_first(v, it);
	it->parent = v;
	it->cur = v;
	it->iter = NULL;
	it->k = 0;
	it->single = true;
	return v;
}

static inline struct vc_dmv vc_dmv_each_next(struct vc_dmv_it *it)
{
	if (it->single) {
		it->cur = vc_dmv_none(it->cur);
		return it->cur;
	}
	return vc_dmv_next(it);
}

/* The current member's name while iterating an object (for jansson a C string and its C
 * length, as strcmp read it; see vc_dmv_key_whole); NULL otherwise. */
static inline const char *vc_dmv_key(const struct vc_dmv_it *it, size_t *len)
{
	const char *k;

	if (it->parent.t)
		return json_tree_key(it->parent.t, it->cur.i, len);
	k = it->iter ? json_object_iter_key(it->iter) : NULL;
	*len = k ? strlen(k) : 0;
	return k;
}

/* Whether the current member's name has no NUL inside (a tree's never has). */
static inline bool vc_dmv_key_whole(const struct vc_dmv_it *it)
{
	if (it->parent.t)
		return true;
	return it->iter &&
	       strlen(json_object_iter_key(it->iter)) == json_object_iter_key_len(it->iter);
}

/* Whether t, a type value (one string or an array of them), names name. */
static inline bool vc_dmv_type_has(struct vc_dmv t, const char *name)
{
	struct vc_dmv_it it;
	struct vc_dmv c;

	if (vc_dmv_is_string(t))
		return vc_dmv_str_is(t, name);
	if (!vc_dmv_is_array(t))
		return false;
	for (c = vc_dmv_first(t, &it); vc_dmv_there(c); c = vc_dmv_next(&it))
		if (vc_dmv_str_is(c, name))
			return true;
	return false;
}

#endif
