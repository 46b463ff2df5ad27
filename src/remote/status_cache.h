/* A cache of other depositories' status lists (decoded bits), shared by the threads of a
 * process, so that verifying many credentials of one issuer fetches each list once per TTL.
 * Bounded: a fixed number of lists and a total of bytes, the least recently used given up
 * first. */
#ifndef OK_REMOTE_STATUS_CACHE_H
#define OK_REMOTE_STATUS_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "remote/ttl_cache.h"

struct remote_fetch_guard;

#define REMOTE_STATUS_CACHE_LISTS 32
#define REMOTE_STATUS_CACHE_BYTES ((size_t)4 << 20) /* decoded bits of all lists together */
/* The signed list as fetched. */
#define REMOTE_STATUS_LIST_MAX_BYTES ((size_t)2 << 20)

struct remote_status_cache {
	struct remote_ttl_cache lists; /* by URL: the list's issuer and bits; its bytes the bits' */
	long default_ttl_s;            /* at most, and when the list's server gives no max-age */
	struct remote_fetch_guard *guard; /* shared limits on fetches; NULL: time limits only */
};

/* Holds at most REMOTE_STATUS_CACHE_LISTS lists of REMOTE_STATUS_CACHE_BYTES in all
 * (lists.max_bytes may be changed before first use). guard (may be NULL) is not owned. */
void remote_status_cache_init(struct remote_status_cache *c, long default_ttl_s,
                              struct remote_fetch_guard *guard);
void remote_status_cache_release(struct remote_status_cache *c);

/*
 * Looks up bit index of the cached list at url (issued by issuer): 1 set, 0 clear, OK_ENOTFOUND
 * when not cached or expired, OK_EINPUT when index is past the list's end.
 */
int remote_status_cache_bit(struct remote_status_cache *c, const char *url, const char *issuer,
                            int64_t index, struct ok_error *err);

/* Stores a verified list (takes ownership of bits) for ttl_s, dropping the least recently used
 * lists until the bytes held stay within the bound; a list larger than the bound alone is not
 * kept. */
void remote_status_cache_put(struct remote_status_cache *c, const char *url, const char *issuer,
                             unsigned char *bits, size_t nbytes, long ttl_s);

/* Checks a status list fetched for the cache (doc, len bytes as fetched) and decodes its bits:
 * 0 with *bits (from malloc, handed over) of *nbytes bytes, or a negative code with err filled. */
typedef int (*remote_status_list_check_fn)(void *ctx, const char *doc, size_t len,
                                           unsigned char **bits, size_t *nbytes,
                                           struct ok_error *err);

/*
 * Bit index of the list at url (issued by issuer): 1 set, 0 clear. From the cache while it
 * holds the list; else the list is fetched through the guard (at most
 * REMOTE_STATUS_LIST_MAX_BYTES), handed to check, and kept for the server's max-age (at most
 * default_ttl_s; a max-age of 0 keeps nothing). Negative: OK_EINPUT when index is past the list's
 * end (a fetched list is kept all the same), the guard's code when the list cannot be fetched
 * (err says only that: the detail is in the guard's log), check's code when the list is not
 * usable (the guard remembers it as a failure, so that it is not fetched again at once).
 */
int remote_status_cache_fetch_bit(struct remote_status_cache *c, const char *url,
                                  const char *issuer, int64_t index,
                                  remote_status_list_check_fn check, void *ctx,
                                  struct ok_error *err);

#endif
