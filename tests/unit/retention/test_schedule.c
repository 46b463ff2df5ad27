/* Unit tests for the retention schedule: defaults, the config's "retention" object (with the
 * file, line and key of a bad value), periods and due dates. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "retention/schedule.h"

/* 2026-12-06T12:00:00Z */
#define NOW_MS 1796558400000LL

static int parse(struct retention_schedule *s, const char *text, struct ok_error *err)
{
	ok_error_clear(err);
	return retention_schedule_parse(s, text, strlen(text), "config.json", err);
}

static void defaults_keep_diplomas_for_good(void **state)
{
	struct retention_schedule s;
	struct ok_error err;

	(void)state;
	assert_int_equal(parse(&s, "{\"host\": null}", &err), 0);
	assert_true(s.rule[RETENTION_DIPLOMA].permanent);
	assert_false(s.rule[RETENTION_RESULT].permanent);
	assert_int_equal(s.rule[RETENTION_RESULT].period.years, 10);
	assert_int_equal(s.rule[RETENTION_RESULT].trigger, RETENTION_AWARD);
	assert_int_equal(s.rule[RETENTION_SHARE].trigger, RETENTION_EXPIRY);
	assert_int_equal(s.daily_at_min, RETENTION_DAILY_NONE);
}

static void config_overrides_one_class(void **state)
{
	struct retention_schedule s;
	struct ok_error err;

	(void)state;
	assert_int_equal(parse(&s,
	                       "{\"retention\": {\"result\": {\"period\": \"P7Y6M\", "
	                       "\"action\": \"transfer\"}, \"session\": {\"period\": \"P5D\", "
	                       "\"trigger\": \"created\"}}, \"retention_daily_at\": \"03:30\"}",
	                       &err),
	                 0);
	assert_int_equal(s.rule[RETENTION_RESULT].period.years, 7);
	assert_int_equal(s.rule[RETENTION_RESULT].period.months, 6);
	assert_int_equal(s.rule[RETENTION_RESULT].action, RETENTION_TRANSFER);
	assert_int_equal(s.rule[RETENTION_RESULT].trigger, RETENTION_AWARD);
	assert_int_equal(s.rule[RETENTION_SESSION].period.days, 5);
	assert_int_equal(s.rule[RETENTION_SESSION].trigger, RETENTION_CREATED);
	assert_int_equal(s.rule[RETENTION_SHARE].period.years, 1); /* untouched default */
	assert_int_equal(s.daily_at_min, 3 * 60 + 30);
}

static void bad_value_names_file_line_and_key(void **state)
{
	struct retention_schedule s;
	struct ok_error err;
	const char *text = "{\n"
	                   "  \"host\": null,\n"
	                   "  \"retention\": {\n"
	                   "    \"share\": {\"period\": \"P1Y\"},\n"
	                   "    \"result\": {\n"
	                   "      \"period\": \"ten years\"\n"
	                   "    }\n"
	                   "  }\n"
	                   "}\n";

	(void)state;
	assert_int_equal(parse(&s, text, &err), OK_EINPUT);
	assert_string_equal(err.file, "config.json");
	assert_int_equal(err.line, 6);
	assert_string_equal(err.field, "retention.result.period");
	assert_non_null(strstr(err.message, "P10Y"));
}

static void refusals(void **state)
{
	struct retention_schedule s;
	struct ok_error err;

	(void)state;
	/* Diplomas are permanent. */
	assert_int_equal(parse(&s, "{\"retention\": {\"diploma\": {\"period\": \"P50Y\"}}}", &err),
	                 OK_EINPUT);
	assert_string_equal(err.field, "retention.diploma.period");
	/* A class without that date. */
	assert_int_equal(parse(&s, "{\"retention\": {\"share\": {\"trigger\": \"award\"}}}", &err),
	                 OK_EINPUT);
	assert_string_equal(err.field, "retention.share.trigger");
	assert_int_equal(parse(&s, "{\"retention\": {\"grades\": {}}}", &err), OK_EINPUT);
	assert_string_equal(err.field, "retention.grades");
	assert_int_equal(parse(&s, "{\"retention\": {\"result\": {\"keep\": \"x\"}}}", &err),
	                 OK_EINPUT);
	assert_string_equal(err.field, "retention.result.keep");
	assert_int_equal(parse(&s, "{\"retention\": {\"result\": {\"action\": \"burn\"}}}", &err),
	                 OK_EINPUT);
	assert_int_equal(parse(&s, "{\"retention\": []}", &err), OK_EINPUT);
	assert_int_equal(parse(&s, "{\"retention_daily_at\": \"25:00\"}", &err), OK_EINPUT);
	assert_string_equal(err.field, "retention_daily_at");
	assert_int_equal(parse(&s, "{\"retention\": {", &err), OK_EINPUT);
}

/* learner_age: for the classes whose records belong to a learner; transfer: for the classes an
 * archive can keep, else refused naming the class and why. */
static void learner_age_and_transfer(void **state)
{
	static const char *const no_transfer[] = {"session", "login_link", "wallet_offer",
	                                          "audit_detail", "import_errors"};
	struct retention_schedule s;
	struct ok_error err;
	char text[160], field[64];

	(void)state;
	assert_int_equal(parse(&s,
	                       "{\"retention\": {\"result\": {\"period\": \"P70Y\", "
	                       "\"trigger\": \"learner_age\"}, \"foreign\": {\"trigger\": "
	                       "\"learner_age\", \"action\": \"transfer\"}}}",
	                       &err),
	                 0);
	assert_int_equal(s.rule[RETENTION_RESULT].trigger, RETENTION_LEARNER_AGE);
	assert_int_equal(s.rule[RETENTION_FOREIGN].action, RETENTION_TRANSFER);
	assert_int_equal(
	        parse(&s, "{\"retention\": {\"session\": {\"trigger\": \"learner_age\"}}}", &err),
	        OK_EINPUT);
	assert_string_equal(err.field, "retention.session.trigger");
	assert_int_equal(
	        parse(&s, "{\"retention\": {\"share\": {\"action\": \"transfer\"}}}", &err), 0);
	for (size_t i = 0; i < sizeof(no_transfer) / sizeof(no_transfer[0]); i++) {
		snprintf(text, sizeof(text),
		         "{\"retention\": {\"%s\": {\"action\": \"transfer\"}}}", no_transfer[i]);
		snprintf(field, sizeof(field), "retention.%s.action", no_transfer[i]);
		assert_int_equal(parse(&s, text, &err), OK_EINPUT);
		assert_string_equal(err.field, field);
		assert_non_null(strstr(err.message, "cannot be transferred"));
	}
	assert_true(retention_transferable(RETENTION_RESULT));
	assert_true(retention_transferable(RETENTION_FOREIGN));
	assert_true(retention_transferable(RETENTION_SHARE));
	assert_false(retention_transferable(RETENTION_DIPLOMA));
	assert_false(retention_transferable(RETENTION_WALLET_OFFER));
}

static void periods(void **state)
{
	struct retention_period p;
	bool permanent;
	char out[32];

	(void)state;
	assert_int_equal(retention_period_parse("P1Y6M", &p, &permanent), 0);
	assert_false(permanent);
	retention_period_format(&p, out, sizeof(out));
	assert_string_equal(out, "P1Y6M");
	assert_int_equal(retention_period_parse("P30D", &p, &permanent), 0);
	retention_period_format(&p, out, sizeof(out));
	assert_string_equal(out, "P30D");
	assert_int_equal(retention_period_parse("permanent", &p, &permanent), 0);
	assert_true(permanent);
	assert_int_equal(retention_period_parse("P", &p, &permanent), OK_EINPUT);
	assert_int_equal(retention_period_parse("P1D1Y", &p, &permanent), OK_EINPUT);
	assert_int_equal(retention_period_parse("P201Y", &p, &permanent), OK_EINPUT);
	assert_int_equal(retention_period_parse("P-1Y", &p, &permanent), OK_EINPUT);
	assert_int_equal(retention_period_parse("10Y", &p, &permanent), OK_EINPUT);
}

static void due_dates(void **state)
{
	struct retention_period ten = {10, 0, 0}, month = {0, 1, 0}, days = {0, 0, 30};
	char out[11];

	(void)state;
	retention_cutoff_date(&ten, NOW_MS, out);
	assert_string_equal(out, "2016-12-06");
	retention_cutoff_date(&days, NOW_MS, out);
	assert_string_equal(out, "2026-11-06");
	assert_int_equal(retention_due_date(&ten, "2016-02-29", out), 0);
	assert_string_equal(out, "2026-03-01"); /* no 29 February in 2026 */
	assert_int_equal(retention_due_date(&month, "2026-01-31", out), 0);
	assert_string_equal(out, "2026-03-03");
	assert_int_equal(retention_due_date(&ten, "2016-13-01", out), OK_EINPUT);
	assert_int_equal(retention_due_date(&ten, "yesterday", out), OK_EINPUT);
	assert_int_equal(retention_cutoff_ms(&days, NOW_MS), NOW_MS - 30LL * 86400000);
}

static void daily_runs(void **state)
{
	(void)state;
	/* NOW_MS is 12:00 UTC: 03:30 is tomorrow, 12:30 today, 12:00 itself tomorrow. */
	assert_int_equal(retention_next_daily(NOW_MS, 3 * 60 + 30),
	                 NOW_MS + (15 * 60 + 30) * 60000LL);
	assert_int_equal(retention_next_daily(NOW_MS, 12 * 60 + 30), NOW_MS + 30 * 60000LL);
	assert_int_equal(retention_next_daily(NOW_MS, 12 * 60), NOW_MS + 86400000LL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(defaults_keep_diplomas_for_good),
	        cmocka_unit_test(config_overrides_one_class),
	        cmocka_unit_test(bad_value_names_file_line_and_key),
	        cmocka_unit_test(refusals),
	        cmocka_unit_test(learner_age_and_transfer),
	        cmocka_unit_test(periods),
	        cmocka_unit_test(due_dates),
	        cmocka_unit_test(daily_runs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
