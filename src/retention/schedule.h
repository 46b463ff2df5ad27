/* The retention schedule (a selection list): how long each class of record is kept, from which
 * moment on, and what happens at the end. Pure: dates and rules only, no store, no files.
 *
 * Invariants:
 * - A schedule has one rule per class; a class the configuration does not name keeps its
 *   documented default (retention_schedule_defaults, docs/operations.md).
 * - Diplomas and degrees are permanent: a schedule that gives them a period is refused.
 * - A rule's trigger is one the class has (retention_trigger_allowed); a record is due once its
 *   trigger date plus the period lies on or before the day of the run. Under learner_age the
 *   trigger date is the learner's birth date, so the period is the age.
 * - A rule transfers only a class that can be transferred (retention_transferable).
 *
 * The schedule is read from config.json's "retention" object:
 *     "retention": {"result": {"period": "P10Y", "trigger": "award", "action": "destroy"}},
 *     "retention_daily_at": "03:30"
 * A bad value is OK_EINPUT naming the file, the line and the key.
 */
#ifndef OK_RETENTION_SCHEDULE_H
#define OK_RETENTION_SCHEDULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

enum retention_class {
	RETENTION_DIPLOMA,       /* achievements of kind diploma and degree */
	RETENTION_RESULT,        /* achievements of kind course, module and exam */
	RETENTION_FOREIGN,       /* credentials of other depositories kept for a learner */
	RETENTION_SHARE,         /* a learner's shares and the record of their openings */
	RETENTION_SESSION,       /* portal sessions */
	RETENTION_LOGIN_LINK,    /* one-time sign-in links */
	RETENTION_WALLET_OFFER,  /* OpenID4VCI credential offers and their access tokens */
	RETENTION_AUDIT_DETAIL,  /* the detail text of audit events */
	RETENTION_IMPORT_ERRORS, /* import error reports: written to the operator's file, not kept
	                          */
	RETENTION_CLASS_COUNT
};

enum retention_trigger {
	RETENTION_AWARD,   /* the award date of the achievement */
	RETENTION_EXPIRY,  /* when the record stopped being usable (share, link, session) */
	RETENTION_CREATED, /* when the record was made (imported, appended) */
	RETENTION_END_OF_RELATIONSHIP, /* results: the learner's last award date of any kind */
	RETENTION_LEARNER_AGE,         /* the learner's birth date (the period is the age) */
	RETENTION_TRIGGER_COUNT
};

enum retention_action {
	RETENTION_DESTROY,
	RETENTION_TRANSFER, /* exported for an archive, then removed as destroyed ones are */
	RETENTION_ACTION_COUNT
};

/* A calendar period: years, months and days, as an ISO 8601 duration PnYnMnD. */
struct retention_period {
	int years, months, days;
};

struct retention_rule {
	bool permanent;
	struct retention_period period; /* zero when permanent */
	enum retention_trigger trigger;
	enum retention_action action;
};

#define RETENTION_DAILY_NONE (-1)

struct retention_schedule {
	struct retention_rule rule[RETENTION_CLASS_COUNT];
	/* config "retention_daily_at" ("HH:MM", UTC): minutes after midnight at which a server
	 * runs the schedule, or RETENTION_DAILY_NONE. */
	int daily_at_min;
};

/* Names as the configuration and the plan spell them ("result", "award", "destroy"); NULL for a
 * value out of range. */
const char *retention_class_name(enum retention_class c);
const char *retention_trigger_name(enum retention_trigger t);
const char *retention_action_name(enum retention_action a);
/* Whether the class has a date for trigger t (its records carry it; for learner_age: the
 * records belong to a learner, whose birth date is sealed). */
bool retention_trigger_allowed(enum retention_class c, enum retention_trigger t);
/* Whether records of class c can be transferred to an archive (result, foreign, share); the
 * schedule refuses action "transfer" for the others, naming the class and why. */
bool retention_transferable(enum retention_class c);

/* The documented defaults (docs/operations.md, "Retention"). */
void retention_schedule_defaults(struct retention_schedule *s);

/*
 * Reads the "retention" object and "retention_daily_at" of a config.json text (len bytes) into
 * s, over the defaults; path names the file in errors. 0, or OK_EINPUT with file, line and key
 * (err->field: "retention.result.period") for anything out of place: unknown class or key, a
 * period that is not PnYnMnD (each part at most 200 years, 2400 months, 73000 days), an unknown
 * trigger or action, a trigger the class has not, a period for diplomas.
 */
int retention_schedule_parse(struct retention_schedule *s, const char *text, size_t len,
                             const char *path, struct ok_error *err);

/* Parses "PnYnMnD" (at least one part) or "permanent". */
int retention_period_parse(const char *text, struct retention_period *out, bool *permanent);
/* Writes p as "P10Y", "P1Y6M", "P30D" into out (cap >= 32). */
void retention_period_format(const struct retention_period *p, char *out, size_t cap);

/*
 * Dates. A record is due when its trigger moment lies on or before the cutoff: now less the
 * period, in UTC calendar arithmetic (a month back from 31 March is 3 March's day count rule of
 * timegm: the day overflows forward).
 * retention_cutoff_ms: the cutoff as Unix milliseconds. retention_cutoff_date: as "YYYY-MM-DD"
 * (for award dates). retention_due_date: the day a record with trigger date date (YYYY-MM-DD)
 * falls due, as "YYYY-MM-DD". Each returns 0, or OK_EINPUT for a date it cannot read.
 */
int64_t retention_cutoff_ms(const struct retention_period *p, int64_t now_ms);
void retention_cutoff_date(const struct retention_period *p, int64_t now_ms, char out[11]);
int retention_due_date(const struct retention_period *p, const char *date, char out[11]);
/* The first moment after now_ms at daily_at_min minutes past midnight UTC (a server's daily
 * run, config "retention_daily_at"). */
int64_t retention_next_daily(int64_t now_ms, int daily_at_min);
/* The day of a Unix time in milliseconds, "YYYY-MM-DD" (UTC). */
void retention_date_of_ms(int64_t ms, char out[11]);

#endif
