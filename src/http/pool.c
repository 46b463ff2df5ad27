/* The depository pool (see pool.h). */
#include "http/pool.h"

#include <stdlib.h>
#include <string.h>

int pool_open(struct depository_pool *p, const char *dir, size_t size, struct ok_error *err)
{
	size_t i;
	int rc;

	memset(p, 0, sizeof(*p));
	p->all = calloc(size, sizeof(*p->all));
	p->free = calloc(size, sizeof(*p->free));
	if (!p->all || !p->free) {
		free(p->all);
		free(p->free);
		return ok_fail(err, OK_ENOMEM, "out of memory");
	}
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->available, NULL);
	pthread_mutex_init(&p->writer, NULL);
	for (i = 0; i < size; i++) {
		rc = depository_open(&p->all[i], dir, err);
		if (rc) {
			p->size = i;
			pool_close(p);
			return rc;
		}
		/* The threads' write transactions queue on one mutex: a thread waiting for
		 * another's short transaction wakes as soon as it ends. */
		store_set_writer_lock(p->all[i].store, &p->writer);
		p->free[i] = &p->all[i];
	}
	p->size = p->free_count = size;
	/* Without a watch (see key_watch.h for where none opens) each refresh looks at the files,
	 * as it always did. */
	p->watching = depository_key_watch_open(&p->key_watch, dir, NULL) == 0;
	for (i = 0; p->watching && i < size; i++)
		p->all[i].key_watch = &p->key_watch;
	return 0;
}

void pool_close(struct depository_pool *p)
{
	size_t i;

	for (i = 0; i < p->size; i++)
		depository_close(&p->all[i]);
	if (p->watching)
		depository_key_watch_close(&p->key_watch);
	free(p->all);
	free(p->free);
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->available);
	pthread_mutex_destroy(&p->writer);
	memset(p, 0, sizeof(*p));
}

struct depository *pool_acquire(struct depository_pool *p)
{
	struct depository *d;

	pthread_mutex_lock(&p->lock);
	while (p->free_count == 0)
		pthread_cond_wait(&p->available, &p->lock);
	d = p->free[--p->free_count];
	pthread_mutex_unlock(&p->lock);
	return d;
}

void pool_release(struct depository_pool *p, struct depository *d)
{
	pthread_mutex_lock(&p->lock);
	p->free[p->free_count++] = d;
	pthread_cond_signal(&p->available);
	pthread_mutex_unlock(&p->lock);
}
