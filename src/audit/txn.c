/* Changes and their audit events in one transaction (see txn.h). */
#include "audit/txn.h"

#include "audit/checkpoint.h"
#include "store/audit.h"

int audit_txn_begin(struct depository *d, struct audit_txn *t, struct ok_error *err)
{
	t->d = d;
	t->own = !store_in_transaction(d->store);
	return t->own ? store_begin(d->store, err) : 0;
}

int audit_txn_event(struct audit_txn *t, const char *actor, const char *action, const char *subject,
                    const char *purpose, const char *detail, struct ok_error *err)
{
	struct depository *d = t->d;
	struct audit_event e;
	unsigned char head[AUDIT_HASH_BYTES];
	int64_t seq;
	int rc;

#ifdef OK_TEST_HOOKS
	if (d->bench_audit_off)
		return 0;
#endif
	audit_event_init(&e, actor, action, subject, purpose, detail);
	if ((rc = store_audit_head(d->store, &seq, head, err)))
		return rc;
	audit_event_link(&e, seq, head);
	if ((rc = store_audit_insert(d->store, &e, err)))
		return rc;
	/* Every event comes here, so checkpoints come every N events whatever the path; the
	 * checkpoint is written in the same transaction as the event it signs. */
	return audit_checkpoints_after_append(d, &e, err);
}

int audit_txn_end(struct audit_txn *t, int rc, struct ok_error *err)
{
	struct depository *d = t->d;

	if (t->own) {
		if (!rc)
			rc = store_commit(d->store, err);
		if (rc)
			store_rollback(d->store);
		t->own = false;
	}
	/* Outside a transaction now (or still inside the caller's, where this does nothing):
	 * file the checkpoints that have committed. A failure leaves them waiting. */
	if (!rc)
		audit_checkpoints_flush(d, NULL);
	return rc;
}

void audit_txn_abort(struct audit_txn *t)
{
	if (t->own)
		store_rollback(t->d->store);
	t->own = false;
}

int audit_record(struct depository *d, const char *actor, const char *action, const char *subject,
                 const char *purpose, const char *detail, struct ok_error *err)
{
	struct audit_txn t;
	int rc;

#ifdef OK_TEST_HOOKS
	/* Not even a transaction: the benchmark measures what auditing costs. */
	if (d->bench_audit_off)
		return 0;
#endif
	if ((rc = audit_txn_begin(d, &t, err)))
		return rc;
	rc = audit_txn_event(&t, actor, action, subject, purpose, detail, err);
	return audit_txn_end(&t, rc, err);
}
