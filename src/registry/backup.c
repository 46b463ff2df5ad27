/* Backup and restore of a depository's records: the store's online copy, the configuration and
 * the checkpoint file, described by a manifest that the restore checks everything against. */
#include "registry/backup.h"

#include "audit/checkpoint.h"
#include "audit/log.h"
#include "core/buf.h"
#include "core/clock.h"
#include "keys/keyfile.h"
#include "ok_version.h"
#include "store/sqlite_copy.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <sodium.h>
#include <string.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#define MANIFEST_FORMAT  "oorkonde-backup"
#define MANIFEST_VERSION 1
#define DB_NAME          "oorkonde.db"
#define CONFIG_NAME      "config.json"
#define CHECKPOINTS_NAME "audit-checkpoints"
#define MANIFEST_NAME    "manifest.json"
#define PATH_MAX_BYTES   4096
#define HASH_HEX         (crypto_hash_sha256_BYTES * 2 + 1)
/* A manifest is a few hundred bytes; anything much larger is not one. */
#define MANIFEST_MAX      65536
#define CANONICAL_MAX     2048
#define PG_BACKUP_SECTION "docs/operations.md, \"Backup and restore on PostgreSQL\""
/* A backup's file counts as sparse (holes) when fewer than 1/SPARSE_RATIO of its bytes have
 * blocks; small files are left alone, as a file system may keep them inline. */
#define SPARSE_MIN_BYTES ((int64_t)1 << 20)
#define SPARSE_RATIO     8
/* Beyond the files' bytes, room the restore's checks need (SQLite's WAL when it opens the
 * copy). */
#define RESTORE_SLACK_BYTES ((int64_t)16 << 20)

/* The files a backup may hold besides its manifest, by enum of backup.h; the database and
 * configuration always. */
static const char *const backup_files[BACKUP_FILES] = {DB_NAME, CONFIG_NAME, CHECKPOINTS_NAME};
/* What a failed backup or restore removes again: the files above, the manifest, and what SQLite
 * and the copy made. */
static const char *const leftovers[] = {DB_NAME,
                                        DB_NAME "-wal",
                                        DB_NAME "-shm",
                                        DB_NAME "-journal",
                                        DB_NAME ".tmp",
                                        CONFIG_NAME,
                                        CONFIG_NAME ".tmp",
                                        CHECKPOINTS_NAME,
                                        CHECKPOINTS_NAME ".tmp",
                                        MANIFEST_NAME,
                                        MANIFEST_NAME ".tmp"};

/* dir/name into p (reset first). */
static int path_in(struct buf *p, const char *dir, const char *name, struct ok_error *err)
{
	buf_reset(p);
	if (buf_addf(p, "%s/%s", dir, name) != 0)
		return ok_fail(err, OK_EINPUT, "path too long: %s", dir);
	return 0;
}

static bool folder_is_empty(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	bool empty = true;

	if (!d)
		return false;
	while (empty && (e = readdir(d)))
		empty = strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0;
	closedir(d);
	return empty;
}

/* An existing folder made private (0700) by fd: never through a symlink, never one of another
 * owner. */
static int folder_protect(const char *dir, struct ok_error *err)
{
	struct stat st;
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), rc = 0;

	if (fd < 0)
		return ok_fail(err, OK_EIO, "cannot use %s: %s (a symlink is not taken)", dir,
		               strerror(errno));
	if (fstat(fd, &st) != 0 || st.st_uid != geteuid())
		rc = ok_fail(err, OK_EAUTH, "%s belongs to another user", dir);
	else if (fchmod(fd, 0700) != 0)
		rc = ok_fail(err, OK_EIO, "cannot protect %s: %s", dir, strerror(errno));
	close(fd);
	return rc;
}

/* Makes dir (0700), or takes it when it exists and is empty; *made tells which. */
static int folder_new(const char *dir, const char *what, bool *made, struct ok_error *err)
{
	*made = false;
	if (mkdir(dir, 0700) == 0) {
		*made = true;
		return 0;
	}
	if (errno != EEXIST)
		return ok_fail(err, OK_EIO, "cannot create %s: %s", dir, strerror(errno));
	if (!folder_is_empty(dir))
		return ok_fail(err, OK_EEXIST,
		               "%s already exists and is not empty; %s only into a new or empty "
		               "folder",
		               dir, what);
	return folder_protect(dir, err);
}

/*
 * Copies src_name (relative to src_dir, or a path with AT_FDCWD) to dst_name likewise (through
 * dst_name.tmp, 0600, fsynced, then linked: dst must not exist) and returns the SHA-256 and
 * size of what was copied. The source must be a regular file (never a symlink, a FIFO or a
 * device, which could hang or never end) and, when want_bytes >= 0, of that size before a
 * byte is copied (OK_EINVALID). OK_ENOTFOUND when src does not exist.
 */
static int copy_file(int src_dir, const char *src_name, int dst_dir, const char *dst_name,
                     int64_t want_bytes, unsigned char hash[crypto_hash_sha256_BYTES],
                     int64_t *bytes, struct ok_error *err)
{
	crypto_hash_sha256_state h;
	struct buf tmp;
	struct stat st;
	unsigned char chunk[65536];
	int in = -1, out = -1, rc = 0;
	ssize_t n;

	*bytes = 0;
	buf_init(&tmp, PATH_MAX_BYTES);
	if (buf_addf(&tmp, "%s.tmp", dst_name) != 0) {
		rc = ok_fail(err, OK_EINPUT, "path too long: %s", dst_name);
		goto out;
	}
	in = openat(src_dir, src_name, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
	if (in < 0) {
		rc = ok_fail(err,
		             errno == ENOENT  ? OK_ENOTFOUND
		             : errno == ELOOP ? OK_EINVALID
		                              : OK_EIO,
		             "cannot read %s: %s", src_name,
		             errno == ELOOP ? "it is a symlink" : strerror(errno));
		goto out;
	}
	if (fstat(in, &st) != 0 || !S_ISREG(st.st_mode)) {
		rc = ok_fail(err, OK_EINVALID, "%s is not a regular file", src_name);
		goto out;
	}
	if (want_bytes >= 0 && st.st_size != want_bytes) {
		rc = ok_fail(err, OK_EINVALID,
		             "%s has %lld bytes, the manifest says %lld: it was altered or cut "
		             "since the backup was made",
		             src_name, (long long)st.st_size, (long long)want_bytes);
		goto out;
	}
	/* Holes would be written out whole: a few kilobytes of disk that say they are gigabytes
	 * would fill the data folder's disk. SQLite's files and ours have none. */
	if (want_bytes >= SPARSE_MIN_BYTES &&
	    (int64_t)st.st_blocks * 512 < want_bytes / SPARSE_RATIO) {
		rc = ok_fail(err, OK_EINVALID,
		             "%s has %lld bytes but only %lld on disk (a file with holes): it "
		             "was not written by oorkonde backup, or a compressing file system "
		             "holds it (copy the backup elsewhere first)",
		             src_name, (long long)want_bytes, (long long)st.st_blocks * 512);
		goto out;
	}
	out = openat(dst_dir, tmp.data, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (out < 0) {
		rc = ok_fail(err, OK_EIO, "cannot create %s: %s", tmp.data, strerror(errno));
		goto out;
	}
	crypto_hash_sha256_init(&h);
	while ((n = read(in, chunk, sizeof(chunk))) != 0) {
		unsigned char *p = chunk;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = ok_fail(err, OK_EIO, "cannot read %s: %s", src_name, strerror(errno));
			goto out;
		}
		crypto_hash_sha256_update(&h, chunk, (unsigned long long)n);
		*bytes += n;
		/* A file that grows while it is read is not the one the manifest lists. */
		if (want_bytes >= 0 && *bytes > want_bytes) {
			rc = ok_fail(err, OK_EINVALID, "%s grew while it was read", src_name);
			goto out;
		}
		while (n > 0) {
			ssize_t w = write(out, p, (size_t)n);
			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0) {
				rc = ok_fail(err, errno == ENOSPC ? OK_EDISKFULL : OK_EIO,
				             "cannot write %s: %s", tmp.data, strerror(errno));
				goto out;
			}
			p += w;
			n -= w;
		}
	}
	crypto_hash_sha256_final(&h, hash);
	if (fchmod(out, 0600) != 0 || fsync(out) != 0) {
		rc = ok_fail(err, OK_EIO, "cannot write %s: %s", tmp.data, strerror(errno));
		goto out;
	}
	rc = close(out);
	out = -1;
	if (rc != 0 || linkat(dst_dir, tmp.data, dst_dir, dst_name, 0) != 0) {
		/* link, not rename: never replaces a dst that appeared meanwhile */
		rc = ok_fail(err, errno == EEXIST ? OK_EEXIST : OK_EIO, "cannot write %s: %s",
		             dst_name, strerror(errno));
		goto out;
	}
out:
	if (out >= 0)
		close(out);
	if (in >= 0)
		close(in);
	if (tmp.len)
		unlinkat(dst_dir, tmp.data, 0);
	buf_release(&tmp);
	return rc;
}

/* Hashes a file without copying it. */
static int hash_file(const char *path, unsigned char hash[crypto_hash_sha256_BYTES], int64_t *bytes,
                     struct ok_error *err)
{
	crypto_hash_sha256_state h;
	unsigned char chunk[65536];
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	ssize_t n;

	*bytes = 0;
	if (fd < 0)
		return ok_fail(err, OK_EIO, "cannot read %s: %s", path, strerror(errno));
	crypto_hash_sha256_init(&h);
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			close(fd);
			return ok_fail(err, OK_EIO, "cannot read %s: %s", path, strerror(errno));
		}
		crypto_hash_sha256_update(&h, chunk, (unsigned long long)n);
		*bytes += n;
	}
	close(fd);
	crypto_hash_sha256_final(&h, hash);
	return 0;
}

static int file_entry(json_t *files, const char *name, const unsigned char *hash, int64_t bytes)
{
	char hex[HASH_HEX];

	sodium_bin2hex(hex, sizeof(hex), hash, crypto_hash_sha256_BYTES);
	return json_object_set_new(
	        files, name, json_pack("{s:I, s:s}", "bytes", (json_int_t)bytes, "sha256", hex));
}

/* Reads the copy's schema version and audit head by opening it as a store of its own. */
static int copy_facts(const char *db, struct backup_info *out, struct ok_error *err)
{
	struct store *s = NULL;
	struct buf url;
	int rc;

	buf_init(&url, PATH_MAX_BYTES);
	if (buf_addf(&url, "sqlite:%s", db) != 0) {
		buf_release(&url);
		return ok_fail(err, OK_EINPUT, "path too long: %s", db);
	}
	rc = store_open(&s, url.data, false, err);
	if (!rc)
		rc = store_schema_version(s, &out->schema_version, err);
	if (!rc)
		rc = store_audit_head(s, &out->audit_seq, out->audit_hash, err);
	store_close(s);
	buf_release(&url);
	return rc;
}

/* The manifest's entries for the files in `files`, as backup_manifest_parse would read them,
 * for the canonical text the signature covers. */
static int signed_form(const struct backup_info *info, json_t *files, struct backup_manifest *m)
{
	size_t i, len;

	memset(m, 0, sizeof(*m));
	m->info = *info;
	for (i = 0; i < BACKUP_FILES; i++) {
		json_t *e = json_object_get(files, backup_files[i]);
		const char *hex = json_string_value(json_object_get(e, "sha256"));
		if (!e)
			continue;
		m->files[i].listed = true;
		m->files[i].bytes = (int64_t)json_integer_value(json_object_get(e, "bytes"));
		if (!hex || sodium_hex2bin(m->files[i].sha256, sizeof(m->files[i].sha256), hex,
		                           strlen(hex), NULL, &len, NULL) != 0)
			return OK_EINTERNAL;
	}
	return 0;
}

static int write_manifest(struct depository *d, const char *dir, struct backup_info *info,
                          json_t *files, struct ok_error *err)
{
	char head[AUDIT_HASH_BYTES * 2 + 1], canon[CANONICAL_MAX];
	char sig_hex[crypto_sign_BYTES * 2 + 1];
	unsigned char pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
	unsigned char sig[crypto_sign_BYTES];
	struct backup_manifest signed_m;
	size_t canon_len = 0;
	json_t *m;
	char *text = NULL;
	struct buf path;
	int rc;

	/* Signed with the issuer key, kept apart from the backup: whoever can write the backup
	 * folder can recompute the hashes, but cannot sign them again. */
	info->key_id = d->issuer_key_id;
	if (signed_form(info, files, &signed_m) != 0 ||
	    !(canon_len = backup_manifest_canonical(&signed_m, canon, sizeof(canon))))
		return ok_fail(err, OK_EINTERNAL, "cannot sign %s", MANIFEST_NAME);
	crypto_sign_seed_keypair(pk, sk, d->issuer_seed);
	crypto_sign_detached(sig, NULL, (const unsigned char *)canon, canon_len, sk);
	sodium_memzero(sk, sizeof(sk));
	sodium_bin2hex(sig_hex, sizeof(sig_hex), sig, sizeof(sig));
	sodium_bin2hex(head, sizeof(head), info->audit_hash, AUDIT_HASH_BYTES);
	m = json_pack("{s:s, s:i, s:s, s:s, s:s, s:i, s:{s:I, s:s}, s:O, s:s, s:{s:I, s:s}}",
	              "format", MANIFEST_FORMAT, "version", MANIFEST_VERSION, "oorkonde",
	              OK_VERSION, "at", info->at, "store", "sqlite", "schema_version",
	              info->schema_version, "audit", "seq", (json_int_t)info->audit_seq, "hash",
	              head, "files", files, "keys",
	              "not included: back up data.key, issuer.key and issuer.key.retired "
	              "separately",
	              "signature", "issuer_key", (json_int_t)info->key_id, "ed25519", sig_hex);
	text = m ? json_dumps(m, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
	json_decref(m);
	if (!text)
		return ok_fail(err, OK_ENOMEM, "cannot write %s: out of memory", MANIFEST_NAME);
	buf_init(&path, PATH_MAX_BYTES);
	rc = path_in(&path, dir, MANIFEST_NAME, err);
	if (!rc)
		rc = file_write_atomic(path.data, text, strlen(text), 0600, 1, err);
	buf_release(&path);
	free(text);
	return rc;
}

/* Takes out what a failed backup or restore put into dir (and dir itself if it made it). */
static void undo(const char *dir, bool made)
{
	struct buf path;
	size_t i;

	buf_init(&path, PATH_MAX_BYTES);
	for (i = 0; i < sizeof(leftovers) / sizeof(leftovers[0]); i++)
		if (path_in(&path, dir, leftovers[i], NULL) == 0)
			unlink(path.data);
	buf_release(&path);
	if (made)
		rmdir(dir);
}

int registry_backup(struct depository *d, const char *dir, struct backup_info *out,
                    struct ok_error *err)
{
	unsigned char hash[crypto_hash_sha256_BYTES];
	struct buf src, dst;
	json_t *files = json_object();
	int64_t bytes;
	bool made = false, folder_ready = false;
	int rc;

	memset(out, 0, sizeof(*out));
	buf_init(&src, PATH_MAX_BYTES);
	buf_init(&dst, PATH_MAX_BYTES);
	if (!files) {
		rc = ok_fail(err, OK_ENOMEM, "backup: out of memory");
		goto out;
	}
	audit_format_time(ok_now_ms(), out->at);
	if ((rc = folder_new(dir, "back up", &made, err)))
		goto out;
	folder_ready = true;
	/* The checkpoint file before the database: a checkpoint is in the store before it is in
	 * the file, so every checkpoint copied signs an event the database copy holds. */
	if ((rc = path_in(&src, d->dir, CHECKPOINTS_NAME, err)) ||
	    (rc = path_in(&dst, dir, CHECKPOINTS_NAME, err)))
		goto out;
	rc = copy_file(AT_FDCWD, src.data, AT_FDCWD, dst.data, -1, hash, &bytes, err);
	if (rc == OK_ENOTFOUND) {
		ok_error_clear(err);
		rc = 0;
	} else if (!rc) {
		out->checkpoints = true;
		rc = file_entry(files, CHECKPOINTS_NAME, hash, bytes) ? OK_ENOMEM : 0;
	}
	if (!rc && (rc = path_in(&dst, dir, DB_NAME, err)) == 0 &&
	    (rc = store_backup_to(d->store, dst.data, err)) == OK_EUNSUPPORTED) {
		ok_error_clear(err);
		rc = ok_fail(
		        err, OK_EUNSUPPORTED,
		        "this depository's records are in PostgreSQL, which oorkonde backup does "
		        "not copy: back it up with pg_dump, or with base backups and WAL "
		        "archiving, and keep config.json and the keys apart (%s)",
		        PG_BACKUP_SECTION);
	}
	if (rc || (rc = copy_facts(dst.data, out, err)) ||
	    (rc = hash_file(dst.data, hash, &bytes, err)))
		goto out;
	out->db_bytes = bytes;
	if (file_entry(files, DB_NAME, hash, bytes)) {
		rc = ok_fail(err, OK_ENOMEM, "backup: out of memory");
		goto out;
	}
	if ((rc = path_in(&src, d->dir, CONFIG_NAME, err)) ||
	    (rc = path_in(&dst, dir, CONFIG_NAME, err)) ||
	    (rc = copy_file(AT_FDCWD, src.data, AT_FDCWD, dst.data, -1, hash, &bytes, err)))
		goto out;
	if (file_entry(files, CONFIG_NAME, hash, bytes)) {
		rc = ok_fail(err, OK_ENOMEM, "backup: out of memory");
		goto out;
	}
	rc = write_manifest(d, dir, out, files, err);
out:
	/* A half-made backup is taken out again, not left to be mistaken for one. */
	if (rc && folder_ready)
		undo(dir, made);
	json_decref(files);
	buf_release(&src);
	buf_release(&dst);
	return rc;
}

/* Restore */

/* s as it may be printed: every byte outside printable ASCII made '?', cut to fit out. A
 * manifest's or a configuration's string carries no terminal escape sequence onto the screen. */
static void printable(const char *s, char *out, size_t cap)
{
	size_t i;

	for (i = 0; s && s[i] && i + 1 < cap; i++)
		out[i] = ((unsigned char)s[i] >= 0x20 && (unsigned char)s[i] < 0x7f) ? s[i] : '?';
	if (cap)
		out[i] = '\0';
}

static int hex_exact(const char *hex, unsigned char *out, size_t n)
{
	size_t len = 0;

	return hex && strlen(hex) == n * 2 &&
	                       sodium_hex2bin(out, n, hex, n * 2, NULL, &len, NULL) == 0 && len == n
	               ? 0
	               : -1;
}

int backup_manifest_parse(const char *text, size_t n, struct backup_manifest *m,
                          struct ok_error *err)
{
	const char *format = NULL, *at = NULL, *store = NULL, *head = NULL, *name, *hex = NULL;
	json_int_t version = 0, schema = 0, seq = -1, bytes = -1, key_id = -1;
	json_t *root, *files = NULL, *entry, *sig;
	json_error_t jerr;
	char shown[24];
	size_t i;
	int rc = 0;

	memset(m, 0, sizeof(*m));
	root = json_loadb(text, n, JSON_REJECT_DUPLICATES, &jerr);
	if (!root ||
	    json_unpack(root, "{s:s, s:I, s:s, s:s, s:I, s:{s:I, s:s}, s:o}", "format", &format,
	                "version", &version, "at", &at, "store", &store, "schema_version", &schema,
	                "audit", "seq", &seq, "hash", &head, "files", &files) != 0 ||
	    strcmp(format, MANIFEST_FORMAT) != 0 || !json_is_object(files) || seq < 0 ||
	    schema < 1 || schema > 1000000) {
		rc = ok_fail(err, OK_EINVALID, "not an oorkonde backup manifest");
		goto out;
	}
	if (version != MANIFEST_VERSION || strcmp(store, "sqlite") != 0) {
		printable(store, shown, sizeof(shown));
		rc = ok_fail(err, OK_EUNSUPPORTED,
		             "a backup of version %lld of a %s store; this oorkonde restores "
		             "version %d of a sqlite store",
		             (long long)version, shown, MANIFEST_VERSION);
		goto out;
	}
	if (strlen(at) >= sizeof(m->info.at)) {
		rc = ok_fail(err, OK_EINVALID, "the manifest's time is not one");
		goto out;
	}
	if (hex_exact(head, m->info.audit_hash, AUDIT_HASH_BYTES) != 0) {
		rc = ok_fail(err, OK_EINVALID, "bad audit head hash");
		goto out;
	}
	/* Only the files a backup holds: a name is never a path into somewhere else. */
	json_object_foreach(files, name, entry)
	{
		for (i = 0; i < BACKUP_FILES && strcmp(name, backup_files[i]) != 0; i++)
			;
		if (i == BACKUP_FILES) {
			rc = ok_fail(err, OK_EINVALID, "it lists an unknown file");
			goto out;
		}
		if (json_unpack(entry, "{s:I, s:s}", "bytes", &bytes, "sha256", &hex) != 0 ||
		    bytes < 0 ||
		    hex_exact(hex, m->files[i].sha256, crypto_hash_sha256_BYTES) != 0) {
			rc = ok_fail(err, OK_EINVALID, "bad entry for %s", backup_files[i]);
			goto out;
		}
		m->files[i].listed = true;
		m->files[i].bytes = (int64_t)bytes;
	}
	if (!m->files[BACKUP_FILE_DB].listed || !m->files[BACKUP_FILE_CONFIG].listed) {
		rc = ok_fail(err, OK_EINVALID, "it lists no %s or no %s", DB_NAME, CONFIG_NAME);
		goto out;
	}
	sig = json_object_get(root, "signature");
	if (sig) {
		hex = NULL;
		if (json_unpack(sig, "{s:I, s:s}", "issuer_key", &key_id, "ed25519", &hex) != 0 ||
		    key_id < 0 || key_id > (json_int_t)UINT32_MAX ||
		    hex_exact(hex, m->signature, sizeof(m->signature)) != 0) {
			rc = ok_fail(err, OK_EINVALID, "bad signature entry");
			goto out;
		}
		m->is_signed = true;
		m->info.key_id = (uint32_t)key_id;
	}
	/* Kept as written (the signature covers it), shown only through printable(). */
	memcpy(m->info.at, at, strlen(at) + 1);
	m->info.schema_version = (int)schema;
	m->info.audit_seq = (int64_t)seq;
	m->info.checkpoints = m->files[BACKUP_FILE_CHECKPOINTS].listed;
	m->info.db_bytes = m->files[BACKUP_FILE_DB].bytes;
out:
	json_decref(root);
	return rc;
}

size_t backup_manifest_canonical(const struct backup_manifest *m, char *out, size_t cap)
{
	char head[AUDIT_HASH_BYTES * 2 + 1], sha[HASH_HEX];
	size_t len;
	int n, i;

	sodium_bin2hex(head, sizeof(head), m->info.audit_hash, AUDIT_HASH_BYTES);
	n = snprintf(out, cap,
	             "%s %d\nat %s\nstore sqlite\nschema_version %d\naudit %lld %s\nissuer_key "
	             "%lu\n",
	             MANIFEST_FORMAT, MANIFEST_VERSION, m->info.at, m->info.schema_version,
	             (long long)m->info.audit_seq, head, (unsigned long)m->info.key_id);
	if (n < 0 || (size_t)n >= cap)
		return 0;
	len = (size_t)n;
	for (i = 0; i < BACKUP_FILES; i++) {
		if (!m->files[i].listed)
			continue;
		sodium_bin2hex(sha, sizeof(sha), m->files[i].sha256, sizeof(m->files[i].sha256));
		n = snprintf(out + len, cap - len, "file %s %lld %s\n", backup_files[i],
		             (long long)m->files[i].bytes, sha);
		if (n < 0 || (size_t)n >= cap - len)
			return 0;
		len += (size_t)n;
	}
	return len;
}

/* Reads dir's manifest.json (a regular file, not a symlink, of a sensible size). */
static int manifest_load(int dir_fd, const char *dir, struct backup_manifest *m,
                         struct ok_error *err)
{
	struct stat st;
	char *text = NULL;
	size_t have = 0;
	int fd, rc = 0;

	fd = openat(dir_fd, MANIFEST_NAME,
	            O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		return ok_fail(err, OK_ENOTFOUND,
		               "%s is not a finished oorkonde backup: it has no %s", dir,
		               MANIFEST_NAME);
	if (fd < 0)
		return ok_fail(err, OK_EIO, "cannot read %s/%s: %s", dir, MANIFEST_NAME,
		               strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > MANIFEST_MAX) {
		rc = ok_fail(err, OK_EINVALID,
		             "%s/%s is damaged: not a regular file of at most %d bytes", dir,
		             MANIFEST_NAME, MANIFEST_MAX);
		goto out;
	}
	text = malloc((size_t)st.st_size + 1);
	if (!text) {
		rc = ok_fail(err, OK_ENOMEM, "cannot read %s: out of memory", MANIFEST_NAME);
		goto out;
	}
	while (have < (size_t)st.st_size) {
		ssize_t n = read(fd, text + have, (size_t)st.st_size - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = ok_fail(err, OK_EIO, "cannot read %s/%s", dir, MANIFEST_NAME);
			goto out;
		}
		have += (size_t)n;
	}
	rc = backup_manifest_parse(text, have, m, err);
	if (rc) {
		char why[OK_ERROR_MESSAGE_MAX];
		snprintf(why, sizeof(why), "%s", err->message);
		rc = ok_fail(err, rc, "%s/%s is damaged: %s", dir, MANIFEST_NAME, why);
	}
out:
	free(text);
	close(fd);
	return rc;
}

/* Takes out the staging folder and all that is in it (it is ours: made by mkdtemp). */
static void staging_remove(int fd, const char *path)
{
	int dup_fd = fd >= 0 ? dup(fd) : -1;
	DIR *d = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
	struct dirent *e;

	if (!d && dup_fd >= 0)
		close(dup_fd);
	/* A dup shares the offset: staging_sync may have read the folder to its end. */
	if (d)
		rewinddir(d);
	while (d && (e = readdir(d)))
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			unlinkat(fd, e->d_name, 0);
	if (d)
		closedir(d);
	rmdir(path);
}

/* fsyncs every file of the staging folder, then the folder. */
static int staging_sync(int fd, const char *path, struct ok_error *err)
{
	int dup_fd = dup(fd), rc = 0;
	DIR *d = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
	struct dirent *e;

	if (!d) {
		if (dup_fd >= 0)
			close(dup_fd);
		return ok_fail(err, OK_EIO, "cannot read %s: %s", path, strerror(errno));
	}
	rewinddir(d);
	while (!rc && (e = readdir(d))) {
		int f;
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		f = openat(fd, e->d_name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
		if (f < 0 || fsync(f) != 0)
			rc = ok_fail(err, OK_EIO, "cannot sync %s/%s: %s", path, e->d_name,
			             strerror(errno));
		if (f >= 0)
			close(f);
	}
	closedir(d);
	if (!rc && fsync(fd) != 0)
		rc = ok_fail(err, OK_EIO, "cannot sync %s: %s", path, strerror(errno));
	return rc;
}

/* data_dir must be missing or an empty folder (not a symlink to one). Checked early for a
 * clear message; the final rename checks it again, atomically. */
static int target_free(const char *data_dir, struct ok_error *err)
{
	struct stat st;

	if (lstat(data_dir, &st) != 0)
		return errno == ENOENT ? 0
		                       : ok_fail(err, OK_EIO, "cannot use %s: %s", data_dir,
		                                 strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return ok_fail(err, OK_EEXIST,
		               "%s exists and is not a folder; restore only into a "
		               "new or empty folder",
		               data_dir);
	if (!folder_is_empty(data_dir))
		return ok_fail(
		        err, OK_EEXIST,
		        "%s already exists and is not empty; restore only into a new or empty "
		        "folder",
		        data_dir);
	return 0;
}

/* The restored config.json: one with a key twice, or a `store` that is not a string, is
 * refused; `store` is pointed at the restored database; the settings that decide trust are
 * copied out for the summary. */
static int restore_config(const char *stage, struct backup_info *out, struct ok_error *err)
{
	static const char local[] = "sqlite:" DB_NAME;
	json_error_t jerr;
	json_t *config = NULL, *store, *hosts, *h;
	char *text = NULL;
	struct buf path;
	size_t i, len;
	int rc = 0;

	buf_init(&path, PATH_MAX_BYTES);
	if ((rc = path_in(&path, stage, CONFIG_NAME, err)))
		goto out;
	config = json_load_file(path.data, JSON_REJECT_DUPLICATES, &jerr);
	if (!json_is_object(config)) {
		char why[160];
		printable(config ? "it is not a JSON object" : jerr.text, why, sizeof(why));
		rc = ok_fail(err, OK_EINVALID, "the backup's %s is not valid: %s", CONFIG_NAME,
		             why);
		goto out;
	}
	store = json_object_get(config, "store");
	if (store && !json_is_string(store)) {
		rc = ok_fail(err, OK_EINVALID,
		             "the backup's %s is not valid: store must be a string", CONFIG_NAME);
		goto out;
	}
	printable(json_string_value(json_object_get(config, "host")), out->host, sizeof(out->host));
	printable(json_string_value(json_object_get(config, "base_url")), out->base_url,
	          sizeof(out->base_url));
	printable(json_string_value(json_object_get(config, "network_did")), out->network_did,
	          sizeof(out->network_did));
	hosts = json_object_get(config, "did_web_http_hosts");
	json_array_foreach(hosts, i, h)
	{
		len = strlen(out->did_web_http_hosts);
		if (len + 2 >= sizeof(out->did_web_http_hosts))
			break;
		if (len)
			memcpy(out->did_web_http_hosts + len, ",", 2), len++;
		printable(json_is_string(h) ? json_string_value(h) : "?",
		          out->did_web_http_hosts + len, sizeof(out->did_web_http_hosts) - len);
	}
	if (store && strcmp(json_string_value(store), local) != 0) {
		if (json_object_set_new(config, "store", json_string(local)) != 0 ||
		    !(text = json_dumps(config, JSON_INDENT(2) | JSON_SORT_KEYS)))
			rc = ok_fail(err, OK_ENOMEM, "cannot write %s: out of memory", CONFIG_NAME);
		else
			rc = file_write_atomic(path.data, text, strlen(text), 0600, 0, err);
	}
out:
	json_decref(config);
	free(text);
	buf_release(&path);
	return rc;
}

struct chain_walk {
	int64_t seq;
	unsigned char hash[AUDIT_HASH_BYTES];
	bool seen_v2; /* a v2 event came before (audit_event_holds) */
	char why[160];
};

#define WALK_BROKEN 1

static int walk_event(void *ctx, const struct audit_event *e)
{
	struct chain_walk *w = ctx;

	/* w->why is a message for people, of numbers: a cut only shortens it. */
	if (e->seq != w->seq + 1) {
		snprintf(w->why, sizeof(w->why), "event %lld follows event %lld", (long long)e->seq,
		         (long long)w->seq);
		return WALK_BROKEN;
	}
	if (sodium_memcmp(e->prev_hash, w->hash, AUDIT_HASH_BYTES) != 0 ||
	    !audit_event_holds(e, &w->seen_v2)) {
		snprintf(w->why, sizeof(w->why), "event %lld does not fit the chain",
		         (long long)e->seq);
		return WALK_BROKEN;
	}
	w->seq = e->seq;
	memcpy(w->hash, e->hash, AUDIT_HASH_BYTES);
	return 0;
}

static int head_matches(int64_t seq, const unsigned char *hash, const struct backup_info *want,
                        struct ok_error *err)
{
	if (seq == want->audit_seq && sodium_memcmp(hash, want->audit_hash, AUDIT_HASH_BYTES) == 0)
		return 0;
	return ok_fail(err, OK_EINVALID,
	               "the restored audit log ends at event %lld, the manifest says %lld with "
	               "another hash",
	               (long long)seq, (long long)want->audit_seq);
}

/* Without keys: opens the restored store and walks its audit chain to the manifest's head. */
static int restore_walk(const char *stage, const struct backup_info *want, struct ok_error *err)
{
	struct chain_walk w = {0};
	struct store *s = NULL;
	struct buf url;
	int rc;

	buf_init(&url, PATH_MAX_BYTES);
	if (buf_addf(&url, "sqlite:%s/%s", stage, DB_NAME) != 0) {
		rc = ok_fail(err, OK_EINPUT, "path too long: %s", stage);
		goto out;
	}
	if ((rc = store_open(&s, url.data, false, err)))
		goto out;
	rc = store_audit_list(s, 0, walk_event, &w, err);
	if (rc == WALK_BROKEN)
		rc = ok_fail(err, OK_EINVALID, "the restored audit log is broken: %s", w.why);
	else if (!rc)
		rc = head_matches(w.seq, w.hash, want, err);
out:
	store_close(s);
	buf_release(&url);
	return rc;
}

/*
 * Checks the manifest's signature with the issuer keys copied into the staging folder (issuer.key,
 * else issuer.key.retired), before any file of the backup is copied: a manifest that was not
 * signed by this depository makes the restore copy nothing.
 */
static int signature_check(const char *stage, const struct backup_manifest *m, struct ok_error *err)
{
	struct keyfile_keys *all = calloc(1, sizeof(*all));
	struct keyfile_retired *retired = calloc(1, sizeof(*retired));
	unsigned char pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
	char canon[CANONICAL_MAX];
	size_t i, canon_len;
	int64_t retired_ms = 0, at_ms = 0;
	bool found = false;
	struct buf path;
	int rc;

	buf_init(&path, PATH_MAX_BYTES);
	if (!all || !retired) {
		rc = ok_fail(err, OK_ENOMEM, "restore: out of memory");
		goto out;
	}
	if (!m->is_signed) {
		rc = ok_fail(
		        err, OK_EAUTH,
		        "the backup's manifest is not signed (made by an older oorkonde), so its "
		        "authenticity cannot be checked; restore it with --unverified instead "
		        "of --keys");
		goto out;
	}
	if ((rc = path_in(&path, stage, "issuer.key", err)) ||
	    (rc = keyfile_read_all(path.data, all, NULL, err)))
		goto out;
	for (i = 0; i < all->count && !found; i++) {
		if (all->keys[i].id != m->info.key_id)
			continue;
		crypto_sign_seed_keypair(pk, sk, all->keys[i].key);
		sodium_memzero(sk, sizeof(sk));
		found = true;
	}
	if (!found) {
		if ((rc = path_in(&path, stage, "issuer.key.retired", err)) ||
		    (rc = keyfile_retired_read(path.data, retired, err)))
			goto out;
		for (i = 0; i < retired->count && !found; i++) {
			if (retired->keys[i].id != m->info.key_id)
				continue;
			memcpy(pk, retired->keys[i].public_key, sizeof(pk));
			retired_ms = retired->keys[i].retired_ms;
			found = true;
		}
	}
	if (!found) {
		rc = ok_fail(err, OK_EAUTH,
		             "the manifest is signed by issuer key %lu, which neither issuer.key "
		             "nor issuer.key.retired of the keys given holds: another depository's "
		             "keys?",
		             (unsigned long)m->info.key_id);
		goto out;
	}
	canon_len = backup_manifest_canonical(m, canon, sizeof(canon));
	if (!canon_len || crypto_sign_verify_detached(m->signature, (const unsigned char *)canon,
	                                              canon_len, pk) != 0)
		rc = ok_fail(
		        err, OK_EAUTH,
		        "the manifest's signature does not hold for issuer key %lu: the backup "
		        "was altered since it was made",
		        (unsigned long)m->info.key_id);
	/* A retired key signs nothing new: a backup it signed is one made before it was retired.
	 * (Whoever holds a retired key can still date a forged backup earlier; the newest
	 * checkpoint shown after the restore is what tells an older backup.) */
	else if (retired_ms > 0 &&
	         (audit_parse_time(m->info.at, "at", &at_ms, err) != 0 || at_ms > retired_ms)) {
		char when[32];
		audit_format_time(retired_ms, when);
		rc = ok_fail(
		        err, OK_EAUTH,
		        "the manifest is signed by issuer key %lu, retired on %s, but says it was "
		        "made after that: a retired key signs no backup",
		        (unsigned long)m->info.key_id, when);
	}
out:
	if (all)
		keyfile_keys_release(all);
	free(all);
	free(retired);
	buf_release(&path);
	return rc;
}

/* The newest checkpoint of keys_dir/audit-checkpoints that one of the depository's issuer keys
 * signed: what the depository had reached when that file was last written. */
struct newest {
	struct depository *d;
	struct audit_checkpoint_keys *keys;
	struct audit_checkpoint c;
	bool found;
};

static int take_newest(void *ctx, size_t line, const struct audit_checkpoint *c)
{
	struct newest *n = ctx;

	(void)line;
	if ((!n->found || c->seq > n->c.seq) && audit_checkpoints_trusted(n->d, n->keys, c)) {
		n->c = *c;
		n->found = true;
	}
	return 0;
}

/* Fills out->newest_* from keys_dir's audit-checkpoints, when it has one (keys_dir is then the
 * data folder the keys came from, or a copy of its checkpoints kept with them). Best effort:
 * it is a hint against restoring an older backup, not a check of the backup. */
static void newest_checkpoint(struct depository *d, const char *keys_dir, struct backup_info *out)
{
	struct newest n = {d, calloc(1, sizeof(*n.keys)), {0}, false};
	struct ok_error ignored;
	char *own = d->dir;

	ok_error_clear(&ignored);
	if (!n.keys || audit_checkpoints_keys_load(d, n.keys, &ignored) != 0)
		goto out;
	/* The file's path is taken from d's folder: keys_dir for this one read. */
	d->dir = (char *)keys_dir;
	if (audit_checkpoints_file_read(d, take_newest, &n, &ignored) == 0 && n.found) {
		out->newest_seq = n.c.seq;
		out->newest_at_ms = n.c.at_ms;
	}
	d->dir = own;
out:
	free(n.keys);
}

/* With keys: opens the restored folder as a depository (its config read as every command reads
 * it, the data key checked against the database) and verifies the audit log (chain and every
 * checkpoint, against the issuer keys) up to the head of the signed manifest. */
static int restore_verify(const char *stage, const char *keys_dir, const struct backup_manifest *m,
                          struct backup_info *out, struct ok_error *err)
{
	struct audit_check check;
	struct depository d;
	unsigned char head[AUDIT_HASH_BYTES];
	int64_t seq = 0;
	int rc;

	if ((rc = depository_open(&d, stage, err))) {
		char why[OK_ERROR_MESSAGE_MAX];
		snprintf(why, sizeof(why), "%s", err->message);
		return ok_fail(err, rc, "the restored data folder does not open: %s", why);
	}
	if ((rc = audit_log_verify(&d, &check, err)))
		goto out;
	if (!check.intact) {
		char why[sizeof(check.why)];
		printable(check.why, why, sizeof(why));
		rc = ok_fail(err, OK_EINVALID, "the restored audit log does not verify: %s", why);
		goto out;
	}
	if ((rc = store_audit_head(d.store, &seq, head, err)) ||
	    (rc = head_matches(seq, head, &m->info, err)))
		goto out;
	out->checkpoints_verified = check.checkpoints;
	newest_checkpoint(&d, keys_dir, out);
out:
	depository_close(&d);
	return rc;
}

/* Copies the keys from keys_dir into the staging folder: data.key and issuer.key must be
 * there, issuer.key.retired when it is. */
static int restore_keys(const char *keys_dir, int stage_fd, struct ok_error *err)
{
	static const char *const names[] = {"data.key", "issuer.key", "issuer.key.retired"};
	unsigned char hash[crypto_hash_sha256_BYTES];
	int64_t bytes;
	int fd = open(keys_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc = 0;
	size_t i;

	if (fd < 0)
		return ok_fail(err, OK_EIO, "cannot read the keys folder %s: %s", keys_dir,
		               strerror(errno));
	for (i = 0; i < sizeof(names) / sizeof(names[0]) && !rc; i++) {
		rc = copy_file(fd, names[i], stage_fd, names[i], -1, hash, &bytes, err);
		if (rc == OK_ENOTFOUND && i == 2) {
			ok_error_clear(err);
			rc = 0;
		} else if (rc == OK_ENOTFOUND) {
			rc = ok_fail(err, OK_ENOTFOUND, "the keys folder %s holds no %s", keys_dir,
			             names[i]);
		}
	}
	close(fd);
	return rc;
}

/* Copies the backup's files into the staging folder, each checked against the manifest. */
static int restore_files(int src_fd, int stage_fd, const struct backup_manifest *m,
                         struct ok_error *err)
{
	unsigned char hash[crypto_hash_sha256_BYTES];
	int64_t bytes;
	int i, rc = 0;

	for (i = 0; i < BACKUP_FILES && !rc; i++) {
		if (!m->files[i].listed)
			continue;
		rc = copy_file(src_fd, backup_files[i], stage_fd, backup_files[i],
		               m->files[i].bytes, hash, &bytes, err);
		if (rc == OK_ENOTFOUND)
			rc = ok_fail(err, OK_EINVALID, "the backup is incomplete: %s is missing",
			             backup_files[i]);
		else if (rc == OK_EINVALID) {
			char why[OK_ERROR_MESSAGE_MAX];
			snprintf(why, sizeof(why), "%s", err->message);
			rc = ok_fail(err, OK_EINVALID, "the backup is damaged: %s", why);
		} else if (!rc && (bytes != m->files[i].bytes ||
		                   sodium_memcmp(hash, m->files[i].sha256, sizeof(hash)) != 0))
			rc = ok_fail(
			        err, OK_EINVALID,
			        "the backup is damaged: %s does not match its SHA-256 in %s; it "
			        "was altered since the backup was made",
			        backup_files[i], MANIFEST_NAME);
	}
	return rc;
}

/* The folder that holds path, for its fsync after the rename; best effort. */
static void sync_parent(const char *path)
{
	struct buf parent;
	char *slash;
	int fd;

	buf_init(&parent, PATH_MAX_BYTES);
	if (buf_addf(&parent, "%s", path) == 0) {
		slash = strrchr(parent.data, '/');
		if (slash == parent.data)
			slash[1] = '\0';
		else if (slash)
			*slash = '\0';
		fd = open(slash ? parent.data : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd >= 0) {
			fsync(fd);
			close(fd);
		}
	}
	buf_release(&parent);
}

/* Counts the folders DATADIR.restoring-* beside target (folders of restores that were
 * stopped: each may hold a full copy of a backup) into plan. Best effort: a parent that cannot
 * be read names none. */
static void find_stale(const char *target, struct restore_plan *plan)
{
	const char *slash = strrchr(target, '/');
	const char *base = slash ? slash + 1 : target;
	size_t base_len = strlen(base);
	struct buf parent, found;
	struct dirent *e;
	struct stat st;
	DIR *d = NULL;
	int fd, rc;

	buf_init(&parent, PATH_MAX_BYTES);
	buf_init(&found, PATH_MAX_BYTES);
	if (!slash)
		rc = buf_addstr(&parent, ".");
	else if (slash == target)
		rc = buf_addstr(&parent, "/");
	else
		rc = buf_add(&parent, target, (size_t)(slash - target));
	fd = rc ? -1 : open(parent.data, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0 && !(d = fdopendir(fd)))
		close(fd);
	while (d && (e = readdir(d))) {
		if (strncmp(e->d_name, base, base_len) != 0 ||
		    strncmp(e->d_name + base_len, ".restoring-", 11) != 0 ||
		    fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
		    !S_ISDIR(st.st_mode))
			continue;
		if (plan->stale++ == 0 &&
		    buf_addf(&found, "%.*s%s", slash ? (int)(base - target) : 0, target,
		             e->d_name) == 0)
			printable(found.data, plan->stale_name, sizeof(plan->stale_name));
	}
	if (d)
		closedir(d);
	buf_release(&parent);
	buf_release(&found);
}

/* The manifest's files together must fit in the free space of the staging folder's file
 * system, with room for the checks; fills plan's sizes. */
static int check_space(const char *stage, const struct backup_manifest *m,
                       struct restore_plan *plan, struct ok_error *err)
{
	struct statvfs fs;
	uint64_t avail;
	int64_t need;
	int i;

	plan->bytes = 0;
	for (i = 0; i < BACKUP_FILES; i++) {
		if (!m->files[i].listed)
			continue;
		/* each is at most INT64_MAX / 4 (a bound far above any disk), so the sum fits */
		if (m->files[i].bytes > INT64_MAX / 4)
			return ok_fail(err, OK_EINVALID, "the manifest lists %s with %lld bytes",
			               backup_files[i], (long long)m->files[i].bytes);
		plan->bytes += m->files[i].bytes;
	}
	if (statvfs(stage, &fs) != 0)
		return ok_fail(err, OK_EIO, "cannot find the free space of %s: %s", stage,
		               strerror(errno));
	avail = (uint64_t)fs.f_bavail * (uint64_t)fs.f_frsize;
	plan->free_bytes = avail > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)avail;
	need = plan->bytes + plan->bytes / 8 + RESTORE_SLACK_BYTES;
	if (need > plan->free_bytes)
		return ok_fail(err, OK_EDISKFULL,
		               "the backup's files take %lld bytes and the restore needs about "
		               "%lld, but only %lld are free beside the data folder; nothing was "
		               "copied",
		               (long long)plan->bytes, (long long)need,
		               (long long)plan->free_bytes);
	return 0;
}

int registry_restore(const char *dir, const char *data_dir, const char *keys_dir,
                     restore_plan_fn plan_fn, void *ctx, struct backup_info *out,
                     struct ok_error *err)
{
	struct restore_plan plan;
	struct backup_manifest m;
	struct buf target, stage, db;
	int src_fd = -1, stage_fd = -1, schema = 0, rc = 0;
	bool staged = false;

	memset(out, 0, sizeof(*out));
	buf_init(&target, PATH_MAX_BYTES);
	buf_init(&stage, PATH_MAX_BYTES);
	buf_init(&db, PATH_MAX_BYTES);
	/* data_dir without trailing slashes: the staging folder is its sibling. */
	if (buf_addf(&target, "%s", data_dir) != 0) {
		rc = ok_fail(err, OK_EINPUT, "path too long: %s", data_dir);
		goto out;
	}
	while (target.len > 1 && target.data[target.len - 1] == '/')
		target.data[--target.len] = '\0';
	src_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (src_fd < 0) {
		rc = ok_fail(err, errno == ENOENT ? OK_ENOTFOUND : OK_EIO,
		             "cannot read the backup folder %s: %s", dir, strerror(errno));
		goto out;
	}
	if ((rc = manifest_load(src_fd, dir, &m, err)) || (rc = target_free(target.data, err)))
		goto out;
	memset(&plan, 0, sizeof(plan));
	find_stale(target.data, &plan);
	if (buf_addf(&stage, "%s.restoring-XXXXXX", target.data) != 0 ||
	    buf_addf(&db, "%s.restoring-XXXXXX/%s", target.data, DB_NAME) != 0) {
		rc = ok_fail(err, OK_EINPUT, "path too long: %s", data_dir);
		goto out;
	}
	if (!mkdtemp(stage.data)) {
		rc = ok_fail(err, OK_EIO, "cannot create a folder beside %s: %s", target.data,
		             strerror(errno));
		goto out;
	}
	staged = true;
	memcpy(db.data, stage.data, stage.len); /* the same X's as the folder made */
	stage_fd = open(stage.data, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (stage_fd < 0) {
		rc = ok_fail(err, OK_EIO, "cannot open %s: %s", stage.data, strerror(errno));
		goto out;
	}
	/* The keys first: with them the manifest is known to be this depository's before a byte
	 * of the backup is copied (a forged size of many gigabytes copies nothing). */
	if (keys_dir && ((rc = restore_keys(keys_dir, stage_fd, err)) ||
	                 (rc = signature_check(stage.data, &m, err))))
		goto out;
	if ((rc = check_space(stage.data, &m, &plan, err)))
		goto out;
	plan.verified = keys_dir != NULL;
	if (plan_fn)
		plan_fn(ctx, &plan);
	if ((rc = restore_files(src_fd, stage_fd, &m, err)) ||
	    (rc = store_sqlite_check_copy(db.data, &schema, err)))
		goto out;
	if (schema != m.info.schema_version) {
		rc = ok_fail(err, OK_EINVALID,
		             "the restored database has schema version %d, the manifest says %d",
		             schema, m.info.schema_version);
		goto out;
	}
	if ((rc = restore_config(stage.data, out, err)))
		goto out;
	if (keys_dir) {
		if ((rc = restore_verify(stage.data, keys_dir, &m, out, err)))
			goto out;
	} else if ((rc = restore_walk(stage.data, &m.info, err))) {
		goto out;
	}
	if ((rc = staging_sync(stage_fd, stage.data, err)))
		goto out;
	/* Atomic: DATADIR is either as it was or the whole checked restore. rename replaces an
	 * empty folder and refuses one that was filled meanwhile. */
	if (rename(stage.data, target.data) != 0) {
		rc = ok_fail(err, errno == ENOTEMPTY || errno == EEXIST ? OK_EEXIST : OK_EIO,
		             "cannot move the restore into %s: %s", target.data,
		             errno == ENOTEMPTY || errno == EEXIST
		                     ? "it is not empty; restore only into a new or empty folder"
		                     : strerror(errno));
		goto out;
	}
	staged = false;
	sync_parent(target.data);
	{
		struct backup_info settings = *out;
		*out = m.info;
		printable(m.info.at, out->at, sizeof(out->at));
		out->verified = keys_dir != NULL;
		out->checkpoints_verified = settings.checkpoints_verified;
		out->newest_seq = settings.newest_seq;
		out->newest_at_ms = settings.newest_at_ms;
		memcpy(out->host, settings.host, sizeof(out->host));
		memcpy(out->base_url, settings.base_url, sizeof(out->base_url));
		memcpy(out->network_did, settings.network_did, sizeof(out->network_did));
		memcpy(out->did_web_http_hosts, settings.did_web_http_hosts,
		       sizeof(out->did_web_http_hosts));
	}
out:
	if (staged)
		staging_remove(stage_fd, stage.data);
	if (stage_fd >= 0)
		close(stage_fd);
	if (src_fd >= 0)
		close(src_fd);
	buf_release(&target);
	buf_release(&stage);
	buf_release(&db);
	return rc;
}
