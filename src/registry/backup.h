/* Backup and restore of a depository's records (docs/operations.md).
 *
 * A backup folder holds, each 0600 in a 0700 folder:
 *   oorkonde.db        a consistent copy of the store, made while servers and imports write
 *   config.json        the data folder's configuration
 *   audit-checkpoints  the checkpoint file, when the data folder has one
 *   manifest.json      what is in it, when it was made, the schema version, the audit chain's
 *                      head (sequence number and hash) and each file's size and SHA-256;
 *                      written last, so a folder without it is not a finished backup
 * The keys (data.key, issuer.key, issuer.key.retired) are never in it: they are backed up
 * separately, so that a stolen backup opens no sealed field and signs nothing.
 */
#ifndef OK_REGISTRY_BACKUP_H
#define OK_REGISTRY_BACKUP_H

#include <stdint.h>

#include "audit/chain.h"
#include "core/error.h"
#include "depository/depository.h"

struct backup_info {
	char at[32]; /* when it was made, "YYYY-MM-DDTHH:MM:SSZ" */
	int schema_version;
	int64_t audit_seq; /* the last event in the copy (0: none) */
	unsigned char audit_hash[AUDIT_HASH_BYTES];
	int64_t db_bytes;
	bool checkpoints; /* audit-checkpoints is in it */
};

/*
 * Writes a backup of d into dir (made 0700 if missing; OK_EEXIST when it exists and is not
 * empty). Safe while other processes serve and import: the store copy is one snapshot. Call
 * with no transaction open on d's store.
 */
int registry_backup(struct depository *d, const char *dir, struct backup_info *out,
                    struct ok_error *err);

/*
 * Restores the backup in dir into the new data folder data_dir (OK_EEXIST when it exists and is
 * not empty): checks each file against the manifest (OK_EINVALID when one was altered or cut),
 * copies, opens the restored store and walks its audit chain, which must be whole and end at
 * the manifest's head (OK_EINVALID otherwise). On failure nothing of the restore is left in
 * data_dir. The keys must be put back separately before the folder is opened.
 */
int registry_restore(const char *dir, const char *data_dir, struct backup_info *out,
                     struct ok_error *err);

#endif
