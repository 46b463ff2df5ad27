/* Token buckets per client address (see ratelimit.h). */
#include "http/ratelimit.h"

#include <math.h>
#include <string.h>
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

bool ratelimit_allow(struct ratelimit *r, const char *client, unsigned *retry_after)
{
	unsigned long long key;
	struct timespec ts;
	double now;
	size_t i;
	bool ok;

	if (r->per_second <= 0)
		return true;
	key = hash_client(client);
	i = (size_t)(key % RATELIMIT_SLOTS);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
	pthread_mutex_lock(&r->lock);
	if (r->slot[i].key == 0) {
		r->slot[i].key = key;
		r->slot[i].tokens = r->burst;
		r->slot[i].updated = now;
	}
	r->slot[i].tokens += (now - r->slot[i].updated) * r->per_second;
	if (r->slot[i].tokens > r->burst)
		r->slot[i].tokens = r->burst;
	r->slot[i].updated = now;
	ok = r->slot[i].tokens >= 1;
	if (ok)
		r->slot[i].tokens -= 1;
	else
		*retry_after = (unsigned)ceil((1 - r->slot[i].tokens) / r->per_second);
	pthread_mutex_unlock(&r->lock);
	return ok;
}
