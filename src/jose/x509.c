/* X.509 chains for SD-JWT VC issuers: made, checked and validated with OpenSSL's libcrypto. */
#include "jose/x509.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define HOST_MAX 253

static int fail(struct ok_error *err, int code, const char *field, const char *msg)
{
	return ok_fail_field(err, code, field, "%s", msg);
}

/* Whether host is a plain DNS name (letters, digits, '-', '.'): nothing else goes into an
 * extension's configuration text. */
static int dns_name_ok(const char *host)
{
	size_t i, n = strlen(host);

	if (n == 0 || n > HOST_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (!((host[i] >= 'a' && host[i] <= 'z') || (host[i] >= 'A' && host[i] <= 'Z') ||
		      (host[i] >= '0' && host[i] <= '9') || host[i] == '-' || host[i] == '.'))
			return 0;
	return 1;
}

static int add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	int ok;

	X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	if (!ext)
		return 0;
	ok = X509_add_ext(cert, ext, -1) == 1;
	X509_EXTENSION_free(ext);
	return ok;
}

/* A certificate for key, named cn, valid from now for days, with a random serial. */
static X509 *new_cert(EVP_PKEY *key, const char *cn, int64_t now, int days)
{
	X509 *c = X509_new();
	BIGNUM *serial = BN_new();
	time_t t = (time_t)now;
	int ok;

	ok = c && serial && X509_set_version(c, X509_VERSION_3) == 1 &&
	     BN_rand(serial, 63, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) == 1 &&
	     BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(c)) != NULL &&
	     X509_time_adj_ex(X509_getm_notBefore(c), 0, -300, &t) != NULL &&
	     X509_time_adj_ex(X509_getm_notAfter(c), days, 0, &t) != NULL &&
	     X509_set_pubkey(c, key) == 1 &&
	     X509_NAME_add_entry_by_txt(X509_get_subject_name(c), "CN", MBSTRING_UTF8,
	                                (const unsigned char *)cn, -1, -1, 0) == 1;
	BN_free(serial);
	if (!ok) {
		X509_free(c);
		return NULL;
	}
	return c;
}

static int add_pem(X509 *c, struct buf *out)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data;
	long n;
	int rc = -1;

	if (bio && PEM_write_bio_X509(bio, c) == 1) {
		n = BIO_get_mem_data(bio, &data);
		rc = n > 0 && buf_add(out, data, (size_t)n) == 0 ? 0 : -1;
	}
	BIO_free(bio);
	return rc;
}

int jose_x509_make_chain(const struct jose_signer *leaf, const char *host, const char *name,
                         int64_t now, int days, struct buf *out, struct ok_error *err)
{
	EVP_PKEY *ca_key = NULL;
	X509 *ca = NULL, *cert = NULL;
	char san[HOST_MAX + 8], cn[128];
	size_t start = out->len;
	int rc = 0;

	if (leaf->alg != JOSE_ALG_ES256 || !leaf->ec)
		return fail(err, OK_EINPUT, "key", "the wallet key is not a P-256 key");
	if (!dns_name_ok(host))
		return fail(err, OK_EINPUT, "host", "the host is not a plain DNS name");
	if (days <= 0 || days > 3650)
		return fail(err, OK_EINPUT, "days", "a certificate's lifetime is 1 to 3650 days");
	/* An IPv4 literal (a test host on loopback) is an iPAddress name, anything else a DNS one.
	 */
	snprintf(san, sizeof(san), "%s:%s",
	         strspn(host, "0123456789.") == strlen(host) ? "IP" : "DNS", host);
	snprintf(cn, sizeof(cn), "%.100s", name && *name ? name : host);
	ca_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	ca = ca_key ? new_cert(ca_key, "oorkonde local wallet CA", now, days) : NULL;
	if (!ca || X509_set_issuer_name(ca, X509_get_subject_name(ca)) != 1 ||
	    !add_ext(ca, ca, NID_basic_constraints, "critical,CA:TRUE,pathlen:0") ||
	    !add_ext(ca, ca, NID_key_usage, "critical,keyCertSign,cRLSign") ||
	    !add_ext(ca, ca, NID_subject_key_identifier, "hash") ||
	    X509_sign(ca, ca_key, EVP_sha256()) <= 0) {
		rc = fail(err, OK_ECRYPTO, "chain", "cannot make the local CA certificate");
		goto out;
	}
	cert = new_cert(leaf->ec, cn, now, days);
	if (!cert || X509_set_issuer_name(cert, X509_get_subject_name(ca)) != 1 ||
	    !add_ext(cert, ca, NID_basic_constraints, "critical,CA:FALSE") ||
	    !add_ext(cert, ca, NID_key_usage, "critical,digitalSignature") ||
	    !add_ext(cert, ca, NID_subject_alt_name, san) ||
	    !add_ext(cert, ca, NID_authority_key_identifier, "keyid:always") ||
	    X509_sign(cert, ca_key, EVP_sha256()) <= 0) {
		rc = fail(err, OK_ECRYPTO, "chain", "cannot make the issuer certificate");
		goto out;
	}
	if (add_pem(cert, out) || add_pem(ca, out)) {
		buf_truncate(out, start);
		rc = fail(err, OK_ETOOBIG, "chain", "the chain is too long");
	}
out:
	X509_free(cert);
	X509_free(ca);
	EVP_PKEY_free(ca_key);
	return rc;
}

/* Reads up to JOSE_X509_CHAIN_MAX certificates of a PEM chain into certs; *count their number. */
static int read_chain(const char *pem, size_t n, X509 **certs, size_t *count, struct ok_error *err)
{
	BIO *bio;
	X509 *c;

	*count = 0;
	if (n > (size_t)JOSE_X509_CHAIN_MAX * JOSE_X509_CERT_MAX * 2)
		return fail(err, OK_ETOOBIG, "chain", "the certificate chain is too long");
	bio = BIO_new_mem_buf(pem, (int)n);
	if (!bio)
		return fail(err, OK_ENOMEM, "chain", "out of memory");
	while ((c = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		if (*count == JOSE_X509_CHAIN_MAX) {
			X509_free(c);
			BIO_free(bio);
			return fail(err, OK_ETOOBIG, "chain",
			            "the chain has too many certificates");
		}
		certs[(*count)++] = c;
	}
	BIO_free(bio);
	if (*count == 0)
		return fail(err, OK_EINPUT, "chain", "no PEM certificate in the chain");
	return 0;
}

static void free_chain(X509 **certs, size_t count)
{
	size_t i;

	for (i = 0; i < count; i++)
		X509_free(certs[i]);
}

int jose_x509_chain_check(const char *pem, size_t n, const struct jose_signer *leaf, int64_t now,
                          struct ok_error *err)
{
	X509 *certs[JOSE_X509_CHAIN_MAX];
	time_t t = (time_t)now;
	size_t count, i;
	int rc;

	rc = read_chain(pem, n, certs, &count, err);
	if (rc)
		return rc;
	if (leaf->alg != JOSE_ALG_ES256 || !leaf->ec ||
	    EVP_PKEY_eq(X509_get0_pubkey(certs[0]), leaf->ec) != 1) {
		rc = fail(err, OK_EINVALID, "key",
		          "the key does not match the chain's first certificate");
		goto out;
	}
	for (i = 0; i < count; i++) {
		if (X509_cmp_time(X509_get0_notBefore(certs[i]), &t) > 0) {
			rc = ok_fail_field(err, OK_EINVALID, "chain",
			                   "certificate %zu of the chain is not valid yet", i + 1);
			goto out;
		}
		if (X509_cmp_time(X509_get0_notAfter(certs[i]), &t) < 0) {
			rc = ok_fail_field(err, OK_EINVALID, "chain",
			                   "certificate %zu of the chain has expired", i + 1);
			goto out;
		}
		if (i + 1 < count && (X509_check_issued(certs[i + 1], certs[i]) != X509_V_OK ||
		                      X509_verify(certs[i], X509_get0_pubkey(certs[i + 1])) != 1)) {
			rc = ok_fail_field(err, OK_EINVALID, "chain",
			                   "certificate %zu is not issued by certificate %zu",
			                   i + 1, i + 2);
			goto out;
		}
	}
out:
	free_chain(certs, count);
	return rc;
}

int jose_x509_chain_x5c(const char *pem, size_t n, json_t **x5c, struct ok_error *err)
{
	X509 *certs[JOSE_X509_CHAIN_MAX];
	size_t count, i;
	int rc;

	*x5c = NULL;
	rc = read_chain(pem, n, certs, &count, err);
	if (rc)
		return rc;
	*x5c = json_array();
	for (i = 0; *x5c && i < count; i++) {
		unsigned char *der = NULL;
		int len = i2d_X509(certs[i], &der);
		char *b64;
		size_t b64_len;

		if (len <= 0) {
			rc = fail(err, OK_ECRYPTO, "chain", "cannot encode a certificate");
			break;
		}
		b64_len = sodium_base64_ENCODED_LEN((size_t)len, sodium_base64_VARIANT_ORIGINAL);
		b64 = malloc(b64_len);
		if (b64) {
			sodium_bin2base64(b64, b64_len, der, (size_t)len,
			                  sodium_base64_VARIANT_ORIGINAL);
			json_array_append_new(*x5c, json_string(b64));
		}
		free(b64);
		OPENSSL_free(der);
		if (!b64) {
			rc = fail(err, OK_ENOMEM, "chain", "out of memory");
			break;
		}
	}
	if (!*x5c)
		rc = fail(err, OK_ENOMEM, "chain", "out of memory");
	if (rc) {
		json_decref(*x5c);
		*x5c = NULL;
	}
	free_chain(certs, count);
	return rc;
}

int jose_x509_chain_root(const char *pem, size_t n, struct buf *out, struct ok_error *err)
{
	X509 *certs[JOSE_X509_CHAIN_MAX];
	size_t count;
	int rc;

	rc = read_chain(pem, n, certs, &count, err);
	if (rc)
		return rc;
	if (add_pem(certs[count - 1], out))
		rc = fail(err, OK_ETOOBIG, "chain", "the root certificate is too long");
	free_chain(certs, count);
	return rc;
}

/* Seconds since the epoch of an ASN.1 time; false when it cannot be read. */
static bool time_of(const ASN1_TIME *t, int64_t *out)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	if (!t || ASN1_TIME_to_tm(t, &tm) != 1)
		return false;
	*out = (int64_t)timegm(&tm);
	return true;
}

/* What one successful validation found: the leaf's key and the times between which every
 * certificate of the path that was built (root included) is valid. */
struct validated {
	struct jose_jwk key;
	uint8_t point[JOSE_X509_POINT_BYTES];
	int64_t not_before, not_after;
};

static int validate(const json_t *x5c, const char *roots_pem, size_t roots_len, int64_t now,
                    struct validated *out, struct ok_error *err)
{
	X509 *certs[JOSE_X509_CHAIN_MAX], *roots[JOSE_X509_CHAIN_MAX];
	STACK_OF(X509) *untrusted = sk_X509_new_null();
	X509_STORE *store = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	size_t count = 0, nroots = 0, i;
	const json_t *v;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	if (!untrusted || !store || !ctx) {
		rc = fail(err, OK_ENOMEM, "x5c", "out of memory");
		goto out;
	}
	if (!json_is_array(x5c) || json_array_size(x5c) == 0 ||
	    json_array_size(x5c) > JOSE_X509_CHAIN_MAX) {
		rc = fail(err, OK_EINPUT, "header.x5c",
		          "x5c is not an array of 1 to 5 certificates");
		goto out;
	}
	json_array_foreach(x5c, i, v)
	{
		unsigned char *der = NULL;
		const unsigned char *p;
		size_t len = 0, slen = json_string_length(v);

		if (!json_is_string(v) || slen > JOSE_X509_CERT_MAX * 4 / 3 + 4) {
			rc = fail(err, OK_EINPUT, "header.x5c",
			          "an x5c entry is not a certificate");
			goto out;
		}
		der = malloc(slen);
		if (!der || sodium_base642bin(der, slen, json_string_value(v), slen, NULL, &len,
		                              NULL, sodium_base64_VARIANT_ORIGINAL) != 0) {
			free(der);
			rc = fail(err, OK_EINPUT, "header.x5c", "an x5c entry is not base64 DER");
			goto out;
		}
		p = der;
		certs[count] = d2i_X509(NULL, &p, (long)len);
		free(der);
		if (!certs[count]) {
			rc = fail(err, OK_EINPUT, "header.x5c",
			          "an x5c entry is not a certificate");
			goto out;
		}
		if (count++ > 0 && !sk_X509_push(untrusted, certs[count - 1])) {
			rc = fail(err, OK_ENOMEM, "x5c", "out of memory");
			goto out;
		}
	}
	if (!roots_pem || roots_len == 0) {
		rc = fail(err, OK_EINVALID, "header.x5c",
		          "no trusted roots are configured for wallets");
		goto out;
	}
	rc = read_chain(roots_pem, roots_len, roots, &nroots, err);
	if (rc)
		goto out;
	for (i = 0; i < nroots; i++)
		X509_STORE_add_cert(store, roots[i]);
	if (X509_STORE_CTX_init(ctx, store, certs[0], untrusted) != 1) {
		rc = fail(err, OK_ECRYPTO, "x5c", "cannot set up chain validation");
		goto out;
	}
	X509_STORE_CTX_set_time(ctx, 0, (time_t)now);
	if (X509_verify_cert(ctx) != 1) {
		rc = ok_fail_field(
		        err, OK_EINVALID, "header.x5c",
		        "the issuer's certificate chain does not lead to a trusted root: %s",
		        X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
		goto out;
	}
	/* The path's validity: from its latest notBefore to its earliest notAfter. */
	{
		STACK_OF(X509) *path = X509_STORE_CTX_get0_chain(ctx);
		int k;

		out->not_before = INT64_MIN;
		out->not_after = INT64_MAX;
		for (k = 0; path && k < sk_X509_num(path); k++) {
			X509 *c = sk_X509_value(path, k);
			int64_t nb, na;

			if (!time_of(X509_get0_notBefore(c), &nb) ||
			    !time_of(X509_get0_notAfter(c), &na)) {
				rc = fail(err, OK_EINVALID, "header.x5c",
				          "a certificate's validity cannot be read");
				goto out;
			}
			if (nb > out->not_before)
				out->not_before = nb;
			if (na < out->not_after)
				out->not_after = na;
		}
		if (!path || sk_X509_num(path) == 0) {
			rc = fail(err, OK_ECRYPTO, "x5c", "no validated path");
			goto out;
		}
	}
	rc = jose_jwk_from_pkey(X509_get0_pubkey(certs[0]), &out->key, err);
	if (!rc && out->key.kty != JOSE_KTY_EC) {
		jose_jwk_release(&out->key);
		rc = fail(err, OK_EINVALID, "header.x5c",
		          "the issuer's certificate key is not P-256");
	}
	if (!rc &&
	    EVP_PKEY_get_octet_string_param(out->key.pkey, OSSL_PKEY_PARAM_PUB_KEY, out->point,
	                                    sizeof(out->point), &(size_t){0}) != 1) {
		jose_jwk_release(&out->key);
		rc = fail(err, OK_ECRYPTO, "x5c", "cannot read the issuer's key");
	}
out:
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	sk_X509_free(untrusted);
	free_chain(certs, count);
	free_chain(roots, nroots);
	return rc;
}

int jose_x509_verify_x5c(const json_t *x5c, const char *roots_pem, size_t roots_len, int64_t now,
                         struct jose_jwk *leaf_key, struct ok_error *err)
{
	struct validated v;
	int rc = validate(x5c, roots_pem, roots_len, now, &v, err);

	*leaf_key = v.key;
	return rc;
}

/* The memo's key: SHA-256 of the roots and of every x5c entry exactly as sent (each entry's
 * text fixes its DER bytes), each with its length. */
static int memo_id(const json_t *x5c, const char *roots_pem, size_t roots_len, uint8_t id[32])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned len = 0;
	const json_t *v;
	uint64_t n;
	size_t i;
	int ok = md && EVP_DigestInit_ex2(md, EVP_sha256(), NULL) == 1;

	n = roots_len;
	ok = ok && EVP_DigestUpdate(md, &n, sizeof(n)) == 1 &&
	     EVP_DigestUpdate(md, roots_pem, roots_len) == 1;
	json_array_foreach(x5c, i, v)
	{
		if (!json_is_string(v)) {
			ok = 0;
			break;
		}
		n = json_string_length(v);
		ok = ok && EVP_DigestUpdate(md, &n, sizeof(n)) == 1 &&
		     EVP_DigestUpdate(md, json_string_value(v), n) == 1;
	}
	ok = ok && EVP_DigestFinal_ex(md, id, &len) == 1 && len == 32;
	EVP_MD_CTX_free(md);
	return ok ? 0 : OK_ECRYPTO;
}

int jose_x509_verify_x5c_memo(struct jose_x509_memo *m, const json_t *x5c, const char *roots_pem,
                              size_t roots_len, int64_t now, struct jose_jwk *leaf_key,
                              uint8_t point[JOSE_X509_POINT_BYTES], struct ok_error *err)
{
	struct jose_x509_memo_entry *e;
	struct validated v;
	uint8_t id[32];
	size_t i;
	int rc;

	memset(leaf_key, 0, sizeof(*leaf_key));
	if (!json_is_array(x5c) || json_array_size(x5c) == 0 ||
	    json_array_size(x5c) > JOSE_X509_CHAIN_MAX || !roots_pem ||
	    memo_id(x5c, roots_pem, roots_len, id) != 0)
		m = NULL; /* validate() says what is wrong */
	for (i = 0; m && i < JOSE_X509_MEMO_ENTRIES; i++) {
		e = &m->e[i];
		if (e->key.kty == JOSE_KTY_EC && memcmp(e->id, id, sizeof(id)) == 0 &&
		    now >= e->not_before && now <= e->not_after) {
			if (EVP_PKEY_up_ref(e->key.pkey) != 1)
				return fail(err, OK_ENOMEM, "x5c", "out of memory");
			*leaf_key = e->key;
			memcpy(point, e->point, JOSE_X509_POINT_BYTES);
			return 0;
		}
	}
	rc = validate(x5c, roots_pem, roots_len, now, &v, err);
	if (rc)
		return rc;
	memcpy(point, v.point, JOSE_X509_POINT_BYTES);
	*leaf_key = v.key;
	if (!m || EVP_PKEY_up_ref(v.key.pkey) != 1)
		return 0;
	e = &m->e[m->next];
	m->next = (m->next + 1) % JOSE_X509_MEMO_ENTRIES;
	jose_jwk_release(&e->key);
	memcpy(e->id, id, sizeof(id));
	memcpy(e->point, v.point, sizeof(e->point));
	e->not_before = v.not_before;
	e->not_after = v.not_after;
	e->key = v.key;
	return 0;
}

void jose_x509_memo_release(struct jose_x509_memo *m)
{
	size_t i;

	if (!m)
		return;
	for (i = 0; i < JOSE_X509_MEMO_ENTRIES; i++)
		jose_jwk_release(&m->e[i].key);
	memset(m, 0, sizeof(*m));
}

int jose_x509_x5c_leaf_has_dns(const json_t *x5c, const char *host, bool *match,
                               struct ok_error *err)
{
	const json_t *v = json_array_get(x5c, 0);
	size_t slen = json_string_length(v), len = 0;
	unsigned char *der;
	const unsigned char *p;
	X509 *cert;

	*match = false;
	if (!json_is_string(v) || slen > JOSE_X509_CERT_MAX * 4 / 3 + 4 || !dns_name_ok(host))
		return 0;
	der = malloc(slen + 1);
	if (!der)
		return fail(err, OK_ENOMEM, "x5c", "out of memory");
	if (sodium_base642bin(der, slen + 1, json_string_value(v), slen, NULL, &len, NULL,
	                      sodium_base64_VARIANT_ORIGINAL) != 0) {
		free(der);
		return 0;
	}
	p = der;
	cert = d2i_X509(NULL, &p, (long)len);
	free(der);
	if (!cert)
		return 0;
	/* Only dNSName entries: a CN is no statement about a host, and a wildcard would let one
	 * certificate speak for every issuer under a domain. */
	*match = X509_check_host(cert, host, strlen(host),
	                         X509_CHECK_FLAG_NEVER_CHECK_SUBJECT | X509_CHECK_FLAG_NO_WILDCARDS,
	                         NULL) == 1;
	X509_free(cert);
	return 0;
}
