/* Reading and writing the data folder's key files (see keyfile.h). */
#include "keys/keyfile.h"

#include "core/format.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Makes a rename in path's folder durable. */
static int sync_folder(const char *path, struct ok_error *err)
{
	struct buf dir;
	const char *slash = strrchr(path, '/');
	int fd, rc = 0;

	buf_init(&dir, OK_PATH_MAX);
	if (!slash)
		rc = buf_addstr(&dir, ".");
	else if (slash == path)
		rc = buf_addstr(&dir, "/");
	else
		rc = buf_add(&dir, path, (size_t)(slash - path));
	if (rc) {
		buf_release(&dir);
		return ok_fail(err, rc, "path too long: %s", path);
	}
	fd = open(dir.data, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		rc = ok_fail(err, OK_EIO, "cannot open %s: %s", dir.data, strerror(errno));
	} else {
		if (fsync(fd) != 0)
			rc = ok_fail(err, OK_EIO, "cannot sync %s: %s", dir.data, strerror(errno));
		close(fd);
	}
	buf_release(&dir);
	return rc;
}

int file_write_atomic(const char *path, const void *data, size_t n, unsigned mode, int exclusive,
                      struct ok_error *err)
{
	struct buf tmp_path;
	const char *tmp;
	const char *p = data;
	int fd, rc = 0;

	if (exclusive && access(path, F_OK) == 0)
		return ok_fail(err, OK_EEXIST, "%s already exists", path);
	buf_init(&tmp_path, OK_PATH_MAX);
	if ((rc = buf_addf(&tmp_path, "%s.tmp", path)))
		return ok_fail(err, rc, "path too long: %s", path);
	tmp = tmp_path.data;
	/* A leftover temporary file (of a run that was killed, or planted) is neither reused with
	 * its mode nor followed if it is a symlink: it is removed and the name made afresh. */
	if (unlink(tmp) != 0 && errno != ENOENT) {
		rc = ok_fail(err, OK_EIO, "cannot remove %s: %s", tmp, strerror(errno));
		buf_release(&tmp_path);
		return rc;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, (mode_t)mode);
	if (fd < 0) {
		rc = ok_fail(err, errno == ENOSPC ? OK_EDISKFULL : OK_EIO, "cannot write %s: %s",
		             tmp, strerror(errno));
		buf_release(&tmp_path);
		return rc;
	}
	/* The umask may have taken bits away (never added): set exactly the mode asked for. */
	if (fchmod(fd, (mode_t)mode) != 0)
		rc = ok_fail(err, OK_EIO, "cannot set the mode of %s: %s", tmp, strerror(errno));
	while (!rc && n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			rc = ok_fail(err, errno == ENOSPC ? OK_EDISKFULL : OK_EIO,
			             "cannot write %s: %s", tmp, strerror(errno));
			break;
		}
		p += w;
		n -= (size_t)w;
	}
	if (!rc && fsync(fd) != 0)
		rc = ok_fail(err, OK_EIO, "cannot write %s: %s", tmp, strerror(errno));
	if (close(fd) != 0 && !rc)
		rc = ok_fail(err, OK_EIO, "cannot write %s: %s", tmp, strerror(errno));
	if (!rc && rename(tmp, path) != 0)
		rc = ok_fail(err, OK_EIO, "cannot write %s: %s", path, strerror(errno));
	if (rc)
		unlink(tmp);
	buf_release(&tmp_path);
	return rc ? rc : sync_folder(path, err);
}

int keyfile_create(const char *path, struct ok_error *err)
{
	unsigned char key[32];
	char hex[65];
	char line[80];
	int n, rc;

	randombytes_buf(key, sizeof(key));
	sodium_bin2hex(hex, sizeof(hex), key, sizeof(key));
	n = snprintf(line, sizeof(line), "1 %s\n", hex);
	rc = file_write_atomic(path, line, (size_t)n, 0600, 1, err);
	sodium_memzero(key, sizeof(key));
	sodium_memzero(hex, sizeof(hex));
	sodium_memzero(line, sizeof(line));
	return rc;
}

static void stamp_from(const struct stat *st, struct keyfile_stamp *out)
{
	memset(out, 0, sizeof(*out));
	out->dev = (uint64_t)st->st_dev;
	out->ino = (uint64_t)st->st_ino;
	out->size = (uint64_t)st->st_size;
	out->mtime_s = (int64_t)st->st_mtim.tv_sec;
	out->mtime_ns = (int64_t)st->st_mtim.tv_nsec;
}

bool keyfile_stamp_of(const char *path, struct keyfile_stamp *out)
{
	struct stat st;

	if (stat(path, &st) != 0)
		return false;
	stamp_from(&st, out);
	return true;
}

bool keyfile_stamp_equal(const struct keyfile_stamp *a, const struct keyfile_stamp *b)
{
	return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
	       a->mtime_s == b->mtime_s && a->mtime_ns == b->mtime_ns;
}

void keyfile_keys_release(struct keyfile_keys *k)
{
	sodium_memzero(k, sizeof(*k));
}

/* Parses one "ID HEX" line (newline stripped) into slot n of out. */
static int parse_line(char *line, struct keyfile_keys *out)
{
	unsigned long kid;
	char *hex, *end;
	size_t bin_len, i;

	if (out->count == KEYFILE_MAX_KEYS)
		return OK_ELIMIT;
	kid = strtoul(line, &end, 10);
	if (end == line || line[0] < '0' || line[0] > '9' || *end != ' ' || kid == 0 ||
	    kid > UINT32_MAX)
		return OK_EINPUT;
	hex = end + 1;
	if (strlen(hex) != 64 ||
	    sodium_hex2bin(out->keys[out->count].key, 32, hex, 64, NULL, &bin_len, NULL) != 0 ||
	    bin_len != 32)
		return OK_EINPUT;
	for (i = 0; i < out->count; i++)
		if (out->keys[i].id == (uint32_t)kid)
			return OK_EEXIST;
	out->keys[out->count++].id = (uint32_t)kid;
	return 0;
}

int keyfile_read_all(const char *path, struct keyfile_keys *out, struct keyfile_stamp *stamp,
                     struct ok_error *err)
{
	char line[256];
	FILE *f;
	struct stat st;
	size_t lineno = 0;
	bool more = false, comment = false; /* more: the line read goes on */
	int rc = 0;

	memset(out, 0, sizeof(*out));
	f = fopen(path, "re");
	if (!f)
		return ok_fail(err, errno == ENOENT ? OK_ENOTFOUND : OK_EIO, "cannot read %s: %s",
		               path, strerror(errno));
	if (fstat(fileno(f), &st) != 0) {
		fclose(f);
		return ok_fail(err, OK_EIO, "cannot read %s: %s", path, strerror(errno));
	}
	if (st.st_mode & 077) {
		fclose(f);
		return ok_fail(
		        err, OK_EAUTH,
		        "%s is readable by others (mode %03o); it must be 0600: run `chmod 600 %s`",
		        path, (unsigned)(st.st_mode & 0777), path);
	}
	if (stamp)
		stamp_from(&st, stamp);
	/* A line longer than line comes in pieces: the rest of a comment is comment too, and a
	 * longer key line is no key line (line is cleared first so that a '\n' seen is this
	 * read's). */
	memset(line, 0, sizeof(line));
	while (!rc && fgets(line, sizeof(line), f)) {
		bool whole = memchr(line, '\n', sizeof(line)) != NULL || feof(f);
		if (!more) {
			lineno++;
			comment = line[0] == '\n' || line[0] == '#';
		}
		more = !whole;
		if (comment) {
			memset(line, 0, sizeof(line));
			continue;
		}
		if (more) {
			rc = OK_EINPUT;
			break;
		}
		line[strcspn(line, "\r\n")] = '\0';
		rc = parse_line(line, out);
		memset(line, 0, sizeof(line));
	}
	sodium_memzero(line, sizeof(line));
	fclose(f);
	if (rc) {
		keyfile_keys_release(out);
		if (rc == OK_ELIMIT)
			ok_fail(err, rc, "%s holds more than %d keys", path, KEYFILE_MAX_KEYS);
		else if (rc == OK_EEXIST)
			ok_fail(err, OK_EINPUT, "%s line %zu: a key with this id is there already",
			        path, lineno);
		else
			ok_fail(err, rc, "%s line %zu: expected \"ID HEX\" with a 64-digit key",
			        path, lineno);
		ok_error_locate(err, path, lineno);
		return rc == OK_EEXIST ? OK_EINPUT : rc;
	}
	if (out->count == 0)
		return ok_fail(err, OK_EINPUT, "%s holds no key", path);
	return 0;
}

int keyfile_read(const char *path, uint32_t *id, unsigned char key[32], struct ok_error *err)
{
	struct keyfile_keys all;
	int rc;

	if ((rc = keyfile_read_all(path, &all, NULL, err)))
		return rc;
	*id = all.keys[all.count - 1].id;
	memcpy(key, all.keys[all.count - 1].key, 32);
	keyfile_keys_release(&all);
	return 0;
}

int keyfile_write_all(const char *path, const struct keyfile_keys *k, struct ok_error *err)
{
	char text[KEYFILE_MAX_KEYS * 80];
	char hex[65];
	size_t i, used = 0;
	int n, rc;

	if (k->count == 0 || k->count > KEYFILE_MAX_KEYS)
		return ok_fail(err, OK_EINTERNAL, "a key file holds 1-%d keys", KEYFILE_MAX_KEYS);
	for (i = 0; i < k->count; i++) {
		sodium_bin2hex(hex, sizeof(hex), k->keys[i].key, 32);
		n = snprintf(text + used, sizeof(text) - used, "%lu %s\n",
		             (unsigned long)k->keys[i].id, hex);
		used += (size_t)n;
	}
	rc = file_write_atomic(path, text, used, 0600, 0, err);
	sodium_memzero(hex, sizeof(hex));
	sodium_memzero(text, sizeof(text));
	return rc;
}

int keyfile_keys_add_random(struct keyfile_keys *k, uint32_t used_max, uint32_t *id,
                            struct ok_error *err)
{
	uint32_t top = used_max;
	size_t i;

	for (i = 0; i < k->count; i++)
		if (k->keys[i].id > top)
			top = k->keys[i].id;
	if (k->count == KEYFILE_MAX_KEYS)
		return ok_fail(err, OK_ELIMIT,
		               "the key file holds %d keys already; retire old ones first",
		               KEYFILE_MAX_KEYS);
	if (top == UINT32_MAX)
		return ok_fail(err, OK_ELIMIT, "no key id left");
	k->keys[k->count].id = top + 1;
	randombytes_buf(k->keys[k->count].key, 32);
	*id = k->keys[k->count++].id;
	return 0;
}

int keyfile_keys_remove(struct keyfile_keys *k, uint32_t id, struct ok_error *err)
{
	size_t i;

	for (i = 0; i < k->count; i++) {
		if (k->keys[i].id != id)
			continue;
		memmove(&k->keys[i], &k->keys[i + 1], (k->count - i - 1) * sizeof(k->keys[0]));
		k->count--;
		sodium_memzero(&k->keys[k->count], sizeof(k->keys[0]));
		return 0;
	}
	return ok_fail(err, OK_ENOTFOUND, "the key file holds no key %lu", (unsigned long)id);
}

/* Retired issuer keys */

/* Parses one "ID HEX RETIRED_MS" line (newline stripped) into the next slot of out. */
static int parse_retired(const char *line, struct keyfile_retired *out)
{
	struct keyfile_retired_key *k = &out->keys[out->count];
	unsigned long long ms;
	unsigned long kid;
	const char *hex;
	char *end;
	size_t bin_len, i;

	if (out->count == KEYFILE_RETIRED_MAX)
		return OK_ELIMIT;
	if (line[0] < '1' || line[0] > '9')
		return OK_EINPUT;
	errno = 0;
	kid = strtoul(line, &end, 10);
	if (errno || *end != ' ' || kid == 0 || kid > UINT32_MAX)
		return OK_EINPUT;
	hex = end + 1;
	if (strlen(hex) < 66 || hex[64] != ' ' ||
	    sodium_hex2bin(k->public_key, 32, hex, 64, NULL, &bin_len, NULL) != 0 || bin_len != 32)
		return OK_EINPUT;
	if (hex[65] < '0' || hex[65] > '9')
		return OK_EINPUT;
	ms = strtoull(hex + 65, &end, 10);
	if (errno || *end || ms > INT64_MAX)
		return OK_EINPUT;
	for (i = 0; i < out->count; i++)
		if (out->keys[i].id == (uint32_t)kid)
			return OK_EEXIST;
	k->id = (uint32_t)kid;
	k->retired_ms = (int64_t)ms;
	out->count++;
	return 0;
}

int keyfile_retired_read(const char *path, struct keyfile_retired *out, struct ok_error *err)
{
	char line[256];
	FILE *f;
	struct stat st;
	size_t lineno = 0;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	f = fopen(path, "re");
	if (!f) {
		if (errno == ENOENT)
			return 0;
		return ok_fail(err, OK_EIO, "cannot read %s: %s", path, strerror(errno));
	}
	if (fstat(fileno(f), &st) != 0) {
		fclose(f);
		return ok_fail(err, OK_EIO, "cannot read %s: %s", path, strerror(errno));
	}
	if (st.st_mode & 022) {
		fclose(f);
		return ok_fail(err, OK_EAUTH,
		               "%s is writable by others (mode %03o); make it 0600 first", path,
		               (unsigned)(st.st_mode & 0777));
	}
	while (!rc && fgets(line, sizeof(line), f)) {
		lineno++;
		if (line[0] == '\n' || line[0] == '#')
			continue;
		line[strcspn(line, "\r\n")] = '\0';
		rc = parse_retired(line, out);
	}
	fclose(f);
	if (!rc)
		return 0;
	memset(out, 0, sizeof(*out));
	if (rc == OK_ELIMIT)
		return ok_fail(err, rc, "%s holds more than %d keys", path, KEYFILE_RETIRED_MAX);
	if (rc == OK_EEXIST)
		ok_fail(err, OK_EINPUT, "%s line %zu: a key with this id is there already", path,
		        lineno);
	else
		ok_fail(err, OK_EINPUT,
		        "%s line %zu: expected \"ID PUBLIC_KEY RETIRED_MS\" with a 64-digit key",
		        path, lineno);
	ok_error_locate(err, path, lineno);
	return OK_EINPUT;
}

const struct keyfile_retired_key *keyfile_retired_find(const struct keyfile_retired *r, uint32_t id,
                                                       const unsigned char pk[32])
{
	size_t i;

	for (i = 0; i < r->count; i++)
		if (r->keys[i].id == id && sodium_memcmp(r->keys[i].public_key, pk, 32) == 0)
			return &r->keys[i];
	return NULL;
}

int keyfile_retired_add(const char *path, uint32_t id, const unsigned char pk[32],
                        int64_t retired_ms, struct ok_error *err)
{
	struct keyfile_retired *r = malloc(sizeof(*r));
	char *text = NULL, hex[65];
	size_t i, used = 0, cap;
	int n, rc;

	if (!r)
		return ok_fail(err, OK_ENOMEM, "out of memory");
	if ((rc = keyfile_retired_read(path, r, err)))
		goto out;
	for (i = 0; i < r->count; i++) {
		if (r->keys[i].id != id)
			continue;
		if (sodium_memcmp(r->keys[i].public_key, pk, 32) != 0)
			rc = ok_fail(err, OK_ECONFLICT, "%s lists another key with id %lu", path,
			             (unsigned long)id);
		goto out; /* listed already */
	}
	if (r->count == KEYFILE_RETIRED_MAX) {
		rc = ok_fail(err, OK_ELIMIT, "%s holds %d keys already", path, KEYFILE_RETIRED_MAX);
		goto out;
	}
	r->keys[r->count].id = id;
	memcpy(r->keys[r->count].public_key, pk, 32);
	r->keys[r->count++].retired_ms = retired_ms;
	cap = r->count * 100;
	if (!(text = malloc(cap))) {
		rc = ok_fail(err, OK_ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < r->count; i++) {
		sodium_bin2hex(hex, sizeof(hex), r->keys[i].public_key, 32);
		n = snprintf(text + used, cap - used, "%lu %s %lld\n", (unsigned long)r->keys[i].id,
		             hex, (long long)r->keys[i].retired_ms);
		if (n < 0 || (size_t)n >= cap - used) {
			rc = ok_fail(err, OK_EINTERNAL, "retired key line too long");
			goto out;
		}
		used += (size_t)n;
	}
	rc = file_write_atomic(path, text, used, 0600, 0, err);
out:
	free(text);
	free(r);
	return rc;
}
