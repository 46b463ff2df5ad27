/* The status list cache (see status_cache.h). */
#include "remote/status_cache.h"

#include "audit/chain.h"
#include "core/clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void remote_status_cache_init(struct remote_status_cache *c, long default_ttl_s,
                              struct remote_fetch_guard *guard)
{
	memset(c, 0, sizeof(*c));
	pthread_mutex_init(&c->lock, NULL);
	c->default_ttl_s = default_ttl_s;
	c->guard = guard;
	c->max_bytes = REMOTE_STATUS_CACHE_BYTES;
}

/* Under the lock: empties one entry. */
static void drop(struct remote_status_cache *c, struct remote_status_cache_entry *e)
{
	c->bytes -= e->nbytes;
	free(e->bits);
	e->bits = NULL;
	e->nbytes = 0;
	e->url[0] = '\0';
}

/* Under the lock: the oldest entry holding a list, or NULL when none does. */
static struct remote_status_cache_entry *oldest(struct remote_status_cache *c)
{
	struct remote_status_cache_entry *o = NULL;
	size_t i;

	for (i = 0; i < REMOTE_STATUS_CACHE_LISTS; i++)
		if (c->entries[i].bits && (!o || c->entries[i].stored_ms < o->stored_ms))
			o = &c->entries[i];
	return o;
}

void remote_status_cache_release(struct remote_status_cache *c)
{
	size_t i;

	for (i = 0; i < REMOTE_STATUS_CACHE_LISTS; i++)
		free(c->entries[i].bits);
	pthread_mutex_destroy(&c->lock);
	memset(c, 0, sizeof(*c));
}

int remote_status_cache_bit(struct remote_status_cache *c, const char *url, const char *issuer,
                            int64_t index, struct ok_error *err)
{
	int64_t now = ok_now_ms();
	int rc = OK_ENOTFOUND;
	size_t i;

	pthread_mutex_lock(&c->lock);
	for (i = 0; i < REMOTE_STATUS_CACHE_LISTS; i++) {
		struct remote_status_cache_entry *e = &c->entries[i];
		if (!e->bits || e->expires_ms <= now || strcmp(e->url, url) != 0 ||
		    strcmp(e->issuer, issuer) != 0)
			continue;
		if (index < 0 || (uint64_t)index >= (uint64_t)e->nbytes * 8)
			rc = ok_fail(err, OK_EINPUT,
			             "statusListIndex %lld is past the end of the list",
			             (long long)index);
		else
			rc = (e->bits[index / 8] >> (7 - index % 8)) & 1;
		break;
	}
	pthread_mutex_unlock(&c->lock);
	return rc;
}

void remote_status_cache_put(struct remote_status_cache *c, const char *url, const char *issuer,
                             unsigned char *bits, size_t nbytes, long ttl_s)
{
	struct remote_status_cache_entry *slot = NULL;
	int64_t now = ok_now_ms();
	size_t i;

	if (strlen(url) >= REMOTE_STATUS_CACHE_URL_MAX || strlen(issuer) >= sizeof(slot->issuer) ||
	    ttl_s <= 0 || nbytes > c->max_bytes) {
		free(bits);
		return;
	}
	pthread_mutex_lock(&c->lock);
	/* The same list again is replaced; then the oldest go until the new one fits. */
	for (i = 0; i < REMOTE_STATUS_CACHE_LISTS; i++)
		if (c->entries[i].bits && strcmp(c->entries[i].url, url) == 0)
			drop(c, &c->entries[i]);
	while (c->bytes + nbytes > c->max_bytes && (slot = oldest(c)))
		drop(c, slot);
	slot = NULL;
	for (i = 0; i < REMOTE_STATUS_CACHE_LISTS && !slot; i++)
		if (!c->entries[i].bits)
			slot = &c->entries[i];
	if (!slot) {
		slot = oldest(c);
		drop(c, slot);
	}
	c->bytes += nbytes;
	snprintf(slot->url, sizeof(slot->url), "%s", url);
	snprintf(slot->issuer, sizeof(slot->issuer), "%s", issuer);
	slot->bits = bits;
	slot->nbytes = nbytes;
	slot->stored_ms = now;
	slot->expires_ms = now + (int64_t)ttl_s * 1000;
	pthread_mutex_unlock(&c->lock);
}
