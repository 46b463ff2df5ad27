/* The audit chain walk (see audit_log.h). */
#include "registry/audit_log.h"

#include <stdio.h>
#include <string.h>

struct walk {
	struct audit_check *r;
	int64_t prev_seq;
	unsigned char prev_hash[AUDIT_HASH_BYTES];
};

/* Stops at the first event that breaks the chain (returns 1 to end the listing). */
static int check_event(void *ctx, const struct audit_event *e)
{
	struct walk *w = ctx;
	unsigned char h[AUDIT_HASH_BYTES];

	w->r->events++;
	if (e->seq != w->prev_seq + 1) {
		snprintf(w->r->why, sizeof(w->r->why), "event %lld follows event %lld: %s",
		         (long long)e->seq, (long long)w->prev_seq,
		         e->seq > w->prev_seq ? "events are missing" : "events are out of order");
		goto broken;
	}
	if (memcmp(e->prev_hash, w->prev_hash, AUDIT_HASH_BYTES) != 0) {
		snprintf(w->r->why, sizeof(w->r->why),
		         "event %lld does not link to the event before it (removed, reordered or "
		         "altered before it)",
		         (long long)e->seq);
		goto broken;
	}
	audit_event_hash(e, h);
	if (memcmp(h, e->hash, AUDIT_HASH_BYTES) != 0) {
		snprintf(w->r->why, sizeof(w->r->why), "event %lld was altered", (long long)e->seq);
		goto broken;
	}
	w->prev_seq = e->seq;
	memcpy(w->prev_hash, e->hash, AUDIT_HASH_BYTES);
	return 0;
broken:
	w->r->intact = false;
	w->r->broken_seq = e->seq;
	return 1;
}

int registry_audit_verify(struct depository *d, struct audit_check *r, struct ok_error *err)
{
	struct walk w;
	int rc;

	memset(r, 0, sizeof(*r));
	memset(&w, 0, sizeof(w));
	r->intact = true;
	w.r = r;
	rc = d->store->ops->audit_list(d->store, 0, check_event, &w, err);
	return rc == 1 ? 0 : rc;
}

int registry_audit_list(struct depository *d, int64_t after, store_audit_fn fn, void *ctx,
                        struct ok_error *err)
{
	return d->store->ops->audit_list(d->store, after, fn, ctx, err);
}
