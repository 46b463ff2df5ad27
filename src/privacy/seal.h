/* Sealing of personal fields at rest and the blind index that finds a learner by national id.
 *
 * Invariants:
 * - A sealed field is: version byte 1, 4-byte key id (big endian), 24-byte nonce, then the
 *   XChaCha20-Poly1305 ciphertext with its 16-byte tag. Its associated data binds it to a field
 *   name and a record id, so a sealed value cannot be moved to another field or record unnoticed.
 * - The three keys of struct seal_keys are derived from one 32-byte data key and never leave it;
 *   seal_keys_release() wipes them. A data-key rotation therefore changes the blind index and
 *   the keyed digests too: they are recomputed with the sealed fields (registry/rotation.h).
 * - A keyring holds every data key a depository has (two while a rotation runs), by id; the
 *   last one added is the current one, which seals. A value is opened with the key its header
 *   names.
 * - Callers must have called sodium_init().
 */
#ifndef OK_PRIVACY_SEAL_H
#define OK_PRIVACY_SEAL_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/error.h"

#define SEAL_KEY_BYTES    32
#define SEAL_INDEX_BYTES  32
#define SEAL_DIGEST_BYTES 32
#define SEAL_OVERHEAD     (1 + 4 + 24 + 16)

struct seal_keys {
	uint32_t key_id;
	unsigned char seal[SEAL_KEY_BYTES];   /* XChaCha20-Poly1305 */
	unsigned char index[SEAL_KEY_BYTES];  /* keyed BLAKE2b: blind index */
	unsigned char digest[SEAL_KEY_BYTES]; /* keyed BLAKE2b: change detection */
};

/* Derives the keys from a data key. */
void seal_keys_derive(struct seal_keys *k, const unsigned char data_key[SEAL_KEY_BYTES],
                      uint32_t key_id);
void seal_keys_release(struct seal_keys *k);

/* Appends the sealed form of plain[0..n) to out. */
int seal_field(const struct seal_keys *k, const char *field, const char *record_id,
               const void *plain, size_t n, struct buf *out, struct ok_error *err);
/* The same with a nonce of the caller's: 24 random bytes never used before under this key
 * (for callers that draw random bytes in bulk). */
int seal_field_nonce(const struct seal_keys *k, const unsigned char nonce[24], const char *field,
                     const char *record_id, const void *plain, size_t n, struct buf *out,
                     struct ok_error *err);

/*
 * Appends the opened plaintext of sealed[0..n) to out. OK_ECRYPTO when the value was altered,
 * moved, or sealed under another key.
 */
int seal_open(const struct seal_keys *k, const char *field, const char *record_id,
              const unsigned char *sealed, size_t n, struct buf *out, struct ok_error *err);

/* The key id a sealed value was made under, or 0 when it is not a sealed value. */
uint32_t seal_key_id_of(const unsigned char *sealed, size_t n);

/* The blind index of a normalised national id: keyed BLAKE2b-256. */
void seal_blind_index(const struct seal_keys *k, const char *national_id,
                      unsigned char out[SEAL_INDEX_BYTES]);

/*
 * Incremental keyed digest for change detection: feed fields with seal_digest_add (each is
 * length-prefixed, so ("ab","c") and ("a","bc") differ), then seal_digest_final.
 */
struct seal_digest {
	unsigned char state[384]; /* crypto_generichash_state, kept opaque and aligned */
} __attribute__((aligned(64)));
void seal_digest_init(struct seal_digest *d, const struct seal_keys *k);
void seal_digest_add(struct seal_digest *d, const void *data, size_t n);
void seal_digest_add_str(struct seal_digest *d, const char *s);
void seal_digest_final(struct seal_digest *d, unsigned char out[SEAL_DIGEST_BYTES]);
/* A digest of values that are not secret (kept in clear beside it): BLAKE2b-256 without a key,
 * so it does not change when the data key does. Feed and finish it as above. */
void seal_digest_init_plain(struct seal_digest *d);

/* Keyrings */

#define SEAL_KEYRING_MAX 8

struct seal_keyring {
	size_t count;
	struct seal_keys keys[SEAL_KEYRING_MAX]; /* keys[count - 1] is the current one */
};

void seal_keyring_init(struct seal_keyring *r);
/* Adds the keys derived from data_key as the new current one; OK_EEXIST when key_id is there
 * already, OK_ELIMIT when the ring is full. */
int seal_keyring_add(struct seal_keyring *r, const unsigned char data_key[SEAL_KEY_BYTES],
                     uint32_t key_id, struct ok_error *err);
/* The current key, or NULL when the ring is empty. */
const struct seal_keys *seal_keyring_current(const struct seal_keyring *r);
/* The key with id key_id, or NULL. */
const struct seal_keys *seal_keyring_find(const struct seal_keyring *r, uint32_t key_id);
/* Wipes every key. */
void seal_keyring_release(struct seal_keyring *r);
/*
 * seal_open with the ring's key that the value's header names. OK_ECRYPTO when the ring does
 * not hold that key (the message says which key is missing, never the value).
 */
int seal_open_ring(const struct seal_keyring *r, const char *field, const char *record_id,
                   const unsigned char *sealed, size_t n, struct buf *out, struct ok_error *err);

#endif
