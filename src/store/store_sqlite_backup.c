/* Backups of the SQLite store: its schema version, and a copy of the whole database made with
 * SQLite's online backup API while other connections (a server's threads, an import) go on
 * writing. The copy is one snapshot: it is made in a single backup step, inside one read
 * transaction of the source, which in WAL mode does not hold writers up. */
#include "store/sqlite_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* How long to wait for the source's read lock, in 10 ms steps (about 10 s). */
#define BACKUP_BUSY_TRIES 1000

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
