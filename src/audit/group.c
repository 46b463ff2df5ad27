/* Group commit of audit events through one writer thread (see group.h). */
#include "audit/group.h"

#include "audit/checkpoint.h"
#include "audit/txn.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* At most this many events in one transaction: a commit stays short, whatever queued. */
#define GROUP_MAX 256

/* One caller's change and event, on the caller's stack until done. */
struct job {
	audit_group_change_fn change;
	const void *arg;
	const char *actor, *action, *subject, *purpose, *detail;
	bool no_event; /* the benchmark's "auditing off" (OK_TEST_HOOKS): the change alone */
	int rc;
	struct ok_error err;
	bool done;
	struct job *next;
};

struct audit_group {
	struct depository dep; /* the writer's own */
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t work; /* a job queued, or stop */
	pthread_cond_t done; /* a batch's jobs are done */
	struct job *head, **tail;
	bool stop;
	unsigned long long commits, events;
	atomic_ullong key_failures; /* key files that could not be read again (kept the old) */
};

/* What a change may answer without spoiling the transaction: the job is refused, alone. */
static bool refusal(int rc)
{
	return rc == OK_EGONE || rc == OK_ENOTFOUND;
}

/*
 * The n jobs from first in one transaction on d. Returns 0 when it committed (each job's rc set:
 * 0, or its change's refusal), else the failure (no job's rc set), with *a_job_failed when a
 * job's own change or event failed (the others may commit without it), else the store's
 * trouble (begin or commit: every job would meet it again). *appended: the events.
 */
static int commit_jobs(struct audit_group *g, struct job *first, size_t n, size_t *appended,
                       bool *a_job_failed, struct ok_error *err)
{
	struct depository *d = &g->dep;
	struct audit_txn t;
	struct ok_error kerr;
	struct job *j;
	size_t i;
	int rc;

	*appended = 0;
	*a_job_failed = false;
	if ((rc = audit_txn_begin(d, &t, err)))
		return rc;
	/* After begin, before anything is signed: a checkpoint falling on these events is signed
	 * with the current issuer key, also after a rotation by another process (one stat(2) of
	 * each key file when nothing changed; a failed read keeps the keys it had). */
	ok_error_clear(&kerr);
	if (depository_keys_refresh(d, &kerr))
		atomic_fetch_add(&g->key_failures, 1);
	for (i = 0, j = first; i < n && !rc; i++, j = j->next) {
		ok_error_clear(&j->err);
		j->rc = j->change ? j->change(d, j->arg, &j->err) : 0;
		if (j->rc) {
			if (!refusal(j->rc)) {
				*err = j->err;
				rc = j->rc;
				*a_job_failed = true;
			}
			continue;
		}
		if (j->no_event)
			continue;
		rc = audit_txn_event(&t, j->actor, j->action, j->subject, j->purpose, j->detail,
		                     err);
		if (rc)
			*a_job_failed = true;
		else
			(*appended)++;
	}
	/* Committed here, the checkpoints filed by the writer once the views are answered. */
	if (!rc)
		rc = store_commit(d->store, err);
	if (rc) {
		store_rollback(d->store);
		*appended = 0;
	}
	return rc;
}

/* Sets every job's answer to the group's failure. */
static void fail_all(struct job *first, size_t n, int rc, const struct ok_error *err)
{
	struct job *j;
	size_t i;

	for (i = 0, j = first; i < n; i++, j = j->next) {
		j->rc = rc;
		j->err = *err;
	}
}

/*
 * The batch; when a job of it failed, each of its jobs alone, so that a failure is its own; when
 * the store failed (begin, commit), every job gets that failure at once.
 */
static size_t run_batch(struct audit_group *g, struct job *first, size_t n, size_t *commits)
{
	struct ok_error err;
	size_t appended = 0, one, i;
	bool a_job_failed;
	struct job *j;
	int rc;

	*commits = 0;
	ok_error_clear(&err);
	rc = commit_jobs(g, first, n, &appended, &a_job_failed, &err);
	if (!rc) {
		*commits = 1;
		return appended;
	}
	if (n == 1 || !a_job_failed) {
		fail_all(first, n, rc, &err);
		return 0;
	}
	for (i = 0, j = first; i < n; i++, j = j->next) {
		ok_error_clear(&err);
		if ((rc = commit_jobs(g, j, 1, &one, &a_job_failed, &err))) {
			j->rc = rc;
			j->err = err;
		} else {
			(*commits)++;
			appended += one;
		}
	}
	return appended;
}

static void *writer(void *arg)
{
	struct audit_group *g = arg;
	struct job *first, *j, *next;
	size_t n, appended, commits, i;

	pthread_mutex_lock(&g->lock);
	for (;;) {
		while (!g->head && !g->stop)
			pthread_cond_wait(&g->work, &g->lock);
		if (!g->head)
			break; /* stopping, and nothing left to commit */
		/* Everything queued meanwhile goes into this transaction, up to GROUP_MAX. */
		first = g->head;
		for (n = 1, j = first; n < GROUP_MAX && j->next; n++)
			j = j->next;
		g->head = j->next;
		if (!g->head)
			g->tail = &g->head;
		j->next = NULL;
		pthread_mutex_unlock(&g->lock);

		appended = run_batch(g, first, n, &commits);

		pthread_mutex_lock(&g->lock);
		g->commits += commits;
		g->events += appended;
		/* A job's memory is its caller's once done is seen: read next first. */
		for (i = 0, j = first; i < n; i++, j = next) {
			next = j->next;
			j->done = true;
		}
		pthread_cond_broadcast(&g->done);
		/* The checkpoints these events made are in the store already; the file (a lock
		 * and an fsync) is written after the views are answered, not while they wait. */
		if (g->dep.checkpoint_unfiled) {
			pthread_mutex_unlock(&g->lock);
			audit_checkpoints_flush(&g->dep, NULL);
			pthread_mutex_lock(&g->lock);
		}
	}
	pthread_mutex_unlock(&g->lock);
	return NULL;
}

int audit_group_start(struct audit_group **out, const char *dir, pthread_mutex_t *writer_lock,
                      struct ok_error *err)
{
	struct audit_group *g = calloc(1, sizeof(*g));
	int rc;

	*out = NULL;
	if (!g)
		return ok_fail(err, OK_ENOMEM, "out of memory");
	if ((rc = depository_open(&g->dep, dir, err))) {
		free(g);
		return rc;
	}
	if (writer_lock)
		store_set_writer_lock(g->dep.store, writer_lock);
	g->tail = &g->head;
	pthread_mutex_init(&g->lock, NULL);
	pthread_cond_init(&g->work, NULL);
	pthread_cond_init(&g->done, NULL);
	if (pthread_create(&g->thread, NULL, writer, g) != 0) {
		pthread_cond_destroy(&g->done);
		pthread_cond_destroy(&g->work);
		pthread_mutex_destroy(&g->lock);
		depository_close(&g->dep);
		free(g);
		return ok_fail(err, OK_ENOMEM, "cannot start the audit writer's thread");
	}
	/* A name that top, perf and bench/audit find it by (its CPU time per view); a failure
	 * costs nothing but the name. */
	(void)pthread_setname_np(g->thread, "oorkonde-audit");
	*out = g;
	return 0;
}

void audit_group_stop(struct audit_group *g)
{
	if (!g)
		return;
	pthread_mutex_lock(&g->lock);
	g->stop = true;
	pthread_cond_signal(&g->work);
	pthread_mutex_unlock(&g->lock);
	pthread_join(g->thread, NULL);
	pthread_cond_destroy(&g->done);
	pthread_cond_destroy(&g->work);
	pthread_mutex_destroy(&g->lock);
	depository_close(&g->dep);
	free(g);
}

/* The change and the event in a transaction of d's own (or the caller's open one). */
static int append_alone(struct depository *d, audit_group_change_fn change, const void *arg,
                        const char *actor, const char *action, const char *subject,
                        const char *purpose, const char *detail, struct ok_error *err)
{
	struct audit_txn t;
	int rc;

	if ((rc = audit_txn_begin(d, &t, err)))
		return rc;
	rc = change ? change(d, arg, err) : 0;
	if (!rc)
		rc = audit_txn_event(&t, actor, action, subject, purpose, detail, err);
	return audit_txn_end(&t, rc, err);
}

int audit_group_append(struct depository *d, audit_group_change_fn change, const void *arg,
                       const char *actor, const char *action, const char *subject,
                       const char *purpose, const char *detail, struct ok_error *err)
{
	struct audit_group *g = d->audit_group;
	struct job j = {.change = change,
	                .arg = arg,
	                .actor = actor,
	                .action = action,
	                .subject = subject,
	                .purpose = purpose,
	                .detail = detail};
	bool alone = !g || store_in_transaction(d->store);

#ifdef OK_TEST_HOOKS
	/* The benchmark's "auditing off" measures the same server without events: the changes
	 * still go through the writer, so that the difference is what the events cost. */
	j.no_event = d->bench_audit_off;
#endif
	if (alone)
		return append_alone(d, change, arg, actor, action, subject, purpose, detail, err);
	pthread_mutex_lock(&g->lock);
	if (g->stop) {
		pthread_mutex_unlock(&g->lock);
		return append_alone(d, change, arg, actor, action, subject, purpose, detail, err);
	}
	*g->tail = &j;
	g->tail = &j.next;
	pthread_cond_signal(&g->work);
	while (!j.done)
		pthread_cond_wait(&g->done, &g->lock);
	pthread_mutex_unlock(&g->lock);
	if (j.rc && err)
		*err = j.err;
	return j.rc;
}

void audit_group_counts(struct audit_group *g, unsigned long long *commits,
                        unsigned long long *events, unsigned long long *key_failures)
{
	*key_failures = atomic_load(&g->key_failures);
	pthread_mutex_lock(&g->lock);
	*commits = g->commits;
	*events = g->events;
	pthread_mutex_unlock(&g->lock);
}
