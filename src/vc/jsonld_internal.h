/* Shared between the JSON-LD files (jsonld_context.c, jsonld_expand.c, jsonld_rdf.c): one call's
 * state, and the active context as jansson values.
 *
 * An active context is a JSON object {"terms": {term: definition}, "vocab": iri,
 * "language": tag, "direction": dir, "previous": context}; a term definition is an object that
 * never changes once made: {"id": iri or null, "type": mapping, "container": [...],
 * "language": tag or null, "direction": dir or null, "context": scoped context, "nest": key,
 * "protected": bool, "prefix": bool}. Contexts are copied (shallowly) before every change, so
 * a context once made is never modified and may be shared by reference.
 */
#ifndef OK_VC_JSONLD_INTERNAL_H
#define OK_VC_JSONLD_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/error.h"
#include "vc/jsonld.h"

#define JL_RDF "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
#define JL_XSD "http://www.w3.org/2001/XMLSchema#"
/* The @vocab of the undefined-terms context, and of drafts of the VC 2.0 context. */
#define JL_UNDEFINED_TERM   "https://www.w3.org/ns/credentials/undefined-term#"
#define JL_ISSUER_DEPENDENT "https://www.w3.org/ns/credentials/issuer-dependent#"
#define JL_MAX_REMOTE_DEPTH 8  /* pinned contexts that load pinned contexts */
#define JL_MAX_DEF_DEPTH    32 /* term definitions that need one another first */
/* Members of one JSON object, items of one JSON array, types of one node: checked over the
 * whole document before any expansion work, so no per-object or per-array step (sorting,
 * context lookups) can be made to cost more than these bounds allow. */
#define JL_MAX_KEYS  1000
#define JL_MAX_ITEMS 10000
#define JL_MAX_TYPES 100

struct jl {
	const struct vc_jsonld_limits *l;
	struct ok_error *err;
	size_t steps;     /* context-processing work so far */
	size_t nodes;     /* objects expanded so far */
	json_t *loaded;   /* url -> parsed pinned document, for this call only */
	size_t def_depth; /* term definitions being made, one inside the other */
	json_t *memo;     /* contexts already processed in this call (see jl_ctx_process) */
	json_t *ids;      /* plain form: ids of the node objects with properties met so far */
};

/* Keywords */
bool jl_is_keyword(const char *s);
bool jl_looks_like_keyword(const char *s);
bool jl_is_absolute_iri(const char *s);
/* s cut to 100 bytes, anything outside printable ASCII as '?', into out (at least 104 bytes). */
void jl_printable(const char *s, char *out, size_t cap);

/* Counts n units of context work; fails with OK_ELIMIT past the limit. */
int jl_step(struct jl *st, size_t n);

/* The term definition of term in ctx, or NULL (borrowed). */
json_t *jl_term(const json_t *ctx, const char *term);
bool jl_has_container(const json_t *def, const char *c);

/*
 * Context Processing Algorithm: *out receives a new context (new reference) made from active
 * and local. remote holds the URLs being loaded (cycle and depth check).
 */
int jl_ctx_process(struct jl *st, json_t *active, json_t *local, json_t *remote,
                   bool override_protected, bool propagate, json_t **out);

/* A new empty active context. */
json_t *jl_ctx_new(void);

/*
 * IRI Expansion of a document value (no local context): *out is a new string reference, or
 * NULL when value expands to nothing. Fails on a relative IRI when doc_relative (no base).
 */
int jl_iri_expand(struct jl *st, json_t *active, const char *value, bool doc_relative, bool vocab,
                  json_t **out);

/* The same for a term or type the document uses: checks vc_jsonld_limits.defined_terms_only. */
int jl_iri_expand_used(struct jl *st, json_t *active, const char *value, bool doc_relative,
                       bool vocab, json_t **out);

/* The Expansion Algorithm from the top: *out is a new array. */
int jl_expand_doc(struct jl *st, const json_t *doc, json_t **out);

/* The shape bounds checked before any expansion work (the plain form's member rules, depth,
 * members, items, types): the first step of jl_expand_doc, for the fast check too. */
int jl_check_sizes(struct jl *st, const json_t *doc);
/* The key under which a @context value that is a list of one to three distinct pinned context
 * URLs is processed once and shared (the URLs, each followed by a newline), into key of cap
 * bytes; false for any other value, or when it does not fit. */
bool jl_pinned_urls_key(const json_t *local, char *key, size_t cap);

/* vc_jsonld_expand, also giving the context-processing steps and nodes it counted: for the
 * tests that compare the fast check (jsonld_fast.h) with it. */
int jl_expand_counted(const json_t *doc, const struct vc_jsonld_limits *l, size_t *steps,
                      size_t *nodes, struct ok_error *err);

/* Whether the per-process cache holds the initial context with the pinned URLs of key (each
 * followed by a newline) applied: for the tests of its prefill. */
bool jl_pinned_cached(const char *key);

/* Processes, once per process and before any document's own lists, the context lists the
 * depository's documents name, so that they are in the per-process cache whatever lists other
 * documents bring first (review R4). Called by every entry point. */
void jl_prefill(void);

#endif
