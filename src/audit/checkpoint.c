/* Signed audit checkpoints: making them, filing them, reading the file (see checkpoint.h). */
#include "audit/checkpoint.h"

#include "core/buf.h"
#include "keys/keyfile.h"
#include "store/audit.h"
#include "core/clock.h"
#include "core/format.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* Sets path (a buf of the caller's, see core/format.h) to the data folder's file name. */
static int file_path(const struct depository *d, const char *name, struct buf *path,
                     struct ok_error *err)
{
	int rc = ok_path_join(path, d->dir, name);

	if (rc == OK_ETOOBIG)
		return ok_fail(err, OK_EINPUT, "data folder path too long");
	return rc ? ok_fail(err, rc, "out of memory") : 0;
}

/* depository_close's hook: files what committed since the last flush (best effort: the
 * checkpoint stays in the store either way, and verify checks both). */
static void flush_before_close(struct depository *d)
{
	audit_checkpoints_flush(d, NULL);
}

/* A checkpoint of this depository waits to be filed: once committed, and at the latest when the
 * depository closes. */
static void mark_unfiled(struct depository *d)
{
	d->checkpoint_unfiled = true;
	d->before_close = flush_before_close;
}

/* Fills and signs a checkpoint of (seq, head) now, with the current issuer key. */
static void sign_head(const struct depository *d, int64_t seq,
                      const unsigned char head[AUDIT_HASH_BYTES], struct audit_checkpoint *c)
{
	memset(c, 0, sizeof(*c));
	c->seq = seq;
	c->at_ms = ok_now_ms();
	memcpy(c->head, head, AUDIT_HASH_BYTES);
	c->key_id = d->issuer_key_id;
	c->every = d->audit_checkpoint_every;
	audit_checkpoint_sign(c, d->issuer_seed);
}

int audit_checkpoints_after_append(struct depository *d, const struct audit_event *e,
                                   struct ok_error *err)
{
	struct audit_checkpoint c, last;
	int rc;

	if (d->audit_checkpoint_every <= 0 || e->seq % d->audit_checkpoint_every != 0) {
		/* Verify expects a checkpoint at every multiple of the interval the last one
		 * signed (with none yet, of the configured one): when this depository keeps
		 * another interval, or a multiple was passed while none was kept, it signs this
		 * event to say so. */
		rc = store_checkpoint_last(d->store, &last, err);
		if (rc == OK_ENOTFOUND) {
			ok_error_clear(err);
			if (d->audit_checkpoint_every <= 0 || e->seq < d->audit_checkpoint_every)
				return 0;
		} else if (rc || last.every == d->audit_checkpoint_every || last.seq >= e->seq) {
			return rc;
		}
	}
	sign_head(d, e->seq, e->hash, &c);
	rc = store_checkpoint_add(d->store, &c, err);
	if (rc == OK_EEXIST) {
		ok_error_clear(err);
		return 0;
	}
	if (!rc)
		mark_unfiled(d);
	return rc;
}

/* Reading the file */

/* Splits what fd holds into lines; fn gets each (without its newline) and whether it ended
 * in a newline. Lines longer than a checkpoint line are passed cut, as malformed. */
typedef int (*line_fn)(void *ctx, size_t n, const char *text, size_t len, bool complete);

static int read_lines(int fd, const char *path, line_fn fn, void *ctx, struct ok_error *err)
{
	char chunk[65536], line[AUDIT_CHECKPOINT_LINE_MAX + 2];
	size_t len = 0, n = 0;
	ssize_t got;
	int rc;

	for (;;) {
		got = read(fd, chunk, sizeof(chunk));
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return ok_fail(err, OK_EIO, "cannot read %s: %s", path, strerror(errno));
		if (got == 0)
			break;
		for (ssize_t i = 0; i < got; i++) {
			if (chunk[i] == '\n') {
				n++;
				if ((rc = fn(ctx, n, line, len, true)))
					return rc;
				len = 0;
			} else if (len < sizeof(line) - 1) {
				/* Past that, a line is kept cut: too long to parse as a checkpoint.
				 */
				line[len++] = chunk[i];
			}
		}
	}
	if (len)
		return fn(ctx, n + 1, line, len, false);
	return 0;
}

struct file_reader {
	audit_checkpoint_line_fn fn;
	void *ctx;
	const char *path;
	struct ok_error *err;
};

static int each_line(void *ctx, size_t n, const char *text, size_t len, bool complete)
{
	struct file_reader *r = ctx;
	struct audit_checkpoint c;

	if (!complete || audit_checkpoint_parse(text, len, &c) != 0) {
		ok_fail(r->err, OK_EINPUT, "%s line %zu is %s", CHECKPOINT_FILE, n,
		        complete ? "not a checkpoint (altered?)" : "incomplete (cut off?)");
		ok_error_locate(r->err, r->path, n);
		return OK_EINPUT;
	}
	return r->fn(r->ctx, n, &c);
}

int audit_checkpoints_file_read(struct depository *d, audit_checkpoint_line_fn fn, void *ctx,
                                struct ok_error *err)
{
	struct buf path;
	struct file_reader r = {fn, ctx, NULL, err};
	int fd, rc;

	buf_init(&path, OK_PATH_MAX);
	if ((rc = file_path(d, CHECKPOINT_FILE, &path, err)))
		goto out;
	r.path = path.data;
	fd = open(path.data, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno != ENOENT)
			rc = ok_fail(err, OK_EIO, "cannot open %s: %s", path.data, strerror(errno));
		goto out;
	}
	rc = read_lines(fd, path.data, each_line, &r, err);
	close(fd);
out:
	buf_release(&path);
	return rc;
}

/* Filing */

struct file_state {
	int64_t last_seq;   /* the highest sequence number of a well-formed line */
	bool ends_in_break; /* the file is empty or its last byte is a newline */
};

static int note_line(void *ctx, size_t n, const char *text, size_t len, bool complete)
{
	struct file_state *st = ctx;
	struct audit_checkpoint c;

	(void)n;
	st->ends_in_break = complete;
	if (complete && audit_checkpoint_parse(text, len, &c) == 0 && c.seq > st->last_seq)
		st->last_seq = c.seq;
	return 0;
}

static int add_line(void *ctx, const struct audit_checkpoint *c)
{
	struct buf *out = ctx;
	char line[AUDIT_CHECKPOINT_LINE_MAX];
	size_t n = audit_checkpoint_format(c, line, sizeof(line));

	if (!n || buf_add(out, line, n) != 0)
		return OK_ENOMEM;
	return 0;
}

static int write_all(int fd, const char *data, size_t n)
{
	while (n) {
		ssize_t w = write(fd, data, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		data += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Appends the store's checkpoints that the file lacks, holding the file's lock. */
static int append_missing(struct depository *d, struct ok_error *err)
{
	struct buf path;
	struct file_state st = {0, true};
	struct buf lines;
	struct stat sb;
	bool created;
	int fd, rc;

	buf_init(&path, OK_PATH_MAX);
	if ((rc = file_path(d, CHECKPOINT_FILE, &path, err))) {
		buf_release(&path);
		return rc;
	}
	created = stat(path.data, &sb) != 0;
	fd = open(path.data, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = ok_fail(err, OK_EIO, "cannot open %s: %s", path.data, strerror(errno));
		buf_release(&path);
		return rc;
	}
	buf_init(&lines, 64 << 20);
	while ((rc = flock(fd, LOCK_EX)) != 0 && errno == EINTR)
		;
	if (rc) {
		rc = ok_fail(err, OK_EIO, "cannot lock %s: %s", path.data, strerror(errno));
		goto out;
	}
	if ((rc = read_lines(fd, path.data, note_line, &st, err)))
		goto out;
	if (!st.ends_in_break && buf_add(&lines, "\n", 1) != 0) {
		rc = ok_fail(err, OK_ENOMEM, "out of memory");
		goto out;
	}
	rc = store_checkpoint_list(d->store, st.last_seq, add_line, &lines, err);
	if (rc == OK_ENOMEM)
		rc = ok_fail(err, OK_ENOMEM, "too many checkpoints to file at once");
	if (rc || lines.len == 0)
		goto out;
	if (write_all(fd, lines.data, lines.len) != 0 || fsync(fd) != 0) {
		rc = ok_fail(err, errno == ENOSPC ? OK_EDISKFULL : OK_EIO,
		             "cannot append to %s: %s", path.data, strerror(errno));
		goto out;
	}
	if (created) {
		int dir = open(d->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dir >= 0) {
			fsync(dir);
			close(dir);
		}
	}
out:
	buf_release(&lines);
	buf_release(&path);
	close(fd); /* releases the lock */
	return rc;
}

int audit_checkpoints_flush(struct depository *d, struct ok_error *err)
{
	int rc;

	if (!d->checkpoint_unfiled || store_in_transaction(d->store))
		return 0;
	rc = append_missing(d, err);
	if (!rc)
		d->checkpoint_unfiled = false;
	return rc;
}

int audit_checkpoints_make(struct depository *d, struct audit_checkpoint *out, bool *made,
                           struct ok_error *err)
{
	unsigned char head[AUDIT_HASH_BYTES];
	struct audit_checkpoint last;
	int64_t seq;
	int rc;

	*made = false;
	memset(out, 0, sizeof(*out));
	if ((rc = store_begin(d->store, err)))
		return rc;
	if ((rc = store_audit_head(d->store, &seq, head, err)))
		goto fail;
	if (seq == 0) {
		rc = ok_fail(err, OK_ENOTFOUND, "the audit log is empty: nothing to sign");
		goto fail;
	}
	rc = store_checkpoint_last(d->store, &last, err);
	if (rc && rc != OK_ENOTFOUND)
		goto fail;
	if (!rc && last.seq > seq) {
		rc = ok_fail(
		        err, OK_ECONFLICT,
		        "the audit log ends at event %lld but a checkpoint exists at event %lld; "
		        "run `oorkonde audit verify`",
		        (long long)seq, (long long)last.seq);
		goto fail;
	}
	if (!rc && last.seq == seq) {
		*out = last;
		store_rollback(d->store);
		/* It may be waiting to be filed (made by this depository in a batch). */
		return audit_checkpoints_flush(d, err);
	}
	sign_head(d, seq, head, out);
	if ((rc = store_checkpoint_add(d->store, out, err)) || (rc = store_commit(d->store, err)))
		goto fail;
	*made = true;
	mark_unfiled(d);
	return audit_checkpoints_flush(d, err);
fail:
	store_rollback(d->store);
	return rc;
}

int audit_checkpoints_keys_load(const struct depository *d, struct audit_checkpoint_keys *out,
                                struct ok_error *err)
{
	struct keyfile_keys all;
	unsigned char sk[crypto_sign_SECRETKEYBYTES];
	struct buf path;
	size_t i;
	int rc;

	memset(out, 0, sizeof(*out));
	buf_init(&path, OK_PATH_MAX);
	if ((rc = file_path(d, "issuer.key", &path, err)) ||
	    (rc = keyfile_read_all(path.data, &all, NULL, err))) {
		buf_release(&path);
		return rc;
	}
	for (i = 0; i < all.count && i < sizeof(out->keys) / sizeof(out->keys[0]); i++) {
		out->keys[i].id = all.keys[i].id;
		crypto_sign_seed_keypair(out->keys[i].public_key, sk, all.keys[i].key);
	}
	out->count = i;
	sodium_memzero(sk, sizeof(sk));
	keyfile_keys_release(&all);
	if (!(rc = file_path(d, "issuer.key.retired", &path, err)))
		rc = keyfile_retired_read(path.data, &out->retired, err);
	buf_release(&path);
	return rc;
}

bool audit_checkpoints_trusted(struct depository *d, const struct audit_checkpoint_keys *k,
                               const struct audit_checkpoint *c)
{
	size_t i;

	(void)d;
	for (i = 0; i < k->count; i++)
		if (k->keys[i].id == c->key_id &&
		    sodium_memcmp(k->keys[i].public_key, c->public_key, AUDIT_KEY_BYTES) == 0)
			return audit_checkpoint_valid(c);
	for (i = 0; i < k->count; i++)
		if (k->keys[i].id == c->key_id)
			return false; /* a key id we hold, with another key */
	if (!keyfile_retired_find(&k->retired, c->key_id, c->public_key))
		return false;
	return audit_checkpoint_valid(c);
}
