/* Unit tests for render/text.h: dates, numbers and grades in Dutch and English. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "render/text.h"

static void dates_and_numbers_in_two_languages(void **state)
{
	char out[64];

	(void)state;
	render_date_text("2024-07-04", "nl", out, sizeof(out));
	assert_string_equal(out, "4 juli 2024");
	render_date_text("2024-08-30", "en", out, sizeof(out));
	assert_string_equal(out, "30 August 2024");
	render_date_text("2024-13-01", "nl", out, sizeof(out));
	assert_string_equal(out, "2024-13-01");
	render_number_text(9.4, "nl", out, sizeof(out));
	assert_string_equal(out, "9,4");
	render_number_text(9.4, "en", out, sizeof(out));
	assert_string_equal(out, "9.4");
	render_number_text(180, "nl", out, sizeof(out));
	assert_string_equal(out, "180");
	render_grade_text("9.4", "nl", out, sizeof(out));
	assert_string_equal(out, "9,4");
	render_grade_text("A+", "nl", out, sizeof(out));
	assert_string_equal(out, "A+");
	render_grade_text("1.2.3", "nl", out, sizeof(out));
	assert_string_equal(out, "1.2.3");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(dates_and_numbers_in_two_languages),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
