/* The background thread of a server that applies the retention schedule every day at config
 * "retention_daily_at" (UTC), as `oorkonde retention run` does, in the depository's own name.
 *
 * Invariants: the thread has its own depository, used by nothing else; it reads the schedule
 * again before every run (an edited config.json applies from the next day on); a run that fails
 * is left open and goes on at the next one (registry/retention.h); with no retention_daily_at no
 * thread starts. */
#ifndef OK_HTTP_RETENTION_DAILY_H
#define OK_HTTP_RETENTION_DAILY_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "depository/depository.h"

struct retention_daily {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool stop;    /* under lock */
	bool running; /* the thread was started */
	bool at_once; /* test builds only: the first run at start */
	struct depository dep;
	atomic_ullong runs;     /* runs finished */
	atomic_ullong failures; /* runs that failed */
};

/* Reads the schedule of dir's config.json and, when it has retention_daily_at, opens a
 * depository for the thread and starts it. A bad schedule is an error: the server does not
 * start with it. */
int retention_daily_start(struct retention_daily *r, const char *dir, struct ok_error *err);
/* Stops and joins the thread (after a run in progress finishes its batch) and closes its
 * depository; one never started, or zeroed, is left as it is. */
void retention_daily_stop(struct retention_daily *r);

#endif
