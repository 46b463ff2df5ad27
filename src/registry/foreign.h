/* Receiving results from other depositories of the network (issue 7): a credential a learner
 * (or a registrar, with the learner's consent) hands in is verified with every check and kept
 * as a foreign achievement of the learner, marked with its origin.
 *
 * Invariants:
 * - Only credentials of an issuer on the trust list (active) are fetched from: an untrusted
 *   issuer is refused before any DID document or status list is looked up.
 * - A refused credential changes nothing but the audit log ("foreign.refuse").
 * - The credential is kept exactly as handed in (the bytes of the JSON, or the VC-JOSE token),
 *   sealed under the data key: it carries the learner's name.
 * - One credential is held once: handing it in again for the same learner answers the record
 *   already held (duplicate set); for another learner it is refused (OK_ECONFLICT).
 */
#ifndef OK_REGISTRY_FOREIGN_H
#define OK_REGISTRY_FOREIGN_H

#include <jansson.h>
#include <stdbool.h>

#include "depository/depository.h"
#include "registry/verify.h"
#include "store/foreign.h"

struct remote_status_cache;
struct remote_did_cache;

struct foreign_options {
	const char *actor; /* "operator", "institution:X/key:Y", "learner:ID" (for the audit) */
	/* Where other depositories' status lists and DID documents are kept; NULL: none (a
	 * credential whose status or key cannot be looked up is refused). */
	struct remote_status_cache *status_cache;
	struct remote_did_cache *did_cache;
	bool status_any_host; /* verify_options.status_any_host: the CLI's, never the server's */
	/* A credential that names no holder is refused rather than kept on the actor's word: for
	 * the learner's own import, where the word is the claimant's. */
	bool holder_required;
};

enum foreign_identity {
	FOREIGN_IDENTITY_MATCHED,     /* the credential's holder has the learner's name (and birth
	                               * date, when it gives one) */
	FOREIGN_IDENTITY_NOT_CHECKED, /* the credential names no holder: accepted, warned */
};

#define FOREIGN_WARNING_MAX 400

struct foreign_import {
	bool duplicate; /* the credential was held already (nothing new stored) */
	enum foreign_identity identity;
	char warning[FOREIGN_WARNING_MAX]; /* "" or why the import deserves a second look */
	struct store_foreign record;       /* what is held (credential left empty) */
	struct verify_result verification; /* the full verification (credential released) */
};

/*
 * Verifies len bytes at data (a JSON credential or a VC-JOSE token) and keeps it for learner_id.
 * Returns 0 when it is held (new, or a duplicate: see out), else:
 *   OK_ENOTFOUND  no such learner;
 *   OK_EINPUT     not a credential, or not about an achievement (err->field "credential");
 *   OK_EINVALID   refused: err->field names the failing check ("proof", "validity", "status",
 *                 "issuer", "identity" for a holder whose name or birth date is not the learner's,
 * "origin" for a credential of this very depository) and err->message says why in plain words;
 * out->verification holds every check that ran; OK_ECONFLICT  the credential is held already for
 * another learner; or a store error. out is filled whatever the outcome; release it with
 *   foreign_import_release().
 */
int registry_foreign_import(struct depository *d, const char *learner_id, const char *data,
                            size_t len, const struct foreign_options *o, struct foreign_import *out,
                            struct ok_error *err);
/* The same for a process that imports one credential and ends (the command line): other
 * depositories' status lists and DID documents are kept, for the data folder's TTLs, only as
 * long as the call; o's own caches are not used. */
int registry_foreign_import_once(struct depository *d, const char *learner_id, const char *data,
                                 size_t len, const struct foreign_options *o,
                                 struct foreign_import *out, struct ok_error *err);
void foreign_import_release(struct foreign_import *out);

/* A learner's foreign achievements, newest award first (no personal data: no audit). */
int registry_foreign_list(struct depository *d, const char *learner_id, store_foreign_fn fn,
                          void *ctx, struct ok_error *err);

/* The same as {"foreign": [foreign_record_json(…), …]} (new reference in *out); the read is
 * audited ("foreign.read", actor, purpose). */
int registry_foreign_read(struct depository *d, const char *learner_id, const char *actor,
                          const char *purpose, json_t **out, struct ok_error *err);

/*
 * The credential of foreign achievement id of learner_id, exactly as handed in, appended to
 * out; the read is audited (actor, purpose). OK_ENOTFOUND when there is no such record of
 * that learner.
 */
int registry_foreign_credential(struct depository *d, const char *learner_id, const char *id,
                                const char *actor, const char *purpose, struct buf *out,
                                struct ok_error *err);

/* The JSON form of a record (new reference): {"id", "title", "kind", "awarded_on", "credits",
 * "grade", "institution": {"name", "country"}, "issuer": {"did", "name", "country"},
 * "imported", "imported_by", "format", "status"}. */
json_t *foreign_record_json(const struct store_foreign *f);

/* Formats milliseconds since the epoch as "YYYY-MM-DDTHH:MM:SSZ". */
void foreign_time(int64_t ms, char out[32]);

#endif
