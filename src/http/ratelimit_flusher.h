/* The background thread of a server that takes its shared rate limits' counts to the store and
 * back (ratelimit_flush), so that no request ever waits on the store for counting: a slow,
 * locked or hung store delays the shared totals only, never an answer.
 *
 * Invariants: the thread has its own depository (its own store connection and keys), used by
 * nothing else; it flushes every limiter once a second, and within a tenth of a second when
 * one of them has a client near its limit; a flush that fails is tried again at the next.
 * Before each round it reads data.key again if it changed, so that clients are hashed under
 * the current data key, as every other server on the store hashes them after a rotation. */
#ifndef OK_HTTP_RATELIMIT_FLUSHER_H
#define OK_HTTP_RATELIMIT_FLUSHER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "depository/depository.h"
#include "http/ratelimit.h"

#define RATELIMIT_FLUSHER_MAX 8

struct ratelimit_flusher {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool stop;    /* under lock */
	bool running; /* the thread was started */
	struct depository dep;
	struct ratelimit *limiter[RATELIMIT_FLUSHER_MAX]; /* not owned */
	size_t count;
	atomic_ullong flushes;  /* rounds done */
	atomic_ullong failures; /* limiters' flushes the store refused or failed */
	/* A round every this many ns: a second, or shorter in a test (store_test_wait_ms,
	 * OORKONDE_TEST_RATELIMIT_ROUND_MS). */
	long long round_ns;
};

/* Opens a depository on dir for the thread and starts it for the shared ones of limiters (n at
 * most RATELIMIT_FLUSHER_MAX; those unshared are left out, and with none no thread starts).
 * The limiters must outlive ratelimit_flusher_stop. */
int ratelimit_flusher_start(struct ratelimit_flusher *f, const char *dir,
                            struct ratelimit *const *limiters, size_t n, struct ok_error *err);
/* Stops and joins the thread (after its flush in progress, which a hung store prolongs) and
 * closes its depository; a flusher never started, or zeroed, is left as it is. */
void ratelimit_flusher_stop(struct ratelimit_flusher *f);

#endif
