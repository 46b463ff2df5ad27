/* The import's bounded queue of chunks between its producer and its writer (mutex and one
 * condition variable: two threads, few hand-overs). */
#include "registry/import_pipeline.h"

#include "core/error.h"

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

int import_queue_init(struct import_queue *q, void *const *chunks, size_t n)
{
	size_t i;

	memset(q, 0, sizeof(*q));
	q->wake[0] = q->wake[1] = -1;
	if (n > IMPORT_QUEUE_MAX)
		return OK_EINTERNAL;
	if (pipe2(q->wake, O_CLOEXEC | O_NONBLOCK))
		return OK_EIO;
	if (pthread_mutex_init(&q->mu, NULL)) {
		close(q->wake[0]);
		close(q->wake[1]);
		return OK_ENOMEM;
	}
	if (pthread_cond_init(&q->changed, NULL)) {
		pthread_mutex_destroy(&q->mu);
		close(q->wake[0]);
		close(q->wake[1]);
		return OK_ENOMEM;
	}
	for (i = 0; i < n; i++)
		q->free_chunks[q->nfree++] = chunks[i];
	return 0;
}

void import_queue_release(struct import_queue *q)
{
	pthread_cond_destroy(&q->changed);
	pthread_mutex_destroy(&q->mu);
	close(q->wake[0]);
	close(q->wake[1]);
}

void *import_queue_take_free(struct import_queue *q)
{
	void *c = NULL;

	pthread_mutex_lock(&q->mu);
	while (!q->stopped && q->nfree == 0)
		pthread_cond_wait(&q->changed, &q->mu);
	if (!q->stopped)
		c = q->free_chunks[--q->nfree];
	pthread_mutex_unlock(&q->mu);
	return c;
}

void import_queue_put_full(struct import_queue *q, void *chunk)
{
	pthread_mutex_lock(&q->mu);
	q->full[(q->head + q->nfull++) % IMPORT_QUEUE_MAX] = chunk;
	pthread_cond_broadcast(&q->changed);
	pthread_mutex_unlock(&q->mu);
}

void *import_queue_take_full(struct import_queue *q)
{
	void *c;

	pthread_mutex_lock(&q->mu);
	while (q->nfull == 0)
		pthread_cond_wait(&q->changed, &q->mu);
	c = q->full[q->head];
	q->head = (q->head + 1) % IMPORT_QUEUE_MAX;
	q->nfull--;
	pthread_mutex_unlock(&q->mu);
	return c;
}

void import_queue_put_free(struct import_queue *q, void *chunk)
{
	pthread_mutex_lock(&q->mu);
	q->free_chunks[q->nfree++] = chunk;
	pthread_cond_broadcast(&q->changed);
	pthread_mutex_unlock(&q->mu);
}

void import_queue_stop(struct import_queue *q)
{
	static const char byte = 1;
	bool first;

	pthread_mutex_lock(&q->mu);
	first = !q->stopped;
	q->stopped = true;
	pthread_cond_broadcast(&q->changed);
	pthread_mutex_unlock(&q->mu);
	/* Once: the byte stays unread, so the wake-up fd stays readable. */
	if (first && write(q->wake[1], &byte, 1) < 0) {
		/* The pipe is new and empty: a byte always fits. */
	}
}

bool import_queue_stopped(struct import_queue *q)
{
	bool s;

	pthread_mutex_lock(&q->mu);
	s = q->stopped;
	pthread_mutex_unlock(&q->mu);
	return s;
}

int import_queue_wake_fd(const struct import_queue *q)
{
	return q->wake[0];
}
