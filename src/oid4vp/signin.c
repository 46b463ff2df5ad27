/* Wallet sign-in's side of the verifier (see signin.h): its configuration, the PID request,
 * the verification of the PID against the configured PID issuers only, and the result taken
 * once. The portal (portal/wallet_signin.h) turns the identifier into a session. */
#include "oid4vp/signin.h"

#include <openssl/pem.h>
#include <limits.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/log.h"
#include "audit/txn.h"
#include "core/clock.h"
#include "core/format.h"
#include "io/config_file.h"
#include "jose/x509.h"
#include "oid4vp/dcql.h"
#include "oid4vp/internal.h"
#include "privacy/seal.h"
#include "registry/sdjwt_verify.h"
#include "store/verifier.h"

#define ID_CLAIM_MAX 63

/* Configuration */

static bool claim_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > ID_CLAIM_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return false;
	return true;
}

/* Appends the certificates of the PEM file at path (relative to dir) to c->roots: at least one,
 * each one readable. */
static int add_issuer(struct oid4vp_signin *c, const char *dir, const char *name,
                      struct ok_error *err)
{
	struct buf path;
	BIO *bio = NULL;
	X509 *x;
	size_t before = c->roots.len, certs = 0;
	FILE *f;
	int rc = 0;

	buf_init(&path, OK_PATH_MAX);
	if (name[0] == '/' ? buf_addstr(&path, name) || buf_addch(&path, '\0')
	                   : ok_path_join(&path, dir, name)) {
		buf_release(&path);
		return ok_fail_field(err, OK_EINPUT, "pid_issuers",
		                     "config.json: wallet_signin pid_issuers: a path is too long");
	}
	f = fopen(path.data, "rb");
	buf_release(&path);
	if (!f)
		return ok_fail_field(err, OK_EINPUT, "pid_issuers",
		                     "config.json: wallet_signin pid_issuers: %s cannot be read",
		                     name);
	for (;;) {
		char chunk[4096];
		size_t n = fread(chunk, 1, sizeof(chunk), f);

		if (n && buf_add(&c->roots, chunk, n)) {
			rc = ok_fail_field(err, OK_EINPUT, "pid_issuers",
			                   "config.json: wallet_signin pid_issuers: the files are "
			                   "larger than %zu bytes together",
			                   OID4VP_PID_ROOTS_MAX);
			break;
		}
		if (n < sizeof(chunk))
			break;
	}
	fclose(f);
	if (rc)
		return rc;
	if (buf_addch(&c->roots, '\n'))
		return ok_fail(err, OK_ETOOBIG, "the PID issuers' files are too large");
	if (c->roots.len - before <= (size_t)INT32_MAX)
		bio = BIO_new_mem_buf(c->roots.data + before, (int)(c->roots.len - before));
	while (bio && (x = PEM_read_bio_X509(bio, NULL, NULL, NULL))) {
		certs++;
		X509_free(x);
	}
	BIO_free(bio);
	c->n_roots += certs;
	/* The chain check reads at most JOSE_X509_CHAIN_MAX trusted certificates: more would make
	 * every sign-in fail later, so the server refuses to start (review VP-8). */
	if (c->n_roots > JOSE_X509_CHAIN_MAX)
		return ok_fail_field(err, OK_EINPUT, "pid_issuers",
		                     "config.json: wallet_signin pid_issuers hold more than %d "
		                     "certificates together",
		                     JOSE_X509_CHAIN_MAX);
	if (!certs)
		return ok_fail_field(err, OK_EINPUT, "pid_issuers",
		                     "config.json: wallet_signin pid_issuers: %s holds no PEM "
		                     "certificate",
		                     name);
	return 0;
}

int oid4vp_signin_parse(struct oid4vp_signin *c, const json_t *cfg, const char *dir,
                        struct ok_error *err)
{
	static const char *const known[] = {
	        "pid_issuers", "pid_iss",      "id_claim",     "id_scheme",
	        "id_pattern",  "id_countries", "cross_device", "accept_unchecked_status",
	        NULL};
	const json_t *iss = json_object_get(cfg, "pid_iss");
	const json_t *cross = json_object_get(cfg, "cross_device");
	const json_t *issuers = json_object_get(cfg, "pid_issuers");
	const json_t *claim = json_object_get(cfg, "id_claim");
	const json_t *scheme = json_object_get(cfg, "id_scheme");
	const json_t *countries = json_object_get(cfg, "id_countries");
	const json_t *unchecked = json_object_get(cfg, "accept_unchecked_status");
	const char *key;
	const json_t *v;
	char list[64] = "";
	size_t i;
	int rc;

	memset(c, 0, sizeof(*c));
	buf_init(&c->roots, OID4VP_PID_ROOTS_MAX);
	if (!cfg || json_is_null(cfg))
		return 0;
	if (!json_is_object(cfg))
		return ok_fail_field(err, OK_EINPUT, "wallet_signin",
		                     "config.json: wallet_signin must be an object");
	json_object_foreach((json_t *)cfg, key, v)
	{
		for (i = 0; known[i] && strcmp(known[i], key) != 0; i++)
			;
		if (!known[i])
			return ok_fail_field(err, OK_EINPUT, "wallet_signin",
			                     "config.json: wallet_signin has an unknown member");
	}
	if (!json_is_array(issuers) || json_array_size(issuers) == 0 ||
	    json_array_size(issuers) > OID4VP_PID_ISSUERS_MAX)
		return ok_fail_field(err, OK_EINPUT, "pid_issuers",
		                     "config.json: wallet_signin pid_issuers must list 1 to %d PEM "
		                     "files of the PID issuers' CA certificates",
		                     OID4VP_PID_ISSUERS_MAX);
	json_array_foreach(issuers, i, v)
	{
		if (!json_is_string(v) || json_string_length(v) == 0 ||
		    strlen(json_string_value(v)) != json_string_length(v))
			return ok_fail_field(err, OK_EINPUT, "pid_issuers",
			                     "config.json: wallet_signin pid_issuers must be file "
			                     "names");
		if (dir && (rc = add_issuer(c, dir, json_string_value(v), err)))
			return rc;
	}
	if (!json_is_array(iss) || json_array_size(iss) == 0 ||
	    json_array_size(iss) > OID4VP_PID_ISSUERS_MAX)
		return ok_fail_field(
		        err, OK_EINPUT, "pid_iss",
		        "config.json: wallet_signin pid_iss must list 1 to %d PID "
		        "providers' iss (https URLs, exactly as their PIDs state them)",
		        OID4VP_PID_ISSUERS_MAX);
	json_array_foreach(iss, i, v)
	{
		const char *u = json_string_value(v);

		if (!u || strncmp(u, "https://", 8) != 0 || strlen(u) <= 8 ||
		    strlen(u) >= OID4VP_PID_ISS_MAX || strlen(u) != json_string_length(v))
			return ok_fail_field(
			        err, OK_EINPUT, "pid_iss",
			        "config.json: wallet_signin pid_iss must be https URLs "
			        "of under %d bytes",
			        OID4VP_PID_ISS_MAX);
		memcpy(c->iss[c->n_iss++], u, strlen(u) + 1);
	}
	if (cross && !json_is_boolean(cross))
		return ok_fail_field(
		        err, OK_EINPUT, "cross_device",
		        "config.json: wallet_signin cross_device must be true or false");
	c->cross_device = json_is_true(cross);
	if (!json_is_string(claim) || !claim_name_ok(json_string_value(claim)))
		return ok_fail_field(err, OK_EINPUT, "id_claim",
		                     "config.json: wallet_signin id_claim must name the PID's "
		                     "national identifier claim (1 to %d of A-Z, a-z, 0-9, '_')",
		                     ID_CLAIM_MAX);
	memcpy(c->scheme.claim, json_string_value(claim), strlen(json_string_value(claim)) + 1);
	if (!json_is_string(scheme))
		return ok_fail_field(err, OK_EINPUT, "id_scheme",
		                     "config.json: wallet_signin id_scheme is required (NL:BSN, "
		                     "eIDAS or CC:NAME)");
	if (countries) {
		size_t n = 0;

		if (!json_is_array(countries) || json_array_size(countries) > 16)
			return ok_fail_field(
			        err, OK_EINPUT, "id_countries",
			        "config.json: wallet_signin id_countries must be a list "
			        "of country codes");
		json_array_foreach(countries, i, v)
		{
			const char *cc = json_string_value(v);

			if (!cc || strlen(cc) != 2)
				return ok_fail_field(err, OK_EINPUT, "id_countries",
				                     "config.json: wallet_signin id_countries must "
				                     "be a list of country codes");
			if (n)
				list[n++] = ',';
			memcpy(list + n, cc, 2);
			n += 2;
			list[n] = '\0';
		}
	}
	if (json_object_get(cfg, "id_pattern") &&
	    !json_is_string(json_object_get(cfg, "id_pattern")))
		return ok_fail_field(err, OK_EINPUT, "id_pattern",
		                     "config.json: wallet_signin id_pattern must be text");
	if ((rc = oidc_scheme_parse(&c->scheme, json_string_value(scheme),
	                            json_string_value(json_object_get(cfg, "id_pattern")),
	                            countries ? list : NULL, err)))
		return rc;
	if (strlen(json_string_value(scheme)) < sizeof(c->scheme.id_scheme))
		memcpy(c->scheme.id_scheme, json_string_value(scheme),
		       strlen(json_string_value(scheme)) + 1);
	if (unchecked && !json_is_boolean(unchecked))
		return ok_fail_field(err, OK_EINPUT, "accept_unchecked_status",
		                     "config.json: wallet_signin accept_unchecked_status must be "
		                     "true or false");
	c->accept_unchecked_status = json_is_true(unchecked);
	c->on = true;
	return 0;
}

int oid4vp_signin_load(struct oid4vp_signin *c, const char *dir, struct ok_error *err)
{
	json_t *config;
	int rc;

	memset(c, 0, sizeof(*c));
	buf_init(&c->roots, OID4VP_PID_ROOTS_MAX);
	if ((rc = io_config_load(dir, &config, err)))
		return rc;
	rc = oid4vp_signin_parse(c, json_object_get(config, "wallet_signin"), dir, err);
	json_decref(config);
	return rc;
}

void oid4vp_signin_release(struct oid4vp_signin *c)
{
	buf_release(&c->roots);
	if (c->scheme.has_pattern)
		regfree(&c->scheme.pattern);
	memset(c, 0, sizeof(*c));
}

/* The request */

int oid4vp_signin_start(struct depository *d, const struct oid4vp_signin *c, bool same_device,
                        const struct oid4vp_signin_bound *from, struct oid4vp_created *out,
                        struct ok_error *err)
{
	char name[OID4VP_CLIENT_NAME_MAX], address[2 * SEAL_DIGEST_BYTES + 1],
	        network[2 * SEAL_DIGEST_BYTES + 1];
	struct oid4vp_open_tags tags = {address, network, 0, 0, false};
	json_t *dcql;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!c || !c->on)
		return ok_fail(err, OK_ENOTFOUND, "signing in with a wallet is off");
	/* Only the identifier and the country that issued the PID are asked for: nothing else
	 * of the PID is needed to find the learner's records. */
	if (!same_device && !c->cross_device)
		return ok_fail(err, OK_ENOTFOUND,
		               "signing in with a wallet on another device is off");
	dcql = json_pack("{s:[{s:s, s:s, s:{s:[s]}, s:[{s:[s]}, {s:[s]}]}]}", "credentials", "id",
	                 OID4VP_PID_QUERY, "format", "dc+sd-jwt", "meta", "vct_values",
	                 OID4VP_PID_VCT, "claims", "path", c->scheme.claim, "path",
	                 "issuing_country");
	if (!dcql)
		return ok_fail(err, OK_ENOMEM, "out of memory");
	/* The address and its network, keyed under the depository's data key as the shared rate
	 * limits' are: the servers on one store count their open sign-ins together, and the row
	 * names neither. */
	oid4vp_client_tag(d, "oorkonde wallet sign-in from", from ? from->address : NULL, address);
	oid4vp_client_tag(d, "oorkonde wallet sign-in from network", from ? from->network : NULL,
	                  network);
	if (from) {
		tags.address_max = from->address_max;
		tags.network_max = from->network_max;
	}
	if (ok_format(name, sizeof(name), "%s (sign in to your records)",
	              d->host[0] ? d->host : "the depository"))
		rc = ok_fail(err, OK_ETOOBIG, "the host name is too long");
	else
		rc = oid4vp_request_make(d, dcql, name, NULL, false, same_device, true, false,
		                         &tags, out, err);
	json_decref(dcql);
	return rc;
}

/* Verifying the PID */

__attribute__((format(printf, 4, 5))) static void refuse(bool *ok, char *why, size_t cap,
                                                         const char *fmt, ...)
{
	va_list ap;

	*ok = false;
	if (why[0])
		return;
	va_start(ap, fmt);
	vsnprintf(why, cap, fmt, ap);
	va_end(ap);
}

static bool iss_listed(const struct oid4vp_signin *c, const char *iss)
{
	for (size_t i = 0; iss && i < c->n_iss; i++)
		if (strcmp(c->iss[i], iss) == 0)
			return true;
	return false;
}

/*
 * The PID's signing certificate (x5c[0] of the SD-JWT's header, whose chain the verification
 * accepted) must be one for signing attestations: no CA, digitalSignature among its key usages
 * when it states them, and no TLS certificate (extended key usage serverAuth or clientAuth).
 */
static int leaf_check(const char *s, size_t n, bool *ok, char *why, size_t why_cap,
                      struct ok_error *err)
{
	const char *dot = memchr(s, '.', n);
	unsigned char *hdr = NULL, *der = NULL;
	size_t hdr_len = 0, der_len = 0, cap;
	const unsigned char *p;
	json_t *header = NULL;
	json_error_t jerr;
	const char *b64;
	X509 *x = NULL;
	uint32_t eku;
	int rc = 0;

	cap = dot ? (size_t)(dot - s) : 0;
	if (!dot || !(hdr = malloc(cap + 1)) ||
	    sodium_base642bin(hdr, cap, s, cap, NULL, &hdr_len, NULL,
	                      sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
	    !(header = json_loadb((const char *)hdr, hdr_len, JSON_REJECT_DUPLICATES, &jerr)) ||
	    !(b64 = json_string_value(json_array_get(json_object_get(header, "x5c"), 0))) ||
	    !(der = malloc(strlen(b64) + 1)) ||
	    sodium_base642bin(der, strlen(b64), b64, strlen(b64), NULL, &der_len, NULL,
	                      sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    der_len > LONG_MAX || !(p = der, x = d2i_X509(NULL, &p, (long)der_len))) {
		refuse(ok, why, why_cap, "the PID's signing certificate cannot be read");
		goto out;
	}
	eku = X509_get_extended_key_usage(x);
	if (X509_check_ca(x) != 0)
		refuse(ok, why, why_cap,
		       "the PID is signed by a CA certificate, not a PID provider's");
	else if ((X509_get_extension_flags(x) & EXFLAG_KUSAGE) &&
	         !(X509_get_key_usage(x) & KU_DIGITAL_SIGNATURE))
		refuse(ok, why, why_cap,
		       "the PID's signing certificate does not allow digital signatures");
	else if ((X509_get_extension_flags(x) & EXFLAG_XKUSAGE) &&
	         (eku & (XKU_SSL_SERVER | XKU_SSL_CLIENT)))
		refuse(ok, why, why_cap,
		       "the PID's signing certificate is a TLS certificate (extended key usage)");
out:
	X509_free(x);
	json_decref(header);
	free(hdr);
	free(der);
	(void)err;
	return rc;
}

int oid4vp_signin_answer(struct depository *d, const struct oid4vp_signin *c, const json_t *cq,
                         const json_t *list, const char *nonce, const char *client_id, json_t **who,
                         bool *ok, char *why, size_t why_cap, struct ok_error *err)
{
	struct verify_options o = {
	        .checks = VERIFY_PROOF | VERIFY_VALIDITY | VERIFY_ISSUER,
	        .kb_nonce = nonce,
	        .kb_aud = client_id,
	        .sdjwt_roots = c->roots.data,
	        .sdjwt_roots_len = c->roots.len,
	};
	const json_t *p = json_array_get(list, 0), *value;
	const char *s = json_string_value(p);
	size_t n = s ? json_string_length(p) : 0;
	struct oidc_identity ident;
	struct verify_result r;
	struct ok_error e;
	int rc = 0;

	memset(&r, 0, sizeof(r));
	memset(&ident, 0, sizeof(ident));
	ok_error_clear(&e);
	if (json_array_size(list) != 1 || !s) {
		refuse(ok, why, why_cap, "the wallet must send exactly one PID");
		return 0;
	}
	if (!c->roots.len || !registry_is_sdjwt(s, n)) {
		refuse(ok, why, why_cap, "the PID is not an SD-JWT VC (dc+sd-jwt)");
		return 0;
	}
	if ((rc = registry_verify_sdjwt(d, s, n, &o, &r, err)))
		goto out;
	if (!r.is_credential || !r.verified) {
		refuse(ok, why, why_cap, "the PID is not valid: %s", oid4vp_first_failure(&r));
		goto out;
	}
	if (oid4vp_dcql_match(cq, r.credential, &e)) {
		refuse(ok, why, why_cap, "%s", e.message);
		goto out;
	}
	if (!iss_listed(c, json_string_value(json_object_get(r.credential, "iss")))) {
		refuse(ok, why, why_cap,
		       "the PID's issuer (iss) is not one of the configured PID providers "
		       "(wallet_signin pid_iss)");
		goto out;
	}
	if ((rc = leaf_check(s, n, ok, why, why_cap, err)) || !*ok)
		goto out;
	/* A PID without an end (or one a holder could leave out, review VP-7) is no login. */
	if (!json_is_integer(json_object_get(r.credential, "exp"))) {
		refuse(ok, why, why_cap, "the PID has no expiry date (exp)");
		goto out;
	}
	/* Another issuer's status list is never fetched (nothing an answer holds makes us
	 * fetch): a PID that has one is refused, unless the operator accepts that. */
	if (json_object_get(r.credential, "status") && !c->accept_unchecked_status) {
		refuse(ok, why, why_cap,
		       "the PID names a status list, which this depository does not fetch "
		       "(config wallet_signin accept_unchecked_status)");
		goto out;
	}
	value = json_object_get(r.credential, c->scheme.claim);
	if (!json_is_string(value) || oidc_scheme_read(&c->scheme, json_string_value(value),
	                                               json_string_length(value), &ident, &e)) {
		refuse(ok, why, why_cap, "the PID's identifier (claim %s) is not of the scheme %s",
		       c->scheme.claim, c->scheme.id_scheme);
		goto out;
	}
	/* The provider of one country speaks for that country's identifiers only. */
	value = json_object_get(r.credential, "issuing_country");
	if (!json_is_string(value) || strcmp(json_string_value(value), ident.country) != 0) {
		refuse(ok, why, why_cap,
		       "the PID's issuing_country is not the country of its identifier (claim %s)",
		       c->scheme.claim);
		goto out;
	}
	json_decref(*who);
	*who = json_pack("{s:s, s:s}", "national_id", ident.national_id, "country", ident.country);
	if (!*who)
		rc = ok_fail(err, OK_ENOMEM, "out of memory");
out:
	sodium_memzero(&ident, sizeof(ident));
	verify_result_release(&r);
	return rc;
}

/* Taking the result */

static int find(struct depository *d, const char *view, struct store_vp_request **row,
                json_t **spec, struct ok_error *err)
{
	uint8_t hash[STORE_VP_HASH_BYTES];
	json_error_t jerr;
	int rc;

	*row = NULL;
	*spec = NULL;
	if (!view || strlen(view) >= OID4VP_TOKEN_MAX)
		return ok_fail(err, OK_ENOTFOUND, "no such sign-in");
	crypto_hash_sha256(hash, (const unsigned char *)view, strlen(view));
	if (!(*row = oid4vp_row_new()))
		return ok_fail(err, OK_ENOMEM, "out of memory");
	rc = store_vp_find_view(d->store, hash, *row, err);
	if (rc == OK_ENOTFOUND)
		rc = ok_fail(err, OK_ENOTFOUND, "no such sign-in");
	if (!rc && !(*spec = json_loads((*row)->spec, JSON_REJECT_DUPLICATES, &jerr)))
		rc = ok_fail(err, OK_EINTERNAL, "a stored request does not read back");
	if (!rc && !json_is_true(json_object_get(*spec, "signin")))
		rc = ok_fail(err, OK_ENOTFOUND, "no such sign-in");
	if (rc) {
		json_decref(*spec);
		*spec = NULL;
		oid4vp_row_free(*row);
		*row = NULL;
	}
	return rc;
}

int oid4vp_signin_state(struct depository *d, const char *view, const char **status,
                        bool *same_device, char *link, size_t link_cap, struct ok_error *err)
{
	struct store_vp_request *row;
	json_t *spec;
	int rc;

	if ((rc = find(d, view, &row, &spec, err)))
		return rc;
	*same_device = json_is_true(json_object_get(spec, "same_device"));
	*status = row->answered_ms                 ? "answered"
	          : ok_now_ms() >= row->expires_ms ? "expired"
	                                           : "pending";
	rc = oid4vp_link(d, row->id, json_string_value(json_object_get(spec, "client_id")), link,
	                 link_cap, err);
	json_decref(spec);
	oid4vp_row_free(row);
	return rc;
}

int oid4vp_signin_take(struct depository *d, const char *view, const char *code,
                       struct oidc_identity *who, struct ok_error *err)
{
	struct store_vp_request *row;
	json_t *spec, *result = NULL;
	const json_t *si;
	char actor[AUDIT_ACTOR_SIZE];
	int64_t now = ok_now_ms();
	struct audit_txn t;
	json_error_t jerr;
	struct buf plain;
	int rc;

	memset(who, 0, sizeof(*who));
	if ((rc = find(d, view, &row, &spec, err)))
		return rc;
	buf_init(&plain, STORE_VP_RESULT_MAX);
	if (!row->answered_ms) {
		rc = now >= row->expires_ms
		             ? ok_fail(err, OK_EGONE, "the sign-in has expired: start again")
		             : ok_fail(err, OK_ECONFLICT, "the wallet has not answered yet");
		goto out;
	}
	if (row->key_id != d->keys.key_id) {
		rc = ok_fail(err, OK_EGONE, "the data key was rotated since: start again");
		goto out;
	}
	if ((rc = seal_open(&d->keys, OID4VP_SEAL_RESULT, row->id,
	                    (const unsigned char *)row->result.data, row->result.len, &plain, err)))
		goto out;
	if (!(result = json_loadb(plain.data, plain.len, JSON_REJECT_DUPLICATES, &jerr))) {
		rc = ok_fail(err, OK_EINTERNAL, "a stored result does not read back");
		goto out;
	}
	si = json_object_get(result, "signin");
	/* Same device: the response code the wallet handed to the browser it sent back; without
	 * it nothing is taken (the right browser may still come with it). */
	if (json_is_true(json_object_get(spec, "same_device")) && json_is_object(si)) {
		const char *want = json_string_value(json_object_get(si, "code_hash"));
		uint8_t h[crypto_hash_sha256_BYTES];
		char hex[2 * crypto_hash_sha256_BYTES + 1];

		if (code && strlen(code) < OID4VP_TOKEN_MAX) {
			crypto_hash_sha256(h, (const unsigned char *)code, strlen(code));
			sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
		} else {
			hex[0] = '\0';
		}
		if (!want || strlen(want) != sizeof(hex) - 1 || strlen(hex) != sizeof(hex) - 1 ||
		    sodium_memcmp(want, hex, sizeof(hex) - 1) != 0) {
			rc = ok_fail(err, OK_EAUTH,
			             "continue in the browser your wallet opened: this sign-in "
			             "needs the code the wallet gave it");
			goto out;
		}
	}
	/* Used once: the row goes in the statement that finds it still there. */
	if ((rc = audit_txn_begin(d, &t, err)))
		goto out;
	rc = store_vp_take(d->store, row->id, now, err);
	if (rc == OK_ENOTFOUND)
		rc = ok_fail(err, OK_ENOTFOUND, "this sign-in was used already: start again");
	if (!rc) {
		if (ok_format(actor, sizeof(actor), "verifier-request:%s", row->id))
			rc = ok_fail(err, OK_EINTERNAL, "request id too long");
		else
			rc = audit_txn_event(&t, actor, "verifier.result.read", row->id,
			                     "verification", "signin", err);
	}
	if ((rc = audit_txn_end(&t, rc, err)))
		goto out;
	if (!json_is_true(json_object_get(result, "verified")) || !json_is_object(si)) {
		const char *why = json_string_value(json_object_get(result, "reason"));

		rc = ok_fail(err, OK_EINVALID, "%s",
		             why ? why : "the wallet's answer did not verify");
		goto out;
	}
	if (ok_format(who->national_id, sizeof(who->national_id), "%s",
	              json_string_value(json_object_get(si, "national_id"))
	                      ? json_string_value(json_object_get(si, "national_id"))
	                      : "") ||
	    ok_format(who->country, sizeof(who->country), "%s",
	              json_string_value(json_object_get(si, "country"))
	                      ? json_string_value(json_object_get(si, "country"))
	                      : ""))
		rc = ok_fail(err, OK_EINTERNAL, "a stored result does not read back");
out:
	if (plain.data)
		sodium_memzero(plain.data, plain.len);
	buf_release(&plain);
	json_decref(result);
	json_decref(spec);
	oid4vp_row_free(row);
	if (rc)
		sodium_memzero(who, sizeof(*who));
	return rc;
}
