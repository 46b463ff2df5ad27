/* Token buckets per client address (see ratelimit.h). */
#include "http/ratelimit.h"

#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

void ratelimit_init(struct ratelimit *r, unsigned per_minute)
{
	memset(r, 0, sizeof(*r));
	pthread_mutex_init(&r->lock, NULL);
	r->per_second = per_minute / 60.0;
	r->burst = per_minute > 10 ? per_minute / 6.0 : per_minute; /* ten seconds' worth */
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

/* The client's bucket, refilled to now; r->lock held. */
static size_t bucket(struct ratelimit *r, const char *client)
{
	unsigned long long key = hash_client(client);
	size_t i = (size_t)(key % RATELIMIT_SLOTS);
	struct timespec ts;
	double now;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
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
	pthread_mutex_unlock(&r->lock);
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
