/* Unit tests of src/io/fold.c: names that differ in case or white space fold alike; accents,
 * other letters and bad input do not. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "io/fold.h"

static void expect_fold(const char *in, const char *want)
{
	char out[128];

	assert_int_equal(fold_name(in, strlen(in), out, sizeof(out)), 0);
	assert_string_equal(out, want);
}

static void case_and_space_fold_alike(void **state)
{
	(void)state;
	expect_fold("Anna de Vries", "anna de vries");
	expect_fold("  ANNA \t de\u00a0VRIES \n", "anna de vries");
	expect_fold("Anna\u2003\u3000de  Vries", "anna de vries");
	expect_fold("\u00c9LODIE \u0141UKASZ \u017dI\u017dEK",
	            "\u00e9lodie \u0142ukasz \u017ei\u017eek");
	expect_fold("STRA\u1e9eE Stra\u00dfe", "strasse strasse");
	expect_fold("\u039f\u0394\u03a5\u03a3\u03a3\u0395\u03a5\u03a3 "
	            "\u03bf\u03b4\u03c5\u03c3\u03c3\u03b5\u03c5\u03c2",
	            "\u03bf\u03b4\u03c5\u03c3\u03c3\u03b5\u03c5\u03c3 "
	            "\u03bf\u03b4\u03c5\u03c3\u03c3\u03b5\u03c5\u03c3");
	expect_fold("\u0418\u0412\u0410\u041d \u0401\u0416",
	            "\u0438\u0432\u0430\u043d \u0451\u0436");
	expect_fold("NGUY\u1ec4N", "nguy\u1ec5n");
	expect_fold("\uff21\uff4e\uff4e\uff41", "\uff41\uff4e\uff4e\uff41");
	expect_fold("", "");
	expect_fold(" \t ", "");
}

static void accents_and_letters_still_count(void **state)
{
	char a[64], b[64];

	(void)state;
	assert_int_equal(fold_name("Jose", 4, a, sizeof(a)), 0);
	assert_int_equal(fold_name("Jos\u00e9", strlen("Jos\u00e9"), b, sizeof(b)), 0);
	assert_string_not_equal(a, b);
	assert_int_equal(fold_name("Annade Vries", 12, a, sizeof(a)), 0);
	assert_int_equal(fold_name("Anna de Vries", 13, b, sizeof(b)), 0);
	assert_string_not_equal(a, b);
	/* Dotless i is a letter of its own. */
	expect_fold("\u0131", "\u0131");
}

static void bad_input_refused(void **state)
{
	char out[8];

	(void)state;
	assert_int_equal(fold_name("\xc3\x28", 2, out, sizeof(out)), OK_EINPUT);
	assert_int_equal(fold_name("a\0b", 3, out, sizeof(out)), OK_EINPUT);
	assert_int_equal(fold_name("abcdefgh", 8, out, sizeof(out)), OK_ETOOBIG);
	assert_string_equal(out, "");
	assert_int_equal(fold_name("abcdefg", 7, out, sizeof(out)), 0);
	/* ß grows to two bytes' worth of letters: still checked against the room. */
	assert_int_equal(fold_name("\u00df\u00df\u00df\u00df", 8, out, sizeof(out)), OK_ETOOBIG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(case_and_space_fold_alike),
	        cmocka_unit_test(accents_and_letters_still_count),
	        cmocka_unit_test(bad_input_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
