/* RDFC-1.0, step for step as the W3C Recommendation writes it (sections 4.4 to 4.8), with a
 * bounded amount of work so that a poison graph fails instead of running for ever. */
#include "vc/rdfc.h"

#include <limits.h>
#include <openssl/evp.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vc/nquads.h"
#include "vc/sha256.h"

#define HEX_MAX   97 /* a SHA-384 digest in hex, with its NUL */
#define LABEL_MAX 32 /* "_:c14n" or "_:b" and a number, with its NUL */

/* An identifier issuer (4.5): the numbers it handed out, per blank node and in order. Its
 * prefix ("c14n" for the canonical issuer, "b" for the temporary ones) is implied by its role. */
struct issuer {
	int *id_of; /* per blank node: the number issued to it, -1 if none */
	int *order; /* the blank nodes in the order their identifiers were issued */
	size_t count;
};

struct state {
	const struct vc_rdfc_limits *l;
	struct ok_error *err;
	struct vc_nq_dataset ds;
	struct vc_nq_quad *q; /* the quads kept, duplicates dropped, in input order */
	size_t nq;
	int (*qb)[3];       /* per kept quad: the blank node of its subject, object, graph, or -1 */
	size_t nb;          /* blank nodes, numbered in order of first appearance */
	const char **label; /* per blank node: its input label */
	int *label_rank;    /* per blank node: its place in the code point order of labels */
	size_t *bq_start;   /* blank node n's quads: bq_list[bq_start[n] .. bq_start[n + 1]) */
	size_t *bq_list;
	char (*h1)[HEX_MAX]; /* per blank node: its Hash First Degree Quads */
	struct issuer canon;
	size_t steps, depth;
};

/* The part of the state a failure message needs, so that every limit reads the same way. */
static int too_much(struct state *st, const char *what, size_t limit)
{
	return ok_fail(st->err, OK_ETOOBIG, "canonicalization exceeds %zu %s: poison graph?", limit,
	               what);
}

static int nomem(struct state *st)
{
	return ok_fail(st->err, OK_ENOMEM, "out of memory while canonicalizing");
}

static int buf_fail(struct state *st, int rc)
{
	if (rc == OK_ETOOBIG)
		return ok_fail(st->err, rc, "canonical N-Quads pass their size limit");
	return nomem(st);
}

void vc_rdfc_limits_default(struct vc_rdfc_limits *l)
{
	l->max_quads = 10000;
	l->max_blank_nodes = 1000;
	l->max_hash_calls = 50000;
	l->max_depth = 128;
	l->max_bytes = (size_t)4 << 20;
	l->hash = VC_RDFC_SHA256;
}

void vc_rdfc_map_release(struct vc_rdfc_map *map)
{
	size_t i;

	if (!map)
		return;
	for (i = 0; i < map->count; i++) {
		free(map->input[i]);
		free(map->canonical[i]);
	}
	free(map->input);
	free(map->canonical);
	memset(map, 0, sizeof(*map));
}

/* Hashing */

static int hash_hex(struct state *st, const void *data, size_t len, char out[HEX_MAX])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[48];
	unsigned n = 32, i;

	if (st->l->hash == VC_RDFC_SHA384) {
		if (EVP_Digest(data, len, md, &n, EVP_sha384(), NULL) != 1 || n != 48)
			return ok_fail(st->err, OK_ECRYPTO, "SHA-384 failed");
	} else {
		int rc = vc_sha256(data, len, md, st->err);
		if (rc)
			return rc;
	}
	for (i = 0; i < n; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[2 * n] = '\0';
	return 0;
}

/* Issuers */

static int issuer_init(struct state *st, struct issuer *is)
{
	size_t i;

	is->count = 0;
	is->id_of = malloc((st->nb + 1) * sizeof(int));
	is->order = malloc((st->nb + 1) * sizeof(int));
	if (!is->id_of || !is->order)
		return nomem(st);
	for (i = 0; i < st->nb; i++)
		is->id_of[i] = -1;
	return 0;
}

static void issuer_release(struct issuer *is)
{
	free(is->id_of);
	free(is->order);
	is->id_of = is->order = NULL;
}

static void issuer_copy(struct state *st, struct issuer *dst, const struct issuer *src)
{
	memcpy(dst->id_of, src->id_of, st->nb * sizeof(int));
	memcpy(dst->order, src->order, src->count * sizeof(int));
	dst->count = src->count;
}

static void issuer_swap(struct issuer *a, struct issuer *b)
{
	struct issuer t = *a;

	*a = *b;
	*b = t;
}

/* Issue Identifier (4.5.2): the number of n, issued now if it has none yet. */
static int issue(struct issuer *is, int n)
{
	if (is->id_of[n] < 0) {
		is->id_of[n] = (int)is->count;
		is->order[is->count++] = n;
	}
	return is->id_of[n];
}

/* Sorted lines, for the code point order RDFC-1.0 asks for (byte order of UTF-8 is code point
 * order). Lines are collected into one buffer with their offsets, then sorted as pointers. */

struct line {
	const char *p;
	size_t len;
	size_t idx;
};

static int line_cmp(const void *a, const void *b)
{
	const struct line *x = a, *y = b;
	int c = memcmp(x->p, y->p, x->len < y->len ? x->len : y->len);

	if (c)
		return c;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Lines off[i] .. off[i + 1] of text, sorted; the caller frees the array. */
static struct line *sort_lines(const struct buf *text, const size_t *off, size_t n)
{
	struct line *lines = malloc((n + 1) * sizeof(*lines));
	size_t i;

	if (!lines)
		return NULL;
	for (i = 0; i < n; i++) {
		lines[i].p = text->data + off[i];
		lines[i].len = off[i + 1] - off[i];
		lines[i].idx = i;
	}
	qsort(lines, n, sizeof(*lines), line_cmp);
	return lines;
}

/* Writes quad qi with every blank node named by name(n) (a label without "_:"). */
typedef const char *(*namer)(struct state *st, int n, int self, char tmp[LABEL_MAX]);

static int write_named(struct state *st, size_t qi, namer name, int self, struct buf *out)
{
	struct vc_nq_quad q = st->q[qi];
	struct vc_nq_term *terms[3] = {&q.s, &q.o, &q.g};
	char tmp[3][LABEL_MAX];
	int k;

	for (k = 0; k < 3; k++) {
		if (st->qb[qi][k] < 0)
			continue;
		terms[k]->value = name(st, st->qb[qi][k], self, tmp[k]);
		terms[k]->value_len = strlen(terms[k]->value);
	}
	return vc_nquads_write_quad(&q, out);
}

static const char *name_first_degree(struct state *st, int n, int self, char tmp[LABEL_MAX])
{
	(void)st;
	(void)tmp;
	return n == self ? "a" : "z";
}

static const char *name_canonical(struct state *st, int n, int self, char tmp[LABEL_MAX])
{
	(void)self;
	snprintf(tmp, LABEL_MAX, "c14n%d", st->canon.id_of[n]);
	return tmp;
}

/* Hash First Degree Quads (4.6.3) of blank node n. */
static int hash_first_degree(struct state *st, int n, char out[HEX_MAX])
{
	size_t first = st->bq_start[n], cnt = st->bq_start[n + 1] - first, i;
	struct buf text, joined;
	struct line *lines = NULL;
	size_t *off;
	int rc = 0;

	buf_init(&text, BUF_DEFAULT_MAX);
	buf_init(&joined, BUF_DEFAULT_MAX);
	off = malloc((cnt + 1) * sizeof(*off));
	if (!off) {
		rc = nomem(st);
		goto out;
	}
	for (i = 0; i < cnt; i++) {
		off[i] = text.len;
		if ((rc = write_named(st, st->bq_list[first + i], name_first_degree, n, &text))) {
			rc = buf_fail(st, rc);
			goto out;
		}
	}
	off[cnt] = text.len;
	if (!(lines = sort_lines(&text, off, cnt))) {
		rc = nomem(st);
		goto out;
	}
	for (i = 0; i < cnt; i++)
		if ((rc = buf_add(&joined, lines[i].p, lines[i].len))) {
			rc = buf_fail(st, rc);
			goto out;
		}
	rc = hash_hex(st, joined.data, joined.len, out);
out:
	free(lines);
	free(off);
	buf_release(&joined);
	buf_release(&text);
	return rc;
}

static int step(struct state *st)
{
	if (++st->steps > st->l->max_hash_calls)
		return too_much(st, "steps", st->l->max_hash_calls);
	return 0;
}

/* Hash Related Blank Node (4.7.3): related seen from quad qi at position pos ('s', 'o', 'g'). */
static int hash_related(struct state *st, int related, size_t qi, const struct issuer *is, char pos,
                        struct buf *tmp, char out[HEX_MAX])
{
	const struct vc_nq_term *p = &st->q[qi].p;
	int rc;

	buf_reset(tmp);
	if ((rc = buf_addch(tmp, pos)))
		return buf_fail(st, rc);
	if (pos != 'g' &&
	    ((rc = buf_addch(tmp, '<')) || (rc = buf_add(tmp, p->value, p->value_len)) ||
	     (rc = buf_addch(tmp, '>'))))
		return buf_fail(st, rc);
	if (st->canon.id_of[related] >= 0)
		rc = buf_addf(tmp, "_:c14n%d", st->canon.id_of[related]);
	else if (is->id_of[related] >= 0)
		rc = buf_addf(tmp, "_:b%d", is->id_of[related]);
	else
		rc = buf_addstr(tmp, st->h1[related]);
	if (rc)
		return buf_fail(st, rc);
	return hash_hex(st, tmp->data, tmp->len, out);
}

struct related {
	char hash[HEX_MAX];
	int node;
	size_t idx;
};

static int related_cmp(const void *a, const void *b)
{
	const struct related *x = a, *y = b;
	int c = strcmp(x->hash, y->hash);

	if (c)
		return c;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* One element of a permutation: the blank node and its rank by input label (equal ranks for
 * the same node), which is what the permutation order compares. */
struct elem {
	int node;
	int rank;
};

/*
 * The next permutation in the Steinhaus-Johnson-Trotter order, starting from the list sorted by
 * label, as the reference implementation (rdf-canonize) walks them; left[rank] is the
 * direction of each element. Returns 0 when every permutation has been seen. The order does not
 * change the result (the smallest path wins), only which of two equal paths is met first.
 */
static int permute_next(struct elem *cur, size_t k, unsigned char *left)
{
	int best = -1;
	size_t pos = 0, i, swap;
	struct elem t;

	for (i = 0; i < k; i++) {
		int r = cur[i].rank;
		if ((best < 0 || r > best) && ((left[r] && i > 0 && r > cur[i - 1].rank) ||
		                               (!left[r] && i + 1 < k && r > cur[i + 1].rank))) {
			best = r;
			pos = i;
		}
	}
	if (best < 0)
		return 0;
	swap = left[best] ? pos - 1 : pos + 1;
	t = cur[pos];
	cur[pos] = cur[swap];
	cur[swap] = t;
	for (i = 0; i < k; i++)
		if (cur[i].rank > best)
			left[cur[i].rank] = (unsigned char)!left[cur[i].rank];
	return 1;
}

static int bytes_cmp(const struct buf *a, const struct buf *b)
{
	int c = memcmp(a->data, b->data, a->len < b->len ? a->len : b->len);

	if (c)
		return c;
	return a->len < b->len ? -1 : a->len > b->len;
}

/* Step 5.4.2.3 and 5.4.5.5: a path as long as the chosen one and past it can never win. */
static int path_loses(const struct buf *path, const struct buf *chosen, int have_chosen)
{
	return have_chosen && path->len >= chosen->len && bytes_cmp(path, chosen) > 0;
}

static int elem_cmp(const void *a, const void *b)
{
	const struct elem *x = a, *y = b;

	return x->rank < y->rank ? -1 : x->rank > y->rank;
}

/* Sorts a group's nodes by input label, the order the permutations start from. Each element's
 * rank is its node's place among all labels, so the same node has the same rank. */
static void rank_elems(const struct state *st, struct elem *e, size_t k)
{
	size_t i;

	for (i = 0; i < k; i++)
		e[i].rank = st->label_rank[e[i].node];
	qsort(e, k, sizeof(*e), elem_cmp);
}

/* Hash N-Degree Quads (4.8.3) of blank node n with issuer in; result receives the issuer the
 * algorithm ends with. */
static int hash_ndegree(struct state *st, int n, const struct issuer *in, char out[HEX_MAX],
                        struct issuer *result)
{
	size_t first = st->bq_start[n], cnt = st->bq_start[n + 1] - first, nrel = 0, i, j, g;
	struct issuer cur = {0}, copy = {0}, chosen_is = {0}, sub = {0};
	struct buf tmp, data, path, chosen;
	struct related *rel = NULL;
	struct elem *perm = NULL;
	unsigned char *left = NULL;
	int *recursion = NULL;
	static const char pos_name[3] = {'s', 'o', 'g'};
	char sub_hash[HEX_MAX];
	int rc, k;

	buf_init(&tmp, BUF_DEFAULT_MAX);
	buf_init(&data, BUF_DEFAULT_MAX);
	buf_init(&path, BUF_DEFAULT_MAX);
	buf_init(&chosen, BUF_DEFAULT_MAX);
	if ((rc = step(st)))
		goto out;
	if (++st->depth > st->l->max_depth) {
		rc = too_much(st, "levels of recursion", st->l->max_depth);
		goto out_depth;
	}
	/* Steps 1-3: the hash of every related blank node, grouped by hash. */
	rel = malloc((3 * cnt + 1) * sizeof(*rel));
	if (!rel) {
		rc = nomem(st);
		goto out_depth;
	}
	for (i = 0; i < cnt; i++) {
		size_t qi = st->bq_list[first + i];
		for (k = 0; k < 3; k++) {
			int b = st->qb[qi][k];
			if (b < 0 || b == n)
				continue;
			if ((rc = step(st)) ||
			    (rc = hash_related(st, b, qi, in, pos_name[k], &tmp, rel[nrel].hash)))
				goto out_depth;
			rel[nrel].node = b;
			rel[nrel].idx = nrel;
			nrel++;
		}
	}
	qsort(rel, nrel, sizeof(*rel), related_cmp);

	perm = malloc((nrel + 1) * sizeof(*perm));
	left = malloc(st->nb + 1);
	recursion = malloc((nrel + 1) * sizeof(*recursion));
	if (!perm || !left || !recursion || (rc = issuer_init(st, &cur)) ||
	    (rc = issuer_init(st, &copy)) || (rc = issuer_init(st, &chosen_is)) ||
	    (rc = issuer_init(st, &sub))) {
		rc = rc ? rc : nomem(st);
		goto out_depth;
	}
	issuer_copy(st, &cur, in);

	/* Step 5: for each group in hash order, the smallest path over its permutations. */
	for (g = 0; g < nrel; g = j) {
		size_t plen = 0;
		int have_chosen = 0;

		for (j = g; j < nrel && strcmp(rel[j].hash, rel[g].hash) == 0; j++)
			perm[plen++].node = rel[j].node;
		if ((rc = buf_addstr(&data, rel[g].hash))) {
			rc = buf_fail(st, rc);
			goto out_depth;
		}
		rank_elems(st, perm, plen);
		for (i = 0; i < plen; i++)
			left[perm[i].rank] = 1;
		buf_reset(&chosen);
		do {
			size_t nrec = 0, r;
			int lost = 0;

			if ((rc = step(st)))
				goto out_depth;
			issuer_copy(st, &copy, &cur);
			buf_reset(&path);
			for (i = 0; i < plen && !lost; i++) {
				int b = perm[i].node;
				/* Each node placed is a step too: one permutation of a large
				 * group is as much work as many of a small one. */
				if (i > 0 && (rc = step(st)))
					goto out_depth;
				if (st->canon.id_of[b] >= 0) {
					rc = buf_addf(&path, "_:c14n%d", st->canon.id_of[b]);
				} else {
					if (copy.id_of[b] < 0)
						recursion[nrec++] = b;
					rc = buf_addf(&path, "_:b%d", issue(&copy, b));
				}
				if (rc) {
					rc = buf_fail(st, rc);
					goto out_depth;
				}
				lost = path_loses(&path, &chosen, have_chosen);
			}
			for (r = 0; r < nrec && !lost; r++) {
				if ((rc = hash_ndegree(st, recursion[r], &copy, sub_hash, &sub)))
					goto out_depth;
				if ((rc = buf_addf(&path, "_:b%d<%s>", issue(&copy, recursion[r]),
				                   sub_hash))) {
					rc = buf_fail(st, rc);
					goto out_depth;
				}
				issuer_swap(&copy, &sub);
				lost = path_loses(&path, &chosen, have_chosen);
			}
			if (lost)
				continue;
			if (!have_chosen || bytes_cmp(&path, &chosen) < 0) {
				buf_reset(&chosen);
				if ((rc = buf_add(&chosen, path.data, path.len))) {
					rc = buf_fail(st, rc);
					goto out_depth;
				}
				issuer_swap(&chosen_is, &copy);
				have_chosen = 1;
			}
		} while (permute_next(perm, plen, left));
		if ((rc = buf_add(&data, chosen.data, chosen.len))) {
			rc = buf_fail(st, rc);
			goto out_depth;
		}
		issuer_swap(&cur, &chosen_is);
	}
	if ((rc = hash_hex(st, data.data, data.len, out)))
		goto out_depth;
	issuer_copy(st, result, &cur);
out_depth:
	st->depth--;
out:
	issuer_release(&sub);
	issuer_release(&chosen_is);
	issuer_release(&copy);
	issuer_release(&cur);
	free(recursion);
	free(left);
	free(perm);
	free(rel);
	buf_release(&chosen);
	buf_release(&path);
	buf_release(&data);
	buf_release(&tmp);
	return rc;
}

/* Preparing the dataset */

/* Drops repeated quads, keeping the first of each in input order. */
static int drop_duplicates(struct state *st)
{
	struct buf text;
	struct line *lines = NULL;
	size_t *off = NULL, i, kept = 0;
	unsigned char *dup = NULL;
	int rc = 0;

	buf_init(&text, BUF_DEFAULT_MAX);
	off = malloc((st->ds.count + 1) * sizeof(*off));
	dup = calloc(st->ds.count + 1, 1);
	if (!off || !dup) {
		rc = nomem(st);
		goto out;
	}
	for (i = 0; i < st->ds.count; i++) {
		off[i] = text.len;
		if ((rc = vc_nquads_write_quad(&st->ds.quads[i], &text))) {
			rc = buf_fail(st, rc);
			goto out;
		}
	}
	off[st->ds.count] = text.len;
	if (!(lines = sort_lines(&text, off, st->ds.count))) {
		rc = nomem(st);
		goto out;
	}
	for (i = 1; i < st->ds.count; i++)
		if (lines[i].len == lines[i - 1].len &&
		    memcmp(lines[i].p, lines[i - 1].p, lines[i].len) == 0)
			dup[lines[i].idx] = 1;
	for (i = 0; i < st->ds.count; i++)
		if (!dup[i])
			st->ds.quads[kept++] = st->ds.quads[i];
	st->q = st->ds.quads;
	st->nq = kept;
out:
	free(lines);
	free(dup);
	free(off);
	buf_release(&text);
	return rc;
}

static uint64_t label_hash(const char *s)
{
	uint64_t h = 1469598103934665603u;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211u;
	return h;
}

struct label_ref {
	const char *label;
	int node;
};

static int label_ref_cmp(const void *a, const void *b)
{
	return strcmp(((const struct label_ref *)a)->label, ((const struct label_ref *)b)->label);
}

static int rank_labels(struct state *st)
{
	struct label_ref *refs = malloc((st->nb + 1) * sizeof(*refs));
	size_t i;

	st->label_rank = malloc((st->nb + 1) * sizeof(int));
	if (!refs || !st->label_rank) {
		free(refs);
		return nomem(st);
	}
	for (i = 0; i < st->nb; i++) {
		refs[i].label = st->label[i];
		refs[i].node = (int)i;
	}
	qsort(refs, st->nb, sizeof(*refs), label_ref_cmp);
	for (i = 0; i < st->nb; i++)
		st->label_rank[refs[i].node] = (int)i;
	free(refs);
	return 0;
}

/* Numbers the blank nodes in order of first appearance and lists the quads of each. */
static int index_blank_nodes(struct state *st)
{
	size_t slots = 16, mask, i, total = 0;
	int *table = NULL, k;
	size_t *fill = NULL;
	int rc = 0;

	while (slots < 6 * st->nq + 16)
		slots <<= 1;
	mask = slots - 1;
	table = malloc(slots * sizeof(*table));
	st->qb = malloc((st->nq + 1) * sizeof(*st->qb));
	st->label = malloc((3 * st->nq + 1) * sizeof(*st->label));
	if (!table || !st->qb || !st->label) {
		rc = nomem(st);
		goto out;
	}
	memset(table, 0xff, slots * sizeof(*table));
	for (i = 0; i < st->nq; i++) {
		const struct vc_nq_term *t[3] = {&st->q[i].s, &st->q[i].o, &st->q[i].g};
		for (k = 0; k < 3; k++) {
			size_t h;
			st->qb[i][k] = -1;
			if (t[k]->kind != VC_NQ_BNODE)
				continue;
			for (h = label_hash(t[k]->value) & mask; table[h] >= 0; h = (h + 1) & mask)
				if (strcmp(st->label[table[h]], t[k]->value) == 0)
					break;
			if (table[h] < 0) {
				if (st->nb >= st->l->max_blank_nodes) {
					rc = ok_fail(st->err, OK_ETOOBIG,
					             "N-Quads: more than %zu blank nodes",
					             st->l->max_blank_nodes);
					goto out;
				}
				st->label[st->nb] = t[k]->value;
				table[h] = (int)st->nb++;
			}
			st->qb[i][k] = table[h];
		}
	}
	/* The quads of each blank node, each quad once even if it names the node twice. */
	st->bq_start = calloc(st->nb + 1, sizeof(*st->bq_start));
	fill = calloc(st->nb + 1, sizeof(*fill));
	if (!st->bq_start || !fill) {
		rc = nomem(st);
		goto out;
	}
	for (i = 0; i < st->nq; i++)
		for (k = 0; k < 3; k++) {
			int b = st->qb[i][k];
			if (b >= 0 && (k < 1 || st->qb[i][0] != b) &&
			    (k < 2 || st->qb[i][1] != b)) {
				st->bq_start[b + 1]++;
				total++;
			}
		}
	for (i = 0; i < st->nb; i++)
		st->bq_start[i + 1] += st->bq_start[i];
	st->bq_list = malloc((total + 1) * sizeof(*st->bq_list));
	if (!st->bq_list) {
		rc = nomem(st);
		goto out;
	}
	for (i = 0; i < st->nq; i++)
		for (k = 0; k < 3; k++) {
			int b = st->qb[i][k];
			if (b >= 0 && (k < 1 || st->qb[i][0] != b) && (k < 2 || st->qb[i][1] != b))
				st->bq_list[st->bq_start[b] + fill[b]++] = i;
		}
	if ((rc = rank_labels(st)))
		goto out;
out:
	free(fill);
	free(table);
	return rc;
}

struct group_entry {
	char hash[HEX_MAX];
	int node;
};

static int group_cmp(const void *a, const void *b)
{
	const struct group_entry *x = a, *y = b;
	int c = strcmp(x->hash, y->hash);

	if (c)
		return c;
	return x->node < y->node ? -1 : x->node > y->node;
}

/* A result of step 5.3: the hash and the order the temporary issuer issued in. */
struct path_result {
	char hash[HEX_MAX];
	int *order;
	size_t count;
	size_t idx;
};

static int path_result_cmp(const void *a, const void *b)
{
	const struct path_result *x = a, *y = b;
	int c = strcmp(x->hash, y->hash);

	if (c)
		return c;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Steps 3-6 of the canonicalization algorithm (4.4.3): the canonical issuer for every node. */
static int issue_canonical(struct state *st)
{
	struct group_entry *groups = NULL;
	struct path_result *results = NULL;
	struct issuer temp = {0}, res = {0};
	size_t i, j, g, nres = 0, r;
	int rc;

	if ((rc = issuer_init(st, &st->canon)))
		return rc;
	st->h1 = malloc((st->nb + 1) * sizeof(*st->h1));
	groups = malloc((st->nb + 1) * sizeof(*groups));
	results = calloc(st->nb + 1, sizeof(*results));
	if (!st->h1 || !groups || !results) {
		rc = nomem(st);
		goto out;
	}
	for (i = 0; i < st->nb; i++) {
		if ((rc = hash_first_degree(st, (int)i, st->h1[i])))
			goto out;
		memcpy(groups[i].hash, st->h1[i], HEX_MAX);
		groups[i].node = (int)i;
	}
	qsort(groups, st->nb, sizeof(*groups), group_cmp);
	/* Step 4: nodes whose first degree hash is unique get their identifier at once. */
	for (g = 0; g < st->nb; g = j) {
		for (j = g + 1; j < st->nb && strcmp(groups[j].hash, groups[g].hash) == 0; j++)
			;
		if (j == g + 1)
			issue(&st->canon, groups[g].node);
	}
	/* Step 5: the others, group by group in hash order, by their N-degree hashes. */
	if ((rc = issuer_init(st, &temp)) || (rc = issuer_init(st, &res)))
		goto out;
	for (g = 0; g < st->nb; g = j) {
		for (j = g + 1; j < st->nb && strcmp(groups[j].hash, groups[g].hash) == 0; j++)
			;
		if (j == g + 1)
			continue;
		nres = 0;
		for (i = g; i < j; i++) {
			int n = groups[i].node;
			if (st->canon.id_of[n] >= 0)
				continue;
			for (r = 0; r < st->nb; r++)
				temp.id_of[r] = -1;
			temp.count = 0;
			issue(&temp, n);
			if ((rc = hash_ndegree(st, n, &temp, results[nres].hash, &res)))
				goto out;
			results[nres].order = malloc((res.count + 1) * sizeof(int));
			if (!results[nres].order) {
				rc = nomem(st);
				goto out;
			}
			memcpy(results[nres].order, res.order, res.count * sizeof(int));
			results[nres].count = res.count;
			results[nres].idx = nres;
			nres++;
		}
		qsort(results, nres, sizeof(*results), path_result_cmp);
		for (r = 0; r < nres; r++) {
			for (i = 0; i < results[r].count; i++)
				issue(&st->canon, results[r].order[i]);
			free(results[r].order);
			results[r].order = NULL;
		}
	}
	if (st->canon.count != st->nb)
		rc = ok_fail(st->err, OK_EINTERNAL, "canonicalization left a blank node unnamed");
out:
	if (results)
		for (r = 0; r < nres; r++)
			free(results[r].order);
	issuer_release(&res);
	issuer_release(&temp);
	free(results);
	free(groups);
	return rc;
}

/* Step 7: every quad with canonical labels, sorted, appended to out. */
static int write_canonical(struct state *st, struct buf *out)
{
	struct buf text;
	struct line *lines = NULL;
	size_t *off, i, start = out->len;
	int rc = 0;

	buf_init(&text, BUF_DEFAULT_MAX);
	off = malloc((st->nq + 1) * sizeof(*off));
	if (!off) {
		rc = nomem(st);
		goto out;
	}
	for (i = 0; i < st->nq; i++) {
		off[i] = text.len;
		if ((rc = write_named(st, i, name_canonical, -1, &text))) {
			rc = buf_fail(st, rc);
			goto out;
		}
	}
	off[st->nq] = text.len;
	if (!(lines = sort_lines(&text, off, st->nq))) {
		rc = nomem(st);
		goto out;
	}
	for (i = 0; i < st->nq; i++)
		if ((rc = buf_add(out, lines[i].p, lines[i].len))) {
			buf_truncate(out, start);
			rc = buf_fail(st, rc);
			goto out;
		}
out:
	free(lines);
	free(off);
	buf_release(&text);
	return rc;
}

static int fill_map(struct state *st, struct vc_rdfc_map *map)
{
	char tmp[LABEL_MAX];
	size_t i;

	map->input = calloc(st->nb + 1, sizeof(char *));
	map->canonical = calloc(st->nb + 1, sizeof(char *));
	if (!map->input || !map->canonical)
		return nomem(st);
	for (i = 0; i < st->nb; i++) {
		map->input[i] = strdup(st->label[i]);
		map->canonical[i] = strdup(name_canonical(st, (int)i, -1, tmp));
		map->count = i + 1;
		if (!map->input[i] || !map->canonical[i])
			return nomem(st);
	}
	return 0;
}

int vc_rdfc_canonicalize_map(const char *nquads, size_t len, const struct vc_rdfc_limits *l,
                             struct buf *out, struct vc_rdfc_map *map, struct ok_error *err)
{
	struct vc_rdfc_limits defaults;
	struct vc_nq_limits nql;
	struct state st;
	int rc;

	if (!l) {
		vc_rdfc_limits_default(&defaults);
		l = &defaults;
	}
	if (map)
		memset(map, 0, sizeof(*map));
	memset(&st, 0, sizeof(st));
	st.l = l;
	st.err = err;
	if (l->max_blank_nodes > INT_MAX / 2)
		return ok_fail(err, OK_EINPUT, "canonicalization limit on blank nodes too large");
	if (l->hash != VC_RDFC_SHA256 && l->hash != VC_RDFC_SHA384)
		return ok_fail(err, OK_EINPUT, "unknown canonicalization hash");
	vc_nq_dataset_init(&st.ds);
	vc_nq_limits_default(&nql);
	nql.max_bytes = l->max_bytes;
	nql.max_quads = l->max_quads;
	if ((rc = vc_nquads_parse(nquads, len, &nql, &st.ds, err)) || (rc = drop_duplicates(&st)) ||
	    (rc = index_blank_nodes(&st)) || (rc = issue_canonical(&st)) ||
	    (map && (rc = fill_map(&st, map))) || (rc = write_canonical(&st, out)))
		goto out;
out:
	if (rc && map)
		vc_rdfc_map_release(map);
	issuer_release(&st.canon);
	free(st.h1);
	free(st.bq_list);
	free(st.bq_start);
	free(st.label_rank);
	free(st.label);
	free(st.qb);
	vc_nq_dataset_release(&st.ds);
	return rc;
}

int vc_rdfc_canonicalize(const char *nquads, size_t len, const struct vc_rdfc_limits *l,
                         struct buf *out, struct ok_error *err)
{
	return vc_rdfc_canonicalize_map(nquads, len, l, out, NULL, err);
}
