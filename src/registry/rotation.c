/* Data-key and issuer-key rotation (see keys.h). */
#include "registry/rotation.h"
#include "registry/elmo.h"
#include "audit/txn.h"

#include "audit/log.h"
#include "keys/keyfile.h"
#include "registry/identity.h"
#include "registry/learner.h"
#include "store/foreign.h"
#include "store/identity.h"
#include "core/clock.h"
#include "core/format.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#define ACTOR   AUDIT_OPERATOR
#define PURPOSE "key-management"
/* Passes over the records after the first: each picks up records written under an older key
 * while the pass before ran (by a writer that has not read the new data.key yet). */
#define MAX_PASSES 10

/* Locking */

/* Sets path (a buf of the caller's, see core/format.h) to the data folder's file name. */
static int key_path(struct depository *d, const char *name, struct buf *path, struct ok_error *err)
{
	int rc = ok_path_join(path, d->dir, name);

	if (rc == OK_ETOOBIG)
		return ok_fail(err, OK_EINPUT, "data folder path too long");
	return rc ? ok_fail(err, rc, "out of memory") : 0;
}

/* Takes the data folder's key lock: one rotation or retirement at a time. *fd gets the lock
 * (closing it releases the lock, as does the end of the process, however it ends). */
static int lock_keys(struct depository *d, int *fd, struct ok_error *err)
{
	struct buf path;
	int rc;

	*fd = -1;
	buf_init(&path, OK_PATH_MAX);
	if ((rc = key_path(d, "keys.lock", &path, err)))
		goto out;
	*fd = open(path.data, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (*fd < 0) {
		rc = ok_fail(err, OK_EIO, "cannot open %s: %s", path.data, strerror(errno));
		goto out;
	}
	if (flock(*fd, LOCK_EX | LOCK_NB) != 0) {
		int busy = errno == EWOULDBLOCK;
		close(*fd);
		*fd = -1;
		rc = busy ? ok_fail(err, OK_EBUSY,
		                    "another key rotation is running on this data folder; "
		                    "wait for it to end")
		          : ok_fail(err, OK_EIO, "cannot lock %s: %s", path.data, strerror(errno));
	}
out:
	buf_release(&path);
	return rc;
}

static void unlock_keys(int fd)
{
	if (fd >= 0)
		close(fd);
}

/* Replaces a key file with k, then waits until every process of the folder will have looked at
 * it (depository_keys_replaced), also when the write failed after its rename: the file may have
 * changed all the same. */
static int write_key_file(struct depository *d, const char *path, const struct keyfile_keys *k,
                          struct ok_error *err)
{
	int rc = keyfile_write_all(path, k, err);

	depository_keys_replaced(d);
	return rc;
}

/* The public keys of retired issuer keys, beside issuer.key (see keyfile.h). */
#define RETIRED_FILE "issuer.key.retired"

/* Re-sealing */

/* Re-seals learner id under the current data key (d->keys): fields, blind index, digest. */
static int reseal_learner(struct depository *d, const char *id, struct ok_error *err)
{
	const struct seal_keys *k = &d->keys;
	struct store_learner l;
	struct learner_data plain;
	int rc;

	store_learner_init(&l);
	rc = store_learner_get(d->store, id, &l, err);
	if (rc == OK_ENOTFOUND) /* removed meanwhile: nothing to re-seal */
		rc = 0;
	else if (!rc && l.key_id != k->key_id &&
	         !(rc = registry_learner_open(d, &l, &plain, err))) {
		const struct {
			const char *field;
			const char *plain;
			struct buf *sealed;
		} fields[] = {
		        {"national_id", plain.national_id, &l.national_id},
		        {"given_names", plain.given_names, &l.given_names},
		        {"family_name", plain.family_name, &l.family_name},
		        {"birth_date", plain.birth_date, &l.birth_date},
		};
		size_t i;

		for (i = 0; !rc && i < sizeof(fields) / sizeof(fields[0]); i++) {
			buf_reset(fields[i].sealed);
			rc = seal_field(k, fields[i].field, l.id, fields[i].plain,
			                strlen(fields[i].plain), fields[i].sealed, err);
		}
		seal_blind_index(k, plain.national_id, l.nid_index);
		registry_learner_digest(k, &plain, l.digest);
		l.key_id = k->key_id;
		/* The same data under another key: created and updated times stay. */
		if (!rc)
			rc = store_learner_put(d->store, &l, true, err);
		sodium_memzero(&plain, sizeof(plain));
	}
	store_learner_release(&l);
	return rc;
}

/* Re-seals foreign credential id under the current data key. */
static int reseal_foreign(struct depository *d, const char *id, struct ok_error *err)
{
	const struct seal_keys *k = &d->keys, *old;
	struct store_foreign f;
	struct buf plain, sealed;
	int rc;

	store_foreign_init(&f);
	buf_init(&plain, f.credential.max);
	buf_init(&sealed, f.credential.max);
	rc = store_foreign_get(d->store, id, &f, err);
	if (rc == OK_ENOTFOUND) {
		rc = 0;
		goto out;
	}
	if (rc || f.key_id == k->key_id)
		goto out;
	old = depository_data_key(
	        d, seal_key_id_of((const unsigned char *)f.credential.data, f.credential.len), err);
	if (!old) {
		rc = err ? err->code : OK_ECRYPTO;
		goto out;
	}
	rc = seal_open(old, "foreign_credential", f.id, (const unsigned char *)f.credential.data,
	               f.credential.len, &plain, err);
	if (!rc)
		rc = seal_field(k, "foreign_credential", f.id, plain.data, plain.len, &sealed, err);
	if (!rc)
		rc = store_foreign_reseal(d->store, f.id, &sealed, k->key_id, err);
out:
	if (plain.data)
		sodium_memzero(plain.data, plain.len);
	buf_release(&plain);
	buf_release(&sealed);
	store_foreign_release(&f);
	return rc;
}

struct id_list {
	char (*ids)[STORE_ID_MAX + 1];
	size_t count, cap;
};

static int collect_id(void *ctx, const char *id)
{
	struct id_list *l = ctx;

	if (l->count == l->cap ||
	    ok_format(l->ids[l->count], sizeof(l->ids[0]), "%s", id)) /* ids fit STORE_ID_MAX */
		return OK_EINTERNAL;
	l->count++;
	return 0;
}

/* Records under an older key left (learners, foreign credentials, identity corrections). */
static int remaining(struct depository *d, uint32_t key_id, int64_t *n, struct ok_error *err)
{
	int64_t foreign = 0, changes = 0;
	int rc = store_learners_not_under(d->store, key_id, n, err);

	if (!rc)
		rc = store_foreign_not_under(d->store, key_id, &foreign, err);
	if (!rc)
		rc = store_identity_not_under(d->store, key_id, &changes, err);
	*n += foreign + changes;
	return rc;
}

/*
 * One batch in one transaction: up to batch records of the current phase after the cursor,
 * re-sealed, the progress moved on with them. At the end of the last phase with nothing left
 * under an older key, the rotation is marked finished in the same transaction.
 */
static int reseal_batch(struct depository *d, struct store_key_rotation *r, struct id_list *ids,
                        size_t batch, struct ok_error *err)
{
	struct audit_txn txn;
	struct store_key_rotation next = *r;
	char detail[160];
	size_t i;
	int64_t left;
	int rc;

	if ((rc = audit_txn_begin(d, &txn, err)))
		return rc;
	ids->count = 0;
	if (next.phase == 0)
		rc = store_learner_ids_not_under(d->store, next.to_key, next.cursor, batch,
		                                 collect_id, ids, err);
	else if (next.phase == 1)
		rc = store_foreign_ids_not_under(d->store, next.to_key, next.cursor, batch,
		                                 collect_id, ids, err);
	else if (next.phase == 2)
		rc = store_identity_ids_not_under(d->store, next.to_key, next.cursor, batch,
		                                  collect_id, ids, err);
	for (i = 0; !rc && i < ids->count; i++)
		rc = next.phase == 0   ? reseal_learner(d, ids->ids[i], err)
		     : next.phase == 1 ? reseal_foreign(d, ids->ids[i], err)
		                       : registry_identity_reseal(d, ids->ids[i], err);
	if (rc)
		return audit_txn_end(&txn, rc, err);
	next.done += (int64_t)ids->count;
	if (ids->count &&
	    ok_format(next.cursor, sizeof(next.cursor), "%s", ids->ids[ids->count - 1]))
		return audit_txn_end(
		        &txn, ok_fail(err, OK_EINTERNAL, "a record id does not fit the cursor"),
		        err);
	if (ids->count < batch) {
		/* This phase's pass is over. */
		next.cursor[0] = '\0';
		if (next.phase < 2) {
			next.phase++;
		} else if ((rc = remaining(d, next.to_key, &left, err))) {
			return audit_txn_end(&txn, rc, err);
		} else if (left == 0) {
			/* Records an import re-sealed meanwhile count as done. */
			next.done = next.total > next.done ? next.total : next.done;
			next.total = next.done;
			next.finished_ms = ok_now_ms();
		} else {
			next.phase = 0;
			next.total = next.done + left;
		}
	}
	if (next.done > next.total)
		next.total = next.done;
	rc = store_rotation_put(d->store, &next, err);
	if (!rc && ids->count) {
		if (ok_format(detail, sizeof(detail), "key=%lu records=%zu done=%lld of %lld",
		              (unsigned long)next.to_key, ids->count, (long long)next.done,
		              (long long)next.total))
			rc = ok_fail(err, OK_EINTERNAL, "audit detail too long");
		else
			rc = audit_txn_event(&txn, ACTOR, "key.data.reseal", "data.key", PURPOSE,
			                     detail, err);
	}
	if (!rc && next.finished_ms) {
		if (ok_format(detail, sizeof(detail), "key=%lu records=%lld",
		              (unsigned long)next.to_key, (long long)next.total))
			rc = ok_fail(err, OK_EINTERNAL, "audit detail too long");
		else
			rc = audit_txn_event(&txn, ACTOR, "key.data.rotate.finish", "data.key",
			                     PURPOSE, detail, err);
	}
	if ((rc = audit_txn_end(&txn, rc, err)))
		return rc;
	*r = next;
	return 0;
}

/* Key files */

/* Makes to_key the current key of data.key, adding it (random) when the file lacks it. */
static int ensure_data_key(struct depository *d, uint32_t to_key, struct ok_error *err)
{
	struct buf path;
	struct keyfile_keys k;
	uint32_t id;
	size_t i;
	int rc;

	buf_init(&path, OK_PATH_MAX);
	if ((rc = key_path(d, "data.key", &path, err)) ||
	    (rc = keyfile_read_all(path.data, &k, NULL, err))) {
		buf_release(&path);
		return rc;
	}
	for (i = 0; i < k.count && k.keys[i].id != to_key; i++)
		;
	if (i < k.count && i != k.count - 1)
		rc = ok_fail(err, OK_ECONFLICT,
		             "%s: data key %lu is not the last (current) key; the file was changed "
		             "by hand",
		             path.data, (unsigned long)to_key);
	else if (i == k.count && !(rc = keyfile_keys_add_random(&k, to_key - 1, &id, err))) {
		if (id != to_key)
			rc = ok_fail(
			        err, OK_ECONFLICT,
			        "%s holds a key with an id above %lu; the file was changed by hand",
			        path.data, (unsigned long)to_key);
		else
			rc = write_key_file(d, path.data, &k, err);
	}
	keyfile_keys_release(&k);
	buf_release(&path);
	if (!rc)
		rc = depository_keys_refresh(d, err);
	if (!rc && d->keys.key_id != to_key)
		rc = ok_fail(err, OK_EINTERNAL, "data.key was not re-read");
	return rc;
}

/* Removes every key but keep from data.key: they no longer open anything. */
static int drop_older_data_keys(struct depository *d, uint32_t keep, struct ok_error *err)
{
	struct buf path;
	struct keyfile_keys k;
	size_t i, n = 0;
	int rc;

	/* The ELMO signing key (registry/elmo.h) is sealed in a file of its own: keep seals it. */
	if ((rc = registry_elmo_key_reseal(d, keep, err)))
		return rc;
	buf_init(&path, OK_PATH_MAX);
	if ((rc = key_path(d, "data.key", &path, err)) ||
	    (rc = keyfile_read_all(path.data, &k, NULL, err))) {
		buf_release(&path);
		return rc;
	}
	for (i = 0; i < k.count; i++)
		if (k.keys[i].id != keep)
			n++;
	while (!rc && k.count > 1) {
		for (i = 0; k.keys[i].id == keep; i++)
			;
		rc = keyfile_keys_remove(&k, k.keys[i].id, err);
	}
	if (!rc && (k.count != 1 || k.keys[0].id != keep))
		rc = ok_fail(err, OK_ECONFLICT, "%s does not hold data key %lu", path.data,
		             (unsigned long)keep);
	if (!rc && n)
		rc = write_key_file(d, path.data, &k, err);
	keyfile_keys_release(&k);
	buf_release(&path);
	if (!rc)
		rc = depository_keys_refresh(d, err);
	return rc;
}

/* Data key */

static void progress_of(const struct store_key_rotation *r, struct keys_progress *p)
{
	p->to_key = r->to_key;
	p->done = r->done;
	p->total = r->total;
	p->finished = r->finished_ms != 0;
}

/* Starts a rotation to a new key: recorded (and audited) before data.key changes, so that a
 * run killed in between resumes to the same key id. */
static int start_rotation(struct depository *d, const struct store_key_rotation *last,
                          struct store_key_rotation *r, struct ok_error *err)
{
	struct audit_txn txn;
	char detail[160];
	uint32_t top = last ? last->to_key : 0;
	size_t i;
	int rc;

	for (i = 0; i < d->data_keys.count; i++)
		if (d->data_keys.keys[i].key_id > top)
			top = d->data_keys.keys[i].key_id;
	if (top == UINT32_MAX)
		return ok_fail(err, OK_ELIMIT, "no data key id left");
	memset(r, 0, sizeof(*r));
	r->to_key = top + 1;
	r->from_key = d->keys.key_id;
	r->started_ms = ok_now_ms();
	if ((rc = audit_txn_begin(d, &txn, err)))
		return rc;
	rc = remaining(d, r->to_key, &r->total, err);
	if (!rc)
		rc = store_rotation_put(d->store, r, err);
	if (!rc &&
	    ok_format(detail, sizeof(detail), "key=%lu previous=%lu records=%lld",
	              (unsigned long)r->to_key, (unsigned long)r->from_key, (long long)r->total))
		rc = ok_fail(err, OK_EINTERNAL, "audit detail too long");
	if (!rc)
		rc = audit_txn_event(&txn, ACTOR, "key.data.rotate", "data.key", PURPOSE, detail,
		                     err);
	return audit_txn_end(&txn, rc, err);
}

int registry_keys_rotate_data(struct depository *d, const struct keys_rotate_options *o,
                              struct keys_progress *out, struct ok_error *err)
{
	struct store_key_rotation last, r;
	struct id_list ids = {0};
	size_t batch = o && o->batch ? o->batch : KEYS_DEFAULT_BATCH;
	size_t passes = 0;
	bool have_last;
	int fd = -1, rc;

	memset(out, 0, sizeof(*out));
	if (batch > KEYS_MAX_BATCH)
		return ok_fail_field(err, OK_EINPUT, "batch", "the batch must be 1-%d records",
		                     KEYS_MAX_BATCH);
	if ((rc = lock_keys(d, &fd, err)) || (rc = depository_keys_refresh(d, err)))
		goto out;
	rc = store_rotation_last(d->store, &last, err);
	if (rc && rc != OK_ENOTFOUND)
		goto out;
	have_last = rc == 0;
	rc = 0;
	if (have_last && (!last.finished_ms || d->data_keys.count > 1)) {
		/* Interrupted: while re-sealing, or after it before data.key was rewritten. */
		r = last;
		out->resumed = true;
	} else if ((rc = start_rotation(d, have_last ? &last : NULL, &r, err))) {
		goto out;
	}
	if ((rc = ensure_data_key(d, r.to_key, err)))
		goto out;
	ids.cap = batch;
	ids.ids = calloc(batch, sizeof(*ids.ids));
	if (!ids.ids) {
		rc = ok_fail(err, OK_ENOMEM, "out of memory");
		goto out;
	}
	while (!r.finished_ms) {
		if (o && o->max_batches && out->batches == o->max_batches)
			break;
		if (r.phase == 0 && !r.cursor[0] && r.done > 0 && ++passes > MAX_PASSES) {
			rc = ok_fail(
			        err, OK_ECONFLICT,
			        "records keep appearing under an older data key; is a program "
			        "that does not know data-key rotation writing to this folder?");
			goto out;
		}
		if ((rc = reseal_batch(d, &r, &ids, batch, err)))
			goto out;
		out->batches++;
		progress_of(&r, out);
		if (o && o->on_batch)
			o->on_batch(o->ctx, out);
	}
	if (r.finished_ms)
		rc = drop_older_data_keys(d, r.to_key, err);
	progress_of(&r, out);
out:
	free(ids.ids);
	unlock_keys(fd);
	return rc;
}

int registry_keys_data_progress(struct depository *d, struct keys_progress *out,
                                struct ok_error *err)
{
	struct store_key_rotation r;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = store_rotation_last(d->store, &r, err)))
		return rc;
	progress_of(&r, out);
	/* Finished in the store, but data.key not rewritten yet (interrupted just before). */
	if (out->finished && seal_keyring_find(&d->data_keys, r.to_key) && d->data_keys.count > 1)
		out->finished = false;
	return 0;
}

#define COUNTED_KEYS 32

struct key_counts {
	struct keys_data_count c[COUNTED_KEYS];
	size_t n;
};

static struct keys_data_count *count_slot(struct key_counts *k, uint32_t key_id)
{
	size_t i;

	for (i = 0; i < k->n; i++)
		if (k->c[i].key_id == key_id)
			return &k->c[i];
	if (k->n == COUNTED_KEYS)
		return NULL;
	memset(&k->c[k->n], 0, sizeof(k->c[0]));
	k->c[k->n].key_id = key_id;
	return &k->c[k->n++];
}

static int count_learners(void *ctx, uint32_t key_id, int64_t n)
{
	struct keys_data_count *c = count_slot(ctx, key_id);

	if (!c)
		return OK_ELIMIT;
	c->learners = n;
	return 0;
}

static int count_foreign(void *ctx, uint32_t key_id, int64_t n)
{
	struct keys_data_count *c = count_slot(ctx, key_id);

	if (!c)
		return OK_ELIMIT;
	c->foreign = n;
	return 0;
}

static int by_key_id(const void *a, const void *b)
{
	const struct keys_data_count *x = a, *y = b;

	return x->key_id < y->key_id ? -1 : x->key_id > y->key_id;
}

int registry_keys_data_counts(struct depository *d, keys_data_count_fn fn, void *ctx,
                              struct ok_error *err)
{
	struct key_counts *k = calloc(1, sizeof(*k));
	size_t i;
	int rc;

	if (!k)
		return ok_fail(err, OK_ENOMEM, "out of memory");
	rc = depository_keys_refresh(d, err);
	for (i = 0; !rc && i < d->data_keys.count; i++)
		if (!count_slot(k, d->data_keys.keys[i].key_id))
			rc = OK_ELIMIT;
	if (!rc)
		rc = store_learners_by_key(d->store, count_learners, k, err);
	if (!rc)
		rc = store_foreign_by_key(d->store, count_foreign, k, err);
	if (rc == OK_ELIMIT)
		rc = ok_fail(err, rc, "records are sealed under more than %d data keys",
		             COUNTED_KEYS);
	qsort(k->c, k->n, sizeof(k->c[0]), by_key_id);
	for (i = 0; !rc && i < k->n; i++) {
		k->c[i].in_file = seal_keyring_find(&d->data_keys, k->c[i].key_id) != NULL;
		k->c[i].current = k->c[i].key_id == d->keys.key_id;
		rc = fn(ctx, &k->c[i]);
	}
	free(k);
	return rc;
}

/* Issuer keys */

/* The history record of a key of issuer.key, or a fresh one (added_ms 0: unknown). */
static int history_of(struct depository *d, const struct depository_issuer_key *key,
                      struct store_issuer_key *out, struct ok_error *err)
{
	int rc = store_issuer_key_get(d->store, key->id, out, err);

	if (rc == OK_ENOTFOUND || (!rc && sodium_memcmp(out->public_key, key->pk, 32) != 0)) {
		/* Unknown, or a record of a key id that never made it into the file. */
		memset(out, 0, sizeof(*out));
		out->key_id = key->id;
		memcpy(out->public_key, key->pk, 32);
		if (err && rc == OK_ENOTFOUND)
			ok_error_clear(err);
		rc = 0;
	}
	return rc;
}

struct highest {
	uint32_t id;
};

static int note_highest(void *ctx, const struct store_issuer_key *k)
{
	struct highest *h = ctx;

	if (k->key_id > h->id)
		h->id = k->key_id;
	return 0;
}

int registry_keys_rotate_issuer(struct depository *d, uint32_t *key_id, struct ok_error *err)
{
	struct audit_txn txn;
	char detail[400];
	struct buf path;
	struct keyfile_keys k;
	struct store_issuer_key prev, next;
	struct highest h = {0};
	unsigned char sk[64];
	size_t i;
	int fd = -1, rc;

	*key_id = 0;
	memset(&k, 0, sizeof(k));
	buf_init(&path, OK_PATH_MAX);
	if (!d->host[0])
		return ok_fail(
		        err, OK_EUNSUPPORTED,
		        "this depository's identity is a did:key, which is its one key: set "
		        "\"host\" in config.json (a did:web) before rotating the signing key");
	if ((rc = lock_keys(d, &fd, err)) || (rc = depository_keys_refresh(d, err)) ||
	    (rc = key_path(d, "issuer.key", &path, err)) ||
	    (rc = store_issuer_key_list(d->store, note_highest, &h, err)) ||
	    (rc = keyfile_read_all(path.data, &k, NULL, err)) ||
	    (rc = keyfile_keys_add_random(&k, h.id, key_id, err)))
		goto out;
	memset(&next, 0, sizeof(next));
	next.key_id = *key_id;
	crypto_sign_seed_keypair(next.public_key, sk, k.keys[k.count - 1].key);
	sodium_memzero(sk, sizeof(sk));
	next.added_ms = ok_now_ms();
	/* Recorded and audited first: a run killed before the file is written leaves only an
	 * unused id behind. */
	if ((rc = audit_txn_begin(d, &txn, err)))
		goto out;
	for (i = 0; !rc && i < d->issuer_key_count; i++) {
		rc = history_of(d, &d->issuer_keys[i], &prev, err);
		if (!rc && d->issuer_keys[i].id == d->issuer_key_id)
			prev.superseded_ms = next.added_ms;
		if (!rc)
			rc = store_issuer_key_put(d->store, &prev, err);
	}
	if (!rc)
		rc = store_issuer_key_put(d->store, &next, err);
	if (!rc &&
	    ok_format(detail, sizeof(detail), "key=%lu previous=%lu did=%s", (unsigned long)*key_id,
	              (unsigned long)d->issuer_key_id, d->issuer_did))
		rc = ok_fail(err, OK_EINTERNAL, "audit detail too long");
	if (!rc)
		rc = audit_txn_event(&txn, ACTOR, "key.issuer.rotate", "issuer.key", PURPOSE,
		                     detail, err);
	if ((rc = audit_txn_end(&txn, rc, err)))
		goto out;
	if ((rc = write_key_file(d, path.data, &k, err)))
		goto out;
	rc = depository_keys_refresh(d, err);
	if (!rc && d->issuer_key_id != *key_id)
		rc = ok_fail(err, OK_EINTERNAL, "issuer.key was not re-read");
out:
	keyfile_keys_release(&k);
	buf_release(&path);
	unlock_keys(fd);
	return rc;
}

int registry_keys_retire_issuer(struct depository *d, uint32_t key_id, bool force, int64_t *active,
                                struct ok_error *err)
{
	struct audit_txn txn;
	char detail[200], when[32];
	struct buf path;
	struct keyfile_keys k;
	struct store_issuer_key rec;
	int64_t n = 0;
	size_t i;
	int fd = -1, rc;

	memset(&k, 0, sizeof(k));
	buf_init(&path, OK_PATH_MAX);
	if (active)
		*active = 0;
	if ((rc = lock_keys(d, &fd, err)) || (rc = depository_keys_refresh(d, err)))
		goto out;
	for (i = 0; i < d->issuer_key_count && d->issuer_keys[i].id != key_id; i++)
		;
	if (i == d->issuer_key_count) {
		rc = store_issuer_key_get(d->store, key_id, &rec, NULL);
		if (!rc && rec.retired_ms) {
			audit_format_time(rec.retired_ms, when);
			rc = ok_fail_field(err, OK_ENOTFOUND, "key",
			                   "issuer key %lu was retired already (%s)",
			                   (unsigned long)key_id, when);
		} else {
			rc = ok_fail_field(err, OK_ENOTFOUND, "key", "issuer.key holds no key %lu",
			                   (unsigned long)key_id);
		}
		goto out;
	}
	if (key_id == d->issuer_key_id) {
		rc = ok_fail_field(err, OK_ECONFLICT, "key",
		                   "issuer key %lu is the current signing key; add a new one first "
		                   "(oorkonde keys rotate-issuer-key)",
		                   (unsigned long)key_id);
		goto out;
	}
	if ((rc = history_of(d, &d->issuer_keys[i], &rec, err)) ||
	    (rc = store_credentials_issued(d->store, rec.added_ms, rec.superseded_ms, &n, err)))
		goto out;
	if (active)
		*active = n;
	if (n > 0 && !force) {
		rc = ok_fail_field(
		        err, OK_ECONFLICT, "key",
		        "issuer key %lu signed %lld credential%s of achievements that are "
		        "not revoked; once it is retired they fail verification (their "
		        "holders can be issued new ones). Use --force to retire it anyway",
		        (unsigned long)key_id, (long long)n, n == 1 ? "" : "s");
		goto out;
	}
	rec.retired_ms = ok_now_ms();
	if (!rec.superseded_ms)
		rec.superseded_ms = rec.retired_ms;
	if ((rc = audit_txn_begin(d, &txn, err)))
		goto out;
	rc = store_issuer_key_put(d->store, &rec, err);
	if (!rc && ok_format(detail, sizeof(detail), "key=%lu active_credentials=%lld%s",
	                     (unsigned long)key_id, (long long)n, force && n ? " forced" : ""))
		rc = ok_fail(err, OK_EINTERNAL, "audit detail too long");
	if (!rc)
		rc = audit_txn_event(&txn, ACTOR, "key.issuer.retire", "issuer.key", PURPOSE,
		                     detail, err);
	if ((rc = audit_txn_end(&txn, rc, err)))
		goto out;
	/* Listed as retired (outside the database) before it leaves issuer.key: a run killed in
	 * between leaves it in both, never in neither. */
	if ((rc = key_path(d, RETIRED_FILE, &path, err)) ||
	    (rc = keyfile_retired_add(path.data, key_id, d->issuer_keys[i].pk, rec.retired_ms,
	                              err)))
		goto out;
	if ((rc = key_path(d, "issuer.key", &path, err)) ||
	    (rc = keyfile_read_all(path.data, &k, NULL, err)) ||
	    (rc = keyfile_keys_remove(&k, key_id, err)) ||
	    (rc = write_key_file(d, path.data, &k, err)))
		goto out;
	rc = depository_keys_refresh(d, err);
out:
	keyfile_keys_release(&k);
	buf_release(&path);
	unlock_keys(fd);
	return rc;
}

struct issuer_listing {
	struct depository *d;
	store_issuer_key_fn fn;
	void *ctx;
};

/* Retired keys (no longer in the file) of the history. */
static int list_retired(void *ctx, const struct store_issuer_key *k)
{
	struct issuer_listing *l = ctx;
	size_t i;

	for (i = 0; i < l->d->issuer_key_count; i++)
		if (l->d->issuer_keys[i].id == k->key_id)
			return 0;
	return k->retired_ms ? l->fn(l->ctx, k) : 0;
}

int registry_keys_issuer_list(struct depository *d, store_issuer_key_fn fn, void *ctx,
                              struct ok_error *err)
{
	struct issuer_listing l = {d, fn, ctx};
	struct store_issuer_key rec;
	size_t i;
	int rc;

	if ((rc = depository_keys_refresh(d, err)))
		return rc;
	if ((rc = store_issuer_key_list(d->store, list_retired, &l, err)))
		return rc;
	for (i = 0; i < d->issuer_key_count; i++) {
		rc = history_of(d, &d->issuer_keys[i], &rec, err);
		if (!rc)
			rc = fn(ctx, &rec);
		if (rc)
			return rc;
	}
	return 0;
}

/* The entry of issuer.key.retired for key_id (with public key pk, or any when pk is NULL). */
static bool retired_entry(struct depository *d, uint32_t key_id, const unsigned char *pk,
                          struct keyfile_retired_key *out)
{
	struct keyfile_retired *r = malloc(sizeof(*r));
	struct buf path;
	bool found = false;
	size_t i;

	if (!r)
		return false;
	buf_init(&path, OK_PATH_MAX);
	if (key_path(d, RETIRED_FILE, &path, NULL) == 0 &&
	    keyfile_retired_read(path.data, r, NULL) == 0) {
		for (i = 0; i < r->count && !found; i++) {
			if (r->keys[i].id != key_id ||
			    (pk && sodium_memcmp(r->keys[i].public_key, pk, 32) != 0))
				continue;
			*out = r->keys[i];
			found = true;
		}
	}
	buf_release(&path);
	free(r);
	return found;
}

bool registry_keys_issuer_known(struct depository *d, uint32_t key_id, const unsigned char pk[32],
                                int64_t *retired_ms)
{
	struct keyfile_retired_key rec;
	size_t i;

	if (retired_ms)
		*retired_ms = 0;
	for (i = 0; i < d->issuer_key_count; i++)
		if (d->issuer_keys[i].id == key_id)
			return sodium_memcmp(d->issuer_keys[i].pk, pk, 32) == 0;
	if (!retired_entry(d, key_id, pk, &rec))
		return false;
	if (retired_ms)
		*retired_ms = rec.retired_ms;
	return true;
}

int registry_keys_retired_vm(struct depository *d, const char *vm, int64_t *retired_ms)
{
	const char *frag = strrchr(vm, '#');
	struct keyfile_retired_key rec;
	uint32_t id;

	*retired_ms = 0;
	if (!frag || !d->host[0] || strncmp(vm, d->issuer_did, strlen(d->issuer_did)) != 0 ||
	    vm + strlen(d->issuer_did) != frag ||
	    registry_keys_parse_id(frag + 1, &id, NULL) != 0 || strncmp(frag + 1, "key-", 4) != 0)
		return OK_ENOTFOUND;
	if (!retired_entry(d, id, NULL, &rec))
		return OK_ENOTFOUND;
	*retired_ms = rec.retired_ms;
	return 0;
}

int registry_keys_parse_id(const char *text, uint32_t *key_id, struct ok_error *err)
{
	const char *p = strrchr(text, '#');
	unsigned long v;
	char *end = NULL;

	p = p ? p + 1 : text;
	if (strncmp(p, "key-", 4) == 0)
		p += 4;
	errno = 0;
	v = *p >= '0' && *p <= '9' ? strtoul(p, &end, 10) : 0;
	if (!v || errno || *end || v > UINT32_MAX)
		return ok_fail_field(err, OK_EINPUT, "key",
		                     "a key is given as N, key-N or the verification method id "
		                     "(DID#key-N)");
	*key_id = (uint32_t)v;
	return 0;
}
