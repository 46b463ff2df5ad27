/* A small cache of values by key, each kept until it expires, shared by the threads of a process:
 * what is fetched from another depository (DID documents, status lists) is kept here, so that
 * verifying many credentials of one issuer fetches each once per time to live. */
#ifndef OK_REMOTE_TTL_CACHE_H
#define OK_REMOTE_TTL_CACHE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

/*
 * Invariants, under the lock:
 * - at most max_entries entries (never more than REMOTE_TTL_CACHE_ENTRIES) hold a value, each
 *   under a distinct key shorter than REMOTE_TTL_CACHE_KEY_MAX bytes;
 * - bytes is the sum of the sizes of the values held, and stays within max_bytes;
 * - when a new value needs room, an expired entry goes first, then the least recently used one
 *   (a put and a successful get are uses);
 * - an expired value is never handed out.
 * Each value is owned by the cache (from malloc, freed with free).
 */

#define REMOTE_TTL_CACHE_ENTRIES 32
#define REMOTE_TTL_CACHE_KEY_MAX 512

struct remote_ttl_cache_entry {
	char key[REMOTE_TTL_CACHE_KEY_MAX]; /* "" when the entry is free */
	int64_t expires_ms;
	uint64_t used; /* the cache's use count at the last use */
	void *value;
	size_t size; /* counted against max_bytes */
};

struct remote_ttl_cache {
	pthread_mutex_t lock;
	size_t max_entries;
	size_t max_bytes;
	size_t bytes;            /* held now */
	uint64_t uses;           /* orders the entries by their last use */
	int64_t (*now_ms)(void); /* ok_now_ms; a test may set its own clock */
	struct remote_ttl_cache_entry entries[REMOTE_TTL_CACHE_ENTRIES];
};

/* Life cycle. max_entries above REMOTE_TTL_CACHE_ENTRIES means REMOTE_TTL_CACHE_ENTRIES. Release
 * frees every value held. */
void remote_ttl_cache_init(struct remote_ttl_cache *c, size_t max_entries, size_t max_bytes);
void remote_ttl_cache_release(struct remote_ttl_cache *c);

/* Reads a value in place, under the cache's lock: it must be quick and must not use the cache.
 * It returns what remote_ttl_cache_get returns; OK_ENOTFOUND when the value does not answer the
 * question (the entry is then not counted as used). */
typedef int (*remote_ttl_cache_read_fn)(void *ctx, const void *value, size_t size);

/* Calls read with the value held under key, if it has not expired, and returns what read returns;
 * OK_ENOTFOUND when key holds no fresh value. */
int remote_ttl_cache_get(struct remote_ttl_cache *c, const char *key, remote_ttl_cache_read_fn read,
                         void *ctx);

/*
 * Keeps value (from malloc; the cache takes it over in every case) of size bytes under key for
 * ttl_ms, in place of what key held; other entries go, least recently used first, until it fits.
 * Not kept (freed at once, nothing else dropped, what key held stays): ttl_ms <= 0, an empty key
 * or one of REMOTE_TTL_CACHE_KEY_MAX bytes or more, a size above max_bytes.
 */
void remote_ttl_cache_put(struct remote_ttl_cache *c, const char *key, void *value, size_t size,
                          int64_t ttl_ms);

#endif
