/* JSON-LD 1.1 to RDF, offline: a credential's N-Quads, which eddsa-rdfc-2022 canonicalizes.
 *
 * Invariants:
 * - Contexts come from the pinned set built into the binary (src/vc/contexts/, listed in its
 *   README) or from objects inside the document. Any other context URL fails with OK_EINPUT and
 *   "unknown context URL: <url>" (the URL cut to 100 printable characters); nothing is fetched.
 * - The subset of JSON-LD 1.1 that those contexts use is implemented as the JSON-LD 1.1
 *   Processing Algorithms say (context processing, expansion, deserialization to RDF):
 *   @version, @protected, @vocab, @language, @direction, @propagate, compact IRIs, @id/@vocab/
 *   @json and datatype coercion, type-scoped and property-scoped contexts, @container @set,
 *   @list, @graph and @language, @nest. Features outside it (@base, @import, @reverse, @included,
 *   index, id and type maps) fail with OK_EINPUT naming the feature ("... is not supported"),
 *   an answer about the document (HTTP 400), never a guess.
 * - There is no base IRI: a relative IRI where an IRI is needed fails with OK_EINPUT.
 * - A protected term redefined by a later context fails with OK_EINPUT ("protected term
 *   redefinition: <term>").
 * - Strict mode (on in vc_jsonld_limits_default) fails with OK_EINPUT on anything that JSON-LD
 *   would drop silently: a key that expands to no IRI, a value that cannot become RDF. A verifier
 *   must never sign or verify a document whose content the quads do not carry.
 * - Before any work the document's shape is bounded: more than 1,000 members in one object,
 *   10,000 items in one array or 100 values of one "type"/"@type" fail with OK_EINPUT naming
 *   the limit.
 * - Every limit below is checked as the work goes; passing one fails with OK_ETOOBIG (HTTP 413:
 *   the document is too large to process, trying again will not help) naming the limit, and
 *   out is then left as it was.
 * - No state is kept between calls; safe to call from several threads.
 */
#ifndef OK_VC_JSONLD_H
#define OK_VC_JSONLD_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"
#include "core/error.h"

struct vc_jsonld_limits {
	size_t max_depth;         /* nested objects and arrays of the document */
	size_t max_nodes;         /* node, value and list objects expanded */
	size_t max_quads;         /* quads written (after duplicates are removed) */
	size_t max_context_steps; /* contexts processed plus term definitions made */
	bool strict;              /* fail on whatever JSON-LD would drop (see above) */
	/* Also fail on a term or type that only a catch-all @vocab gives an IRI (the
	 * undefined-terms context's undefined-term#, or issuer-dependent#): one that no context
	 * really defines, as the data model's "every type defined" needs. */
	bool defined_terms_only;
	/* Only the plain compacted form the verifier reads (docs/formats.md, "Plain form"): no
	 * keyword keys but id/type and a value object's @value/@language, no IRI keys, no other
	 * name for a property the verifier reads, no inline contexts, no @index/@direction, no
	 * null, no blank-node ids, no node described twice, language tags in lower case. */
	bool plain_form;
};

/* depth 64, 10,000 nodes, 10,000 quads, 100,000 context steps, strict, plain form, vocab
 * fallback allowed. */
extern const struct vc_jsonld_limits vc_jsonld_limits_default;

/* oorkonde's own context (src/vc/contexts/oorkonde-v1.jsonld): the types TrustListCredential,
 * DestructionCertificate and TransferManifest and their properties. A fixed URL, the same for
 * every depository, pinned like the others (never fetched); each server also serves the document
 * at /contexts/oorkonde/v1 for other verifiers' document loaders. */
#define VC_CONTEXT_OORKONDE_V1 "https://w3id.org/oorkonde/v1"

/* The properties a verifier of oorkonde reads by their JSON key (registry/verify*.c, the status
 * list reader, vc/ob_facts.h), with the one key each may have in the plain form: any other key
 * expanding to the same IRI would hide it from the verifier. The unit tests check that no pinned
 * context gives any of these IRIs another name. */
struct vc_jsonld_read_prop {
	const char *key, *iri;
};
extern const struct vc_jsonld_read_prop vc_jsonld_read_props[];
extern const size_t vc_jsonld_read_props_count;

/* The pinned context document for url (its bytes, not NUL-terminated), or NULL if there is none. */
const char *vc_jsonld_context_document(const char *url, size_t *len);

/*
 * Converts doc (a JSON-LD document: an object or an array of them) to RDF and appends its
 * quads to out in canonical N-Quads syntax, one per line ending in " .\n", sorted and without
 * duplicates. Blank nodes are labelled _:b0, _:b1, ... in the order they are met. l may be NULL
 * for vc_jsonld_limits_default. On failure out is unchanged and err says why.
 */
int vc_jsonld_to_nquads(const json_t *doc, const struct vc_jsonld_limits *l, struct buf *out,
                        struct ok_error *err);

/*
 * Expansion alone: *expanded receives a new reference to the expanded form (an array), as
 * the JSON-LD 1.1 Expansion Algorithm gives it (keys in lexicographic order).
 */
int vc_jsonld_expand(const json_t *doc, const struct vc_jsonld_limits *l, json_t **expanded,
                     struct ok_error *err);

#endif
