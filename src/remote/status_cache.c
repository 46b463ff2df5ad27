/* The status list cache (see status_cache.h). */
#include "remote/status_cache.h"

#include "core/buf.h"
#include "remote/fetch_guard.h"
#include "remote/http_client.h"

#include <stdbool.h>
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

int remote_status_cache_fetch_bit(struct remote_status_cache *c, const char *url,
                                  const char *issuer, int64_t index,
                                  remote_status_list_check_fn check, void *ctx,
                                  struct ok_error *err)
{
	struct remote_http_response http;
	struct ok_error ferr;
	struct buf body;
	unsigned char *bits = NULL;
	size_t nbytes = 0;
	bool usable = false;
	int rc;

	rc = remote_status_cache_bit(c, url, issuer, index, err);
	if (rc != OK_ENOTFOUND)
		return rc;
	buf_init(&body, REMOTE_STATUS_LIST_MAX_BYTES);
	ok_error_clear(&ferr);
	rc = remote_fetch_guard_get(c->guard, url, issuer, "application/vc, application/json",
	                            &body, &http, &ferr);
	if (rc) {
		/* A short reason: the client's own text (addresses, resolver and TLS detail) stays
		 * out of answers; the guard logs it for the operator. */
		ok_fail(err, rc, "the status list could not be fetched from the issuer's host");
		goto out;
	}
	if ((rc = check(ctx, body.data, body.len, &bits, &nbytes, err)))
		goto out;
	/* The list itself is good: what follows is about this credential's entry only. The list
	 * just checked decides, whether or not it may be kept (max-age 0, no-cache), and it is
	 * kept even when this entry points past its end, so that such an entry does not fetch it
	 * again for every verification. */
	usable = true;
	rc = bit_of(bits, nbytes, index, err);
	remote_status_cache_put(c, url, issuer, bits, nbytes,
	                        http.max_age >= 0 && http.max_age < c->default_ttl_s
	                                ? http.max_age
	                                : c->default_ttl_s);
out:
	/* A list that is not usable is not fetched again for every credential that names it. */
	if (rc < 0 && body.len && !usable)
		remote_fetch_guard_fail(c->guard, url, err->message);
	buf_release(&body);
	return rc;
}
