/* Unit tests for registration validation: every column's limits, one by one, then the checks
 * across columns. Every rejection must name the column and must not repeat the value. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "model/registration.h"

/* Sets one column of a fresh registration and returns the code; err is filled. */
static int set_one(struct registration *r, enum registration_column col, const char *value,
                   struct ok_error *err)
{
	model_registration_init(r);
	ok_error_clear(err);
	return model_registration_set(r, col, value, strlen(value), err);
}

/* Asserts that value is rejected for col with err->field == field and a message that does
 * not hold the value. */
static void refuses(enum registration_column col, const char *value, const char *field)
{
	struct registration r;
	struct ok_error err;
	int rc = set_one(&r, col, value, &err);

	if (rc != OK_EINPUT)
		fail_msg("%s: \"%s\" gave %d, expected OK_EINPUT", registration_column_names[col],
		         value, rc);
	assert_int_equal(err.code, OK_EINPUT);
	assert_string_equal(err.field, field);
	assert_true(err.message[0] != '\0');
	if (strlen(value) >= 3 && strstr(err.message, value))
		fail_msg("message \"%s\" repeats the value", err.message);
}

/* Asserts that value is accepted for col; returns the registration through r. */
static void accepts(struct registration *r, enum registration_column col, const char *value)
{
	struct ok_error err;
	int rc = set_one(r, col, value, &err);

	if (rc != 0)
		fail_msg("%s: \"%s\" rejected: %s", registration_column_names[col], value,
		         err.message);
}

static char *repeat(const char *unit, size_t times)
{
	size_t n = strlen(unit);
	char *s = malloc(n * times + 1);
	size_t i;

	assert_non_null(s);
	for (i = 0; i < times; i++)
		memcpy(s + i * n, unit, n);
	s[n * times] = '\0';
	return s;
}

/* Columns */

static void column_names_follow_the_documented_order(void **state)
{
	static const char *const want[] = {
	        "record_id", "national_id",    "given_names",    "family_name", "birth_date",
	        "kind",      "title",          "programme_code", "eqf_level",   "credits",
	        "grade",     "grading_scheme", "awarded_on",     "language"};
	int i;

	(void)state;
	assert_int_equal(REG_COLUMN_COUNT, 14);
	for (i = 0; i < REG_COLUMN_COUNT; i++) {
		assert_string_equal(registration_column_names[i], want[i]);
		assert_int_equal(registration_column_find(want[i]), i);
	}
	assert_int_equal(registration_column_find("Record_id"), -1);
	assert_int_equal(registration_column_find(""), -1);
	assert_int_equal(registration_column_find("credit"), -1);
	assert_true(registration_column_required[REG_RECORD_ID]);
	assert_true(registration_column_required[REG_GIVEN_NAMES]);
	assert_true(registration_column_required[REG_AWARDED_ON]);
	assert_false(registration_column_required[REG_EQF_LEVEL]);
	assert_false(registration_column_required[REG_CREDITS]);
	assert_false(registration_column_required[REG_LANGUAGE]);
}

static void init_means_nothing_given(void **state)
{
	struct registration r;

	(void)state;
	memset(&r, 0x5A, sizeof(r));
	model_registration_init(&r);
	assert_string_equal(r.achievement.record_id, "");
	assert_string_equal(r.learner.national_id, "");
	assert_int_equal(r.achievement.kind, KIND_COUNT);
	assert_int_equal(r.achievement.credits_centi, -1);
	assert_int_equal(r.achievement.eqf_level, 0);
}

static void empty_or_blank_value_means_not_given(void **state)
{
	struct registration r;
	int col;

	(void)state;
	for (col = 0; col < REG_COLUMN_COUNT; col++) {
		accepts(&r, (enum registration_column)col, "");
		accepts(&r, (enum registration_column)col, " \t ");
	}
	assert_int_equal(r.achievement.credits_centi, -1);
	assert_int_equal(r.achievement.kind, KIND_COUNT);
}

/* record_id */

static void record_id_is_capped_at_64_bytes(void **state)
{
	struct registration r;
	char *s64 = repeat("r", 64), *s65 = repeat("r", 65);

	(void)state;
	accepts(&r, REG_RECORD_ID, s64);
	assert_string_equal(r.achievement.record_id, s64);
	refuses(REG_RECORD_ID, s65, "record_id");
	accepts(&r, REG_RECORD_ID, "  2023-BSC-0012\t");
	assert_string_equal(r.achievement.record_id, "2023-BSC-0012");
	refuses(REG_RECORD_ID, "ab\ncd", "record_id");
	refuses(REG_RECORD_ID, "ab\xff", "record_id");
	free(s64);
	free(s65);
}

/* national_id */

static void national_id_is_normalised(void **state)
{
	struct registration r;

	(void)state;
	accepts(&r, REG_NATIONAL_ID, "1234-5678-2");
	assert_string_equal(r.learner.national_id, "123456782");
	accepts(&r, REG_NATIONAL_ID, "1234 5678.2");
	assert_string_equal(r.learner.national_id, "123456782");
	accepts(&r, REG_NATIONAL_ID, "ab-12.cd 34");
	assert_string_equal(r.learner.national_id, "AB12CD34");
	accepts(&r, REG_NATIONAL_ID, " \tx1y2\t ");
	assert_string_equal(r.learner.national_id, "X1Y2");
	accepts(&r, REG_NATIONAL_ID, "XYZ9");
	assert_string_equal(r.learner.national_id, "XYZ9");
}

static void national_id_length_counts_letters_and_digits(void **state)
{
	struct registration r;
	char *s32 = repeat("7", 32), *s33 = repeat("7", 33);
	char *dashed = repeat("1-", 32); /* 32 digits, 32 hyphens */

	(void)state;
	accepts(&r, REG_NATIONAL_ID, "1234");
	accepts(&r, REG_NATIONAL_ID, "1-2-3-4");
	assert_string_equal(r.learner.national_id, "1234");
	refuses(REG_NATIONAL_ID, "123", "national_id");
	refuses(REG_NATIONAL_ID, "1-2.3 -", "national_id");
	refuses(REG_NATIONAL_ID, "----", "national_id");
	accepts(&r, REG_NATIONAL_ID, s32);
	assert_string_equal(r.learner.national_id, s32);
	refuses(REG_NATIONAL_ID, s33, "national_id");
	accepts(&r, REG_NATIONAL_ID, dashed);
	assert_int_equal(strlen(r.learner.national_id), 32);
	free(s32);
	free(s33);
	free(dashed);
}

static void national_id_holds_only_letters_and_digits(void **state)
{
	(void)state;
	refuses(REG_NATIONAL_ID, "1234/5678", "national_id");
	refuses(REG_NATIONAL_ID, "12345678_", "national_id");
	refuses(REG_NATIONAL_ID, "123456é", "national_id");
	refuses(REG_NATIONAL_ID, "1234\n5678", "national_id");
	refuses(REG_NATIONAL_ID, "12,345678", "national_id");
	refuses(REG_NATIONAL_ID, "1234\xff\xfe", "national_id");
}

/* given_names, family_name, and the other text columns */

static void names_are_capped_at_200_characters(void **state)
{
	struct registration r;
	char *a200 = repeat("a", 200), *a201 = repeat("a", 201);
	char *e200 = repeat("\xc3\xa9", 200), *e201 = repeat("\xc3\xa9", 201);

	(void)state;
	accepts(&r, REG_GIVEN_NAMES, a200);
	assert_string_equal(r.learner.given_names, a200);
	accepts(&r, REG_FAMILY_NAME, a200);
	assert_string_equal(r.learner.family_name, a200);
	refuses(REG_GIVEN_NAMES, a201, "given_names");
	refuses(REG_FAMILY_NAME, a201, "family_name");
	accepts(&r, REG_FAMILY_NAME, e200);
	assert_string_equal(r.learner.family_name, e200);
	refuses(REG_FAMILY_NAME, e201, "family_name");
	free(a200);
	free(a201);
	free(e200);
	free(e201);
}

static void names_keep_non_ascii_letters(void **state)
{
	struct registration r;

	(void)state;
	accepts(&r, REG_GIVEN_NAMES, "Łukasz");
	assert_string_equal(r.learner.given_names, "Łukasz");
	accepts(&r, REG_FAMILY_NAME, "  Müller-Dağ  ");
	assert_string_equal(r.learner.family_name, "Müller-Dağ");
	accepts(&r, REG_FAMILY_NAME, "Nguyễn 阮 🎓");
	assert_string_equal(r.learner.family_name, "Nguyễn 阮 🎓");
	accepts(&r, REG_GIVEN_NAMES, "Pieter Jan");
	assert_string_equal(r.learner.given_names, "Pieter Jan");
}

static void text_must_be_valid_utf8(void **state)
{
	static const char *const bad[] = {
	        "Ann\xe9",            /* Latin-1 é */
	        "M\xc3\x28ller",      /* broken two-byte sequence */
	        "Zo\xc3",             /* truncated at the end */
	        "x\xc0\xafy",         /* overlong '/' */
	        "x\xed\xa0\x80y",     /* UTF-16 surrogate */
	        "x\xf4\x90\x80\x80y", /* above U+10FFFF */
	        "x\x80y",             /* lone continuation byte */
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		refuses(REG_GIVEN_NAMES, bad[i], "given_names");
		refuses(REG_FAMILY_NAME, bad[i], "family_name");
		refuses(REG_TITLE, bad[i], "title");
		refuses(REG_GRADE, bad[i], "grade");
	}
}

static void text_must_hold_no_control_characters(void **state)
{
	static const char *const bad[] = {"Anna\nMaria",   "Anna\rMaria",   "Anna\tMaria",
	                                  "Anna\x01Maria", "Anna\x1bMaria", "Anna\x7fMaria",
	                                  "Anna\x1fMaria"};
	struct registration r;
	struct ok_error err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		refuses(REG_GIVEN_NAMES, bad[i], "given_names");
		refuses(REG_FAMILY_NAME, bad[i], "family_name");
		refuses(REG_TITLE, bad[i], "title");
		refuses(REG_PROGRAMME, bad[i], "programme_code");
		refuses(REG_GRADING, bad[i], "grading_scheme");
	}
	/* A NUL byte inside the value is a control character too, not the end of the value. */
	model_registration_init(&r);
	ok_error_clear(&err);
	assert_int_equal(model_registration_set(&r, REG_FAMILY_NAME, "Ann\0a", 5, &err), OK_EINPUT);
	assert_string_equal(err.field, "family_name");
	/* Blanks around a value are trimmed, not refused. */
	accepts(&r, REG_GIVEN_NAMES, "\t Anna \t");
	assert_string_equal(r.learner.given_names, "Anna");
}

static void c1_control_characters_are_refused(void **state)
{
	(void)state;
	/* U+0085 (NEL) and U+009B (CSI) are control characters in UTF-8 form. */
	refuses(REG_FAMILY_NAME, "Anna\xc2\x85Maria", "family_name");
	refuses(REG_GIVEN_NAMES,
	        "Anna\xc2\x9b"
	        "31mMaria",
	        "given_names");
}

static void other_text_columns_have_their_caps(void **state)
{
	struct registration r;
	char *t300 = repeat("t", 300), *t301 = repeat("t", 301);
	char *c32 = repeat("c", 32), *c33 = repeat("c", 33);
	char *g16 = repeat("g", 16), *g17 = repeat("g", 17);
	char *s64 = repeat("s", 64), *s65 = repeat("s", 65);

	(void)state;
	accepts(&r, REG_TITLE, t300);
	refuses(REG_TITLE, t301, "title");
	accepts(&r, REG_PROGRAMME, c32);
	refuses(REG_PROGRAMME, c33, "programme_code");
	accepts(&r, REG_GRADE, g16);
	refuses(REG_GRADE, g17, "grade");
	accepts(&r, REG_GRADING, s64);
	refuses(REG_GRADING, s65, "grading_scheme");
	free(t300);
	free(t301);
	free(c32);
	free(c33);
	free(g16);
	free(g17);
	free(s64);
	free(s65);
}

/* Dates */

static void dates_accept_real_calendar_days(void **state)
{
	static const char *const good[] = {"2024-02-29", "2000-02-29", "1900-01-01", "1999-12-31",
	                                   "2023-02-28", "2023-04-30", "2023-01-31", "2400-02-29"};
	struct registration r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		accepts(&r, REG_BIRTH_DATE, good[i]);
		assert_string_equal(r.learner.birth_date, good[i]);
		accepts(&r, REG_AWARDED_ON, good[i]);
		assert_string_equal(r.achievement.awarded_on, good[i]);
		assert_true(model_date_valid(good[i], 10));
	}
	accepts(&r, REG_BIRTH_DATE, " 2001-05-06 ");
	assert_string_equal(r.learner.birth_date, "2001-05-06");
}

static void dates_refuse_impossible_days_and_other_formats(void **state)
{
	static const char *const bad[] = {
	        "2023-02-29",                   /* not a leap year */
	        "1900-02-29",                   /* centuries are not, unless divisible by 400 */
	        "2100-02-29",     "1899-12-31", /* before 1900 */
	        "0000-01-01",     "2000-13-01", "2000-00-10", "2000-01-00", "2000-01-32",
	        "2000-04-31",     "2000-06-31", "2000-09-31", "2000-11-31", "2000-1-01",
	        "2000-01-1",      "20000101",   "2000/01/01", "01-01-2000", "2000-01-01T00:00:00Z",
	        "2000-01-01Z",    "200a-01-01", "2000-0a-01", "2000-01-+1", "2000--01-01",
	        "２０００-01-01", "yesterday"};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		refuses(REG_BIRTH_DATE, bad[i], "birth_date");
		refuses(REG_AWARDED_ON, bad[i], "awarded_on");
		assert_false(model_date_valid(bad[i], strlen(bad[i])));
	}
	assert_false(model_date_valid("2000-01-01", 9));
	assert_false(model_date_valid("", 0));
}

static void today_is_a_valid_date(void **state)
{
	char today[11];

	(void)state;
	memset(today, 'x', sizeof(today));
	model_today(today);
	assert_int_equal(strlen(today), 10);
	assert_true(model_date_valid(today, 10));
	assert_true(strcmp(today, "2024-01-01") > 0);
}

/* kind */

static void kind_names_round_trip(void **state)
{
	static const char *const names[] = {"diploma", "degree", "course", "module", "exam"};
	struct registration r;
	enum achievement_kind k;
	int i;

	(void)state;
	for (i = 0; i < KIND_COUNT; i++) {
		accepts(&r, REG_KIND, names[i]);
		assert_int_equal(r.achievement.kind, i);
		assert_string_equal(achievement_kind_name((enum achievement_kind)i), names[i]);
		assert_int_equal(achievement_kind_parse(names[i], &k), 0);
		assert_int_equal(k, i);
	}
	accepts(&r, REG_KIND, "  exam ");
	assert_int_equal(r.achievement.kind, KIND_EXAM);
	assert_string_equal(achievement_kind_name(KIND_COUNT), "unknown");
	assert_int_equal(achievement_kind_parse("bachelor", &k), OK_EINPUT);
}

static void kind_refuses_other_names(void **state)
{
	static const char *const bad[] = {"bachelor",
	                                  "diplomas",
	                                  "dplm",
	                                  "certificate",
	                                  "course module",
	                                  "degree\n",
	                                  "a-very-long-kind-name-indeed",
	                                  "ex\xc3\xa4m"};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		refuses(REG_KIND, bad[i], "kind");
}

/* eqf_level */

static void eqf_level_is_1_to_8(void **state)
{
	static const char *const bad[] = {"0", "9", "10", "01", "-1", "1.0", "one", "+3", "4a"};
	struct registration r;
	char v[2] = {0, 0};
	size_t i;

	(void)state;
	for (v[0] = '1'; v[0] <= '8'; v[0]++) {
		accepts(&r, REG_EQF_LEVEL, v);
		assert_int_equal(r.achievement.eqf_level, v[0] - '0');
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		refuses(REG_EQF_LEVEL, bad[i], "eqf_level");
}

/* credits */

static void credits_are_hundredths_of_ects(void **state)
{
	static const struct {
		const char *text;
		long centi;
	} good[] = {
	        {"0", 0},         {"600", 60000},  {"7.5", 750},      {"2.25", 225},
	        {"30", 3000},     {"0.01", 1},     {"599.99", 59999}, {"600.00", 60000},
	        {"600.0", 60000}, {"007.50", 750}, {" 15 ", 1500},    {"7.500", 750},
	        {"180", 18000},
	};
	struct registration r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		accepts(&r, REG_CREDITS, good[i].text);
		if (r.achievement.credits_centi != good[i].centi)
			fail_msg("credits \"%s\": %ld, expected %ld", good[i].text,
			         r.achievement.credits_centi, good[i].centi);
	}
	accepts(&r, REG_CREDITS, "");
	assert_int_equal(r.achievement.credits_centi, -1);
}

static void credits_refuse_what_is_not_a_plain_number_in_range(void **state)
{
	static const char *const bad[] = {"600.01", "601",    "1000", "99999999999999999999",
	                                  "1e2",    "-1",     ".5",   "8.",
	                                  "7.505",  "7.5.0",  "+5",   "0x10",
	                                  "five",   "5 ECTS", "5 5",  "1,000.5"};
	struct registration r;
	struct ok_error err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		refuses(REG_CREDITS, bad[i], "credits");
	/* A decimal comma gets a hint about the dot. */
	assert_int_equal(set_one(&r, REG_CREDITS, "7,5", &err), OK_EINPUT);
	assert_string_equal(err.field, "credits");
	assert_non_null(strstr(err.message, "dot"));
	assert_null(strstr(err.message, "7,5"));
	assert_int_equal(r.achievement.credits_centi, -1);
}

/* language */

static void language_is_iso_639_1(void **state)
{
	static const char *const good[] = {"nl", "en", "de", "fr", "fy", "zu", "aa", "pl", "tr"};
	static const char *const bad[] = {"xx", "qq",    "n",  "nld", "e n", "n1",
	                                  "ñl", "en-GB", "a ", "zz",  "  q"};
	struct registration r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		accepts(&r, REG_LANGUAGE, good[i]);
		assert_string_equal(r.achievement.language, good[i]);
	}
	accepts(&r, REG_LANGUAGE, "NL");
	assert_string_equal(r.achievement.language, "nl");
	accepts(&r, REG_LANGUAGE, "En");
	assert_string_equal(r.achievement.language, "en");
	accepts(&r, REG_LANGUAGE, " de ");
	assert_string_equal(r.achievement.language, "de");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		refuses(REG_LANGUAGE, bad[i], "language");
}

/* A rejected value leaves the registration as it was. */
static void rejection_keeps_the_previous_value(void **state)
{
	struct registration r;
	struct ok_error err;

	(void)state;
	model_registration_init(&r);
	assert_int_equal(model_registration_set(&r, REG_CREDITS, "30", 2, &err), 0);
	assert_int_equal(model_registration_set(&r, REG_CREDITS, "-1", 2, &err), OK_EINPUT);
	assert_int_equal(r.achievement.credits_centi, 3000);
	assert_int_equal(model_registration_set(&r, REG_FAMILY_NAME, "Bos", 3, &err), 0);
	assert_int_equal(model_registration_set(&r, REG_FAMILY_NAME, "B\nos", 4, &err), OK_EINPUT);
	assert_string_equal(r.learner.family_name, "Bos");
	/* The error struct is optional. */
	assert_int_equal(model_registration_set(&r, REG_EQF_LEVEL, "9", 1, NULL), OK_EINPUT);
}

/* Personal data never shows in messages, whatever the column and the reason. */
static void messages_never_repeat_personal_data(void **state)
{
	static const struct {
		enum registration_column col;
		const char *value;
	} cases[] = {
	        {REG_NATIONAL_ID, "SECRET#987654321"},
	        {REG_NATIONAL_ID, "SECRET1234567890123456789012345678901"},
	        {REG_GIVEN_NAMES, "Geheimnaam\x01"},
	        {REG_FAMILY_NAME, "Geheimnaam\xff"},
	        {REG_BIRTH_DATE, "1999-02-30"},
	        {REG_BIRTH_DATE, "1999-2-3"},
	        {REG_RECORD_ID, "Geheimnaam\n"},
	};
	struct registration r;
	struct ok_error err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(set_one(&r, cases[i].col, cases[i].value, &err), OK_EINPUT);
		assert_string_equal(err.field, registration_column_names[cases[i].col]);
		assert_null(strstr(err.message, "SECRET"));
		assert_null(strstr(err.message, "Geheim"));
		assert_null(strstr(err.message, "1999"));
		assert_null(strstr(err.message, "987654321"));
	}
}

/* Checks across columns */

static const char *const valid_row[REG_COLUMN_COUNT] = {
        "2023-BSC-0012",
        "1234-5678-2",
        "Łukasz",
        "Müller-Dağ",
        "2000-01-02",
        "degree",
        "Bachelor of Science in Physics",
        "56984",
        "6",
        "180",
        "8",
        "NL 1-10",
        "2023-07-01",
        "en",
};

/* Fills r from row (NULL entries are left out) and returns model_registration_check's code. */
static int check_row(const char *const row[REG_COLUMN_COUNT], const char *today,
                     struct ok_error *err)
{
	struct registration r;
	int i;

	model_registration_init(&r);
	for (i = 0; i < REG_COLUMN_COUNT; i++) {
		if (!row[i])
			continue;
		ok_error_clear(err);
		if (model_registration_set(&r, (enum registration_column)i, row[i], strlen(row[i]),
		                           err) != 0)
			fail_msg("column %s: %s", registration_column_names[i], err->message);
	}
	ok_error_clear(err);
	return model_registration_check(&r, today, err);
}

static void row_verdict(const char *const row[REG_COLUMN_COUNT], const char *today,
                        const char *field)
{
	struct ok_error err;
	int rc = check_row(row, today, &err);

	if (!field) {
		if (rc != 0)
			fail_msg("row rejected on %s: %s", err.field, err.message);
		return;
	}
	if (rc != OK_EINPUT)
		fail_msg("row accepted, expected a rejection on %s", field);
	assert_string_equal(err.field, field);
	assert_null(strstr(err.message, "2000-01-02"));
	assert_null(strstr(err.message, "Müller"));
	assert_null(strstr(err.message, "123456782"));
}

static void a_complete_row_passes(void **state)
{
	struct registration r;
	struct ok_error err;
	int i;

	(void)state;
	row_verdict(valid_row, "2024-06-01", NULL);
	model_registration_init(&r);
	for (i = 0; i < REG_COLUMN_COUNT; i++)
		assert_int_equal(model_registration_set(&r, (enum registration_column)i,
		                                        valid_row[i], strlen(valid_row[i]), &err),
		                 0);
	assert_int_equal(model_registration_check(&r, "2024-06-01", &err), 0);
	assert_string_equal(r.learner.national_id, "123456782");
	assert_int_equal(r.achievement.kind, KIND_DEGREE);
	assert_int_equal(r.achievement.eqf_level, 6);
	assert_int_equal(r.achievement.credits_centi, 18000);
	assert_string_equal(r.achievement.language, "en");
}

static void required_columns_must_be_given(void **state)
{
	static const enum registration_column required[] = {
	        REG_RECORD_ID, REG_NATIONAL_ID, REG_FAMILY_NAME, REG_BIRTH_DATE,
	        REG_KIND,      REG_TITLE,       REG_AWARDED_ON};
	const char *row[REG_COLUMN_COUNT];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
		memcpy(row, valid_row, sizeof(row));
		row[required[i]] = NULL;
		row_verdict(row, "2024-06-01", registration_column_names[required[i]]);
		row[required[i]] = "  ";
		row_verdict(row, "2024-06-01", registration_column_names[required[i]]);
	}
}

static void optional_columns_may_be_left_out(void **state)
{
	static const enum registration_column optional[] = {REG_GIVEN_NAMES, REG_PROGRAMME,
	                                                    REG_CREDITS, REG_LANGUAGE};
	const char *row[REG_COLUMN_COUNT];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(optional) / sizeof(optional[0]); i++) {
		memcpy(row, valid_row, sizeof(row));
		row[optional[i]] = NULL;
		row_verdict(row, "2024-06-01", NULL);
	}
	memcpy(row, valid_row, sizeof(row));
	row[REG_GIVEN_NAMES] = row[REG_PROGRAMME] = row[REG_CREDITS] = NULL;
	row[REG_GRADE] = row[REG_GRADING] = row[REG_LANGUAGE] = NULL;
	row_verdict(row, "2024-06-01", NULL);
}

static void a_grade_needs_a_grading_scheme(void **state)
{
	const char *row[REG_COLUMN_COUNT];

	(void)state;
	memcpy(row, valid_row, sizeof(row));
	row[REG_GRADING] = NULL;
	row_verdict(row, "2024-06-01", "grading_scheme");
	row[REG_GRADE] = NULL;
	row_verdict(row, "2024-06-01", NULL);
	row[REG_GRADING] = "ECTS A-F";
	row_verdict(row, "2024-06-01", NULL);
}

static void diplomas_and_degrees_need_an_eqf_level(void **state)
{
	const char *row[REG_COLUMN_COUNT];

	(void)state;
	memcpy(row, valid_row, sizeof(row));
	row[REG_EQF_LEVEL] = NULL;
	row[REG_KIND] = "degree";
	row_verdict(row, "2024-06-01", "eqf_level");
	row[REG_KIND] = "diploma";
	row_verdict(row, "2024-06-01", "eqf_level");
	row[REG_KIND] = "course";
	row_verdict(row, "2024-06-01", NULL);
	row[REG_KIND] = "module";
	row_verdict(row, "2024-06-01", NULL);
	row[REG_KIND] = "exam";
	row_verdict(row, "2024-06-01", NULL);
	row[REG_EQF_LEVEL] = "4";
	row[REG_KIND] = "diploma";
	row_verdict(row, "2024-06-01", NULL);
}

static void dates_may_not_lie_in_the_future(void **state)
{
	const char *row[REG_COLUMN_COUNT];

	(void)state;
	memcpy(row, valid_row, sizeof(row));
	row[REG_AWARDED_ON] = "2024-06-01";
	row_verdict(row, "2024-06-01", NULL); /* today is fine */
	row[REG_AWARDED_ON] = "2024-06-02";
	row_verdict(row, "2024-06-01", "awarded_on");
	row[REG_AWARDED_ON] = "2025-01-01";
	row_verdict(row, "2024-06-01", "awarded_on");
	memcpy(row, valid_row, sizeof(row));
	row[REG_BIRTH_DATE] = "2024-06-02";
	row[REG_AWARDED_ON] = "2024-06-03";
	row_verdict(row, "2024-06-01", "birth_date");
}

static void awarded_on_must_come_after_birth(void **state)
{
	const char *row[REG_COLUMN_COUNT];

	(void)state;
	memcpy(row, valid_row, sizeof(row));
	row[REG_BIRTH_DATE] = "2000-01-02";
	row[REG_AWARDED_ON] = "2000-01-01";
	row_verdict(row, "2024-06-01", "awarded_on");
	row[REG_AWARDED_ON] = "2000-01-02";
	row_verdict(row, "2024-06-01", "awarded_on");
	row[REG_AWARDED_ON] = "2000-01-03";
	row_verdict(row, "2024-06-01", NULL);
	row[REG_AWARDED_ON] = "1999-12-31";
	row_verdict(row, "2024-06-01", "awarded_on");
}

static void check_against_the_real_today(void **state)
{
	char today[11];
	const char *row[REG_COLUMN_COUNT];

	(void)state;
	model_today(today);
	memcpy(row, valid_row, sizeof(row));
	row[REG_AWARDED_ON] = today;
	row_verdict(row, today, NULL);
	row[REG_AWARDED_ON] = "2999-01-01";
	row_verdict(row, today, "awarded_on");
}

/* Import side of the eleven-test, dates that do not exist, hidden characters */

/* The message set_one gave for value in col. */
static void message_of(enum registration_column col, const char *value, char *out, size_t cap)
{
	struct registration r;
	struct ok_error err;

	assert_int_equal(set_one(&r, col, value, &err), OK_EINPUT);
	snprintf(out, cap, "%s", err.message);
}

static void bsn_passes_the_eleven_test(void **state)
{
	static const char *const good[] = {"123456782", "111222333", "987654329", "999999990"};
	static const char *const bad[] = {"123456789", "111222334", "12345678", "1234567820",
	                                  "000000000", "12345678a", "",         "987654321"};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (!model_bsn_valid(good[i]))
			fail_msg("%s should pass", good[i]);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (model_bsn_valid(bad[i]))
			fail_msg("%s should fail", bad[i]);
}

static void national_id_checked_by_the_institutions_country(void **state)
{
	struct registration r;
	struct ok_error err;

	(void)state;
	accepts(&r, REG_NATIONAL_ID, "1234-5678-9");
	assert_int_equal(model_national_id_check(&r.learner, "NL", &err), OK_EINPUT);
	assert_string_equal(err.field, "national_id");
	assert_non_null(strstr(err.message, "eleven-test"));
	assert_null(strstr(err.message, "123456789"));
	/* Another country's digits are that country's business. */
	assert_int_equal(model_national_id_check(&r.learner, "BE", &err), 0);
	assert_int_equal(model_national_id_check(&r.learner, NULL, &err), 0);
	/* With letters, the id is not a BSN. */
	accepts(&r, REG_NATIONAL_ID, "DE 12345678901");
	assert_int_equal(model_national_id_check(&r.learner, "NL", &err), 0);
	accepts(&r, REG_NATIONAL_ID, "123456782");
	assert_int_equal(model_national_id_check(&r.learner, "NL", &err), 0);
}

static void nl_in_front_of_digits_is_a_bsn(void **state)
{
	struct registration r;

	(void)state;
	accepts(&r, REG_NATIONAL_ID, "NL 1234.5678.2");
	assert_string_equal(r.learner.national_id, "123456782");
	accepts(&r, REG_NATIONAL_ID, "nl-123456782");
	assert_string_equal(r.learner.national_id, "123456782");
	refuses(REG_NATIONAL_ID, "NL123456789", "national_id");
	refuses(REG_NATIONAL_ID, "NL1234", "national_id");
	/* Letters after NL: not a BSN, kept as given. */
	accepts(&r, REG_NATIONAL_ID, "NLX1234");
	assert_string_equal(r.learner.national_id, "NLX1234");
}

static void a_date_that_does_not_exist_is_not_a_real_date(void **state)
{
	static const char *const unreal[] = {"2001-02-30", "2023-02-29", "2000-13-01",
	                                     "2000-00-10", "2000-04-31", "2000-01-00"};
	static const char *const shapeless[] = {"2000-1-01", "01-01-2000", "2000/01/01",
	                                        "yesterday"};
	char msg[OK_ERROR_MESSAGE_MAX];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(unreal) / sizeof(unreal[0]); i++) {
		message_of(REG_BIRTH_DATE, unreal[i], msg, sizeof(msg));
		if (!strstr(msg, "is not a real date"))
			fail_msg("%s: \"%s\"", unreal[i], msg);
	}
	for (i = 0; i < sizeof(shapeless) / sizeof(shapeless[0]); i++) {
		message_of(REG_AWARDED_ON, shapeless[i], msg, sizeof(msg));
		if (!strstr(msg, "must be a date as YYYY-MM-DD"))
			fail_msg("%s: \"%s\"", shapeless[i], msg);
	}
	message_of(REG_BIRTH_DATE, "1899-12-31", msg, sizeof(msg));
	assert_non_null(strstr(msg, "from 1900 on"));
}

static void hidden_and_direction_characters_are_refused(void **state)
{
	static const char *const hidden[] = {
	        "\xE2\x80\xAA", "\xE2\x80\xAB", "\xE2\x80\xAC", "\xE2\x80\xAD", "\xE2\x80\xAE",
	        "\xE2\x81\xA6", "\xE2\x81\xA7", "\xE2\x81\xA8", "\xE2\x81\xA9", "\xE2\x80\x8B",
	        "\xE2\x80\x8E", "\xE2\x80\x8F", "\xD8\x9C",     "\xEF\xBB\xBF", "\xE2\x81\xA0"};
	static const enum registration_column cols[] = {REG_GIVEN_NAMES, REG_FAMILY_NAME, REG_TITLE,
	                                                REG_GRADE};
	struct registration r;
	char value[32], msg[OK_ERROR_MESSAGE_MAX];
	size_t i, j;

	(void)state;
	for (i = 0; i < sizeof(hidden) / sizeof(hidden[0]); i++) {
		for (j = 0; j < sizeof(cols) / sizeof(cols[0]); j++) {
			snprintf(value, sizeof(value), "Ab%sc", hidden[i]);
			refuses(cols[j], value, registration_column_names[cols[j]]);
			message_of(cols[j], value, msg, sizeof(msg));
			assert_non_null(strstr(msg, "invisible or text-direction character (U+"));
		}
	}
	/* Right-to-left text itself is fine: only the controls are refused. */
	accepts(&r, REG_FAMILY_NAME, "\xD7\xA9\xD7\x9C\xD7\x95\xD7\x9D");
	accepts(&r, REG_TITLE, "\xD8\xA7\xD9\x84\xD8\xB9\xD8\xB1\xD8\xA8\xD9\x8A\xD8\xA9 (Arabic)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(column_names_follow_the_documented_order),
	        cmocka_unit_test(init_means_nothing_given),
	        cmocka_unit_test(empty_or_blank_value_means_not_given),
	        cmocka_unit_test(record_id_is_capped_at_64_bytes),
	        cmocka_unit_test(national_id_is_normalised),
	        cmocka_unit_test(national_id_length_counts_letters_and_digits),
	        cmocka_unit_test(national_id_holds_only_letters_and_digits),
	        cmocka_unit_test(names_are_capped_at_200_characters),
	        cmocka_unit_test(names_keep_non_ascii_letters),
	        cmocka_unit_test(text_must_be_valid_utf8),
	        cmocka_unit_test(text_must_hold_no_control_characters),
	        cmocka_unit_test(c1_control_characters_are_refused),
	        cmocka_unit_test(other_text_columns_have_their_caps),
	        cmocka_unit_test(dates_accept_real_calendar_days),
	        cmocka_unit_test(dates_refuse_impossible_days_and_other_formats),
	        cmocka_unit_test(today_is_a_valid_date),
	        cmocka_unit_test(kind_names_round_trip),
	        cmocka_unit_test(kind_refuses_other_names),
	        cmocka_unit_test(eqf_level_is_1_to_8),
	        cmocka_unit_test(credits_are_hundredths_of_ects),
	        cmocka_unit_test(credits_refuse_what_is_not_a_plain_number_in_range),
	        cmocka_unit_test(language_is_iso_639_1),
	        cmocka_unit_test(rejection_keeps_the_previous_value),
	        cmocka_unit_test(messages_never_repeat_personal_data),
	        cmocka_unit_test(a_complete_row_passes),
	        cmocka_unit_test(required_columns_must_be_given),
	        cmocka_unit_test(optional_columns_may_be_left_out),
	        cmocka_unit_test(a_grade_needs_a_grading_scheme),
	        cmocka_unit_test(diplomas_and_degrees_need_an_eqf_level),
	        cmocka_unit_test(dates_may_not_lie_in_the_future),
	        cmocka_unit_test(awarded_on_must_come_after_birth),
	        cmocka_unit_test(check_against_the_real_today),
	        cmocka_unit_test(bsn_passes_the_eleven_test),
	        cmocka_unit_test(national_id_checked_by_the_institutions_country),
	        cmocka_unit_test(nl_in_front_of_digits_is_a_bsn),
	        cmocka_unit_test(a_date_that_does_not_exist_is_not_a_real_date),
	        cmocka_unit_test(hidden_and_direction_characters_are_refused),
	};
	return cmocka_run_group_tests_name("model/registration", tests, NULL, NULL);
}
