/* Key rotation (issue 6): the data key that seals personal fields, and the issuer's signing keys.
 *
 * Data key. `rotate-data-key` adds a new key to data.key (it becomes current: new records are
 * sealed under it at once) and re-seals every learner and every foreign credential sealed under
 * an older key, a batch per transaction, online (a server on the same folder reads both keys
 * meanwhile and picks the new one up on its own). The blind index and the learner's keyed digest
 * derive from the data key too, so they are recomputed with the fields. Progress is kept in the
 * store in the same transaction as each batch, so a rotation killed at any point resumes where
 * it stopped. When nothing is left under an older key, the older keys are removed from data.key
 * (new file, fsync, rename): they no longer open anything.
 *
 * Issuer keys. `rotate-issuer-key` appends a new Ed25519 key to issuer.key: it signs from then
 * on, and the DID document lists every key of the file, so credentials signed with an older one
 * keep verifying. `retire-issuer-key` removes an older key from the file (and so from the DID
 * document) and lists its public key in issuer.key.retired beside it; credentials signed with
 * it then fail the proof check, saying it was retired, and audit checkpoints it signed still
 * verify. What is trusted as a retired key comes from that file only, never from the
 * database's key history (whoever alters the audit log can write that too).
 *
 * Invariants:
 * - One rotation or retirement runs at a time per data folder (a lock file, keys.lock).
 * - A learner's sealed fields, blind index and digest are all under the key its key_id names.
 * - Every step is an audit event (actor "operator", purpose "key-management").
 */
#ifndef OK_REGISTRY_ROTATION_H
#define OK_REGISTRY_ROTATION_H

#include <stdbool.h>

#include "depository/depository.h"
#include "store/keys.h"
#include "vc/multibase.h"

#define KEYS_DEFAULT_BATCH 500
#define KEYS_MAX_BATCH     100000

/* Where a data-key rotation stands. */
struct keys_progress {
	uint32_t to_key;
	int64_t done;   /* records re-sealed */
	int64_t total;  /* records that were under older keys */
	bool finished;  /* nothing left under an older key, older keys removed from data.key */
	bool resumed;   /* this run continued a rotation started before */
	size_t batches; /* committed by this run */
};

struct keys_rotate_options {
	size_t batch;       /* records per transaction (0: KEYS_DEFAULT_BATCH) */
	size_t max_batches; /* stop after this many batches, to go on later (0: no limit) */
	/* Called after every committed batch (may be NULL). */
	void (*on_batch)(void *ctx, const struct keys_progress *p);
	void *ctx;
};

/*
 * Rotates the data key, or resumes the rotation that was interrupted. Returns 0 with *out when
 * the rotation finished or max_batches were done (out->finished tells which). OK_EBUSY when
 * another rotation holds the lock; store errors leave the committed batches in place (run it
 * again to go on).
 */
int registry_keys_rotate_data(struct depository *d, const struct keys_rotate_options *o,
                              struct keys_progress *out, struct ok_error *err);

/* The last data-key rotation (OK_ENOTFOUND when there was none): progress as above. */
int registry_keys_data_progress(struct depository *d, struct keys_progress *out,
                                struct ok_error *err);

/* How many records one data key seals. */
struct keys_data_count {
	uint32_t key_id;
	int64_t learners;
	int64_t foreign; /* foreign credentials */
	bool in_file;    /* data.key holds it (else its records cannot be opened) */
	bool current;
};
typedef int (*keys_data_count_fn)(void *ctx, const struct keys_data_count *c);

/* Calls fn, by key id, for each key of data.key and each key that seals records. */
int registry_keys_data_counts(struct depository *d, keys_data_count_fn fn, void *ctx,
                              struct ok_error *err);

/*
 * Adds a new signing key to issuer.key; it signs from now on. *key_id gets its id.
 * OK_EUNSUPPORTED for a did:key depository (its DID is its one key: configure a host first).
 */
int registry_keys_rotate_issuer(struct depository *d, uint32_t *key_id, struct ok_error *err);

/*
 * Removes issuer key key_id from issuer.key and so from the DID document. Refuses the current
 * key (OK_ECONFLICT), and, unless force, a key that signed credentials of achievements that
 * are not revoked (OK_ECONFLICT, *active gets how many): those stop verifying. *active (may be
 * NULL) gets that number in every case.
 */
int registry_keys_retire_issuer(struct depository *d, uint32_t key_id, bool force, int64_t *active,
                                struct ok_error *err);

/* The issuer key history: every key of issuer.key and every retired one, by id. Keys of the
 * file the store does not know yet are listed (and recorded) with added_ms 0. */
int registry_keys_issuer_list(struct depository *d, store_issuer_key_fn fn, void *ctx,
                              struct ok_error *err);

/*
 * Whether pk was issuer key key_id of this depository: in issuer.key now, or retired (listed in
 * issuer.key.retired; a signature made before retirement, e.g. an audit checkpoint, is still
 * ours). *retired_ms (may be NULL) gets when it was retired, 0 when it is in issuer.key.
 */
bool registry_keys_issuer_known(struct depository *d, uint32_t key_id, const unsigned char pk[32],
                                int64_t *retired_ms);

/* When vm is a "DID#key-N" of this depository whose key was retired (issuer.key.retired lists
 * it): 0 with *retired_ms; OK_ENOTFOUND otherwise. */
int registry_keys_retired_vm(struct depository *d, const char *vm, int64_t *retired_ms);

/* Parses "N", "key-N" or "DID#key-N" into a key id; OK_EINPUT (field "key") otherwise. */
int registry_keys_parse_id(const char *text, uint32_t *key_id, struct ok_error *err);

/* What the operator is shown (rotation_view.c). */

/* As registry_keys_rotate_issuer; vm gets the new key's verification method (DID#key-N). */
int registry_keys_rotate_issuer_vm(struct depository *d, uint32_t *key_id, char vm[256],
                                   struct ok_error *err);

/* One issuer key of the history, with what is derived from it. */
struct keys_issuer_entry {
	struct store_issuer_key key;
	char vm[256]; /* DID#key-N; key-N once retired or when it has no DID URL */
	char multikey[VC_MULTIKEY_MAX]; /* its public key as a Multikey; "" if it cannot be one */
	bool current;                   /* it signs now */
};

/* Where the keys stand: data keys and what each seals, the last data-key rotation, the
 * issuer's keys. Owns its arrays: release with keys_status_release(). */
struct keys_status {
	struct keys_data_count *data;
	size_t data_count;
	bool rotated; /* there was a data-key rotation: rotation says where it stands */
	struct keys_progress rotation;
	struct keys_issuer_entry *issuer;
	size_t issuer_count;
	char did[256]; /* the depository's DID */
};

int registry_keys_status(struct depository *d, struct keys_status *out, struct ok_error *err);
void keys_status_release(struct keys_status *s);

#endif
