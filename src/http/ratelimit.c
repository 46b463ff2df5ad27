/* Token buckets per client address, and their counts shared through the store (see
 * ratelimit.h). */
#include "http/ratelimit.h"

#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "privacy/seal.h"
#include "store/ratelimit.h"

/* How long a shared limit counts on its own after the store failed, in seconds. */
#define LOCAL_AFTER_FAILURE 10.0

void ratelimit_init(struct ratelimit *r, unsigned per_minute)
{
	memset(r, 0, sizeof(*r));
	pthread_mutex_init(&r->lock, NULL);
	r->per_second = per_minute / 60.0;
	r->per_minute = per_minute;
	r->burst = per_minute > 10 ? per_minute / 6.0 : per_minute; /* ten seconds' worth */
}

void ratelimit_share(struct ratelimit *r, const char *name)
{
	/* A cut name would still be one limit's: a short word and a number of at most 10
	 * digits fit. */
	if (r->per_minute > 0)
		snprintf(r->scope, sizeof(r->scope), "%.16s/%u", name, r->per_minute);
}

void ratelimit_release(struct ratelimit *r)
{
	pthread_mutex_destroy(&r->lock);
}

static unsigned long long hash_client(const char *s)
{
	unsigned long long h = 1469598103934665603ull; /* FNV-1a */

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h | 1; /* 0 marks an empty slot */
}

static double monotonic_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The window of the shared counts: the minute of the wall clock, the same on every server (as
 * far as their clocks agree); *left the seconds to its end. */
static int64_t current_minute(unsigned *left)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	if (left)
		*left = (unsigned)(60 - ts.tv_sec % 60);
	return (int64_t)ts.tv_sec / 60;
}

/* The client's bucket, refilled to now, and its shared counts moved to this minute; r->lock
 * held. */
static size_t bucket(struct ratelimit *r, const char *client)
{
	unsigned long long key = hash_client(client);
	size_t i = (size_t)(key % RATELIMIT_SLOTS);
	double now = monotonic_now();
	int64_t minute = current_minute(NULL);

	if (r->slot[i].minute != minute) {
		r->slot[i].minute = minute;
		r->slot[i].pending = 0;
		r->slot[i].total = 0;
		r->slot[i].synced = 0;
	}
	if (r->slot[i].key == 0) {
		r->slot[i].key = key;
		r->slot[i].tokens = r->burst;
		r->slot[i].updated = now;
	}
	r->slot[i].tokens += (now - r->slot[i].updated) * r->per_second;
	if (r->slot[i].tokens > r->burst)
		r->slot[i].tokens = r->burst;
	r->slot[i].updated = now;
	return i;
}

bool ratelimit_check(struct ratelimit *r, const char *client, bool take, unsigned *retry_after)
{
	size_t i;
	bool ok;

	if (r->per_second <= 0)
		return true;
	pthread_mutex_lock(&r->lock);
	i = bucket(r, client);
	ok = r->slot[i].tokens >= 1;
	if (ok && take)
		r->slot[i].tokens -= 1;
	else if (!ok)
		*retry_after = (unsigned)ceil((1 - r->slot[i].tokens) / r->per_second);
	/* All servers together: this request would take the client's minute over the limit. */
	if (ok && r->scope[0] &&
	    r->slot[i].total + (int64_t)r->slot[i].pending + 1 > (int64_t)r->per_minute) {
		if (take)
			r->slot[i].tokens += 1;
		ok = false;
		current_minute(retry_after);
	}
	if (ok && take && r->scope[0])
		r->slot[i].pending++;
	pthread_mutex_unlock(&r->lock);
	return ok;
}

void ratelimit_charge(struct ratelimit *r, const char *client)
{
	size_t i;

	if (r->per_second <= 0)
		return;
	pthread_mutex_lock(&r->lock);
	i = bucket(r, client);
	/* Requests let through at once may take it below zero; the wait then grows to match. */
	if (r->slot[i].tokens > -r->burst)
		r->slot[i].tokens -= 1;
	if (r->scope[0])
		r->slot[i].pending++;
	pthread_mutex_unlock(&r->lock);
}

bool ratelimit_sync_due(struct ratelimit *r, const char *client)
{
	size_t i;
	bool due;
	double now;

	if (!r->scope[0] || r->per_second <= 0)
		return false;
	now = monotonic_now();
	pthread_mutex_lock(&r->lock);
	i = bucket(r, client);
	due = r->slot[i].pending > 0 && now >= r->local_until &&
	      (now - r->slot[i].synced >= 1.0 ||
	       2 * (r->slot[i].total + (int64_t)r->slot[i].pending) >= (int64_t)r->per_minute);
	pthread_mutex_unlock(&r->lock);
	return due;
}

/* The keyed hash that names a client (of one limit) in the store. */
static void client_hash(const struct seal_keys *keys, const char *scope, const char *client,
                        unsigned char out[STORE_HASH_BYTES])
{
	struct seal_digest d;

	seal_digest_init(&d, keys);
	seal_digest_add_str(&d, "oorkonde rate limit");
	seal_digest_add_str(&d, scope);
	seal_digest_add_str(&d, client);
	seal_digest_final(&d, out);
}

bool ratelimit_sync(struct ratelimit *r, const char *client, struct store *s,
                    const struct seal_keys *keys, unsigned *retry_after)
{
	unsigned char hash[STORE_HASH_BYTES];
	struct ok_error err;
	int64_t minute, total = 0, prune = 0;
	unsigned count, left;
	size_t i;
	int rc;

	if (!r->scope[0] || r->per_second <= 0)
		return true;
	/* Take the pending counts; those of requests that come meanwhile wait for the next. */
	pthread_mutex_lock(&r->lock);
	i = bucket(r, client);
	minute = r->slot[i].minute;
	count = r->slot[i].pending;
	r->slot[i].pending = 0;
	r->slot[i].synced = monotonic_now();
	if (r->pruned_minute < minute)
		prune = r->pruned_minute = minute;
	pthread_mutex_unlock(&r->lock);
	if (count == 0)
		return true;
	client_hash(keys, r->scope, client, hash);
	rc = store_ratelimit_add(s, r->scope, hash, minute, count, &total, &err);
	/* Once a minute per process and limit: the minutes before the last one are no longer
	 * needed. A failed pruning is tried again the next minute; the count above stands. */
	if (!rc && prune)
		(void)store_ratelimit_prune(s, prune - 1, &err);
	sodium_memzero(hash, sizeof(hash));
	pthread_mutex_lock(&r->lock);
	if (rc) {
		/* A replica refuses writes, a database may be away: count alone for a while. */
		r->local_until = monotonic_now() + LOCAL_AFTER_FAILURE;
		pthread_mutex_unlock(&r->lock);
		return true;
	}
	i = bucket(r, client);
	if (r->slot[i].minute == minute && total > r->slot[i].total)
		r->slot[i].total = total;
	pthread_mutex_unlock(&r->lock);
	if (minute == current_minute(&left) && total > (int64_t)r->per_minute) {
		*retry_after = left;
		return false;
	}
	return true;
}

void ratelimit_client_key(const struct sockaddr *sa, char *out, size_t cap)
{
	snprintf(out, cap, "unknown"); /* a short word; callers hold an address */
	if (sa && sa->sa_family == AF_INET) {
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, out,
		          (socklen_t)cap);
	} else if (sa && sa->sa_family == AF_INET6) {
		const struct in6_addr *a =
		        &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
		struct in6_addr prefix;

		if (IN6_IS_ADDR_V4MAPPED(a)) {
			inet_ntop(AF_INET, &a->s6_addr[12], out, (socklen_t)cap);
			return;
		}
		memset(&prefix, 0, sizeof(prefix));
		memcpy(prefix.s6_addr, a->s6_addr, 8);
		if (inet_ntop(AF_INET6, &prefix, out, (socklen_t)cap) && strlen(out) + 4 < cap)
			strcat(out, "/64");
	}
}

bool ratelimit_allow(struct ratelimit *r, const char *client, unsigned *retry_after)
{
	return ratelimit_check(r, client, true, retry_after);
}
