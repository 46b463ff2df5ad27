/* Key files of the data folder: one key per line as "ID HEX", the last line is the current key.
 * Files are created with mode 0600 and written atomically (temporary file, fsync, rename, and
 * a sync of the folder).
 *
 * Invariants: ids are 1..2^32-1 and unique within a file; a file holds 1..KEYFILE_MAX_KEYS keys;
 * a struct keyfile_keys holds secrets and is wiped by keyfile_keys_release(). */
#ifndef OK_KEYS_KEYFILE_H
#define OK_KEYS_KEYFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

/* Creates path holding one new random 32-byte key with id 1; OK_EEXIST if path exists. */
int keyfile_create(const char *path, struct ok_error *err);

/* Reads the current (last) key of path. */
int keyfile_read(const char *path, uint32_t *id, unsigned char key[32], struct ok_error *err);

#define KEYFILE_MAX_KEYS 16

struct keyfile_keys {
	size_t count;
	struct {
		uint32_t id;
		unsigned char key[32];
	} keys[KEYFILE_MAX_KEYS]; /* in file order: keys[count - 1] is the current key */
};

/* What identifies one version of a file on disk (a rename makes a new one). */
struct keyfile_stamp {
	uint64_t dev, ino, size;
	int64_t mtime_s, mtime_ns;
};

/* Reads every key of path (0600 or stricter); stamp (may be NULL) gets the version read. */
int keyfile_read_all(const char *path, struct keyfile_keys *out, struct keyfile_stamp *stamp,
                     struct ok_error *err);
/* Replaces path atomically by the keys of k, in order (mode 0600, fsynced, folder synced). */
int keyfile_write_all(const char *path, const struct keyfile_keys *k, struct ok_error *err);
/* Appends a new random key as the current key of k, with an id above every id of k and above
 * used_max (the highest id ever used, 0 when unknown); *id gets its id. */
int keyfile_keys_add_random(struct keyfile_keys *k, uint32_t used_max, uint32_t *id,
                            struct ok_error *err);
/* Removes key id from k; OK_ENOTFOUND when k does not hold it. */
int keyfile_keys_remove(struct keyfile_keys *k, uint32_t id, struct ok_error *err);
void keyfile_keys_release(struct keyfile_keys *k);

/* The stamp of path now; false when it cannot be looked at. */
bool keyfile_stamp_of(const char *path, struct keyfile_stamp *out);
bool keyfile_stamp_equal(const struct keyfile_stamp *a, const struct keyfile_stamp *b);

/* Writes data to path atomically with exactly the given mode (a new temporary file PATH.tmp,
 * made afresh even if one is left over or is a symlink, fsynced, renamed over path, and the
 * folder synced); OK_EEXIST if exclusive and path exists. */
int file_write_atomic(const char *path, const void *data, size_t n, unsigned mode, int exclusive,
                      struct ok_error *err);

/*
 * Retired issuer keys: the public keys (never the seeds) of the keys removed from issuer.key,
 * in a file of their own beside it, issuer.key.retired, one "ID PUBLIC_KEY_HEX RETIRED_MS" line
 * each (mode 0600, written atomically). It is the trust anchor for signatures the depository
 * made with a key it retired since (audit checkpoints), and the database's key history is not:
 * whoever can edit the database must not be able to add a "retired" key of their own.
 */
#define KEYFILE_RETIRED_MAX 256

struct keyfile_retired_key {
	uint32_t id;
	unsigned char public_key[32];
	int64_t retired_ms;
};

struct keyfile_retired {
	size_t count;
	struct keyfile_retired_key keys[KEYFILE_RETIRED_MAX]; /* in file order */
};

/* Reads path; a missing file holds no keys. OK_EAUTH when others may write it, OK_EINPUT
 * (located) for a malformed line or an id listed twice. */
int keyfile_retired_read(const char *path, struct keyfile_retired *out, struct ok_error *err);
/* Appends key id (public key pk, retired at retired_ms) to path, creating it. Already listed
 * with the same public key: nothing to do; with another: OK_ECONFLICT. */
int keyfile_retired_add(const char *path, uint32_t id, const unsigned char pk[32],
                        int64_t retired_ms, struct ok_error *err);
/* The entry of r for key id with public key pk, or NULL. */
const struct keyfile_retired_key *keyfile_retired_find(const struct keyfile_retired *r, uint32_t id,
                                                       const unsigned char pk[32]);

#endif
