/* A cache of other depositories' status lists (decoded bits), shared by the threads of a
 * process, so that verifying many credentials of one issuer fetches each list once per TTL.
 * Bounded: a fixed number of lists and a total of bytes, the oldest replaced first. */
#ifndef OK_REMOTE_STATUS_CACHE_H
#define OK_REMOTE_STATUS_CACHE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"

struct remote_fetch_guard;

#define REMOTE_STATUS_CACHE_LISTS   32
#define REMOTE_STATUS_CACHE_URL_MAX 512
#define REMOTE_STATUS_CACHE_BYTES   ((size_t)4 << 20) /* decoded bits of all lists together */

struct remote_status_cache_entry {
	char url[REMOTE_STATUS_CACHE_URL_MAX];
	char issuer[256];
	int64_t expires_ms;
	int64_t stored_ms;
	unsigned char *bits; /* owned */
	size_t nbytes;
};

struct remote_status_cache {
	pthread_mutex_t lock;
	long default_ttl_s;        /* at most, and when the list's server gives no max-age */
	struct remote_fetch_guard *guard; /* shared limits on fetches; NULL: time limits only */
	size_t max_bytes;                 /* REMOTE_STATUS_CACHE_BYTES unless changed after init */
	size_t bytes;              /* held now */
	struct remote_status_cache_entry entries[REMOTE_STATUS_CACHE_LISTS];
};

/* guard (may be NULL) is not owned. */
void remote_status_cache_init(struct remote_status_cache *c, long default_ttl_s,
                              struct remote_fetch_guard *guard);
void remote_status_cache_release(struct remote_status_cache *c);

/*
 * Looks up bit index of the cached list at url (issued by issuer): 1 set, 0 clear, OK_ENOTFOUND
 * when not cached or expired, OK_EINPUT when index is past the list's end.
 */
int remote_status_cache_bit(struct remote_status_cache *c, const char *url, const char *issuer,
                            int64_t index, struct ok_error *err);

/* Stores a verified list (takes ownership of bits), dropping the oldest lists until the bytes
 * held stay within max_bytes; a list larger than max_bytes alone is not kept. */
void remote_status_cache_put(struct remote_status_cache *c, const char *url, const char *issuer,
                             unsigned char *bits, size_t nbytes, long ttl_s);

#endif
