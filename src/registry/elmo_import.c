/* An ELMO document from another country's contact point kept as foreign achievements of a
 * learner (see elmo.h): the signature against the registered certificate, the learner matched,
 * every result kept in one transaction, or nothing. */
#include "registry/elmo.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/txn.h"
#include "core/clock.h"
#include "core/format.h"
#include "registry/foreign_internal.h"
#include "registry/learner.h"

#define ELMO_PURPOSE "emrex import"

/* Each result's learningOpportunitySpecification as the document has it (what is sealed). */
struct fragments {
	struct buf *items; /* owned, in document order */
	size_t count, cap;
};

static int keep_fragment(void *ctx, size_t report, size_t result, const char *xml, size_t len)
{
	struct fragments *f = ctx;

	(void)report;
	(void)result;
	if (f->count == f->cap) {
		size_t ncap = f->cap ? f->cap * 2 : 32;
		void *p = realloc(f->items, ncap * sizeof(*f->items));

		if (!p)
			return OK_ENOMEM;
		f->items = p;
		f->cap = ncap;
	}
	buf_init(&f->items[f->count], (size_t)1 << 20);
	if (buf_add(&f->items[f->count], xml, len)) {
		buf_release(&f->items[f->count]);
		return OK_ETOOBIG;
	}
	f->count++;
	return 0;
}

static void fragments_release(struct fragments *f)
{
	size_t i;

	for (i = 0; i < f->count; i++)
		buf_release(&f->items[i]);
	free(f->items);
}

/* Copies src into dst (cap bytes), cut at a character boundary when it does not fit: the
 * document's texts may be longer than a foreign achievement's columns. */
static void copy_text(char *dst, size_t cap, const char *src)
{
	size_t n = strlen(src);

	if (n >= cap) {
		n = cap - 1;
		while (n > 0 && ((unsigned char)src[n] & 0xC0) == 0x80)
			n--;
	}
	memcpy(dst, src, n);
	dst[n] = '\0';
}

static const char *kind_of(const char *type)
{
	if (strcmp(type, "Degree Programme") == 0)
		return "degree";
	if (strcmp(type, "Module") == 0)
		return "module";
	return "course";
}

/* The learner the document names must be ours: name (folded) and birth date. */
static int check_identity(struct depository *d, const char *learner_id, const char *actor,
                          const struct elmo_document *doc, struct ok_error *err)
{
	char name[2 * ELMO_TEXT_MAX + 2];
	struct foreign_holder h;
	struct learner_view v;
	int rc;

	if (!doc->learner.birth_date[0])
		return ok_fail_field(err, OK_EINVALID, "identity",
		                     "the document gives no birth date to match the learner with");
	if (ok_format(name, sizeof(name), "%s%s%s", doc->learner.given_names,
	              doc->learner.given_names[0] ? " " : "", doc->learner.family_name))
		return ok_fail_field(err, OK_EINVALID, "identity",
		                     "the learner's name is too long");
	h.name = name;
	h.birth_date = doc->learner.birth_date;
	if ((rc = registry_learner_read(d, NULL, learner_id, actor, ELMO_PURPOSE, &v, err)))
		goto out;
	if (foreign_holder_match(&h, &v.data) != 0)
		rc = ok_fail_field(err, OK_EINVALID, "identity",
		                   "the document is about someone else (name or birth date differ "
		                   "from the learner's)");
out:
	sodium_memzero(&v, sizeof(v));
	sodium_memzero(name, sizeof(name));
	return rc;
}

/* The key that makes a result unique for its contact point and its learner: a hash of the
 * learner's id, its institution's identifiers and the result as the document has it.
 * Classmates with the same course, date and grade (a contact point's result identifier is
 * usually the course's code) have results of their own; the identity check, not this key,
 * keeps one learner's document from another's record. learner_id NULL: the key of imports
 * made before the learner was in it, still looked up so that a re-import finds them. */
static void result_key(const char *learner_id, const struct elmo_report *r,
                       const struct buf *fragment, char out[STORE_FOREIGN_KEY_MAX + 1])
{
	crypto_hash_sha256_state st;
	unsigned char h[32];
	char hex[65];

	crypto_hash_sha256_init(&st);
	if (learner_id)
		crypto_hash_sha256_update(&st, (const unsigned char *)learner_id,
		                          strlen(learner_id) + 1);
	crypto_hash_sha256_update(&st, (const unsigned char *)r->erasmus, strlen(r->erasmus) + 1);
	crypto_hash_sha256_update(&st, (const unsigned char *)r->schac, strlen(r->schac) + 1);
	crypto_hash_sha256_update(&st, (const unsigned char *)r->local, strlen(r->local) + 1);
	crypto_hash_sha256_update(&st, (const unsigned char *)r->title, strlen(r->title) + 1);
	crypto_hash_sha256_update(&st, (const unsigned char *)fragment->data, fragment->len);
	crypto_hash_sha256_final(&st, h);
	sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
	snprintf(out, STORE_FOREIGN_KEY_MAX + 1, "elmo:%s", hex);
}

/* Whether f's result is held for its learner already: under its key, or under the key of
 * imports made before (held for another learner there: not this learner's copy). */
static int result_held(struct depository *d, const struct store_foreign *f,
                       const struct elmo_report *r, const struct buf *fragment,
                       struct store_foreign *held, struct ok_error *err)
{
	char before[STORE_FOREIGN_KEY_MAX + 1];
	int rc = store_foreign_find(d->store, f->issuer_did, f->credential_key, held, err);

	if (rc != OK_ENOTFOUND)
		return rc;
	ok_error_clear(err);
	result_key(NULL, r, fragment, before);
	rc = store_foreign_find(d->store, f->issuer_did, before, held, err);
	if (rc == 0 && strcmp(held->learner_id, f->learner_id) != 0)
		return ok_fail(err, OK_ENOTFOUND, "not held for this learner");
	return rc;
}

static int keep_all(struct depository *d, const char *learner_id, const char *actor,
                    const struct store_emrex_ncp *ncp, const struct elmo_document *doc,
                    const struct fragments *frags, const struct elmo_signature_info *sig,
                    struct elmo_import_result *out, struct ok_error *err)
{
	struct store_foreign f, held;
	char detail[256];
	struct audit_txn txn;
	size_t i, j, k = 0;
	int64_t now = ok_now_ms();
	int rc;

	store_foreign_init(&f);
	store_foreign_init(&held);
	if ((rc = audit_txn_begin(d, &txn, err)))
		goto out;
	if ((rc = depository_keys_refresh(d, err)))
		goto end;
	for (i = 0; !rc && i < doc->count; i++) {
		const struct elmo_report *r = &doc->reports[i];

		for (j = 0; !rc && j < r->count; j++, k++) {
			const struct elmo_result *x = &r->results[j];

			buf_reset(&f.credential);
			depository_new_id(f.id);
			ok_copy_bounded(f.learner_id, learner_id, sizeof(f.learner_id));
			snprintf(f.issuer_did, sizeof(f.issuer_did), "emrex:%s", ncp->acronym);
			result_key(learner_id, r, &frags->items[k], f.credential_key);
			snprintf(f.depository, sizeof(f.depository), "EMREX %s", ncp->acronym);
			OK_COPY_ARRAY(f.country, ncp->country);
			copy_text(f.institution, sizeof(f.institution), r->title);
			OK_COPY_ARRAY(f.institution_country, r->country);
			copy_text(f.kind, sizeof(f.kind), kind_of(x->type));
			OK_COPY_ARRAY(f.title, x->title);
			OK_COPY_ARRAY(f.awarded_on, x->date);
			f.credits_centi = x->credits_centi;
			copy_text(f.grade, sizeof(f.grade), x->grade);
			ok_copy_bounded(f.format, sig->sha1 ? "elmo-sha1" : "elmo",
			                sizeof(f.format));
			OK_COPY_ARRAY(f.status, "active");
			ok_copy_bounded(f.imported_by, actor, sizeof(f.imported_by));
			f.imported_ms = f.checked_ms = now;
			f.key_id = d->keys.key_id;
			if ((rc = seal_field(&d->keys, "foreign_credential", f.id,
			                     frags->items[k].data, frags->items[k].len,
			                     &f.credential, err)))
				break;
			rc = result_held(d, &f, r, &frags->items[k], &held, err);
			if (rc == 0) {
				out->duplicates++;
			} else if (rc == OK_ENOTFOUND) {
				ok_error_clear(err);
				rc = store_foreign_put(d->store, &f, err);
				out->added += !rc;
			}
		}
	}
	if (!rc) {
		snprintf(detail, sizeof(detail), "elmo from %s: %zu results, %zu new, %s",
		         ncp->acronym, out->results, out->added, sig->method);
		rc = audit_txn_event(&txn, actor, "emrex.import", learner_id, ELMO_PURPOSE, detail,
		                     err);
	}
end:
	rc = audit_txn_end(&txn, rc, err);
out:
	store_foreign_release(&f);
	store_foreign_release(&held);
	return rc;
}

int registry_elmo_import(struct depository *d, const char *data, size_t len, size_t xml_max,
                         const char *ncp_name, const char *learner_id, const char *actor,
                         registry_elmo_gate_fn gate, void *gate_ctx, struct elmo_import_result *out,
                         struct ok_error *err)
{
	struct store_emrex_ncp *ncp = calloc(1, sizeof(*ncp));
	struct elmo_import_options o = {0};
	struct elmo_signature_info sig;
	struct fragments frags = {0};
	struct elmo_document doc;
	struct store_learner l;
	char detail[200];
	size_t i;
	int rc;

	memset(out, 0, sizeof(*out));
	elmo_document_init(&doc);
	store_learner_init(&l);
	if (!ncp) {
		rc = ok_fail(err, OK_ENOMEM, "out of memory");
		goto out;
	}
	rc = store_learner_get(d->store, learner_id, &l, err);
	if (rc == OK_ENOTFOUND)
		ok_fail_field(err, rc, "learner_id", "no learner with that id");
	if (rc)
		goto out;
	rc = store_emrex_get(d->store, ncp_name, ncp, err);
	if (rc == OK_ENOTFOUND)
		rc = ok_fail_field(err, rc, "ncp",
		                   "no contact point with that acronym in the EMREX registry "
		                   "(oorkonde emrex registry import)");
	if (rc)
		goto refuse;
	OK_COPY_ARRAY(out->ncp, ncp->acronym);
	OK_COPY_ARRAY(out->country, ncp->country);
	o.cert_pem = ncp->cert;
	o.cert_len = strlen(ncp->cert);
	o.accept_sha1 = ncp->accept_sha1 != 0;
	o.xml_max = xml_max;
	rc = elmo_import(data, len, &o, &doc, &sig, keep_fragment, &frags, err);
	if (rc == OK_ENOMEM || rc == OK_ETOOBIG) {
		if (!err->message[0])
			ok_fail_field(err, rc, "result", "a result is larger than 1 MiB");
	}
	if (rc)
		goto refuse;
	out->sha1 = sig.sha1;
	OK_COPY_ARRAY(out->method, sig.method);
	for (i = 0; i < doc.count; i++)
		out->results += doc.reports[i].count;
	if (out->results != frags.count) {
		rc = ok_fail(err, OK_EINTERNAL, "results and their XML do not pair up");
		goto out;
	}
	if ((rc = check_identity(d, learner_id, actor, &doc, err)))
		goto refuse;
	if (gate && (rc = gate(gate_ctx, err)))
		goto out;
	rc = keep_all(d, learner_id, actor, ncp, &doc, &frags, &sig, out, err);
	if (!rc || rc != OK_ECONFLICT)
		goto out;
refuse:
	if (rc == OK_EINVALID || rc == OK_EINPUT || rc == OK_ETOOBIG || rc == OK_ENOTFOUND ||
	    rc == OK_ECONFLICT) {
		/* The attempt is on record (best effort: the refusal stands anyway). */
		snprintf(detail, sizeof(detail), "refused (%s) from %.64s",
		         err->field[0] ? err->field : "elmo", ncp_name);
		audit_record(d, actor, "emrex.refuse", learner_id, ELMO_PURPOSE, detail, NULL);
	}
out:
	fragments_release(&frags);
	elmo_document_release(&doc);
	store_learner_release(&l);
	free(ncp);
	return rc;
}
