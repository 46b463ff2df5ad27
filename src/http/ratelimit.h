/* Per-client rate limiting for public routes: a token bucket per client key in a map of fixed
 * size.
 *
 * The map: a client's slot is found by a keyed hash (crypto_shorthash under a random key of
 * each limiter, so no one outside can aim at another's slot) among RATELIMIT_PROBES slots, and
 * its key is compared, so one client never spends another's tokens or counts. A new client
 * takes an empty slot there, or else an idle one (bucket full again, nothing to tell the
 * store, not near the limit), whose state is dropped. When none of those can be had, the
 * client shares one overflow bucket, held to one client's limit, with every other client in
 * that position: a flood of fresh addresses can neither push everyone else out nor get more
 * than one client's worth.
 *
 * A limit may also be shared by the servers on one database (ratelimit_share). The bucket stays
 * the fast path, and a request never touches the store: it reads the client's total over all
 * servers as last known and adds to its pending count. ratelimit_flush, run by one background
 * thread per server (ratelimit_flusher.h) once a second, and sooner when a client nears its
 * limit, adds the pending counts to the store's minute windows (store/ratelimit.h) and reads
 * back the totals; a client whose total for the minute is over the limit is refused by every
 * server until the minute ends. What a server admits between two flushes is what the others
 * may miss. The store holds only a keyed hash of the client (under the data key). When the
 * store refuses (a read-only replica) or fails, the counts of that flush go back to pending
 * and the next flush tries again: meanwhile each server counts alone, and a request is never
 * refused, nor held up, because counting failed. */
#ifndef OK_HTTP_RATELIMIT_H
#define OK_HTTP_RATELIMIT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/ratelimit.h"

struct sockaddr;
struct seal_keys;

#define RATELIMIT_SLOTS  4096
#define RATELIMIT_PROBES 8
/* A key with its NUL: an address, a session id, a link, a link and an address. A longer key
 * is cut, which at most counts such clients together. */
#define RATELIMIT_KEY_MAX 192

struct ratelimit_slot {
	char key[RATELIMIT_KEY_MAX]; /* "": empty */
	double tokens;
	double updated;
	int64_t minute;   /* the window pending and total count in */
	unsigned pending; /* requests counted here and not yet added to the store */
	int64_t total;    /* the client's total over all servers at the last flush */
};

struct ratelimit {
	pthread_mutex_t lock;
	double per_second;
	double burst;
	unsigned per_minute;
	unsigned char hash_key[16];  /* crypto_shorthash's, random */
	struct ratelimit_slot *slot; /* RATELIMIT_SLOTS, owned; NULL when off */
	struct ratelimit_slot over;  /* the overflow bucket (never shared) */
	/* Shared limits only (scope set by ratelimit_share): */
	char scope[STORE_RATELIMIT_SCOPE_MAX]; /* the limit in the store; "": this process alone */
	int64_t pruned_minute; /* the last minute whose predecessors this process deleted */
	bool urgent;           /* a client is near its limit: flush soon */
};

/* per_minute 0 turns limiting off. Returns 0 or OK_ENOMEM; release even after a failure. */
int ratelimit_init(struct ratelimit *r, unsigned per_minute);
void ratelimit_release(struct ratelimit *r);
/* Shares the limit with the other servers on the store (name: a short word, one per limit).
 * Servers count together only under the same limit: the name in the store carries the limit
 * per minute, so that while a changed configuration rolls out old and new count apart. Call
 * after ratelimit_init, before the limiter is used; a limit that is off stays unshared. */
void ratelimit_share(struct ratelimit *r, const char *name);
static inline bool ratelimit_shared(const struct ratelimit *r)
{
	return r->scope[0] != '\0';
}
/* True when the client may go on; otherwise *retry_after gets the seconds to wait. */
bool ratelimit_allow(struct ratelimit *r, const char *client, unsigned *retry_after);
/* Like ratelimit_allow, but takes nothing unless take is set: for limits that count only the
 * requests that succeed, charged afterwards with ratelimit_charge. */
bool ratelimit_check(struct ratelimit *r, const char *client, bool take, unsigned *retry_after);
void ratelimit_charge(struct ratelimit *r, const char *client);

/* Flushing a shared limit (one caller at a time: the server's flusher thread). */

/* Whether a client neared its limit since the last flush. */
bool ratelimit_flush_urgent(struct ratelimit *r);
/* Adds every client's pending counts to the store (s: a connection with no transaction open,
 * used by no other thread meanwhile; keys: the depository's, for the clients' hashes) and takes
 * back their totals over all servers; also reads back the totals of clients near the limit.
 * Requests go on meanwhile. On a store failure the counts not added go back to pending and
 * the store's code is returned (err filled); 0 otherwise. */
int ratelimit_flush(struct ratelimit *r, struct store *s, const struct seal_keys *keys,
                    struct ok_error *err);

/* The key of a client address for the limits per address: an IPv4 address as it is (also when a
 * dual-stack listener sees it as ::ffff:a.b.c.d), an IPv6 address by its /64, which one
 * subscriber holds whole and could otherwise rotate through; "unknown" without one. */
void ratelimit_client_key(const struct sockaddr *sa, char *out, size_t cap);

/* The key of the network a client key (ratelimit_client_key's) lies in, for the bounds per
 * network: an IPv4 address's /24 ("192.0.2.0/24"), an IPv6 one's /48 ("2001:db8:1::/48", one
 * site or customer, who may hold 65,536 /64s), but a 6to4 address's (2002::/16) by the /24 of
 * the IPv4 address it carries; "unknown" for anything else. */
void ratelimit_network_key(const char *client, char *out, size_t cap);

#endif
