/* Many audit events appended at once inside an audit_txn (audit/txn.h), for bulk writers such as
 * an import that writes one event per learner of a batch: on a store with a bulk path
 * (store/import.h) one read of the chain head and one bulk load instead of a few round trips per
 * event. The chain, and the checkpoints signed in it, are exactly those audit_txn_event would
 * make for the same events in the same order. */
#ifndef OK_AUDIT_TXN_BULK_H
#define OK_AUDIT_TXN_BULK_H

#include "audit/txn.h"

/* Appends e[0..n) (made by audit_event_init; linked here, in place) after the chain head. */
int audit_txn_events(struct audit_txn *t, struct audit_event *e, size_t n, struct ok_error *err);

#endif
