/* A fixed pool of open depositories, one per server thread: a SQLite connection and its
 * prepared statements are not shared between threads, so each request borrows one. */
#ifndef OK_HTTP_POOL_H
#define OK_HTTP_POOL_H

#include <pthread.h>
#include <stdbool.h>

#include "depository/depository.h"

struct depository_pool {
	pthread_mutex_t lock;
	pthread_cond_t available;
	pthread_mutex_t writer; /* the depositories' write transactions, one at a time */
	size_t size;
	size_t free_count;
	struct depository *all;   /* size entries, owned */
	struct depository **free; /* stack of free entries */
	/* The key files' watch the depositories share (when the folder allows one): a request
	 * then costs no stat(2) of them unless they changed. */
	struct depository_key_watch key_watch;
	bool watching;
};

int pool_open(struct depository_pool *p, const char *dir, size_t size, struct ok_error *err);
void pool_close(struct depository_pool *p);
/* Waits for a free depository. */
struct depository *pool_acquire(struct depository_pool *p);
void pool_release(struct depository_pool *p, struct depository *d);

#endif
