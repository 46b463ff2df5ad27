/* Per-client rate limiting for public routes: a token bucket per client address in a fixed-size
 * table (a client that collides with another shares its bucket, which errs on the strict side). */
#ifndef OK_HTTP_RATELIMIT_H
#define OK_HTTP_RATELIMIT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

struct sockaddr;

#define RATELIMIT_SLOTS 4096

struct ratelimit {
	pthread_mutex_t lock;
	double per_second;
	double burst;
	struct {
		unsigned long long key;
		double tokens;
		double updated;
	} slot[RATELIMIT_SLOTS];
};

/* per_minute 0 turns limiting off. */
void ratelimit_init(struct ratelimit *r, unsigned per_minute);
void ratelimit_release(struct ratelimit *r);
/* True when the client may go on; otherwise *retry_after gets the seconds to wait. */
bool ratelimit_allow(struct ratelimit *r, const char *client, unsigned *retry_after);
/* Like ratelimit_allow, but takes nothing unless take is set: for limits that count only the
 * requests that succeed, charged afterwards with ratelimit_charge. */
bool ratelimit_check(struct ratelimit *r, const char *client, bool take, unsigned *retry_after);
void ratelimit_charge(struct ratelimit *r, const char *client);
/* The key of a client address for the limits per address: an IPv4 address as it is (also when a
 * dual-stack listener sees it as ::ffff:a.b.c.d), an IPv6 address by its /64, which one
 * subscriber holds whole and could otherwise rotate through; "unknown" without one. */
void ratelimit_client_key(const struct sockaddr *sa, char *out, size_t cap);

#endif
