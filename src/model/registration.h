/* One registration: a learner's personal data and one achievement of theirs, as an institution
 * submits it (a CSV row, a JSON object), validated field by field.
 *
 * Invariants of a struct registration that model_registration_check() accepted:
 * - every text field is valid UTF-8, NUL-terminated, within its cap, with no control characters;
 * - national_id is normalised (upper case, no spaces or hyphens; "NL" before a BSN dropped);
 * - no text field holds a character that hides or reorders text (utf8_is_hidden);
 * - dates are real calendar dates in ISO 8601 (YYYY-MM-DD), birth_date < awarded_on <= today;
 * - credits_centi is hundredths of an ECTS credit, 0..60000, or -1 when not given;
 * - eqf_level is 1..8, or 0 when not given (required for diplomas and degrees).
 */
#ifndef OK_MODEL_REGISTRATION_H
#define OK_MODEL_REGISTRATION_H

#include <stdbool.h>
#include <stddef.h>

#include "core/error.h"

/* The columns of a registration, in the documented CSV order (docs/formats.md). */
#define REGISTRATION_COLUMNS(X)                   \
	X(REG_RECORD_ID, "record_id", true)       \
	X(REG_NATIONAL_ID, "national_id", true)   \
	X(REG_GIVEN_NAMES, "given_names", true)   \
	X(REG_FAMILY_NAME, "family_name", true)   \
	X(REG_BIRTH_DATE, "birth_date", true)     \
	X(REG_KIND, "kind", true)                 \
	X(REG_TITLE, "title", true)               \
	X(REG_PROGRAMME, "programme_code", false) \
	X(REG_EQF_LEVEL, "eqf_level", false)      \
	X(REG_CREDITS, "credits", false)          \
	X(REG_GRADE, "grade", false)              \
	X(REG_GRADING, "grading_scheme", false)   \
	X(REG_AWARDED_ON, "awarded_on", true)     \
	X(REG_LANGUAGE, "language", false)

enum registration_column {
#define REG_COLUMN_ENUM(id, name, required) id,
	REGISTRATION_COLUMNS(REG_COLUMN_ENUM)
#undef REG_COLUMN_ENUM
	        REG_COLUMN_COUNT
};

/* The column names in order, and whether each must appear in a CSV header. */
extern const char *const registration_column_names[REG_COLUMN_COUNT];
extern const bool registration_column_required[REG_COLUMN_COUNT];

/* Finds a column by name; returns its index or -1. */
int registration_column_find(const char *name);

enum achievement_kind {
	KIND_DIPLOMA,
	KIND_DEGREE,
	KIND_COURSE,
	KIND_MODULE,
	KIND_EXAM,
	KIND_COUNT
};

const char *achievement_kind_name(enum achievement_kind kind);
/* Returns 0 and sets *kind, or OK_EINPUT for an unknown name. */
int achievement_kind_parse(const char *name, enum achievement_kind *kind);

/* Limits are in characters (Unicode code points); a field holds up to four bytes each. */
#define REG_ID_MAX          64
#define REG_NATIONAL_ID_MAX 32
#define REG_NAME_MAX        200
#define REG_TITLE_MAX       300
#define REG_CODE_MAX        32
#define REG_GRADE_MAX       16
#define REG_SCHEME_MAX      64
#define REG_BYTES(chars)    (4 * (chars) + 1)

struct learner_data {
	char national_id[REG_NATIONAL_ID_MAX + 1];
	char given_names[REG_BYTES(REG_NAME_MAX)];
	char family_name[REG_BYTES(REG_NAME_MAX)];
	char birth_date[11];
};

struct achievement_data {
	char record_id[REG_BYTES(REG_ID_MAX)];
	enum achievement_kind kind;
	char title[REG_BYTES(REG_TITLE_MAX)];
	char programme_code[REG_BYTES(REG_CODE_MAX)];
	int eqf_level;      /* 1..8, 0 = not given */
	long credits_centi; /* hundredths of ECTS, -1 = not given */
	char grade[REG_BYTES(REG_GRADE_MAX)];
	char grading_scheme[REG_BYTES(REG_SCHEME_MAX)];
	char awarded_on[11];
	char language[3];
};

struct registration {
	struct learner_data learner;
	struct achievement_data achievement;
};

/* Clears r to "nothing given". */
void model_registration_init(struct registration *r);

/*
 * Sets one column from raw text (not NUL-terminated; trailing and leading blanks are trimmed).
 * An empty value means "not given". On bad input returns OK_EINPUT with err->field set to the
 * column name and a message that never repeats the value (it may be personal data).
 */
int model_registration_set(struct registration *r, enum registration_column col, const char *value,
                           size_t len, struct ok_error *err);

/*
 * Checks what no single column can: required columns given, dates in order and not in the future
 * (today is "YYYY-MM-DD"), EQF level present for diplomas and degrees.
 */
int model_registration_check(const struct registration *r, const char *today, struct ok_error *err);

/* Whether id is a Dutch citizen service number (BSN): 9 digits whose sum with the weights
 * 9, 8, ..., 2 and -1 is a multiple of 11 (the eleven-test). */
bool model_bsn_valid(const char *id);

/*
 * Checks a normalised national id against the rules of the country it comes from, here the
 * country of the registering institution (ISO 3166-1 alpha-2, may be NULL): for NL an id of
 * digits only is a BSN and must pass model_bsn_valid. An id with letters is another country's
 * (docs/formats.md) and keeps the general rule of model_registration_set. OK_EINPUT with field
 * national_id otherwise.
 */
int model_national_id_check(const struct learner_data *l, const char *country,
                            struct ok_error *err);

/* Date helpers. "YYYY-MM-DD" for the current UTC day into out[11]. */
void model_today(char out[11]);
bool model_date_valid(const char *s, size_t len);

#endif
