/* The local trust list (see trust.h). */
#include "registry/trust.h"
#include "core/format.h"
#include "audit/txn.h"

#include "io/utf8.h"
#include "keys/keyfile.h"
#include "registry/credential.h"
#include "registry/institution.h"
#include "registry/verify.h"
#include "remote/http_client.h"
#include "vc/did.h"
#include "vc/jsonld.h"
#include "vc/proof.h"
#include "core/clock.h"

#include <sodium.h>
#include <time.h>
#include <unistd.h>

#include <stdio.h>
#include <string.h>

/* A DID: "did:", a lower-case method name, ':', then a method-specific id of URL-safe text. */
static bool did_valid(const char *did)
{
	const char *p;
	size_t n = strlen(did);

	if (n < 8 || n > 256 || strncmp(did, "did:", 4) != 0)
		return false;
	for (p = did + 4; *p && *p != ':'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9')))
			return false;
	if (*p != ':' || p == did + 4 || !p[1])
		return false;
	for (p++; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || strchr(".-_:%", *p)))
			return false;
	return true;
}

int registry_trust_add(struct depository *d, const char *did, const char *name, const char *country,
                       struct ok_error *err)
{
	struct store_trusted_issuer t;
	struct audit_txn txn;
	int rc;

	if (!did || !did_valid(did))
		return ok_fail_field(
		        err, OK_EINPUT, "did",
		        "not a DID (e.g. did:web:diploma.example.nl or did:key:z6Mk…)");
	if (!name || !name[0] || strlen(name) > 200 || !utf8_valid(name, strlen(name)))
		return ok_fail_field(err, OK_EINPUT, "name", "name must be 1-200 characters");
	if (!country || !registry_country_valid(country))
		return ok_fail_field(err, OK_EINPUT, "country",
		                     "country must be an ISO 3166-1 alpha-2 code such as NO");
	memset(&t, 0, sizeof(t));
	if (ok_format(t.did, sizeof(t.did), "%s", did))
		return ok_fail_field(err, OK_EINPUT, "did", "the DID is too long");
	if (ok_format(t.name, sizeof(t.name), "%s", name) ||
	    ok_format(t.country, sizeof(t.country), "%s", country))
		return ok_fail_field(err, OK_EINPUT, "name", "name must be 1-200 characters");
	OK_COPY_ARRAY(t.source, "local");
	OK_COPY_ARRAY(t.status, "active");
	t.since_ms = ok_now_ms();
	if ((rc = audit_txn_begin(d, &txn, err)))
		return rc;
	rc = store_trust_put(d->store, &t, err);
	if (!rc)
		rc = audit_txn_event(&txn, AUDIT_OPERATOR, "trust.add", did, "administration",
		                     country, err);
	return audit_txn_end(&txn, rc, err);
}

int registry_trust_remove(struct depository *d, const char *did, struct ok_error *err)
{
	struct audit_txn txn;
	int rc;

	if ((rc = audit_txn_begin(d, &txn, err)))
		return rc;
	rc = store_trust_remove(d->store, did, err);
	if (rc == OK_ENOTFOUND)
		ok_fail_field(err, rc, "did", "%.256s is not on the trust list", did);
	if (!rc)
		rc = audit_txn_event(&txn, AUDIT_OPERATOR, "trust.remove", did, "administration",
		                     "", err);
	return audit_txn_end(&txn, rc, err);
}

int registry_trust_list(struct depository *d, store_trust_fn fn, void *ctx, struct ok_error *err)
{
	return store_trust_list(d->store, fn, ctx, err);
}

/* Checks one member of a trust list; fills t (source "network"). */
static int read_member(const json_t *m, size_t i, struct store_trusted_issuer *t,
                       struct ok_error *err)
{
	const char *did = json_string_value(json_object_get(m, "id"));
	const char *name = json_string_value(json_object_get(m, "name"));
	const char *country = json_string_value(json_object_get(m, "country"));
	const char *status = json_string_value(json_object_get(m, "status"));

	if (!json_is_object(m) || !did || !did_valid(did))
		return ok_fail_field(err, OK_EINPUT, "members", "member %zu: id must be a DID", i);
	if (!name || !name[0] || strlen(name) > 200 || !utf8_valid(name, strlen(name)))
		return ok_fail_field(err, OK_EINPUT, "members",
		                     "member %zu: name must be 1-200 characters", i);
	if (!country || !registry_country_valid(country))
		return ok_fail_field(err, OK_EINPUT, "members",
		                     "member %zu: country must be an ISO 3166-1 alpha-2 code", i);
	if (status && strcmp(status, "active") != 0 && strcmp(status, "suspended") != 0)
		return ok_fail_field(err, OK_EINPUT, "members",
		                     "member %zu: status must be active or suspended", i);
	memset(t, 0, sizeof(*t));
	if (ok_format(t->did, sizeof(t->did), "%s", did) ||
	    ok_format(t->name, sizeof(t->name), "%s", name) ||
	    ok_format(t->country, sizeof(t->country), "%s", country) ||
	    ok_format(t->status, sizeof(t->status), "%s", status ? status : "active"))
		return ok_fail_field(err, OK_EINPUT, "members", "member %zu: a field is too long",
		                     i);
	OK_COPY_ARRAY(t->source, "network");
	t->since_ms = ok_now_ms();
	return 0;
}

/* The members as the list states them: the four members read_member checked, nothing else, so
 * that every term of the list is one its context defines. New reference, NULL when out of
 * memory. */
static json_t *listed_members(const json_t *members)
{
	json_t *list = json_array(), *m;
	size_t i;

	json_array_foreach(members, i, m)
	{
		json_t *s = json_object_get(m, "status");
		if (json_array_append_new(
		            list, json_pack("{s:O, s:O, s:O, s:s}", "id", json_object_get(m, "id"),
		                            "name", json_object_get(m, "name"), "country",
		                            json_object_get(m, "country"), "status",
		                            json_is_string(s) ? json_string_value(s) : "active"))) {
			json_decref(list);
			return NULL;
		}
	}
	return list;
}

int registry_trust_publish(const unsigned char seed[32], const json_t *members, json_t **out,
                           struct ok_error *err)
{
	struct store_trusted_issuer t;
	struct vc_proof_options opt = {0};
	unsigned char pk[32], sk[64], uuid[16];
	char did[VC_DID_MAX], vm[VC_DID_MAX], now[32], id[64];
	time_t tt = time(NULL);
	struct tm tm;
	json_t *vc;
	size_t i;
	int rc;

	*out = NULL;
	if (!json_is_array(members) || json_array_size(members) == 0)
		return ok_fail_field(err, OK_EINPUT, "members",
		                     "members must be a non-empty JSON array of depositories");
	for (i = 0; i < json_array_size(members); i++)
		if ((rc = read_member(json_array_get(members, i), i, &t, err)))
			return rc;
	crypto_sign_seed_keypair(pk, sk, seed);
	if ((rc = vc_did_key(pk, did, err)) || (rc = vc_did_key_vm(pk, vm, err)))
		goto out;
	gmtime_r(&tt, &tm);
	strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", &tm);
	randombytes_buf(uuid, sizeof(uuid));
	memcpy(id, "urn:uuid:", 10);
	sodium_bin2hex(id + 9, sizeof(id) - 9, uuid, sizeof(uuid));
	/* oorkonde's own context defines the list's types and terms (vc/jsonld.h). */
	vc = json_pack("{s:[s, s], s:s, s:[s, s], s:s, s:s, s:{s:s, s:o}}", "@context",
	               CREDENTIAL_CONTEXT_V2, VC_CONTEXT_OORKONDE_V1, "id", id, "type",
	               "VerifiableCredential", "TrustListCredential", "issuer", did, "validFrom",
	               now, "credentialSubject", "type", "TrustList", "members",
	               listed_members(members));
	if (!vc) {
		rc = ok_fail(err, OK_ENOMEM, "out of memory");
		goto out;
	}
	opt.verification_method = vm;
	opt.created = now;
	rc = vc_proof_create(vc, &opt, sk, out, err);
	json_decref(vc);
out:
	sodium_memzero(sk, sizeof(sk));
	return rc;
}

int registry_trust_publish_file(const char *key_path, const char *members_path, json_t **out,
                                char network_did[VC_DID_MAX], struct ok_error *err)
{
	unsigned char seed[32], pk[32], sk[64];
	json_error_t jerr;
	json_t *members;
	uint32_t key_id;
	int rc;

	*out = NULL;
	network_did[0] = '\0';
	if (access(key_path, F_OK) != 0 && (rc = keyfile_create(key_path, err)))
		return rc;
	if ((rc = keyfile_read(key_path, &key_id, seed, err)))
		return rc;
	members = json_load_file(members_path, JSON_REJECT_DUPLICATES, &jerr);
	if (!members) {
		sodium_memzero(seed, sizeof(seed));
		rc = ok_fail(err, OK_EINPUT, "%s", jerr.text);
		ok_error_locate(err, members_path, jerr.line > 0 ? (size_t)jerr.line : 0);
		return rc;
	}
	rc = registry_trust_publish(seed, members, out, err);
	crypto_sign_seed_keypair(pk, sk, seed);
	sodium_memzero(seed, sizeof(seed));
	sodium_memzero(sk, sizeof(sk));
	json_decref(members);
	if (rc) {
		ok_error_locate(err, members_path, 0);
		return rc;
	}
	/* Only said to the operator: the list is written whether or not this works. */
	if (vc_did_key(pk, network_did, NULL) != 0)
		network_did[0] = '\0';
	return 0;
}

int registry_trust_fetch(const char *url, struct buf *out, struct ok_error *err)
{
	struct remote_http_response res;

	return remote_http_get(url, "application/vc, application/json", 10000, out, &res, err);
}

int registry_trust_import(struct depository *d, const char *data, size_t len,
                          const char *network_did, size_t *imported, struct ok_error *err)
{
	/* The members are read from the credential (r.credential). */
	struct verify_options o = {.checks = VERIFY_PROOF | VERIFY_VALIDITY,
	                           .want_credential = true};
	struct store_trusted_issuer t, existing;
	struct audit_txn txn;
	struct verify_result r;
	const json_t *members;
	char detail[64];
	size_t i;
	int rc;

	*imported = 0;
	if (!network_did || !network_did[0])
		return ok_fail_field(err, OK_EINPUT, "network",
		                     "no network key is configured: give --network DID or set "
		                     "network_did in config.json");
	/* Verified on its own, as a document of the network, not of this depository. A list
	 * published by a network operator not yet on the version with oorkonde's context is
	 * expected from the network's DID (legacy_own_issuer; the signer is checked below too). */
	o.legacy_own_issuer = network_did;
	if ((rc = registry_verify(NULL, data, len, &o, &r, err)))
		goto out;
	if (!r.is_credential) {
		rc = ok_fail(err, OK_EINVALID, "the trust list is refused: %s", r.not_credential);
		goto out;
	}
	if (!r.verified) {
		for (i = 0; i < r.count && r.items[i].passed; i++)
			;
		rc = ok_fail(err, OK_EINVALID, "the trust list is refused: %s",
		             i < r.count ? r.items[i].message : "it does not verify");
		goto out;
	}
	if (strcmp(r.issuer, network_did) != 0) {
		rc = ok_fail(err, OK_EINVALID,
		             "the trust list is refused: it is signed by %s, not by the network %s",
		             r.issuer, network_did);
		goto out;
	}
	members = json_object_get(json_object_get(r.credential, "credentialSubject"), "members");
	if (!json_is_array(members)) {
		rc = ok_fail(err, OK_EINVALID, "the trust list is refused: it lists no members");
		goto out;
	}
	for (i = 0; i < json_array_size(members); i++)
		if ((rc = read_member(json_array_get(members, i), i, &t, err)))
			goto out;
	if ((rc = audit_txn_begin(d, &txn, err)))
		goto out;
	rc = store_trust_remove_source(d->store, "network", err);
	for (i = 0; !rc && i < json_array_size(members); i++) {
		read_member(json_array_get(members, i), i, &t, NULL);
		/* A local decision about a DID wins over the network's. */
		rc = store_trust_get(d->store, t.did, &existing, err);
		if (rc == OK_ENOTFOUND)
			rc = store_trust_put(d->store, &t, err);
		if (!rc)
			(*imported)++;
	}
	if (!rc && ok_format(detail, sizeof(detail), "members=%zu", *imported))
		rc = ok_fail(err, OK_EINTERNAL, "audit detail too long");
	if (!rc)
		rc = audit_txn_event(&txn, AUDIT_OPERATOR, "trust.import", network_did,
		                     "administration", detail, err);
	rc = audit_txn_end(&txn, rc, err);
out:
	verify_result_release(&r);
	return rc;
}
