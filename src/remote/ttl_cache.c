/* The time-to-live cache (see ttl_cache.h). */
#include "remote/ttl_cache.h"

#include "core/clock.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

void remote_ttl_cache_init(struct remote_ttl_cache *c, size_t max_entries, size_t max_bytes)
{
	memset(c, 0, sizeof(*c));
	pthread_mutex_init(&c->lock, NULL);
	c->max_entries =
	        max_entries < REMOTE_TTL_CACHE_ENTRIES ? max_entries : REMOTE_TTL_CACHE_ENTRIES;
	c->max_bytes = max_bytes;
	c->now_ms = ok_now_ms;
}

void remote_ttl_cache_release(struct remote_ttl_cache *c)
{
	for (size_t i = 0; i < REMOTE_TTL_CACHE_ENTRIES; i++)
		free(c->entries[i].value);
	pthread_mutex_destroy(&c->lock);
	memset(c, 0, sizeof(*c));
}

/* Under the lock: empties one entry. */
static void drop(struct remote_ttl_cache *c, struct remote_ttl_cache_entry *e)
{
	c->bytes -= e->size;
	free(e->value);
	e->value = NULL;
	e->size = 0;
	e->key[0] = '\0';
}

/* Under the lock: the entry holding key, or NULL. */
static struct remote_ttl_cache_entry *find(struct remote_ttl_cache *c, const char *key)
{
	for (size_t i = 0; i < c->max_entries; i++)
		if (c->entries[i].key[0] && strcmp(c->entries[i].key, key) == 0)
			return &c->entries[i];
	return NULL;
}

/* Under the lock: an entry holding nothing, or NULL. */
static struct remote_ttl_cache_entry *unused(struct remote_ttl_cache *c)
{
	for (size_t i = 0; i < c->max_entries; i++)
		if (!c->entries[i].key[0])
			return &c->entries[i];
	return NULL;
}

/* Under the lock: the entry to give up first (an expired one, else the least recently used), or
 * NULL when none holds a value. */
static struct remote_ttl_cache_entry *victim(struct remote_ttl_cache *c, int64_t now)
{
	struct remote_ttl_cache_entry *v = NULL;
	bool v_expired = false;

	for (size_t i = 0; i < c->max_entries; i++) {
		struct remote_ttl_cache_entry *e = &c->entries[i];
		bool expired = e->expires_ms <= now;
		if (!e->key[0])
			continue;
		if (!v || (expired && !v_expired) || (expired == v_expired && e->used < v->used)) {
			v = e;
			v_expired = expired;
		}
	}
	return v;
}

int remote_ttl_cache_get(struct remote_ttl_cache *c, const char *key, remote_ttl_cache_read_fn read,
                         void *ctx)
{
	struct remote_ttl_cache_entry *e;
	int rc = OK_ENOTFOUND;

	pthread_mutex_lock(&c->lock);
	e = find(c, key);
	if (e && e->expires_ms <= c->now_ms()) {
		drop(c, e);
		e = NULL;
	}
	if (e) {
		rc = read(ctx, e->value, e->size);
		if (rc != OK_ENOTFOUND)
			e->used = ++c->uses;
	}
	pthread_mutex_unlock(&c->lock);
	return rc;
}

void remote_ttl_cache_put(struct remote_ttl_cache *c, const char *key, void *value, size_t size,
                          int64_t ttl_ms)
{
	struct remote_ttl_cache_entry *e;
	size_t n = strlen(key);
	int64_t now;

	if (ttl_ms <= 0 || n == 0 || n >= REMOTE_TTL_CACHE_KEY_MAX || size > c->max_bytes ||
	    c->max_entries == 0) {
		free(value);
		return;
	}
	pthread_mutex_lock(&c->lock);
	now = c->now_ms();
	if ((e = find(c, key)))
		drop(c, e);
	while (c->bytes + size > c->max_bytes && (e = victim(c, now)))
		drop(c, e);
	if (!(e = unused(c))) {
		e = victim(c, now);
		drop(c, e);
	}
	memcpy(e->key, key, n + 1);
	e->value = value;
	e->size = size;
	e->expires_ms = now + ttl_ms;
	e->used = ++c->uses;
	c->bytes += size;
	pthread_mutex_unlock(&c->lock);
}
