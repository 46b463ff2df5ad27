/* Retention (issue 21): the schedule of config.json applied to the records, legal holds, and
 * runs that destroy what is due.
 *
 * A run works class by class in batches, one transaction each: the batch's records are deleted,
 * a result's credentials revoked on their status lists in the same transaction (its slot is kept
 * as a revoked tombstone in the VC-API status table, so the bit stays set after the record is
 * gone), the run's totals updated and an audit event appended. A run cut short (kill, power
 * loss) is found open at the next start and goes on with the moment and schedule it began with,
 * so that it destroys the same set and ends with the same totals. Learners left without any
 * achievement are destroyed with everything that hangs on them (their sealed names, national
 * id, blind index, sessions, links, shares). Afterwards deleted bytes are overwritten and the
 * write-ahead log emptied (store/retention.h's compact).
 *
 * Invariants:
 * - Nothing a legal hold in force covers is destroyed (the store's due listings leave it out).
 * - Diplomas and degrees are never due (the schedule keeps them permanently).
 * - Every hold, release and batch is an audit event (purpose "retention"); events hold ids and
 *   counts, never personal data.
 */
#ifndef OK_REGISTRY_RETENTION_H
#define OK_REGISTRY_RETENTION_H

#include <stdbool.h>

#include "depository/depository.h"
#include "retention/schedule.h"
#include "store/portal.h"
#include "store/retention.h"

#define RETENTION_BATCH_DEFAULT 500
#define RETENTION_BATCH_MAX     100000

/* Reads the schedule from the data folder's config.json (its defaults where it names none). */
int registry_retention_schedule(struct depository *d, struct retention_schedule *out,
                                struct ok_error *err);

/* What the schedule finds in the store at now_ms, per class. */
struct retention_plan_row {
	struct retention_rule rule;
	bool kept_here;  /* the class has records in this store (else counts are 0) */
	int64_t due;     /* due and not held */
	int64_t held;    /* due but under a legal hold */
	char next[11];   /* the day the next record not yet due falls due, "" when none */
	char cutoff[11]; /* records whose trigger lies on or before this day are due */
	/* audit_detail only: due events whose hash does not hold (altered since they were
	 * appended), which a run refuses to make tombstones and stops at; the first one's seq. */
	int64_t altered;
	int64_t first_altered;
};

/* A rule with trigger learner_age opens every learner's birth date: one audited read by actor
 * (retention_aged_scan). The audit events due under audit_detail are each checked against
 * their hash, as a run would before making them tombstones (row altered). */
int registry_retention_plan(struct depository *d, const struct retention_schedule *s,
                            int64_t now_ms, const char *actor,
                            struct retention_plan_row rows[RETENTION_CLASS_COUNT],
                            struct ok_error *err);

/* The learners at or past the age of rule r (trigger learner_age) at now_ms, by id. */
struct retention_aged {
	char (*id)[STORE_ID_MAX + 1];
	size_t n, cap;
	int64_t read;  /* birth dates opened */
	char next[11]; /* with want_next: the day the next learner with records of the class
	                * reaches the age, "" when none */
};

/*
 * retention_age.c: opens the birth date of every learner (sealed, so the store cannot compare
 * it) and lists those born on or before now less the period. One audit event
 * "retention.learner_age" by actor about subject (the run's id, or "plan"), purpose
 * "retention", records the read: how many birth dates were opened and how many learners are at
 * or past the age; the learners themselves are not named (their records' destruction is).
 * out is released with retention_aged_release (also on failure).
 */
int retention_aged_scan(struct depository *d, enum retention_class c,
                        const struct retention_rule *r, int64_t now_ms, const char *actor,
                        const char *subject, bool want_next, struct retention_aged *out,
                        struct ok_error *err);
void retention_aged_release(struct retention_aged *a);

/* Where a run stands. */
struct retention_progress {
	char run_id[STORE_ID_MAX + 1];
	int64_t destroyed[RETENTION_CLASS_COUNT]; /* totals of the run, resumed parts included */
	int64_t learners;                         /* learners destroyed with their last record */
	/* audit events made tombstones with the records they were about (a destroyed result or
	 * learner, an erased share); those of class audit_detail count in destroyed[] */
	int64_t tombstones;
	size_t batches; /* committed by this process */
	bool resumed;
	bool finished;
	int64_t audit_from, audit_to;
};

struct retention_run_options {
	size_t batch; /* records per transaction (0: RETENTION_BATCH_DEFAULT) */
	/* Where transfer packages go (a folder of RUN_ID in it); NULL: a schedule that transfers
	 * due records is refused. */
	const char *transfer_dir;
	const char *actor;
	/* Called after every committed batch (may be NULL). */
	void (*on_batch)(void *ctx, const struct retention_progress *p);
	void *ctx;
};

/*
 * Runs the schedule s at now_ms, or goes on with the run left open (its own moment and
 * schedule; p->resumed). Results and shares due for transfer are first written to the run's
 * transfer package (below) and then removed as destroyed ones are; without o->transfer_dir, or
 * for another class due for transfer, the run is refused (OK_EINPUT, OK_EUNSUPPORTED) before
 * anything is destroyed.
 */
int registry_retention_run(struct depository *d, const struct retention_schedule *s, int64_t now_ms,
                           const struct retention_run_options *o, struct retention_progress *p,
                           struct ok_error *err);

/*
 * A learner's erasure request (GDPR art. 17) for what the law does not require to be kept:
 * scope is a comma-separated list of shares (with their openings), sessions (sessions and login
 * links) and foreign (achievements of other depositories, but for one under a hold of its own).
 * Refused before anything changes: results, diplomas or achievements in scope (OK_ECONFLICT: the
 * institution must keep them under its selection list until their retention period ends), a
 * learner under a legal hold (OK_ECONFLICT), an unknown word (OK_EINPUT), no such learner
 * (OK_ENOTFOUND). Carried out in one transaction, recorded as a run with its own destruction
 * certificate (p->run_id).
 */
int registry_retention_erase(struct depository *d, const char *learner_id, const char *scope,
                             const char *actor, struct retention_progress *p, struct ok_error *err);

/*
 * Transfer packages (retention_transfer.c): DIR/RUN_ID/ holds records/ID.json (each result's
 * record as the API shows it; each share's record), credentials/ID.json (its credential, signed by
 * the depository, naming the holder) and, written last, manifest.json: a credential the depository
 * signs (type TransferManifest) listing every other file with its size and SHA-256, which `oorkonde
 * verify` checks. Files are written whole (a new file renamed into place), so a run killed halfway
 * and resumed writes the same package.
 */
int retention_transfer_dir(const char *dir, const char *run_id, struct buf *out,
                           struct ok_error *err);
/* The real path of the folder dir into out (cap bytes), made first when make is set (a new
 * run); OK_ENOTFOUND when it does not exist, OK_ETOOBIG past RETENTION_ROOT_MAX. A run keeps
 * it with its schedule and resumes only with the same folder. */
#define RETENTION_ROOT_MAX 1024
int retention_transfer_root(const char *dir, bool make, char *out, size_t cap,
                            struct ok_error *err);
/* Writes the record and credential of achievement a into the package at pkg. */
int retention_transfer_record(struct depository *d, const char *pkg,
                              const struct store_achievement *a, struct ok_error *err);
/* Writes the record of share sh into the package at pkg (a share has no credential). */
int retention_transfer_share(const char *pkg, const struct store_share *sh, struct ok_error *err);
/* Writes the record of foreign achievement id and its credential as the other depository
 * signed it (records/ID.json, credentials/ID.json, .jwt or .xml), opened from its seal as an
 * audited read by actor. */
int retention_transfer_foreign(struct depository *d, const char *pkg, const char *id,
                               const char *actor, struct ok_error *err);
/* Writes the package's signed manifest.json; *files gets how many files it lists. Refused
 * (OK_ECONFLICT, nothing signed) when the package holds anything but the records and
 * credentials the run wrote (records, credentials: how many), a link or not a regular file. */
int retention_transfer_manifest(struct depository *d, const char *pkg, const char *run_id,
                                int64_t records, int64_t credentials, const char *actor,
                                int64_t *files, struct ok_error *err);

/* The runs, oldest first (their counts as JSON text, store/retention.h). */
int registry_retention_runs(struct depository *d, store_run_fn fn, void *ctx, struct ok_error *err);

/* Legal holds. */
enum retention_hold_scope {
	RETENTION_HOLD_LEARNER,
	RETENTION_HOLD_INSTITUTION,
	RETENTION_HOLD_ACHIEVEMENT,
};

/* Adds a hold on target (which must exist: OK_ENOTFOUND otherwise) for reason (1-200
 * characters, no control characters); out gets it. Audited as "hold.add". */
int registry_hold_add(struct depository *d, enum retention_hold_scope scope, const char *target,
                      const char *reason, const char *actor, struct store_hold *out,
                      struct ok_error *err);
int registry_hold_list(struct depository *d, store_hold_fn fn, void *ctx, struct ok_error *err);
/* Releases hold id (OK_ENOTFOUND, OK_ECONFLICT when released already). Audited. */
int registry_hold_release(struct depository *d, const char *id, const char *actor,
                          struct ok_error *err);

#endif
