/* Leak detection: counting each key's distinct learners in a sliding window, blocking and
 * unblocking keys, per-institution limits (see leak.h). */
#include "registry/leak.h"
#include "core/format.h"
#include "audit/txn.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

int leak_limit_get(struct depository *d, const char *institution, struct leak_limit *out,
                   struct ok_error *err)
{
	int rc = store_limit_get(d->store, institution, &out->learners, &out->window_s, err);

	out->is_default = rc == OK_ENOTFOUND;
	if (rc == OK_ENOTFOUND) {
		out->learners = LEAK_DEFAULT_LEARNERS;
		out->window_s = LEAK_DEFAULT_WINDOW_S;
		return 0;
	}
	return rc;
}

int leak_institution_limit(struct depository *d, const char *code, struct leak_limit *out,
                           struct ok_error *err)
{
	struct store_institution inst;
	int rc = store_institution_get(d->store, code, &inst, err);

	if (rc == OK_ENOTFOUND)
		return ok_fail_field(err, rc, "institution", "unknown institution %s", code);
	if (rc)
		return rc;
	return leak_limit_get(d, inst.code, out, err);
}

int leak_limit_set(struct depository *d, const char *institution, int64_t learners,
                   int64_t window_s, struct ok_error *err)
{
	struct store_institution inst;
	struct audit_txn txn;
	char detail[96];
	int rc;

	if (learners < 1 || learners > LEAK_MAX_LEARNERS)
		return ok_fail_field(err, OK_EINPUT, "learners",
		                     "the limit must be 1 to %d learners", LEAK_MAX_LEARNERS);
	if (window_s < 1 || window_s > LEAK_MAX_WINDOW_S)
		return ok_fail_field(err, OK_EINPUT, "window",
		                     "the window must be 1 to %d seconds (7 days)",
		                     LEAK_MAX_WINDOW_S);
	rc = store_institution_get(d->store, institution, &inst, err);
	if (rc == OK_ENOTFOUND)
		return ok_fail_field(err, rc, "institution", "unknown institution %s", institution);
	if (rc)
		return rc;
	if (ok_format(detail, sizeof(detail), "learners=%" PRId64 " window_s=%" PRId64, learners,
	              window_s))
		return ok_fail(err, OK_EINTERNAL, "audit detail too long");
	if ((rc = audit_txn_begin(d, &txn, err)))
		return rc;
	rc = store_limit_put(d->store, inst.code, learners, window_s, err);
	if (!rc)
		rc = audit_txn_event(&txn, AUDIT_OPERATOR, "institution.read-limit", inst.code,
		                     "administration", detail, err);
	return audit_txn_end(&txn, rc, err);
}

/* Blocks key inside the caller's transaction t, with its audit event. */
static int block(struct audit_txn *t, const struct store_api_key *key, int64_t now_ms,
                 const struct leak_read *r, const char *counted, struct ok_error *err)
{
	struct store_key_block b = {0};
	char detail[128];
	int rc;

	OK_COPY_ARRAY(b.key_id, key->id);
	OK_COPY_ARRAY(b.institution, key->institution);
	b.blocked_ms = now_ms;
	b.learners = r->learners;
	b.window_s = r->limit.window_s;
	if ((rc = store_block_put(t->d->store, &b, err)))
		return rc;
	if (ok_format(detail, sizeof(detail),
	              "institution=%s %s=%" PRId64 " limit=%" PRId64 " window_s=%" PRId64,
	              key->institution[0] ? key->institution : "-", counted, r->learners,
	              r->limit.learners, r->limit.window_s))
		return ok_fail(err, OK_EINTERNAL, "audit detail too long");
	return audit_txn_event(t, AUDIT_SYSTEM_LEAK, "key.blocked", key->id, "security", detail,
	                       err);
}

/* The counting itself, inside the transaction t of leak_note_read. */
static int note(struct audit_txn *t, const struct store_api_key *key, const char *learner_id,
                int64_t now_ms, struct leak_read *out, struct ok_error *err)
{
	struct depository *d = t->d;
	struct store_key_block existing;
	int64_t since;
	bool seen;
	int rc;

	rc = store_block_get(d->store, key->id, &existing, err);
	if (!rc)
		return ok_fail(
		        err, OK_EAUTH,
		        "this API key is blocked: it read the personal data of more learners "
		        "than its institution's limit allows");
	if (rc != OK_ENOTFOUND)
		return rc;
	if ((rc = leak_limit_get(d, key->institution, &out->limit, err)))
		return rc;
	since = now_ms - out->limit.window_s * 1000;
	if ((rc = store_read_prune(d->store, key->id, since, err)) ||
	    (rc = store_read_window(d->store, key->id, learner_id, since, &out->learners, &seen,
	                            err)))
		return rc;
	/* A learner already in the window costs nothing; a new one past the limit blocks. */
	if (!seen && out->learners >= out->limit.learners) {
		if ((rc = block(t, key, now_ms, out, "learners", err)))
			return rc;
		out->blocked_now = true;
		return 0;
	}
	if ((rc = store_read_put(d->store, key->id, learner_id, now_ms, err)))
		return rc;
	if (!seen)
		out->learners++;
	return 0;
}

int leak_note_read(struct depository *d, const struct store_api_key *key, const char *learner_id,
                   int64_t now_ms, struct leak_read *out, struct ok_error *err)
{
	struct audit_txn txn;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = audit_txn_begin(d, &txn, err)))
		return rc;
	rc = note(&txn, key, learner_id, now_ms, out, err);
	if ((rc = audit_txn_end(&txn, rc, err))) {
		out->blocked_now = false;
		return rc;
	}
	if (out->blocked_now)
		return ok_fail(err, OK_ELIMIT,
		               "this API key read the personal data of %" PRId64
		               " learners in %" PRId64 " s, its institution's limit: it is now "
		               "blocked until an operator lifts the block",
		               out->learners, out->limit.window_s);
	return 0;
}

/* A key's conflicts are kept in the reading windows' table under a name of their own (never a
 * key id, which has no '/'), one row per conflict under a random name (never the learner's:
 * an erasure finds nothing of them there). */
static int conflict_window_id(const char *key_id, char out[STORE_ID_MAX + 16])
{
	return ok_format(out, STORE_ID_MAX + 16, "%s/conflicts", key_id);
}

static int note_conflicts(struct audit_txn *t, const struct store_api_key *key,
                          const struct leak_conflicts *c, int64_t now_ms, struct leak_read *out,
                          struct ok_error *err)
{
	struct depository *d = t->d;
	struct store_key_block existing;
	char wid[STORE_ID_MAX + 16], row[25];
	int64_t since, i, add;
	bool seen;
	int rc;

	rc = store_block_get(d->store, key->id, &existing, err);
	if (!rc)
		return OK_EAUTH;
	if (rc != OK_ENOTFOUND)
		return rc;
	if ((rc = leak_limit_get(d, key->institution, &out->limit, err)))
		return rc;
	if (out->limit.learners > LEAK_CONFLICTS)
		out->limit.learners = LEAK_CONFLICTS;
	if (conflict_window_id(key->id, wid))
		return ok_fail(err, OK_EINTERNAL, "key id too long");
	since = now_ms - out->limit.window_s * 1000;
	if ((rc = store_read_prune(d->store, wid, since, err)) ||
	    (rc = store_read_window(d->store, wid, "", since, &out->learners, &seen, err)))
		return rc;
	if ((int64_t)c->met > out->limit.learners - out->learners) {
		out->learners += (int64_t)c->met;
		if ((rc = block(t, key, now_ms, out, "conflicts", err)))
			return rc;
		out->blocked_now = true;
		return 0;
	}
	add = (int64_t)c->met;
	for (i = 0; i < add && !rc; i++) {
		depository_new_id(row);
		rc = store_read_put(d->store, wid, row, now_ms, err);
	}
	out->learners += add;
	return rc;
}

/* The import's conflicts as audit events, inside t. */
static int audit_conflicts(struct audit_txn *t, const struct leak_conflicts *c,
                           struct ok_error *err)
{
	char detail[96];
	size_t i;
	int rc = 0;

	if (ok_format(detail, sizeof(detail), "institution=%s", c->institution))
		return ok_fail(err, OK_EINTERNAL, "audit detail too long");
	for (i = 0; i < c->listed && !rc; i++)
		rc = audit_txn_event(t, c->actor, "learner.conflict", c->learners[i],
		                     "registration", detail, err);
	if (rc || c->met <= c->listed)
		return rc;
	if (ok_format(detail, sizeof(detail), "institution=%s conflicts=%zu", c->institution,
	              c->met))
		return ok_fail(err, OK_EINTERNAL, "audit detail too long");
	return audit_txn_event(t, c->actor, "import.conflicts", c->institution, "registration",
	                       detail, err);
}

int leak_note_conflicts(struct depository *d, const struct store_api_key *key,
                        const struct leak_conflicts *c, int64_t now_ms, struct leak_read *out,
                        struct ok_error *err)
{
	struct audit_txn txn;
	bool blocked_before = false;
	int rc;

	memset(out, 0, sizeof(*out));
	if (c->met == 0)
		return 0;
	if ((rc = audit_txn_begin(d, &txn, err)))
		return rc;
	rc = audit_conflicts(&txn, c, err);
	if (!rc && key) {
		rc = note_conflicts(&txn, key, c, now_ms, out, err);
		if (rc == OK_EAUTH) {
			blocked_before = true;
			rc = 0;
		}
	}
	if ((rc = audit_txn_end(&txn, rc, err))) {
		out->blocked_now = false;
		return rc;
	}
	if (blocked_before)
		return ok_fail(
		        err, OK_EAUTH,
		        "this API key is blocked: it read the personal data of more learners, "
		        "or met more identity conflicts, than its institution's limit allows");
	if (out->blocked_now)
		return ok_fail(err, OK_ELIMIT,
		               "this API key met %" PRId64 " identity conflicts (national ids "
		               "registered with other names or birth dates) in %" PRId64
		               " s, more than the %" PRId64
		               " a registrar's own mistakes explain: it "
		               "is now blocked until an operator lifts the block",
		               out->learners, out->limit.window_s, out->limit.learners);
	return 0;
}

int leak_block_get(struct depository *d, const char *key_id, struct store_key_block *out,
                   struct ok_error *err)
{
	return store_block_get(d->store, key_id, out, err);
}

/* Record ids are short runs of letters and digits (depository_new_id: 24 hex digits). */
static bool is_record_id(const char *s)
{
	size_t n = strlen(s), i;

	if (n == 0 || n > STORE_ID_MAX)
		return false;
	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= 'A' && s[i] <= 'Z')))
			return false;
	return true;
}

int leak_unblock(struct depository *d, const char *key_id, struct ok_error *err)
{
	struct audit_txn txn;
	int rc;

	if (!is_record_id(key_id))
		return ok_fail_field(err, OK_EINPUT, "key",
		                     "a key id is up to %d letters and digits, as in the alert or "
		                     "in 'oorkonde institution blocked-keys'",
		                     STORE_ID_MAX);
	if ((rc = audit_txn_begin(d, &txn, err)))
		return rc;
	rc = store_block_remove(d->store, key_id, err);
	if (rc == OK_ENOTFOUND)
		rc = ok_fail_field(err, OK_ENOTFOUND, "key", "key %s is not blocked", key_id);
	if (!rc)
		rc = store_read_clear(d->store, key_id, err);
	if (!rc) {
		char wid[STORE_ID_MAX + 16];

		rc = conflict_window_id(key_id, wid) ? ok_fail(err, OK_EINTERNAL, "key id too long")
		                                     : store_read_clear(d->store, wid, err);
	}
	if (!rc)
		rc = audit_txn_event(&txn, AUDIT_OPERATOR, "key.unblock", key_id, "administration",
		                     "", err);
	return audit_txn_end(&txn, rc, err);
}

int leak_blocked_count(struct depository *d, int64_t *out, struct ok_error *err)
{
	return store_block_count(d->store, out, err);
}

int leak_blocked_list(struct depository *d, store_key_block_fn fn, void *ctx, struct ok_error *err)
{
	return store_block_list(d->store, fn, ctx, err);
}
