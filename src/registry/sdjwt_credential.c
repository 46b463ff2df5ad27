/* SD-JWT VC issuance for registered results (see sdjwt_credential.h). */
#include "registry/sdjwt_credential.h"

#include <string.h>
#include <time.h>

#include "audit/txn.h"
#include "core/format.h"
#include "jose/jwk.h"
#include "jose/sdjwt.h"
#include "jose/x509.h"
#include "keys/wallet.h"
#include "registry/achievement.h"
#include "registry/learner.h"
#include "registry/sdjwt_status.h"

int sdjwt_vct_parse(const char *s, enum sdjwt_vct *out)
{
	if (strcmp(s, "own") == 0)
		*out = SDJWT_VCT_OWN;
	else if (strcmp(s, "eu-learning") == 0)
		*out = SDJWT_VCT_EU_LEARNING;
	else
		return OK_EINPUT;
	return 0;
}

/* Sets key to a string value unless it is empty. */
static void set_str(json_t *o, const char *key, const char *value)
{
	if (value && *value)
		json_object_set_new(o, key, json_string(value));
}

static json_t *credits_number(long centi)
{
	return centi % 100 == 0 ? json_integer(centi / 100) : json_real((double)centi / 100.0);
}

static void date_of(int64_t t, char out[11])
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(out, 11, "%Y-%m-%d", &tm);
}

/* The claims and the disclosure frame of our own type: OpenID Connect names for the person,
 * the result's facts under names of its own. */
static int own_claims(const struct store_achievement *a, const struct store_institution *inst,
                      const struct learner_data *l, json_t *claims, json_t *frame)
{
	json_t *sd = json_array(), *institution = json_object(), *isd = json_array();

	if (!sd || !institution || !isd) {
		json_decref(sd);
		json_decref(institution);
		json_decref(isd);
		return OK_ENOMEM;
	}
	set_str(claims, "given_name", l->given_names);
	set_str(claims, "family_name", l->family_name);
	set_str(claims, "birthdate", l->birth_date);
	set_str(claims, "title", a->title);
	set_str(claims, "record_id", a->record_id);
	set_str(claims, "programme_code", a->programme_code);
	set_str(claims, "grade", a->grade);
	set_str(claims, "grading_scheme", a->grading_scheme);
	set_str(claims, "awarded_on", a->awarded_on);
	set_str(claims, "language", a->language);
	if (a->credits_centi >= 0)
		json_object_set_new(claims, "credits_ects", credits_number(a->credits_centi));
	if (a->eqf_level > 0)
		json_object_set_new(claims, "eqf_level", json_integer(a->eqf_level));
	set_str(institution, "name", inst->name);
	set_str(institution, "code", inst->code);
	set_str(institution, "country", inst->country);
	set_str(institution, "erasmus_code", inst->erasmus);
	json_object_set_new(claims, "institution", institution);
	for (const char *const *n =
	             (const char *const[]){"given_name", "family_name", "birthdate", "title",
	                                   "record_id", "programme_code", "grade", "grading_scheme",
	                                   "awarded_on", "language", "credits_ects", "eqf_level",
	                                   "institution", NULL};
	     *n; n++)
		json_array_append_new(sd, json_string(*n));
	for (const char *const *n =
	             (const char *const[]){"name", "code", "country", "erasmus_code", NULL};
	     *n; n++)
		json_array_append_new(isd, json_string(*n));
	json_object_set_new(frame, "_sd", sd);
	json_object_set_new(frame, "_sd_decoy", json_integer(SDJWT_DECOYS));
	json_object_set_new(frame, "institution",
	                    json_pack("{s:o,s:i}", "_sd", isd, "_sd_decoy", 1));
	return 0;
}

/* The EU Learning Credential's claims (the EUDI reference issuer's metadata): what oorkonde
 * records maps onto achievement_title, assessment_grade, level_of_learning_experience (EQF),
 * expected_study_time (ECTS), language_of_classes, issuing_authority, issuing_country and the
 * dates. learner_identification is left out: the only identifier oorkonde has is the national
 * id, which never goes into a credential. */
static int eu_claims(const struct store_achievement *a, const struct store_institution *inst,
                     const char *depository_name, int64_t iat, int64_t exp,
                     const struct learner_data *l, json_t *claims, json_t *frame)
{
	json_t *sd = json_array();
	char issued[11], expiry[11], study[48];

	if (!sd)
		return OK_ENOMEM;
	date_of(iat, issued);
	date_of(exp, expiry);
	set_str(claims, "family_name", l->family_name);
	set_str(claims, "given_name", l->given_names);
	set_str(claims, "achievement_title", a->title);
	set_str(claims, "assessment_grade", a->grade);
	if (a->language[0])
		json_object_set_new(claims, "language_of_classes", json_pack("[s]", a->language));
	if (a->credits_centi >= 0) {
		long whole = a->credits_centi / 100, part = a->credits_centi % 100;
		int bad =
		        part == 0 ? ok_format(study, sizeof(study), "%ld ECTS", whole)
		        : part % 10 == 0
		                ? ok_format(study, sizeof(study), "%ld.%ld ECTS", whole, part / 10)
		                : ok_format(study, sizeof(study), "%ld.%02ld ECTS", whole, part);
		if (!bad)
			json_object_set_new(claims, "expected_study_time", json_string(study));
	}
	if (a->eqf_level > 0)
		json_object_set_new(claims, "level_of_learning_experience",
		                    json_integer(a->eqf_level));
	set_str(claims, "issuing_authority", inst->name[0] ? inst->name : depository_name);
	set_str(claims, "issuing_country", inst->country);
	set_str(claims, "date_of_issuance", issued);
	set_str(claims, "date_of_expiry", expiry);
	for (const char *const *n =
	             (const char *const[]){"family_name", "given_name", "achievement_title",
	                                   "assessment_grade", "language_of_classes",
	                                   "expected_study_time", "level_of_learning_experience",
	                                   NULL};
	     *n; n++)
		json_array_append_new(sd, json_string(*n));
	json_object_set_new(frame, "_sd", sd);
	json_object_set_new(frame, "_sd_decoy", json_integer(SDJWT_DECOYS));
	return 0;
}

int registry_sdjwt_issuer_load(struct depository *d, struct sdjwt_issuer *is, struct ok_error *err)
{
	struct buf chain;
	int rc;

	memset(is, 0, sizeof(*is));
	buf_init(&chain, KEYS_WALLET_PEM_MAX);
	rc = keys_wallet_load(d->dir, &is->signer, &chain, err);
	if (!rc)
		rc = jose_x509_chain_x5c(chain.data, chain.len, &is->x5c, err);
	buf_release(&chain);
	if (rc)
		registry_sdjwt_issuer_release(is);
	return rc;
}

void registry_sdjwt_issuer_release(struct sdjwt_issuer *is)
{
	if (!is)
		return;
	jose_signer_release(&is->signer);
	json_decref(is->x5c);
	memset(is, 0, sizeof(*is));
}

int registry_sdjwt_issue(struct depository *d, const char *achievement_id, const char *institution,
                         const struct sdjwt_issue_options *o, const char *actor,
                         const char *purpose, struct buf *out, struct ok_error *err)
{
	int64_t now = o->now ? o->now : (int64_t)time(NULL);
	int64_t life = o->lifetime_s ? o->lifetime_s : SDJWT_LIFETIME_DEFAULT;
	struct store_achievement a;
	struct store_institution inst;
	struct learner_view learner;
	struct sdjwt_issuer own;
	const struct sdjwt_issuer *issuer = o->issuer ? o->issuer : &own;
	struct jose_jwk holder = {0};
	json_t *claims = NULL, *frame = NULL, *header = NULL, *cnf = NULL;
	char vct[DEPOSITORY_HOST_MAX + 64], detail[64];
	bool read = false;
	int rc;

	memset(&own, 0, sizeof(own));
	if (!purpose)
		purpose = "issuance";
	if (life < 60 || life > SDJWT_LIFETIME_MAX)
		return ok_fail_field(err, OK_EINPUT, "lifetime",
		                     "a lifetime of 1 minute to 10 years");
	if (o->holder_jwk) {
		/* Only a usable public key is bound; its canonical members, nothing else, go in. */
		if ((rc = jose_jwk_parse(o->holder_jwk, &holder, err)) ||
		    (rc = jose_jwk_to_json(&holder, &cnf, err)))
			goto out;
	}
	if ((rc = registry_achievement_get(d, achievement_id, institution, &a, err)) ||
	    (rc = store_institution_get(d->store, a.institution, &inst, err)) ||
	    (!o->issuer && (rc = registry_sdjwt_issuer_load(d, &own, err))))
		goto out;
	if ((rc = registry_learner_read(d, NULL, a.learner_id, actor, purpose, &learner, err)))
		goto out;
	read = true;
	claims = json_object();
	frame = json_object();
	if (!claims || !frame) {
		rc = ok_fail(err, OK_ENOMEM, "out of memory");
		goto out;
	}
	if (o->vct == SDJWT_VCT_EU_LEARNING) {
		OK_COPY_ARRAY(vct, SDJWT_VCT_EU_LEARNING_URN);
		rc = eu_claims(&a, &inst, d->name, now, now + life, &learner.data, claims, frame);
	} else if (ok_format(vct, sizeof(vct), "%s/vct/%s", d->base_url, a.kind)) {
		rc = ok_fail(err, OK_ETOOBIG, "the type URL is too long");
	} else {
		rc = own_claims(&a, &inst, &learner.data, claims, frame);
	}
	if (rc) {
		rc = rc == OK_ENOMEM ? ok_fail(err, OK_ENOMEM, "out of memory") : rc;
		goto out;
	}
	json_object_set_new(claims, "iss", json_string(d->base_url));
	json_object_set_new(claims, "iat", json_integer(now));
	json_object_set_new(claims, "exp", json_integer(now + life));
	json_object_set_new(claims, "vct", json_string(vct));
	if (cnf)
		json_object_set_new(claims, "cnf", json_pack("{s:O}", "jwk", cnf));
	/* The achievement's slot, the same as its Bitstring entries' (sdjwt_status.h). */
	if (a.status_list > 0 && a.status_index >= 0) {
		char uri[DEPOSITORY_HOST_MAX + 64];

		if (registry_token_status_url(d, a.status_list, uri, sizeof(uri))) {
			rc = ok_fail(err, OK_ETOOBIG, "the status list URL is too long");
			goto out;
		}
		json_object_set_new(claims, "status",
		                    json_pack("{s:{s:I,s:s}}", "status_list", "idx",
		                              (json_int_t)a.status_index, "uri", uri));
	}
	header = json_pack("{s:s,s:O}", "typ", SDJWT_VC_TYP, "x5c", issuer->x5c);
	if (!header) {
		rc = ok_fail(err, OK_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = jose_sdjwt_issue(claims, frame, header, &issuer->signer, out, err)))
		goto out;
	if (ok_format(detail, sizeof(detail), "format=sd-jwt vct=%s",
	              o->vct == SDJWT_VCT_EU_LEARNING ? "eu-learning" : "own"))
		rc = ok_fail(err, OK_EINTERNAL, "audit detail too long");
	if (!rc)
		rc = audit_record(d, actor, "credential.issue", a.id, purpose, detail, err);
out:
	if (read)
		sodium_memzero(&learner, sizeof(learner));
	/* The claims held the learner's names: wiped before they are freed. */
	if (claims) {
		const char *k;
		json_t *v;

		json_object_foreach(claims, k, v) if (json_is_string(v))
		        sodium_memzero((char *)json_string_value(v), json_string_length(v));
	}
	json_decref(claims);
	json_decref(frame);
	json_decref(header);
	json_decref(cnf);
	jose_jwk_release(&holder);
	registry_sdjwt_issuer_release(&own);
	return rc;
}
