/* RDF Dataset Canonicalization (W3C RDFC-1.0): N-Quads in, canonical N-Quads out, the bytes the
 * eddsa-rdfc-2022 cryptosuite hashes and signs.
 *
 * Invariants:
 * - Input is N-Quads read by vc_nquads_parse() (strict, bounded); duplicate quads count once (a
 *   dataset is a set). Output is the canonical N-Quads of RDFC-1.0: blank nodes relabelled
 *   _:c14n0, _:c14n1, … by the algorithm, each quad written as vc_nquads_write_quad() does, the
 *   lines sorted in code point order. Isomorphic datasets give the same bytes, and
 *   canonicalizing canonical output gives it back unchanged.
 * - Work is bounded: a dataset with more quads or blank nodes than the limits allow fails with
 *   OK_ETOOBIG before any hashing; one whose Hash N-Degree Quads work (its calls, the
 *   permutations it tries and each blank node placed in their paths, the related blank nodes
 *   it hashes) or recursion passes the limits
 *   fails with OK_ETOOBIG too ("canonicalization exceeds N steps: poison graph?"), not with a
 *   code that invites a retry. Nothing runs unbounded, whatever the input.
 * - On failure out holds nothing new and a map is left empty.
 * - No function keeps state between calls; all are safe to call from several threads.
 */
#ifndef OK_VC_RDFC_H
#define OK_VC_RDFC_H

#include <stddef.h>

#include "core/buf.h"
#include "core/error.h"

enum vc_rdfc_hash {
	VC_RDFC_SHA256 = 0, /* RDFC-1.0's default, and what eddsa-rdfc-2022 uses */
	VC_RDFC_SHA384,
};

struct vc_rdfc_limits {
	size_t max_quads;       /* quads in the input */
	size_t max_blank_nodes; /* distinct blank nodes in the input */
	size_t max_hash_calls;  /* steps of Hash N-Degree Quads (calls, permutations, nodes) */
	size_t max_depth;       /* nesting of Hash N-Degree Quads within itself */
	size_t max_bytes;       /* N-Quads text in */
	enum vc_rdfc_hash hash; /* the hash the algorithm uses */
};

/* The issued identifiers map: input blank node label -> canonical label (both without "_:"),
 * in order of first appearance in the input. */
struct vc_rdfc_map {
	size_t count;
	char **input;
	char **canonical;
};

/* Limits sane for a credential: 4 MiB of N-Quads, 10,000 quads, 1,000 blank nodes, 50,000
 * steps, depth 128, SHA-256. Every case of the W3C rdf-canon suite but its poison graph fits
 * them (the hardest, the "evil" graphs 044-046, take 6,636 steps and depth 4; the 10-node
 * clique is stopped at the step limit in a fraction of a second). Symmetric chains cost about
 * n^2 steps and depth n: an RDF list of 100 identical items needs 48,020 steps and depth 98, so
 * it fits and one of 130 does not. */
void vc_rdfc_limits_default(struct vc_rdfc_limits *l);

/*
 * Appends the canonical N-Quads of the len bytes of N-Quads at nquads to out (limits l, or the
 * defaults when NULL). Fails with OK_EINPUT on N-Quads that do not parse (err->line set),
 * OK_ETOOBIG past a limit, OK_ECRYPTO if hashing fails.
 */
int vc_rdfc_canonicalize(const char *nquads, size_t len, const struct vc_rdfc_limits *l,
                         struct buf *out, struct ok_error *err);

/* Like vc_rdfc_canonicalize(), and fills map (if non-NULL; vc_rdfc_map_release() it after). */
int vc_rdfc_canonicalize_map(const char *nquads, size_t len, const struct vc_rdfc_limits *l,
                             struct buf *out, struct vc_rdfc_map *map, struct ok_error *err);

void vc_rdfc_map_release(struct vc_rdfc_map *map);

#endif
