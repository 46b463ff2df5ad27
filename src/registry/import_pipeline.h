/* The import's hand-over between its two threads: a bounded queue of chunks (issue 22).
 *
 * One thread (the producer) reads, checks, hashes and seals rows into chunks; the other (the
 * writer, the one holding the store's connection) writes them in the order they were filled.
 * The chunks are the caller's: the queue only passes pointers to them, so what is in flight is
 * bounded by the number of chunks the caller made.
 *
 * Invariants:
 * - A chunk is in exactly one place: free (the producer may fill it), full (waiting for the
 *   writer, in order), or held by one of the two threads.
 * - Once stopped, the queue hands the producer no more free chunks; the writer stops it after a
 *   failure, and waits for the producer's thread to end before it frees anything.
 * - Functions that can fail return 0 or a negative OK_E… code.
 */
#ifndef OK_REGISTRY_IMPORT_PIPELINE_H
#define OK_REGISTRY_IMPORT_PIPELINE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#define IMPORT_QUEUE_MAX 4 /* chunks a queue can know */

struct import_queue {
	pthread_mutex_t mu;
	pthread_cond_t changed;
	void *free_chunks[IMPORT_QUEUE_MAX];
	size_t nfree;
	void *full[IMPORT_QUEUE_MAX]; /* a ring, oldest at head */
	size_t head, nfull;
	bool stopped;
	int wake[2]; /* a pipe: a byte written at the stop wakes a producer waiting for input */
};

/* Life cycle: init with the caller's chunks, all free (n <= IMPORT_QUEUE_MAX); release once
 * neither thread uses the queue. */
int import_queue_init(struct import_queue *q, void *const *chunks, size_t n);
void import_queue_release(struct import_queue *q);

/* The producer's side: a free chunk, waiting for one (NULL once stopped); a filled chunk
 * handed to the writer. */
void *import_queue_take_free(struct import_queue *q);
void import_queue_put_full(struct import_queue *q, void *chunk);

/* The writer's side: the oldest filled chunk, waiting for one; a written chunk given back. */
void *import_queue_take_full(struct import_queue *q);
void import_queue_put_free(struct import_queue *q, void *chunk);

/* Tells the producer to stop: it is given no more chunks, and import_queue_wake_fd becomes
 * readable (a producer waiting for input poll()s it with its input). */
void import_queue_stop(struct import_queue *q);
bool import_queue_stopped(struct import_queue *q);
int import_queue_wake_fd(const struct import_queue *q);

#endif
