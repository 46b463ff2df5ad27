/* Building and signing credentials (see credential.h). */
#include "registry/credential.h"
#include "core/format.h"
#include "core/clock.h"
#include "audit/txn.h"

#include "registry/achievement.h"
#include "registry/learner.h"
#include "registry/status.h"
#include "vc/datamodel.h"
#include "vc/did.h"
#include "vc/jsonld.h"
#include "vc/jwt.h"
#include "vc/proof.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

_Static_assert(sizeof(((struct depository *)0)->issuer_did) == VC_DID_MAX &&
                       sizeof(((struct depository *)0)->issuer_vm) == VC_DID_MAX,
               "the depository keeps DIDs of VC_DID_MAX bytes");

int registry_identity(const struct depository *d, struct depository_identity *id,
                      struct ok_error *err)
{
	int rc;

	memset(id, 0, sizeof(*id));
	/* libsodium's secret key is seed || public key; the public key was derived at open. */
	memcpy(id->pk, d->issuer_pk, sizeof(id->pk));
	memcpy(id->sk, d->issuer_seed, 32);
	memcpy(id->sk + 32, d->issuer_pk, 32);
	if (d->issuer_did[0]) {
		/* Worked out once at open (base58 is not free, and verification asks often). */
		memcpy(id->did, d->issuer_did, sizeof(id->did));
		memcpy(id->vm, d->issuer_vm, sizeof(id->vm));
		return 0;
	}
	if (d->host[0]) {
		if ((rc = vc_did_web(d->host, id->did, err)) ||
		    (rc = vc_did_web_vm(d->host, id->vm, err)))
			return rc;
	} else {
		if ((rc = vc_did_key(id->pk, id->did, err)) ||
		    (rc = vc_did_key_vm(id->pk, id->vm, err)))
			return rc;
	}
	return 0;
}

void registry_identity_release(struct depository_identity *id)
{
	sodium_memzero(id, sizeof(*id));
}

/* Adds issuer key k of d to doc as one more Multikey method for assertions and authentication. */
static int add_method(const struct depository *d, const struct depository_issuer_key *k,
                      json_t *doc, struct ok_error *err)
{
	char vm[VC_DID_MAX], mk[VC_MULTIKEY_MAX];
	json_t *method;
	int rc;

	if ((rc = depository_issuer_vm(d, k->id, vm, err)) ||
	    (rc = vc_multikey_encode_ed25519_pub(k->pk, mk, err)))
		return rc;
	method = json_pack("{s:s, s:s, s:s, s:s}", "id", vm, "type", "Multikey", "controller",
	                   d->issuer_did, "publicKeyMultibase", mk);
	if (!method ||
	    json_array_append_new(json_object_get(doc, "verificationMethod"), method) != 0 ||
	    json_array_append_new(json_object_get(doc, "authentication"), json_string(vm)) != 0 ||
	    json_array_append_new(json_object_get(doc, "assertionMethod"), json_string(vm)) != 0)
		return ok_fail(err, OK_ENOMEM, "out of memory");
	return 0;
}

int registry_did_document(struct depository *d, json_t **out, struct ok_error *err)
{
	struct depository_identity id;
	size_t i;
	int rc;

	*out = NULL;
	if ((rc = depository_keys_refresh(d, err)) || (rc = registry_identity(d, &id, err)))
		return rc;
	rc = vc_did_document(id.did, id.vm, id.pk, out, err);
	registry_identity_release(&id);
	/* A did:web lists every key of issuer.key, the current one first: credentials signed
	 * with an older key verify until it is retired. A did:key is its one key. */
	for (i = d->issuer_key_count; !rc && d->host[0] && i-- > 0;)
		if (d->issuer_keys[i].id != d->issuer_key_id)
			rc = add_method(d, &d->issuer_keys[i], *out, err);
	if (rc) {
		json_decref(*out);
		*out = NULL;
	}
	return rc;
}

int credential_format_parse(const char *s, enum credential_format *f)
{
	if (!s || strcmp(s, "di") == 0)
		*f = CREDENTIAL_DI;
	else if (strcmp(s, "jwt") == 0)
		*f = CREDENTIAL_JWT;
	else
		return OK_EINPUT;
	return 0;
}

int credential_format_with_suite(enum credential_format *f, const char *suite)
{
	enum vc_suite v;

	if (*f == CREDENTIAL_JWT || vc_suite_parse(suite, &v) != 0)
		return OK_EINPUT;
	*f = v == VC_SUITE_RDFC ? CREDENTIAL_DI_RDFC : CREDENTIAL_DI_JCS;
	return 0;
}

bool credential_format_is_di(enum credential_format f)
{
	return f != CREDENTIAL_JWT;
}

/* The cryptosuite a DI format signs with. */
static enum vc_suite format_suite(const struct depository *d, enum credential_format f)
{
	if (f == CREDENTIAL_DI_JCS)
		return VC_SUITE_JCS;
	if (f == CREDENTIAL_DI_RDFC)
		return VC_SUITE_RDFC;
	return d->cryptosuite;
}

static void now_timestamp(char out[32])
{
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void random_urn(char out[64])
{
	unsigned char b[16];

	randombytes_buf(b, sizeof(b));
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40); /* UUID version 4 */
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	/* 45 characters of fixed form: a cut cannot happen. */
	snprintf(out, 64,
	         "urn:uuid:%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
	         b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
	         b[13], b[14], b[15]);
}

/* Open Badges 3.0 achievementType for a kind (and EQF level, for degrees). */
static const char *achievement_type(const struct store_achievement *a)
{
	if (strcmp(a->kind, "diploma") == 0)
		return "Diploma";
	if (strcmp(a->kind, "degree") == 0)
		return a->eqf_level == 6   ? "BachelorDegree"
		       : a->eqf_level == 7 ? "MasterDegree"
		       : a->eqf_level == 8 ? "DoctoralDegree"
		       : a->eqf_level == 5 ? "AssociateDegree"
		                           : "Degree";
	if (strcmp(a->kind, "exam") == 0)
		return "Assessment";
	if (strcmp(a->kind, "module") == 0)
		return "ext:Module";
	return "Course";
}

/* The holder's IdentityObjects: the full name and, when known, the birth date, both in clear
 * ("hashed": false). Nothing derived from the national id goes in: a low-entropy id under a
 * public salt is found by trying every valid number in seconds. */
static json_t *holder_identifiers(const char *full_name, const char *birth_date)
{
	json_t *ids = json_pack("[{s:s, s:s, s:b, s:s}]", "type", "IdentityObject", "identityType",
	                        "name", "hashed", 0, "identityHash", full_name);

	if (ids && birth_date[0] &&
	    json_array_append_new(ids, json_pack("{s:s, s:s, s:b, s:s}", "type", "IdentityObject",
	                                         "identityType", "ext:birthDate", "hashed", 0,
	                                         "identityHash", birth_date)) != 0) {
		json_decref(ids);
		return NULL;
	}
	return ids;
}

/* Room for a URN whose parts are percent-encoded (a 64-character record id of 4-byte characters
 * takes 768 bytes). */
#define URN_MAX 1024

/* Writes s percent-encoded into out (cap bytes, NUL terminated): letters, digits and "-._~" as
 * they are, every other byte as %XX. A URN with such parts is a valid IRI (a space, for one,
 * would make JSON-LD processors treat the id as a relative reference) and its parts cannot be
 * confused with the ':' between them. */
static void urn_part(const char *s, char *out, size_t cap)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = 0;

	for (; *s && n + 4 <= cap; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_' || c == '~') {
			out[n++] = (char)c;
		} else {
			out[n++] = '%';
			out[n++] = hex[c >> 4];
			out[n++] = hex[c & 15];
		}
	}
	out[n] = '\0';
}

static json_t *institution_profile(const struct store_institution *inst)
{
	char id[2 * URN_MAX + 32], schac[URN_MAX], code[URN_MAX];
	json_t *p, *ids;

	/* A SCHAC home organisation is the institution's stable, public name in Europe. */
	urn_part(inst->schac, schac, sizeof(schac));
	urn_part(inst->code, code, sizeof(code));
	/* NULL (the caller's "out of memory") when the id does not fit: never a cut id. */
	if (inst->schac[0] ? ok_format(id, sizeof(id), "urn:schac:homeOrganization:%s", schac)
	                   : ok_format(id, sizeof(id), "urn:oorkonde:institution:%s:%s",
	                               inst->country, code))
		return NULL;
	p = json_pack("{s:s, s:[s], s:s, s:{s:s, s:s}}", "id", id, "type", "Profile", "name",
	              inst->name, "address", "type", "Address", "addressCountryCode",
	              inst->country);
	ids = json_pack("[{s:s, s:s, s:s}]", "type", "IdentifierEntry", "identifier", inst->code,
	                "identifierType", "identifier");
	if (p && ids && inst->erasmus[0])
		json_array_append_new(ids, json_pack("{s:s, s:s, s:s}", "type", "IdentifierEntry",
		                                     "identifier", inst->erasmus, "identifierType",
		                                     "ext:ErasmusCode"));
	if (p)
		json_object_set_new(p, "otherIdentifier", ids);
	return p;
}

static json_t *credits_value(long centi)
{
	return centi % 100 == 0 ? json_integer(centi / 100) : json_real((double)centi / 100.0);
}

static int build(const struct depository_identity *id, const char *depository_name,
                 const struct store_achievement *a, const struct store_institution *inst,
                 const struct learner_view *learner, json_t **out, struct ok_error *err)
{
	char urn[64], achievement_id[3 * URN_MAX + 32], issued[32], awarded[32],
	        full_name[2 * REG_BYTES(REG_NAME_MAX)], description[2048], eqf[8],
	        grading_id[2 * URN_MAX + 32], code[URN_MAX], kind[URN_MAX], local[URN_MAX];
	json_t *vc, *subject, *achievement, *identifiers;

	random_urn(urn);
	now_timestamp(issued);
	/* The achievement is the same for every learner who earns it: named by programme code
	 * where there is one. */
	urn_part(inst->code, code, sizeof(code));
	urn_part(a->kind, kind, sizeof(kind));
	urn_part(a->programme_code[0] ? a->programme_code : a->record_id, local, sizeof(local));
	/* A credential states nothing cut: a value that does not fit fails the issuance. */
	if (ok_format(awarded, sizeof(awarded), "%sT00:00:00Z", a->awarded_on) ||
	    ok_format(full_name, sizeof(full_name), "%s%s%s", learner->data.given_names,
	              learner->data.given_names[0] ? " " : "", learner->data.family_name) ||
	    ok_format(achievement_id, sizeof(achievement_id), "urn:oorkonde:achievement:%s:%s:%s",
	              code, kind, local) ||
	    ok_format(description, sizeof(description), "%s %s awarded by %s (%s).", a->kind,
	              a->title, inst->name, inst->country))
		return ok_fail(err, OK_EINTERNAL,
		               "a value does not fit its place in the credential");
	description[0] = (char)(description[0] - 'a' + 'A');

	achievement = json_pack("{s:s, s:[s], s:s, s:s, s:s, s:{s:s}, s:o}", "id", achievement_id,
	                        "type", "Achievement", "achievementType", achievement_type(a),
	                        "name", a->title, "description", description, "criteria",
	                        "narrative", description, "creator", institution_profile(inst));
	if (!achievement)
		return ok_fail(err, OK_ENOMEM, "out of memory");
	if (a->credits_centi >= 0)
		json_object_set_new(achievement, "creditsAvailable",
		                    credits_value(a->credits_centi));
	if (a->programme_code[0])
		json_object_set_new(achievement, "humanCode", json_string(a->programme_code));
	if (a->language[0])
		json_object_set_new(achievement, "inLanguage", json_string(a->language));
	if (a->eqf_level) {
		if (ok_format(eqf, sizeof(eqf), "EQF %d", a->eqf_level)) {
			json_decref(achievement);
			return ok_fail(err, OK_EINTERNAL, "the EQF level does not fit");
		}
		json_object_set_new(achievement, "tag", json_pack("[s]", eqf));
	}

	identifiers = holder_identifiers(full_name, learner->data.birth_date);
	subject = json_pack("{s:[s], s:o*, s:o}", "type", "AchievementSubject", "identifier",
	                    identifiers, "achievement", achievement);
	if (!subject || !identifiers) {
		json_decref(subject);
		return ok_fail(err, OK_ENOMEM, "out of memory");
	}
	if (a->credits_centi >= 0)
		json_object_set_new(subject, "creditsEarned", credits_value(a->credits_centi));
	if (a->grade[0]) {
		urn_part(a->grading_scheme, local, sizeof(local));
		if (ok_format(grading_id, sizeof(grading_id), "urn:oorkonde:grading:%s:%s", code,
		              local)) {
			json_decref(subject);
			return ok_fail(err, OK_EINTERNAL, "the grading scheme's id does not fit");
		}
		json_object_set_new(achievement, "resultDescription",
		                    json_pack("[{s:s, s:[s], s:s, s:s}]", "id", grading_id, "type",
		                              "ResultDescription", "name", a->grading_scheme,
		                              "resultType", "Result"));
		json_object_set_new(subject, "result",
		                    json_pack("[{s:[s], s:s, s:s}]", "type", "Result", "value",
		                              a->grade, "resultDescription", grading_id));
	}
	vc = json_pack("{s:[s, s], s:s, s:[s, s], s:{s:s, s:[s], s:s}, s:s, s:s, s:s, s:o}",
	               "@context", CREDENTIAL_CONTEXT_V2, CREDENTIAL_CONTEXT_OB3, "id", urn, "type",
	               "VerifiableCredential", "OpenBadgeCredential", "issuer", "id", id->did,
	               "type", "Profile", "name", depository_name, "validFrom", issued,
	               "awardedDate", awarded, "name", a->title, "credentialSubject", subject);
	if (!vc)
		return ok_fail(err, OK_ENOMEM, "out of memory");
	*out = vc;
	return 0;
}

/* One BitstringStatusListEntry: the achievement's slot in the list for purpose. */
static json_t *status_entry(const struct depository *d, const struct store_achievement *a,
                            const char *purpose)
{
	char url[DEPOSITORY_HOST_MAX + 64], id[DEPOSITORY_HOST_MAX + 96], index[24];

	/* NULL (the caller's "out of memory") when a part does not fit: never a cut URL. */
	if (registry_status_list_url(d, purpose, a->status_list, url, sizeof(url)) ||
	    ok_format(index, sizeof(index), "%lld", (long long)a->status_index) ||
	    ok_format(id, sizeof(id), "%s#%s", url, index))
		return NULL;
	return json_pack("{s:s, s:s, s:s, s:s, s:s}", "id", id, "type", "BitstringStatusListEntry",
	                 "statusPurpose", purpose, "statusListIndex", index, "statusListCredential",
	                 url);
}

/* Adds a revocation and a suspension entry, when the achievement has a status list slot. */
static int add_status(const struct depository *d, const struct store_achievement *a, json_t *vc,
                      struct ok_error *err)
{
	json_t *entries;

	if (a->status_index < 0 || a->status_list < 1)
		return 0;
	entries = json_pack("[o, o]", status_entry(d, a, "revocation"),
	                    status_entry(d, a, "suspension"));
	if (!entries || json_object_set_new(vc, "credentialStatus", entries) != 0)
		return ok_fail(err, OK_ENOMEM, "out of memory");
	return 0;
}

/* The learner's fields opened without an audit event, for a caller that records the read. */
static int read_unaudited(struct depository *d, const char *learner_id, struct learner_view *out,
                          struct ok_error *err)
{
	struct store_learner l;
	int rc;

	memset(out, 0, sizeof(*out));
	store_learner_init(&l);
	rc = store_learner_get(d->store, learner_id, &l, err);
	if (rc == OK_ENOTFOUND)
		rc = ok_fail(err, OK_ENOTFOUND, "no learner with that id");
	if (!rc) {
		OK_COPY_ARRAY(out->id, l.id);
		out->created_ms = l.created_ms;
		rc = registry_learner_open(d, &l, &out->data, err);
	}
	if (rc)
		sodium_memzero(out, sizeof(*out));
	store_learner_release(&l);
	return rc;
}

/* registry_credential_build, with the purpose of the read of the learner's fields; purpose
 * NULL: the read is not audited (the caller records it). */
static int build_for(struct depository *d, const struct depository_identity *id,
                     const struct store_achievement *a, const char *actor, const char *purpose,
                     json_t **out, struct ok_error *err)
{
	struct store_institution inst;
	struct learner_view learner;
	int rc;

	*out = NULL;
	rc = store_institution_get(d->store, a->institution, &inst, err);
	if (!rc && purpose)
		rc = registry_learner_read(d, NULL, a->learner_id, actor, purpose, &learner, err);
	else if (!rc)
		rc = read_unaudited(d, a->learner_id, &learner, err);
	if (rc)
		return rc;
	rc = build(id, d->name, a, &inst, &learner, out, err);
	if (!rc && (rc = add_status(d, a, *out, err))) {
		json_decref(*out);
		*out = NULL;
	}
	sodium_memzero(&learner, sizeof(learner));
	return rc;
}

int registry_credential_build(struct depository *d, const struct depository_identity *id,
                              const struct store_achievement *a, const char *actor, json_t **out,
                              struct ok_error *err)
{
	return build_for(d, id, a, actor, "issuance", out, err);
}

int registry_credential_issue(struct depository *d, const char *achievement_id,
                              const char *institution, enum credential_format f, const char *actor,
                              struct buf *out, struct ok_error *err)
{
	return registry_credential_issue_for(d, achievement_id, institution, f, actor, "issuance",
	                                     out, err);
}

/* The issuance's audit event, and in the same transaction the credential's id with its
 * achievement, by which a verification finds the record whatever the credential's JSON says. */
static int record_issue(struct depository *d, const char *actor, const struct store_achievement *a,
                        const json_t *vc, const char *purpose, const char *detail,
                        struct ok_error *err)
{
	const char *cid = json_string_value(json_object_get(vc, "id"));
	struct audit_txn t;
	int rc;

#ifdef OK_TEST_HOOKS
	/* As audit_record: the benchmark measures what auditing costs. */
	if (d->bench_audit_off)
		return 0;
#endif
	if (!cid || strlen(cid) > STORE_CREDENTIAL_ID_MAX)
		return audit_record(d, actor, "credential.issue", a->id, purpose, detail, err);
	if ((rc = audit_txn_begin(d, &t, err)))
		return rc;
	rc = store_credential_issued_add(d->store, cid, a->id, ok_now_ms(), err);
	if (!rc)
		rc = audit_txn_event(&t, actor, "credential.issue", a->id, purpose, detail, err);
	return audit_txn_end(&t, rc, err);
}

/* Issues; purpose NULL: no audit event at all (registry_credential_issue_unaudited); subject:
 * the holder's did:key named as the subject's id, or NULL. */
static int issue(struct depository *d, const char *achievement_id, const char *institution,
                 enum credential_format f, const char *actor, const char *purpose,
                 const char *subject, struct buf *out, struct ok_error *err)
{
	struct depository_identity id;
	struct store_achievement a;
	struct vc_proof_options opt = {0};
	json_t *unsigned_vc = NULL, *secured = NULL;
	char *text = NULL;
	char created[32], detail[48];
	int rc;

	if ((rc = registry_achievement_get(d, achievement_id, institution, &a, err)))
		return rc;
	/* Signed with the current issuer key, also when another process just rotated it. */
	if ((rc = depository_keys_refresh(d, err)) || (rc = registry_identity(d, &id, err)))
		return rc;
	if ((rc = build_for(d, &id, &a, actor, purpose, &unsigned_vc, err)))
		goto out;
	if (subject && json_object_set_new(json_object_get(unsigned_vc, "credentialSubject"), "id",
	                                   json_string(subject))) {
		rc = ok_fail(err, OK_ENOMEM, "out of memory");
		goto out;
	}
	if (f == CREDENTIAL_JWT) {
		rc = vc_jwt_sign(unsigned_vc, id.vm, id.sk, out, err);
	} else {
		now_timestamp(created);
		opt.verification_method = id.vm;
		opt.created = created;
		opt.suite = format_suite(d, f);
		rc = vc_proof_create(unsigned_vc, &opt, id.sk, &secured, err);
		text = rc ? NULL : json_dumps(secured, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		if (!rc && (!text || buf_addstr(out, text) != 0))
			rc = ok_fail(err, OK_ENOMEM, "out of memory");
	}
	/* Which key signed is in the event: key use is audited; and whether the credential was
	 * bound to a holder's key (not which: a DID follows its owner). */
	if (!rc && ok_format(detail, sizeof(detail), "format=%s key=%lu%s",
	                     f == CREDENTIAL_JWT ? "jwt" : "di", (unsigned long)d->issuer_key_id,
	                     subject ? " bound=1" : ""))
		rc = ok_fail(err, OK_EINTERNAL, "audit detail too long");
	if (!rc && purpose)
		rc = record_issue(d, actor, &a, unsigned_vc, purpose, detail, err);
out:
	free(text);
	json_decref(secured);
	json_decref(unsigned_vc);
	registry_identity_release(&id);
	return rc;
}

int registry_credential_issue_for(struct depository *d, const char *achievement_id,
                                  const char *institution, enum credential_format f,
                                  const char *actor, const char *purpose, struct buf *out,
                                  struct ok_error *err)
{
	return issue(d, achievement_id, institution, f, actor, purpose ? purpose : "issuance", NULL,
	             out, err);
}

int registry_credential_issue_bound(struct depository *d, const char *achievement_id,
                                    enum credential_format f, const char *holder_did,
                                    const char *actor, struct buf *out, struct ok_error *err)
{
	uint8_t pk[VC_ED25519_PUB_BYTES];
	char vm[VC_DID_MAX];

	/* A did:key only: its key is in the DID itself, so a presentation's holder proof can be
	 * checked against it without fetching anything. */
	if (strncmp(holder_did, "did:key:", 8) != 0 || strlen(holder_did) >= VC_DID_MAX / 2 ||
	    ok_format(vm, sizeof(vm), "%s#%s", holder_did, holder_did + 8) ||
	    vc_did_key_vm_to_pub(vm, pk, err) != 0)
		return ok_fail_field(err, OK_EINPUT, "holder",
		                     "the holder must be an Ed25519 did:key (did:key:z6Mk…)");
	return issue(d, achievement_id, NULL, f, actor, "issuance", holder_did, out, err);
}

int registry_credential_issue_unaudited(struct depository *d, const char *achievement_id,
                                        enum credential_format f, struct buf *out,
                                        struct ok_error *err)
{
	return issue(d, achievement_id, NULL, f, NULL, NULL, NULL, out, err);
}

/* Types only the depository itself signs: its status lists, and trust lists. A key that may sign
 * claims in the depository's name must not be able to forge one of these. */
static const char *const reserved_types[] = {
        "BitstringStatusListCredential",
        "BitstringStatusList",
        "StatusList2021Credential",
        "StatusList2021",
        "TrustListCredential",
        "DestructionCertificate",
        "TransferManifest",
        "TrustList",
};

/* The same types as JSON-LD readers see them, expanded (review Q2): a type given as an absolute
 * IRI, with no context naming it, passes a check of names but is read as the reserved type. All
 * of oorkonde's vocabulary is reserved; of the status vocabularies only the list types (an
 * entry's type, BitstringStatusListEntry, is not). */
#define OWN_VOCAB "https://w3id.org/oorkonde/vocab#"
static const char *const reserved_iris[] = {
        "https://www.w3.org/ns/credentials/status#BitstringStatusListCredential",
        "https://www.w3.org/ns/credentials/status#BitstringStatusList",
        "https://w3id.org/vc/status-list#StatusList2021Credential",
        "https://w3id.org/vc/status-list#StatusList2021",
};

static bool reserved_iri(const char *iri)
{
	size_t k;

	if (strncmp(iri, OWN_VOCAB, strlen(OWN_VOCAB)) == 0)
		return true;
	for (k = 0; k < sizeof(reserved_iris) / sizeof(reserved_iris[0]); k++)
		if (strcmp(iri, reserved_iris[k]) == 0)
			return true;
	return false;
}

/* The first reserved IRI among the @type values anywhere in the expanded form x, or NULL. The
 * walk is linear in x, which the JSON-LD limits bound; depth is bounded by the same limits. */
static const char *reserved_expanded(const json_t *x)
{
	const char *key, *found;
	const json_t *v, *t;
	size_t i;

	if (json_is_array(x)) {
		json_array_foreach(x, i, v) if ((found = reserved_expanded(v))) return found;
		return NULL;
	}
	if (!json_is_object(x))
		return NULL;
	json_object_foreach((json_t *)x, key, v)
	{
		if (strcmp(key, "@type") == 0) {
			if (json_is_string(v) && reserved_iri(json_string_value(v)))
				return json_string_value(v);
			json_array_foreach(v, i, t) if (json_is_string(t) &&
			                                reserved_iri(json_string_value(
			                                        t))) return json_string_value(t);
		} else if ((found = reserved_expanded(v))) {
			return found;
		}
	}
	return NULL;
}

/* The reserved type that t (a type string or array) names, or NULL; bad is set when t is
 * neither a string nor an array of strings. */
static const char *reserved_type(const json_t *t, bool *bad)
{
	size_t i, k, n = json_is_array(t) ? json_array_size(t) : 1;

	for (i = 0; t && i < n; i++) {
		const json_t *one = json_is_array(t) ? json_array_get(t, i) : t;
		if (!json_is_string(one)) {
			*bad = true;
			return NULL;
		}
		for (k = 0; k < sizeof(reserved_types) / sizeof(reserved_types[0]); k++)
			if (strcmp(json_string_value(one), reserved_types[k]) == 0)
				return reserved_types[k];
	}
	return NULL;
}

/* Refuses what a VC-API key may not have signed: a reserved type on the credential or a subject,
 * and any status entry (entries are given out by the depository's own registration only). */
static int check_signable(const json_t *credential, struct ok_error *err)
{
	const json_t *subject = json_object_get(credential, "credentialSubject");
	const char *reserved;
	bool bad = false;
	size_t i, n;

	if (json_object_get(credential, "credentialStatus"))
		return ok_fail_field(err, OK_EINPUT, "credential.credentialStatus",
		                     "a credential signed here may not carry a credentialStatus: "
		                     "status entries are given out by the depository only");
	if ((reserved = reserved_type(json_object_get(credential, "type"), &bad)))
		return ok_fail_field(err, OK_EINPUT, "credential.type",
		                     "%s is reserved to the depository and cannot be signed here",
		                     reserved);
	if (bad)
		return ok_fail_field(err, OK_EINPUT, "credential.type",
		                     "type must be a string or an array of strings");
	n = json_is_array(subject) ? json_array_size(subject) : 1;
	for (i = 0; subject && i < n; i++) {
		const json_t *one = json_is_array(subject) ? json_array_get(subject, i) : subject;
		const json_t *a = json_object_get(one, "achievement");
		size_t k, m = json_is_array(a) ? json_array_size(a) : 1;

		/* The depository's own achievements are stated by its registry only, from its
		 * records: a credential naming one is taken as a result of those records (the
		 * OpenID4VP verifier's ldp_vc answers: review LDP9-1). */
		for (k = 0; a && k < m; k++) {
			const json_t *one_a = json_is_array(a) ? json_array_get(a, k) : a;
			const char *aid = json_string_value(json_object_get(one_a, "id"));

			if (aid && strncmp(aid, "urn:oorkonde:", 13) == 0)
				return ok_fail_field(
				        err, OK_EINPUT,
				        "credential.credentialSubject.achievement.id",
				        "urn:oorkonde: achievements are the depository's "
				        "own records and cannot be signed here");
		}
		if ((reserved = reserved_type(json_object_get(one, "type"), &bad)) || bad)
			return ok_fail_field(err, OK_EINPUT, "credential.credentialSubject.type",
			                     "%s",
			                     reserved ? "the subject's type is reserved to the "
			                                "depository and cannot be signed here"
			                              : "type must be a string or an array of "
			                                "strings");
	}
	return 0;
}

int registry_credential_sign(struct depository *d, const json_t *credential, const char *actor,
                             json_t **out, struct ok_error *err)
{
	return registry_credential_sign_with(d, credential, NULL, actor, out, err);
}

/* Every rule a credential must pass before it is signed here: the data model as the verifier
 * applies it (validFrom and the status as they will be signed), what a VC-API key may sign, and
 * the issuer. On success *copy is the credential as it will be signed, *created its validFrom
 * default and *id the depository's identity; the caller releases both. */
static int check_for_signing(struct depository *d, const json_t *credential, json_t *status,
                             char created[32], json_t **copy, struct depository_identity *id,
                             struct ok_error *err)
{
	/* The plain form whatever the suite (review P1): JSON-LD readers of a JCS credential read
	 * its quads, which must say what its keys say. */
	const struct vc_dm_options dm_jsonld = VC_DM_OPTIONS_JSONLD_PLAIN;
	struct vc_dm_failure dm;
	const json_t *issuer;
	const char *issuer_id = NULL, *reserved;
	json_t *expanded = NULL;
	int rc;

	*copy = NULL;
	if (!json_is_object(credential))
		return ok_fail_field(err, OK_EINPUT, "credential", "credential must be an object");
	if (json_object_get(credential, "proof"))
		return ok_fail_field(err, OK_EINPUT, "credential.proof",
		                     "the credential already has a proof");
	if (!(*copy = json_deep_copy(credential)))
		return ok_fail(err, OK_ENOMEM, "out of memory");
	now_timestamp(created);
	/* What a VC-API key may not sign first: its refusal names the reserved type or entry. */
	rc = check_signable(credential, err);
	if (!rc && ((!json_object_get(*copy, "validFrom") &&
	             json_object_set_new(*copy, "validFrom", json_string(created)) != 0) ||
	            (status && json_object_set(*copy, "credentialStatus", status) != 0)))
		rc = ok_fail(err, OK_ENOMEM, "out of memory");
	if (!rc && vc_datamodel_check(*copy, &dm_jsonld, &dm) != 0)
		rc = ok_fail_field(err, OK_EINPUT, dm.rule, "%s", dm.message);
	/* The reserved types once more, as IRIs: the JSON-LD step above passed, so the document
	 * expands (the depository's own status entry included, whose type is not reserved). */
	if (!rc && (rc = vc_jsonld_expand(*copy, NULL, &expanded, err)) == 0) {
		if ((reserved = reserved_expanded(expanded)))
			rc = ok_fail_field(err, OK_EINPUT, "credential.type",
			                   "%s is reserved to the depository and cannot be signed "
			                   "here",
			                   reserved);
		json_decref(expanded);
	}
	if (!rc) {
		issuer = json_object_get(credential, "issuer");
		if (json_is_string(issuer))
			issuer_id = json_string_value(issuer);
		else if (json_is_object(issuer) && json_is_string(json_object_get(issuer, "id")))
			issuer_id = json_string_value(json_object_get(issuer, "id"));
		if (!(rc = depository_keys_refresh(d, err)) &&
		    !(rc = registry_identity(d, id, err)) &&
		    (!issuer_id || strcmp(issuer_id, id->did) != 0)) {
			rc = ok_fail_field(err, OK_EINPUT, "credential.issuer",
			                   "the issuer must be this depository (%s)", id->did);
			registry_identity_release(id);
		}
	}
	if (rc) {
		json_decref(*copy);
		*copy = NULL;
	}
	return rc;
}

int registry_credential_check(struct depository *d, const json_t *credential, json_t *status,
                              struct ok_error *err)
{
	struct depository_identity id;
	char created[32];
	json_t *copy;
	int rc;

	if ((rc = check_for_signing(d, credential, status, created, &copy, &id, err)))
		return rc;
	json_decref(copy);
	registry_identity_release(&id);
	return 0;
}

int registry_credential_sign_suite(struct depository *d, const json_t *credential,
                                   const enum vc_suite *suite, const char *actor, json_t **out,
                                   struct ok_error *err)
{
	return registry_credential_sign_full(d, credential, NULL, suite, actor, out, err);
}

int registry_credential_sign_with(struct depository *d, const json_t *credential, json_t *status,
                                  const char *actor, json_t **out, struct ok_error *err)
{
	return registry_credential_sign_full(d, credential, status, NULL, actor, out, err);
}

int registry_credential_sign_full(struct depository *d, const json_t *credential, json_t *status,
                                  const enum vc_suite *suite, const char *actor, json_t **out,
                                  struct ok_error *err)
{
	struct depository_identity id;
	struct vc_proof_options opt = {0};
	json_t *copy;
	char created[32], detail[96];
	int rc;

	*out = NULL;
	/* Every rule of the data model, as the verifier applies them, before anything else: what
	 * is signed here verifies anywhere. */
	if ((rc = check_for_signing(d, credential, status, created, &copy, &id, err)))
		return rc;
	opt.verification_method = id.vm;
	opt.created = created;
	opt.suite = suite ? *suite : d->cryptosuite;
	rc = vc_proof_create(copy, &opt, id.sk, out, err);
	if (!rc &&
	    ok_format(detail, sizeof(detail), "vc-api key=%lu", (unsigned long)d->issuer_key_id))
		rc = ok_fail(err, OK_EINTERNAL, "audit detail too long");
	if (!rc)
		rc = audit_record(d, actor, "credential.issue", "", "issuance", detail, err);
	if (rc) {
		json_decref(*out);
		*out = NULL;
	}
	json_decref(copy);
	registry_identity_release(&id);
	return rc;
}

/* A copy of credential whose @context lists oorkonde's own context (appended when missing). */
static int with_own_context(const json_t *credential, json_t **out, struct ok_error *err)
{
	json_t *ctx, *c;
	size_t i;

	*out = NULL;
	ctx = json_object_get(credential, "@context");
	if (!json_is_array(ctx))
		return ok_fail_field(err, OK_EINPUT, "@context", "@context must be an array");
	json_array_foreach(ctx, i, c) if (json_is_string(c) &&
	                                  strcmp(json_string_value(c), VC_CONTEXT_OORKONDE_V1) == 0)
	{
		*out = json_deep_copy(credential);
		return *out ? 0 : ok_fail(err, OK_ENOMEM, "out of memory");
	}
	if (!(*out = json_deep_copy(credential)) ||
	    json_array_append_new(json_object_get(*out, "@context"),
	                          json_string(VC_CONTEXT_OORKONDE_V1))) {
		json_decref(*out);
		*out = NULL;
		return ok_fail(err, OK_ENOMEM, "out of memory");
	}
	return 0;
}

int registry_credential_sign_own(struct depository *d, const json_t *credential, const char *actor,
                                 json_t **out, struct ok_error *err)
{
	struct depository_identity id;
	struct vc_proof_options opt = {0};
	struct vc_dm_failure dm;
	char created[32];
	int rc;

	const struct vc_dm_options dm_jsonld = VC_DM_OPTIONS_JSONLD;
	json_t *own;

	*out = NULL;
	/* oorkonde's own context defines these formats' types and terms: with it they meet every
	 * rule, "every type defined" included, as any other credential must. */
	if ((rc = with_own_context(credential, &own, err)))
		return rc;
	if (vc_datamodel_check(own, &dm_jsonld, &dm) != 0) {
		json_decref(own);
		return ok_fail_field(err, OK_EINPUT, dm.rule, "%s", dm.message);
	}
	if ((rc = depository_keys_refresh(d, err)) || (rc = registry_identity(d, &id, err))) {
		json_decref(own);
		return rc;
	}
	now_timestamp(created);
	opt.verification_method = id.vm;
	opt.created = created;
	opt.suite = VC_SUITE_JCS;
	rc = vc_proof_create(own, &opt, id.sk, out, err);
	json_decref(own);
	if (!rc)
		rc = audit_record(d, actor, "credential.issue", "", "issuance", "own format", err);
	if (rc) {
		json_decref(*out);
		*out = NULL;
	}
	registry_identity_release(&id);
	return rc;
}

struct issue_learner {
	struct depository *d;
	enum credential_format format;
	const char *actor;
	credential_issued_fn fn;
	void *ctx;
};

static int issue_listed(void *ctx, const struct store_achievement *a)
{
	struct issue_learner *il = ctx;
	struct ok_error err;
	struct buf b;
	int rc;

	buf_init(&b, 0);
	ok_error_clear(&err);
	rc = registry_credential_issue(il->d, a->id, NULL, il->format, il->actor, &b, &err);
	il->fn(il->ctx, a->id, rc, &b, &err);
	buf_release(&b);
	return 0;
}

int registry_credential_issue_learner(struct depository *d, const char *learner_id,
                                      enum credential_format f, const char *actor,
                                      credential_issued_fn fn, void *ctx, struct ok_error *err)
{
	struct issue_learner il = {d, f, actor, fn, ctx};
	struct learner_view view;
	int rc;

	/* Read first, audited: an unknown learner is an error, not an empty set of files. */
	rc = registry_learner_read(d, NULL, learner_id, actor, "issuance", &view, err);
	sodium_memzero(&view, sizeof(view));
	if (rc)
		return rc;
	return registry_learner_achievements(d, learner_id, issue_listed, &il, err);
}
