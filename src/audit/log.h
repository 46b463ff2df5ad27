/* Reading the audit log back: walking the hash chain and checking it against the signed
 * checkpoints (audit/checkpoint.h) to find the first event that was altered, removed or
 * reordered, or where the log was cut; listing events for the operator, and the events about
 * one learner (for access reports). */
#ifndef OK_AUDIT_LOG_H
#define OK_AUDIT_LOG_H

#include "depository/depository.h"

struct audit_check {
	int64_t events; /* events read */
	bool intact;    /* chain and checkpoints agree, every checkpoint's signature holds */
	/* When !intact: the first event that does not fit (altered, removed, reordered), or the
	 * first missing one after a cut; 0 when what failed is a checkpoint itself. */
	int64_t broken_seq;
	bool cut;                    /* the log ends before a checkpoint's event */
	char why[400];               /* what is wrong, for people */
	int64_t checkpoints;         /* checkpoints verified (signature and head) */
	int64_t checkpoints_unfiled; /* of which in the store only, not yet in the file */
	int64_t tombstones;          /* events whose details the retention schedule destroyed */
};

/* Walks the whole chain and checks every checkpoint of the store and of the file. Returns 0
 * when the check could be done (see r->intact), an error when it could not (store, file). */
int audit_log_verify(struct depository *d, struct audit_check *r, struct ok_error *err);

/* Which events a listing keeps; unset members keep all. */
struct audit_filter {
	const char *learner_id; /* events about the learner: see audit_log_about_learner */
	/* this actor (and "ACTOR/…": institution:21PB is also institution:21PB/key:…), or those
	 * starting with it if it ends in '*' */
	const char *actor;
	int64_t since_ms;  /* at or after this time (0: any) */
	int64_t after_seq; /* with a higher sequence number */
};

/* Lists the events that pass f, in sequence order; fn as in store.h. */
int audit_log_list(struct depository *d, const struct audit_filter *f, store_audit_fn fn, void *ctx,
                   struct ok_error *err);

/*
 * Calls fn, in sequence order and once each, for every event about a learner: with the learner,
 * one of their achievements or one of their shares as subject. That includes what the learner
 * did in the portal (actor learner:ID) and every opening of their shares (actor share:ID), whose
 * subject is the learner. Reads no personal data.
 */
int audit_log_about_learner(struct depository *d, const char *learner_id, store_audit_fn fn,
                            void *ctx, struct ok_error *err);

/* Parses an ISO 8601 date (YYYY-MM-DD, midnight UTC) or date-time (YYYY-MM-DDTHH:MM[:SS[.fff]]
 * with Z or ±HH:MM; UTC when absent) into Unix milliseconds. OK_EINPUT naming field. */
int audit_parse_time(const char *text, const char *field, int64_t *ms, struct ok_error *err);

/* Formats Unix milliseconds as "YYYY-MM-DDTHH:MM:SSZ". */
void audit_format_time(int64_t ms, char out[32]);

#endif
