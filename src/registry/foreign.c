/* Receiving results from other depositories (see foreign.h). */
#include "registry/foreign.h"
#include "core/format.h"
#include "registry/foreign_internal.h"
#include "audit/txn.h"

#include "io/fold.h"
#include "registry/learner.h"
#include "registry/verify_summary.h"
#include "remote/did_resolver.h"
#include "remote/status_cache.h"
#include "vc/ob_facts.h"
#include "core/clock.h"

#include <math.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define FOREIGN_PURPOSE "import"

void foreign_time(int64_t ms, char out[32])
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Copies src into dst (cap bytes), cut at a UTF-8 character boundary when it does not fit. */
static void copy_text(char *dst, size_t cap, const char *src)
{
	size_t n = src ? strlen(src) : 0;

	if (n >= cap) {
		n = cap - 1;
		while (n > 0 && ((unsigned char)src[n] & 0xC0) == 0x80)
			n--;
	}
	if (n)
		memcpy(dst, src, n);
	dst[n] = '\0';
}

static const char *str_at(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* What the credential says about the achievement */

/* Our kinds for the Open Badges 3.0 achievementType; another type keeps its own name. */
static void kind_of(const char *type, char out[33])
{
	const char *kind = verify_kind_of_type(type);
	size_t i, n;

	/* Our kinds and "other" are short words: these copies cannot cut. */
	if (kind) {
		snprintf(out, 33, "%s", kind);
		return;
	}
	if (type && strncmp(type, "ext:", 4) == 0)
		type += 4;
	n = type ? strlen(type) : 0;
	if (n == 0 || n > 32) {
		snprintf(out, 33, "other");
		return;
	}
	for (i = 0; i < n; i++) {
		char c = type[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) {
			snprintf(out, 33, "other");
			return;
		}
		out[i] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
	}
	out[n] = '\0';
}

/* YYYY-MM-DD from the start of an XML Schema date or dateTime; false when it is not one. */
static bool date_of(const char *s, char out[11])
{
	long long t;
	char full[32];

	if (!s || strlen(s) < 10)
		return false;
	snprintf(full, sizeof(full), "%.10sT00:00:00Z", s); /* 20 characters at most */
	if (verify_parse_time(full, &t) != 0)
		return false;
	memcpy(out, s, 10);
	out[10] = '\0';
	return true;
}

/* Credits in hundredths, or -1 when the credential states none a person could mean. */
static long credits_centi(const struct vc_ob_facts *facts)
{
	double x = facts->credits;

	if (!facts->has_credits || !(x >= 0 && x <= 1000))
		return -1;
	return (long)llround(x * 100);
}

int foreign_read_achievement(const json_t *vc, struct store_foreign *f, struct ok_error *err)
{
	struct vc_ob_facts facts;
	int rc;

	/* Read shape-independently: an eddsa-rdfc-2022 signature fixes the quads, not whether
	 * credits are a number or a string, nor the order of several results. */
	if ((rc = vc_ob_facts_read(vc_dmv_json(vc), &facts, err)))
		return rc;
	/* Read from jansson, each text is its C string (ob_facts.h). */
	copy_text(f->title, sizeof(f->title), facts.title.s);
	kind_of(facts.achievement_type.s, f->kind);
	/* Only the award date counts: validFrom says when the credential was issued. */
	if (!date_of(facts.awarded.s, f->awarded_on))
		f->awarded_on[0] = '\0';
	f->credits_centi = credits_centi(&facts);
	copy_text(f->grade, sizeof(f->grade), facts.grade.s);
	copy_text(f->institution, sizeof(f->institution), facts.institution.s);
	if (facts.country.s && facts.country.n == 2)
		copy_text(f->institution_country, sizeof(f->institution_country), facts.country.s);
	return 0;
}

void foreign_credential_key(const json_t *vc, const char *data, size_t len,
                            char out[STORE_FOREIGN_KEY_MAX + 1])
{
	const char *id = str_at(vc, "id");
	unsigned char h[crypto_hash_sha256_BYTES];

	if (id && id[0] && strlen(id) <= STORE_FOREIGN_KEY_MAX) {
		memcpy(out, id, strlen(id) + 1); /* its length is checked */
		return;
	}
	crypto_hash_sha256(h, (const unsigned char *)data, len);
	memcpy(out, "sha256:", 7);
	sodium_bin2hex(out + 7, STORE_FOREIGN_KEY_MAX + 1 - 7, h, sizeof(h));
}

/* Binding to the learner */

void foreign_holder_of(const json_t *vc, struct foreign_holder *h)
{
	/* Values given in clear ("hashed" false or absent), in any shape of the same quads. */
	struct vc_dmv subject = vc_ob_subject(vc_dmv_json(vc));
	bool name_conflict, date_conflict;

	h->name = vc_ob_identity(subject, "name", &name_conflict).s;
	h->birth_date = vc_ob_identity(subject, "ext:birthDate", &date_conflict).s;
	h->conflicting = name_conflict ? "name" : date_conflict ? "birth date" : NULL;
}

/* Whether the folded forms of a and b (fold.h) are the same; false when either does not fold. */
static bool same_name(const char *a, const char *b)
{
	char fa[FOREIGN_NAME_MAX], fb[FOREIGN_NAME_MAX];
	bool same;

	same = fold_name(a, strlen(a), fa, sizeof(fa)) == 0 &&
	       fold_name(b, strlen(b), fb, sizeof(fb)) == 0 && strcmp(fa, fb) == 0;
	sodium_memzero(fa, sizeof(fa));
	sodium_memzero(fb, sizeof(fb));
	return same;
}

/* Whether the credential's birth date (a date, or a dateTime whose date part counts) is the
 * learner's YYYY-MM-DD. */
static bool same_birth_date(const char *theirs, const char *ours)
{
	char day[11];

	return date_of(theirs, day) && strcmp(day, ours) == 0;
}

int foreign_holder_match(const struct foreign_holder *h, const struct learner_data *l)
{
	char full[2 * REG_BYTES(REG_NAME_MAX)];
	int rc = 0;

	if (ok_format(full, sizeof(full), "%s%s%s", l->given_names, l->given_names[0] ? " " : "",
	              l->family_name))
		rc = OK_EINTERNAL;
	else if (!same_name(h->name, full))
		rc = OK_EINVALID;
	else if (h->birth_date && !same_birth_date(h->birth_date, l->birth_date))
		rc = OK_EINVALID;
	sodium_memzero(full, sizeof(full));
	return rc;
}

/*
 * Matches the credential's holder (name and birth date) to the learner's (an audited read).
 * 0 with out->identity set, OK_EINVALID (field "identity") when it names someone else. The
 * message never shows the learner's registered values.
 */
static int check_identity(struct depository *d, const char *learner_id, const json_t *vc,
                          const struct foreign_options *o, struct foreign_import *out,
                          struct ok_error *err)
{
	struct foreign_holder h;
	struct learner_view v;
	int rc;

	out->identity = FOREIGN_IDENTITY_NOT_CHECKED;
	foreign_holder_of(vc, &h);
	/* Two different names or birth dates are not "none": matching on what is left would
	 * accept any learner of the other value (review Q4). */
	if (h.conflicting)
		return ok_fail_field(err, OK_EINVALID, "identity",
		                     "the credential names its holder inconsistently: it gives "
		                     "several different values for the %s",
		                     h.conflicting);
	if (!h.name && o->holder_required)
		return ok_fail_field(err, OK_EINVALID, "identity",
		                     "the credential does not name its holder, so it cannot be "
		                     "matched to you: the institution that registers you can hand "
		                     "it in");
	/* The warnings are messages for a person, sized for the longest actor: a cut would
	 * only shorten the text. */
	if (!h.name) {
		snprintf(out->warning, sizeof(out->warning),
		         "the credential does not name its holder, so it could not be matched to "
		         "the learner: it was accepted on the word of %s",
		         o->actor);
		return 0;
	}
	if ((rc = registry_learner_read(d, NULL, learner_id, o->actor, FOREIGN_PURPOSE, &v, err)))
		return rc;
	rc = foreign_holder_match(&h, &v.data);
	sodium_memzero(&v, sizeof(v));
	if (rc)
		return ok_fail_field(err, OK_EINVALID, "identity",
		                     "this credential names someone else: its holder's name or "
		                     "birth date is not the learner's");
	out->identity = FOREIGN_IDENTITY_MATCHED;
	if (!h.birth_date)
		snprintf(out->warning, sizeof(out->warning),
		         "the credential gives no birth date: it was matched to the learner on the "
		         "name alone");
	return 0;
}

/* Verification */

/* OK_EINVALID naming the first failed check of r. */
static int refused(const struct verify_result *r, struct ok_error *err)
{
	size_t i;

	for (i = 0; i < r->count; i++)
		if (!r->items[i].passed)
			return ok_fail_field(err, OK_EINVALID, verify_check_name(r->items[i].check),
			                     "%s", r->items[i].message);
	return ok_fail_field(err, OK_EINVALID, "proof", "the credential does not verify");
}

/*
 * Every check, the issuer's trust first and on its own: nothing is fetched for an issuer off
 * the trust list. On success out->verification holds the full result.
 */
static int verify_for_import(struct depository *d, const char *data, size_t len,
                             const struct foreign_options *o, struct foreign_import *out,
                             struct ok_error *err)
{
	struct verify_options opt = {.checks = VERIFY_ISSUER};
	struct verify_result *r = &out->verification;
	int rc;

	if ((rc = registry_verify(d, data, len, &opt, r, err)))
		return rc;
	if (!r->is_credential)
		return ok_fail_field(err, OK_EINPUT, "credential", "not a credential: %s",
		                     r->not_credential);
	if (strcmp(r->issuer, d->issuer_did) == 0)
		return ok_fail_field(err, OK_EINVALID, "origin",
		                     "this credential was issued by this depository: the "
		                     "achievement is already held here");
	if (!r->verified)
		return refused(r, err);
	verify_result_release(r);
	opt.checks = VERIFY_ALL;
	/* The import reads the credential (out->verification.credential). */
	opt.want_credential = true;
	opt.status_cache = o->status_cache;
	opt.status_any_host = o->status_any_host;
	opt.did_cache = o->did_cache;
	if ((rc = registry_verify(d, data, len, &opt, r, err)))
		return rc;
	if (!r->is_credential)
		return ok_fail_field(err, OK_EINPUT, "credential", "not a credential: %s",
		                     r->not_credential);
	return r->verified ? 0 : refused(r, err);
}

/* Storing */

/* Copies a record's columns, leaving dst's credential buffer its own (and empty). */
static void copy_record(struct store_foreign *dst, const struct store_foreign *src)
{
	struct buf own = dst->credential;

	*dst = *src;
	dst->credential = own;
	buf_reset(&dst->credential);
}

/* Keeps f (its credential sealed from data) for its learner, or finds it held already; out gets
 * the record held. One transaction, with its audit event. */
static int keep(struct depository *d, const char *data, size_t len, struct store_foreign *f,
                const struct foreign_options *o, struct foreign_import *out, struct ok_error *err)
{
	struct store_foreign held;
	char detail[512]; /* cut to AUDIT_TEXT_MAX by the audit */
	struct audit_txn txn;
	int rc;

	store_foreign_init(&held);
	/* Sealed inside the transaction, after a refresh, so never under a data key that a
	 * rotation finished meanwhile has removed. */
	if ((rc = audit_txn_begin(d, &txn, err)))
		goto out;
	if ((rc = depository_keys_refresh(d, err)))
		goto end;
	f->key_id = d->keys.key_id;
	if ((rc = seal_field(&d->keys, "foreign_credential", f->id, data, len, &f->credential,
	                     err)))
		goto end;
	rc = store_foreign_find(d->store, f->issuer_did, f->credential_key, &held, err);
	if (rc == 0 && strcmp(held.learner_id, f->learner_id) != 0) {
		rc = ok_fail_field(err, OK_ECONFLICT, "credential",
		                   "this credential is held already for another learner");
	} else if (rc == 0) {
		out->duplicate = true;
		copy_record(&out->record, &held);
		if (!rc && ok_format(detail, sizeof(detail), "duplicate of %s from %s", held.id,
		                     f->issuer_did))
			rc = ok_fail(err, OK_EINTERNAL, "audit detail too long");
	} else if (rc == OK_ENOTFOUND) {
		rc = store_foreign_put(d->store, f, err);
		if (rc == OK_EEXIST)
			rc = ok_fail_field(
			        err, OK_ECONFLICT, "credential",
			        "this credential was handed in twice at the same moment; "
			        "try again");
		copy_record(&out->record, f);
		if (!rc &&
		    ok_format(detail, sizeof(detail), "foreign %s from %s", f->id, f->issuer_did))
			rc = ok_fail(err, OK_EINTERNAL, "audit detail too long");
	}
	if (!rc)
		rc = audit_txn_event(&txn, o->actor, "foreign.import", f->learner_id,
		                     FOREIGN_PURPOSE, detail, err);
end:
	rc = audit_txn_end(&txn, rc, err);
out:
	store_foreign_release(&held);
	return rc;
}

int registry_foreign_import(struct depository *d, const char *learner_id, const char *data,
                            size_t len, const struct foreign_options *o, struct foreign_import *out,
                            struct ok_error *err)
{
	struct store_learner l;
	struct store_foreign f;
	struct store_trusted_issuer t;
	char detail[512]; /* cut to AUDIT_TEXT_MAX by the audit */
	int rc;

	memset(out, 0, sizeof(*out));
	store_foreign_init(&out->record);
	store_foreign_init(&f);
	store_learner_init(&l);
	if (!learner_id || strlen(learner_id) > STORE_ID_MAX) {
		rc = ok_fail_field(err, OK_ENOTFOUND, "learner_id", "no learner with that id");
		goto out;
	}
	rc = store_learner_get(d->store, learner_id, &l, err);
	if (rc == OK_ENOTFOUND)
		rc = ok_fail_field(err, OK_ENOTFOUND, "learner_id", "no learner with that id");
	if (rc)
		goto out;
	if ((rc = verify_for_import(d, data, len, o, out, err)))
		goto refuse;
	if ((rc = foreign_read_achievement(out->verification.credential, &f, err)))
		goto refuse;
	if ((rc = check_identity(d, learner_id, out->verification.credential, o, out, err)))
		goto refuse;
	/* The trust list said yes a moment ago: its name and country are the origin. */
	rc = store_trust_get(d->store, out->verification.issuer, &t, err);
	if (rc == OK_ENOTFOUND)
		rc = ok_fail_field(err, OK_EINVALID, "issuer",
		                   "the issuer left the trust list during the import");
	if (rc)
		goto refuse;
	depository_new_id(f.id);
	if (ok_format(f.learner_id, sizeof(f.learner_id), "%s", learner_id)) {
		rc = ok_fail_field(err, OK_EINPUT, "learner_id", "the learner id is too long");
		goto refuse;
	}
	copy_text(f.issuer_did, sizeof(f.issuer_did), out->verification.issuer);
	foreign_credential_key(out->verification.credential, data, len, f.credential_key);
	copy_text(f.depository, sizeof(f.depository), t.name);
	copy_text(f.country, sizeof(f.country), t.country);
	copy_text(f.format, sizeof(f.format), out->verification.format);
	OK_COPY_ARRAY(f.status, "active");
	copy_text(f.imported_by, sizeof(f.imported_by), o->actor);
	f.imported_ms = ok_now_ms();
	f.checked_ms = f.imported_ms;
	rc = keep(d, data, len, &f, o, out, err);
	goto out;
refuse:
	/* Nothing is kept; the attempt is on record (best effort: the refusal stands anyway). */
	if (rc == OK_EINVALID || rc == OK_EINPUT) {
		char from[151];
		copy_text(from, sizeof(from),
		          out->verification.issuer[0] ? out->verification.issuer : "?");
		/* Best effort, as the event is: the issuer is cut to 150 bytes already, and a
		 * cut here only shortens a record of a refusal that stands anyway. */
		snprintf(detail, sizeof(detail), "refused (%s) from %s",
		         err && err->field[0] ? err->field : "credential", from);
		audit_record(d, o->actor, "foreign.refuse", learner_id, FOREIGN_PURPOSE, detail,
		             NULL);
	}
out:
	verify_result_release(&out->verification);
	store_foreign_release(&f);
	store_learner_release(&l);
	return rc;
}

int registry_foreign_import_once(struct depository *d, const char *learner_id, const char *data,
                                 size_t len, const struct foreign_options *o,
                                 struct foreign_import *out, struct ok_error *err)
{
	struct foreign_options own = *o;
	struct remote_status_cache statuses;
	struct remote_did_cache dids;
	int rc;

	remote_status_cache_init(&statuses, d->status_cache_ttl_s, NULL);
	remote_did_cache_init(&dids, d->did_cache_ttl_s, NULL);
	own.status_cache = &statuses;
	own.did_cache = &dids;
	rc = registry_foreign_import(d, learner_id, data, len, &own, out, err);
	remote_status_cache_release(&statuses);
	remote_did_cache_release(&dids);
	return rc;
}

void foreign_import_release(struct foreign_import *out)
{
	verify_result_release(&out->verification);
	store_foreign_release(&out->record);
}

int registry_foreign_list(struct depository *d, const char *learner_id, store_foreign_fn fn,
                          void *ctx, struct ok_error *err)
{
	return store_foreign_list_by_learner(d->store, learner_id, fn, ctx, err);
}

static int append_json(void *ctx, const struct store_foreign *f)
{
	json_t *doc = foreign_record_json(f);

	return doc && json_array_append_new(ctx, doc) == 0 ? 0 : OK_ENOMEM;
}

int registry_foreign_read(struct depository *d, const char *learner_id, const char *actor,
                          const char *purpose, json_t **out, struct ok_error *err)
{
	json_t *list = json_array();
	char detail[32];
	int rc;

	*out = NULL;
	if (!list)
		return ok_fail(err, OK_ENOMEM, "out of memory");
	rc = store_foreign_list_by_learner(d->store, learner_id, append_json, list, err);
	if (rc == OK_ENOMEM)
		rc = ok_fail(err, rc, "out of memory");
	if (!rc && ok_format(detail, sizeof(detail), "count=%zu", json_array_size(list)))
		rc = ok_fail(err, OK_EINTERNAL, "audit detail too long");
	if (!rc)
		rc = audit_record(d, actor, "foreign.read", learner_id, purpose, detail, err);
	if (!rc && !(*out = json_pack("{s:o}", "foreign", list)))
		return ok_fail(err, OK_ENOMEM, "out of memory");
	if (rc)
		json_decref(list);
	return rc;
}

int registry_foreign_credential(struct depository *d, const char *learner_id, const char *id,
                                const char *actor, const char *purpose, struct buf *out,
                                struct ok_error *err)
{
	struct store_foreign f;
	int rc;

	store_foreign_init(&f);
	rc = store_foreign_get(d->store, id, &f, err);
	if (rc == OK_ENOTFOUND || (!rc && strcmp(f.learner_id, learner_id) != 0))
		rc = ok_fail(err, OK_ENOTFOUND, "no foreign achievement with that id");
	if (!rc) {
		const unsigned char *p = (const unsigned char *)f.credential.data;
		const struct seal_keys *k =
		        depository_data_key(d, seal_key_id_of(p, f.credential.len), err);

		rc = k ? seal_open(k, "foreign_credential", f.id, p, f.credential.len, out, err)
		       : (err ? err->code : OK_ECRYPTO);
	}
	if (!rc)
		rc = audit_record(d, actor, "foreign.read", learner_id, purpose, f.id, err);
	store_foreign_release(&f);
	return rc;
}

json_t *foreign_record_json(const struct store_foreign *f)
{
	char imported[32];
	json_t *doc;

	foreign_time(f->imported_ms, imported);
	doc = json_pack(
	        "{s:s, s:s, s:s, s:o, s:o, s:o, s:{s:o, s:o}, s:{s:s, s:s, s:s}, s:s, "
	        "s:s, s:s, s:s}",
	        "id", f->id, "title", f->title, "kind", f->kind, "awarded_on",
	        f->awarded_on[0] ? json_string(f->awarded_on) : json_null(), "credits",
	        f->credits_centi < 0          ? json_null()
	        : f->credits_centi % 100 == 0 ? json_integer(f->credits_centi / 100)
	                                      : json_real((double)f->credits_centi / 100.0),
	        "grade", f->grade[0] ? json_string(f->grade) : json_null(), "institution", "name",
	        f->institution[0] ? json_string(f->institution) : json_null(), "country",
	        f->institution_country[0] ? json_string(f->institution_country) : json_null(),
	        "issuer", "did", f->issuer_did, "name", f->depository, "country", f->country,
	        "imported", imported, "imported_by", f->imported_by, "format", f->format, "status",
	        f->status);
	return doc;
}
