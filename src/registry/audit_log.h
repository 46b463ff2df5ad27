/* Reading the audit log back: walking the hash chain to find the first event that was altered,
 * removed or reordered, and listing events for the operator. */
#ifndef OK_REGISTRY_AUDIT_LOG_H
#define OK_REGISTRY_AUDIT_LOG_H

#include "registry/depository.h"

struct audit_check {
	int64_t events; /* events read */
	bool intact;
	int64_t broken_seq; /* the first event that does not fit the chain, when !intact */
	char why[160];
};

/* Walks the whole chain. Returns 0 when the walk could be done (see r->intact). */
int registry_audit_verify(struct depository *d, struct audit_check *r, struct ok_error *err);

/* Lists events with seq > after; fn as in store.h. */
int registry_audit_list(struct depository *d, int64_t after, store_audit_fn fn, void *ctx,
                        struct ok_error *err);

#endif
