/* Token buckets per client key in a keyed map, and their counts shared through the store (see
 * ratelimit.h). */
#include "http/ratelimit.h"

#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "privacy/seal.h"
#include "store/ratelimit.h"

_Static_assert(sizeof(((struct ratelimit *)0)->hash_key) == crypto_shorthash_KEYBYTES,
               "the map's hash key is crypto_shorthash's");

/* Slots a flush takes at a time: the lock is held for copying them only. */
#define FLUSH_CHUNK 32

int ratelimit_init(struct ratelimit *r, unsigned per_minute)
{
	memset(r, 0, sizeof(*r));
	pthread_mutex_init(&r->lock, NULL);
	r->per_second = per_minute / 60.0;
	r->per_minute = per_minute;
	r->burst = per_minute > 10 ? per_minute / 6.0 : per_minute; /* ten seconds' worth */
	r->over.tokens = r->burst;
	randombytes_buf(r->hash_key, sizeof(r->hash_key));
	if (per_minute == 0)
		return 0;
	r->slot = calloc(RATELIMIT_SLOTS, sizeof(*r->slot));
	if (!r->slot) {
		/* Off rather than unbounded: the caller refuses to serve. */
		r->per_second = 0;
		return OK_ENOMEM;
	}
	return 0;
}

void ratelimit_share(struct ratelimit *r, const char *name)
{
	/* A cut name would still be one limit's: a short word and a number of at most 10
	 * digits fit. */
	if (r->per_minute > 0 && r->slot)
		snprintf(r->scope, sizeof(r->scope), "%.16s/%u", name, r->per_minute);
}

void ratelimit_release(struct ratelimit *r)
{
	/* The keys are session ids and share links too. */
	if (r->slot)
		sodium_memzero(r->slot, RATELIMIT_SLOTS * sizeof(*r->slot));
	free(r->slot);
	r->slot = NULL;
	sodium_memzero(r->hash_key, sizeof(r->hash_key));
	pthread_mutex_destroy(&r->lock);
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

/* A client near its limit over all servers this minute: its total is worth reading back at
 * every flush, and its slot is not given away. */
static bool near_limit(const struct ratelimit *r, const struct ratelimit_slot *sl, int64_t minute)
{
	return sl->minute == minute &&
	       2 * (sl->total + (int64_t)sl->pending) >= (int64_t)r->per_minute;
}

/* A slot whose client would lose nothing by starting over: a full bucket, nothing pending. */
static bool idle(const struct ratelimit *r, const struct ratelimit_slot *sl, double now,
                 int64_t minute)
{
	return sl->pending == 0 && sl->tokens + (now - sl->updated) * r->per_second >= r->burst &&
	       !(ratelimit_shared(r) && near_limit(r, sl, minute));
}

static bool same_key(const struct ratelimit_slot *sl, const char *key, size_t len)
{
	return memcmp(sl->key, key, len) == 0 && sl->key[len] == '\0';
}

/* The client's slot, taken for it if new (the overflow bucket when the map has no room near its
 * hash), refilled to now, its shared counts moved to this minute; r->lock held. */
static struct ratelimit_slot *bucket(struct ratelimit *r, const char *client)
{
	unsigned char h[crypto_shorthash_BYTES];
	double now = monotonic_now();
	int64_t minute = current_minute(NULL);
	struct ratelimit_slot *sl = NULL, *empty = NULL, *spare = NULL;
	size_t len, start, p;
	uint64_t v = 0;

	/* No key is the empty word, which marks an empty slot. */
	if (!client[0])
		client = "-";
	len = strnlen(client, RATELIMIT_KEY_MAX - 1);
	crypto_shorthash(h, (const unsigned char *)client, len, r->hash_key);
	for (p = 0; p < sizeof(h); p++)
		v = v << 8 | h[p];
	start = (size_t)(v % RATELIMIT_SLOTS);
	for (p = 0; p < RATELIMIT_PROBES && !sl; p++) {
		struct ratelimit_slot *c = &r->slot[(start + p) % RATELIMIT_SLOTS];

		if (!c->key[0]) {
			if (!empty)
				empty = c;
		} else if (same_key(c, client, len)) {
			sl = c;
		} else if (!spare && idle(r, c, now, minute)) {
			spare = c;
		}
	}
	if (!sl && (empty || spare)) {
		/* Nothing of the slot's last client carries over. */
		sl = empty ? empty : spare;
		memset(sl, 0, sizeof(*sl));
		memcpy(sl->key, client, len);
		sl->tokens = r->burst;
		sl->updated = now;
		sl->minute = minute;
	}
	if (!sl)
		sl = &r->over;
	if (sl->minute != minute) {
		sl->minute = minute;
		sl->pending = 0;
		sl->total = 0;
	}
	sl->tokens += (now - sl->updated) * r->per_second;
	if (sl->tokens > r->burst)
		sl->tokens = r->burst;
	sl->updated = now;
	return sl;
}

/* A request counted for the store; r->lock held. The overflow bucket is not told: its clients
 * have no key in common. */
static void count_pending(struct ratelimit *r, struct ratelimit_slot *sl)
{
	if (!ratelimit_shared(r) || sl == &r->over)
		return;
	sl->pending++;
	if (near_limit(r, sl, sl->minute))
		r->urgent = true;
}

bool ratelimit_check(struct ratelimit *r, const char *client, bool take, unsigned *retry_after)
{
	struct ratelimit_slot *sl;
	bool ok;

	if (r->per_second <= 0)
		return true;
	pthread_mutex_lock(&r->lock);
	sl = bucket(r, client);
	ok = sl->tokens >= 1;
	if (ok && take)
		sl->tokens -= 1;
	else if (!ok)
		*retry_after = (unsigned)ceil((1 - sl->tokens) / r->per_second);
	/* All servers together: this request would take the client's minute over the limit. */
	if (ok && ratelimit_shared(r) &&
	    sl->total + (int64_t)sl->pending + 1 > (int64_t)r->per_minute) {
		if (take)
			sl->tokens += 1;
		ok = false;
		current_minute(retry_after);
	}
	if (ok && take)
		count_pending(r, sl);
	pthread_mutex_unlock(&r->lock);
	return ok;
}

void ratelimit_charge(struct ratelimit *r, const char *client)
{
	struct ratelimit_slot *sl;

	if (r->per_second <= 0)
		return;
	pthread_mutex_lock(&r->lock);
	sl = bucket(r, client);
	/* Requests let through at once may take it below zero; the wait then grows to match. */
	if (sl->tokens > -r->burst)
		sl->tokens -= 1;
	count_pending(r, sl);
	pthread_mutex_unlock(&r->lock);
}

bool ratelimit_flush_urgent(struct ratelimit *r)
{
	bool urgent;

	if (!ratelimit_shared(r))
		return false;
	pthread_mutex_lock(&r->lock);
	urgent = r->urgent;
	pthread_mutex_unlock(&r->lock);
	return urgent;
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

/* A client's counts taken out of the map for one addition to the store. */
struct flush_entry {
	size_t slot;
	char key[RATELIMIT_KEY_MAX];
	int64_t minute;
	unsigned count;
};

/* Gives counts that did not reach the store back to their clients, if their slots are still
 * theirs, in the same minute; r->lock held. */
static void give_back(struct ratelimit *r, const struct flush_entry *e, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		struct ratelimit_slot *sl = &r->slot[e[i].slot];

		if (same_key(sl, e[i].key, strlen(e[i].key)) && sl->minute == e[i].minute)
			sl->pending += e[i].count;
	}
}

int ratelimit_flush(struct ratelimit *r, struct store *s, const struct seal_keys *keys,
                    struct ok_error *err)
{
	struct flush_entry e[FLUSH_CHUNK];
	unsigned char hash[STORE_HASH_BYTES];
	int64_t minute = current_minute(NULL), prune = 0, total;
	size_t next = 0, n, i;
	int rc = 0;

	if (!ratelimit_shared(r) || r->per_second <= 0)
		return 0;
	pthread_mutex_lock(&r->lock);
	r->urgent = false;
	if (r->pruned_minute < minute)
		prune = r->pruned_minute = minute;
	pthread_mutex_unlock(&r->lock);
	while (next < RATELIMIT_SLOTS && !rc) {
		/* Take a chunk's counts; requests that come meanwhile count for the next flush. */
		pthread_mutex_lock(&r->lock);
		for (n = 0; next < RATELIMIT_SLOTS && n < FLUSH_CHUNK; next++) {
			struct ratelimit_slot *sl = &r->slot[next];

			if (!sl->key[0] || sl->minute != minute ||
			    (sl->pending == 0 && !near_limit(r, sl, minute)))
				continue;
			e[n].slot = next;
			memcpy(e[n].key, sl->key, sizeof(e[n].key));
			e[n].minute = minute;
			e[n].count = sl->pending;
			sl->pending = 0;
			n++;
		}
		pthread_mutex_unlock(&r->lock);
		for (i = 0; i < n; i++) {
			client_hash(keys, r->scope, e[i].key, hash);
			rc = store_ratelimit_add(s, r->scope, hash, minute, e[i].count, &total,
			                         err);
			pthread_mutex_lock(&r->lock);
			if (rc) {
				give_back(r, e + i, n - i);
				pthread_mutex_unlock(&r->lock);
				break;
			}
			{
				struct ratelimit_slot *sl = &r->slot[e[i].slot];

				if (same_key(sl, e[i].key, strlen(e[i].key)) &&
				    sl->minute == minute && total > sl->total)
					sl->total = total;
				if (near_limit(r, sl, minute) && sl->pending)
					r->urgent = true;
			}
			pthread_mutex_unlock(&r->lock);
		}
	}
	sodium_memzero(hash, sizeof(hash));
	/* Once a minute per process and limit: the minutes before the last one are no longer
	 * needed. A failed pruning is caught up the next minute. */
	if (!rc && prune) {
		struct ok_error ignored;

		(void)store_ratelimit_prune(s, prune - 1, &ignored);
	} else if (rc && prune) {
		pthread_mutex_lock(&r->lock);
		r->pruned_minute = prune - 1;
		pthread_mutex_unlock(&r->lock);
	}
	return rc;
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

void ratelimit_network_key(const char *client, char *out, size_t cap)
{
	char addr[INET6_ADDRSTRLEN + 4];
	unsigned char a[16];
	size_t n = client ? strlen(client) : 0;

	snprintf(out, cap, "unknown");
	if (!n || n >= sizeof(addr))
		return;
	memcpy(addr, client, n + 1);
	if (inet_pton(AF_INET, addr, a) == 1) {
		a[3] = 0;
		if (inet_ntop(AF_INET, a, out, (socklen_t)cap) && strlen(out) + 4 < cap)
			strcat(out, "/24");
		else
			snprintf(out, cap, "unknown");
		return;
	}
	if (n > 3 && !strcmp(addr + n - 3, "/64"))
		addr[n - 3] = '\0';
	if (inet_pton(AF_INET6, addr, a) == 1) {
		/* 6to4 (2002::/16) carries an IPv4 address in its next 32 bits, each with a /48 of
		 * its own: its network is that address's /24, as when it comes over IPv4. */
		if (a[0] == 0x20 && a[1] == 0x02) {
			unsigned char v4[4] = {a[2], a[3], a[4], 0};
			if (inet_ntop(AF_INET, v4, out, (socklen_t)cap) && strlen(out) + 4 < cap)
				strcat(out, "/24");
			else
				snprintf(out, cap, "unknown");
			return;
		}
		memset(a + 6, 0, sizeof(a) - 6);
		if (inet_ntop(AF_INET6, a, out, (socklen_t)cap) && strlen(out) + 4 < cap)
			strcat(out, "/48");
		else
			snprintf(out, cap, "unknown");
	}
}

bool ratelimit_allow(struct ratelimit *r, const char *client, unsigned *retry_after)
{
	return ratelimit_check(r, client, true, retry_after);
}
