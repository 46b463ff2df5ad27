/* Many audit events appended at once (audit/txn_bulk.h). */
#include "audit/txn_bulk.h"
#include "audit/checkpoint.h"
#include "store/import.h"

int audit_txn_events(struct audit_txn *t, struct audit_event *e, size_t n, struct ok_error *err)
{
	struct depository *d = t->d;
	const struct store_import_ops *bulk = store_bulk(d->store);
	unsigned char head[AUDIT_HASH_BYTES];
	int64_t seq;
	size_t i;
	int rc;

#ifdef OK_TEST_HOOKS
	if (d->bench_audit_off)
		return 0;
#endif
	if (n == 0)
		return 0;
	if (!bulk || !bulk->audit_add) {
		for (i = 0, rc = 0; i < n && !rc; i++)
			rc = audit_txn_event(t, e[i].actor, e[i].action, e[i].subject, e[i].purpose,
			                     e[i].detail, err);
		return rc;
	}
	if ((rc = store_audit_head(d->store, &seq, head, err)))
		return rc;
	for (i = 0; i < n; i++)
		audit_event_link(&e[i], i ? e[i - 1].seq : seq, i ? e[i - 1].hash : head);
	if ((rc = bulk->audit_add(d->store, e, n, err)))
		return rc;
	/*
	 * The checkpoints audit_txn_event would sign: after_append signs an event at a multiple of
	 * the interval, or the first event after the interval changed (or a multiple passed with
	 * none kept). Once the first event is seen to, the latter holds for no later one (the last
	 * checkpoint then has the interval and lies before it), so the first and the multiples are
	 * all that need asking.
	 */
	for (i = 0; i < n && !rc; i++)
		if (i == 0 ||
		    (d->audit_checkpoint_every > 0 && e[i].seq % d->audit_checkpoint_every == 0))
			rc = audit_checkpoints_after_append(d, &e[i], err);
	return rc;
}
