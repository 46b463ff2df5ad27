/* The status list cache (see status_cache.h). */
#include "remote/status_cache.h"

#include <stdlib.h>
#include <string.h>

/* What the cache keeps of a list: who issued it, and its bits. */
struct list {
	char issuer[256];
	size_t nbytes;
	unsigned char bits[];
};

void remote_status_cache_init(struct remote_status_cache *c, long default_ttl_s,
                              struct remote_fetch_guard *guard)
{
	remote_ttl_cache_init(&c->lists, REMOTE_STATUS_CACHE_LISTS, REMOTE_STATUS_CACHE_BYTES);
	c->default_ttl_s = default_ttl_s;
	c->guard = guard;
}

void remote_status_cache_release(struct remote_status_cache *c)
{
	remote_ttl_cache_release(&c->lists);
	c->guard = NULL;
}

/* The bit asked for, of a list of the issuer asked for. */
struct bit_query {
	const char *issuer;
	int64_t index;
	struct ok_error *err;
};

static int bit_of(const unsigned char *bits, size_t nbytes, int64_t index, struct ok_error *err)
{
	if (index < 0 || (uint64_t)index >= (uint64_t)nbytes * 8)
		return ok_fail(err, OK_EINPUT, "statusListIndex %lld is past the end of the list",
		               (long long)index);
	return (bits[index / 8] >> (7 - index % 8)) & 1;
}

static int read_bit(void *ctx, const void *value, size_t size)
{
	const struct bit_query *q = ctx;
	const struct list *l = value;

	(void)size;
	/* Another issuer's list under the same URL is not this one. */
	if (strcmp(l->issuer, q->issuer) != 0)
		return OK_ENOTFOUND;
	return bit_of(l->bits, l->nbytes, q->index, q->err);
}

int remote_status_cache_bit(struct remote_status_cache *c, const char *url, const char *issuer,
                            int64_t index, struct ok_error *err)
{
	struct bit_query q = {issuer, index, err};

	return remote_ttl_cache_get(&c->lists, url, read_bit, &q);
}

void remote_status_cache_put(struct remote_status_cache *c, const char *url, const char *issuer,
                             unsigned char *bits, size_t nbytes, long ttl_s)
{
	struct list *l = NULL;
	size_t n = strlen(issuer);

	/* Kept at the size of its bits, whatever the buffer they were decoded into. */
	if (n < sizeof(l->issuer) && ttl_s > 0 && nbytes <= c->lists.max_bytes)
		l = malloc(sizeof(*l) + nbytes);
	if (l) {
		memcpy(l->issuer, issuer, n + 1);
		l->nbytes = nbytes;
		memcpy(l->bits, bits, nbytes);
		remote_ttl_cache_put(&c->lists, url, l, nbytes, (int64_t)ttl_s * 1000);
	}
	free(bits);
}
