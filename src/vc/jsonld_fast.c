/* The "every term is defined" check by lookup (jsonld_fast.h): the walk of jsonld_expand.c's
 * Expansion Algorithm with the output left out, over term tables made once from the contexts the
 * processor made. Each function below mirrors the one of jsonld_expand.c it names; where that
 * one could fail, or where this one does not model what it does, this one answers "not told". */
#include "vc/jsonld_fast.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vc/datamodel_view.h"
#include "vc/jsonld_internal.h"

/* What a term's IRI mapping is, for the walk. */
enum fid {
	FID_NONE,    /* null, or no IRI: expansion drops the key (an error when strict) */
	FID_AT_ID,   /* @id */
	FID_AT_TYPE, /* @type */
	FID_AT_VAL,  /* @value */
	FID_KEYWORD, /* another keyword */
	FID_IRI,     /* not a keyword and with a ':' (an IRI, compact IRI or blank node) */
	FID_OTHER,   /* anything else: dropped */
};

/* Its type mapping. */
enum ftype { FTYPE_OTHER, FTYPE_ID, FTYPE_VOCAB, FTYPE_JSON };

#define FC_LIST     0x01u
#define FC_GRAPH    0x02u
#define FC_LANGUAGE 0x04u
#define FC_MAPS     0x08u /* @index, @id or @type: maps that are not supported */

#define FTERM_SHORT 16

struct fterm {
	const char *name; /* the context's key (borrowed: the context is held and never changes) */
	const char *id;   /* its IRI mapping, or NULL */
	const json_t *scoped; /* its scoped context, or NULL (borrowed) */
	size_t len;
	uint32_t hash;
	unsigned char idk, type, containers;
	bool prefix;
	bool renames_read; /* plain form: its IRI is one the verifier reads under another key */
	/* A short name's bytes in the slot itself, so that a look-up reads one cache line
	 * (slots are 64 bytes, allocated at 64) and not the context's memory as well. */
	char short_name[FTERM_SHORT];
};

_Static_assert(sizeof(struct fterm) <= 64, "a term's slot fits one cache line");

struct fctx;

#define FALIAS_MAX 8
#define FHOT       16 /* a power of two */

/* A context reached from another: by a list of pinned URLs (urls) or a scoped context that a
 * term definition of the source holds (local). */
struct fedge {
	struct fedge *next;
	const json_t *local;
	char *urls;
	bool override_protected, propagate;
	struct fctx *to; /* NULL: processing it fails (not kept) */
	size_t cost;     /* the steps jl_ctx_process counts for it without a memo hit */
};

struct fctx {
	json_t *ctx;           /* a reference */
	struct fctx *previous; /* the context a type-scoped one falls back to, or NULL */
	const char *vocab;     /* its @vocab (borrowed), or NULL */
	bool vocab_undefined;
	struct fterm *slots; /* open addressing, mask + 1 slots, name NULL when free */
	size_t mask;
	/* Bit k set when a term has k bytes (k < 63; bit 63 for 63 and more): a name of
	 * another length is no term, told without hashing it. */
	uint64_t term_lens;
	/* The edges made from this context, newest first. Added under the table's lock and
	 * published by a release store of the head; read without the lock (acquire load): an
	 * edge never changes or goes away once published, until the table is freed. */
	struct fedge *edges;
	/* Recently used edges of a scoped context (local), by hot_slot: a look-up that finds
	 * its edge here does not walk the list. Any thread may replace a slot (atomic stores
	 * of published edges); a reader checks the edge's key, so a replaced slot only costs
	 * the walk. */
	struct fedge *hot[FHOT];
	/* The terms whose IRI is @type, @value or @id (most contexts: "type", "id"), so that
	 * steps 7 and 11 of a node compare its names with these instead of looking each up;
	 * all of them, unless aliases_all is false (then the walk looks names up). */
	struct falias {
		const char *name; /* the term's name, or its copy in the slot */
		size_t len;
		enum fid kind;
	} alias[FALIAS_MAX];
	size_t nalias;
	uint64_t alias_lens; /* as term_lens, of the aliases */
	bool aliases_all;
};

/* A name's bit in term_lens and alias_lens. */
static inline uint64_t len_bit(size_t len)
{
	return (uint64_t)1 << (len < 63 ? len : 63);
}

struct vc_jsonld_terms {
	pthread_mutex_t lock;
	struct fctx *all[VC_JSONLD_TERMS_MAX_CONTEXTS];
	size_t n;
	struct fctx *initial;
};

/* Per call: the memo of contexts applied (as jl's memo: a second application is one step), the
 * counts expansion keeps, and the plain form's node ids per graph. */
#define CALL_MEMO       64
#define CALL_MEMO_SLOTS 128 /* a power of two */
#define CALL_IDS        128
#define CALL_SCRATCH    2048

struct fcall {
	struct vc_jsonld_terms *t;
	const struct vc_jsonld_limits *l;
	size_t steps, nodes;
	struct {
		const struct fctx *from;
		const void *local; /* vc_dmv_identity */
		bool override_protected, propagate;
		struct fctx *to;
	} memo[CALL_MEMO];
	size_t nmemo;
	/* By memo_slot: 0 when no entry of the memo has that slot, else the index + 1 of the last
	 * one that has (an earlier one of the same slot is found by reading the memo through). */
	uint8_t memo_at[CALL_MEMO_SLOTS];
	/* What apply_types found last: the terms of the types of value tt_node (vc_dmv_identity),
	 * in its order, looked up in tt_in; NULL when none. */
	const void *tt_node;
	const struct fctx *tt_in;
	const struct fterm *tt_term[JL_MAX_TYPES];
	struct {
		const char *id;
		size_t len;
		unsigned scope;
	} ids[CALL_IDS];
	size_t nids;
	unsigned scope, scopes;
	/* A tree's string as a C string, for the helpers that read one (never kept across a
	 * call that could use it again); longer strings are not told. */
	char scratch[CALL_SCRATCH];
};

_Static_assert(CALL_MEMO < 256, "a memo index + 1 fits memo_at's bytes");

/* A term's hash: eight bytes at a time (the last eight overlapping), four and four below eight,
 * three bytes below four; the length mixed in. The tables hold the pinned contexts' terms only,
 * at most half full, so a name that collides costs one more probe, never a long chain. */
#define HASH_K1 0x9E3779B97F4A7C15ull
#define HASH_K2 0xFF51AFD7ED558CCDull

static inline uint64_t hash_mix(uint64_t h, uint64_t w)
{
	h = (h ^ w) * HASH_K2;
	return h ^ (h >> 32);
}

static uint32_t hash_of(const char *s, size_t n)
{
	uint64_t h = (uint64_t)n * HASH_K1, w;
	uint32_t a, b;
	size_t i;

	if (n > 16) {
		for (i = 0; i + 8 <= n; i += 8) {
			memcpy(&w, s + i, 8);
			h = hash_mix(h, w);
		}
		if (i < n) {
			memcpy(&w, s + n - 8, 8);
			h = hash_mix(h, w);
		}
	} else if (n >= 8) {
		/* The loop above's two words, without the loop (most names) */
		memcpy(&w, s, 8);
		h = hash_mix(h, w);
		memcpy(&w, s + n - 8, 8);
		h = hash_mix(h, w);
	} else if (n >= 4) {
		memcpy(&a, s, 4);
		memcpy(&b, s + n - 4, 4);
		h = hash_mix(h, (uint64_t)a << 32 | b);
	} else if (n) {
		h = hash_mix(h, (uint64_t)(unsigned char)s[0] << 16 |
		                        (uint64_t)(unsigned char)s[n / 2] << 8 |
		                        (unsigned char)s[n - 1]);
	}
	return (uint32_t)((h * HASH_K1) >> 32);
}

/* memcmp(a, b, n) == 0 without a call: names are short. */
static inline bool same_bytes(const char *a, const char *b, size_t n)
{
	uint64_t x, y;
	uint32_t p, q;
	size_t i;

	if (n >= 8) {
		for (i = 0; i + 8 <= n; i += 8) {
			memcpy(&x, a + i, 8);
			memcpy(&y, b + i, 8);
			if (x != y)
				return false;
		}
		memcpy(&x, a + n - 8, 8);
		memcpy(&y, b + n - 8, 8);
		return x == y;
	}
	if (n >= 4) {
		memcpy(&p, a, 4);
		memcpy(&q, b, 4);
		if (p != q)
			return false;
		memcpy(&p, a + n - 4, 4);
		memcpy(&q, b + n - 4, 4);
		return p == q;
	}
	for (i = 0; i < n; i++)
		if (a[i] != b[i])
			return false;
	return true;
}

/* The term name (len bytes, hash h = hash_of(name, len)) of c, or NULL. */
static inline const struct fterm *term_h(const struct fctx *c, const char *name, size_t len,
                                         uint32_t h);

/* What term_h(c, name, …)->idk is among @type, @value and @id, by the alias list (when c's
 * is complete) or by the look-up; FID_NONE for anything else or no term. */
static inline enum fid alias_kind(const struct fctx *c, const char *name, size_t len)
{
	const struct fterm *d;
	size_t i;

	if (!c->aliases_all)
		return (d = term_h(c, name, len, hash_of(name, len))) != NULL &&
		                       (d->idk == FID_AT_TYPE || d->idk == FID_AT_VAL ||
		                        d->idk == FID_AT_ID)
		               ? (enum fid)d->idk
		               : FID_NONE;
	if (!(c->alias_lens & len_bit(len)))
		return FID_NONE;
	for (i = 0; i < c->nalias; i++)
		if (c->alias[i].len == len && same_bytes(c->alias[i].name, name, len))
			return c->alias[i].kind;
	return FID_NONE;
}

static inline __attribute__((always_inline)) const struct fterm *
term_h(const struct fctx *c, const char *name, size_t len, uint32_t h)
{
	size_t i = h & c->mask;

	if (!(c->term_lens & len_bit(len)))
		return NULL;
	for (;; i = (i + 1) & c->mask) {
		const struct fterm *t = &c->slots[i];
		if (!t->name)
			return NULL;
		if (t->hash == h && t->len == len &&
		    same_bytes(len <= FTERM_SHORT ? t->short_name : t->name, name, len))
			return t;
	}
}

static const struct fterm *term_of(const struct fctx *c, const char *name, size_t len)
{
	if (!(c->term_lens & len_bit(len)))
		return NULL; /* no term that long: not hashed */
	return term_h(c, name, len, hash_of(name, len));
}

static const struct fterm *term_str(const struct fctx *c, const char *name)
{
	return term_of(c, name, strlen(name));
}

static bool has_container(const json_t *def, const char *want)
{
	json_t *v;
	size_t i;

	json_array_foreach(json_object_get(def, "container"), i, v)
	{
		if (json_is_string(v) && strcmp(json_string_value(v), want) == 0)
			return true;
	}
	return false;
}

static void term_fill(struct fterm *f, const char *name, const json_t *def)
{
	const char *id = json_string_value(json_object_get(def, "id"));
	const char *type = json_string_value(json_object_get(def, "type"));
	size_t i;

	memset(f, 0, sizeof(*f));
	f->name = name;
	f->len = strlen(name);
	if (f->len <= FTERM_SHORT)
		memcpy(f->short_name, name, f->len);
	f->hash = hash_of(name, f->len);
	f->id = id;
	f->scoped = json_object_get(def, "context");
	f->prefix = json_is_true(json_object_get(def, "prefix"));
	if (!id)
		f->idk = FID_NONE;
	else if (jl_is_keyword(id))
		f->idk = strcmp(id, "@id") == 0      ? FID_AT_ID
		         : strcmp(id, "@type") == 0  ? FID_AT_TYPE
		         : strcmp(id, "@value") == 0 ? FID_AT_VAL
		                                     : FID_KEYWORD;
	else
		f->idk = strchr(id, ':') ? FID_IRI : FID_OTHER;
	f->type = !type                         ? FTYPE_OTHER
	          : strcmp(type, "@id") == 0    ? FTYPE_ID
	          : strcmp(type, "@vocab") == 0 ? FTYPE_VOCAB
	          : strcmp(type, "@json") == 0  ? FTYPE_JSON
	                                        : FTYPE_OTHER;
	f->containers = (has_container(def, "@list") ? FC_LIST : 0u) |
	                (has_container(def, "@graph") ? FC_GRAPH : 0u) |
	                (has_container(def, "@language") ? FC_LANGUAGE : 0u) |
	                (has_container(def, "@index") || has_container(def, "@id") ||
	                                 has_container(def, "@type")
	                         ? FC_MAPS
	                         : 0u);
	f->renames_read = false;
	for (i = 0; id && i < vc_jsonld_read_props_count; i++)
		if (strcmp(id, vc_jsonld_read_props[i].iri) == 0 &&
		    strcmp(name, vc_jsonld_read_props[i].key) != 0)
			f->renames_read = true;
}

static void fctx_free(struct fctx *c)
{
	struct fedge *e, *next;

	if (!c)
		return;
	for (e = c->edges; e; e = next) {
		next = e->next;
		free(e->urls);
		free(e);
	}
	free(c->slots);
	json_decref(c->ctx);
	free(c);
}

/* Slots start at a cache line (cap, a power of two >= 16, times the slot's size is a multiple). */
#define SLOT_ALIGN 64

/* The table's entry for ctx, made when new (the caller holds t->lock); NULL when full or out of
 * memory. */
static struct fctx *fctx_get(struct vc_jsonld_terms *t, json_t *ctx)
{
	json_t *terms = json_object_get(ctx, "terms"), *def, *prev;
	const char *k, *vocab;
	struct fctx *c, *prev_c = NULL;
	size_t i, cap = 16;

	for (i = 0; i < t->n; i++)
		if (t->all[i]->ctx == ctx)
			return t->all[i];
	if (t->n >= VC_JSONLD_TERMS_MAX_CONTEXTS || !json_is_object(terms))
		return NULL;
	/* Its fallback first: without it the context cannot be walked. */
	if ((prev = json_object_get(ctx, "previous")) != NULL && !(prev_c = fctx_get(t, prev)))
		return NULL;
	if (t->n >= VC_JSONLD_TERMS_MAX_CONTEXTS)
		return NULL;
	while (cap < 2 * json_object_size(terms) + 2)
		cap *= 2;
	if (!(c = calloc(1, sizeof(*c))) ||
	    !(c->slots = aligned_alloc(SLOT_ALIGN, cap * sizeof(*c->slots)))) {
		free(c);
		return NULL;
	}
	memset(c->slots, 0, cap * sizeof(*c->slots));
	c->mask = cap - 1;
	c->ctx = json_incref(ctx);
	vocab = json_string_value(json_object_get(ctx, "vocab"));
	c->vocab = vocab;
	c->vocab_undefined = vocab && (strcmp(vocab, JL_UNDEFINED_TERM) == 0 ||
	                               strcmp(vocab, JL_ISSUER_DEPENDENT) == 0);
	json_object_foreach(terms, k, def)
	{
		struct fterm f;
		term_fill(&f, k, def);
		for (i = f.hash & c->mask; c->slots[i].name; i = (i + 1) & c->mask)
			;
		c->slots[i] = f;
		c->term_lens |= len_bit(f.len);
	}
	c->aliases_all = true;
	for (i = 0; i <= c->mask; i++) {
		const struct fterm *f = &c->slots[i];

		if (!f->name ||
		    (f->idk != FID_AT_TYPE && f->idk != FID_AT_VAL && f->idk != FID_AT_ID))
			continue;
		if (c->nalias == FALIAS_MAX) {
			c->aliases_all = false;
			continue;
		}
		c->alias[c->nalias].name = f->len <= FTERM_SHORT ? f->short_name : f->name;
		c->alias[c->nalias].len = f->len;
		c->alias[c->nalias].kind = (enum fid)f->idk;
		c->alias_lens |= len_bit(f->len);
		c->nalias++;
	}
	c->previous = prev_c;
	t->all[t->n++] = c;
	return c;
}

struct vc_jsonld_terms *vc_jsonld_terms_new(void)
{
	struct vc_jsonld_terms *t = calloc(1, sizeof(*t));
	json_t *initial;

	if (!t)
		return NULL;
	if (pthread_mutex_init(&t->lock, NULL) != 0) {
		free(t);
		return NULL;
	}
	initial = jl_ctx_new();
	t->initial = initial ? fctx_get(t, initial) : NULL;
	json_decref(initial);
	if (!t->initial) {
		vc_jsonld_terms_free(t);
		return NULL;
	}
	return t;
}

void vc_jsonld_terms_free(struct vc_jsonld_terms *t)
{
	size_t i;

	if (!t)
		return;
	for (i = 0; i < t->n; i++)
		fctx_free(t->all[i]);
	pthread_mutex_destroy(&t->lock);
	free(t);
}

/* The hot slot of a scoped context's edge. */
static inline size_t hot_slot(const json_t *local, bool override_protected, bool propagate)
{
	uintptr_t p = (uintptr_t)local;

	return ((p >> 4) ^ (p >> 11) ^ ((size_t)override_protected << 1) ^ (size_t)propagate) &
	       (FHOT - 1);
}

/* The edge from from for local (a scoped context's jansson value) or urls (a list's key), or
 * NULL; without the lock (see struct fctx). */
static struct fedge *edge_find(struct fctx *from, struct vc_dmv local, const char *urls,
                               bool override_protected, bool propagate)
{
	struct fedge *e;
	size_t h = 0;

	if (!urls) {
		h = hot_slot(local.j, override_protected, propagate);
		e = __atomic_load_n(&from->hot[h], __ATOMIC_ACQUIRE);
		if (e && e->local == local.j && !e->urls &&
		    e->override_protected == override_protected && e->propagate == propagate)
			return e;
	}
	for (e = __atomic_load_n(&from->edges, __ATOMIC_ACQUIRE); e; e = e->next)
		if (e->override_protected == override_protected && e->propagate == propagate &&
		    (urls ? e->urls && strcmp(e->urls, urls) == 0 : e->local == local.j))
			break;
	if (e && !urls)
		__atomic_store_n(&from->hot[h], e, __ATOMIC_RELEASE);
	return e;
}

/* The context from applies local to, made by the processor the first time (the caller holds
 * t->lock); NULL when that fails or the table is full. local is a term definition's scoped
 * context (jansson, kept by its address) or, with urls, a document's list of pinned URLs (either
 * reader: a tree's is converted for the processor, only when the context is made). */
static struct fedge *edge_get(struct vc_jsonld_terms *t, struct fctx *from, struct vc_dmv local,
                              const char *urls, bool override_protected, bool propagate)
{
	struct vc_jsonld_limits l = vc_jsonld_limits_default;
	json_t *remote = NULL, *out = NULL, *conv = NULL;
	const json_t *plocal = local.j;
	struct ok_error err;
	struct fedge *e;
	struct jl st;
	int rc;

	if ((e = edge_find(from, local, urls, override_protected, propagate)) != NULL)
		return e;
	ok_error_clear(&err);
	if (local.t) {
		if (!urls || json_tree_to_jansson(local.t, local.i, &conv, &err) != 0)
			return NULL;
		plocal = conv;
	}
	/* Made without a step limit: the walk charges the steps it took against the caller's. */
	l.max_context_steps = SIZE_MAX;
	memset(&st, 0, sizeof(st));
	st.l = &l;
	st.err = &err;
	st.loaded = json_object();
	st.memo = json_object();
	st.ids = json_object();
	remote = json_array();
	e = calloc(1, sizeof(*e));
	rc = st.loaded && st.memo && st.ids && remote && e
	             ? jl_ctx_process(&st, from->ctx, (json_t *)plocal, remote, override_protected,
	                              propagate, &out)
	             : OK_ENOMEM;
	if (rc == 0 && (!urls || (e->urls = strdup(urls)) != NULL) &&
	    (e->to = fctx_get(t, out)) != NULL) {
		e->local = urls ? NULL : local.j;
		e->override_protected = override_protected;
		e->propagate = propagate;
		e->cost = st.steps;
		e->next = from->edges;
		__atomic_store_n(&from->edges, e, __ATOMIC_RELEASE);
	} else if (e) {
		free(e->urls);
		free(e);
		e = NULL;
	}
	json_decref(out);
	json_decref(remote);
	json_decref(conv);
	json_decref(st.loaded);
	json_decref(st.memo);
	json_decref(st.ids);
	return e;
}

/* jl_pinned_urls_key on either reader, in two steps: the cache key of a document's @context value
 * that is a URL or a list of one to three different URLs, none with a '\n' (no pinned URL has
 * one, so the key names its list alone), each followed by '\n'; whether each is pinned is
 * urls_pinned's. */
static bool urls_key(struct vc_dmv local, char *key, size_t cap)
{
	size_t i, j, len, other_len, used = 0;
	size_t n = vc_dmv_is_array(local) ? vc_dmv_size(local) : 1;
	const char *s, *other;
	struct vc_dmv v;

	if (n == 0 || n > 3)
		return false;
	for (i = 0; i < n; i++) {
		v = vc_dmv_is_array(local) ? vc_dmv_at(local, i) : local;
		/* A URL with a newline or a NUL in it is no pinned one, and would cut the key. */
		if (!(s = vc_dmv_str(v, &len)) || used + len + 1 >= cap || memchr(s, '\n', len) ||
		    memchr(s, '\0', len))
			return false;
		for (j = 0; j < i; j++) {
			other = vc_dmv_str(vc_dmv_at(local, j), &other_len);
			if (other && other_len == len && memcmp(other, s, len) == 0)
				return false;
		}
		memcpy(key + used, s, len);
		used += len;
		key[used++] = '\n';
	}
	key[used] = '\0';
	return true;
}

/* Whether every URL of key (urls_key's) is a pinned context; key is as before on return. */
static bool urls_pinned(char *key)
{
	char *end;
	bool ok = true;

	for (; ok && *key; key = end + 1) {
		if (!(end = strchr(key, '\n')))
			return false;
		*end = '\0';
		ok = vc_jsonld_context_document(key, NULL) != NULL;
		*end = '\n';
	}
	return ok;
}

/* edge_get under the table's lock. */
static struct fedge *edge_made(struct fcall *c, struct fctx *from, struct vc_dmv local,
                               const char *urls, bool override_protected, bool propagate)
{
	struct fedge *e;

	pthread_mutex_lock(&c->t->lock);
	e = edge_get(c->t, from, local, urls, override_protected, propagate);
	pthread_mutex_unlock(&c->t->lock);
	return e;
}

/* The edge from from for a document's @context value that is a list of pinned URLs (or one),
 * made when new; NULL: not told. Apart from apply, so that its key's buffer is not on apply's
 * stack. */
static __attribute__((noinline)) struct fedge *edge_of_urls(struct fcall *c, struct fctx *from,
                                                            struct vc_dmv local,
                                                            bool override_protected, bool propagate)
{
	char key[1024];
	struct fedge *e;

	if (!urls_key(local, key, sizeof(key)))
		return NULL;
	/* An edge of the same key was made only after its URLs were found pinned. */
	if ((e = edge_find(from, local, key, override_protected, propagate)) != NULL)
		return e;
	return urls_pinned(key) ? edge_made(c, from, local, key, override_protected, propagate)
	                        : NULL;
}

static inline size_t memo_slot(const struct fctx *from, const void *id, bool override_protected,
                               bool propagate)
{
	uintptr_t a = (uintptr_t)from, b = (uintptr_t)id;

	return ((a >> 6) ^ (b >> 4) ^ (b >> 11) ^ ((size_t)override_protected << 5) ^
	        ((size_t)propagate << 6)) &
	       (CALL_MEMO_SLOTS - 1);
}

static inline bool memo_is(const struct fcall *c, size_t i, const struct fctx *from, const void *id,
                           bool override_protected, bool propagate)
{
	return c->memo[i].from == from && c->memo[i].local == id &&
	       c->memo[i].override_protected == override_protected &&
	       c->memo[i].propagate == propagate;
}

/* jl_ctx_process as the walk sees it: one step per call, the context's own steps the first time
 * within the call (jl's memo). NULL: not told. */
static struct fctx *apply(struct fcall *c, struct fctx *from, struct vc_dmv local, bool scoped,
                          bool override_protected, bool propagate)
{
	const void *id = vc_dmv_identity(local);
	struct fedge *e;
	size_t i, slot;

	c->steps++;
	/* The memo read through only when its slot names another entry. */
	slot = memo_slot(from, id, override_protected, propagate);
	if (c->memo_at[slot]) {
		i = c->memo_at[slot] - 1u;
		if (!memo_is(c, i, from, id, override_protected, propagate))
			for (i = 0; i < c->nmemo; i++)
				if (memo_is(c, i, from, id, override_protected, propagate))
					break;
		if (i < c->nmemo)
			return c->steps > c->l->max_context_steps ? NULL : c->memo[i].to;
	}
	if (c->nmemo == CALL_MEMO)
		return NULL;
	/* A term definition's scoped context object is kept by its address (the source context
	 * holds it); a document's own inline context is not modelled. */
	if (vc_dmv_is_object(local)) {
		if (!scoped || local.t)
			return NULL;
		if (!(e = edge_find(from, local, NULL, override_protected, propagate)) &&
		    !(e = edge_made(c, from, local, NULL, override_protected, propagate)))
			return NULL;
	} else if (!(e = edge_of_urls(c, from, local, override_protected, propagate))) {
		return NULL;
	}
	/* e->cost counts the call's own step too. */
	c->steps += e->cost - 1;
	if (c->steps > c->l->max_context_steps)
		return NULL;
	c->memo[c->nmemo].from = from;
	c->memo[c->nmemo].local = id;
	c->memo[c->nmemo].override_protected = override_protected;
	c->memo[c->nmemo].propagate = propagate;
	c->memo[c->nmemo].to = e->to;
	c->memo_at[slot] = (uint8_t)++c->nmemo;
	return e->to;
}

/* A term's scoped context, as a view. */
static struct vc_dmv scoped_of(const struct fterm *d)
{
	return vc_dmv_json(d->scoped);
}

/* The n bytes at s as a C string: in place when s ends there with a NUL (jansson's strings, a
 * tree's unescaped ones), else copied into the call's scratch, which holds it until the next
 * use; NULL when too long for it (not told). */
static const char *cstr(struct fcall *c, const char *s, size_t n, bool terminated)
{
	if (!s)
		return NULL;
	if (terminated)
		return s;
	if (n >= sizeof(c->scratch))
		return NULL;
	memcpy(c->scratch, s, n);
	c->scratch[n] = '\0';
	return c->scratch;
}

/* String v as a C string (see cstr); NULL when not a string or too long. */
static const char *str_of(struct fcall *c, struct vc_dmv v)
{
	size_t n;
	const char *s = vc_dmv_str(v, &n);

	return cstr(c, s, n, !v.t || (v.t->nodes[v.i].flags & JSON_TREE_F_S_OWNED));
}

/* Whether IRI Expansion (iri_expand_in) of value gives an IRI or keyword without failing. */
static bool iri_ok(const struct fcall *c, const struct fctx *x, const char *value,
                   bool doc_relative, bool vocab, bool check)
{
	const struct fterm *d, *p;
	const char *colon;

	if (jl_is_keyword(value))
		return true;
	if (jl_looks_like_keyword(value))
		return false;
	d = term_str(x, value);
	if (d && (d->idk == FID_AT_ID || d->idk == FID_AT_TYPE || d->idk == FID_AT_VAL ||
	          d->idk == FID_KEYWORD))
		return true;
	if (vocab && d)
		return d->id != NULL;
	colon = value[0] ? strchr(value + 1, ':') : NULL;
	if (colon) {
		size_t plen = (size_t)(colon - value);
		if ((plen == 1 && value[0] == '_') || strncmp(colon + 1, "//", 2) == 0)
			return true;
		if (plen < 256 && (p = term_of(x, value, plen)) != NULL && p->id && p->prefix)
			return true;
		if (jl_is_absolute_iri(value))
			return true;
	}
	if (vocab && x->vocab)
		return !(check && c->l->defined_terms_only && x->vocab_undefined);
	return !doc_relative;
}

/* A string's bytes for iri_ok_view; NULL where str_of gives NULL (not a string, or too long for
 * the scratch when not terminated), so that the same values are told as with str_of. */
static const char *bytes_of(const struct fcall *c, struct vc_dmv v, size_t *n)
{
	const char *s = vc_dmv_str(v, n);

	if (s && *n >= sizeof(c->scratch) && v.t && !(v.t->nodes[v.i].flags & JSON_TREE_F_S_OWNED))
		return NULL;
	return s;
}

/* jl_is_absolute_iri of n bytes whose first ':' is at plen. */
static bool absolute_n(const char *s, size_t plen)
{
	size_t i;

	if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')))
		return false;
	for (i = 1; i < plen; i++) {
		char ch = s[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '+' || ch == '-' || ch == '.'))
			return false;
	}
	return true;
}

/* iri_ok of string v (s, n bytes from bytes_of) without making it a C string: a value that
 * does not start with '@' is no keyword and looks like none, and the rest reads lengths. */
static bool iri_ok_n(struct fcall *c, const struct fctx *x, struct vc_dmv v, const char *s,
                     size_t n, bool doc_relative, bool vocab, bool check);

/* iri_ok_n with d = term_of(x, s, n) already found (unused when s starts with '@'). */
static bool iri_ok_t(struct fcall *c, const struct fctx *x, struct vc_dmv v, const char *s,
                     size_t n, bool doc_relative, bool vocab, bool check, const struct fterm *d)
{
	const struct fterm *p;
	const char *colon;
	const char *cs;

	if (n && s[0] == '@')
		return (cs = str_of(c, v)) != NULL && iri_ok(c, x, cs, doc_relative, vocab, check);
	if (d && (d->idk == FID_AT_ID || d->idk == FID_AT_TYPE || d->idk == FID_AT_VAL ||
	          d->idk == FID_KEYWORD))
		return true;
	if (vocab && d)
		return d->id != NULL;
	colon = n > 1 ? memchr(s + 1, ':', n - 1) : NULL;
	if (colon) {
		size_t plen = (size_t)(colon - s);
		if ((plen == 1 && s[0] == '_') ||
		    (n - plen > 2 && colon[1] == '/' && colon[2] == '/'))
			return true;
		if (plen < 256 && (p = term_of(x, s, plen)) != NULL && p->id && p->prefix)
			return true;
		if (absolute_n(s, plen))
			return true;
	}
	if (vocab && x->vocab)
		return !(check && c->l->defined_terms_only && x->vocab_undefined);
	return !doc_relative;
}

static bool iri_ok_n(struct fcall *c, const struct fctx *x, struct vc_dmv v, const char *s,
                     size_t n, bool doc_relative, bool vocab, bool check)
{
	return iri_ok_t(c, x, v, s, n, doc_relative, vocab, check,
	                n && s[0] == '@' ? NULL : term_of(x, s, n));
}

/* The plain form's node id: the @id value when its expansion is that value itself. */
static bool id_as_is(const struct fctx *x, const char *value)
{
	const struct fterm *d = term_str(x, value), *p;
	const char *colon = value[0] ? strchr(value + 1, ':') : NULL;
	size_t plen;

	if (value[0] == '@' ||
	    (d && d->idk != FID_IRI && d->idk != FID_OTHER && d->idk != FID_NONE))
		return false;
	if (!colon)
		return false;
	if (strncmp(colon + 1, "//", 2) == 0)
		return true;
	plen = (size_t)(colon - value);
	if (plen < 256 && (p = term_of(x, value, plen)) != NULL && p->id && p->prefix)
		return false;
	return jl_is_absolute_iri(value);
}

/* A property's name while the walk is under it: bytes and length (a tree's key need not end
 * with a NUL). */
struct fprop {
	const char *s;
	size_t n;
	uint32_t h;                /* hash_of(s, n) */
	const struct fctx *in;     /* the context it was looked up in, */
	const struct fterm *found; /* and what that gave (NULL: no term) */
};

/* The property's term in x: the look-up its node made when x is that context. */
static inline const struct fterm *prop_term(const struct fctx *x, const struct fprop *p)
{
	return p->in == x ? p->found : term_h(x, p->s, p->n, p->h);
}

static int walk(struct fcall *c, struct fctx *active, const struct fprop *prop, struct vc_dmv el);

/* Whether key, which is no term of x, expands by x's @vocab to a property the expansion keeps:
 * no ':' (a compact or absolute IRI is left to the full expansion), a vocabulary that is not a
 * catch-all when only defined terms count, and in the plain form not an IRI the verifier reads
 * under another key. */
static bool vocab_key(struct fcall *c, const struct fctx *x, const char *key)
{
	size_t i, n;

	if (!key || !x->vocab || !strchr(x->vocab, ':') || strchr(key, ':') || key[0] == '@' ||
	    jl_looks_like_keyword(key) || (c->l->defined_terms_only && x->vocab_undefined))
		return false;
	n = strlen(x->vocab);
	for (i = 0; c->l->plain_form && i < vc_jsonld_read_props_count; i++)
		if (strncmp(vc_jsonld_read_props[i].iri, x->vocab, n) == 0 &&
		    strcmp(vc_jsonld_read_props[i].iri + n, key) == 0 &&
		    strcmp(key, vc_jsonld_read_props[i].key) != 0)
			return false;
	return true;
}

struct fstr {
	const char *s;
	size_t n;
	size_t at; /* its place in the type value */
};

/* strcmp's order on strings without a NUL inside. */
static int cmp_fstr(const void *a, const void *b)
{
	const struct fstr *x = a, *y = b;
	int r = memcmp(x->s, y->s, x->n < y->n ? x->n : y->n);

	return r ? r : (x->n > y->n) - (x->n < y->n);
}

/* Step 11 of expand_map: the type-scoped contexts of the types in tv (a string or an array of
 * strings: anything else is not told), in their sorted order, applied to ctx; NULL: not told.
 * Apart from walk_map, so that its array is not on the stack of every nested level. */
static __attribute__((noinline)) struct fctx *apply_types(struct fcall *c, struct fctx *ctx,
                                                          const struct fctx *ts, struct vc_dmv tv)
{
	struct fstr sorted[JL_MAX_TYPES];
	const struct fterm *d;
	struct vc_dmv_it it;
	struct vc_dmv one;
	size_t i, n = 0;

	c->tt_node = NULL;
	if (vc_dmv_is_string(tv)) {
		sorted[n].s = vc_dmv_str(tv, &sorted[n].n);
		sorted[n].at = n;
		n++;
	} else if (vc_dmv_is_array(tv) && vc_dmv_size(tv) <= JL_MAX_TYPES) {
		for (one = vc_dmv_first(tv, &it); vc_dmv_there(one); one = vc_dmv_next(&it)) {
			if (!vc_dmv_is_string(one))
				return NULL;
			sorted[n].s = vc_dmv_str(one, &sorted[n].n);
			sorted[n].at = n;
			n++;
		}
	} else {
		return NULL;
	}
	/* One type or a few (most nodes): sorted in place, without qsort's call per pair; equal
	 * names are the same bytes, so their order among themselves changes nothing. */
	if (n > 8) {
		qsort(sorted, n, sizeof(*sorted), cmp_fstr);
	} else {
		for (i = 1; i < n; i++) {
			struct fstr x = sorted[i];
			size_t j = i;

			for (; j > 0 && cmp_fstr(&sorted[j - 1], &x) > 0; j--)
				sorted[j] = sorted[j - 1];
			sorted[j] = x;
		}
	}
	for (i = 0; i < n && ctx; i++) {
		d = c->tt_term[sorted[i].at] = term_of(ts, sorted[i].s, sorted[i].n);
		if (d && d->scoped)
			ctx = apply(c, ctx, scoped_of(d), true, false, false);
	}
	if (ctx) {
		c->tt_node = vc_dmv_identity(tv);
		c->tt_in = ts;
	}
	return ctx;
}

/* One type value as expand_type reads it over ts; known: its term in ts, when found (the k-th
 * of the value apply_types read last, when v is that value over the same context). */
static bool type_ok(struct fcall *c, const struct fctx *ts, struct vc_dmv t, bool known,
                    const struct fterm *d)
{
	size_t n;
	const char *s = bytes_of(c, t, &n);

	if (!s)
		return false;
	if (!known)
		d = n && s[0] == '@' ? NULL : term_of(ts, s, n);
	/* plain_type: an IRI for a type the context may name as a term is left to expansion */
	return iri_ok_t(c, ts, t, s, n, true, true, true, d) &&
	       !(c->l->plain_form && memchr(s, ':', n) &&
	         !(n && s[0] == '@' ? term_of(ts, s, n) : d));
}

static bool types_ok(struct fcall *c, const struct fctx *ts, struct vc_dmv v)
{
	struct vc_dmv_it it;
	struct vc_dmv one;
	bool known = c->tt_node == vc_dmv_identity(v) && c->tt_in == ts;
	size_t k = 0;

	if (!vc_dmv_is_array(v))
		return type_ok(c, ts, v, known, known ? c->tt_term[0] : NULL);
	for (one = vc_dmv_first(v, &it); vc_dmv_there(one); one = vc_dmv_next(&it), k++)
		if (!type_ok(c, ts, one, known, known ? c->tt_term[k] : NULL))
			return false;
	return true;
}

/* expand_map */
static int walk_map(struct fcall *c, struct fctx *active, const struct fprop *prop,
                    struct vc_dmv el)
{
	const struct fterm *pdef = prop ? prop_term(active, prop) : NULL, *d;
	struct fctx *ctx = active, *ts;
	const struct fctx *guess = active->previous ? active->previous : active;
	bool only_id = false, type_bad = false;
	const char *k, *id = NULL, *idc;
	struct vc_dmv v, tv = vc_dmv_none(el), local = vc_dmv_none(el);
	struct vc_dmv_it it;
	struct fprop kp;
	unsigned scope = c->scope;
	size_t i, kn, idn, id_len = 0, entries = 0, members = vc_dmv_size(el);
	enum fid kind;
	int ok = 0;

	if (pdef && (pdef->containers & FC_GRAPH))
		c->scope = ++c->scopes;
	if (++c->nodes > c->l->max_nodes)
		goto out;
	/* The names once: whole (no NUL inside); the node's own @context; any other keyword
	 * key, which is not told (steps 7 and 11 below refuse each such key, whatever the
	 * context); what step 7 reads of each name in the active context, and what step 11 reads
	 * in the context it most likely uses (guess: the type-scoped context's previous one,
	 * else the active one), so that its loop need not run again when it does use that. */
	for (v = vc_dmv_first(el, &it); vc_dmv_there(v); v = vc_dmv_next(&it)) {
		if (!vc_dmv_key_whole(&it))
			goto out;
		k = vc_dmv_key(&it, &kn);
		if (kn && k[0] == '@') {
			if (!vc_dmv_bytes_are(k, kn, "@context"))
				goto out;
			local = v;
		}
		/* Step 7: a type-scoped context does not reach into nested nodes. */
		if (ctx->previous) {
			kind = alias_kind(ctx, k, kn);
			if (kind == FID_AT_VAL)
				goto out; /* a value object */
			if (members == 1 && kind == FID_AT_ID)
				only_id = true;
		}
		/* Step 11 in guess: the one member that names @type must be "type". */
		if (alias_kind(guess, k, kn) == FID_AT_TYPE) {
			if (vc_dmv_there(tv) || !vc_dmv_bytes_are(k, kn, "type"))
				type_bad = true;
			else
				tv = v;
		}
	}
	if (ctx->previous && !only_id)
		ctx = ctx->previous;
	if (pdef && pdef->scoped && !(ctx = apply(c, ctx, scoped_of(pdef), true, true, true)))
		goto out;
	if (vc_dmv_there(local) && !(ctx = apply(c, ctx, local, false, false, true)))
		goto out;
	ts = ctx;
	/* Step 11: type-scoped contexts, in order of the types; the names read again when the
	 * context is not the guessed one. */
	if (ctx != guess) {
		type_bad = false;
		tv = vc_dmv_none(el);
		for (v = vc_dmv_first(el, &it); vc_dmv_there(v); v = vc_dmv_next(&it)) {
			k = vc_dmv_key(&it, &kn);
			if (alias_kind(ctx, k, kn) != FID_AT_TYPE)
				continue;
			if (vc_dmv_there(tv) || !vc_dmv_bytes_are(k, kn, "type"))
				goto out; /* another alias of @type */
			tv = v;
		}
	} else if (type_bad) {
		goto out; /* another alias of @type */
	}
	if (vc_dmv_there(tv) && !(ctx = apply_types(c, ctx, ts, tv)))
		goto out;
	/* Steps 13 and 14 (expand_entries), with the final context. */
	for (v = vc_dmv_first(el, &it); vc_dmv_there(v); v = vc_dmv_next(&it)) {
		k = vc_dmv_key(&it, &kn);
		if (vc_dmv_bytes_are(k, kn, "@context"))
			continue;
		entries++;
		kp.s = k;
		kp.n = kn;
		kp.h = hash_of(k, kn);
		kp.in = ctx;
		kp.found = d = term_h(ctx, k, kn, kp.h);
		if (!d) {
			/* A key only @vocab gives an IRI (the examples context's). */
			if (!vocab_key(c, ctx,
			               cstr(c, k, kn,
			                    !el.t || (el.t->nodes[v.i].flags &
			                              JSON_TREE_F_KEY_OWNED))))
				goto out;
			if (!walk(c, ctx, &kp, v))
				goto out;
			continue;
		}
		switch (d->idk) {
		case FID_AT_ID:
			if (!vc_dmv_bytes_are(k, kn, "id") || !vc_dmv_is_string(v))
				goto out;
			id = vc_dmv_str(v, &id_len);
			if (c->l->plain_form && id_len >= 2 && memcmp(id, "_:", 2) == 0)
				goto out;
			if (!(idc = bytes_of(c, v, &idn)) ||
			    !iri_ok_n(c, ctx, v, idc, idn, true, false, false))
				goto out;
			break;
		case FID_AT_TYPE:
			/* expand_type, over ts; v may differ from tv when "type" names @type only
			 * in the final context (a type-scoped context made it so). */
			if (!vc_dmv_bytes_are(k, kn, "type") || !types_ok(c, ts, v))
				goto out;
			break;
		case FID_IRI:
			if (c->l->plain_form && d->renames_read)
				goto out;
			if (d->type == FTYPE_JSON)
				break;
			if (vc_dmv_is_object(v) && (d->containers & (FC_LANGUAGE | FC_MAPS)))
				goto out;
			/* A scalar under a term without a scoped context: walk's Value Expansion
			 * here, with the term just found. */
			if (!d->scoped && !vc_dmv_is_object(v) && !vc_dmv_is_array(v)) {
				if ((d->type == FTYPE_ID || d->type == FTYPE_VOCAB) &&
				    vc_dmv_is_string(v) &&
				    (!(idc = bytes_of(c, v, &idn)) ||
				     !iri_ok_n(c, ctx, v, idc, idn, true, d->type == FTYPE_VOCAB,
				               true)))
					goto out;
				break;
			}
			if (!walk(c, ctx, &kp, v))
				goto out;
			break;
		default:
			goto out;
		}
	}
	/* The plain form: one node, one place. */
	if (c->l->plain_form && id && entries > 1) {
		idc = cstr(c, id, id_len, !el.t);
		if (!idc || !id_as_is(ctx, idc) || c->nids == CALL_IDS)
			goto out;
		for (i = 0; i < c->nids; i++)
			if (c->ids[i].scope == c->scope && c->ids[i].len == id_len &&
			    memcmp(c->ids[i].id, id, id_len) == 0)
				goto out;
		c->ids[c->nids].id = id;
		c->ids[c->nids].len = id_len;
		c->ids[c->nids].scope = c->scope;
		c->nids++;
	}
	ok = 1;
out:
	c->scope = scope;
	return ok;
}

/* expand */
static int walk(struct fcall *c, struct fctx *active, const struct fprop *prop, struct vc_dmv el)
{
	const struct fterm *d;
	struct fctx *ctx = active;
	struct vc_dmv_it it;
	struct vc_dmv item;
	const char *s;
	size_t n;

	if (vc_dmv_is(el, JSON_TREE_NULL))
		return 1;
	if (vc_dmv_is_array(el)) {
		for (item = vc_dmv_first(el, &it); vc_dmv_there(item); item = vc_dmv_next(&it))
			if (!walk(c, active, prop, item))
				return 0;
		return 1;
	}
	if (vc_dmv_is_object(el))
		return walk_map(c, active, prop, el);
	/* A scalar: Value Expansion, after the property's scoped context. */
	if (!prop)
		return 0;
	d = prop_term(active, prop);
	if (d && d->scoped) {
		if (!(ctx = apply(c, active, scoped_of(d), true, true, true)))
			return 0;
		d = term_h(ctx, prop->s, prop->n, prop->h);
	}
	if (d && (d->type == FTYPE_ID || d->type == FTYPE_VOCAB) && vc_dmv_is_string(el))
		return (s = bytes_of(c, el, &n)) != NULL &&
		       iri_ok_n(c, ctx, el, s, n, true, d->type == FTYPE_VOCAB, true);
	return 1;
}

/* The names sizes_ok looks for, told by length first (one compare for most names). */
enum size_key {
	SK_OTHER,
	SK_TYPE,    /* type, @type */
	SK_CONTEXT, /* @context */
	SK_REFUSED, /* @index, @direction: plain_member refuses them */
	SK_STRING, /* validFrom, validUntil, statusPurpose, statusListIndex, statusListCredential */
};

static inline enum size_key size_key_of(const char *k, size_t kn)
{
	switch (kn) {
	case 4:
		return memcmp(k, "type", 4) == 0 ? SK_TYPE : SK_OTHER;
	case 5:
		return memcmp(k, "@type", 5) == 0 ? SK_TYPE : SK_OTHER;
	case 6:
		return memcmp(k, "@index", 6) == 0 ? SK_REFUSED : SK_OTHER;
	case 8:
		return memcmp(k, "@context", 8) == 0 ? SK_CONTEXT : SK_OTHER;
	case 9:
		return memcmp(k, "validFrom", 9) == 0 ? SK_STRING : SK_OTHER;
	case 10:
		return memcmp(k, "@direction", 10) == 0   ? SK_REFUSED
		       : memcmp(k, "validUntil", 10) == 0 ? SK_STRING
		                                          : SK_OTHER;
	case 13:
		return memcmp(k, "statusPurpose", 13) == 0 ? SK_STRING : SK_OTHER;
	case 15:
		return memcmp(k, "statusListIndex", 15) == 0 ? SK_STRING : SK_OTHER;
	case 20:
		return memcmp(k, "statusListCredential", 20) == 0 ? SK_STRING : SK_OTHER;
	default:
		return SK_OTHER;
	}
}

/* jl_check_sizes, the same limits on either reader: true when it would pass. Anything it would
 * refuse is not told here, and the full expansion refuses it with its message. */
/* sizes_ok's rules for one member x named k (kn bytes) of an object, in both forms at once:
 * bit 0 set when they hold in the form that is not plain, bit 1 when they hold in the plain
 * form (plain_member's rules as well). */
static inline __attribute__((always_inline)) unsigned member_forms(const char *k, size_t kn,
                                                                   struct vc_dmv x)
{
	enum size_key sk = size_key_of(k, kn);

	if (sk == SK_TYPE && vc_dmv_is_array(x) && vc_dmv_size(x) > JL_MAX_TYPES)
		return 0;
	/* plain_member */
	if (vc_dmv_is(x, JSON_TREE_NULL) || sk == SK_REFUSED)
		return 1;
	if (!vc_dmv_is_string(x) && sk == SK_STRING)
		return 1;
	if (vc_dmv_is_array(x) && vc_dmv_size(x) == 0 && !(kn && k[0] == '@'))
		return 1;
	if (sk == SK_CONTEXT && !vc_dmv_is_string(x)) {
		struct vc_dmv_it cit;
		struct vc_dmv one;
		if (!vc_dmv_is_array(x))
			return 1;
		for (one = vc_dmv_first(x, &cit); vc_dmv_there(one); one = vc_dmv_next(&cit))
			if (!vc_dmv_is_string(one))
				return 1;
	}
	return 3;
}

static bool member_ok(const struct vc_jsonld_limits *l, const char *k, size_t kn, struct vc_dmv x)
{
	return (member_forms(k, kn, x) >> (l->plain_form ? 1 : 0)) & 1u;
}

static bool sizes_ok(const struct fcall *c, struct vc_dmv v, size_t depth)
{
	const struct vc_jsonld_limits *l = c->l;
	struct vc_dmv_it it;
	struct vc_dmv x;
	const char *k;
	size_t kn;

	if (depth > l->max_depth)
		return false;
	if (vc_dmv_is_object(v)) {
		if (vc_dmv_size(v) > JL_MAX_KEYS)
			return false;
		for (x = vc_dmv_first(v, &it); vc_dmv_there(x); x = vc_dmv_next(&it)) {
			k = vc_dmv_key(&it, &kn);
			if (!member_ok(l, k, kn, x) || !sizes_ok(c, x, depth + 1))
				return false;
		}
	} else if (vc_dmv_is_array(v)) {
		if (vc_dmv_size(v) > JL_MAX_ITEMS)
			return false;
		for (x = vc_dmv_first(v, &it); vc_dmv_there(x); x = vc_dmv_next(&it)) {
			if (l->plain_form && vc_dmv_is(x, JSON_TREE_NULL))
				return false;
			if (!sizes_ok(c, x, depth + 1))
				return false;
		}
	}
	return true;
}

int vc_jsonld_sizes_walk(const struct json_tree *t, uint32_t root, size_t max_depth,
                         size_t stop_depth, vc_jsonld_visit_fn visit, void *arg,
                         struct vc_jsonld_sized *s)
{
	/* Every node of the subtree in document order (a tree's nodes are), its depth the number
	 * of containers still open around it. The answers are conjunctions of the same
	 * conditions as sizes_ok's, so the order they are met in does not matter. */
	/* The open containers' ends (their next) and whether each is an object, innermost last;
	 * the innermost's (UINT32_MAX and false while none is open) kept at hand. */
	uint32_t stack[VC_JSONLD_SIZES_DEPTH_MAX + 1], i, end = t->nodes[root].next;
	uint32_t top_next = UINT32_MAX;
	bool objs[VC_JSONLD_SIZES_DEPTH_MAX + 1], top_obj = false;
	unsigned ok = 3; /* bit 0: the form that is not plain holds; bit 1: the plain form */
	size_t sp = 0, kn, shallow;
	const char *k;
	int rc;

	/* Answers of no tree until the walk completes: a walk that a visit ends, even with 0,
	 * leaves nothing vc_jsonld_fast_check_sized would take for this tree's. */
	s->t = NULL;
	if (max_depth > VC_JSONLD_SIZES_DEPTH_MAX || stop_depth > VC_JSONLD_SIZES_DEPTH_MAX)
		return OK_EUNSUPPORTED;
	if (!visit)
		stop_depth = max_depth; /* past it nothing holds: the walk ends there */
	shallow = max_depth < stop_depth ? max_depth : stop_depth;
	for (i = root; i < end; i++) {
		const struct json_tree_node *nd = &t->nodes[i];

		while (i >= top_next) {
			top_next = --sp ? stack[sp - 1] : UINT32_MAX;
			top_obj = sp && objs[sp - 1];
		}
		if (top_obj) {
			k = json_tree_key(t, i, &kn);
			if (visit && kn == 8 && memcmp(k, "@context", 8) == 0 &&
			    (rc = visit(arg, i, sp, false)) != 0)
				return rc;
			if (ok)
				ok &= member_forms(k, kn, vc_dmv_tree(t, i));
		} else if (sp && nd->type == JSON_TREE_NULL) {
			ok &= 1u; /* an array's null: the plain form refuses it */
		}
		if (sp > shallow) {
			if (sp > max_depth)
				ok = 0;
			if (sp > stop_depth) {
				if (visit)
					return visit(arg, i, sp, true);
				break;
			}
		}
		if (nd->type >= JSON_TREE_ARRAY) {
			if (nd->len > (nd->type == JSON_TREE_OBJECT ? JL_MAX_KEYS : JL_MAX_ITEMS))
				ok = 0;
			/* sp <= stop_depth <= VC_JSONLD_SIZES_DEPTH_MAX here */
			if (nd->len) {
				objs[sp] = top_obj = nd->type == JSON_TREE_OBJECT;
				stack[sp++] = top_next = nd->next;
			}
		}
		if (!ok && !visit)
			break;
	}
	s->t = t;
	s->root = root;
	s->max_depth = max_depth;
	s->ok[0] = (ok & 1u) != 0;
	s->ok[1] = (ok & 2u) != 0;
	return 0;
}

/* sizes_ok on a tree, by the walk above (no recursion); a deeper limit takes the recursive
 * walk. */
static bool sizes_ok_tree(const struct fcall *c, const struct json_tree *t, uint32_t root)
{
	struct vc_jsonld_sized s;

	if (vc_jsonld_sizes_walk(t, root, c->l->max_depth, c->l->max_depth, NULL, NULL, &s) != 0)
		return sizes_ok(c, vc_dmv_tree(t, root), 0);
	return s.ok[c->l->plain_form ? 1 : 0];
}

int vc_jsonld_fast_check_view(struct vc_jsonld_terms *t, struct vc_dmv doc,
                              const struct vc_jsonld_limits *l, size_t *steps)
{
	return vc_jsonld_fast_check_sized(t, doc, l, steps, NULL);
}

int vc_jsonld_fast_check_sized(struct vc_jsonld_terms *t, struct vc_dmv doc,
                               const struct vc_jsonld_limits *l, size_t *steps,
                               const struct vc_jsonld_sized *s)
{
	struct fcall *c;
	bool sized;
	int ok;

	if (!t || !vc_dmv_is_object(doc))
		return 0;
	if (!l)
		l = &vc_jsonld_limits_default;
	if (!l->strict)
		return 0;
	/* The processor's own per-process contexts first, as vc_jsonld_expand does. */
	jl_prefill();
	/* The call's state holds a scratch buffer: on the heap, not on every caller's stack. */
	if (!(c = malloc(sizeof(*c))))
		return 0;
	c->t = t;
	c->l = l;
	c->steps = c->nodes = c->nmemo = c->nids = 0;
	memset(c->memo_at, 0, sizeof(c->memo_at));
	c->tt_node = NULL;
	c->tt_in = NULL;
	c->scope = c->scopes = 0;
	/* The size check's answers when the caller's walk found them for this document and
	 * depth limit; else found here. */
	sized = s && doc.t && s->t == doc.t && s->root == doc.i && s->max_depth == l->max_depth;
	ok = (sized   ? s->ok[l->plain_form ? 1 : 0]
	      : doc.t ? sizes_ok_tree(c, doc.t, doc.i)
	              : sizes_ok(c, doc, 0)) &&
	     walk_map(c, t->initial, NULL, doc);
	if (ok && steps)
		*steps = c->steps;
	free(c);
	return ok;
}

int vc_jsonld_fast_check(struct vc_jsonld_terms *t, const json_t *doc,
                         const struct vc_jsonld_limits *l, size_t *steps)
{
	return vc_jsonld_fast_check_view(t, vc_dmv_json(doc), l, steps);
}

int vc_jsonld_fast_check_tree(struct vc_jsonld_terms *t, const struct json_tree *tree,
                              uint32_t root, const struct vc_jsonld_limits *l, size_t *steps)
{
	return vc_jsonld_fast_check_view(t, vc_dmv_tree(tree, root), l, steps);
}
