/* Unit tests of the import's queue between its producer and its writer (import_pipeline.h):
 * chunks come out in the order they went in, never more at once than were made, and a stop
 * wakes a producer waiting for a free chunk. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>

#include "registry/import_pipeline.h"

#define ITEMS 10000

struct slot {
	int value;
};

struct run {
	struct import_queue q;
	int produced;
	bool stopped_seen;
};

/* Fills free chunks with 0, 1, 2, ... and hands them on; the last one is -1. */
static void *producer(void *arg)
{
	struct run *r = arg;
	int i;

	for (i = 0; i <= ITEMS; i++) {
		struct slot *s = import_queue_take_free(&r->q);

		if (!s) {
			r->stopped_seen = true;
			return NULL;
		}
		s->value = i < ITEMS ? i : -1;
		r->produced = i + 1;
		import_queue_put_full(&r->q, s);
	}
	return NULL;
}

static void chunks_come_out_in_order(void **state)
{
	struct slot slots[3];
	void *chunks[3] = {&slots[0], &slots[1], &slots[2]};
	struct run r = {0};
	pthread_t t;
	int expect = 0;

	(void)state;
	assert_int_equal(import_queue_init(&r.q, chunks, 3), 0);
	assert_int_equal(pthread_create(&t, NULL, producer, &r), 0);
	for (;;) {
		struct slot *s = import_queue_take_full(&r.q);
		int v = s->value;

		import_queue_put_free(&r.q, s);
		if (v < 0)
			break;
		assert_int_equal(v, expect);
		expect++;
	}
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(expect, ITEMS);
	assert_false(r.stopped_seen);
	import_queue_release(&r.q);
}

static void a_stop_wakes_a_waiting_producer(void **state)
{
	struct slot slots[2];
	void *chunks[2] = {&slots[0], &slots[1]};
	struct run r = {0};
	pthread_t t;
	struct slot *s;

	(void)state;
	assert_int_equal(import_queue_init(&r.q, chunks, 2), 0);
	assert_int_equal(pthread_create(&t, NULL, producer, &r), 0);
	/* The writer takes one chunk and never gives it back: the producer fills the other and
	 * waits for a third that never comes, until the stop. */
	s = import_queue_take_full(&r.q);
	assert_int_equal(s->value, 0);
	import_queue_stop(&r.q);
	assert_true(import_queue_stopped(&r.q));
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_true(r.stopped_seen);
	assert_true(r.produced <= 2);
	assert_null(import_queue_take_free(&r.q));
	import_queue_release(&r.q);
}

/* A producer waiting for input poll()s the wake-up fd with it: readable once stopped, and
 * still readable at a second poll (the stop is not used up). */
static void a_stop_makes_the_wake_fd_readable(void **state)
{
	struct slot slot;
	void *chunks[1] = {&slot};
	struct import_queue q;
	struct pollfd p;

	(void)state;
	assert_int_equal(import_queue_init(&q, chunks, 1), 0);
	p = (struct pollfd){.fd = import_queue_wake_fd(&q), .events = POLLIN};
	assert_true(p.fd >= 0);
	assert_int_equal(poll(&p, 1, 0), 0);
	import_queue_stop(&q);
	import_queue_stop(&q);
	assert_int_equal(poll(&p, 1, 0), 1);
	assert_int_equal(poll(&p, 1, 0), 1);
	import_queue_release(&q);
}

static void more_chunks_than_it_knows_are_refused(void **state)
{
	void *chunks[IMPORT_QUEUE_MAX + 1] = {0};
	struct import_queue q;

	(void)state;
	assert_int_not_equal(import_queue_init(&q, chunks, IMPORT_QUEUE_MAX + 1), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(chunks_come_out_in_order),
	        cmocka_unit_test(a_stop_wakes_a_waiting_producer),
	        cmocka_unit_test(a_stop_makes_the_wake_fd_readable),
	        cmocka_unit_test(more_chunks_than_it_knows_are_refused),
	};
	return cmocka_run_group_tests_name("registry/import_pipeline", tests, NULL, NULL);
}
