/* The reader's notes (core/json_tree.h: what a string or a member's name holds, the nesting, no
 * open object's scratch left after a parse) checked against the bytes by the rule, byte by byte:
 * one check for the unit test and the fuzz target of core/json_tree. */
#ifndef OK_TESTS_JSON_TREE_NOTES_H
#define OK_TESTS_JSON_TREE_NOTES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/json_tree.h"

/* JSON_TREE_F_S_ESC for a byte below 0x20, '"' or '\\'; JSON_TREE_F_S_HIGH for one >= 0xEE. */
static inline unsigned json_tree_notes_bytes_hold(const char *p, size_t n)
{
	unsigned f = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c < 0x20 || c == '"' || c == '\\')
			f |= JSON_TREE_F_S_ESC;
		if (c >= 0xEE)
			f |= JSON_TREE_F_S_HIGH;
	}
	return f;
}

/* The containers nested in value i (a member's value when member) when every note on it and
 * on everything inside it agrees with the bytes, else -1. */
static inline int json_tree_notes_check(const struct json_tree *t, uint32_t i, bool member)
{
	const struct json_tree_node *nd = &t->nodes[i];
	const unsigned mine = JSON_TREE_F_S_ESC | JSON_TREE_F_S_HIGH;
	int deepest = 0, d;
	const char *p;
	size_t len;
	uint32_t c;

	if (member) {
		p = json_tree_key(t, i, &len);
		if (((nd->flags >> 1) & mine) != json_tree_notes_bytes_hold(p, len))
			return -1;
	} else if (nd->flags & (JSON_TREE_F_KEY_ESC | JSON_TREE_F_KEY_HIGH)) {
		return -1;
	}
	if (nd->type == JSON_TREE_STRING) {
		p = json_tree_str(t, i, &len);
		if ((nd->flags & mine) != json_tree_notes_bytes_hold(p, len))
			return -1;
		/* A string referenced in the input never holds a byte to escape. */
		if (!(nd->flags & JSON_TREE_F_S_OWNED) && (nd->flags & JSON_TREE_F_S_ESC))
			return -1;
	} else if (nd->flags & mine) {
		return -1;
	}
	if (nd->type < JSON_TREE_ARRAY)
		return 0;
	if (nd->reserved || nd->s.off)
		return -1;
	json_tree_foreach(t, i, c)
	{
		if ((d = json_tree_notes_check(t, c, nd->type == JSON_TREE_OBJECT)) < 0)
			return -1;
		if (d > deepest)
			deepest = d;
	}
	return deepest + 1;
}

#endif
