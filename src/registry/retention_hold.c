/* Legal holds: records under a hold are kept whatever the retention schedule says, until the
 * hold is released. Each add and release is an audit event. */
#include "registry/retention.h"

#include <stdio.h>
#include <string.h>

#include "audit/txn.h"
#include "core/clock.h"
#include "core/format.h"

#define PURPOSE          "retention"
#define REASON_CHARS_MAX 200

static const char *const scope_names[] = {"learner", "institution", "achievement"};

/* 1..REASON_CHARS_MAX characters of UTF-8 text (counted as lead bytes), no control
 * characters: it is printed in `hold list`. */
static int check_reason(const char *reason, struct ok_error *err)
{
	size_t i, chars = 0, n = reason ? strlen(reason) : 0;

	if (!n || n > STORE_HOLD_REASON_MAX)
		return ok_fail_field(err, OK_EINPUT, "reason",
		                     "--reason must be 1 to %d characters", REASON_CHARS_MAX);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)reason[i];
		if (c < 0x20 || c == 0x7f)
			return ok_fail_field(err, OK_EINPUT, "reason",
			                     "--reason must not hold control characters");
		chars += (c & 0xc0) != 0x80;
	}
	if (chars > REASON_CHARS_MAX)
		return ok_fail_field(err, OK_EINPUT, "reason",
		                     "--reason must be 1 to %d characters", REASON_CHARS_MAX);
	return 0;
}

/* The target must exist: a hold on a mistyped id would keep nothing. */
static int check_target(struct depository *d, enum retention_hold_scope scope, const char *target,
                        struct ok_error *err)
{
	int rc;

	if (!target || !target[0] || strlen(target) > 32)
		return ok_fail_field(err, OK_EINPUT, scope_names[scope],
		                     "the %s to hold is missing", scope_names[scope]);
	if (scope == RETENTION_HOLD_LEARNER) {
		struct store_learner l;
		store_learner_init(&l);
		rc = store_learner_get(d->store, target, &l, err);
		store_learner_release(&l);
	} else if (scope == RETENTION_HOLD_INSTITUTION) {
		struct store_institution i;
		rc = store_institution_get(d->store, target, &i, err);
	} else {
		struct store_achievement a;
		rc = store_achievement_get(d->store, target, &a, err);
	}
	if (rc == OK_ENOTFOUND)
		return ok_fail_field(err, OK_ENOTFOUND, scope_names[scope], "no %s with that %s",
		                     scope_names[scope],
		                     scope == RETENTION_HOLD_INSTITUTION ? "code" : "id");
	return rc;
}

int registry_hold_add(struct depository *d, enum retention_hold_scope scope, const char *target,
                      const char *reason, const char *actor, struct store_hold *out,
                      struct ok_error *err)
{
	struct audit_txn txn;
	char detail[64];
	int rc;

	if ((unsigned)scope > RETENTION_HOLD_ACHIEVEMENT)
		return ok_fail(err, OK_EINPUT, "unknown hold scope");
	if ((rc = check_reason(reason, err)))
		return rc;
	memset(out, 0, sizeof(*out));
	if ((rc = audit_txn_begin(d, &txn, err)))
		return rc;
	if ((rc = check_target(d, scope, target, err)))
		goto end;
	depository_new_id(out->id);
	if ((rc = ok_format(out->scope, sizeof(out->scope), "%s", scope_names[scope])) ||
	    (rc = ok_format(out->target, sizeof(out->target), "%s", target)) ||
	    (rc = ok_format(out->reason, sizeof(out->reason), "%s", reason)) ||
	    (rc = ok_format(out->created_by, sizeof(out->created_by), "%s", actor))) {
		rc = ok_fail(err, OK_EINPUT, "hold: a value is too long");
		goto end;
	}
	out->created_ms = ok_now_ms();
	if ((rc = store_hold_add(d->store, out, err)))
		goto end;
	/* The reason stays in the hold's row; the event names what is held. */
	snprintf(detail, sizeof(detail), "%s=%s", out->scope, out->id);
	rc = audit_txn_event(&txn, actor, "hold.add", target, PURPOSE, detail, err);
end:
	return audit_txn_end(&txn, rc, err);
}

int registry_hold_list(struct depository *d, store_hold_fn fn, void *ctx, struct ok_error *err)
{
	return store_hold_list(d->store, fn, ctx, err);
}

int registry_hold_release(struct depository *d, const char *id, const char *actor,
                          struct ok_error *err)
{
	struct audit_txn txn;
	struct store_hold h;
	int rc;

	if (!depository_id_valid(id))
		return ok_fail(err, OK_ENOTFOUND, "no legal hold with that id");
	if ((rc = audit_txn_begin(d, &txn, err)))
		return rc;
	if ((rc = store_hold_get(d->store, id, &h, err))) {
		if (rc == OK_ENOTFOUND)
			rc = ok_fail(err, OK_ENOTFOUND, "no legal hold with that id");
		goto end;
	}
	if ((rc = store_hold_release(d->store, id, actor, ok_now_ms(), err)))
		goto end;
	rc = audit_txn_event(&txn, actor, "hold.release", h.target, PURPOSE, id, err);
end:
	return audit_txn_end(&txn, rc, err);
}
