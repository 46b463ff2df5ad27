/* Unit tests for audit events and their hash chain: linking, and that every field is covered. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "audit/chain.h"
#include "core/clock.h"

static int setup(void **state)
{
	(void)state;
	return sodium_init() < 0 ? -1 : 0;
}

static void make(struct audit_event *e)
{
	audit_event_init(e, "institution:21PB", "import.batch", "0123456789abcdef01234567",
	                 "registration", "rows=10 added=10");
	e->at_ms = 1700000000000;
}

static void init_copies_and_cuts_text(void **state)
{
	struct audit_event e;
	char long_text[500];
	int64_t before = ok_now_ms(), after;

	(void)state;
	audit_event_init(&e, "operator", "learner.read", "abc", "support", NULL);
	after = ok_now_ms();
	assert_string_equal(e.actor, "operator");
	assert_string_equal(e.action, "learner.read");
	assert_string_equal(e.subject, "abc");
	assert_string_equal(e.purpose, "support");
	assert_string_equal(e.detail, "");
	assert_int_equal(e.seq, 0);
	assert_true(e.at_ms >= before && e.at_ms <= after);
	assert_true(before > 1600000000000); /* milliseconds, not seconds */

	memset(long_text, 'x', sizeof(long_text) - 1);
	long_text[sizeof(long_text) - 1] = '\0';
	audit_event_init(&e, long_text, long_text, long_text, long_text, long_text);
	assert_int_equal(strlen(e.actor), AUDIT_TEXT_MAX);
	assert_int_equal(strlen(e.action), sizeof(e.action) - 1);
	assert_int_equal(strlen(e.subject), AUDIT_TEXT_MAX);
	assert_int_equal(strlen(e.purpose), sizeof(e.purpose) - 1);
	assert_int_equal(strlen(e.detail), AUDIT_TEXT_MAX);

	/* A cut falls between characters: "x" then "é"s (two bytes each) cut to 200 bytes keeps
	 * 199, never the first byte of an "é" alone. */
	long_text[0] = 'x';
	for (size_t i = 1; i + 2 < sizeof(long_text); i += 2)
		memcpy(long_text + i, "\xc3\xa9", 2);
	long_text[sizeof(long_text) - 2] = '\0';
	audit_event_init(&e, "operator", "x", "", "", long_text);
	assert_int_equal(strlen(e.detail), AUDIT_TEXT_MAX - 1);
	assert_int_equal((unsigned char)e.detail[AUDIT_TEXT_MAX - 2], 0xa9);
}

static void first_event_links_to_zeros(void **state)
{
	static const unsigned char zero[AUDIT_HASH_BYTES];
	unsigned char h[AUDIT_HASH_BYTES];
	struct audit_event e;

	(void)state;
	make(&e);
	audit_event_link(&e, 0, zero);
	assert_int_equal(e.seq, 1);
	assert_memory_equal(e.prev_hash, zero, AUDIT_HASH_BYTES);
	assert_memory_not_equal(e.hash, zero, AUDIT_HASH_BYTES);
	audit_event_hash(&e, h);
	assert_memory_equal(h, e.hash, AUDIT_HASH_BYTES);
}

static void events_chain(void **state)
{
	static const unsigned char zero[AUDIT_HASH_BYTES];
	struct audit_event e[4];
	unsigned char h[AUDIT_HASH_BYTES];
	int i;

	(void)state;
	for (i = 0; i < 4; i++) {
		make(&e[i]); /* identical content: only the chain tells them apart */
		audit_event_link(&e[i], i, i ? e[i - 1].hash : zero);
	}
	for (i = 0; i < 4; i++) {
		assert_int_equal(e[i].seq, i + 1);
		if (i)
			assert_memory_equal(e[i].prev_hash, e[i - 1].hash, AUDIT_HASH_BYTES);
		audit_event_hash(&e[i], h);
		assert_memory_equal(h, e[i].hash, AUDIT_HASH_BYTES);
	}
	assert_memory_not_equal(e[0].hash, e[1].hash, AUDIT_HASH_BYTES);
	assert_memory_not_equal(e[1].hash, e[2].hash, AUDIT_HASH_BYTES);

	/* Altering an event breaks the link to the next one. */
	snprintf(e[1].detail, sizeof(e[1].detail), "rows=11 added=11");
	audit_event_hash(&e[1], h);
	assert_memory_not_equal(h, e[2].prev_hash, AUDIT_HASH_BYTES);

	/* Linking the same event after another head gives another hash. */
	make(&e[3]);
	audit_event_link(&e[3], 0, zero);
	assert_memory_equal(e[3].hash, e[0].hash, AUDIT_HASH_BYTES);
	audit_event_link(&e[3], 7, zero);
	assert_memory_not_equal(e[3].hash, e[0].hash, AUDIT_HASH_BYTES);
}

static void hash_covers_every_field(void **state)
{
	static const unsigned char zero[AUDIT_HASH_BYTES];
	struct audit_event base, e;
	unsigned char h[AUDIT_HASH_BYTES];
	int field;

	(void)state;
	make(&base);
	audit_event_link(&base, 41, zero);
	for (field = 0; field < 8; field++) {
		e = base;
		switch (field) {
		case 0:
			e.seq++;
			break;
		case 1:
			e.at_ms++;
			break;
		case 2:
			e.actor[0] = 'I';
			break;
		case 3:
			e.action[0] = 'I';
			break;
		case 4:
			e.subject[0] = '1';
			break;
		case 5:
			e.purpose[0] = 'R';
			break;
		case 6:
			e.detail[0] = 'R';
			break;
		case 7:
			e.prev_hash[31] ^= 1;
			break;
		}
		audit_event_hash(&e, h);
		if (memcmp(h, base.hash, AUDIT_HASH_BYTES) == 0)
			fail_msg("changing field %d leaves the hash as it was", field);
	}
	/* The stored hash itself is not part of the input. */
	e = base;
	e.hash[0] ^= 1;
	audit_event_hash(&e, h);
	assert_memory_equal(h, base.hash, AUDIT_HASH_BYTES);
}

static void text_fields_are_length_prefixed(void **state)
{
	static const unsigned char zero[AUDIT_HASH_BYTES];
	struct audit_event a, b;

	(void)state;
	audit_event_init(&a, "ab", "c", "", "", "");
	audit_event_init(&b, "a", "bc", "", "", "");
	b.at_ms = a.at_ms;
	audit_event_link(&a, 0, zero);
	audit_event_link(&b, 0, zero);
	assert_memory_not_equal(a.hash, b.hash, AUDIT_HASH_BYTES);
	audit_event_init(&a, "x", "y", "s", "", "d");
	audit_event_init(&b, "x", "y", "", "s", "d");
	b.at_ms = a.at_ms;
	audit_event_link(&a, 0, zero);
	audit_event_link(&b, 0, zero);
	assert_memory_not_equal(a.hash, b.hash, AUDIT_HASH_BYTES);
}

/* An event's details destroyed: the tombstone keeps the digest, so the hash still holds and the
 * next event still links; what survives (time, action, the digest) cannot be changed. */
static void tombstone_keeps_the_chain(void **state)
{
	static const unsigned char zero[AUDIT_HASH_BYTES];
	struct audit_event e[2], t, bad;
	unsigned char h[AUDIT_HASH_BYTES];
	bool seen_v2 = false;

	(void)state;
	make(&e[0]);
	audit_event_link(&e[0], 0, zero);
	make(&e[1]);
	audit_event_link(&e[1], 1, e[0].hash);
	assert_int_equal(audit_event_form(&e[0]), AUDIT_FORM_V2);
	t = e[0];
	assert_int_equal(audit_event_tombstone(&t, "retention run abc on 2033-01-01"), 0);
	assert_true(audit_event_is_tombstone(&t));
	assert_string_equal(t.actor, "");
	assert_string_equal(t.subject, "");
	assert_string_equal(t.purpose, "");
	assert_null(strstr(t.detail, "rows=10"));
	assert_non_null(strstr(t.detail, "retention run abc on 2033-01-01"));
	assert_memory_equal(t.hash, e[0].hash, AUDIT_HASH_BYTES);
	assert_int_equal(audit_event_form(&t), AUDIT_FORM_TOMBSTONE_V2);
	audit_event_hash(&t, h);
	assert_memory_equal(h, e[1].prev_hash, AUDIT_HASH_BYTES);
	assert_true(audit_event_holds(&t, &seen_v2));
	assert_true(seen_v2);
	/* A tombstone again is left as it is. */
	bad = t;
	assert_int_equal(audit_event_tombstone(&bad, "again"), 1);
	assert_string_equal(bad.detail, t.detail);

	/* Its time, action or digest changed: it no longer holds. */
	bad = t;
	bad.at_ms++;
	assert_int_equal(audit_event_form(&bad), AUDIT_FORM_BROKEN);
	bad = t;
	bad.action[0] = 'X';
	assert_int_equal(audit_event_form(&bad), AUDIT_FORM_BROKEN);
	bad = t;
	bad.detail[sizeof("tombstone v2 ") - 1] ^= 1;
	assert_int_equal(audit_event_form(&bad), AUDIT_FORM_BROKEN);
	/* An altered event is not laundered into a tombstone. */
	bad = e[1];
	bad.detail[0] = 'X';
	assert_int_equal(audit_event_tombstone(&bad, "note"), -1);
	assert_string_equal(bad.actor, e[1].actor);
}

/* A chain begun before v2: its v1 events verify, and become tombstones that keep their hash;
 * a v1 form after a v2 event does not hold. */
static void v1_events_before_v2_only(void **state)
{
	static const unsigned char zero[AUDIT_HASH_BYTES];
	struct audit_event v1, t;
	bool seen_v2 = false;

	(void)state;
	make(&v1);
	v1.seq = 1;
	memcpy(v1.prev_hash, zero, AUDIT_HASH_BYTES);
	audit_event_hash_v1(&v1, v1.hash);
	assert_int_equal(audit_event_form(&v1), AUDIT_FORM_V1);
	assert_true(audit_event_holds(&v1, &seen_v2));
	assert_false(seen_v2);
	t = v1;
	assert_int_equal(audit_event_tombstone(&t, "retention run abc on 2033-01-01"), 0);
	assert_int_equal(audit_event_form(&t), AUDIT_FORM_TOMBSTONE_V1);
	assert_memory_equal(t.hash, v1.hash, AUDIT_HASH_BYTES);
	assert_null(strstr(t.detail, "rows=10"));
	assert_true(audit_event_holds(&t, &seen_v2));
	seen_v2 = true;
	assert_false(audit_event_holds(&v1, &seen_v2));
	assert_false(audit_event_holds(&t, &seen_v2));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(init_copies_and_cuts_text),
	        cmocka_unit_test(first_event_links_to_zeros),
	        cmocka_unit_test(events_chain),
	        cmocka_unit_test(hash_covers_every_field),
	        cmocka_unit_test(text_fields_are_length_prefixed),
	        cmocka_unit_test(tombstone_keeps_the_chain),
	        cmocka_unit_test(v1_events_before_v2_only),
	};
	return cmocka_run_group_tests_name("audit/chain", tests, setup, NULL);
}
