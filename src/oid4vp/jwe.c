/* ECDH-ES + AES-GCM compact JWE (see jwe.h). */
#include "oid4vp/jwe.h"

#include <jansson.h>
#include <openssl/evp.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "jose/b64.h"

#define HEADER_MAX ((size_t)4 << 10)
#define IV_BYTES   12
#define TAG_BYTES  16

/* The Concat KDF of RFC 7518 §4.6.2 for one SHA-256 block (keys of up to 256 bits). */
static void concat_kdf(const uint8_t *z, size_t zlen, const char *enc, const struct buf *apu,
                       const struct buf *apv, size_t key_bytes, uint8_t *key)
{
	crypto_hash_sha256_state st;
	uint8_t digest[crypto_hash_sha256_BYTES], be[4];
	const struct buf *party[2] = {apu, apv};

	crypto_hash_sha256_init(&st);
	be[0] = 0, be[1] = 0, be[2] = 0, be[3] = 1;
	crypto_hash_sha256_update(&st, be, 4);
	crypto_hash_sha256_update(&st, z, zlen);
	for (int i = -1; i < 2; i++) {
		const uint8_t *p = i < 0 ? (const uint8_t *)enc : (const uint8_t *)party[i]->data;
		size_t len = i < 0 ? strlen(enc) : party[i]->len;

		be[0] = (uint8_t)(len >> 24), be[1] = (uint8_t)(len >> 16);
		be[2] = (uint8_t)(len >> 8), be[3] = (uint8_t)len;
		crypto_hash_sha256_update(&st, be, 4);
		if (len)
			crypto_hash_sha256_update(&st, p, len);
	}
	be[0] = 0, be[1] = 0, be[2] = (uint8_t)((key_bytes * 8) >> 8);
	be[3] = (uint8_t)(key_bytes * 8);
	crypto_hash_sha256_update(&st, be, 4);
	crypto_hash_sha256_final(&st, digest);
	memcpy(key, digest, key_bytes);
	sodium_memzero(digest, sizeof(digest));
}

/* ECDH on P-256: z gets the shared secret's x coordinate (32 bytes). */
static int ecdh(EVP_PKEY *mine, EVP_PKEY *peer, uint8_t z[32], struct ok_error *err)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(mine, NULL);
	size_t len = 32;
	int ok = ctx && EVP_PKEY_derive_init(ctx) == 1 &&
	         EVP_PKEY_derive_set_peer(ctx, peer) == 1 && EVP_PKEY_derive(ctx, z, &len) == 1 &&
	         len == 32;

	EVP_PKEY_CTX_free(ctx);
	return ok ? 0 : ok_fail_field(err, OK_EINPUT, "epk", "the key agreement failed");
}

static const EVP_CIPHER *cipher_of(const char *enc, size_t *key_bytes)
{
	if (enc && strcmp(enc, "A128GCM") == 0) {
		*key_bytes = 16;
		return EVP_aes_128_gcm();
	}
	if (enc && strcmp(enc, "A256GCM") == 0) {
		*key_bytes = 32;
		return EVP_aes_256_gcm();
	}
	return NULL;
}

/* Decodes an optional base64url header member into out. */
static int party(const json_t *h, const char *name, struct buf *out, struct ok_error *err)
{
	const json_t *v = json_object_get(h, name);

	if (!v)
		return 0;
	if (!json_is_string(v))
		return ok_fail_field(err, OK_EINPUT, name, "the JWE's %s is not a string", name);
	return jose_b64_decode_buf(json_string_value(v), json_string_length(v), out, name, err);
}

int oid4vp_jwe_decrypt(const char *s, size_t n, const struct jose_signer *key, struct buf *out,
                       struct ok_error *err)
{
	const char *part[5];
	size_t len[5], key_bytes = 0, k = 0;
	struct buf hdr, apu, apv, ct;
	uint8_t iv[IV_BYTES], tag[TAG_BYTES], z[32], cek[32];
	size_t iv_len = 0, tag_len = 0;
	const EVP_CIPHER *cipher;
	EVP_CIPHER_CTX *ctx = NULL;
	struct jose_jwk epk = {0};
	json_t *h = NULL;
	json_error_t jerr;
	const char *p = s, *end = s + n;
	int rc, outl = 0;

	if (n > OID4VP_JWE_MAX)
		return ok_fail_field(err, OK_ETOOBIG, "response", "the JWE is too long");
	buf_init(&hdr, HEADER_MAX);
	buf_init(&apu, 256);
	buf_init(&apv, 256);
	buf_init(&ct, n);
	while (k < 5) {
		const char *dot = memchr(p, '.', (size_t)(end - p));

		part[k] = p;
		len[k] = (size_t)((dot ? dot : end) - p);
		k++;
		if (!dot)
			break;
		p = dot + 1;
	}
	if (k != 5 || part[4] + len[4] != end) {
		rc = ok_fail_field(err, OK_EINPUT, "response",
		                   "the response is not a compact JWE of five parts");
		goto out;
	}
	if ((rc = jose_b64_decode_buf(part[0], len[0], &hdr, "response", err)))
		goto out;
	h = json_loadb(hdr.data, hdr.len, JSON_REJECT_DUPLICATES, &jerr);
	if (!json_is_object(h)) {
		rc = ok_fail_field(err, OK_EINPUT, "response",
		                   "the JWE's header is not a JSON object");
		goto out;
	}
	cipher = cipher_of(json_string_value(json_object_get(h, "enc")), &key_bytes);
	if (!json_is_string(json_object_get(h, "alg")) ||
	    strcmp(json_string_value(json_object_get(h, "alg")), "ECDH-ES") != 0 || !cipher ||
	    json_object_get(h, "zip") || json_object_get(h, "crit") || len[1] != 0) {
		rc = ok_fail_field(
		        err, OK_EINPUT, "response",
		        "the JWE must be alg ECDH-ES with enc A128GCM or A256GCM, no zip, "
		        "crit or encrypted key");
		goto out;
	}
	if ((rc = jose_jwk_parse(json_object_get(h, "epk"), &epk, err)))
		goto out;
	if (epk.kty != JOSE_KTY_EC) {
		rc = ok_fail_field(err, OK_EINPUT, "epk", "the JWE's epk is not a P-256 key");
		goto out;
	}
	if ((rc = party(h, "apu", &apu, err)) || (rc = party(h, "apv", &apv, err)))
		goto out;
	if ((rc = jose_b64_decode(part[2], len[2], iv, sizeof(iv), &iv_len, "iv", err)) ||
	    (rc = jose_b64_decode(part[4], len[4], tag, sizeof(tag), &tag_len, "tag", err)) ||
	    (rc = jose_b64_decode_buf(part[3], len[3], &ct, "ciphertext", err)))
		goto out;
	if (iv_len != IV_BYTES || tag_len != TAG_BYTES) {
		rc = ok_fail_field(err, OK_EINPUT, "response",
		                   "the JWE's iv or tag has a wrong size");
		goto out;
	}
	if ((rc = ecdh(key->ec, epk.pkey, z, err)))
		goto out;
	concat_kdf(z, sizeof(z), json_string_value(json_object_get(h, "enc")), &apu, &apv,
	           key_bytes, cek);
	if (ct.len > (size_t)INT32_MAX) {
		rc = ok_fail_field(err, OK_ETOOBIG, "response", "the JWE's content is too long");
		goto out;
	}
	ctx = EVP_CIPHER_CTX_new();
	if (!ctx || EVP_DecryptInit_ex(ctx, cipher, NULL, NULL, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, IV_BYTES, NULL) != 1 ||
	    EVP_DecryptInit_ex(ctx, NULL, NULL, cek, iv) != 1 ||
	    EVP_DecryptUpdate(ctx, NULL, &outl, (const unsigned char *)part[0], (int)len[0]) != 1) {
		rc = ok_fail(err, OK_ECRYPTO, "the JWE cannot be decrypted");
		goto out;
	}
	{
		unsigned char *dst;
		int fin = 0;

		if (buf_add(out, ct.data, ct.len)) {
			rc = ok_fail_field(err, OK_ETOOBIG, "response",
			                   "the JWE's content is too long");
			goto out;
		}
		dst = (unsigned char *)out->data + out->len - ct.len;
		if (EVP_DecryptUpdate(ctx, dst, &outl, (const unsigned char *)ct.data,
		                      (int)ct.len) != 1 ||
		    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, TAG_BYTES, tag) != 1 ||
		    EVP_DecryptFinal_ex(ctx, dst + outl, &fin) != 1) {
			sodium_memzero(dst, ct.len);
			out->len -= ct.len;
			rc = ok_fail_field(err, OK_EINVALID, "response",
			                   "the JWE does not decrypt with the request's key");
			goto out;
		}
	}
	rc = 0;
out:
	sodium_memzero(z, sizeof(z));
	sodium_memzero(cek, sizeof(cek));
	EVP_CIPHER_CTX_free(ctx);
	jose_jwk_release(&epk);
	json_decref(h);
	buf_release(&hdr);
	buf_release(&apu);
	buf_release(&apv);
	buf_release(&ct);
	return rc;
}

int oid4vp_jwe_encrypt(const void *msg, size_t n, const struct jose_jwk *to, const char *enc,
                       struct buf *out, struct ok_error *err)
{
	struct jose_signer eph = {0};
	struct jose_jwk pub = {0};
	struct buf none, hdr_b64;
	uint8_t z[32], cek[32], iv[IV_BYTES], tag[TAG_BYTES];
	const EVP_CIPHER *cipher;
	EVP_CIPHER_CTX *ctx = NULL;
	size_t key_bytes = 0;
	json_t *h = NULL, *epk = NULL;
	char *htext = NULL;
	unsigned char *ct = NULL;
	int rc, outl = 0, fin = 0;

	buf_init(&none, 1);
	buf_init(&hdr_b64, HEADER_MAX * 2);
	if (!(cipher = cipher_of(enc, &key_bytes)) || to->kty != JOSE_KTY_EC ||
	    n > (size_t)INT32_MAX) {
		rc = ok_fail(err, OK_EINPUT, "encrypting needs a P-256 key and A128GCM or A256GCM");
		goto out;
	}
	if ((rc = jose_signer_es256_generate(&eph, err)) ||
	    (rc = jose_signer_public(&eph, &pub, err)) ||
	    (rc = jose_jwk_to_json(&pub, &epk, err)) || (rc = ecdh(eph.ec, to->pkey, z, err)))
		goto out;
	concat_kdf(z, sizeof(z), enc, &none, &none, key_bytes, cek);
	h = json_pack("{s:s, s:s, s:O}", "alg", "ECDH-ES", "enc", enc, "epk", epk);
	if (!h || !(htext = json_dumps(h, JSON_COMPACT)) || !(ct = malloc(n ? n : 1))) {
		rc = ok_fail(err, OK_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = jose_b64_encode(htext, strlen(htext), &hdr_b64, err)))
		goto out;
	randombytes_buf(iv, sizeof(iv));
	ctx = EVP_CIPHER_CTX_new();
	if (!ctx || EVP_EncryptInit_ex(ctx, cipher, NULL, NULL, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, IV_BYTES, NULL) != 1 ||
	    EVP_EncryptInit_ex(ctx, NULL, NULL, cek, iv) != 1 ||
	    EVP_EncryptUpdate(ctx, NULL, &outl, (const unsigned char *)hdr_b64.data,
	                      (int)hdr_b64.len) != 1 ||
	    EVP_EncryptUpdate(ctx, ct, &outl, msg, (int)n) != 1 ||
	    EVP_EncryptFinal_ex(ctx, ct + outl, &fin) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, TAG_BYTES, tag) != 1) {
		rc = ok_fail(err, OK_ECRYPTO, "encrypting failed");
		goto out;
	}
	if (buf_add(out, hdr_b64.data, hdr_b64.len) || buf_addstr(out, "..") ||
	    (rc = jose_b64_encode(iv, sizeof(iv), out, err)) || buf_addch(out, '.') ||
	    (rc = jose_b64_encode(ct, n, out, err)) || buf_addch(out, '.') ||
	    (rc = jose_b64_encode(tag, sizeof(tag), out, err)))
		rc = rc ? rc : ok_fail(err, OK_ETOOBIG, "the JWE is too long");
out:
	sodium_memzero(z, sizeof(z));
	sodium_memzero(cek, sizeof(cek));
	EVP_CIPHER_CTX_free(ctx);
	free(ct);
	free(htext);
	json_decref(h);
	json_decref(epk);
	jose_jwk_release(&pub);
	jose_signer_release(&eph);
	buf_release(&none);
	buf_release(&hdr_b64);
	return rc;
}
