/* The MUSTs of the W3C Verifiable Credentials Data Model 2.0 that a credential's JSON shows,
 * checked in one place for the issuer (before it signs) and the verifier (its structure check).
 *
 * Invariants:
 * - A failure names one rule by a stable name (the table in datamodel.c; docs/api.md lists
 *   them) and says in plain words what is wrong, naming the property, never quoting a value
 *   longer than a fixed URL of the specification.
 * - The rules are checked in a fixed order, and the first that fails is reported: the same
 *   credential always gets the same reason, from the issuer and from the verifier.
 * - Pure: no I/O, no allocation that outlives a call, no global state.
 *
 * The rule "every type is defined by the contexts" needs JSON-LD expansion, which lives apart
 * (vc/jsonld). It plugs in as the second step: vc_dm_options.types_defined, called only after
 * every local rule passed. Without it that rule is not checked.
 */
#ifndef OK_VC_DATAMODEL_H
#define OK_VC_DATAMODEL_H

#include <jansson.h>
#include <stdbool.h>

#include "core/error.h"
#include "core/json_tree.h"
#include "vc/datamodel_view.h"
#include "vc/jsonld_fast.h"

#define VC_DM_MESSAGE_MAX 240

/* The one failure reported: rule is a static string (e.g. "context.first"). */
struct vc_dm_failure {
	const char *rule;
	char message[VC_DM_MESSAGE_MAX];
};

/* What the rules' one walk over a tree's credential found for the second step: the JSON-LD size
 * check's answers (vc/jsonld_fast.h), so that the lookup does not read every node again.
 * sized.t is NULL when there are none (a jansson credential). */
struct vc_dm_walked {
	struct vc_jsonld_sized sized;
	/* The credential's member "proof" (none when not there) when has_proof: found by the
	 * rules' pass over the members, so that a step need not look it up again. */
	struct vc_dmv proof;
	bool has_proof;
};

/*
 * The second step: whether every type the credential names is defined by its contexts (after
 * JSON-LD expansion, a type that is not an absolute IRI is undefined). w: what the rules' walk
 * found (never NULL when called by the checks below; a step may ignore it). Returns 0 when it
 * holds; else a negative OK_E… code, with f->message filled (the rule is set by the caller:
 * "type.defined"). OK_ENOMEM and the like are passed on as they are.
 */
typedef int (*vc_dm_types_fn)(void *ctx, struct vc_dmv credential, const struct vc_dm_walked *w,
                              struct vc_dm_failure *f);

struct vc_dm_options {
	vc_dm_types_fn types_defined; /* NULL: the rule is not checked */
	void *ctx;
};

/*
 * The second step as JSON-LD tells it (datamodel_jsonld.c; ctx: a struct vc_jsonld_terms of
 * vc/jsonld_fast.h, or NULL, which tells the same, only slower): the credential is
 * expanded over the pinned contexts, strictly and with defined terms only, so that a type (or
 * any other term) that no context defines, or only a catch-all @vocab gives an IRI, fails, as
 * does an unknown context URL (never fetched). On failure f->rule is "type.defined" whatever
 * the code (OK_EINPUT; OK_ETOOBIG past a JSON-LD limit; OK_ENOMEM).
 */
int vc_datamodel_types_by_jsonld(void *ctx, struct vc_dmv credential, const struct vc_dm_walked *w,
                                 struct vc_dm_failure *f);

/*
 * The same for a verifier that keeps a jansson copy of the tree's credential (ctx: a struct
 * vc_dm_jsonld_shared): when the expansion needs one, the copy is made once
 * (json_tree_to_jansson_flags with JSON_TREE_TO_REALS, as vc_proof_verify_tree's same and
 * registry_verify's r->credential are) and left in copy, owned by the caller; a copy already
 * there is used as it is, only read. The verdict is vc_datamodel_types_by_jsonld's.
 */
struct vc_dm_jsonld_shared {
	struct vc_jsonld_terms *terms; /* or NULL, as for vc_datamodel_types_by_jsonld */
	json_t *copy;                  /* NULL until made; the caller frees it */
};
int vc_datamodel_types_by_jsonld_shared(void *ctx, struct vc_dmv credential,
                                        const struct vc_dm_walked *w, struct vc_dm_failure *f);

/* Options with that second step plugged in. */
#define VC_DM_OPTIONS_JSONLD                       \
	{                                          \
		vc_datamodel_types_by_jsonld, NULL \
	}

/*
 * The same with the plain form (vc/jsonld.h) always on, whatever the proof: for a credential
 * about to be signed. A JSON-LD reader of a JCS-signed credential reads its quads too, so the
 * issuer signs only JSON whose keys mean what they say (no @nest, no IRI keys or types, no
 * inline contexts), and its by-name rules (no credentialStatus, no reserved type) are complete.
 */
int vc_datamodel_types_plain_by_jsonld(void *ctx, struct vc_dmv credential,
                                       const struct vc_dm_walked *w, struct vc_dm_failure *f);
#define VC_DM_OPTIONS_JSONLD_PLAIN                       \
	{                                                \
		vc_datamodel_types_plain_by_jsonld, NULL \
	}

/*
 * Checks credential (an unsigned or secured credential) against every rule. 0 when all hold;
 * OK_EINPUT with f filled (rule and message) for the first that fails; another code only from
 * the second step. o may be NULL.
 */
int vc_datamodel_check(const json_t *credential, const struct vc_dm_options *o,
                       struct vc_dm_failure *f);
/* The same rules, the same code, on value root of a json_tree (the verifier's reading), or on
 * either reader's view (vc/datamodel_view.h). The second step gets the same view: on a tree,
 * the JSON-LD step converts the credential to jansson only when the lookup does not tell. */
int vc_datamodel_check_tree(const struct json_tree *t, uint32_t root, const struct vc_dm_options *o,
                            struct vc_dm_failure *f);
int vc_datamodel_check_view(struct vc_dmv credential, const struct vc_dm_options *o,
                            struct vc_dm_failure *f);

/* Whether name is one of the rules' names (for a caller that reads it back from a field). */
bool vc_datamodel_rule_known(const char *name);

/* Whether s is an XML Schema dateTimeStamp (a date and time with a time zone, e.g.
 * 2024-07-01T00:00:00Z); *seconds gets it as seconds since 1970 (UTC), when not NULL. */
bool vc_datamodel_datetime(const char *s, long long *seconds);
/* The same for the n bytes at s (no NUL inside). */
bool vc_datamodel_datetime_n(const char *s, size_t n, long long *seconds);

/* Whether s is a URL in the data model's sense: an absolute IRI (scheme ":" something), without
 * spaces or control characters. */
bool vc_datamodel_url(const char *s);
/* The same for the n bytes at s (no NUL inside). */
bool vc_datamodel_url_n(const char *s, size_t n);

#endif
