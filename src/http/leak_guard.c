/* Leak detection at the door (see leak_guard.h). */
#include "http/leak_guard.h"

#include "http/internal.h"
#include "registry/import.h"
#include "registry/leak.h"
#include "core/clock.h"
#include "core/format.h"

#include <inttypes.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

/* One line on standard error, in one write so that threads do not interleave: identifiers
 * only (the key id and institution, never the key or anything about a learner). counted is
 * what was counted past the limit ("learners=1000 window_s=3600"), why what it means. */
static void alert_blocked(const struct store_api_key *key, const char *counted, const char *why)
{
	char line[320], when[32];
	time_t now = time(NULL);
	struct tm tm;
	int n;

	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	n = snprintf(line, sizeof(line),
	             "%s ALERT key-blocked key=%s institution=%s %s: the key %s than its limit; "
	             "'oorkonde institution unblock-key %s' lifts the block\n",
	             when, key->id, key->institution[0] ? key->institution : "-", counted, why,
	             key->id);
	if (n > 0 && write(STDERR_FILENO, line,
	                   (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1) < 0) {
		/* Nowhere left to report to. */
	}
}

static void conflicts_blocked(struct http_request *req, struct http_response *res, size_t conflicts,
                              const char *tail)
{
	char counted[48];

	snprintf(counted, sizeof(counted), "conflicts=%zu", conflicts);
	alert_blocked(&req->key, counted, "met more identity conflicts");
	http_count_key_blocked(req->srv);
	http_problem(res, 429, "conflict-limit", "Identity conflict limit reached",
	             "this API key met more identity conflicts (national ids registered with "
	             "other names or birth dates, award dates before a birth date) than a "
	             "registrar's own mistakes explain: it is now blocked until an operator lifts "
	             "the block%s",
	             tail);
}

void http_leak_conflicts_blocked(struct http_request *req, struct http_response *res,
                                 const struct import_report *report)
{
	conflicts_blocked(req, res, report->conflicts,
	                  report->stored ? ", and this import's report is withheld (its rows were "
	                                   "stored)"
	                                 : ", and this import's report is withheld (nothing was "
	                                   "stored)");
}

bool http_leak_conflict(struct http_request *req, struct http_response *res, const char *actor,
                        const char *learner_id)
{
	char one[1][STORE_ID_MAX + 1];
	struct leak_conflicts c = {actor, req->key.institution, NULL, 1, 1};
	struct leak_read r;
	struct ok_error err;
	int rc;

	ok_error_clear(&err);
	if (ok_format(one[0], sizeof(one[0]), "%s", learner_id)) {
		http_problem(res, 500, "internal", "Internal error", "learner id too long");
		return false;
	}
	c.learners = (const char(*)[STORE_ID_MAX + 1]) one;
	rc = leak_note_conflicts(req->dep, &req->key, &c, ok_now_ms(), &r, &err);
	if (!rc)
		return true;
	if (rc == OK_ELIMIT && r.blocked_now)
		conflicts_blocked(req, res, (size_t)r.learners, ", and this correction is refused");
	else if (rc == OK_EAUTH) {
		http_problem(res, 403, "key-blocked", "Key blocked", "%s", err.message);
	} else {
		http_problem_from_error(res, &err);
	}
	return false;
}

bool http_leak_note(struct http_request *req, struct http_response *res, const char *learner_id)
{
	struct leak_read r;
	struct ok_error err;
	int rc;

	ok_error_clear(&err);
	rc = leak_note_read(req->dep, &req->key, learner_id, ok_now_ms(), &r, &err);
	if (!rc)
		return true;
	/* Not the table's answers: this limit and this block have problem types of their own,
	 * and a blocked key is refused (403) rather than asked to wait. */
	if (rc == OK_ELIMIT) {
		char counted[64];

		snprintf(counted, sizeof(counted), "learners=%" PRId64 " window_s=%" PRId64,
		         r.learners, r.limit.window_s);
		alert_blocked(&req->key, counted, "read more learners");
		http_count_key_blocked(req->srv);
		http_problem(res, 429, "read-limit", "Read limit reached", "%s", err.message);
	} else if (rc == OK_EAUTH) {
		http_problem(res, 403, "key-blocked", "Key blocked", "%s", err.message);
	} else {
		http_problem_from_error(res, &err);
	}
	return false;
}
