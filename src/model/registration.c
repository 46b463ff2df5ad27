/* Validation of a registration, column by column and as a whole (see registration.h). */
#include "model/registration.h"

#include "io/utf8.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const char *const registration_column_names[REG_COLUMN_COUNT] = {
#define REG_COLUMN_NAME(id, name, required) name,
        REGISTRATION_COLUMNS(REG_COLUMN_NAME)
#undef REG_COLUMN_NAME
};

const bool registration_column_required[REG_COLUMN_COUNT] = {
#define REG_COLUMN_REQUIRED(id, name, required) required,
        REGISTRATION_COLUMNS(REG_COLUMN_REQUIRED)
#undef REG_COLUMN_REQUIRED
};

static const char *const kind_names[KIND_COUNT] = {"diploma", "degree", "course", "module", "exam"};

/* ISO 639-1: the two-letter language codes. */
static const char iso639_1[] = "aa ab ae af ak am an ar as av ay az ba be bg bh bi bm bn bo br bs "
                               "ca ce ch co cr cs cu cv cy da de dv dz ee el en eo es et eu fa ff "
                               "fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht hu hy hz ia id "
                               "ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku "
                               "kv kw ky la lb lg li ln lo lt lu lv mg mh mi mk ml mn mr ms mt my "
                               "na nb nd ne ng nl nn no nr nv ny oc oj om or os pa pi pl ps pt qu "
                               "rm rn ro ru rw sa sc sd se sg si sk sl sm sn so sq sr ss st su sv "
                               "sw ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi vo "
                               "wa wo xh yi yo za zh zu";

int registration_column_find(const char *name)
{
	int i;

	for (i = 0; i < REG_COLUMN_COUNT; i++)
		if (strcmp(registration_column_names[i], name) == 0)
			return i;
	return -1;
}

const char *achievement_kind_name(enum achievement_kind kind)
{
	if ((unsigned)kind >= KIND_COUNT)
		return "unknown";
	return kind_names[kind];
}

int achievement_kind_parse(const char *name, enum achievement_kind *kind)
{
	int i;

	for (i = 0; i < KIND_COUNT; i++) {
		if (strcmp(kind_names[i], name) == 0) {
			*kind = (enum achievement_kind)i;
			return 0;
		}
	}
	return OK_EINPUT;
}

void model_registration_init(struct registration *r)
{
	memset(r, 0, sizeof(*r));
	r->achievement.kind = KIND_COUNT;
	r->achievement.credits_centi = -1;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static bool is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Whether s (10 bytes) has the form DDDD-DD-DD. */
static bool date_shaped(const char *s)
{
	int i;

	for (i = 0; i < 10; i++)
		if ((i == 4 || i == 7) ? s[i] != '-' : (s[i] < '0' || s[i] > '9'))
			return false;
	return true;
}

bool model_date_valid(const char *s, size_t len)
{
	static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int y, m, d, i;

	if (len != 10 || s[4] != '-' || s[7] != '-')
		return false;
	for (i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return false;
	y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
	m = (s[5] - '0') * 10 + (s[6] - '0');
	d = (s[8] - '0') * 10 + (s[9] - '0');
	if (y < 1900 || m < 1 || m > 12 || d < 1)
		return false;
	return d <= days[m - 1] + (m == 2 && is_leap(y));
}

void model_today(char out[11])
{
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	if (strftime(out, 11, "%Y-%m-%d", &tm) != 10)
		memcpy(out, "1970-01-01", 11);
}

/* Copies trimmed text after checking UTF-8, control characters and the cap (in characters). */
static int set_text(char *dst, size_t cap, const char *field, const char *v, size_t n,
                    struct ok_error *err)
{
	size_t i, chars = 0;
	uint32_t hidden;

	if (n > 4 * cap || !utf8_valid(v, n))
		return ok_fail_field(err, OK_EINPUT, field,
		                     n > 4 * cap ? "%s is longer than %zu characters"
		                                 : "%s is not valid UTF-8",
		                     field, cap);
	for (i = 0; i < n; i++)
		chars += ((unsigned char)v[i] & 0xC0) != 0x80;
	if (chars > cap)
		return ok_fail_field(err, OK_EINPUT, field, "%s is longer than %zu characters",
		                     field, cap);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v[i];
		/* C0 controls, DEL, and C1 controls (U+0080-U+009F, 0xC2 0x80-0x9F in UTF-8). */
		if (c < 0x20 || c == 0x7F ||
		    (c == 0xC2 && i + 1 < n && (unsigned char)v[i + 1] >= 0x80 &&
		     (unsigned char)v[i + 1] <= 0x9F))
			return ok_fail_field(err, OK_EINPUT, field,
			                     "%s contains a control character (e.g. a line break)",
			                     field);
	}
	/* Shown on pages and in credentials: nothing may reorder or hide what a reader sees. */
	if (utf8_find_hidden(v, n, &hidden) < n)
		return ok_fail_field(err, OK_EINPUT, field,
		                     "%s contains an invisible or text-direction character "
		                     "(U+%04X)",
		                     field, (unsigned)hidden);
	memcpy(dst, v, n);
	dst[n] = '\0';
	return 0;
}

bool model_bsn_valid(const char *id)
{
	int sum = 0, i;

	if (strlen(id) != 9)
		return false;
	for (i = 0; i < 9; i++) {
		if (id[i] < '0' || id[i] > '9')
			return false;
		sum += (id[i] - '0') * (i < 8 ? 9 - i : -1);
	}
	/* All zeros passes the sum but is no one's number. */
	return sum % 11 == 0 && strcmp(id, "000000000") != 0;
}

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

static int bsn_error(struct ok_error *err)
{
	return ok_fail_field(err, OK_EINPUT, "national_id",
	                     "national_id is not a valid BSN (9 digits that pass the eleven-test)");
}

static int set_national_id(char *dst, const char *v, size_t n, struct ok_error *err)
{
	const char *field = "national_id";
	size_t i, out = 0;

	for (i = 0; i < n; i++) {
		char c = v[i];
		if (c == ' ' || c == '-' || c == '.')
			continue;
		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')))
			return ok_fail_field(err, OK_EINPUT, field,
			                     "national_id may hold only letters and digits");
		if (out == REG_NATIONAL_ID_MAX)
			return ok_fail_field(err, OK_EINPUT, field,
			                     "national_id is longer than %d characters",
			                     REG_NATIONAL_ID_MAX);
		dst[out++] = c;
	}
	if (out < 4)
		return ok_fail_field(err, OK_EINPUT, field,
		                     "national_id must have at least 4 letters or digits");
	dst[out] = '\0';
	/* "NL" and digits is a BSN said to be Dutch: stored as the bare number, so that it
	 * finds the same learner as the number without the prefix. */
	if (dst[0] == 'N' && dst[1] == 'L' && all_digits(dst + 2)) {
		memmove(dst, dst + 2, out - 1);
		if (!model_bsn_valid(dst))
			return bsn_error(err);
	}
	return 0;
}

int model_national_id_check(const struct learner_data *l, const char *country, struct ok_error *err)
{
	if (country && strcmp(country, "NL") == 0 && all_digits(l->national_id) &&
	    !model_bsn_valid(l->national_id))
		return bsn_error(err);
	return 0;
}

static int set_date(char *dst, const char *field, const char *v, size_t n, struct ok_error *err)
{
	if (!model_date_valid(v, n)) {
		/* Shaped right but no day of the calendar (2001-02-30): say so, not "format". */
		if (n == 10 && date_shaped(v) && (v[0] > '1' || (v[0] == '1' && v[1] == '9')))
			return ok_fail_field(err, OK_EINPUT, field,
			                     "%s is not a real date (YYYY-MM-DD)", field);
		return ok_fail_field(err, OK_EINPUT, field,
		                     "%s must be a date as YYYY-MM-DD (from 1900 on)", field);
	}
	memcpy(dst, v, 10);
	dst[10] = '\0';
	return 0;
}

static int set_eqf(int *dst, const char *v, size_t n, struct ok_error *err)
{
	if (n != 1 || v[0] < '1' || v[0] > '8')
		return ok_fail_field(err, OK_EINPUT, "eqf_level", "eqf_level must be 1-8");
	*dst = v[0] - '0';
	return 0;
}

/* Credits: digits, optionally a dot and up to two decimals; 0 to 600 ECTS. */
static int set_credits(long *dst, const char *v, size_t n, struct ok_error *err)
{
	const char *field = "credits";
	long whole = 0, frac = 0;
	size_t i = 0, digits = 0, decimals = 0;

	for (; i < n && v[i] >= '0' && v[i] <= '9'; i++, digits++) {
		if (whole > 600)
			break;
		whole = whole * 10 + (v[i] - '0');
	}
	if (i < n && v[i] == ',')
		return ok_fail_field(err, OK_EINPUT, field,
		                     "credits must use a dot as decimal separator (e.g. 7.5)");
	if (i < n && v[i] == '.') {
		for (i++; i < n && v[i] >= '0' && v[i] <= '9'; i++, decimals++)
			if (decimals < 2)
				frac = frac * 10 + (v[i] - '0');
			else if (v[i] != '0')
				return ok_fail_field(err, OK_EINPUT, field,
				                     "credits may have at most two decimals");
		if (decimals == 0)
			digits = 0;
	}
	if (i != n || digits == 0)
		return ok_fail_field(err, OK_EINPUT, field,
		                     "credits must be a number of ECTS credits such as 30 or 7.5");
	if (decimals == 1)
		frac *= 10;
	if (whole > 600 || (whole == 600 && frac > 0))
		return ok_fail_field(err, OK_EINPUT, field, "credits must be 0-600");
	*dst = whole * 100 + frac;
	return 0;
}

static int set_language(char *dst, const char *v, size_t n, struct ok_error *err)
{
	char code[3];

	if (n == 2) {
		code[0] = (char)(v[0] >= 'A' && v[0] <= 'Z' ? v[0] - 'A' + 'a' : v[0]);
		code[1] = (char)(v[1] >= 'A' && v[1] <= 'Z' ? v[1] - 'A' + 'a' : v[1]);
		code[2] = '\0';
		if (code[0] >= 'a' && code[0] <= 'z' && code[1] >= 'a' && code[1] <= 'z' &&
		    strstr(iso639_1, code)) {
			memcpy(dst, code, 3);
			return 0;
		}
	}
	return ok_fail_field(err, OK_EINPUT, "language",
	                     "language must be an ISO 639-1 code such as nl or en");
}

int model_registration_set(struct registration *r, enum registration_column col, const char *value,
                           size_t len, struct ok_error *err)
{
	struct learner_data *l = &r->learner;
	struct achievement_data *a = &r->achievement;
	char kind[16];

	while (len > 0 && is_blank(value[0])) {
		value++;
		len--;
	}
	while (len > 0 && is_blank(value[len - 1]))
		len--;
	if (len == 0)
		return 0; /* not given; model_registration_check() knows what is required */

	switch (col) {
	case REG_RECORD_ID:
		return set_text(a->record_id, REG_ID_MAX, "record_id", value, len, err);
	case REG_NATIONAL_ID:
		return set_national_id(l->national_id, value, len, err);
	case REG_GIVEN_NAMES:
		return set_text(l->given_names, REG_NAME_MAX, "given_names", value, len, err);
	case REG_FAMILY_NAME:
		return set_text(l->family_name, REG_NAME_MAX, "family_name", value, len, err);
	case REG_BIRTH_DATE:
		return set_date(l->birth_date, "birth_date", value, len, err);
	case REG_KIND:
		if (len >= sizeof(kind))
			goto bad_kind;
		memcpy(kind, value, len);
		kind[len] = '\0';
		if (achievement_kind_parse(kind, &a->kind) == 0)
			return 0;
	bad_kind:
		return ok_fail_field(err, OK_EINPUT, "kind",
		                     "kind must be one of diploma, degree, course, module, exam");
	case REG_TITLE:
		return set_text(a->title, REG_TITLE_MAX, "title", value, len, err);
	case REG_PROGRAMME:
		return set_text(a->programme_code, REG_CODE_MAX, "programme_code", value, len, err);
	case REG_EQF_LEVEL:
		return set_eqf(&a->eqf_level, value, len, err);
	case REG_CREDITS:
		return set_credits(&a->credits_centi, value, len, err);
	case REG_GRADE:
		return set_text(a->grade, REG_GRADE_MAX, "grade", value, len, err);
	case REG_GRADING:
		return set_text(a->grading_scheme, REG_SCHEME_MAX, "grading_scheme", value, len,
		                err);
	case REG_AWARDED_ON:
		return set_date(a->awarded_on, "awarded_on", value, len, err);
	case REG_LANGUAGE:
		return set_language(a->language, value, len, err);
	case REG_COLUMN_COUNT:
		break;
	}
	return ok_fail(err, OK_EINTERNAL, "unknown column %d", (int)col);
}

int model_registration_check(const struct registration *r, const char *today, struct ok_error *err)
{
	const struct learner_data *l = &r->learner;
	const struct achievement_data *a = &r->achievement;
	static const struct {
		enum registration_column col;
		size_t offset;
		bool learner;
	} required[] = {
	        {REG_RECORD_ID, offsetof(struct achievement_data, record_id), false},
	        {REG_NATIONAL_ID, offsetof(struct learner_data, national_id), true},
	        {REG_FAMILY_NAME, offsetof(struct learner_data, family_name), true},
	        {REG_BIRTH_DATE, offsetof(struct learner_data, birth_date), true},
	        {REG_TITLE, offsetof(struct achievement_data, title), false},
	        {REG_AWARDED_ON, offsetof(struct achievement_data, awarded_on), false},
	};
	size_t i;

	for (i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
		const char *base = required[i].learner ? (const char *)l : (const char *)a;
		const char *name = registration_column_names[required[i].col];
		if (base[required[i].offset] == '\0')
			return ok_fail_field(err, OK_EINPUT, name, "%s is required", name);
	}
	if (a->kind == KIND_COUNT)
		return ok_fail_field(err, OK_EINPUT, "kind", "kind is required");
	if ((a->kind == KIND_DIPLOMA || a->kind == KIND_DEGREE) && a->eqf_level == 0)
		return ok_fail_field(err, OK_EINPUT, "eqf_level", "eqf_level is required for a %s",
		                     achievement_kind_name(a->kind));
	if (a->grade[0] && !a->grading_scheme[0])
		return ok_fail_field(err, OK_EINPUT, "grading_scheme",
		                     "grading_scheme is required when a grade is given");
	if (strcmp(l->birth_date, today) > 0)
		return ok_fail_field(err, OK_EINPUT, "birth_date", "birth_date is in the future");
	if (strcmp(a->awarded_on, today) > 0)
		return ok_fail_field(err, OK_EINPUT, "awarded_on", "awarded_on is in the future");
	if (strcmp(a->awarded_on, l->birth_date) <= 0)
		return ok_fail_field(err, OK_EINPUT, "awarded_on",
		                     "awarded_on must be after birth_date");
	return 0;
}
