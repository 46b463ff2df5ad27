/* Unit tests for the pages' choice of language: the Accept-Language rule. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "http/web.h"

static void accept_language_picks_the_best_known(void **state)
{
	(void)state;
	assert_string_equal(web_lang_from_accept(NULL), "en");
	assert_string_equal(web_lang_from_accept(""), "en");
	assert_string_equal(web_lang_from_accept("nl"), "nl");
	assert_string_equal(web_lang_from_accept("nl-NL,nl;q=0.9,en;q=0.8"), "nl");
	assert_string_equal(web_lang_from_accept("en-GB, nl;q=0.5"), "en");
	assert_string_equal(web_lang_from_accept("de-DE, nl;q=0.7, en;q=0.3"), "nl");
	assert_string_equal(web_lang_from_accept("en;q=0.2, NL-be;q=0.9"), "nl");
	assert_string_equal(web_lang_from_accept("fr, de"), "en");
	assert_string_equal(web_lang_from_accept("nld, enx"), "en");
	assert_string_equal(web_lang_from_accept("nl;q=0"), "en");
	assert_string_equal(web_lang_from_accept(",,;;q=,=;"), "en");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(accept_language_picks_the_best_known),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
