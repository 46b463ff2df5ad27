/* The store's retention area (issue 21): legal holds, the records a retention schedule finds
 * due, their destruction, and the runs that destroy them (resumable).
 *
 * Invariants:
 * - A hold (scope learner, institution or achievement, and the target's id or code) that is not
 *   released keeps every record it covers out of every listing, count of due records and
 *   destruction below: a held record is only ever counted as held.
 * - A record is due for class c under trigger t when its trigger moment lies on or before the
 *   cutoff (cutoff_ms for moments kept in milliseconds; cutoff_date, "YYYY-MM-DD", for award
 *   dates). Only the classes result, foreign, share, session, login_link, wallet_offer
 *   (OpenID4VCI offers with the access tokens they gave) and audit_detail (audit events not
 *   yet tombstones, by the moment they were appended) have records here; any other class
 *   counts 0 and sweeps nothing. The trigger learner_age is not decided here: the birth date
 *   is sealed, so the registry opens it and asks for one learner's records (of_learner).
 * - An audit event is never deleted: its details are overwritten by a tombstone
 *   (audit/chain.h) that keeps its place and hash in the chain.
 * - Destroying deletes the rows and every row that hangs on them (a result's history and the
 *   index of its issued credentials; a share's openings; a wallet offer's access tokens; a
 *   learner's sessions, links, shares, wallet offers, EMREX sessions, identity corrections and
 *   key reads); nothing is kept aside. Writes happen in the caller's transaction.
 * - A run's row is written in the same transaction as each batch it counts, so that a run
 *   killed halfway resumes from its row with the totals of what was really destroyed.
 */
#ifndef OK_STORE_RETENTION_H
#define OK_STORE_RETENTION_H

#include "retention/schedule.h"
#include "store/store.h"

#define STORE_HOLD_REASON_MAX 800 /* bytes: 200 characters of UTF-8 */
#define STORE_RUN_TEXT_MAX    4096
#define STORE_RUN_CERT_MAX    32768

struct store_hold {
	char id[STORE_ID_MAX + 1];
	char scope[16];  /* learner, institution, achievement */
	char target[33]; /* the learner or achievement id, or the institution's code */
	char reason[STORE_HOLD_REASON_MAX + 1];
	char created_by[129];
	int64_t created_ms;
	char released_by[129]; /* "" while in force */
	int64_t released_ms;   /* 0 while in force */
};

/* One run of the schedule: what it found due when it began (its cutoffs, so that a resumed run
 * destroys exactly the same set), and what it has destroyed so far. */
struct store_retention_run {
	char id[STORE_ID_MAX + 1];
	char actor[129];
	int64_t started_ms;
	int64_t finished_ms;               /* 0 while it runs or was cut short */
	int64_t now_ms;                    /* the moment the cutoffs were computed from */
	char schedule[STORE_RUN_TEXT_MAX]; /* JSON: the rule applied per class */
	char counts[STORE_RUN_TEXT_MAX];   /* JSON: records destroyed per class */
	int64_t audit_from;                /* the audit events the run covers (sequence numbers) */
	int64_t audit_to;
	char certificate[STORE_RUN_CERT_MAX]; /* the signed destruction certificate, "" until done
	                                       */
};

typedef int (*store_hold_fn)(void *ctx, const struct store_hold *h);
typedef int (*store_run_fn)(void *ctx, const struct store_retention_run *r);
typedef int (*store_id_fn)(void *ctx, const char *id);

struct store_retention_ops {
	/* Holds: added (OK_EEXIST for a taken id), read, listed by creation, released (OK_ENOTFOUND
	 * when there is no such hold, OK_ECONFLICT when it was released already). */
	int (*hold_add)(struct store *s, const struct store_hold *h, struct ok_error *err);
	int (*hold_get)(struct store *s, const char *id, struct store_hold *out,
	                struct ok_error *err);
	int (*hold_list)(struct store *s, store_hold_fn fn, void *ctx, struct ok_error *err);
	int (*hold_release)(struct store *s, const char *id, const char *by, int64_t at_ms,
	                    struct ok_error *err);

	/* Records of class c due under trigger t: *due those not held, *held those held; *next the
	 * earliest trigger moment of those not due yet (next_ms, or next_date for award dates;
	 * 0 and "" when none). */
	int (*count)(struct store *s, enum retention_class c, enum retention_trigger t,
	             int64_t cutoff_ms, const char *cutoff_date, int64_t *due, int64_t *held,
	             int64_t *next_ms, char next_date[11], struct ok_error *err);
	/* The ids of due results (course, module, exam achievements whose trigger date under t,
	 * award or end_of_relationship (the learner's last award date of any kind), is on or
	 * before cutoff_date), not held, by id, at most limit. */
	int (*results_due)(struct store *s, enum retention_trigger t, const char *cutoff_date,
	                   size_t limit, store_id_fn fn, void *ctx, struct ok_error *err);
	/* Deletes the achievement and its history (OK_ENOTFOUND when there is none). */
	int (*result_destroy)(struct store *s, const char *id, struct ok_error *err);
	/* In every share that lists achievement id (any learner's: a record moved to another
	 * learner stays in the first one's shares), puts stand_in (a fresh id of no record) in
	 * its place, so that no share keeps a destroyed record's id; *n how many shares. Also
	 * takes id out of every wallet offer; an offer left with none is withdrawn with its access
	 * tokens. */
	int (*share_stand_in)(struct store *s, const char *id, const char *stand_in, int64_t *n,
	                      struct ok_error *err);
	/* Deletes at most limit due records of class c (foreign, share, session, login_link) that
	 * are not held, lowest ids first; *n how many. */
	int (*sweep)(struct store *s, enum retention_class c, enum retention_trigger t,
	             int64_t cutoff_ms, const char *cutoff_date, size_t limit, int64_t *n,
	             struct ok_error *err);
	/* For a transfer: the ids of the records of class c a sweep with the same arguments would
	 * delete (same order, same limit), and the deletion of one of them with what hangs on it
	 * (OK_ENOTFOUND when it is gone). Deleting by id, not by the sweep's condition again,
	 * means that only records written into the package are removed, even when another
	 * server's run deletes some of them meanwhile. Classes share and foreign only
	 * (OK_EUNSUPPORTED for the others). */
	int (*due_ids)(struct store *s, enum retention_class c, enum retention_trigger t,
	               int64_t cutoff_ms, const char *cutoff_date, size_t limit, store_id_fn fn,
	               void *ctx, struct ok_error *err);
	int (*record_destroy)(struct store *s, enum retention_class c, const char *id,
	                      struct ok_error *err);
	/* Learners with no achievement and no foreign achievement left and no hold, by id, at
	 * most limit; and the deletion of one with everything that hangs on it. */
	int (*orphans)(struct store *s, size_t limit, store_id_fn fn, void *ctx,
	               struct ok_error *err);
	int (*learner_destroy)(struct store *s, const char *id, struct ok_error *err);
	/* The records of class c (result: course, module and exam achievements; foreign) of one
	 * learner, for the trigger learner_age: *due how many no hold in force covers, *held how
	 * many one does, and the ids of those not held, by id, at most limit (none for 0).
	 * OK_EUNSUPPORTED for another class. */
	int (*of_learner)(struct store *s, enum retention_class c, const char *learner_id,
	                  size_t limit, int64_t *due, int64_t *held, store_id_fn fn, void *ctx,
	                  struct ok_error *err);
	/* A learner's erasure request: deletes every record of class c (share with its openings,
	 * session with the learner's EMREX sessions, login_link, wallet_offer with its tokens,
	 * foreign) of learner_id, but for a foreign achievement under a hold of its own; *n how
	 * many. */
	int (*erase)(struct store *s, const char *learner_id, enum retention_class c, int64_t *n,
	             struct ok_error *err);

	/* Audit events of class audit_detail due: appended at or before cutoff_ms, with seq >
	 * after_seq, not tombstones yet (actor not ""), and whose subject is not the target of a
	 * hold in force on a learner or an achievement; in sequence order, at most limit. */
	int (*audit_due)(struct store *s, int64_t cutoff_ms, int64_t after_seq, size_t limit,
	                 store_audit_fn fn, void *ctx, struct ok_error *err);
	/* Overwrites the actor, subject, purpose and detail of the event with e's seq by e's (a
	 * tombstone made by audit_event_tombstone); OK_ENOTFOUND when there is no such event. */
	int (*audit_tombstone)(struct store *s, const struct audit_event *e, struct ok_error *err);

	/* Runs: the one not finished (OK_ENOTFOUND when none), insert or replace by id, all
	 * listed by start. */
	int (*run_open)(struct store *s, struct store_retention_run *out, struct ok_error *err);
	int (*run_put)(struct store *s, const struct store_retention_run *r, struct ok_error *err);
	int (*run_list)(struct store *s, store_run_fn fn, void *ctx, struct ok_error *err);

	/* Makes deletions on this connection overwrite what they delete (SQLite: secure_delete);
	 * a no-op where the back end cannot (PostgreSQL: see docs/operations.md). */
	int (*secure_delete)(struct store *s, struct ok_error *err);
	/* After a run, outside a transaction: gives free pages back and empties the write-ahead
	 * log, in steps short enough for a serving server's writes (SQLite: incremental vacuum
	 * steps where auto_vacuum is incremental, a checkpoint, the WAL truncated; PostgreSQL:
	 * VACUUM of the tables that lost rows). */
	int (*compact)(struct store *s, struct ok_error *err);
};

static inline int store_hold_add(struct store *s, const struct store_hold *h, struct ok_error *err)
{
	return s->ops->retention->hold_add(s, h, err);
}

static inline int store_hold_get(struct store *s, const char *id, struct store_hold *out,
                                 struct ok_error *err)
{
	return s->ops->retention->hold_get(s, id, out, err);
}

static inline int store_hold_list(struct store *s, store_hold_fn fn, void *ctx,
                                  struct ok_error *err)
{
	return s->ops->retention->hold_list(s, fn, ctx, err);
}

static inline int store_hold_release(struct store *s, const char *id, const char *by, int64_t at_ms,
                                     struct ok_error *err)
{
	return s->ops->retention->hold_release(s, id, by, at_ms, err);
}

static inline int store_retention_count(struct store *s, enum retention_class c,
                                        enum retention_trigger t, int64_t cutoff_ms,
                                        const char *cutoff_date, int64_t *due, int64_t *held,
                                        int64_t *next_ms, char next_date[11], struct ok_error *err)
{
	return s->ops->retention->count(s, c, t, cutoff_ms, cutoff_date, due, held, next_ms,
	                                next_date, err);
}

static inline int store_retention_results_due(struct store *s, enum retention_trigger t,
                                              const char *cutoff_date, size_t limit, store_id_fn fn,
                                              void *ctx, struct ok_error *err)
{
	return s->ops->retention->results_due(s, t, cutoff_date, limit, fn, ctx, err);
}

static inline int store_retention_share_stand_in(struct store *s, const char *id,
                                                 const char *stand_in, int64_t *n,
                                                 struct ok_error *err)
{
	return s->ops->retention->share_stand_in(s, id, stand_in, n, err);
}

static inline int store_retention_result_destroy(struct store *s, const char *id,
                                                 struct ok_error *err)
{
	return s->ops->retention->result_destroy(s, id, err);
}

static inline int store_retention_sweep(struct store *s, enum retention_class c,
                                        enum retention_trigger t, int64_t cutoff_ms,
                                        const char *cutoff_date, size_t limit, int64_t *n,
                                        struct ok_error *err)
{
	return s->ops->retention->sweep(s, c, t, cutoff_ms, cutoff_date, limit, n, err);
}

static inline int store_retention_due_ids(struct store *s, enum retention_class c,
                                          enum retention_trigger t, int64_t cutoff_ms,
                                          const char *cutoff_date, size_t limit, store_id_fn fn,
                                          void *ctx, struct ok_error *err)
{
	return s->ops->retention->due_ids(s, c, t, cutoff_ms, cutoff_date, limit, fn, ctx, err);
}

static inline int store_retention_of_learner(struct store *s, enum retention_class c,
                                             const char *learner_id, size_t limit, int64_t *due,
                                             int64_t *held, store_id_fn fn, void *ctx,
                                             struct ok_error *err)
{
	return s->ops->retention->of_learner(s, c, learner_id, limit, due, held, fn, ctx, err);
}

static inline int store_retention_record_destroy(struct store *s, enum retention_class c,
                                                 const char *id, struct ok_error *err)
{
	return s->ops->retention->record_destroy(s, c, id, err);
}

static inline int store_retention_orphans(struct store *s, size_t limit, store_id_fn fn, void *ctx,
                                          struct ok_error *err)
{
	return s->ops->retention->orphans(s, limit, fn, ctx, err);
}

static inline int store_retention_learner_destroy(struct store *s, const char *id,
                                                  struct ok_error *err)
{
	return s->ops->retention->learner_destroy(s, id, err);
}

static inline int store_retention_erase(struct store *s, const char *learner_id,
                                        enum retention_class c, int64_t *n, struct ok_error *err)
{
	return s->ops->retention->erase(s, learner_id, c, n, err);
}

static inline int store_retention_audit_due(struct store *s, int64_t cutoff_ms, int64_t after_seq,
                                            size_t limit, store_audit_fn fn, void *ctx,
                                            struct ok_error *err)
{
	return s->ops->retention->audit_due(s, cutoff_ms, after_seq, limit, fn, ctx, err);
}

static inline int store_retention_audit_tombstone(struct store *s, const struct audit_event *e,
                                                  struct ok_error *err)
{
	return s->ops->retention->audit_tombstone(s, e, err);
}

static inline int store_retention_run_open(struct store *s, struct store_retention_run *out,
                                           struct ok_error *err)
{
	return s->ops->retention->run_open(s, out, err);
}

static inline int store_retention_run_put(struct store *s, const struct store_retention_run *r,
                                          struct ok_error *err)
{
	return s->ops->retention->run_put(s, r, err);
}

static inline int store_retention_run_list(struct store *s, store_run_fn fn, void *ctx,
                                           struct ok_error *err)
{
	return s->ops->retention->run_list(s, fn, ctx, err);
}

static inline int store_retention_secure_delete(struct store *s, struct ok_error *err)
{
	return s->ops->retention->secure_delete(s, err);
}

static inline int store_retention_compact(struct store *s, struct ok_error *err)
{
	return s->ops->retention->compact(s, err);
}

#endif
