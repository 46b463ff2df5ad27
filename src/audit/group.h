/* Group commit of audit events: a server's frequent public reads (share views) append their
 * events through one writer thread, which commits the events queued meanwhile together in one
 * transaction instead of one transaction per read.
 *
 * Invariants: audit_group_append returns only once its event (and its change) has committed,
 * or failed: a caller answers its client only after that, so a crash loses no event of an
 * answered read, only reads that were never answered (the same promise as a transaction of its
 * own). Events enter the one chain in the order the writer takes them, after the head of the
 * store as every other append does (the writer's transactions take the same writer lock as the
 * server's other write transactions). A batch that fails is tried again one job at a time, so
 * that one job's failure is its own.
 */
#ifndef OK_AUDIT_GROUP_H
#define OK_AUDIT_GROUP_H

#include <pthread.h>

#include "depository/depository.h"

/* A change committed with the event, on the writer's depository. It must leave nothing
 * changed when it fails (one conditional statement): the batch goes on without it. */
typedef int (*audit_group_change_fn)(struct depository *d, const void *arg, struct ok_error *err);

struct audit_group;

/* Life cycle */

/*
 * Starts the writer thread on a depository of its own, opened in dir; its write transactions
 * take writer_lock (NULL: none), the lock the caller's depositories share. *out owned, freed by
 * audit_group_stop.
 */
int audit_group_start(struct audit_group **out, const char *dir, pthread_mutex_t *writer_lock,
                      struct ok_error *err);
/* Commits what is queued, stops the thread and frees g (NULL: nothing). Appends after this
 * must not come: set the depositories' audit_group to NULL first. */
void audit_group_stop(struct audit_group *g);

/* Writing */

/*
 * Runs change(arg) (NULL: none) and, when it succeeds, appends one event, committed together:
 * through d->audit_group when set (waiting for the group commit), else in a transaction of its
 * own on d. Returns 0, the change's code (no event appended), or the store's.
 */
int audit_group_append(struct depository *d, audit_group_change_fn change, const void *arg,
                       const char *actor, const char *action, const char *subject,
                       const char *purpose, const char *detail, struct ok_error *err);

/* Transactions committed and events appended by the writer so far, and the times it could not
 * read the key files again (it kept the keys it had) (metrics, tests). */
void audit_group_counts(struct audit_group *g, unsigned long long *commits,
                        unsigned long long *events, unsigned long long *key_failures);

#endif
