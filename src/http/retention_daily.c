/* The server's daily retention run (see retention_daily.h). */
#include "http/retention_daily.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit/actor.h"
#include "core/clock.h"
#include "registry/retention.h"

/* Waits until the wall-clock moment at_ms or until stopped; true to go on. */
static bool wait_until(struct retention_daily *r, int64_t at_ms)
{
	struct timespec until = {.tv_sec = (time_t)(at_ms / 1000),
	                         .tv_nsec = (long)(at_ms % 1000) * 1000000L};
	bool stop;

	pthread_mutex_lock(&r->lock);
	while (!r->stop && ok_now_ms() < at_ms &&
	       pthread_cond_timedwait(&r->wake, &r->lock, &until) != ETIMEDOUT)
		;
	stop = r->stop;
	pthread_mutex_unlock(&r->lock);
	return !stop;
}

static void run_once(struct retention_daily *r)
{
	struct retention_run_options o = {0};
	struct retention_schedule s;
	struct retention_progress p;
	struct ok_error err;

	o.actor = AUDIT_SYSTEM_STATUS;
	ok_error_clear(&err);
	if (registry_retention_schedule(&r->dep, &s, &err) ||
	    registry_retention_run(&r->dep, &s, ok_now_ms(), &o, &p, &err))
		atomic_fetch_add(&r->failures, 1);
	else
		atomic_fetch_add(&r->runs, 1);
}

static void *run(void *arg)
{
	struct retention_daily *r = arg;
	struct retention_schedule s;
	struct ok_error err;

	if (r->at_once)
		run_once(r);
	for (;;) {
		/* The time of day as config.json says it now. */
		if (registry_retention_schedule(&r->dep, &s, &err) ||
		    s.daily_at_min == RETENTION_DAILY_NONE)
			s.daily_at_min = 0;
		if (!wait_until(r, retention_next_daily(ok_now_ms(), s.daily_at_min)))
			break;
		run_once(r);
	}
	return NULL;
}

int retention_daily_start(struct retention_daily *r, const char *dir, struct ok_error *err)
{
	struct retention_schedule s;
	int rc;

	memset(r, 0, sizeof(*r));
	if ((rc = depository_open(&r->dep, dir, err)))
		return rc;
	if ((rc = registry_retention_schedule(&r->dep, &s, err)) ||
	    s.daily_at_min == RETENTION_DAILY_NONE) {
		depository_close(&r->dep);
		return rc;
	}
#ifdef OK_TEST_HOOKS
	{
		/* Test only: OORKONDE_TEST_RETENTION_AT_START=1 runs the schedule once as the
		 * server starts, instead of waiting for the time of day. */
		const char *env = getenv("OORKONDE_TEST_RETENTION_AT_START");
		r->at_once = env && !strcmp(env, "1");
	}
#endif
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->wake, NULL);
	if (pthread_create(&r->thread, NULL, run, r) != 0) {
		pthread_cond_destroy(&r->wake);
		pthread_mutex_destroy(&r->lock);
		depository_close(&r->dep);
		return ok_fail(err, OK_ENOMEM, "cannot start the daily retention thread");
	}
	r->running = true;
	return 0;
}

void retention_daily_stop(struct retention_daily *r)
{
	if (!r->running)
		return;
	pthread_mutex_lock(&r->lock);
	r->stop = true;
	pthread_cond_signal(&r->wake);
	pthread_mutex_unlock(&r->lock);
	pthread_join(r->thread, NULL);
	pthread_cond_destroy(&r->wake);
	pthread_mutex_destroy(&r->lock);
	depository_close(&r->dep);
	r->running = false;
}
