/* Single achievements: JSON form and corrections (see achievement.h). */
#include "registry/achievement.h"
#include "core/format.h"
#include "audit/txn.h"

#include "model/registration.h"
#include "registry/learner.h"
#include "registry/status.h"
#include "core/clock.h"

#include <stdio.h>
#include <string.h>

json_t *registry_achievement_json(const struct store_achievement *a)
{
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:i}", "id",
	                      a->id, "learner_id", a->learner_id, "institution", a->institution,
	                      "record_id", a->record_id, "kind", a->kind, "title", a->title,
	                      "awarded_on", a->awarded_on, "status", a->status, "grade", a->grade,
	                      "grading_scheme", a->grading_scheme, "version", a->version);

	if (!o)
		return NULL;
	if (a->programme_code[0])
		json_object_set_new(o, "programme_code", json_string(a->programme_code));
	if (a->eqf_level)
		json_object_set_new(o, "eqf_level", json_integer(a->eqf_level));
	if (a->credits_centi >= 0 && a->credits_centi % 100 == 0)
		json_object_set_new(o, "credits", json_integer(a->credits_centi / 100));
	else if (a->credits_centi >= 0)
		json_object_set_new(o, "credits", json_real((double)a->credits_centi / 100.0));
	if (a->language[0])
		json_object_set_new(o, "language", json_string(a->language));
	return o;
}

void registry_achievement_digest(const struct seal_keys *k, const struct store_achievement *a,
                                 unsigned char out[SEAL_DIGEST_BYTES])
{
	struct seal_digest d;
	char num[48];

	/* Not keyed: every field is kept in clear beside the digest, so a key would hide nothing,
	 * and a digest that does not depend on the data key stays valid through a rotation. */
	(void)k;
	seal_digest_init_plain(&d);
	seal_digest_add_str(&d, a->learner_id);
	seal_digest_add_str(&d, a->kind);
	seal_digest_add_str(&d, a->title);
	seal_digest_add_str(&d, a->programme_code);
	snprintf(num, sizeof(num), "%d/%ld", a->eqf_level, a->credits_centi); /* 32 at most */
	seal_digest_add_str(&d, num);
	seal_digest_add_str(&d, a->grade);
	seal_digest_add_str(&d, a->grading_scheme);
	seal_digest_add_str(&d, a->awarded_on);
	seal_digest_add_str(&d, a->language);
	seal_digest_final(&d, out);
}

int registry_achievement_get(struct depository *d, const char *id, const char *institution,
                             struct store_achievement *out, struct ok_error *err)
{
	int rc = store_achievement_get(d->store, id, out, err);

	if (rc == OK_ENOTFOUND || (!rc && institution && strcmp(out->institution, institution)))
		return ok_fail(err, OK_ENOTFOUND, "no such achievement");
	return rc;
}

int registry_achievement_by_record(struct depository *d, const char *institution,
                                   const char *record_id, struct store_achievement *out,
                                   struct ok_error *err)
{
	struct store_institution inst;
	int rc = store_institution_get(d->store, institution, &inst, err);

	if (rc == OK_ENOTFOUND)
		return ok_fail_field(err, rc, "institution", "unknown institution %s", institution);
	if (rc)
		return rc;
	rc = store_achievement_find(d->store, institution, record_id, out, err);
	if (rc == OK_ENOTFOUND)
		return ok_fail_field(err, rc, "record_id", "%s holds no record with that record id",
		                     institution);
	return rc;
}

/* Puts the stored values back into a registration, so that a patch is validated in full. */
static void registration_from_store(struct registration *r, const struct store_achievement *a)
{
	struct achievement_data *x = &r->achievement;

	OK_COPY_ARRAY(x->record_id, a->record_id);
	achievement_kind_parse(a->kind, &x->kind);
	OK_COPY_ARRAY(x->title, a->title);
	OK_COPY_ARRAY(x->programme_code, a->programme_code);
	x->eqf_level = a->eqf_level;
	x->credits_centi = a->credits_centi;
	OK_COPY_ARRAY(x->grade, a->grade);
	OK_COPY_ARRAY(x->grading_scheme, a->grading_scheme);
	OK_COPY_ARRAY(x->awarded_on, a->awarded_on);
	OK_COPY_ARRAY(x->language, a->language);
}

static int apply_patch(struct registration *r, const json_t *patch, const char **reason,
                       struct ok_error *err)
{
	static const char *const allowed[] = {"title",          "kind",       "programme_code",
	                                      "eqf_level",      "credits",    "grade",
	                                      "grading_scheme", "awarded_on", "language"};
	const char *key;
	json_t *value;
	char num[64];
	size_t i;
	int rc;

	*reason = NULL;
	if (!json_is_object(patch))
		return ok_fail(err, OK_EINPUT, "the body must be a JSON object");
	json_object_foreach((json_t *)patch, key, value)
	{
		const char *text = num;
		int col;

		if (strcmp(key, "reason") == 0) {
			/* The status changes' check: no control, bidi or invisible characters. */
			if (!json_is_string(value) ||
			    json_string_length(value) != strlen(json_string_value(value)))
				return ok_fail_field(err, OK_EINPUT, "reason",
				                     "reason must be a text of 1-200 characters");
			if ((rc = status_check_reason(json_string_value(value), err)))
				return rc;
			*reason = json_string_value(value);
			continue;
		}
		for (i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
			if (strcmp(key, allowed[i]) == 0)
				break;
		if (i == sizeof(allowed) / sizeof(allowed[0]))
			return ok_fail_field(err, OK_EINPUT, key,
			                     "'%.64s' cannot be corrected (allowed: title, kind, "
			                     "programme_code, eqf_level, credits, grade, "
			                     "grading_scheme, awarded_on, language, reason)",
			                     key);
		col = registration_column_find(key);
		/* An empty or null value clears an optional field. */
		if (json_is_null(value) || (json_is_string(value) && !json_string_length(value))) {
			if (col == REG_EQF_LEVEL)
				r->achievement.eqf_level = 0;
			else if (col == REG_CREDITS)
				r->achievement.credits_centi = -1;
			else if (col == REG_PROGRAMME)
				r->achievement.programme_code[0] = '\0';
			else if (col == REG_GRADE)
				r->achievement.grade[0] = '\0';
			else if (col == REG_GRADING)
				r->achievement.grading_scheme[0] = '\0';
			else if (col == REG_LANGUAGE)
				r->achievement.language[0] = '\0';
			else
				return ok_fail_field(err, OK_EINPUT, key, "%s cannot be empty",
				                     key);
			continue;
		}
		if (json_is_string(value))
			text = json_string_value(value);
		else if (json_is_integer(value)) /* num (64 bytes) holds any number: no cut */
			snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT,
			         json_integer_value(value));
		else if (json_is_real(value))
			snprintf(num, sizeof(num), "%.15g", json_real_value(value));
		else
			return ok_fail_field(err, OK_EINPUT, key, "%s must be a string or a number",
			                     key);
		rc = model_registration_set(r, (enum registration_column)col, text, strlen(text),
		                            err);
		if (rc)
			return rc;
	}
	if (!*reason)
		return ok_fail_field(err, OK_EINPUT, "reason", "a correction needs a reason");
	return 0;
}

int registry_achievement_correct(struct depository *d, const char *id, const char *institution,
                                 const json_t *patch, const char *actor,
                                 struct store_achievement *out, struct ok_error *err)
{
	struct store_achievement cur, now;
	struct learner_view learner;
	struct registration r;
	const char *reason;
	struct audit_txn txn;
	char today[11], detail[64];
	int rc;

	if ((rc = registry_achievement_get(d, id, institution, &cur, err)))
		return rc;
	/* As the importer and the status routes: the record of a revoked result stays as it was. */
	if (strcmp(cur.status, "revoked") == 0)
		return ok_fail(
		        err, OK_ECONFLICT,
		        "the achievement is revoked, and a revocation is final: it cannot be "
		        "corrected");
	/* The learner's birth date takes part in validation (awarded after birth). */
	if ((rc = registry_learner_read(d, NULL, cur.learner_id, actor, "correction", &learner,
	                                err)))
		return rc;
	model_registration_init(&r);
	r.learner = learner.data;
	memset(&learner, 0, sizeof(learner));
	registration_from_store(&r, &cur);
	model_today(today);
	rc = apply_patch(&r, patch, &reason, err);
	if (!rc)
		rc = model_registration_check(&r, today, err);
	/* The learner's birth date is not the corrector's to learn (a key may register without
	 * reading): the refusal names the award date only. */
	if (rc == OK_EINPUT && err && strcmp(err->field, "awarded_on") == 0 &&
	    strcmp(r.achievement.awarded_on, r.learner.birth_date) <= 0)
		rc = ok_fail_field(err, OK_EINPUT, "awarded_on", "%s",
		                   ACHIEVEMENT_AWARD_BEFORE_BIRTH);
	memset(&r.learner, 0, sizeof(r.learner));
	if (rc)
		return rc;

	*out = cur;
	if (ok_format(out->kind, sizeof(out->kind), "%s",
	              achievement_kind_name(r.achievement.kind)) ||
	    ok_format(out->programme_code, sizeof(out->programme_code), "%s",
	              r.achievement.programme_code) ||
	    ok_format(out->grading_scheme, sizeof(out->grading_scheme), "%s",
	              r.achievement.grading_scheme))
		return ok_fail(err, OK_EINTERNAL, "a corrected value does not fit its field");
	OK_COPY_ARRAY(out->title, r.achievement.title);
	out->eqf_level = r.achievement.eqf_level;
	out->credits_centi = r.achievement.credits_centi;
	OK_COPY_ARRAY(out->grade, r.achievement.grade);
	OK_COPY_ARRAY(out->awarded_on, r.achievement.awarded_on);
	OK_COPY_ARRAY(out->language, r.achievement.language);
	registry_achievement_digest(&d->keys, out, out->digest);
	if (memcmp(out->digest, cur.digest, sizeof(cur.digest)) == 0)
		return 0; /* nothing changed: no new version */
	out->version = cur.version + 1;
	out->updated_ms = ok_now_ms();
	if ((rc = audit_txn_begin(d, &txn, err)))
		return rc;
	/* All of the above was read before the write lock: a revocation or another correction
	 * may have committed since. The row is written whole, so only over the version it was
	 * read at (else a revocation could be undone, or two corrections take one version). */
	rc = registry_achievement_get(d, id, institution, &now, err);
	if (!rc && (now.version != cur.version || strcmp(now.status, cur.status) != 0))
		rc = ok_fail(err, OK_ECONFLICT,
		             "the achievement was changed while it was being corrected (it is now "
		             "version %d, %s): read it again and correct that",
		             now.version, now.status);
	if (!rc)
		rc = store_achievement_put(d->store, out, true, actor, reason, err);
	if (!rc && ok_format(detail, sizeof(detail), "version=%d", out->version))
		rc = ok_fail(err, OK_EINTERNAL, "audit detail too long");
	if (!rc)
		rc = audit_txn_event(&txn, actor, "achievement.correct", out->id, "correction",
		                     detail, err);
	return audit_txn_end(&txn, rc, err);
}
