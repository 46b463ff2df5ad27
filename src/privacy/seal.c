/* Field sealing (XChaCha20-Poly1305), blind index and keyed digests over libsodium. */
#include "privacy/seal.h"

#include <sodium.h>
#include <string.h>

_Static_assert(sizeof(crypto_generichash_state) <= sizeof(((struct seal_digest *)0)->state),
               "seal_digest state too small");

#define SEAL_VERSION 1
#define SEAL_HEADER  (1 + 4 + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES)

void seal_keys_derive(struct seal_keys *k, const unsigned char data_key[SEAL_KEY_BYTES],
                      uint32_t key_id)
{
	static const char context[crypto_kdf_CONTEXTBYTES] = {'o', 'o', 'r', 'k',
	                                                      'o', 'n', 'd', 'e'};

	k->key_id = key_id;
	crypto_kdf_derive_from_key(k->seal, sizeof(k->seal), 1, context, data_key);
	crypto_kdf_derive_from_key(k->index, sizeof(k->index), 2, context, data_key);
	crypto_kdf_derive_from_key(k->digest, sizeof(k->digest), 3, context, data_key);
}

void seal_keys_release(struct seal_keys *k)
{
	sodium_memzero(k, sizeof(*k));
}

/* Associated data: "field\0record_id". Both are short identifiers, never personal data. */
static int make_ad(const char *field, const char *record_id, unsigned char *ad, size_t cap,
                   size_t *len)
{
	size_t f = strlen(field), r = strlen(record_id);

	if (f + 1 + r > cap)
		return OK_EINPUT;
	memcpy(ad, field, f);
	ad[f] = 0;
	memcpy(ad + f + 1, record_id, r);
	*len = f + 1 + r;
	return 0;
}

int seal_field(const struct seal_keys *k, const char *field, const char *record_id,
               const void *plain, size_t n, struct buf *out, struct ok_error *err)
{
	unsigned char nonce[crypto_aead_xchacha20poly1305_ietf_NPUBBYTES];

	randombytes_buf(nonce, sizeof(nonce));
	return seal_field_nonce(k, nonce, field, record_id, plain, n, out, err);
}

int seal_field_nonce(const struct seal_keys *k, const unsigned char nonce[24], const char *field,
                     const char *record_id, const void *plain, size_t n, struct buf *out,
                     struct ok_error *err)
{
	unsigned char ad[160];
	size_t ad_len;
	unsigned char *p;
	unsigned long long clen;
	int rc;

	if (make_ad(field, record_id, ad, sizeof(ad), &ad_len))
		return ok_fail(err, OK_EINTERNAL, "seal: field or record id too long");
	rc = buf_grow(out, SEAL_OVERHEAD + n);
	if (rc)
		return ok_fail(err, rc, "seal: %s", ok_strerror(rc));
	p = (unsigned char *)out->data + out->len;
	p[0] = SEAL_VERSION;
	p[1] = (unsigned char)(k->key_id >> 24);
	p[2] = (unsigned char)(k->key_id >> 16);
	p[3] = (unsigned char)(k->key_id >> 8);
	p[4] = (unsigned char)k->key_id;
	memcpy(p + 5, nonce, crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
	crypto_aead_xchacha20poly1305_ietf_encrypt(p + SEAL_HEADER, &clen, plain, n, ad, ad_len,
	                                           NULL, p + 5, k->seal);
	out->len += SEAL_HEADER + (size_t)clen;
	out->data[out->len] = '\0';
	return 0;
}

uint32_t seal_key_id_of(const unsigned char *sealed, size_t n)
{
	if (n < SEAL_OVERHEAD || sealed[0] != SEAL_VERSION)
		return 0;
	return (uint32_t)sealed[1] << 24 | (uint32_t)sealed[2] << 16 | (uint32_t)sealed[3] << 8 |
	       (uint32_t)sealed[4];
}

int seal_open(const struct seal_keys *k, const char *field, const char *record_id,
              const unsigned char *sealed, size_t n, struct buf *out, struct ok_error *err)
{
	unsigned char ad[160];
	size_t ad_len;
	unsigned long long plen;
	int rc;

	if (n < SEAL_OVERHEAD || sealed[0] != SEAL_VERSION)
		return ok_fail(err, OK_ECRYPTO, "sealed %s is malformed", field);
	if (seal_key_id_of(sealed, n) != k->key_id)
		return ok_fail(err, OK_ECRYPTO, "sealed %s is under data key %u, not %u", field,
		               seal_key_id_of(sealed, n), k->key_id);
	if (make_ad(field, record_id, ad, sizeof(ad), &ad_len))
		return ok_fail(err, OK_EINTERNAL, "seal: field or record id too long");
	rc = buf_grow(out, n - SEAL_OVERHEAD);
	if (rc)
		return ok_fail(err, rc, "open: %s", ok_strerror(rc));
	if (crypto_aead_xchacha20poly1305_ietf_decrypt((unsigned char *)out->data + out->len, &plen,
	                                               NULL, sealed + SEAL_HEADER, n - SEAL_HEADER,
	                                               ad, ad_len, sealed + 5, k->seal) != 0)
		return ok_fail(err, OK_ECRYPTO,
		               "sealed %s does not open: altered, moved or under another key",
		               field);
	out->len += (size_t)plen;
	out->data[out->len] = '\0';
	return 0;
}

void seal_blind_index(const struct seal_keys *k, const char *national_id,
                      unsigned char out[SEAL_INDEX_BYTES])
{
	crypto_generichash(out, SEAL_INDEX_BYTES, (const unsigned char *)national_id,
	                   strlen(national_id), k->index, sizeof(k->index));
}

void seal_digest_init(struct seal_digest *d, const struct seal_keys *k)
{
	crypto_generichash_init((crypto_generichash_state *)(void *)d->state, k->digest,
	                        sizeof(k->digest), SEAL_DIGEST_BYTES);
}

void seal_digest_add(struct seal_digest *d, const void *data, size_t n)
{
	unsigned char len[8];
	size_t i;

	for (i = 0; i < 8; i++)
		len[i] = (unsigned char)((uint64_t)n >> (8 * i));
	crypto_generichash_update((crypto_generichash_state *)(void *)d->state, len, sizeof(len));
	crypto_generichash_update((crypto_generichash_state *)(void *)d->state, data, n);
}

void seal_digest_add_str(struct seal_digest *d, const char *s)
{
	seal_digest_add(d, s, strlen(s));
}

void seal_digest_final(struct seal_digest *d, unsigned char out[SEAL_DIGEST_BYTES])
{
	crypto_generichash_final((crypto_generichash_state *)(void *)d->state, out,
	                         SEAL_DIGEST_BYTES);
	sodium_memzero(d, sizeof(*d));
}

void seal_digest_init_plain(struct seal_digest *d)
{
	crypto_generichash_init((crypto_generichash_state *)(void *)d->state, NULL, 0,
	                        SEAL_DIGEST_BYTES);
}

void seal_keyring_init(struct seal_keyring *r)
{
	memset(r, 0, sizeof(*r));
}

int seal_keyring_add(struct seal_keyring *r, const unsigned char data_key[SEAL_KEY_BYTES],
                     uint32_t key_id, struct ok_error *err)
{
	if (seal_keyring_find(r, key_id))
		return ok_fail(err, OK_EEXIST, "data key %lu is there twice",
		               (unsigned long)key_id);
	if (r->count == SEAL_KEYRING_MAX)
		return ok_fail(err, OK_ELIMIT, "more than %d data keys", SEAL_KEYRING_MAX);
	seal_keys_derive(&r->keys[r->count++], data_key, key_id);
	return 0;
}

const struct seal_keys *seal_keyring_current(const struct seal_keyring *r)
{
	return r->count ? &r->keys[r->count - 1] : NULL;
}

const struct seal_keys *seal_keyring_find(const struct seal_keyring *r, uint32_t key_id)
{
	size_t i;

	for (i = 0; i < r->count; i++)
		if (r->keys[i].key_id == key_id)
			return &r->keys[i];
	return NULL;
}

void seal_keyring_release(struct seal_keyring *r)
{
	sodium_memzero(r, sizeof(*r));
}

int seal_open_ring(const struct seal_keyring *r, const char *field, const char *record_id,
                   const unsigned char *sealed, size_t n, struct buf *out, struct ok_error *err)
{
	uint32_t id = seal_key_id_of(sealed, n);
	const struct seal_keys *k;

	if (id == 0)
		return ok_fail(err, OK_ECRYPTO, "sealed %s is malformed", field);
	k = seal_keyring_find(r, id);
	if (!k)
		return ok_fail(err, OK_ECRYPTO,
		               "sealed %s is under data key %lu, which the key file does not hold "
		               "(an old or wrong data.key?)",
		               field, (unsigned long)id);
	return seal_open(k, field, record_id, sealed, n, out, err);
}
