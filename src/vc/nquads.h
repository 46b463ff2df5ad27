/* N-Quads (RDF 1.1) read strictly, and written in the canonical form RDFC-1.0 hashes and signs.
 *
 * Invariants:
 * - The parser accepts the N-Quads grammar and nothing more: absolute IRIs (a scheme, none of the
 *   characters IRIREF forbids, even when written as \u escapes), blank node labels of PN_CHARS,
 *   literals with an optional datatype IRI or language tag, the escapes \uXXXX, \UXXXXXXXX and
 *   ECHAR (\t \b \n \r \f \" \' \\), comments, well-formed UTF-8 (no surrogates, nothing past
 *   U+10FFFF). Anything else fails with OK_EINPUT naming the line and the rule broken; passing a
 *   limit fails with OK_ETOOBIG.
 * - Parsed terms hold decoded text: an IRI without its angle brackets, a blank node label without
 *   "_:", a literal's lexical form with its escapes resolved (it may hold U+0000, so value_len is
 *   the truth). A literal typed xsd:string has datatype NULL, as does a language-tagged literal.
 * - The writer produces canonical N-Quads: one space between terms, " .\n" at the end, no graph
 *   term for the default graph, IRIs verbatim, \" \\ \n \r \t \b \f in literals and \u00XX
 *   (upper-case hex) for the other control characters and U+007F, everything else literal UTF-8.
 *   Writing a parsed quad and parsing it again gives the same terms.
 * - No function keeps state between calls; all are safe to call from several threads.
 */
#ifndef OK_VC_NQUADS_H
#define OK_VC_NQUADS_H

#include <stddef.h>

#include "core/buf.h"
#include "core/error.h"

#define VC_NQ_XSD_STRING "http://www.w3.org/2001/XMLSchema#string"

/* Bounds on what an outsider's N-Quads text may make us hold. */
struct vc_nq_limits {
	size_t max_bytes; /* the whole text */
	size_t max_line;  /* one statement line, in bytes */
	size_t max_term;  /* one term's text as written, in bytes */
	size_t max_quads; /* statements */
};

enum vc_nq_kind {
	VC_NQ_NONE = 0, /* the default graph: no term */
	VC_NQ_IRI,
	VC_NQ_BNODE,
	VC_NQ_LITERAL,
};

struct vc_nq_term {
	enum vc_nq_kind kind;
	const char *value; /* NUL terminated; "" for VC_NQ_NONE */
	size_t value_len;
	const char *datatype; /* literals only: datatype IRI, NULL for xsd:string and tagged ones */
	const char *lang;     /* literals only: language tag as written, NULL when none */
};

struct vc_nq_quad {
	struct vc_nq_term s, p, o, g;
};

/* A parsed document: the quads in input order, their strings in one pool the dataset owns. */
struct vc_nq_dataset {
	struct vc_nq_quad *quads;
	size_t count;
	size_t alloc;
	char *pool;
};

/* Life cycle */

/* Limits for a credential: 4 MiB of text, 1 MiB a line and a term (a badge image as a data:
 * URL is one long IRI), 10,000 quads. */
void vc_nq_limits_default(struct vc_nq_limits *l);
void vc_nq_dataset_init(struct vc_nq_dataset *d);
void vc_nq_dataset_release(struct vc_nq_dataset *d);

/* Reading */

/*
 * Parses the len bytes at text (limits l, or the defaults when NULL) into d, which must be
 * freshly initialized. On failure d is left empty (still to be released), err->line names the
 * line and err->message the rule.
 */
int vc_nquads_parse(const char *text, size_t len, const struct vc_nq_limits *l,
                    struct vc_nq_dataset *d, struct ok_error *err);

/* Writing: each returns 0, OK_ETOOBIG when out's cap is reached or OK_ENOMEM. */

/* Appends the canonical form of t (nothing for VC_NQ_NONE). */
int vc_nquads_write_term(const struct vc_nq_term *t, struct buf *out);

/* Appends the canonical line of q, ending in " .\n". */
int vc_nquads_write_quad(const struct vc_nq_quad *q, struct buf *out);

/* Two terms are the same RDF term (kind, value, datatype and language tag all equal). */
int vc_nq_term_equal(const struct vc_nq_term *a, const struct vc_nq_term *b);

#endif
