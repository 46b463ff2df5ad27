/* Changes and their audit events in one transaction: every use case that changes the store or
 * reads personal data goes through this, so that a change is never committed without its event
 * nor an event without its change, and events are appended after the chain head in the order
 * they happened.
 *
 *     struct audit_txn t;
 *     if ((rc = audit_txn_begin(d, &t, err)))
 *             return rc;
 *     rc = …change…;
 *     if (!rc)
 *             rc = audit_txn_event(&t, actor, "thing.change", id, purpose, detail, err);
 *     return audit_txn_end(&t, rc, err);
 *
 * Invariants: a transaction already open on d's store (the caller's) is joined: audit_txn_end
 * then neither commits nor rolls back, its owner does. Every appended event may sign a
 * checkpoint (audit/checkpoint.h) in the same transaction; checkpoints are filed once their
 * transaction has committed.
 */
#ifndef OK_AUDIT_TXN_H
#define OK_AUDIT_TXN_H

#include <stdbool.h>

#include "audit/actor.h"
#include "depository/depository.h"

struct audit_txn {
	struct depository *d;
	bool own; /* this txn began the store transaction (else it joined the caller's) */
};

/* Begins a transaction on d's store, or joins the one open. */
int audit_txn_begin(struct depository *d, struct audit_txn *t, struct ok_error *err);

/* Appends one event (actor: actor.h's text) after the chain head, inside t. */
int audit_txn_event(struct audit_txn *t, const char *actor, const char *action, const char *subject,
                    const char *purpose, const char *detail, struct ok_error *err);

/*
 * Ends t: when rc is 0 commits (when t began the transaction) and returns the commit's result;
 * else rolls back (likewise) and returns rc. Then files the checkpoints that committed.
 */
int audit_txn_end(struct audit_txn *t, int rc, struct ok_error *err);
/* Ends t with nothing kept (a dry run, an abandoned batch): rolls back when t began it. */
void audit_txn_abort(struct audit_txn *t);

/* One event in a transaction of its own (joining one that is open): a read of personal data
 * that changes nothing else. */
int audit_record(struct depository *d, const char *actor, const char *action, const char *subject,
                 const char *purpose, const char *detail, struct ok_error *err);

#endif
