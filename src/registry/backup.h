/* Backup and restore of a depository's records (docs/operations.md).
 *
 * A backup folder holds, each 0600 in a 0700 folder:
 *   oorkonde.db        a consistent copy of the store, made while servers and imports write
 *   config.json        the data folder's configuration
 *   audit-checkpoints  the checkpoint file, when the data folder has one
 *   manifest.json      what is in it, when it was made, the schema version, the audit chain's
 *                      head (sequence number and hash) and each file's size and SHA-256,
 *                      signed with the issuer key (Ed25519, over backup_manifest_canonical);
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
	uint32_t key_id;  /* the issuer key that signed the manifest */
	/* Restore only. verified: the manifest's signature, the audit log up to the signed head
	 * and every checkpoint held against the issuer keys given with --keys. */
	bool verified;
	int64_t checkpoints_verified;
	/* Restore with keys only: the newest checkpoint, signed by the depository's issuer keys,
	 * of KEYDIR/audit-checkpoints (0: none there). Newer than audit_seq means the backup is
	 * older than the depository was then (a rollback, if not meant). */
	int64_t newest_seq;
	int64_t newest_at_ms;
	/* The restored config.json's settings that decide whom the depository trusts and what
	 * it claims to be, printable ("" when unset; did_web_http_hosts comma-separated). */
	char host[256];
	char base_url[256];
	char network_did[256];
	char did_web_http_hosts[512];
};

/* What a manifest says, as backup_manifest_parse reads it. */
enum { BACKUP_FILE_DB, BACKUP_FILE_CONFIG, BACKUP_FILE_CHECKPOINTS, BACKUP_FILES };
struct backup_manifest {
	struct backup_info info;
	struct {
		bool listed;
		int64_t bytes;
		unsigned char sha256[32];
	} files[BACKUP_FILES];
	bool is_signed;
	unsigned char signature[64]; /* Ed25519 by issuer key info.key_id */
};

/*
 * Reads a manifest from text (n bytes, need not end in a NUL): OK_EINVALID when it is not one
 * (what is wrong named), OK_EUNSUPPORTED for another version or a store other than SQLite.
 * Strings of it that are printed (the time) hold no control characters.
 */
int backup_manifest_parse(const char *text, size_t n, struct backup_manifest *m,
                          struct ok_error *err);

/* The text the manifest's signature covers (format, time, store, schema version, audit head,
 * and each file's name, size and SHA-256, one per line), into out; its length, or 0 when cap
 * is too small. */
size_t backup_manifest_canonical(const struct backup_manifest *m, char *out, size_t cap);

/*
 * Writes a backup of d into dir (made 0700 if missing; OK_EEXIST when it exists and is not
 * empty). Safe while other processes serve and import: the store copy is one snapshot. Call
 * with no transaction open on d's store.
 */
int registry_backup(struct depository *d, const char *dir, struct backup_info *out,
                    struct ok_error *err);

/* What a restore is about to copy, told before the first byte of the backup is copied (after
 * the signature check with keys, and once the free space was found to suffice). */
struct restore_plan {
	int64_t bytes;        /* the backup's files together, as the manifest lists them */
	int64_t free_bytes;   /* free for this user in the file system of the data folder */
	bool verified;        /* the manifest's signature held (keys given) */
	size_t stale;         /* DATADIR.restoring-* folders beside it, left by stopped restores */
	char stale_name[256]; /* the path of one of them, printable ("" when none) */
};
typedef void (*restore_plan_fn)(void *ctx, const struct restore_plan *plan);

/*
 * Restores the backup in dir into the new data folder data_dir (OK_EEXIST when it exists and is
 * not empty), all of it first in a fresh sibling folder data_dir.restoring-XXXXXX that is
 * renamed onto data_dir once every check passed: each file is a regular file of the size and
 * SHA-256 the manifest lists, the database's schema is exactly this program's and SQLite finds
 * it whole (store/sqlite_copy.h), config.json is valid, and the audit chain is whole up to the
 * manifest's head (OK_EINVALID otherwise). With keys_dir, its data.key, issuer.key and
 * issuer.key.retired are copied in too, and the manifest's signature and every audit
 * checkpoint must hold against those issuer keys (OK_EAUTH otherwise); without it (NULL) the
 * authenticity of the backup is not checked at all. Bounds on what is copied, checked before
 * the first byte: the manifest's sizes must fit in the free space (OK_EDISKFULL), and a file of
 * the backup with holes (far fewer blocks than its size) is refused (OK_EINVALID), since it
 * would be written out whole. plan_fn (may be NULL) is told the size before the copy. On
 * failure data_dir is untouched and the staging folder removed; after a crash only the staging
 * folder is left, which nothing opens, and the next restore beside it names it (plan->stale).
 */
int registry_restore(const char *dir, const char *data_dir, const char *keys_dir,
                     restore_plan_fn plan_fn, void *ctx, struct backup_info *out,
                     struct ok_error *err);

#endif
