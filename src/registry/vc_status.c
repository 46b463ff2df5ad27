/* Status on request for VC-API credentials (see vc_status.h). */
#include "registry/vc_status.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "audit/txn.h"
#include "core/clock.h"
#include "core/format.h"
#include "registry/credential.h"

#define ENTRY_TYPE "BitstringStatusListEntry"

static int one_request(const json_t *e, const char *field, struct vc_status_request *out,
                       struct ok_error *err)
{
	const json_t *type = json_object_get(e, "type"), *purpose;
	const char *p;

	if (!json_is_object(e))
		return ok_fail_field(err, OK_EINPUT, field, "%s must be an object", field);
	if (!json_is_string(type) || strcmp(json_string_value(type), ENTRY_TYPE) != 0)
		return ok_fail_field(err, OK_EINPUT, field,
		                     "%s.type must be \"" ENTRY_TYPE "\" (the only status type "
		                     "oorkonde gives out)",
		                     field);
	purpose = json_object_get(e, "statusPurpose");
	if (!purpose) {
		out->revocation = out->suspension = true;
		return 0;
	}
	p = json_is_string(purpose) ? json_string_value(purpose) : "";
	if (strcmp(p, "revocation") == 0)
		out->revocation = true;
	else if (strcmp(p, "suspension") == 0)
		out->suspension = true;
	else
		return ok_fail_field(err, OK_EINPUT, field,
		                     "%s.statusPurpose must be \"revocation\" or \"suspension\"",
		                     field);
	return 0;
}

int vc_status_request_parse(const json_t *option, struct vc_status_request *out,
                            struct ok_error *err)
{
	static const char field[] = "options.credentialStatus";
	size_t i;
	int rc;

	out->revocation = out->suspension = false;
	if (!json_is_array(option))
		return one_request(option, field, out, err);
	if (json_array_size(option) < 1 || json_array_size(option) > 2)
		return ok_fail_field(err, OK_EINPUT, field,
		                     "%s must hold one or two entries (revocation, suspension)",
		                     field);
	for (i = 0; i < json_array_size(option); i++)
		if ((rc = one_request(json_array_get(option, i), field, out, err)))
			return rc;
	return 0;
}

int vc_status_update_parse(const json_t *body, const char **id, enum status_action *action,
                           struct ok_error *err)
{
	const json_t *cid = json_object_get(body, "credentialId");
	const json_t *st = json_object_get(body, "credentialStatus"), *e, *type, *status;
	const char *s;

	if (!json_is_object(body))
		return ok_fail(err, OK_EINPUT,
		               "the body must be {\"credentialId\": \"...\", \"credentialStatus\": "
		               "[{\"type\": \"" ENTRY_TYPE "\", \"status\": \"revoked\"}]}");
	if (!json_is_string(cid) || json_string_length(cid) == 0 ||
	    json_string_length(cid) > STORE_VC_ID_MAX)
		return ok_fail_field(err, OK_EINPUT, "credentialId",
		                     "credentialId must be the credential's id (a string of 1-%d "
		                     "bytes)",
		                     STORE_VC_ID_MAX);
	e = json_is_array(st) ? json_array_get(st, 0) : st;
	if ((json_is_array(st) && json_array_size(st) != 1) || !json_is_object(e))
		return ok_fail_field(
		        err, OK_EINPUT, "credentialStatus",
		        "credentialStatus must hold exactly one entry {\"type\": \"" ENTRY_TYPE
		        "\", \"status\": ...}");
	type = json_object_get(e, "type");
	if (!json_is_string(type) || strcmp(json_string_value(type), ENTRY_TYPE) != 0)
		return ok_fail_field(err, OK_EINPUT, "credentialStatus.type",
		                     "credentialStatus[0].type must be \"" ENTRY_TYPE "\"");
	status = json_object_get(e, "status");
	s = json_is_string(status) ? json_string_value(status) : "";
	if (strcmp(s, "revoked") == 0)
		*action = STATUS_REVOKE;
	else if (strcmp(s, "suspended") == 0)
		*action = STATUS_SUSPEND;
	else if (strcmp(s, "active") == 0)
		*action = STATUS_REINSTATE;
	else
		return ok_fail_field(
		        err, OK_EINPUT, "credentialStatus.status",
		        "credentialStatus[0].status must be \"revoked\", \"suspended\" "
		        "or \"active\" (lifts a suspension)");
	*id = json_string_value(cid);
	return 0;
}

static void random_urn(char out[64])
{
	unsigned char b[16];

	randombytes_buf(b, sizeof(b));
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40); /* UUID version 4 */
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	snprintf(out, 64,
	         "urn:uuid:%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
	         b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
	         b[13], b[14], b[15]);
}

/* One BitstringStatusListEntry for the slot (list, index) in the list for purpose. */
static json_t *entry(const struct depository *d, int64_t list, int64_t index, const char *purpose)
{
	char url[DEPOSITORY_HOST_MAX + 64], id[DEPOSITORY_HOST_MAX + 96], n[24];

	if (registry_status_list_url(d, purpose, list, url, sizeof(url)) ||
	    ok_format(n, sizeof(n), "%lld", (long long)index) ||
	    ok_format(id, sizeof(id), "%s#%s", url, n))
		return NULL;
	return json_pack("{s:s, s:s, s:s, s:s, s:s}", "id", id, "type", ENTRY_TYPE, "statusPurpose",
	                 purpose, "statusListIndex", n, "statusListCredential", url);
}

/* The credentialStatus value for the slot: a revocation and a suspension entry, whichever
 * purposes were asked for. One status word holds the slot's state (active, suspended, revoked)
 * and each list shows its own purpose's bit, so a credential with only one of the entries would
 * lose a change no verifier could see (a suspension then revoked reads as active). */
static json_t *entries(const struct depository *d, const struct store_vc_status *v)
{
	json_t *a = json_array();

	if (!a)
		return NULL;
	if (json_array_append_new(a, entry(d, v->status_list, v->status_index, "revocation")) ||
	    json_array_append_new(a, entry(d, v->status_list, v->status_index, "suspension"))) {
		json_decref(a);
		return NULL;
	}
	return a;
}

/* Draws a free slot and records v with it (in the caller's transaction). */
static int take_slot(struct depository *d, struct store_vc_status *v, struct ok_error *err)
{
	struct status_allocator alloc;
	struct store_achievement slot;
	int tries, rc;

	if ((rc = status_alloc_begin(d, &alloc, err)))
		return rc;
	for (tries = 0; tries < 64; tries++) {
		if ((rc = status_alloc_take(d, &alloc, &slot, err)))
			return rc;
		v->status_list = slot.status_list;
		v->status_index = slot.status_index;
		rc = store_vc_status_add(d->store, v, err);
		if (rc != OK_EEXIST)
			break;
		status_alloc_untake(&alloc); /* an achievement holds it: draw again */
	}
	if (tries == 64)
		return ok_fail(err, OK_EINTERNAL, "no free status list slot found");
	return rc ? rc : status_alloc_end(d, &alloc, err);
}

/*
 * Puts a refused issuance on record (credential.issue.refused), so that a key probing what it
 * may sign shows in the audit log: the rule or field that failed and the error code, never a
 * value of the credential. rc is returned, err left as it is (a failure to record is only a
 * lost event: the caller's answer stays the refusal).
 */
static int refused(struct depository *d, const char *actor, int rc, struct ok_error *err)
{
	char detail[128];
	const char *field = err->field[0] ? err->field : "-";
	size_t i;

	if (rc != OK_EINPUT && rc != OK_EEXIST && rc != OK_ELIMIT)
		return rc;
	/* A rule's name or a field's path: letters, digits and a few marks only. */
	for (i = 0; field[i]; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-[]",
		            field[i]))
			field = "-";
	if (!ok_format(detail, sizeof(detail), "code=%s field=%s", ok_problem_type(rc), field))
		audit_record(d, actor, "credential.issue.refused", "", "issuance", detail, NULL);
	return rc;
}

/*
 * The institution's hourly cap on issuances with status (config vc_status_issuance_per_hour):
 * each takes a slot of the public status lists for good, so a leaked or runaway key must not
 * grow them without bound. Counted in the issuing transaction, under the writer lock.
 */
static int within_cap(struct depository *d, const char *institution, int64_t now_ms,
                      struct ok_error *err)
{
	int64_t n = 0;
	int rc;

	if (d->vc_status_per_hour <= 0)
		return 0;
	if ((rc = store_vc_status_count_since(d->store, institution, now_ms - 3600 * 1000LL, &n,
	                                      err)))
		return rc;
	if (n >= d->vc_status_per_hour)
		return ok_fail(err, OK_ELIMIT,
		               "your institution has had %lld credentials issued with a status in "
		               "the last hour, its limit (vc_status_issuance_per_hour); try again "
		               "later",
		               (long long)n);
	return 0;
}

int registry_vc_issue_with_status(struct depository *d, const json_t *credential,
                                  const char *institution, const char *key_id, const char *actor,
                                  const enum vc_suite *suite, json_t **out, struct ok_error *err)
{
	struct store_vc_status v;
	struct audit_txn txn;
	const json_t *id;
	json_t *copy = NULL, *status = NULL;
	char urn[64];
	int rc;

	*out = NULL;
	if (!json_is_object(credential))
		return refused(
		        d, actor,
		        ok_fail_field(err, OK_EINPUT, "credential", "credential must be an object"),
		        err);
	id = json_object_get(credential, "id");
	if (id && (!json_is_string(id) || json_string_length(id) == 0 ||
	           json_string_length(id) > STORE_VC_ID_MAX))
		return refused(
		        d, actor,
		        ok_fail_field(err, OK_EINPUT, "credential.id",
		                      "credential.id must be a URL of at most %d bytes to be "
		                      "given a status",
		                      STORE_VC_ID_MAX),
		        err);
	if (!(copy = json_deep_copy(credential)))
		return ok_fail(err, OK_ENOMEM, "out of memory");
	if (!id) {
		/* The id names the credential in status updates: one is given. */
		random_urn(urn);
		if (json_object_set_new(copy, "id", json_string(urn)) != 0) {
			json_decref(copy);
			return ok_fail(err, OK_ENOMEM, "out of memory");
		}
	}
	memset(&v, 0, sizeof(v));
	/* Lengths checked above and by the key's own fields: none of these can be cut. */
	if (ok_format(v.id, sizeof(v.id), "%s", json_string_value(json_object_get(copy, "id"))) ||
	    ok_format(v.institution, sizeof(v.institution), "%s", institution ? institution : "") ||
	    ok_format(v.key_id, sizeof(v.key_id), "%s", key_id ? key_id : "") ||
	    ok_format(v.status, sizeof(v.status), "active")) {
		json_decref(copy);
		return ok_fail(err, OK_EINTERNAL,
		               "a field of the credential's status does not fit");
	}
	v.created_ms = v.updated_ms = ok_now_ms();

	/* Every rule first, with entries of the shape the credential will get: a credential
	 * that would be refused anyway is refused before its id is looked up. */
	if (!(status = entries(d, &v))) {
		json_decref(copy);
		return ok_fail(err, OK_ENOMEM, "out of memory");
	}
	rc = registry_credential_check(d, copy, status, err);
	json_decref(status);
	status = NULL;
	if (rc) {
		json_decref(copy);
		return refused(d, actor, rc, err);
	}
	if ((rc = audit_txn_begin(d, &txn, err))) {
		json_decref(copy);
		return rc;
	}
	/* Ids are the institution's own: another's are neither seen nor taken. */
	rc = store_vc_status_get(d->store, v.institution, v.id, &(struct store_vc_status){0}, err);
	if (rc == 0)
		rc = ok_fail_field(
		        err, OK_EEXIST, "credential.id",
		        "your institution issued a credential with this id with a status before: "
		        "give each credential its own id");
	else if (rc == OK_ENOTFOUND)
		rc = within_cap(d, v.institution, v.created_ms, err);
	if (!rc)
		rc = take_slot(d, &v, err);
	if (!rc && !(status = entries(d, &v)))
		rc = ok_fail(err, OK_ENOMEM, "out of memory");
	if (!rc)
		rc = registry_credential_sign_full(d, copy, status, suite, actor, out, err);
	rc = audit_txn_end(&txn, rc, err);
	if (rc) {
		json_decref(*out);
		*out = NULL;
	}
	json_decref(status);
	json_decref(copy);
	return rc == OK_EEXIST || rc == OK_ELIMIT ? refused(d, actor, rc, err) : rc;
}

int registry_vc_status_change(struct depository *d, const char *id, const char *institution,
                              enum status_action action, const char *actor,
                              struct store_vc_status *out, struct ok_error *err)
{
	static const char *const actions[] = {"credential.revoke", "credential.suspend",
	                                      "credential.reinstate"};
	const char *next;
	struct audit_txn txn;
	char detail[96];
	bool was_suspended;
	int rc;

	if ((rc = audit_txn_begin(d, &txn, err)))
		return rc;
	/* Ids are per institution: a key finds its own institution's only (another's credential
	 * is as unknown as a missing one); the operator names the institution when two used the
	 * same id. */
	rc = institution ? store_vc_status_get(d->store, institution, id, out, err)
	                 : store_vc_status_find_id(d->store, id, out, err);
	if (rc == OK_ENOTFOUND)
		rc = ok_fail_field(err, OK_ENOTFOUND, "credentialId",
		                   institution ? "no credential with that id was issued with a "
		                                 "status by your institution"
		                               : "no credential with that id was issued with a "
		                                 "status");
	else if (rc == OK_ECONFLICT)
		rc = ok_fail_field(err, OK_ECONFLICT, "credentialId",
		                   "more than one institution issued a credential with that id: "
		                   "name one with --institution");
	if (rc)
		goto end;
	was_suspended = strcmp(out->status, "suspended") == 0;
	if (strcmp(out->status, "revoked") == 0)
		rc = ok_fail(err, OK_ECONFLICT,
		             "the credential is revoked, and a revocation is final");
	else if (action == STATUS_REINSTATE && !was_suspended)
		rc = ok_fail(err, OK_ECONFLICT,
		             "only a suspended credential can be made active again (it is %s)",
		             out->status);
	else if (action == STATUS_SUSPEND && was_suspended)
		rc = ok_fail(err, OK_ECONFLICT, "the credential is already suspended");
	if (rc)
		goto end;
	next = action == STATUS_REVOKE    ? "revoked"
	       : action == STATUS_SUSPEND ? "suspended"
	                                  : "active";
	if (ok_format(detail, sizeof(detail), "%s -> %s", out->status, next) ||
	    ok_format(out->status, sizeof(out->status), "%s", next)) {
		rc = ok_fail(err, OK_EINTERNAL, "status too long");
		goto end;
	}
	out->updated_ms = ok_now_ms();
	rc = store_vc_status_set(d->store, out->institution, out->id, out->status, out->updated_ms,
	                         err);
	/* The lists whose bit changes: as for achievements (registry_status_change). */
	if (!rc)
		rc = store_status_list_bump(d->store, out->status_list, 0, action == STATUS_REVOKE,
		                            action != STATUS_REVOKE || was_suspended, err);
	if (!rc)
		rc = audit_txn_event(&txn, actor, actions[action], out->id, "status", detail, err);
end:
	return audit_txn_end(&txn, rc, err);
}
