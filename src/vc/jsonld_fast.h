/* The data model's "every term is defined" check told by lookup: a table of the pinned contexts'
 * processed term definitions, owned by its caller, against which a document's keys and types
 * are looked up instead of expanding the document.
 *
 * Invariants:
 * - The fast check answers "holds" only when vc_jsonld_expand with the same limits would
 *   succeed: every key and type a term that expands to an IRI, the type-, property- and
 *   inline-scoped contexts applied exactly as expansion applies them, the plain form's rules,
 *   and the limits on depth, nodes and context-processing steps counted as expansion counts
 *   them. Anything it does not model (inline context objects, keyword keys other than the
 *   id/type aliases, value objects, language maps, lists written as @list, compact IRIs as
 *   keys) gets "not told", and the caller runs the full expansion, which gives the verdict and
 *   the message. So a document is refused exactly when the full expansion refuses it.
 * - The table holds the contexts as the JSON-LD processor made them (by reference, never
 *   changed) and, per context, its terms in an open hash table; contexts reached from others
 *   (a list of pinned URLs, a type's or property's scoped context) are made once, on first
 *   use, by the processor itself, and kept with the context-processing steps they took.
 * - Bounded: at most VC_JSONLD_TERMS_MAX_CONTEXTS contexts; once full, documents that need
 *   another get "not told". Safe to share between threads: one mutex, held only while a
 *   context is made; what a walk reads of the contexts it already reached (the edges to the
 *   next ones included) is published once, never changed, and read without the lock.
 */
#ifndef OK_VC_JSONLD_FAST_H
#define OK_VC_JSONLD_FAST_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/json_tree.h"
#include "vc/datamodel_view.h"
#include "vc/jsonld.h"

#define VC_JSONLD_TERMS_MAX_CONTEXTS 512

struct vc_jsonld_terms;

/* A new, empty table (NULL when out of memory); free with vc_jsonld_terms_free. */
struct vc_jsonld_terms *vc_jsonld_terms_new(void);
void vc_jsonld_terms_free(struct vc_jsonld_terms *t);

/*
 * 1 when vc_jsonld_expand(doc, l) would succeed (told by lookup, nothing allocated per value);
 * 0 when not told: the caller expands. l may be NULL for vc_jsonld_limits_default. When steps
 * is not NULL and 1 is returned, *steps is the number of context-processing steps the full
 * expansion takes (for the tests that compare the two).
 */
int vc_jsonld_fast_check(struct vc_jsonld_terms *t, const json_t *doc,
                         const struct vc_jsonld_limits *l, size_t *steps);
/* The same walk, the same code, on value root of a json_tree (the verifier's reading) or on
 * either reader's view: what it tells is what vc_jsonld_expand would do with the jansson
 * document json_tree_to_jansson makes of it. */
int vc_jsonld_fast_check_tree(struct vc_jsonld_terms *t, const struct json_tree *tree,
                              uint32_t root, const struct vc_jsonld_limits *l, size_t *steps);
int vc_jsonld_fast_check_view(struct vc_jsonld_terms *t, struct vc_dmv doc,
                              const struct vc_jsonld_limits *l, size_t *steps);

/* The size check the fast check starts with (jl_check_sizes: members per object, items per
 * array, types per node, the depth; in the plain form the shapes it refuses), walked once for
 * a caller that walks the same tree anyway: the data model's rules (datamodel.c) read the
 * credential's nodes for their own checks in the same walk and hand the answers on, so that
 * the lookup does not read every node again. */
struct vc_jsonld_sized {
	const struct json_tree *t; /* the document the answers are of: t's value root */
	uint32_t root;
	size_t max_depth; /* the depth limit they were found with */
	bool ok[2];       /* [plain_form]: the size check holds */
};

/* Called by vc_jsonld_sizes_walk for the caller's own checks: depth is the node's (0 for the
 * root, one more inside each container); deep tells the call for the node past stop_depth from
 * the call for a member named "@context" (a member past it gets both, that one first). A
 * nonzero return ends the walk and is returned. */
typedef int (*vc_jsonld_visit_fn)(void *arg, uint32_t node, size_t depth, bool deep);

#define VC_JSONLD_SIZES_DEPTH_MAX 127 /* the deepest max_depth or stop_depth the walk takes */

/*
 * Walks the tree's value root once in document order, without recursion: *s gets the size
 * check's answers for both forms under max_depth; visit (or NULL) is called, in document order,
 * on every object member named "@context" and on the first node deeper than stop_depth, where
 * the walk ends (returning visit's answer, 0 or not; *s then holds no tree's answers: its t is
 * NULL, as after any walk that did not complete). Returns 0, or
 * what visit returned; OK_EUNSUPPORTED (nothing walked) when max_depth or stop_depth is past
 * VC_JSONLD_SIZES_DEPTH_MAX: the caller walks its own way.
 */
int vc_jsonld_sizes_walk(const struct json_tree *t, uint32_t root, size_t max_depth,
                         size_t stop_depth, vc_jsonld_visit_fn visit, void *arg,
                         struct vc_jsonld_sized *s);

/* vc_jsonld_fast_check_view with the size check's answers already found (s, or NULL): used when
 * they are of doc (a tree's value, the same root) under l's depth limit, else found here. */
int vc_jsonld_fast_check_sized(struct vc_jsonld_terms *t, struct vc_dmv doc,
                               const struct vc_jsonld_limits *l, size_t *steps,
                               const struct vc_jsonld_sized *s);

#endif
