/* Signed checkpoints of the audit chain. Every N events (config audit_checkpoint_every, default
 * 10,000), at the server's shutdown and by hand, the chain head (sequence number, head hash,
 * time, and N itself) is signed with the issuer key and kept twice: in the store's checkpoint
 * table, written in the same transaction as the event it signs, and as one line of the append-only
 * file `audit-checkpoints` in the data folder, appended once that transaction has committed.
 * Cutting off the tail of the audit table, even with the checkpoint rows, leaves the file's lines
 * pointing past the end of the log; deleting the periodic checkpoints after the cut too leaves
 * a multiple of the signed N without its checkpoint (see audit_log_verify). A cut just
 * after a checkpoint, before the next multiple of N, with every later checkpoint deleted, can
 * only be told by a copy of the latest checkpoint line kept off the machine.
 *
 * Invariants: the file holds only committed checkpoints, in sequence order, one line each
 * (audit/chain.h's format); lines are only ever appended (O_APPEND, fsync), under an
 * exclusive flock between writers; readers take no lock, so a slow reader never holds up an
 * append.
 */
#ifndef OK_AUDIT_CHECKPOINT_H
#define OK_AUDIT_CHECKPOINT_H

#include <stdbool.h>
#include <stddef.h>

#include "audit/chain.h"
#include "keys/keyfile.h"
#include "depository/depository.h"

/* config.json audit_checkpoint_every, read by depository_open into d->audit_checkpoint_every
 * (absent: the default; 0: checkpoints only at shutdown and by hand). */
#define CHECKPOINT_EVERY_DEFAULT DEPOSITORY_CHECKPOINT_EVERY_DEFAULT
#define CHECKPOINT_EVERY_MAX     DEPOSITORY_CHECKPOINT_EVERY_MAX
#define CHECKPOINT_FILE          "audit-checkpoints"

/*
 * Called by audit_txn_event right after it appended e, inside the same transaction: when
 * e->seq is a multiple of d->audit_checkpoint_every, or when the last checkpoint signed another
 * interval than d's (the setting changed: the new one is signed from this event on), signs e's
 * hash and records the checkpoint in the store (to be filed by audit_checkpoints_flush once
 * committed). A checkpoint that exists for
 * that sequence number already (a log cut and grown again) is left as it is, for verify to
 * report.
 */
int audit_checkpoints_after_append(struct depository *d, const struct audit_event *e,
                                   struct ok_error *err);

/*
 * Appends to the file every checkpoint of the store that it lacks, when this depository made
 * one that is not filed yet. Does nothing inside a transaction (the checkpoint may still be
 * rolled back). On failure the checkpoint stays waiting for the next flush. A depository that
 * made a checkpoint flushes once more as it closes (d->before_close), best effort: a
 * checkpoint made in a batch that committed since is filed then.
 */
int audit_checkpoints_flush(struct depository *d, struct ok_error *err);

/*
 * Signs the current chain head in a transaction of its own and files it. *made is false when
 * the head has a checkpoint already (out then holds that one). OK_ENOTFOUND when the log is
 * empty; OK_ECONFLICT when a checkpoint lies beyond the head (the log was cut: run verify).
 */
int audit_checkpoints_make(struct depository *d, struct audit_checkpoint *out, bool *made,
                           struct ok_error *err);

/* Called for each line of the file (line numbers from 1); non-zero stops the reading. */
typedef int (*audit_checkpoint_line_fn)(void *ctx, size_t line, const struct audit_checkpoint *c);

/* Reads the file; a malformed line is OK_EINPUT naming the file and line. A missing file
 * holds no checkpoints. */
int audit_checkpoints_file_read(struct depository *d, audit_checkpoint_line_fn fn, void *ctx,
                                struct ok_error *err);

/* The public keys a checkpoint may be signed with: every key of issuer.key (the current one
 * and those not yet retired), and the keys retired since, from issuer.key.retired beside it
 * (keys/keyfile.h). Both files live outside the database. */
struct audit_checkpoint_keys {
	size_t count;
	struct {
		uint32_t id;
		unsigned char public_key[AUDIT_KEY_BYTES];
	} keys[16];
	struct keyfile_retired retired;
};

/* Reads the public keys of issuer.key (derived from its seeds, which are wiped again) and of
 * issuer.key.retired. */
int audit_checkpoints_keys_load(const struct depository *d, struct audit_checkpoint_keys *out,
                                struct ok_error *err);

/*
 * Whether c carries a valid signature by one of the depository's issuer keys: a key of
 * issuer.key, or one retired since that issuer.key.retired lists under c's key id. The store's
 * issuer-key history is never consulted: a row of the database (which someone altering the log
 * can write) must not make a signature trusted.
 */
bool audit_checkpoints_trusted(struct depository *d, const struct audit_checkpoint_keys *k,
                               const struct audit_checkpoint *c);

#endif
