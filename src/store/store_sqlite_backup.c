/* Backups of the SQLite store: its schema version, and a copy of the whole database made with
 * SQLite's online backup API while other connections (a server's threads, an import) go on
 * writing. The copy is one snapshot: it is made in a single backup step, inside one read
 * transaction of the source, which in WAL mode does not hold writers up. */
#include "store/sqlite_internal.h"
#include "store/schema_sqlite.h"
#include "store/sqlite_copy.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* How long to wait for the source's read lock, in 10 ms steps (about 10 s). */
#define BACKUP_BUSY_TRIES 1000
/* The longest schema object name a message quotes. */
#define OBJECT_NAME_MAX 64

static const struct sqlite_query SCHEMA_VERSION = {
        ST_SCHEMA_VERSION, "SELECT user_version AS n FROM pragma_user_version",
        "read schema version", NULL, &sqlite_count_cols};

int sqlite_schema_version(struct store *base, int *out, struct ok_error *err)
{
	int64_t n = 0;
	int rc = sqlite_count(sq(base), &SCHEMA_VERSION, SQLITE_NO_ARGS, &n, err);

	if (rc == 0)
		*out = (int)n;
	return rc;
}

/* An error of the copy's own connection, named by what was being done. */
static int copy_fail(sqlite3 *dst, int rc, const char *path, struct ok_error *err)
{
	int code = (rc & 0xff) == SQLITE_FULL ? OK_EDISKFULL : OK_EIO;

	return ok_fail(err, code, "cannot write the backup %s: %s", path,
	               dst ? sqlite3_errmsg(dst) : sqlite3_errstr(rc));
}

/* Makes path a new, empty file of mode 0600, so that SQLite opens ours (never one planted
 * there, never a symlink) and the copy is private from its first byte. */
static int create_private(const char *path, struct ok_error *err)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);

	if (fd < 0)
		return ok_fail(err, errno == EEXIST ? OK_EEXIST : OK_EIO, "cannot create %s: %s",
		               path, strerror(errno));
	if (fchmod(fd, 0600) != 0) {
		close(fd);
		unlink(path);
		return ok_fail(err, OK_EIO, "cannot set the mode of %s: %s", path, strerror(errno));
	}
	close(fd);
	return 0;
}

static int sync_file(const char *path, struct ok_error *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc = 0;

	if (fd < 0)
		return ok_fail(err, OK_EIO, "cannot open %s: %s", path, strerror(errno));
	if (fsync(fd) != 0)
		rc = ok_fail(err, OK_EIO, "cannot sync %s: %s", path, strerror(errno));
	close(fd);
	return rc;
}

int sqlite_backup_to(struct store *base, const char *path, struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	sqlite3 *dst = NULL;
	sqlite3_backup *b;
	int rc, tries = 0;

	/* A transaction of this connection would make the copy see its uncommitted writes. */
	if (!sqlite3_get_autocommit(s->db))
		return ok_fail(err, OK_EINTERNAL, "backup inside a transaction");
	if ((rc = create_private(path, err)))
		return rc;
	rc = sqlite3_open_v2(path, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		rc = copy_fail(dst, rc, path, err);
		goto fail;
	}
	b = sqlite3_backup_init(dst, "main", s->db, "main");
	if (!b) {
		rc = copy_fail(dst, sqlite3_errcode(dst), path, err);
		goto fail;
	}
	/* All pages in one step: one read transaction, so one consistent snapshot. Busy only
	 * while another connection holds an exclusive lock (a checkpoint's truncation). */
	do {
		rc = sqlite3_backup_step(b, -1);
		if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
			sqlite3_sleep(10);
	} while ((rc == SQLITE_BUSY || rc == SQLITE_LOCKED) && ++tries < BACKUP_BUSY_TRIES);
	sqlite3_backup_finish(b);
	if (rc != SQLITE_DONE) {
		rc = (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
		             ? ok_fail(err, OK_EBUSY, "backup: the database stayed locked")
		             : copy_fail(dst, rc, path, err);
		goto fail;
	}
	rc = sqlite3_close(dst);
	dst = NULL;
	if (rc != SQLITE_OK) {
		rc = copy_fail(NULL, rc, path, err);
		goto fail;
	}
	if ((rc = sync_file(path, err)))
		goto fail;
	return 0;
fail:
	if (dst)
		sqlite3_close(dst);
	unlink(path);
	return rc;
}

/* Checking a copy from outside */

/* name as a message may quote it: printable ASCII only, cut (it comes from the file). */
static const char *safe_name(const unsigned char *name, char out[OBJECT_NAME_MAX + 1])
{
	size_t i;

	for (i = 0; name && name[i] && i < OBJECT_NAME_MAX; i++)
		out[i] = (name[i] >= 0x20 && name[i] < 0x7f) ? (char)name[i] : '?';
	out[i] = '\0';
	return out;
}

/* SQL text with every run of white space made one space, none at either end, so that only a
 * change of meaning counts as a difference. */
static char *normalised_sql(const unsigned char *sql)
{
	size_t n = sql ? strlen((const char *)sql) : 0, o = 0, i;
	char *out = malloc(n + 1);
	bool space = false;

	if (!out)
		return NULL;
	for (i = 0; i < n; i++) {
		unsigned char c = sql[i];
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
			space = o > 0;
			continue;
		}
		if (space)
			out[o++] = ' ';
		space = false;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return out;
}

static int copy_open(const char *path, sqlite3 **db, struct ok_error *err)
{
	int rc = sqlite3_open_v2(path, db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);

	if (rc == SQLITE_OK)
		rc = sqlite3_db_config(*db, SQLITE_DBCONFIG_DEFENSIVE, 1, (int *)NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(*db, "PRAGMA trusted_schema = OFF; PRAGMA query_only = ON;", NULL,
		                  NULL, NULL);
	if (rc != SQLITE_OK)
		return ok_fail(err, OK_EINVALID, "the restored database does not open: %s",
		               *db ? sqlite3_errmsg(*db) : sqlite3_errstr(rc));
	return 0;
}

static int int_pragma(sqlite3 *db, const char *sql, int *out)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);

	if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		*out = sqlite3_column_int(st, 0);
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	return rc;
}

/* The schema this program creates for version v, in a database of its own in memory. */
static int reference_schema(int v, sqlite3 **ref, struct ok_error *err)
{
	int rc =
	        sqlite3_open_v2(":memory:", ref, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
	int i;

	for (i = 0; rc == SQLITE_OK && i < v; i++)
		rc = sqlite3_exec(*ref, sqlite_migrations[i], NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return ok_fail(err, OK_EINTERNAL, "cannot build the schema of version %d: %s", v,
		               *ref ? sqlite3_errmsg(*ref) : sqlite3_errstr(rc));
	return 0;
}

static const char SCHEMA_ROWS[] =
        "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name";
static const char SCHEMA_ROW[] =
        "SELECT tbl_name, sql FROM sqlite_master WHERE type = ?1 AND name = ?2";

/*
 * Every object of a must be in b with the same table and normalised SQL. a_is_copy: a is the
 * restored database (an object differs or is extra), else the reference (one is missing).
 */
static int schema_within(sqlite3 *a, sqlite3 *b, bool a_is_copy, struct ok_error *err)
{
	sqlite3_stmt *all = NULL, *one = NULL;
	char name[OBJECT_NAME_MAX + 1], type[OBJECT_NAME_MAX + 1];
	int rc = 0, step;

	if (sqlite3_prepare_v2(a, SCHEMA_ROWS, -1, &all, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(b, SCHEMA_ROW, -1, &one, NULL) != SQLITE_OK) {
		rc = ok_fail(err, OK_EINVALID, "cannot read the restored database's schema: %s",
		             sqlite3_errmsg(all ? b : a));
		goto out;
	}
	while (!rc && (step = sqlite3_step(all)) == SQLITE_ROW) {
		const unsigned char *t = sqlite3_column_text(all, 0);
		const unsigned char *n = sqlite3_column_text(all, 1);
		char *sa = normalised_sql(sqlite3_column_text(all, 3)), *sb = NULL;
		bool same = false;

		sqlite3_reset(one);
		sqlite3_bind_text(one, 1, (const char *)t, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(one, 2, (const char *)n, -1, SQLITE_TRANSIENT);
		if (sa && sqlite3_step(one) == SQLITE_ROW) {
			const unsigned char *ta = sqlite3_column_text(all, 2);
			const unsigned char *tb = sqlite3_column_text(one, 0);
			sb = normalised_sql(sqlite3_column_text(one, 1));
			same = sb && ta && tb && strcmp((const char *)ta, (const char *)tb) == 0 &&
			       strcmp(sa, sb) == 0;
			if (!sb)
				rc = ok_fail(err, OK_ENOMEM, "schema check: out of memory");
		} else if (!sa) {
			rc = ok_fail(err, OK_ENOMEM, "schema check: out of memory");
		}
		if (!rc && !same)
			rc = ok_fail(
			        err, OK_EINVALID,
			        "the restored database's schema is not this program's: %s %s is %s",
			        safe_name(t, type), safe_name(n, name),
			        a_is_copy ? (sb ? "changed" : "not one it creates") : "missing");
		free(sa);
		free(sb);
	}
	if (!rc && step != SQLITE_DONE)
		rc = ok_fail(err, OK_EINVALID, "cannot read the restored database's schema: %s",
		             sqlite3_errmsg(a));
out:
	sqlite3_finalize(all);
	sqlite3_finalize(one);
	return rc;
}

/* PRAGMA integrity_check must say "ok"; foreign_key_check must find nothing. */
static int copy_consistent(sqlite3 *db, struct ok_error *err)
{
	sqlite3_stmt *st = NULL;
	int rc = 0, step;

	if (sqlite3_prepare_v2(db, "PRAGMA integrity_check(1)", -1, &st, NULL) != SQLITE_OK ||
	    (step = sqlite3_step(st)) != SQLITE_ROW ||
	    strcmp((const char *)sqlite3_column_text(st, 0), "ok") != 0)
		rc = ok_fail(err, OK_EINVALID,
		             "the restored database is damaged: SQLite's integrity check fails");
	sqlite3_finalize(st);
	st = NULL;
	if (rc)
		return rc;
	if (sqlite3_prepare_v2(db, "PRAGMA foreign_key_check", -1, &st, NULL) != SQLITE_OK ||
	    (step = sqlite3_step(st)) != SQLITE_DONE) {
		char table[OBJECT_NAME_MAX + 1];
		rc = ok_fail(err, OK_EINVALID,
		             "the restored database is inconsistent: a row of %s refers to a row "
		             "that does not exist",
		             safe_name(st ? sqlite3_column_text(st, 0) : NULL, table));
	}
	sqlite3_finalize(st);
	return rc;
}

int store_sqlite_check_copy(const char *path, int *schema_version, struct ok_error *err)
{
	int want = (int)(sizeof(sqlite_migrations) / sizeof(sqlite_migrations[0]));
	sqlite3 *db = NULL, *ref = NULL;
	int rc, v = 0;

	*schema_version = 0;
	if ((rc = copy_open(path, &db, err)))
		goto out;
	if (int_pragma(db, "PRAGMA user_version", &v) != SQLITE_OK) {
		rc = ok_fail(err, OK_EINVALID, "the restored database does not open: %s",
		             sqlite3_errmsg(db));
		goto out;
	}
	if (v < 1 || v > want) {
		rc = ok_fail(
		        err, v > want ? OK_EUNSUPPORTED : OK_EINVALID,
		        "the restored database has schema version %d; this oorkonde knows 1 to "
		        "%d",
		        v, want);
		goto out;
	}
	if ((rc = reference_schema(v, &ref, err)) || (rc = schema_within(db, ref, true, err)) ||
	    (rc = schema_within(ref, db, false, err)) || (rc = copy_consistent(db, err)))
		goto out;
	*schema_version = v;
out:
	sqlite3_close(ref);
	sqlite3_close(db);
	return rc;
}
