/* Unit tests for signed audit checkpoints: signing and verifying, that the signature covers
 * every field, and the one-line text form (round trip, strict parsing). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "audit/chain.h"

static const unsigned char seed[32] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11,
                                       12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22,
                                       23, 24, 25, 26, 27, 28, 29, 30, 31, 32};

static int setup(void **state)
{
	(void)state;
	return sodium_init() < 0 ? -1 : 0;
}

static void make(struct audit_checkpoint *c)
{
	memset(c, 0, sizeof(*c));
	c->seq = 10000;
	c->at_ms = 1764400000123;
	memset(c->head, 0xab, sizeof(c->head));
	c->key_id = 1;
	c->every = 4;
	audit_checkpoint_sign(c, seed);
}

static void signs_and_verifies(void **state)
{
	unsigned char pk[32], sk[64];
	struct audit_checkpoint c;

	(void)state;
	make(&c);
	crypto_sign_seed_keypair(pk, sk, seed);
	assert_memory_equal(c.public_key, pk, sizeof(pk));
	assert_true(audit_checkpoint_valid(&c));
	/* Deterministic (Ed25519): the same statement gives the same signature. */
	{
		struct audit_checkpoint again;
		make(&again);
		assert_memory_equal(again.signature, c.signature, sizeof(c.signature));
	}
}

static void signature_covers_every_field(void **state)
{
	struct audit_checkpoint base, c;
	int field;

	(void)state;
	make(&base);
	for (field = 0; field < 8; field++) {
		c = base;
		switch (field) {
		case 0:
			c.seq++;
			break;
		case 1:
			c.at_ms++;
			break;
		case 2:
			c.head[31] ^= 1;
			break;
		case 3:
			c.key_id = 2;
			break;
		case 4:
			c.signature[0] ^= 1;
			break;
		case 5:
			c.public_key[0] ^= 1;
			break;
		case 6:
			c.every = 10000; /* the checkpoint interval */
			break;
		case 7:
			c.every = -1; /* passed off as a v1 checkpoint, which signed none */
			break;
		}
		if (audit_checkpoint_valid(&c))
			fail_msg("changing field %d leaves the signature valid", field);
	}
}

static void another_key_signs_another_statement(void **state)
{
	unsigned char other[32];
	struct audit_checkpoint a, b;

	(void)state;
	make(&a);
	memset(other, 7, sizeof(other));
	b = a;
	audit_checkpoint_sign(&b, other);
	assert_true(audit_checkpoint_valid(&b));
	assert_memory_not_equal(a.public_key, b.public_key, 32);
	/* b's signature does not hold under a's key: a verifier that knows its key tells them
	 * apart. */
	memcpy(b.public_key, a.public_key, 32);
	assert_false(audit_checkpoint_valid(&b));
	/* Sequence numbers start at 1. */
	a.seq = 0;
	audit_checkpoint_sign(&a, seed);
	assert_false(audit_checkpoint_valid(&a));
}

static void line_round_trip(void **state)
{
	struct audit_checkpoint c, back;
	char line[AUDIT_CHECKPOINT_LINE_MAX];
	size_t n;

	(void)state;
	make(&c);
	n = audit_checkpoint_format(&c, line, sizeof(line));
	assert_true(n > 0 && n == strlen(line));
	assert_int_equal(line[n - 1], '\n');
	assert_int_equal(strncmp(line, "v2 10000 1764400000123 1 abab", 29), 0);
	assert_int_equal(strncmp(line + n - 3, " 4\n", 3), 0);
	assert_int_equal(audit_checkpoint_parse(line, n, &back), 0);
	assert_memory_equal(&back, &c, sizeof(c));
	/* Without its newline too. */
	assert_int_equal(audit_checkpoint_parse(line, n - 1, &back), 0);
	assert_memory_equal(&back, &c, sizeof(c));
	assert_true(audit_checkpoint_valid(&back));

	/* A v1 checkpoint (no interval signed) still reads and verifies. */
	c.every = -1;
	audit_checkpoint_sign(&c, seed);
	n = audit_checkpoint_format(&c, line, sizeof(line));
	assert_int_equal(strncmp(line, "v1 10000 1764400000123 1 abab", 29), 0);
	assert_int_equal(audit_checkpoint_parse(line, n, &back), 0);
	assert_int_equal(back.every, -1);
	assert_memory_equal(&back, &c, sizeof(c));
	assert_true(audit_checkpoint_valid(&back));

	/* The largest values still fit the line. */
	c.seq = INT64_MAX;
	c.at_ms = INT64_MAX;
	c.key_id = UINT32_MAX;
	c.every = INT64_MAX;
	n = audit_checkpoint_format(&c, line, sizeof(line));
	assert_true(n > 0);
	assert_int_equal(audit_checkpoint_parse(line, n, &back), 0);
	assert_true(back.seq == INT64_MAX && back.key_id == UINT32_MAX && back.every == INT64_MAX);
	/* A buffer too small gives nothing, never a cut line. */
	assert_int_equal(audit_checkpoint_format(&c, line, 40), 0);
	assert_string_equal(line, "");
}

static void parse_is_strict(void **state)
{
	struct audit_checkpoint c, back;
	char good[AUDIT_CHECKPOINT_LINE_MAX], bad[AUDIT_CHECKPOINT_LINE_MAX + 16];
	size_t n;
	int i;

	(void)state;
	make(&c);
	n = audit_checkpoint_format(&c, good, sizeof(good));
	for (i = 0; i < 12; i++) {
		snprintf(bad, sizeof(bad), "%s", good);
		switch (i) {
		case 0:
			bad[1] = '3'; /* another version */
			break;
		case 1:
			snprintf(bad, sizeof(bad), "v1 0%s", good + 3); /* a leading zero */
			break;
		case 2:
			bad[3] = '-';
			break;
		case 3:
			bad[n - 2] = 'G'; /* not hex */
			break;
		case 4:
			bad[n - 2] = 'A'; /* upper case is not what we write */
			break;
		case 5:
			snprintf(bad + n - 1, sizeof(bad) - n + 1, " extra\n");
			break;
		case 6:
			bad[n - 3] = '\n'; /* a v2 line without its interval */
			bad[n - 2] = '\0';
			break;
		case 7:
			snprintf(bad, sizeof(bad), "v1 0 1 1 %s", good + 29); /* sequence 0 */
			break;
		case 8:
			snprintf(bad, sizeof(bad), "v1 99999999999999999999 1 1 x"); /* too big */
			break;
		case 9:
			snprintf(bad, sizeof(bad), "v1 5 1 4294967296 x"); /* key id too big */
			break;
		case 10:
			snprintf(bad, sizeof(bad), "%s", "");
			break;
		case 11:
			bad[2] = '\t';
			break;
		}
		if (audit_checkpoint_parse(bad, strlen(bad), &back) == 0)
			fail_msg("case %d parsed: %s", i, bad);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(signs_and_verifies),
	        cmocka_unit_test(signature_covers_every_field),
	        cmocka_unit_test(another_key_signs_another_statement),
	        cmocka_unit_test(line_round_trip),
	        cmocka_unit_test(parse_is_strict),
	};
	return cmocka_run_group_tests_name("audit/chain_checkpoint", tests, setup, NULL);
}
