/* JWK parsing and writing, RFC 7638 thumbprints and the signing keys, over OpenSSL 3's EVP
 * (P-256, RSA) and libsodium (Ed25519). */
#include "jose/jwk.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>
#include <stdlib.h>
#include <string.h>

#include "jose/b64.h"

#define RSA_MIN_BITS  2048
#define RSA_MAX_BITS  8192
#define RSA_MAX_BYTES (RSA_MAX_BITS / 8)
#define MEMBER_MAX    1200 /* characters of a base64url member: an 8192-bit modulus is 1366 */

/* Members that only a private key has (RFC 7518 §6.2.2, §6.3.2; RFC 8037 §2). */
static const char *const private_members[] = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"};

static int get_member(const json_t *obj, const char *name, const char **val, size_t *len,
                      struct ok_error *err)
{
	const json_t *v = json_object_get(obj, name);

	if (!v)
		return ok_fail_field(err, OK_EINPUT, name, "the JWK has no \"%s\"", name);
	if (!json_is_string(v))
		return ok_fail_field(err, OK_EINPUT, name, "the JWK's \"%s\" is not a string",
		                     name);
	*val = json_string_value(v);
	*len = json_string_length(v);
	return 0;
}

/* Decodes member name, which must be exactly want bytes (want 0: up to cap bytes). */
static int get_bytes(const json_t *obj, const char *name, uint8_t *out, size_t cap, size_t want,
                     size_t *got, struct ok_error *err)
{
	const char *s = NULL;
	size_t n = 0, len;
	int rc;

	rc = get_member(obj, name, &s, &n, err);
	if (rc)
		return rc;
	if (n > MEMBER_MAX * 2)
		return ok_fail_field(err, OK_EINPUT, name, "the JWK's \"%s\" is too long", name);
	rc = jose_b64_decode(s, n, out, cap, &len, name, err);
	if (rc)
		return rc;
	if ((want && len != want) || len == 0)
		return ok_fail_field(err, OK_EINPUT, name, "the JWK's \"%s\" has the wrong length",
		                     name);
	if (got)
		*got = len;
	return 0;
}

static int ec_from_xy(const uint8_t x[JOSE_P256_BYTES], const uint8_t y[JOSE_P256_BYTES],
                      EVP_PKEY **out, struct ok_error *err)
{
	uint8_t point[1 + 2 * JOSE_P256_BYTES];
	OSSL_PARAM params[3];
	EVP_PKEY_CTX *ctx = NULL, *check = NULL;
	EVP_PKEY *pkey = NULL;
	int rc = 0;

	point[0] = 0x04;
	memcpy(point + 1, x, JOSE_P256_BYTES);
	memcpy(point + 1 + JOSE_P256_BYTES, y, JOSE_P256_BYTES);
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
	                                             (char *)"prime256v1", 0);
	params[1] =
	        OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, point, sizeof(point));
	params[2] = OSSL_PARAM_construct_end();
	ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	if (!ctx || EVP_PKEY_fromdata_init(ctx) <= 0) {
		rc = ok_fail(err, OK_ECRYPTO, "cannot make an EC key");
		goto out;
	}
	if (EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0) {
		rc = ok_fail_field(err, OK_EINPUT, "x", "the JWK's point is not on P-256");
		goto out;
	}
	/* On the curve and not the point at infinity; P-256's cofactor is 1, so the full check's
	 * extra scalar multiplication (n·Q) would add nothing. */
	check = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
	if (!check || EVP_PKEY_public_check_quick(check) != 1) {
		rc = ok_fail_field(err, OK_EINPUT, "x", "the JWK's point is not on P-256");
		goto out;
	}
	*out = pkey;
	pkey = NULL;
out:
	EVP_PKEY_free(pkey);
	EVP_PKEY_CTX_free(check);
	EVP_PKEY_CTX_free(ctx);
	return rc;
}

static int rsa_from_ne(const uint8_t *n, size_t n_len, const uint8_t *e, size_t e_len,
                       EVP_PKEY **out, struct ok_error *err)
{
	BIGNUM *bn_n = BN_bin2bn(n, (int)n_len, NULL), *bn_e = BN_bin2bn(e, (int)e_len, NULL);
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pkey = NULL;
	int bits, rc = 0;

	if (!bn_n || !bn_e || !bld) {
		rc = ok_fail(err, OK_ENOMEM, "out of memory reading an RSA key");
		goto out;
	}
	bits = BN_num_bits(bn_n);
	if (bits < RSA_MIN_BITS || bits > RSA_MAX_BITS) {
		rc = ok_fail_field(err, OK_EINPUT, "n",
		                   "RSA modulus of %d bits (2048 to 8192 allowed)", bits);
		goto out;
	}
	if (!BN_is_odd(bn_e) || BN_num_bits(bn_e) < 2 || BN_num_bits(bn_e) > 64) {
		rc = ok_fail_field(err, OK_EINPUT, "e",
		                   "the RSA exponent is not a usable odd number");
		goto out;
	}
	if (!OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn_n) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e) ||
	    !(params = OSSL_PARAM_BLD_to_param(bld)) ||
	    !(ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL)) ||
	    EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0) {
		rc = ok_fail_field(err, OK_EINPUT, "n", "not a usable RSA key");
		goto out;
	}
	*out = pkey;
	pkey = NULL;
out:
	EVP_PKEY_free(pkey);
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(bn_n);
	BN_free(bn_e);
	return rc;
}

/* The JWK's crv must be want, the one curve of key type kty this reads. */
static int want_crv(const json_t *obj, const char *kty, const char *want, struct ok_error *err)
{
	const char *crv = NULL;
	size_t n = 0;
	int rc = get_member(obj, "crv", &crv, &n, err);

	if (rc || strcmp(crv, want) == 0)
		return rc;
	return ok_fail_field(err, OK_EINPUT, "crv", "%s curve %s is not supported (%s only)", kty,
	                     n <= 16 ? crv : "(long name)", want);
}

int jose_jwk_parse(const json_t *obj, struct jose_jwk *key, struct ok_error *err)
{
	const char *kty = NULL;
	size_t n = 0, i;
	int rc;

	memset(key, 0, sizeof(*key));
	if (!json_is_object(obj))
		return ok_fail_field(err, OK_EINPUT, "jwk", "the JWK is not a JSON object");
	for (i = 0; i < sizeof(private_members) / sizeof(private_members[0]); i++)
		if (json_object_get(obj, private_members[i]))
			return ok_fail_field(err, OK_EINPUT, private_members[i],
			                     "the JWK holds a private key member (\"%s\")",
			                     private_members[i]);
	rc = get_member(obj, "kty", &kty, &n, err);
	if (rc)
		return rc;
	if (strcmp(kty, "EC") == 0) {
		uint8_t x[JOSE_P256_BYTES], y[JOSE_P256_BYTES];

		rc = want_crv(obj, "EC", "P-256", err);
		if (!rc)
			rc = get_bytes(obj, "x", x, sizeof(x), sizeof(x), NULL, err);
		if (!rc)
			rc = get_bytes(obj, "y", y, sizeof(y), sizeof(y), NULL, err);
		if (!rc)
			rc = ec_from_xy(x, y, &key->pkey, err);
		if (!rc)
			key->kty = JOSE_KTY_EC;
		return rc;
	}
	if (strcmp(kty, "OKP") == 0) {
		rc = want_crv(obj, "OKP", "Ed25519", err);
		if (!rc)
			rc = get_bytes(obj, "x", key->ed25519, sizeof(key->ed25519),
			               sizeof(key->ed25519), NULL, err);
		if (!rc)
			key->kty = JOSE_KTY_OKP;
		return rc;
	}
	if (strcmp(kty, "RSA") == 0) {
		uint8_t *mod = malloc(RSA_MAX_BYTES), e[8];
		size_t mod_len = 0, e_len = 0;

		if (!mod)
			return ok_fail(err, OK_ENOMEM, "out of memory reading an RSA key");
		rc = get_bytes(obj, "n", mod, RSA_MAX_BYTES, 0, &mod_len, err);
		if (!rc)
			rc = get_bytes(obj, "e", e, sizeof(e), 0, &e_len, err);
		if (!rc)
			rc = rsa_from_ne(mod, mod_len, e, e_len, &key->pkey, err);
		free(mod);
		if (!rc)
			key->kty = JOSE_KTY_RSA;
		return rc;
	}
	return ok_fail_field(err, OK_EINPUT, "kty", "key type %s is not supported (EC, OKP, RSA)",
	                     n <= 8 ? kty : "(long name)");
}

static int is_p256(EVP_PKEY *pkey)
{
	char name[64];

	if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_EC)
		return 0;
	if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, name, sizeof(name),
	                                   NULL) != 1)
		return 0;
	return strcmp(name, "prime256v1") == 0 || strcmp(name, "P-256") == 0;
}

int jose_jwk_from_pkey(EVP_PKEY *pkey, struct jose_jwk *key, struct ok_error *err)
{
	memset(key, 0, sizeof(*key));
	if (!pkey)
		return ok_fail(err, OK_EINPUT, "no key");
	switch (EVP_PKEY_get_base_id(pkey)) {
	case EVP_PKEY_EC: {
		BIGNUM *x = NULL, *y = NULL;
		uint8_t bx[JOSE_P256_BYTES], by[JOSE_P256_BYTES];
		int rc = 0;

		if (!is_p256(pkey))
			return ok_fail_field(err, OK_EINPUT, "crv", "the EC key is not on P-256");
		if (EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_EC_PUB_X, &x) != 1 ||
		    EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_EC_PUB_Y, &y) != 1 ||
		    BN_bn2binpad(x, bx, sizeof(bx)) < 0 || BN_bn2binpad(y, by, sizeof(by)) < 0)
			rc = ok_fail(err, OK_ECRYPTO, "cannot read the EC key's point");
		BN_free(x);
		BN_free(y);
		if (!rc)
			rc = ec_from_xy(bx, by, &key->pkey, err);
		if (!rc)
			key->kty = JOSE_KTY_EC;
		return rc;
	}
	case EVP_PKEY_ED25519: {
		size_t len = sizeof(key->ed25519);

		if (EVP_PKEY_get_raw_public_key(pkey, key->ed25519, &len) != 1 ||
		    len != sizeof(key->ed25519))
			return ok_fail(err, OK_ECRYPTO, "cannot read the Ed25519 key");
		key->kty = JOSE_KTY_OKP;
		return 0;
	}
	case EVP_PKEY_RSA: {
		int bits = EVP_PKEY_get_bits(pkey);

		if (bits < RSA_MIN_BITS || bits > RSA_MAX_BITS)
			return ok_fail_field(err, OK_EINPUT, "n",
			                     "RSA modulus of %d bits (2048 to 8192)", bits);
		if (EVP_PKEY_up_ref(pkey) != 1)
			return ok_fail(err, OK_ECRYPTO, "cannot keep the RSA key");
		key->pkey = pkey;
		key->kty = JOSE_KTY_RSA;
		return 0;
	}
	default:
		return ok_fail_field(err, OK_EINPUT, "kty",
		                     "the key is not EC P-256, Ed25519 or RSA");
	}
}

/* Appends the base64url of BIGNUM parameter name of pkey (pad: fixed width, 0: minimal). */
static int add_bn_param(EVP_PKEY *pkey, const char *name, int pad, struct buf *out,
                        struct ok_error *err)
{
	uint8_t bytes[RSA_MAX_BYTES];
	BIGNUM *bn = NULL;
	int len, rc;

	if (EVP_PKEY_get_bn_param(pkey, name, &bn) != 1)
		return ok_fail(err, OK_ECRYPTO, "cannot read the key");
	len = pad ? BN_bn2binpad(bn, bytes, pad) : BN_bn2bin(bn, bytes);
	BN_free(bn);
	if (len <= 0)
		return ok_fail(err, OK_ECRYPTO, "cannot write the key");
	rc = jose_b64_encode(bytes, (size_t)len, out, err);
	return rc;
}

/* Writes the RFC 7638 canonical members of key into out: a JSON object, members sorted. */
static int canonical(const struct jose_jwk *key, struct buf *out, struct ok_error *err)
{
	int rc;

	switch (key->kty) {
	case JOSE_KTY_EC:
		rc = buf_addstr(out, "{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"");
		if (!rc)
			rc = add_bn_param(key->pkey, OSSL_PKEY_PARAM_EC_PUB_X, JOSE_P256_BYTES, out,
			                  err);
		if (!rc)
			rc = buf_addstr(out, "\",\"y\":\"");
		if (!rc)
			rc = add_bn_param(key->pkey, OSSL_PKEY_PARAM_EC_PUB_Y, JOSE_P256_BYTES, out,
			                  err);
		break;
	case JOSE_KTY_OKP:
		rc = buf_addstr(out, "{\"crv\":\"Ed25519\",\"kty\":\"OKP\",\"x\":\"");
		if (!rc)
			rc = jose_b64_encode(key->ed25519, sizeof(key->ed25519), out, err);
		break;
	case JOSE_KTY_RSA:
		rc = buf_addstr(out, "{\"e\":\"");
		if (!rc)
			rc = add_bn_param(key->pkey, OSSL_PKEY_PARAM_RSA_E, 0, out, err);
		if (!rc)
			rc = buf_addstr(out, "\",\"kty\":\"RSA\",\"n\":\"");
		if (!rc)
			rc = add_bn_param(key->pkey, OSSL_PKEY_PARAM_RSA_N, 0, out, err);
		break;
	default:
		return ok_fail(err, OK_EINPUT, "no key");
	}
	if (!rc)
		rc = buf_addstr(out, "\"}");
	return rc < 0 && err && !err->code ? ok_fail(err, rc, "JWK too long") : rc;
}

int jose_jwk_to_json(const struct jose_jwk *key, json_t **out, struct ok_error *err)
{
	struct buf b;
	int rc;

	*out = NULL;
	buf_init(&b, 8192);
	rc = canonical(key, &b, err);
	if (!rc) {
		*out = json_loadb(b.data, b.len, 0, NULL);
		if (!*out)
			rc = ok_fail(err, OK_ENOMEM, "out of memory writing a JWK");
	}
	buf_release(&b);
	return rc;
}

int jose_jwk_thumbprint(const struct jose_jwk *key, char out[JOSE_THUMBPRINT_MAX],
                        struct ok_error *err)
{
	uint8_t h[crypto_hash_sha256_BYTES];
	struct buf b, t;
	int rc;

	out[0] = '\0';
	buf_init(&b, 8192);
	buf_init(&t, JOSE_THUMBPRINT_MAX - 1);
	rc = canonical(key, &b, err);
	if (!rc) {
		crypto_hash_sha256(h, (const uint8_t *)b.data, b.len);
		rc = jose_b64_encode(h, sizeof(h), &t, err);
	}
	if (!rc)
		memcpy(out, t.data, t.len + 1);
	buf_release(&b);
	buf_release(&t);
	return rc;
}

int jose_jwk_equal(const struct jose_jwk *a, const struct jose_jwk *b)
{
	if (a->kty != b->kty || a->kty == JOSE_KTY_NONE)
		return 0;
	if (a->kty == JOSE_KTY_OKP)
		return sodium_memcmp(a->ed25519, b->ed25519, sizeof(a->ed25519)) == 0;
	return EVP_PKEY_eq(a->pkey, b->pkey) == 1;
}

void jose_jwk_release(struct jose_jwk *key)
{
	if (!key)
		return;
	EVP_PKEY_free(key->pkey);
	memset(key, 0, sizeof(*key));
}

/* Signing keys */

const char *jose_alg_name(enum jose_alg alg)
{
	switch (alg) {
	case JOSE_ALG_ES256:
		return "ES256";
	case JOSE_ALG_EDDSA:
		return "EdDSA";
	case JOSE_ALG_RS256:
		return "RS256";
	case JOSE_ALG_PS256:
		return "PS256";
	default:
		return NULL;
	}
}

static int has_private_scalar(EVP_PKEY *pkey)
{
	BIGNUM *d = NULL;
	int ok = EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_PRIV_KEY, &d) == 1;

	BN_clear_free(d);
	return ok;
}

int jose_signer_es256_from_pkey(struct jose_signer *s, EVP_PKEY *pkey, struct ok_error *err)
{
	memset(s, 0, sizeof(*s));
	if (!pkey || !is_p256(pkey) || !has_private_scalar(pkey)) {
		EVP_PKEY_free(pkey);
		return ok_fail(err, OK_EINPUT, "the key is not a P-256 private key");
	}
	s->alg = JOSE_ALG_ES256;
	s->ec = pkey;
	return 0;
}

int jose_signer_es256_generate(struct jose_signer *s, struct ok_error *err)
{
	EVP_PKEY *pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");

	memset(s, 0, sizeof(*s));
	if (!pkey)
		return ok_fail(err, OK_ECRYPTO, "cannot make a P-256 key");
	return jose_signer_es256_from_pkey(s, pkey, err);
}

int jose_signer_es256_from_d(struct jose_signer *s, const uint8_t d[JOSE_P256_BYTES],
                             struct ok_error *err)
{
	uint8_t point[1 + 2 * JOSE_P256_BYTES];
	EC_GROUP *group = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
	BIGNUM *bn = BN_secure_new();
	EC_POINT *pub = group ? EC_POINT_new(group) : NULL;
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pkey = NULL;
	int rc = 0;

	memset(s, 0, sizeof(*s));
	if (!group || !bn || !pub || !bld || !BN_bin2bn(d, JOSE_P256_BYTES, bn)) {
		rc = ok_fail(err, OK_ENOMEM, "out of memory making a P-256 key");
		goto out;
	}
	if (BN_is_zero(bn) || BN_cmp(bn, EC_GROUP_get0_order(group)) >= 0) {
		rc = ok_fail(err, OK_EINPUT, "the P-256 private scalar is out of range");
		goto out;
	}
	if (!EC_POINT_mul(group, pub, bn, NULL, NULL, NULL) ||
	    EC_POINT_point2oct(group, pub, POINT_CONVERSION_UNCOMPRESSED, point, sizeof(point),
	                       NULL) != sizeof(point) ||
	    !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) ||
	    !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof(point)) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, bn) ||
	    !(params = OSSL_PARAM_BLD_to_param(bld)) ||
	    !(ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL)) ||
	    EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_KEYPAIR, params) <= 0) {
		rc = ok_fail(err, OK_ECRYPTO, "cannot make a P-256 key");
		goto out;
	}
	rc = jose_signer_es256_from_pkey(s, pkey, err);
	pkey = NULL;
out:
	EVP_PKEY_free(pkey);
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	EC_POINT_free(pub);
	BN_clear_free(bn);
	EC_GROUP_free(group);
	return rc;
}

int jose_signer_es256_d(const struct jose_signer *s, uint8_t d[JOSE_P256_BYTES],
                        struct ok_error *err)
{
	BIGNUM *bn = NULL;
	int ok;

	if (s->alg != JOSE_ALG_ES256 || !s->ec)
		return ok_fail(err, OK_EINPUT, "not an ES256 key");
	ok = EVP_PKEY_get_bn_param(s->ec, OSSL_PKEY_PARAM_PRIV_KEY, &bn) == 1 &&
	     BN_bn2binpad(bn, d, JOSE_P256_BYTES) == JOSE_P256_BYTES;
	BN_clear_free(bn);
	return ok ? 0 : ok_fail(err, OK_ECRYPTO, "cannot read the P-256 private key");
}

int jose_signer_ed25519_from_seed(struct jose_signer *s, const uint8_t seed[JOSE_ED25519_BYTES],
                                  struct ok_error *err)
{
	uint8_t pk[crypto_sign_PUBLICKEYBYTES];

	memset(s, 0, sizeof(*s));
	if (crypto_sign_seed_keypair(pk, s->ed25519_sk, seed) != 0)
		return ok_fail(err, OK_ECRYPTO, "cannot make an Ed25519 key");
	s->alg = JOSE_ALG_EDDSA;
	return 0;
}

int jose_signer_public(const struct jose_signer *s, struct jose_jwk *key, struct ok_error *err)
{
	memset(key, 0, sizeof(*key));
	if (s->alg == JOSE_ALG_ES256)
		return jose_jwk_from_pkey(s->ec, key, err);
	if (s->alg == JOSE_ALG_EDDSA) {
		crypto_sign_ed25519_sk_to_pk(key->ed25519, s->ed25519_sk);
		key->kty = JOSE_KTY_OKP;
		return 0;
	}
	return ok_fail(err, OK_EINPUT, "no signing key");
}

void jose_signer_release(struct jose_signer *s)
{
	if (!s)
		return;
	EVP_PKEY_free(s->ec);
	sodium_memzero(s, sizeof(*s));
}
