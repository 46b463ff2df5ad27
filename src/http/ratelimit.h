/* Per-client rate limiting for public routes: a token bucket per client address in a fixed-size
 * table (a client that collides with another shares its bucket, which errs on the strict side).
 *
 * A limit may also be shared by the servers on one database (ratelimit_share): the bucket stays
 * the fast path, and each server adds its clients' counts to the store's minute windows
 * (store/ratelimit.h) at most once a second a client, and at every request once the client's
 * total nears the limit, reading back the total over all servers; a client whose total for the
 * minute is over the limit is refused by every server until the minute ends. What a server
 * admits between two of its additions is what the others may miss: at most one second of one
 * server's bucket (burst + a second's rate) for each other server. The store holds only a keyed
 * hash of the client (under the data key). When the store refuses (a read-only replica) or
 * fails, the limiter goes on with its own counts for ten seconds and then tries again: a request
 * is never refused because counting failed. */
#ifndef OK_HTTP_RATELIMIT_H
#define OK_HTTP_RATELIMIT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/ratelimit.h"

struct sockaddr;
struct seal_keys;

#define RATELIMIT_SLOTS 4096

struct ratelimit {
	pthread_mutex_t lock;
	double per_second;
	double burst;
	unsigned per_minute;
	/* Shared limits only (scope set by ratelimit_share): */
	char scope[STORE_RATELIMIT_SCOPE_MAX]; /* the limit in the store; "": this process alone */
	int64_t pruned_minute; /* the last minute whose predecessors this process deleted */
	double local_until;    /* after a failed addition: own counts only until then */
	struct {
		unsigned long long key;
		double tokens;
		double updated;
		int64_t minute;   /* the window pending and total count in */
		unsigned pending; /* requests counted here and not yet added to the store */
		int64_t total;    /* the client's total over all servers at the last addition */
		double synced;    /* when pending was last added */
	} slot[RATELIMIT_SLOTS];
};

/* per_minute 0 turns limiting off. */
void ratelimit_init(struct ratelimit *r, unsigned per_minute);
void ratelimit_release(struct ratelimit *r);
/* Shares the limit with the other servers on the store (name: a short word, one per limit).
 * Servers count together only under the same limit: the name in the store carries the limit
 * per minute, so that while a changed configuration rolls out old and new count apart. Call
 * after ratelimit_init, before the limiter is used; a limit that is off stays unshared. */
void ratelimit_share(struct ratelimit *r, const char *name);
/* True when the client may go on; otherwise *retry_after gets the seconds to wait. */
bool ratelimit_allow(struct ratelimit *r, const char *client, unsigned *retry_after);
/* Like ratelimit_allow, but takes nothing unless take is set: for limits that count only the
 * requests that succeed, charged afterwards with ratelimit_charge. */
bool ratelimit_check(struct ratelimit *r, const char *client, bool take, unsigned *retry_after);
void ratelimit_charge(struct ratelimit *r, const char *client);
/* A shared limit: whether the client's counts are due to go to the store (a second since the
 * last addition, or its total near the limit). */
bool ratelimit_sync_due(struct ratelimit *r, const char *client);
/* Adds the client's pending counts to the store (s: a connection with no transaction open;
 * keys: the depository's, for the client's hash) and takes back its total over all servers.
 * Returns false when that total is over the limit (*retry_after: the seconds to the minute's
 * end), true otherwise, also when the store failed (then own counts only for a while). */
bool ratelimit_sync(struct ratelimit *r, const char *client, struct store *s,
                    const struct seal_keys *keys, unsigned *retry_after);
/* The key of a client address for the limits per address: an IPv4 address as it is (also when a
 * dual-stack listener sees it as ::ffff:a.b.c.d), an IPv6 address by its /64, which one
 * subscriber holds whole and could otherwise rotate through; "unknown" without one. */
void ratelimit_client_key(const struct sockaddr *sa, char *out, size_t cap);

#endif
