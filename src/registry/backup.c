/* Backup and restore of a depository's records: the store's online copy, the configuration and
 * the checkpoint file, described by a manifest that the restore checks everything against. */
#include "registry/backup.h"

#include "audit/log.h"
#include "core/buf.h"
#include "core/clock.h"
#include "keys/keyfile.h"
#include "ok_version.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <sodium.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MANIFEST_FORMAT  "oorkonde-backup"
#define MANIFEST_VERSION 1
#define DB_NAME          "oorkonde.db"
#define CONFIG_NAME      "config.json"
#define CHECKPOINTS_NAME "audit-checkpoints"
#define MANIFEST_NAME    "manifest.json"
#define PATH_MAX_BYTES   4096
#define HASH_HEX         (crypto_hash_sha256_BYTES * 2 + 1)

/* The files a backup may hold besides its manifest; the database and configuration always. */
static const char *const backup_files[] = {DB_NAME, CONFIG_NAME, CHECKPOINTS_NAME};
/* What a failed backup or restore removes again: the files above, the manifest, and what SQLite
 * and the copy made. */
static const char *const leftovers[] = {
        DB_NAME,       DB_NAME "-wal",      DB_NAME "-shm",   DB_NAME ".tmp",
        CONFIG_NAME,   CONFIG_NAME ".tmp",  CHECKPOINTS_NAME, CHECKPOINTS_NAME ".tmp",
        MANIFEST_NAME, MANIFEST_NAME ".tmp"};

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
	if (chmod(dir, 0700) != 0)
		return ok_fail(err, OK_EIO, "cannot protect %s: %s", dir, strerror(errno));
	return 0;
}

/*
 * Copies src to dst (through dst.tmp, 0600, fsynced, renamed; dst must not exist) and returns
 * the SHA-256 and size of what was copied. OK_ENOTFOUND when src does not exist.
 */
static int copy_file(const char *src, const char *dst, unsigned char hash[crypto_hash_sha256_BYTES],
                     int64_t *bytes, struct ok_error *err)
{
	crypto_hash_sha256_state h;
	struct buf tmp;
	unsigned char chunk[65536];
	int in = -1, out = -1, rc = 0;
	ssize_t n;

	*bytes = 0;
	buf_init(&tmp, PATH_MAX_BYTES);
	if (buf_addf(&tmp, "%s.tmp", dst) != 0) {
		rc = ok_fail(err, OK_EINPUT, "path too long: %s", dst);
		goto out;
	}
	in = open(src, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (in < 0) {
		rc = ok_fail(err, errno == ENOENT ? OK_ENOTFOUND : OK_EIO, "cannot read %s: %s",
		             src, strerror(errno));
		goto out;
	}
	out = open(tmp.data, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
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
			rc = ok_fail(err, OK_EIO, "cannot read %s: %s", src, strerror(errno));
			goto out;
		}
		crypto_hash_sha256_update(&h, chunk, (unsigned long long)n);
		*bytes += n;
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
	if (rc != 0 || link(tmp.data, dst) != 0) {
		/* link, not rename: never replaces a dst that appeared meanwhile */
		rc = ok_fail(err, errno == EEXIST ? OK_EEXIST : OK_EIO, "cannot write %s: %s", dst,
		             strerror(errno));
		goto out;
	}
out:
	if (out >= 0)
		close(out);
	if (in >= 0)
		close(in);
	if (tmp.len)
		unlink(tmp.data);
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

static int write_manifest(const char *dir, const struct backup_info *info, json_t *files,
                          struct ok_error *err)
{
	char head[AUDIT_HASH_BYTES * 2 + 1];
	json_t *m;
	char *text = NULL;
	struct buf path;
	int rc;

	sodium_bin2hex(head, sizeof(head), info->audit_hash, AUDIT_HASH_BYTES);
	m = json_pack("{s:s, s:i, s:s, s:s, s:s, s:i, s:{s:I, s:s}, s:O, s:s}", "format",
	              MANIFEST_FORMAT, "version", MANIFEST_VERSION, "oorkonde", OK_VERSION, "at",
	              info->at, "store", "sqlite", "schema_version", info->schema_version, "audit",
	              "seq", (json_int_t)info->audit_seq, "hash", head, "files", files, "keys",
	              "not included: back up data.key, issuer.key and issuer.key.retired "
	              "separately");
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
	rc = copy_file(src.data, dst.data, hash, &bytes, err);
	if (rc == OK_ENOTFOUND) {
		ok_error_clear(err);
		rc = 0;
	} else if (!rc) {
		out->checkpoints = true;
		rc = file_entry(files, CHECKPOINTS_NAME, hash, bytes) ? OK_ENOMEM : 0;
	}
	if (rc || (rc = path_in(&dst, dir, DB_NAME, err)) ||
	    (rc = store_backup_to(d->store, dst.data, err)) ||
	    (rc = copy_facts(dst.data, out, err)) || (rc = hash_file(dst.data, hash, &bytes, err)))
		goto out;
	out->db_bytes = bytes;
	if (file_entry(files, DB_NAME, hash, bytes)) {
		rc = ok_fail(err, OK_ENOMEM, "backup: out of memory");
		goto out;
	}
	if ((rc = path_in(&src, d->dir, CONFIG_NAME, err)) ||
	    (rc = path_in(&dst, dir, CONFIG_NAME, err)) ||
	    (rc = copy_file(src.data, dst.data, hash, &bytes, err)))
		goto out;
	if (file_entry(files, CONFIG_NAME, hash, bytes)) {
		rc = ok_fail(err, OK_ENOMEM, "backup: out of memory");
		goto out;
	}
	rc = write_manifest(dir, out, files, err);
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

struct manifest {
	json_t *root;
	json_t *files; /* borrowed from root */
	struct backup_info info;
};

static int manifest_read(const char *dir, struct manifest *m, struct ok_error *err)
{
	const char *format = NULL, *at = NULL, *store = NULL, *head = NULL;
	json_t *files = NULL;
	json_int_t version = 0, schema = 0, seq = -1;
	json_error_t jerr;
	struct buf path;
	const char *name;
	json_t *entry;
	size_t i, hash_len = 0;
	int rc;

	memset(m, 0, sizeof(*m));
	buf_init(&path, PATH_MAX_BYTES);
	if ((rc = path_in(&path, dir, MANIFEST_NAME, err)))
		goto out;
	if (access(path.data, F_OK) != 0) {
		rc = ok_fail(err, OK_ENOTFOUND,
		             "%s is not a finished oorkonde backup: it has no %s", dir,
		             MANIFEST_NAME);
		goto out;
	}
	m->root = json_load_file(path.data, JSON_REJECT_DUPLICATES, &jerr);
	if (!m->root ||
	    json_unpack(m->root, "{s:s, s:I, s:s, s:s, s:I, s:{s:I, s:s}, s:o}", "format", &format,
	                "version", &version, "at", &at, "store", &store, "schema_version", &schema,
	                "audit", "seq", &seq, "hash", &head, "files", &files) != 0 ||
	    strcmp(format, MANIFEST_FORMAT) != 0 || !json_is_object(files) || seq < 0 ||
	    schema < 1 || schema > 1000000) {
		rc = ok_fail(err, OK_EINVALID, "%s is damaged: not an oorkonde backup manifest",
		             path.data);
		goto out;
	}
	if (version != MANIFEST_VERSION || strcmp(store, "sqlite") != 0) {
		rc = ok_fail(err, OK_EUNSUPPORTED,
		             "%s: a backup of version %lld of a %s store; this oorkonde restores "
		             "version %d of a sqlite store",
		             path.data, (long long)version, store, MANIFEST_VERSION);
		goto out;
	}
	if (sodium_hex2bin(m->info.audit_hash, AUDIT_HASH_BYTES, head, strlen(head), NULL,
	                   &hash_len, NULL) != 0 ||
	    hash_len != AUDIT_HASH_BYTES) {
		rc = ok_fail(err, OK_EINVALID, "%s is damaged: bad audit head hash", path.data);
		goto out;
	}
	/* Only the files a backup holds: a name is never a path into somewhere else. */
	json_object_foreach(files, name, entry)
	{
		bool known = false;
		for (i = 0; i < sizeof(backup_files) / sizeof(backup_files[0]); i++)
			known = known || strcmp(name, backup_files[i]) == 0;
		if (!known) {
			rc = ok_fail(err, OK_EINVALID, "%s is damaged: it lists an unknown file",
			             path.data);
			goto out;
		}
	}
	if (!json_object_get(files, DB_NAME) || !json_object_get(files, CONFIG_NAME)) {
		rc = ok_fail(err, OK_EINVALID, "%s is damaged: it lists no %s or no %s", path.data,
		             DB_NAME, CONFIG_NAME);
		goto out;
	}
	m->files = files;
	m->info.schema_version = (int)schema;
	m->info.audit_seq = (int64_t)seq;
	snprintf(m->info.at, sizeof(m->info.at), "%.31s", at);
	m->info.checkpoints = json_object_get(files, CHECKPOINTS_NAME) != NULL;
out:
	buf_release(&path);
	return rc;
}

/* Copies one file of the backup into the data folder and checks it against the manifest. */
static int restore_file(const char *dir, const char *data_dir, const char *name, json_t *entry,
                        int64_t *bytes, struct ok_error *err)
{
	unsigned char hash[crypto_hash_sha256_BYTES], want[crypto_hash_sha256_BYTES];
	const char *hex = NULL;
	json_int_t want_bytes = -1;
	struct buf src, dst;
	size_t hash_len = 0;
	int rc;

	buf_init(&src, PATH_MAX_BYTES);
	buf_init(&dst, PATH_MAX_BYTES);
	if (json_unpack(entry, "{s:I, s:s}", "bytes", &want_bytes, "sha256", &hex) != 0 ||
	    sodium_hex2bin(want, sizeof(want), hex, strlen(hex), NULL, &hash_len, NULL) != 0 ||
	    hash_len != sizeof(want)) {
		rc = ok_fail(err, OK_EINVALID, "the backup's %s is damaged: bad entry for %s",
		             MANIFEST_NAME, name);
		goto out;
	}
	if ((rc = path_in(&src, dir, name, err)) || (rc = path_in(&dst, data_dir, name, err)))
		goto out;
	rc = copy_file(src.data, dst.data, hash, bytes, err);
	if (rc == OK_ENOTFOUND) {
		rc = ok_fail(err, OK_EINVALID, "the backup is incomplete: %s is missing", src.data);
		goto out;
	}
	if (!rc && (*bytes != (int64_t)want_bytes || sodium_memcmp(hash, want, sizeof(want)) != 0))
		rc = ok_fail(err, OK_EINVALID,
		             "the backup is damaged: %s does not match its size and SHA-256 in %s; "
		             "it was altered or cut since the backup was made",
		             src.data, MANIFEST_NAME);
out:
	buf_release(&src);
	buf_release(&dst);
	return rc;
}

/* Points the restored configuration at the restored database (a backup of a folder whose
 * config named a database elsewhere). */
static int restore_config(const char *data_dir, struct ok_error *err)
{
	static const char local[] = "sqlite:" DB_NAME;
	json_error_t jerr;
	json_t *config;
	const char *store;
	char *text = NULL;
	struct buf path;
	int rc = 0;

	buf_init(&path, PATH_MAX_BYTES);
	if ((rc = path_in(&path, data_dir, CONFIG_NAME, err)))
		goto out;
	config = json_load_file(path.data, 0, &jerr);
	if (!json_is_object(config)) {
		json_decref(config);
		rc = ok_fail(err, OK_EINVALID, "the backup's %s is not a JSON object", CONFIG_NAME);
		goto out;
	}
	store = json_string_value(json_object_get(config, "store"));
	if (store && strcmp(store, local) != 0) {
		if (json_object_set_new(config, "store", json_string(local)) != 0 ||
		    !(text = json_dumps(config, JSON_INDENT(2) | JSON_SORT_KEYS)))
			rc = ok_fail(err, OK_ENOMEM, "cannot write %s: out of memory", path.data);
		else
			rc = file_write_atomic(path.data, text, strlen(text), 0600, 0, err);
	}
	json_decref(config);
	free(text);
out:
	buf_release(&path);
	return rc;
}

struct chain_walk {
	int64_t seq;
	unsigned char hash[AUDIT_HASH_BYTES];
	char why[160];
};

#define WALK_BROKEN 1

static int walk_event(void *ctx, const struct audit_event *e)
{
	struct chain_walk *w = ctx;
	unsigned char h[AUDIT_HASH_BYTES];

	/* w->why is a message for people, of numbers: a cut only shortens it. */
	if (e->seq != w->seq + 1) {
		snprintf(w->why, sizeof(w->why), "event %lld follows event %lld", (long long)e->seq,
		         (long long)w->seq);
		return WALK_BROKEN;
	}
	audit_event_hash(e, h);
	if (sodium_memcmp(e->prev_hash, w->hash, AUDIT_HASH_BYTES) != 0 ||
	    sodium_memcmp(h, e->hash, AUDIT_HASH_BYTES) != 0) {
		snprintf(w->why, sizeof(w->why), "event %lld does not fit the chain",
		         (long long)e->seq);
		return WALK_BROKEN;
	}
	w->seq = e->seq;
	memcpy(w->hash, e->hash, AUDIT_HASH_BYTES);
	return 0;
}

/* Opens the restored store and walks its audit chain to the manifest's head. */
static int restore_check(const char *data_dir, const struct backup_info *want, int *schema,
                         struct ok_error *err)
{
	struct chain_walk w = {0};
	struct store *s = NULL;
	struct buf url;
	int rc;

	buf_init(&url, PATH_MAX_BYTES);
	if (buf_addf(&url, "sqlite:%s/%s", data_dir, DB_NAME) != 0) {
		rc = ok_fail(err, OK_EINPUT, "path too long: %s", data_dir);
		goto out;
	}
	if ((rc = store_open(&s, url.data, false, err)) ||
	    (rc = store_schema_version(s, schema, err)))
		goto out;
	rc = store_audit_list(s, 0, walk_event, &w, err);
	if (rc == WALK_BROKEN)
		rc = ok_fail(err, OK_EINVALID, "the restored audit log is broken: %s", w.why);
	else if (!rc && (w.seq != want->audit_seq ||
	                 sodium_memcmp(w.hash, want->audit_hash, AUDIT_HASH_BYTES) != 0))
		rc = ok_fail(err, OK_EINVALID,
		             "the restored audit log ends at event %lld, the manifest says %lld "
		             "with another hash",
		             (long long)w.seq, (long long)want->audit_seq);
out:
	store_close(s);
	buf_release(&url);
	return rc;
}

int registry_restore(const char *dir, const char *data_dir, struct backup_info *out,
                     struct ok_error *err)
{
	struct manifest m;
	bool made = false;
	int64_t bytes = 0;
	int rc;
	size_t i;

	memset(out, 0, sizeof(*out));
	if ((rc = manifest_read(dir, &m, err)))
		goto out;
	if ((rc = folder_new(data_dir, "restore", &made, err)))
		goto out;
	for (i = 0; i < sizeof(backup_files) / sizeof(backup_files[0]) && !rc; i++) {
		json_t *entry = json_object_get(m.files, backup_files[i]);
		if (entry)
			rc = restore_file(dir, data_dir, backup_files[i], entry, &bytes, err);
		if (!rc && strcmp(backup_files[i], DB_NAME) == 0)
			m.info.db_bytes = bytes;
	}
	if (!rc)
		rc = restore_config(data_dir, err);
	if (!rc)
		rc = restore_check(data_dir, &m.info, &out->schema_version, err);
	if (rc) {
		undo(data_dir, made);
		goto out;
	}
	{
		int schema = out->schema_version;
		*out = m.info;
		out->schema_version = schema;
	}
out:
	json_decref(m.root);
	return rc;
}
