/* The shared rate limits' flusher thread (see ratelimit_flusher.h). */
#include "http/ratelimit_flusher.h"

#include <errno.h>
#include <string.h>
#include <time.h>

/* The tick: how soon a client near its limit is told to the other servers. */
#define TICK_NS  100000000L
#define ROUND_NS 1000000000L

static long long monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Waits one tick or until stopped; true to go on. */
static bool tick(struct ratelimit_flusher *f)
{
	struct timespec until;
	bool stop;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_nsec += TICK_NS;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&f->lock);
	while (!f->stop && pthread_cond_timedwait(&f->wake, &f->lock, &until) != ETIMEDOUT)
		;
	stop = f->stop;
	pthread_mutex_unlock(&f->lock);
	return !stop;
}

static void *run(void *arg)
{
	struct ratelimit_flusher *f = arg;
	long long last = 0;
	size_t i;

	while (tick(f)) {
		long long now = monotonic_ns();
		bool due = now - last >= f->round_ns;
		struct ok_error err;

		for (i = 0; i < f->count && !due; i++)
			due = ratelimit_flush_urgent(f->limiter[i]);
		if (!due)
			continue;
		last = now;
		/* Clients are named in the store by a hash keyed with the current data key: after
		 * a rotation (data.key replaced by another process) every server must hash under
		 * the new one, or those started before and after it keep separate counts. One
		 * stat(2) when nothing changed; a failed read keeps the keys it had. */
		if (depository_keys_refresh(&f->dep, &err))
			atomic_fetch_add(&f->failures, 1);
		for (i = 0; i < f->count; i++)
			if (ratelimit_flush(f->limiter[i], f->dep.store, &f->dep.keys, &err))
				atomic_fetch_add(&f->failures, 1);
		atomic_fetch_add(&f->flushes, 1);
	}
	return NULL;
}

int ratelimit_flusher_start(struct ratelimit_flusher *f, const char *dir,
                            struct ratelimit *const *limiters, size_t n, struct ok_error *err)
{
	pthread_condattr_t attr;
	size_t i;
	int rc;

	memset(f, 0, sizeof(*f));
	f->round_ns = ROUND_NS;
#ifdef OK_TEST_HOOKS
	f->round_ns = store_test_wait_ms("OORKONDE_TEST_RATELIMIT_ROUND_MS", ROUND_NS / 1000000) *
	              1000000LL;
#endif
	for (i = 0; i < n && f->count < RATELIMIT_FLUSHER_MAX; i++)
		if (ratelimit_shared(limiters[i]))
			f->limiter[f->count++] = limiters[i];
	if (f->count == 0)
		return 0;
	if ((rc = depository_open(&f->dep, dir, err)))
		return rc;
	pthread_mutex_init(&f->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&f->wake, &attr);
	pthread_condattr_destroy(&attr);
	if (pthread_create(&f->thread, NULL, run, f) != 0) {
		pthread_cond_destroy(&f->wake);
		pthread_mutex_destroy(&f->lock);
		depository_close(&f->dep);
		return ok_fail(err, OK_ENOMEM, "cannot start the rate limits' thread");
	}
	f->running = true;
	return 0;
}

void ratelimit_flusher_stop(struct ratelimit_flusher *f)
{
	if (!f->running)
		return;
	pthread_mutex_lock(&f->lock);
	f->stop = true;
	pthread_cond_signal(&f->wake);
	pthread_mutex_unlock(&f->lock);
	pthread_join(f->thread, NULL);
	pthread_cond_destroy(&f->wake);
	pthread_mutex_destroy(&f->lock);
	depository_close(&f->dep);
	f->running = false;
}
