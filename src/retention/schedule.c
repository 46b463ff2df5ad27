/* The retention schedule: its names, defaults, the reading of config.json's "retention" object
 * and the calendar arithmetic of due dates. */
#include "retention/schedule.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define MAX_YEARS  200
#define MAX_MONTHS (MAX_YEARS * 12)
#define MAX_DAYS   (MAX_YEARS * 365)

static const char *const class_names[RETENTION_CLASS_COUNT] = {
        "diploma",    "result",       "foreign",      "share",        "session",
        "login_link", "wallet_offer", "audit_detail", "import_errors"};
static const char *const trigger_names[RETENTION_TRIGGER_COUNT] = {
        "award", "expiry", "created", "end_of_relationship", "learner_age"};
static const char *const action_names[RETENTION_ACTION_COUNT] = {"destroy", "transfer"};

/* Which dates each class's records carry (bit per trigger). */
#define T(t) (1u << (t))
static const unsigned class_triggers[RETENTION_CLASS_COUNT] = {
        [RETENTION_DIPLOMA] = T(RETENTION_AWARD),
        [RETENTION_RESULT] =
                T(RETENTION_AWARD) | T(RETENTION_END_OF_RELATIONSHIP) | T(RETENTION_LEARNER_AGE),
        [RETENTION_FOREIGN] = T(RETENTION_AWARD) | T(RETENTION_CREATED) | T(RETENTION_LEARNER_AGE),
        [RETENTION_SHARE] = T(RETENTION_EXPIRY) | T(RETENTION_CREATED),
        [RETENTION_SESSION] = T(RETENTION_EXPIRY) | T(RETENTION_CREATED),
        [RETENTION_LOGIN_LINK] = T(RETENTION_EXPIRY) | T(RETENTION_CREATED),
        [RETENTION_WALLET_OFFER] = T(RETENTION_EXPIRY) | T(RETENTION_CREATED),
        [RETENTION_AUDIT_DETAIL] = T(RETENTION_CREATED),
        [RETENTION_IMPORT_ERRORS] = T(RETENTION_CREATED),
};
#undef T

/* Why a class cannot be transferred to an archive (docs/operations.md, "Retention"); NULL for
 * the classes that can (results, foreign achievements, shares). */
static const char *const no_transfer[RETENTION_CLASS_COUNT] = {
        [RETENTION_SESSION] = "a session is a technical record of a sign-in, with no content "
                              "an archive could keep (the sign-ins themselves are in the "
                              "audit log)",
        [RETENTION_LOGIN_LINK] = "a sign-in link is a used or expired credential of access, "
                                 "with no content an archive could keep",
        [RETENTION_WALLET_OFFER] = "a wallet offer is a used or expired credential of access; "
                                   "the credentials it gave are in the learner's wallet and "
                                   "can be issued again",
        [RETENTION_AUDIT_DETAIL] = "the audit log is kept in the chain itself: export it with "
                                   "`oorkonde audit show --json` before its details are "
                                   "destroyed",
        [RETENTION_IMPORT_ERRORS] = "import error reports are written to the operator's file "
                                    "and never kept here",
};

bool retention_transferable(enum retention_class c)
{
	return (unsigned)c < RETENTION_CLASS_COUNT && c != RETENTION_DIPLOMA && !no_transfer[c];
}

const char *retention_class_name(enum retention_class c)
{
	return (unsigned)c < RETENTION_CLASS_COUNT ? class_names[c] : NULL;
}

const char *retention_trigger_name(enum retention_trigger t)
{
	return (unsigned)t < RETENTION_TRIGGER_COUNT ? trigger_names[t] : NULL;
}

const char *retention_action_name(enum retention_action a)
{
	return (unsigned)a < RETENTION_ACTION_COUNT ? action_names[a] : NULL;
}

bool retention_trigger_allowed(enum retention_class c, enum retention_trigger t)
{
	return (unsigned)c < RETENTION_CLASS_COUNT && (unsigned)t < RETENTION_TRIGGER_COUNT &&
	       (class_triggers[c] & (1u << t));
}

static void rule(struct retention_schedule *s, enum retention_class c, int y, int m, int d,
                 enum retention_trigger t)
{
	struct retention_rule *r = &s->rule[c];

	r->permanent = false;
	r->period.years = y;
	r->period.months = m;
	r->period.days = d;
	r->trigger = t;
	r->action = RETENTION_DESTROY;
}

void retention_schedule_defaults(struct retention_schedule *s)
{
	memset(s, 0, sizeof(*s));
	s->rule[RETENTION_DIPLOMA].permanent = true;
	s->rule[RETENTION_DIPLOMA].trigger = RETENTION_AWARD;
	rule(s, RETENTION_RESULT, 10, 0, 0, RETENTION_AWARD);
	rule(s, RETENTION_FOREIGN, 10, 0, 0, RETENTION_AWARD);
	rule(s, RETENTION_SHARE, 1, 0, 0, RETENTION_EXPIRY);
	rule(s, RETENTION_SESSION, 0, 0, 90, RETENTION_EXPIRY);
	rule(s, RETENTION_LOGIN_LINK, 0, 0, 30, RETENTION_EXPIRY);
	rule(s, RETENTION_WALLET_OFFER, 0, 0, 30, RETENTION_EXPIRY);
	rule(s, RETENTION_AUDIT_DETAIL, 7, 0, 0, RETENTION_CREATED);
	rule(s, RETENTION_IMPORT_ERRORS, 0, 0, 30, RETENTION_CREATED);
	s->daily_at_min = RETENTION_DAILY_NONE;
}

/* One part of a duration: digits then the designator, advancing *p; 0 (nothing consumed) when
 * the next part has another designator, -1 for a number past max. */
static int duration_part(const char **p, char designator, int max, int *out)
{
	const char *q = *p;
	long v = 0;
	int digits = 0;

	while (*q >= '0' && *q <= '9') {
		if (++digits > 9)
			return -1;
		v = v * 10 + (*q - '0');
		q++;
	}
	if (!digits || *q != designator)
		return 0;
	if (v > max)
		return -1;
	*out = (int)v;
	*p = q + 1;
	return 1;
}

int retention_period_parse(const char *text, struct retention_period *out, bool *permanent)
{
	const char *p = text;
	int parts = 0, r;

	memset(out, 0, sizeof(*out));
	*permanent = false;
	if (strcmp(text, "permanent") == 0) {
		*permanent = true;
		return 0;
	}
	if (*p++ != 'P')
		return OK_EINPUT;
	if ((r = duration_part(&p, 'Y', MAX_YEARS, &out->years)) < 0)
		return OK_EINPUT;
	parts += r;
	if ((r = duration_part(&p, 'M', MAX_MONTHS, &out->months)) < 0)
		return OK_EINPUT;
	parts += r;
	if ((r = duration_part(&p, 'D', MAX_DAYS, &out->days)) < 0)
		return OK_EINPUT;
	parts += r;
	return parts && !*p ? 0 : OK_EINPUT;
}

void retention_period_format(const struct retention_period *p, char *out, size_t cap)
{
	size_t n = 0;
	int w;

	if (!cap)
		return;
	out[0] = '\0';
	w = snprintf(out, cap, "P");
	n = w > 0 ? (size_t)w : 0;
	if (p->years && n < cap && (w = snprintf(out + n, cap - n, "%dY", p->years)) > 0)
		n += (size_t)w;
	if (p->months && n < cap && (w = snprintf(out + n, cap - n, "%dM", p->months)) > 0)
		n += (size_t)w;
	if ((p->days || (!p->years && !p->months)) && n < cap)
		snprintf(out + n, cap - n, "%dD", p->days);
}

/* The line of the first `"key"` at or after from in text (len bytes), and that position; 0 and
 * from when absent. Good enough to point at a key of a config file: keys of one object are
 * unique (duplicates are refused), and the search starts inside the enclosing object. */
static size_t find_key(const char *text, size_t len, size_t from, const char *key, size_t *at)
{
	size_t klen = strlen(key), i, line = 1;

	*at = from;
	for (i = from; i + klen + 2 <= len; i++) {
		if (text[i] == '"' && memcmp(text + i + 1, key, klen) == 0 &&
		    text[i + klen + 1] == '"') {
			*at = i;
			break;
		}
	}
	if (i + klen + 2 > len)
		return 0;
	for (size_t j = 0; j < i; j++)
		line += text[j] == '\n';
	return line;
}

/* Fails with file, line and the key path retention[.cls[.key]]. */
__attribute__((format(printf, 7, 8))) static int bad(struct ok_error *err, const char *text,
                                                     size_t len, const char *path, const char *cls,
                                                     const char *key, const char *fmt, ...)
{
	char field[OK_ERROR_FIELD_MAX], msg[OK_ERROR_MESSAGE_MAX];
	size_t at = 0, line;
	va_list ap;

	line = find_key(text, len, 0, "retention", &at);
	if (cls) {
		size_t l = find_key(text, len, at, cls, &at);
		line = l ? l : line;
	}
	if (key) {
		size_t l = find_key(text, len, at, key, &at);
		line = l ? l : line;
	}
	snprintf(field, sizeof(field), "retention%s%s%s%s", cls ? "." : "", cls ? cls : "",
	         key ? "." : "", key ? key : "");
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ok_fail_field(err, OK_EINPUT, field, "%s:%zu: %s: %s", path, line, field, msg);
	ok_error_locate(err, path, line);
	return OK_EINPUT;
}

static int find_name(const char *const *names, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(names[i], s) == 0)
			return (int)i;
	return -1;
}

static int parse_rule(struct retention_schedule *s, enum retention_class c, json_t *obj,
                      const char *text, size_t len, const char *path, struct ok_error *err)
{
	struct retention_rule r = s->rule[c];
	const char *cls = class_names[c], *key;
	json_t *v;
	int i;

	if (!json_is_object(obj))
		return bad(err, text, len, path, cls, NULL,
		           "must be an object with period, trigger and action");
	json_object_foreach(obj, key, v)
	{
		const char *sv = json_string_value(v);
		if (strcmp(key, "period") && strcmp(key, "trigger") && strcmp(key, "action"))
			return bad(err, text, len, path, cls, key,
			           "unknown key (expected period, trigger or action)");
		if (!sv)
			return bad(err, text, len, path, cls, key, "must be a string");
		if (!strcmp(key, "period")) {
			if (retention_period_parse(sv, &r.period, &r.permanent))
				return bad(err, text, len, path, cls, key,
				           "must be \"permanent\" or a period like \"P10Y\", "
				           "\"P1Y6M\" or \"P30D\" (at most %d years)",
				           MAX_YEARS);
		} else if (!strcmp(key, "trigger")) {
			if ((i = find_name(trigger_names, RETENTION_TRIGGER_COUNT, sv)) < 0)
				return bad(err, text, len, path, cls, key,
				           "must be award, expiry, created, end_of_relationship or "
				           "learner_age");
			r.trigger = (enum retention_trigger)i;
		} else {
			if ((i = find_name(action_names, RETENTION_ACTION_COUNT, sv)) < 0)
				return bad(err, text, len, path, cls, key,
				           "must be destroy or transfer");
			r.action = (enum retention_action)i;
		}
	}
	if (c == RETENTION_DIPLOMA && !r.permanent)
		return bad(err, text, len, path, cls, "period",
		           "diplomas and degrees are kept permanently");
	if (r.action == RETENTION_TRANSFER && no_transfer[c])
		return bad(err, text, len, path, cls, "action",
		           "%s records cannot be transferred: %s; use \"destroy\"", cls,
		           no_transfer[c]);
	if (!retention_trigger_allowed(c, r.trigger))
		return bad(err, text, len, path, cls, "trigger", "%s records have no %s date", cls,
		           trigger_names[r.trigger]);
	s->rule[c] = r;
	return 0;
}

static int parse_daily_at(struct retention_schedule *s, json_t *v, const char *text, size_t len,
                          const char *path, struct ok_error *err)
{
	const char *t = json_string_value(v);
	size_t at;
	size_t line;

	if (json_is_null(v)) {
		s->daily_at_min = RETENTION_DAILY_NONE;
		return 0;
	}
	if (t && strlen(t) == 5 && t[0] >= '0' && t[0] <= '2' && t[1] >= '0' && t[1] <= '9' &&
	    t[2] == ':' && t[3] >= '0' && t[3] <= '5' && t[4] >= '0' && t[4] <= '9') {
		int h = (t[0] - '0') * 10 + (t[1] - '0'), m = (t[3] - '0') * 10 + (t[4] - '0');
		if (h < 24) {
			s->daily_at_min = h * 60 + m;
			return 0;
		}
	}
	line = find_key(text, len, 0, "retention_daily_at", &at);
	ok_fail_field(err, OK_EINPUT, "retention_daily_at",
	              "%s:%zu: retention_daily_at must be a time \"HH:MM\" (UTC) or null", path,
	              line);
	ok_error_locate(err, path, line);
	return OK_EINPUT;
}

int retention_schedule_parse(struct retention_schedule *s, const char *text, size_t len,
                             const char *path, struct ok_error *err)
{
	json_error_t jerr;
	json_t *doc, *ret, *v;
	const char *key;
	int rc = 0, i;

	retention_schedule_defaults(s);
	doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!doc) {
		ok_fail(err, OK_EINPUT, "%s:%d: %s", path, jerr.line, jerr.text);
		ok_error_locate(err, path, jerr.line > 0 ? (size_t)jerr.line : 0);
		return OK_EINPUT;
	}
	if (!json_is_object(doc)) {
		rc = ok_fail(err, OK_EINPUT, "%s: must hold a JSON object", path);
		goto out;
	}
	if ((v = json_object_get(doc, "retention_daily_at")) &&
	    (rc = parse_daily_at(s, v, text, len, path, err)))
		goto out;
	ret = json_object_get(doc, "retention");
	if (!ret)
		goto out;
	if (!json_is_object(ret)) {
		rc = bad(err, text, len, path, NULL, NULL, "must be an object of record classes");
		goto out;
	}
	json_object_foreach(ret, key, v)
	{
		if ((i = find_name(class_names, RETENTION_CLASS_COUNT, key)) < 0) {
			rc = bad(err, text, len, path, key, NULL,
			         "unknown record class (expected diploma, result, foreign, share, "
			         "session, login_link, wallet_offer, audit_detail or "
			         "import_errors)");
			goto out;
		}
		if ((rc = parse_rule(s, (enum retention_class)i, v, text, len, path, err)))
			goto out;
	}
out:
	json_decref(doc);
	return rc;
}

/* Calendar arithmetic in UTC: y/m/d back from the day of t (timegm normalises overflow). */
static time_t back(const struct retention_period *p, time_t t)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	tm.tm_year -= p->years;
	tm.tm_mon -= p->months;
	tm.tm_mday -= p->days;
	return timegm(&tm);
}

int64_t retention_cutoff_ms(const struct retention_period *p, int64_t now_ms)
{
	time_t t = (time_t)(now_ms / 1000);
	return (int64_t)back(p, t) * 1000 + now_ms % 1000;
}

void retention_date_of_ms(int64_t ms, char out[11])
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	unsigned y, m, d;

	gmtime_r(&t, &tm);
	/* Years outside 0..9999 do not have the form; they are clamped (no record is that old). */
	y = tm.tm_year + 1900 < 0      ? 0u
	    : tm.tm_year + 1900 > 9999 ? 9999u
	                               : (unsigned)(tm.tm_year + 1900);
	y %= 10000u;
	m = (unsigned)(tm.tm_mon + 1) % 100u;
	d = (unsigned)tm.tm_mday % 100u;
	snprintf(out, 11, "%04u-%02u-%02u", y, m, d);
}

void retention_cutoff_date(const struct retention_period *p, int64_t now_ms, char out[11])
{
	retention_date_of_ms(retention_cutoff_ms(p, now_ms), out);
}

int retention_due_date(const struct retention_period *p, const char *date, char out[11])
{
	struct tm tm = {0};
	int y, m, d;
	char tail;

	if (sscanf(date, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3 || m < 1 || m > 12 || d < 1 ||
	    d > 31)
		return OK_EINPUT;
	tm.tm_year = y - 1900 + p->years;
	tm.tm_mon = m - 1 + p->months;
	tm.tm_mday = d + p->days;
	tm.tm_hour = 12;
	retention_date_of_ms((int64_t)timegm(&tm) * 1000, out);
	return 0;
}

int64_t retention_next_daily(int64_t now_ms, int daily_at_min)
{
	const int64_t day = 86400000;
	int64_t midnight = now_ms - ((now_ms % day) + day) % day;
	int64_t at = midnight + (int64_t)daily_at_min * 60000;

	return at > now_ms ? at : at + day;
}
