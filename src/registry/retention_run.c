/* The retention schedule applied: reading it from config.json, the plan of what is due, and the
 * runs that destroy it in resumable batches (see retention.h). */
#include "registry/retention.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "audit/log.h"
#include "audit/txn.h"
#include "core/clock.h"
#include "core/format.h"
#include "registry/credential.h"
#include "store/audit.h"
#include "store/emrex.h"
#include "store/vcstatus.h"
#include "store/verifier.h"

#include <sodium.h>
#include <time.h>

#define PURPOSE          "retention"
#define CONFIG_MAX       ((size_t)1 << 20)
#define TOMBSTONE_PREFIX "urn:oorkonde:retention:"
#define ERASURE_RULE     "erasure request of the learner (GDPR art. 17)"

/* The classes a run destroys, in order: records first, learners left without any after. */
static const enum retention_class run_order[] = {
        RETENTION_RESULT,     RETENTION_FOREIGN,      RETENTION_SHARE,       RETENTION_SESSION,
        RETENTION_LOGIN_LINK, RETENTION_WALLET_OFFER, RETENTION_AUDIT_DETAIL};
#define RUN_CLASSES (sizeof(run_order) / sizeof(run_order[0]))

static bool kept_here(enum retention_class c)
{
	for (size_t i = 0; i < RUN_CLASSES; i++)
		if (run_order[i] == c)
			return true;
	return c == RETENTION_DIPLOMA;
}

int registry_retention_schedule(struct depository *d, struct retention_schedule *out,
                                struct ok_error *err)
{
	struct buf path, text;
	char chunk[8192];
	FILE *f = NULL;
	size_t n;
	int rc;

	buf_init(&path, OK_PATH_MAX);
	buf_init(&text, CONFIG_MAX);
	if ((rc = ok_path_join(&path, d->dir, "config.json"))) {
		rc = ok_fail(err, rc, "the data folder's path is too long");
		goto out;
	}
	if (!(f = fopen(path.data, "rb"))) {
		rc = ok_fail(err, OK_EIO, "%s: cannot read (%s)", path.data, strerror(errno));
		goto out;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if (buf_add(&text, chunk, n)) {
			rc = ok_fail(err, OK_ETOOBIG, "%s: larger than 1 MiB", path.data);
			goto out;
		}
	if (ferror(f)) {
		rc = ok_fail(err, OK_EIO, "%s: cannot read", path.data);
		goto out;
	}
	rc = retention_schedule_parse(out, text.data, text.len, path.data, err);
out:
	if (f)
		fclose(f);
	buf_release(&text);
	buf_release(&path);
	return rc;
}

/* The cutoffs of rule r at now_ms. */
static void cutoffs(const struct retention_rule *r, int64_t now_ms, int64_t *ms, char date[11])
{
	*ms = retention_cutoff_ms(&r->period, now_ms);
	retention_date_of_ms(*ms, date);
}

/* The plan's row of a class under learner_age: the records of the learners at or past the
 * age. */
static int plan_aged(struct depository *d, enum retention_class c, int64_t now_ms,
                     const char *actor, struct retention_plan_row *row, struct ok_error *err)
{
	struct retention_aged aged;
	int64_t due, held;
	size_t i;
	int rc;

	if ((rc = retention_aged_scan(d, c, &row->rule, now_ms, actor, "plan", true, &aged, err)))
		return rc;
	for (i = 0; !rc && i < aged.n; i++) {
		rc = store_retention_of_learner(d->store, c, aged.id[i], 0, &due, &held, NULL, NULL,
		                                err);
		row->due += due;
		row->held += held;
	}
	memcpy(row->next, aged.next, sizeof(row->next));
	retention_aged_release(&aged);
	return rc;
}

/* The plan's check of the events due under audit_detail, each on a scratch copy. */
struct altered_scan {
	struct audit_event *scratch;
	struct retention_plan_row *row;
	int64_t last_seq;
	size_t seen;
};

static int check_event(void *ctx, const struct audit_event *e)
{
	struct altered_scan *a = ctx;

	*a->scratch = *e;
	a->last_seq = e->seq;
	a->seen++;
	if (audit_event_tombstone(a->scratch, "plan") < 0) {
		if (!a->row->altered)
			a->row->first_altered = e->seq;
		a->row->altered++;
	}
	return 0;
}

#define PLAN_SCAN_PAGE 1000

static int plan_altered(struct depository *d, int64_t cutoff_ms, struct retention_plan_row *row,
                        struct ok_error *err)
{
	struct altered_scan a = {calloc(1, sizeof(struct audit_event)), row, 0, 0};
	int rc = a.scratch ? 0 : ok_fail(err, OK_ENOMEM, "out of memory");

	while (!rc) {
		a.seen = 0;
		rc = store_retention_audit_due(d->store, cutoff_ms, a.last_seq, PLAN_SCAN_PAGE,
		                               check_event, &a, err);
		if (a.seen < PLAN_SCAN_PAGE)
			break;
	}
	free(a.scratch);
	return rc;
}

int registry_retention_plan(struct depository *d, const struct retention_schedule *s,
                            int64_t now_ms, const char *actor,
                            struct retention_plan_row rows[RETENTION_CLASS_COUNT],
                            struct ok_error *err)
{
	int64_t cutoff_ms, next_ms;
	char next_date[11];
	int c, rc;

	for (c = 0; c < RETENTION_CLASS_COUNT; c++) {
		struct retention_plan_row *row = &rows[c];
		memset(row, 0, sizeof(*row));
		row->rule = s->rule[c];
		row->kept_here = kept_here((enum retention_class)c);
		if (row->rule.permanent || !row->kept_here)
			continue;
		cutoffs(&row->rule, now_ms, &cutoff_ms, row->cutoff);
		if (row->rule.trigger == RETENTION_LEARNER_AGE) {
			if ((rc = plan_aged(d, (enum retention_class)c, now_ms, actor, row, err)))
				return rc;
			continue;
		}
		rc = store_retention_count(d->store, (enum retention_class)c, row->rule.trigger,
		                           cutoff_ms, row->cutoff, &row->due, &row->held, &next_ms,
		                           next_date, err);
		if (!rc && c == RETENTION_AUDIT_DETAIL && row->due)
			rc = plan_altered(d, cutoff_ms, row, err);
		if (rc)
			return rc;
		if (next_date[0] && (row->rule.trigger == RETENTION_AWARD ||
		                     row->rule.trigger == RETENTION_END_OF_RELATIONSHIP))
			retention_due_date(&row->rule.period, next_date, row->next);
		else if (next_ms > 0) {
			retention_date_of_ms(next_ms, next_date);
			retention_due_date(&row->rule.period, next_date, row->next);
		}
	}
	return 0;
}

/* ---- the run's record: its schedule and counts as JSON text ---- */

/* The schedule, and the real path of the run's transfer folder as "transfer_to" (root: "" none). */
static int schedule_json(const struct retention_schedule *s, const char *root, char *out,
                         size_t cap, struct ok_error *err)
{
	json_t *doc = json_object(), *inner = json_object();
	char period[32], *text = NULL;
	int c, rc = 0;

	if (!doc || !inner || json_object_set_new(doc, "retention", inner)) {
		json_decref(inner);
		rc = ok_fail(err, OK_ENOMEM, "out of memory");
		goto out;
	}
	for (c = 0; c < RETENTION_CLASS_COUNT; c++) {
		const struct retention_rule *r = &s->rule[c];
		if (r->permanent)
			snprintf(period, sizeof(period), "permanent");
		else
			retention_period_format(&r->period, period, sizeof(period));
		if (json_object_set_new(inner, retention_class_name((enum retention_class)c),
		                        json_pack("{s:s, s:s, s:s}", "period", period, "trigger",
		                                  retention_trigger_name(r->trigger), "action",
		                                  retention_action_name(r->action)))) {
			rc = ok_fail(err, OK_ENOMEM, "out of memory");
			goto out;
		}
	}
	if (root[0] && json_object_set_new(doc, "transfer_to", json_string(root))) {
		rc = ok_fail(err, OK_ENOMEM, "out of memory");
		goto out;
	}
	text = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
	if (!text || ok_format(out, cap, "%s", text))
		rc = ok_fail(err, OK_EINTERNAL, "the schedule does not fit the run's record");
out:
	free(text);
	json_decref(doc);
	return rc;
}

static void counts_json(const struct retention_progress *p, char *out, size_t cap)
{
	size_t n = 0;
	int c, w;

	w = snprintf(out, cap, "{");
	n = w > 0 ? (size_t)w : 0;
	for (c = 0; c < RETENTION_CLASS_COUNT && n < cap; c++) {
		w = snprintf(out + n, cap - n, "\"%s\":%lld,",
		             retention_class_name((enum retention_class)c),
		             (long long)p->destroyed[c]);
		n += w > 0 ? (size_t)w : 0;
	}
	if (n < cap)
		snprintf(out + n, cap - n, "\"learner\":%lld,\"tombstones\":%lld}",
		         (long long)p->learners, (long long)p->tombstones);
}

static int counts_read(const char *text, struct retention_progress *p)
{
	json_t *doc = json_loads(text, 0, NULL), *v;
	int c;

	if (!doc)
		return OK_EINPUT;
	for (c = 0; c < RETENTION_CLASS_COUNT; c++)
		if ((v = json_object_get(doc, retention_class_name((enum retention_class)c))))
			p->destroyed[c] = json_integer_value(v);
	p->learners = json_integer_value(json_object_get(doc, "learner"));
	p->tombstones = json_integer_value(json_object_get(doc, "tombstones"));
	json_decref(doc);
	return 0;
}

/* ---- destruction ---- */

struct event_list {
	struct audit_event *v;
	size_t n, cap;
};

/* Events made tombstones at once: those about one record, or one batch of the class. */
#define EVENTS_MAX 200000

static int event_add(void *ctx, const struct audit_event *e)
{
	struct event_list *l = ctx;

	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 64;
		void *v;
		if (cap > EVENTS_MAX)
			cap = EVENTS_MAX;
		if (l->n == cap)
			return OK_ETOOBIG;
		if (!(v = reallocarray(l->v, cap, sizeof(*l->v))))
			return OK_ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = *e;
	return 0;
}

/*
 * Makes every event of l a tombstone (audit/chain.h) whose note names the run and its day; *n
 * gets how many were not tombstones already. An event whose hash does not hold is not touched
 * and stops the batch: destroying its details would hide that it was altered.
 */
static int tombstone_events(struct depository *d, const struct store_retention_run *run,
                            struct event_list *l, int64_t *n, struct ok_error *err)
{
	char note[AUDIT_TOMBSTONE_NOTE_MAX + 1], day[11];
	size_t i;
	int rc = 0, r;

	retention_date_of_ms(run->now_ms, day);
	if (ok_format(note, sizeof(note), "retention run %s on %s", run->id, day))
		return ok_fail(err, OK_EINTERNAL, "a tombstone's note does not fit");
	for (i = 0; !rc && i < l->n; i++) {
		if ((r = audit_event_tombstone(&l->v[i], note)) < 0)
			return ok_fail(
			        err, OK_ECONFLICT,
			        "audit event %lld does not fit the chain, so its details are "
			        "not destroyed: run `oorkonde audit verify`",
			        (long long)l->v[i].seq);
		if (r == 0 && !(rc = store_retention_audit_tombstone(d->store, &l->v[i], err)))
			(*n)++;
	}
	return rc;
}

/* The events whose subject is id made tombstones; *n as above. */
static int tombstone_subject(struct depository *d, const struct store_retention_run *run,
                             const char *id, struct event_list *l, int64_t *n, struct ok_error *err)
{
	int rc;

	l->n = 0;
	rc = store_audit_by_subject(d->store, id, event_add, l, err);
	if (rc == OK_ETOOBIG || rc == OK_ENOMEM)
		return ok_fail(err, rc, "too many audit events about one record (over %d)",
		               EVENTS_MAX);
	return rc ? rc : tombstone_events(d, run, l, n, err);
}

/*
 * One result gone: the row and its history deleted, the audit events about it made tombstones
 * (*tombstones counts them), and its status slot kept as a revoked tombstone
 * (store/vcstatus.h), so that a credential issued for it reads as revoked from now on and the
 * slot is never given out again. The lists whose bit changed get a new version. A share (of
 * any learner: a re-registration may have moved the record) that lists it gets a fresh id of
 * no record in its place: the share's page says a
 * record was destroyed, and keeps no id of it.
 */
static int destroy_result(struct depository *d, const struct store_retention_run *run,
                          const char *id, struct event_list *events, int64_t *tombstones,
                          struct ok_error *err)
{
	struct store_achievement a;
	struct store_vc_status v;
	char slot_id[STORE_ID_MAX + 1], stand_in[STORE_ID_MAX + 1];
	int64_t rev, sus, shares;
	int rc;

	depository_new_id(stand_in);
	if ((rc = store_achievement_get(d->store, id, &a, err)) ||
	    (rc = store_retention_result_destroy(d->store, id, err)) ||
	    (rc = store_retention_share_stand_in(d->store, id, stand_in, &shares, err)) ||
	    (rc = tombstone_subject(d, run, id, events, tombstones, err)))
		return rc;
	if (a.status_index < 0)
		return 0;
	memset(&v, 0, sizeof(v));
	/* A fresh id: the slot's row must not keep the destroyed result's id. */
	depository_new_id(slot_id);
	if (ok_format(v.id, sizeof(v.id), TOMBSTONE_PREFIX "%s", slot_id) ||
	    ok_format(v.institution, sizeof(v.institution), "%s", a.institution))
		return ok_fail(err, OK_EINTERNAL, "a destroyed result's tombstone does not fit");
	memcpy(v.key_id, "retention", sizeof("retention"));
	v.status_list = a.status_list;
	v.status_index = a.status_index;
	memcpy(v.status, "revoked", sizeof("revoked"));
	v.created_ms = v.updated_ms = run->now_ms;
	if ((rc = store_vc_status_add(d->store, &v, err)))
		return rc;
	rev = strcmp(a.status, "revoked") != 0;
	sus = strcmp(a.status, "suspended") == 0;
	if (rev || sus)
		rc = store_status_list_bump(d->store, a.status_list, 0, rev, sus, err);
	return rc;
}

struct id_list {
	char (*id)[STORE_ID_MAX + 1];
	size_t n, cap;
};

static int collect(void *ctx, const char *id)
{
	struct id_list *l = ctx;

	if (l->n < l->cap)
		memcpy(l->id[l->n++], id, STORE_ID_MAX + 1);
	return 0;
}

struct run_state {
	struct depository *d;
	const struct retention_schedule *used; /* the schedule the run applies */
	bool erasure;                          /* a learner's erasure request, of the classes: */
	bool erase[RETENTION_CLASS_COUNT];
	const struct retention_run_options *o;
	struct retention_progress *p;
	struct store_retention_run *run;
	struct store_retention_run *latest; /* the run's row as last read back */
	struct id_list ids;
	struct event_list events; /* scratch: the audit events a step makes tombstones */
	int64_t tombstones;       /* made with the records of the batch in progress */
	size_t batch;
	struct buf pkg; /* the transfer package's folder, "" until one is made */
	/* The real path of the folder the package goes in, kept with the run ("" none). */
	char root[RETENTION_ROOT_MAX + 1];
};

/*
 * Adds n to the run's total of class cls (-1: learners) as the store has it, inside the batch's
 * transaction: another server on the same store may be working on the same run (two daily runs
 * at the same minute), and the totals must count each record once. OK_ECONFLICT when the run
 * was finished meanwhile (the batch is then rolled back).
 */
static int add_to_run(struct run_state *st, int cls, int64_t n, struct ok_error *err)
{
	int rc = store_retention_run_open(st->d->store, st->latest, err);

	if (rc == OK_ENOTFOUND || (!rc && strcmp(st->latest->id, st->run->id) != 0))
		return ok_fail(err, OK_ECONFLICT, "the retention run was finished meanwhile");
	if (rc)
		return rc;
	if (counts_read(st->latest->counts, st->p))
		return ok_fail(err, OK_ESTORE, "the retention run's totals cannot be read");
	if (cls < 0)
		st->p->learners += n;
	else
		st->p->destroyed[cls] += n;
	st->p->tombstones += st->tombstones;
	counts_json(st->p, st->run->counts, sizeof(st->run->counts));
	return store_retention_run_put(st->d->store, st->run, err);
}

/* Commits one batch: the run's totals and an event, in the transaction that destroyed it. */
static int batch_end(struct run_state *st, struct audit_txn *txn, int cls, int64_t n, int rc,
                     struct ok_error *err)
{
	char detail[64];

	if (!rc)
		rc = add_to_run(st, cls, n, err);
	if (!rc) {
		snprintf(detail, sizeof(detail), "%s=%lld",
		         cls < 0 ? "learner" : retention_class_name((enum retention_class)cls),
		         (long long)n);
		rc = audit_txn_event(txn, st->o->actor, "retention.destroy", st->run->id, PURPOSE,
		                     detail, err);
	}
	st->tombstones = 0;
	if ((rc = audit_txn_end(txn, rc, err)))
		return rc;
	st->p->batches++;
	if (st->o->on_batch)
		st->o->on_batch(st->o->ctx, st->p);
	return 0;
}

/*
 * One record of class c (result, foreign or share) destroyed by id, written first into the
 * run's package when the rule transfers it.
 */
static int destroy_one(struct run_state *st, enum retention_class c, const struct retention_rule *r,
                       const char *id, struct ok_error *err)
{
	struct depository *d = st->d;
	bool transfer = r->action == RETENTION_TRANSFER;
	int rc = 0;

	if (c == RETENTION_RESULT) {
		if (transfer) {
			struct store_achievement a;
			rc = store_achievement_get(d->store, id, &a, err);
			if (!rc)
				rc = retention_transfer_record(d, st->pkg.data, &a, err);
		}
		return rc ? rc : destroy_result(d, st->run, id, &st->events, &st->tombstones, err);
	}
	if (transfer && c == RETENTION_SHARE) {
		struct store_share sh;
		rc = store_share_get(d->store, id, &sh, err);
		if (!rc)
			rc = retention_transfer_share(st->pkg.data, &sh, err);
	} else if (transfer && c == RETENTION_FOREIGN) {
		rc = retention_transfer_foreign(d, st->pkg.data, id, st->o->actor, err);
	}
	return rc ? rc : store_retention_record_destroy(d->store, c, id, err);
}

/* A class under learner_age: the records of the learners at or past the age, learner after
 * learner, a batch per transaction. */
static int run_class_aged(struct run_state *st, enum retention_class c,
                          const struct retention_rule *r, struct ok_error *err)
{
	struct retention_aged aged;
	struct audit_txn txn;
	int64_t due, held;
	size_t next = 0, i;
	int rc;

	if ((rc = retention_aged_scan(st->d, c, r, st->run->now_ms, st->o->actor, st->run->id,
	                              false, &aged, err)))
		return rc;
	while (next < aged.n) {
		if ((rc = audit_txn_begin(st->d, &txn, err)))
			break;
		st->ids.n = 0;
		st->tombstones = 0;
		/* Fill the batch from learner after learner; a learner with more than fits is
		 * listed again in the next batch (what was destroyed is gone by then). */
		while (!rc && next < aged.n && st->ids.n < st->batch) {
			struct id_list part = {st->ids.id + st->ids.n, 0, st->batch - st->ids.n};
			rc = store_retention_of_learner(st->d->store, c, aged.id[next], part.cap,
			                                &due, &held, collect, &part, err);
			st->ids.n += part.n;
			if (!rc && due <= (int64_t)part.n)
				next++;
		}
		for (i = 0; !rc && i < st->ids.n; i++)
			rc = destroy_one(st, c, r, st->ids.id[i], err);
		if (!rc && st->ids.n == 0) {
			audit_txn_abort(&txn);
			break;
		}
		if ((rc = batch_end(st, &txn, (int)c, (int64_t)st->ids.n, rc, err)))
			break;
	}
	retention_aged_release(&aged);
	return rc;
}

/* Destroys what class c has due, a batch per transaction, until a batch comes back short. */
static int run_class(struct run_state *st, enum retention_class c, const struct retention_rule *r,
                     struct ok_error *err)
{
	struct depository *d = st->d;
	struct audit_txn txn;
	int64_t cutoff_ms, n, after_seq = 0;
	char cutoff_date[11];
	size_t i;
	int rc;

	if (r->trigger == RETENTION_LEARNER_AGE)
		return run_class_aged(st, c, r, err);
	cutoffs(r, st->run->now_ms, &cutoff_ms, cutoff_date);
	for (;;) {
		if ((rc = audit_txn_begin(d, &txn, err)))
			return rc;
		n = 0;
		st->tombstones = 0;
		if (c == RETENTION_AUDIT_DETAIL) {
			/* Events are never deleted: their details give way to tombstones. */
			st->events.n = 0;
			rc = store_retention_audit_due(d->store, cutoff_ms, after_seq, st->batch,
			                               event_add, &st->events, err);
			if (!rc && st->events.n)
				after_seq = st->events.v[st->events.n - 1].seq;
			/* Not the run's own events: they are newer than the run. */
			while (st->events.n &&
			       st->events.v[st->events.n - 1].seq >= st->run->audit_from) {
				st->events.n--;
				after_seq = INT64_MAX;
			}
			if (!rc)
				rc = tombstone_events(d, st->run, &st->events, &n, err);
			if (!rc && !n && st->events.n) {
				/* All were tombstones already (another server's batch). */
				audit_txn_abort(&txn);
				continue;
			}
		} else if (c == RETENTION_RESULT) {
			st->ids.n = 0;
			rc = store_retention_results_due(d->store, r->trigger, cutoff_date,
			                                 st->batch, collect, &st->ids, err);
			for (i = 0; !rc && i < st->ids.n; i++)
				rc = destroy_one(st, c, r, st->ids.id[i], err);
			n = (int64_t)st->ids.n;
		} else if (r->action == RETENTION_TRANSFER) {
			/* Written into the package, then deleted one by one: only what the package
			 * holds is removed. */
			st->ids.n = 0;
			rc = store_retention_due_ids(d->store, c, r->trigger, cutoff_ms,
			                             cutoff_date, st->batch, collect, &st->ids,
			                             err);
			for (i = 0; !rc && i < st->ids.n; i++)
				rc = destroy_one(st, c, r, st->ids.id[i], err);
			n = (int64_t)st->ids.n;
		} else {
			rc = store_retention_sweep(d->store, c, r->trigger, cutoff_ms, cutoff_date,
			                           st->batch, &n, err);
		}
		if (!rc && n == 0) {
			audit_txn_abort(&txn);
			return 0;
		}
		if ((rc = batch_end(st, &txn, (int)c, n, rc, err)))
			return rc;
		if ((size_t)n < st->batch && c != RETENTION_AUDIT_DETAIL)
			return 0;
		if (c == RETENTION_AUDIT_DETAIL &&
		    (st->events.n < st->batch || after_seq == INT64_MAX))
			return 0;
	}
}

/* Learners left with no achievement of any kind: destroyed with what hangs on them. */
static int run_learners(struct run_state *st, struct ok_error *err)
{
	struct audit_txn txn;
	size_t i;
	int rc;

	for (;;) {
		if ((rc = audit_txn_begin(st->d, &txn, err)))
			return rc;
		st->ids.n = 0;
		st->tombstones = 0;
		rc = store_retention_orphans(st->d->store, st->batch, collect, &st->ids, err);
		for (i = 0; !rc && i < st->ids.n; i++) {
			/* What is about them (them, their shares) first, while their shares are
			 * still there to be found; their results went before them. */
			st->events.n = 0;
			rc = audit_log_about_learner(st->d, st->ids.id[i], event_add, &st->events,
			                             err);
			if (!rc)
				rc = tombstone_events(st->d, st->run, &st->events, &st->tombstones,
				                      err);
			if (!rc)
				rc = store_retention_learner_destroy(st->d->store, st->ids.id[i],
				                                     err);
		}
		if (!rc && st->ids.n == 0) {
			audit_txn_abort(&txn);
			return 0;
		}
		if ((rc = batch_end(st, &txn, -1, (int64_t)st->ids.n, rc, err)))
			return rc;
		if (st->ids.n < st->batch)
			return 0;
	}
}

/* Day-old EMREX sessions: as portal/emrex.c prunes them when the next exchange begins. */
#define EMREX_SESSION_KEEP_MS 86400000LL

/*
 * What expires by itself and is otherwise pruned only when its feature is next used: the
 * OpenID4VP verifier's sealed results past their keep time and EMREX sessions a day old, so
 * that they go even on a depository where no one uses the feature any more. Not counted: they
 * are no class of the schedule.
 */
static int run_expired(struct run_state *st, struct ok_error *err)
{
	struct audit_txn txn;
	int rc;

	if ((rc = audit_txn_begin(st->d, &txn, err)))
		return rc;
	rc = store_vp_prune(st->d->store, st->run->now_ms, err);
	if (!rc)
		rc = store_emrex_session_prune(st->d->store,
		                               st->run->now_ms - EMREX_SESSION_KEEP_MS, err);
	return audit_txn_end(&txn, rc, err);
}

/* Refuses a schedule that would transfer records before anything is destroyed. */
static int check_transfers(struct depository *d, const struct retention_schedule *s, int64_t now_ms,
                           const char *transfer_dir, const char *actor, struct ok_error *err)
{
	struct retention_plan_row rows[RETENTION_CLASS_COUNT];
	bool any = false;
	int c, rc;

	for (c = 0; c < RETENTION_CLASS_COUNT; c++)
		any |= !s->rule[c].permanent && s->rule[c].action == RETENTION_TRANSFER;
	if (!any)
		return 0;
	if ((rc = registry_retention_plan(d, s, now_ms, actor, rows, err)))
		return rc;
	for (c = 0; c < RETENTION_CLASS_COUNT; c++) {
		if (rows[c].rule.action != RETENTION_TRANSFER || rows[c].due == 0)
			continue;
		if (!retention_transferable((enum retention_class)c))
			return ok_fail_field(err, OK_EUNSUPPORTED, "action",
			                     "retention.%s: %lld records are due for transfer, and "
			                     "only results, foreign achievements and shares can "
			                     "be transferred; nothing was destroyed",
			                     retention_class_name((enum retention_class)c),
			                     (long long)rows[c].due);
		if (!transfer_dir)
			return ok_fail_field(
			        err, OK_EINPUT, "transfer-to",
			        "retention.%s: %lld records are due for transfer: name "
			        "the folder of the package with --transfer-to DIR; "
			        "nothing was destroyed",
			        retention_class_name((enum retention_class)c),
			        (long long)rows[c].due);
	}
	return 0;
}

static bool schedule_transfers(const struct retention_schedule *s)
{
	int c;

	for (c = 0; c < RETENTION_CLASS_COUNT; c++)
		if (!s->rule[c].permanent && s->rule[c].action == RETENTION_TRANSFER &&
		    retention_transferable((enum retention_class)c))
			return true;
	return false;
}

/* The transfer folder a run keeps in its schedule text ("" when it kept none); -1 unreadable. */
static int stored_root(const char *schedule, char root[RETENTION_ROOT_MAX + 1])
{
	json_t *doc = json_loads(schedule, 0, NULL), *v;
	int rc = 0;

	root[0] = '\0';
	if (!doc)
		return -1;
	if ((v = json_object_get(doc, "transfer_to")) &&
	    (!json_is_string(v) ||
	     ok_format(root, RETENTION_ROOT_MAX + 1, "%s", json_string_value(v))))
		rc = -1;
	json_decref(doc);
	return rc;
}

/*
 * A resumed run that transfers goes on in the folder it began with: --transfer-to must name that
 * folder, and once records were transferred, its DIR/RUN_ID must still be there.
 */
static int resume_root(struct run_state *st, const struct retention_schedule *used,
                       struct ok_error *err)
{
	char given[RETENTION_ROOT_MAX + 1];
	struct buf pkg;
	struct stat sb;
	int64_t moved = 0;
	int c, rc = 0;

	if (!schedule_transfers(used))
		return 0;
	if (!st->o->transfer_dir) {
		if (st->root[0])
			return ok_fail_field(err, OK_EINPUT, "transfer-to",
			                     "nothing more was destroyed: resume the open run with "
			                     "its package's folder, --transfer-to %s",
			                     st->root);
		return 0; /* refused where the first class that transfers comes */
	}
	rc = retention_transfer_root(st->o->transfer_dir, false, given, sizeof(given), err);
	if (rc && rc != OK_ENOTFOUND)
		return rc;
	if (st->root[0] && (rc || strcmp(given, st->root)))
		return ok_fail_field(err, OK_EINPUT, "transfer-to",
		                     "nothing more was destroyed: the open run's package is in "
		                     "another folder; resume it with --transfer-to %s",
		                     st->root);
	if (!st->root[0]) {
		/* a run begun before runs kept their folder */
		if (rc)
			given[0] = '\0';
		memcpy(st->root, given, sizeof(given));
	}
	for (c = 0; c < RETENTION_CLASS_COUNT; c++)
		if (used->rule[c].action == RETENTION_TRANSFER && !used->rule[c].permanent &&
		    retention_transferable((enum retention_class)c))
			moved += st->p->destroyed[c];
	if (!moved)
		return 0;
	buf_init(&pkg, OK_PATH_MAX);
	if (!st->root[0] || ok_path_join(&pkg, st->root, st->run->id) ||
	    lstat(pkg.data, &sb) != 0 || !S_ISDIR(sb.st_mode))
		rc = ok_fail_field(err, OK_ENOTFOUND, "transfer-to",
		                   "nothing more was destroyed: the package of the open run, "
		                   "with %lld records transferred, is missing: put back %s/%s",
		                   (long long)moved, st->root[0] ? st->root : st->o->transfer_dir,
		                   st->run->id);
	buf_release(&pkg);
	return rc;
}

static int run_begin(struct depository *d, const struct retention_schedule *s, int64_t now_ms,
                     struct run_state *st, struct retention_schedule *used, struct ok_error *err)
{
	struct store_retention_run *run = st->run;
	unsigned char head[AUDIT_HASH_BYTES];
	struct audit_txn txn;
	int64_t seq;
	int rc = store_retention_run_open(d->store, run, err);

	if (rc == 0) {
		/* Go on with the moment and schedule the run began with: the same set is due. */
		st->p->resumed = true;
		if (retention_schedule_parse(used, run->schedule, strlen(run->schedule),
		                             "the open retention run", err) ||
		    counts_read(run->counts, st->p) || stored_root(run->schedule, st->root))
			return ok_fail(err, OK_ESTORE, "the open retention run %s cannot be read",
			               run->id);
		return resume_root(st, used, err);
	}
	if (rc != OK_ENOTFOUND)
		return rc;
	*used = *s;
	if ((rc = check_transfers(d, s, now_ms, st->o->transfer_dir, st->o->actor, err)))
		return rc;
	if (st->o->transfer_dir && schedule_transfers(s) &&
	    (rc = retention_transfer_root(st->o->transfer_dir, true, st->root, sizeof(st->root),
	                                  err)))
		return rc;
	memset(run, 0, sizeof(*run));
	depository_new_id(run->id);
	if (ok_format(run->actor, sizeof(run->actor), "%s", st->o->actor))
		return ok_fail(err, OK_EINPUT, "the actor's name is too long");
	run->started_ms = ok_now_ms();
	run->now_ms = now_ms;
	if ((rc = schedule_json(s, st->root, run->schedule, sizeof(run->schedule), err)))
		return rc;
	counts_json(st->p, run->counts, sizeof(run->counts));
	if ((rc = audit_txn_begin(d, &txn, err)))
		return rc;
	if (!(rc = store_audit_head(d->store, &seq, head, err))) {
		run->audit_from = seq + 1;
		rc = store_retention_run_put(d->store, run, err);
	}
	if (!rc)
		rc = audit_txn_event(&txn, st->o->actor, "retention.run.start", run->id, PURPOSE,
		                     "", err);
	return audit_txn_end(&txn, rc, err);
}

static void iso_time(int64_t ms, char out[32])
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	if (!strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm))
		out[0] = '\0';
}

/* What a class's rule says, in words: "P10Y after award, destroy". */
static void rule_words(const struct retention_rule *r, char *out, size_t cap)
{
	char period[32];

	retention_period_format(&r->period, period, sizeof(period));
	snprintf(out, cap, "%s after %s, %s", period, retention_trigger_name(r->trigger),
	         retention_action_name(r->action));
}

/*
 * The destruction certificate (verklaring van vernietiging) of the run: which classes, how many
 * records each, under which rule and cutoff, when, by whom, and the audit events it covers with
 * the chain's hash at its end; signed by the depository as a Verifiable Credential. Counts,
 * rules and ids only: no personal data.
 */
static int certificate(struct run_state *st, const unsigned char head[AUDIT_HASH_BYTES],
                       struct ok_error *err)
{
	struct store_retention_run *run = st->run;
	struct depository_identity id;
	json_t *classes = json_array(), *cred = NULL, *signed_cred = NULL;
	char when[32], started[32], finished[32], rule[96], cutoff[11],
	        hex[2 * AUDIT_HASH_BYTES + 1];
	char urn[64], *text = NULL;
	int64_t cutoff_ms;
	size_t i;
	int rc;

	if (!classes)
		return ok_fail(err, OK_ENOMEM, "out of memory");
	for (i = 0; i < RUN_CLASSES; i++) {
		const struct retention_rule *r = &st->used->rule[run_order[i]];
		if (st->erasure) {
			if (st->erase[run_order[i]])
				json_array_append_new(
				        classes,
				        json_pack("{s:s, s:I, s:s}", "recordClass",
				                  retention_class_name(run_order[i]), "count",
				                  (json_int_t)st->p->destroyed[run_order[i]],
				                  "rule", ERASURE_RULE));
			continue;
		}
		if (r->permanent ||
		    (r->action == RETENTION_TRANSFER && !retention_transferable(run_order[i])))
			continue;
		rule_words(r, rule, sizeof(rule));
		cutoffs(r, run->now_ms, &cutoff_ms, cutoff);
		json_array_append_new(classes,
		                      json_pack("{s:s, s:I, s:s, s:s}", "recordClass",
		                                retention_class_name(run_order[i]), "count",
		                                (json_int_t)st->p->destroyed[run_order[i]], "rule",
		                                rule, "dueOnOrBefore", cutoff));
	}
	if (!st->erasure)
		json_array_append_new(classes,
		                      json_pack("{s:s, s:I, s:s}", "recordClass", "learner",
		                                "count", (json_int_t)st->p->learners, "rule",
		                                "destroyed with the last record kept of them"));
	json_array_append_new(
	        classes,
	        json_pack("{s:s, s:I, s:s}", "recordClass", "audit_detail_with_records", "count",
	                  (json_int_t)st->p->tombstones, "rule",
	                  st->erasure ? "details of the audit events about the records erased, "
	                                "each kept as a tombstone with its hash; " ERASURE_RULE
	                              : "details of the audit events about the records destroyed "
	                                "above, each kept as a tombstone with its hash"));
	iso_time(run->now_ms, when);
	iso_time(run->started_ms, started);
	iso_time(run->finished_ms, finished);
	sodium_bin2hex(hex, sizeof(hex), head, AUDIT_HASH_BYTES);
	snprintf(urn, sizeof(urn), "urn:oorkonde:retention-run:%s", run->id);
	if ((rc = registry_identity(st->d, &id, err))) {
		json_decref(classes);
		return rc;
	}
	cred = json_pack("{s:[s], s:s, s:[s, s], s:s, s:s, s:{s:s, s:s, s:s, s:s, s:s, s:o, "
	                 "s:{s:I, s:I, s:s}}}",
	                 "@context", CREDENTIAL_CONTEXT_V2, "id", urn, "type",
	                 "VerifiableCredential", "DestructionCertificate", "issuer", id.did, "name",
	                 "Destruction certificate (verklaring van vernietiging)",
	                 "credentialSubject", "retentionRun", run->id, "destroyedBy", run->actor,
	                 "scheduleAppliedAt", when, "started", started, "finished", finished,
	                 "destroyed", classes, "auditEvents", "from", (json_int_t)run->audit_from,
	                 "to", (json_int_t)run->audit_to, "chainHead", hex);
	registry_identity_release(&id);
	if (!cred)
		return ok_fail(err, OK_ENOMEM, "out of memory");
	if (!(rc = registry_credential_sign_own(st->d, cred, st->o->actor, &signed_cred, err))) {
		text = json_dumps(signed_cred, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		if (!text || ok_format(run->certificate, sizeof(run->certificate), "%s", text))
			rc = ok_fail(err, OK_EINTERNAL, "the destruction certificate does not fit");
	}
	free(text);
	json_decref(signed_cred);
	json_decref(cred);
	return rc;
}

static int run_finish(struct run_state *st, struct ok_error *err)
{
	unsigned char head[AUDIT_HASH_BYTES];
	char detail[256];
	struct audit_txn txn;
	int64_t total = 0;
	int rc, c;

	for (c = 0; c < RETENTION_CLASS_COUNT; c++)
		total += st->p->destroyed[c];
	snprintf(detail, sizeof(detail), "records=%lld learners=%lld", (long long)total,
	         (long long)st->p->learners);
	if ((rc = audit_txn_begin(st->d, &txn, err)))
		return rc;
	if (!st->erasure) {
		/* The totals as stored (another server may have done batches of this run too);
		 * nothing to do when another one has finished it. */
		rc = store_retention_run_open(st->d->store, st->latest, err);
		if (rc == OK_ENOTFOUND || (!rc && strcmp(st->latest->id, st->run->id) != 0)) {
			audit_txn_abort(&txn);
			return 0;
		}
		if (!rc && counts_read(st->latest->counts, st->p))
			rc = ok_fail(err, OK_ESTORE, "the retention run's totals cannot be read");
		total = 0;
		for (c = 0; c < RETENTION_CLASS_COUNT; c++)
			total += st->p->destroyed[c];
		snprintf(detail, sizeof(detail), "records=%lld learners=%lld", (long long)total,
		         (long long)st->p->learners);
	}
	if (!rc)
		rc = audit_txn_event(&txn, st->o->actor, "retention.run.finish", st->run->id,
		                     PURPOSE, detail, err);
	if (!rc)
		rc = store_audit_head(st->d->store, &st->run->audit_to, head, err);
	if (!rc) {
		st->run->finished_ms = ok_now_ms();
		counts_json(st->p, st->run->counts, sizeof(st->run->counts));
		rc = certificate(st, head, err);
	}
	if (!rc)
		rc = store_retention_run_put(st->d->store, st->run, err);
	return audit_txn_end(&txn, rc, err);
}

int registry_retention_run(struct depository *d, const struct retention_schedule *s, int64_t now_ms,
                           const struct retention_run_options *o, struct retention_progress *p,
                           struct ok_error *err)
{
	struct retention_schedule used;
	struct run_state st;
	size_t i;
	int rc;

	memset(p, 0, sizeof(*p));
	memset(&st, 0, sizeof(st));
	st.d = d;
	st.o = o;
	st.p = p;
	st.batch = o->batch ? o->batch : RETENTION_BATCH_DEFAULT;
	if (st.batch > RETENTION_BATCH_MAX)
		return ok_fail(err, OK_EINPUT, "a batch is at most %d records",
		               RETENTION_BATCH_MAX);
	buf_init(&st.pkg, OK_PATH_MAX);
	st.run = calloc(1, sizeof(*st.run));
	st.latest = calloc(1, sizeof(*st.latest));
	st.ids.id = calloc(st.batch, sizeof(*st.ids.id));
	st.ids.cap = st.batch;
	if (!st.run || !st.latest || !st.ids.id) {
		rc = ok_fail(err, OK_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = run_begin(d, s, now_ms, &st, &used, err)))
		goto out;
	memcpy(p->run_id, st.run->id, sizeof(p->run_id));
	st.used = &used;
	/* From here on a deletion overwrites what it deletes. Then the compaction an earlier
	 * run or erasure may not have reached (killed after its end was committed). */
	if ((rc = store_retention_secure_delete(d->store, err)) ||
	    (rc = store_retention_compact(d->store, err)))
		goto out;
	for (i = 0; !rc && i < RUN_CLASSES; i++) {
		const struct retention_rule *r = &used.rule[run_order[i]];
		if (r->permanent ||
		    (r->action == RETENTION_TRANSFER && !retention_transferable(run_order[i])))
			continue;
		/* A resumed run that transfers needs its package's folder again. */
		if (r->action == RETENTION_TRANSFER && !st.pkg.len) {
			if (!o->transfer_dir)
				rc = ok_fail_field(
				        err, OK_EINPUT, "transfer-to",
				        "the open run transfers records: name the folder "
				        "of its package with --transfer-to DIR");
			else if (!st.root[0])
				rc = retention_transfer_root(o->transfer_dir, true, st.root,
				                             sizeof(st.root), err);
			if (!rc)
				rc = retention_transfer_dir(st.root, st.run->id, &st.pkg, err);
			if (rc)
				break;
		}
		rc = run_class(&st, run_order[i], r, err);
	}
	if (!rc)
		rc = run_learners(&st, err);
	if (!rc)
		rc = run_expired(&st, err);
	if (!rc && st.pkg.len) {
		int64_t files, moved[RETENTION_CLASS_COUNT] = {0};
		for (i = 0; i < RETENTION_CLASS_COUNT; i++)
			if (used.rule[i].action == RETENTION_TRANSFER && !used.rule[i].permanent)
				moved[i] = p->destroyed[i];
		rc = retention_transfer_manifest(
		        d, st.pkg.data, st.run->id,
		        moved[RETENTION_RESULT] + moved[RETENTION_FOREIGN] + moved[RETENTION_SHARE],
		        moved[RETENTION_RESULT] + moved[RETENTION_FOREIGN], o->actor, &files, err);
	}
	/* Compacted before the end is committed, so that a run whose certificate says its records
	 * are destroyed has them in no file; and after, for what the end itself wrote. */
	if (!rc)
		rc = store_retention_compact(d->store, err);
	if (!rc)
		rc = run_finish(&st, err);
	if (!rc)
		rc = store_retention_compact(d->store, err);
	if (!rc) {
		p->finished = true;
		p->audit_from = st.run->audit_from;
		p->audit_to = st.run->audit_to;
	}
out:
	buf_release(&st.pkg);
	free(st.events.v);
	free(st.ids.id);
	free(st.latest);
	free(st.run);
	return rc;
}

/* ---- a learner's erasure request ---- */

/* The classes of scope, or the reason it is refused. */
static int erasure_scope(const char *scope, bool erase[RETENTION_CLASS_COUNT], struct ok_error *err)
{
	char words[128], *save = NULL, *w;
	bool any = false;

	memset(erase, 0, RETENTION_CLASS_COUNT * sizeof(bool));
	if (!scope || ok_format(words, sizeof(words), "%s", scope))
		return ok_fail_field(err, OK_EINPUT, "scope",
		                     "--scope must list shares, sessions or foreign");
	for (w = strtok_r(words, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
		if (!strcmp(w, "shares")) {
			erase[RETENTION_SHARE] = true;
		} else if (!strcmp(w, "sessions")) {
			/* Every means of access: sessions (the portal's and EMREX's), sign-in
			 * links and wallet offers. */
			erase[RETENTION_SESSION] = erase[RETENTION_LOGIN_LINK] = true;
			erase[RETENTION_WALLET_OFFER] = true;
		} else if (!strcmp(w, "foreign")) {
			erase[RETENTION_FOREIGN] = true;
		} else if (!strcmp(w, "results") || !strcmp(w, "diplomas") ||
		           !strcmp(w, "achievements") || !strcmp(w, "identity")) {
			return ok_fail_field(
			        err, OK_ECONFLICT, "scope",
			        "%s cannot be erased on request: the institutions must keep "
			        "results "
			        "and diplomas, and the learner's identity with them, under their "
			        "selection list (a legal obligation, GDPR art. 17(3)(b)); they are "
			        "destroyed when their retention period ends (oorkonde retention "
			        "plan)",
			        strcmp(w, "identity") ? w : "the identity");
		} else {
			return ok_fail_field(err, OK_EINPUT, "scope",
			                     "--scope: unknown word (expected shares, sessions or "
			                     "foreign)");
		}
		any = true;
	}
	return any ? 0
	           : ok_fail_field(err, OK_EINPUT, "scope",
	                           "--scope must list shares, sessions or foreign");
}

/* Whether event e records what the erased classes held: a share's making, revoking and
 * openings; sign-ins and login links; the learner's dealings abroad (a foreign credential's
 * import or refusal, naming its issuer; every EMREX event about the learner, naming the
 * country or the host the results came from or went to). foreign.read stays: a read of the
 * learner's data by someone, counted, naming nobody abroad. */
static bool erased_event(const bool erase[RETENTION_CLASS_COUNT], const struct audit_event *e)
{
	if (erase[RETENTION_SHARE] && !strncmp(e->action, "share.", 6))
		return true;
	if (erase[RETENTION_SESSION] &&
	    (!strcmp(e->action, "learner.login") || !strcmp(e->action, "login.link")))
		return true;
	/* A wallet offer's making and redeeming; what was issued on it (wallet.issue) is kept, as
	 * every issuance is. */
	if (erase[RETENTION_WALLET_OFFER] &&
	    (!strcmp(e->action, "wallet.offer") || !strcmp(e->action, "wallet.redeem") ||
	     !strcmp(e->action, "wallet.pin_wrong")))
		return true;
	return erase[RETENTION_FOREIGN] &&
	       (!strcmp(e->action, "foreign.import") || !strcmp(e->action, "foreign.refuse") ||
	        !strncmp(e->action, "emrex.", 6));
}

/* The learner's events of the erased classes made tombstones. */
static int erase_events(struct run_state *st, const char *learner_id, struct ok_error *err)
{
	size_t i, kept = 0;
	int rc;

	st->events.n = 0;
	rc = store_audit_by_subject(st->d->store, learner_id, event_add, &st->events, err);
	if (rc == OK_ETOOBIG || rc == OK_ENOMEM)
		return ok_fail(err, rc, "too many audit events about the learner (over %d)",
		               EVENTS_MAX);
	if (rc)
		return rc;
	for (i = 0; i < st->events.n; i++)
		if (erased_event(st->erase, &st->events.v[i]))
			st->events.v[kept++] = st->events.v[i];
	st->events.n = kept;
	return tombstone_events(st->d, st->run, &st->events, &st->p->tombstones, err);
}

struct hold_find {
	const char *learner_id;
	bool held;
};

static int find_learner_hold(void *ctx, const struct store_hold *h)
{
	struct hold_find *f = ctx;

	if (!h->released_ms && !strcmp(h->scope, "learner") && !strcmp(h->target, f->learner_id))
		f->held = true;
	return 0;
}

int registry_retention_erase(struct depository *d, const char *learner_id, const char *scope,
                             const char *actor, struct retention_progress *p, struct ok_error *err)
{
	struct retention_run_options o = {0};
	struct retention_schedule none;
	struct hold_find hf = {learner_id, false};
	unsigned char head[AUDIT_HASH_BYTES];
	struct store_learner l;
	struct audit_txn txn;
	struct run_state st;
	char detail[200];
	int64_t seq, n;
	size_t i;
	int rc;

	memset(p, 0, sizeof(*p));
	memset(&st, 0, sizeof(st));
	if ((rc = erasure_scope(scope, st.erase, err)))
		return rc;
	if (!depository_id_valid(learner_id))
		return ok_fail(err, OK_ENOTFOUND, "no learner with that id");
	retention_schedule_defaults(&none);
	o.actor = actor;
	st.d = d;
	st.o = &o;
	st.p = p;
	st.used = &none;
	st.erasure = true;
	if (!(st.run = calloc(1, sizeof(*st.run))))
		return ok_fail(err, OK_ENOMEM, "out of memory");
	/* The erasure ends in one transaction with its certificate, so it compacts after; one
	 * killed in between is compacted here by the next erasure (or run). */
	if ((rc = store_retention_compact(d->store, err)))
		goto out;
	if ((rc = audit_txn_begin(d, &txn, err)))
		goto out;
	store_learner_init(&l);
	rc = store_learner_get(d->store, learner_id, &l, err);
	store_learner_release(&l);
	if (rc == OK_ENOTFOUND)
		rc = ok_fail(err, OK_ENOTFOUND, "no learner with that id");
	if (!rc)
		rc = store_hold_list(d->store, find_learner_hold, &hf, err);
	if (!rc && hf.held)
		rc = ok_fail(err, OK_ECONFLICT,
		             "the learner's records are under a legal hold: nothing can be erased "
		             "until it is released (oorkonde hold list)");
	if (!rc)
		rc = store_retention_secure_delete(d->store, err);
	if (!rc)
		rc = store_audit_head(d->store, &seq, head, err);
	if (rc)
		goto end;
	depository_new_id(st.run->id);
	memcpy(p->run_id, st.run->id, sizeof(p->run_id));
	st.run->started_ms = st.run->now_ms = ok_now_ms();
	st.run->audit_from = seq + 1;
	if (ok_format(st.run->actor, sizeof(st.run->actor), "%s", actor) ||
	    ok_format(st.run->schedule, sizeof(st.run->schedule), "{\"erasure\":\"%s\"}", scope)) {
		rc = ok_fail(err, OK_EINPUT, "the actor's name or the scope is too long");
		goto end;
	}
	for (i = 0; !rc && i < RUN_CLASSES; i++) {
		if (!st.erase[run_order[i]])
			continue;
		rc = store_retention_erase(d->store, learner_id, run_order[i], &n, err);
		p->destroyed[run_order[i]] = n;
	}
	if (!rc)
		rc = erase_events(&st, learner_id, err);
	if (!rc && ok_format(detail, sizeof(detail),
	                     "run=%s shares=%lld sessions=%lld login_links=%lld wallet_offers=%lld "
	                     "foreign=%lld",
	                     st.run->id, (long long)p->destroyed[RETENTION_SHARE],
	                     (long long)p->destroyed[RETENTION_SESSION],
	                     (long long)p->destroyed[RETENTION_LOGIN_LINK],
	                     (long long)p->destroyed[RETENTION_WALLET_OFFER],
	                     (long long)p->destroyed[RETENTION_FOREIGN]))
		rc = ok_fail(err, OK_EINTERNAL, "audit detail too long");
	if (!rc)
		rc = audit_txn_event(&txn, actor, "learner.erase", learner_id, PURPOSE, detail,
		                     err);
	/* The run's end and its certificate join this transaction: all or nothing. */
	if (!rc)
		rc = run_finish(&st, err);
end:
	rc = audit_txn_end(&txn, rc, err);
	if (!rc)
		rc = store_retention_compact(d->store, err);
	if (!rc) {
		p->finished = true;
		p->audit_from = st.run->audit_from;
		p->audit_to = st.run->audit_to;
	}
out:
	free(st.events.v);
	free(st.run);
	return rc;
}

int registry_retention_runs(struct depository *d, store_run_fn fn, void *ctx, struct ok_error *err)
{
	return store_retention_run_list(d->store, fn, ctx, err);
}
