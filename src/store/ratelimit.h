/* The store's rate-limit area (issue 16): the counts of requests per client that several servers
 * on one database add up, so that a client's limit holds across servers and not per server.
 *
 * Invariants:
 * - A row is (scope, client, minute, count): the requests a client made in one fixed minute
 *   (Unix seconds / 60) to a limit named by scope ("address/1200", …), summed over every
 *   server that added to it.
 * - client is a keyed hash made by the caller (http/ratelimit.c), never an address, a session id
 *   or a link: the store holds nothing that names a client.
 * - Unlike the other areas' writes, add and prune are each one statement in a transaction of
 *   their own (autocommit, no writer lock): call them with no transaction open. Counting must
 *   not wait for, or hold up, the writers of records.
 * - Functions return 0 or a negative OK_E… code and fill err (on a read-only replica the
 *   database refuses the write: the caller degrades to its own counts).
 */
#ifndef OK_STORE_RATELIMIT_H
#define OK_STORE_RATELIMIT_H

#include "store/store.h"

#define STORE_RATELIMIT_SCOPE_MAX 32 /* with its NUL */

struct store_ratelimit_ops {
	/* Adds count to the client's minute of scope and reads back its total over all servers
	 * (*total), atomically. */
	int (*add)(struct store *s, const char *scope, const unsigned char client[STORE_HASH_BYTES],
	           int64_t minute, int64_t count, int64_t *total, struct ok_error *err);
	/* Deletes every row of a minute before before. */
	int (*prune)(struct store *s, int64_t before, struct ok_error *err);
};

static inline int store_ratelimit_add(struct store *s, const char *scope,
                                      const unsigned char client[STORE_HASH_BYTES], int64_t minute,
                                      int64_t count, int64_t *total, struct ok_error *err)
{
	return s->ops->ratelimit->add(s, scope, client, minute, count, total, err);
}

static inline int store_ratelimit_prune(struct store *s, int64_t before, struct ok_error *err)
{
	return s->ops->ratelimit->prune(s, before, err);
}

#endif
