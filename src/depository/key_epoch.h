/* The key files' change count that every process of a data folder shares (keys.epoch, mapped
 * into memory), so that a depository learns that oorkonde itself changed data.key or
 * issuer.key without a system call per verification or signature.
 *
 * Whoever replaces a key file through oorkonde (keys rotate-data-key, rotate-issuer-key,
 * retire-issuer-key) adds one to the count after the new file is in place and before it returns;
 * depository_keys_refresh reads the count (one atomic load of shared memory) and looks at the
 * files when it moved, so such a change is seen by every verification that starts after the
 * command returned, in any process. A key file changed by other means (put back by hand from a
 * backup) moves no count: depository_keys_refresh looks at the files at least every
 * DEPOSITORY_KEYS_LOOK_MS as well, so that change is seen within that time.
 *
 * A folder whose count cannot be shared (not on a local file system, where another machine's
 * processes would not share the memory; a folder this process may not write) opens none: its
 * depositories look at the files at every refresh, as they did before the count.
 */
#ifndef OK_DEPOSITORY_KEY_EPOCH_H
#define OK_DEPOSITORY_KEY_EPOCH_H

#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"

/* The file in the data folder (0600, one page, the count in its first 8 bytes). */
#define DEPOSITORY_KEY_EPOCH_FILE "keys.epoch"
/* How often a depository looks at the key files when the count did not move. */
#define DEPOSITORY_KEYS_LOOK_MS 100

struct depository_key_epoch {
	uint64_t *count; /* in the shared mapping; NULL when none is open */
};

/* Maps dir's keys.epoch, made when missing. OK_EUNSUPPORTED when the folder cannot share one
 * (the message says why), OK_EIO when the file cannot be made or mapped. */
int depository_key_epoch_open(struct depository_key_epoch *e, const char *dir,
                              struct ok_error *err);
void depository_key_epoch_close(struct depository_key_epoch *e);
/* The count now (0 when none is open). */
uint64_t depository_key_epoch_read(const struct depository_key_epoch *e);
/* Adds one to the count, after a key file was replaced. Nothing when none is open. */
void depository_key_epoch_bump(struct depository_key_epoch *e);

#endif
