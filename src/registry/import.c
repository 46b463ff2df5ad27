/* The importer: validated rows → sealed learners and achievements, in batched transactions. */
#include "registry/import.h"
#include "core/format.h"
#include "audit/txn.h"
#include "audit/txn_bulk.h"

#include "io/csv_writer.h"

#include "registry/achievement.h"
#include "registry/leak.h"
#include "registry/learner.h"
#include "registry/status.h"
#include "core/clock.h"
#include "store/import.h"

#include "registry/import_pipeline.h"

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Rows per transaction. At a million new learners a batch dirties most leaf pages of the
 * learners' blind index (a keyed hash: every insert lands anywhere), and each commit's pages are
 * copied to the WAL and again into the database: fewer, larger batches copy each page fewer times
 * (docs/benchmarks.md, "Larger batches"). */
#define DEFAULT_BATCH_ROWS 100000
/* Rows the bulk path holds in memory before it writes them into the open transaction: what
 * bounds the importer's memory (about 1 KiB a row), whatever the size of a batch. */
#define HOLD_ROWS           10000
#define LEARNER_CACHE_SLOTS 65536 /* direct-mapped; a power of two */
#define PROGRESS_EVERY      2048

const char *const import_error_columns[IMPORT_ERROR_COLUMNS] = {"error_line", "error_field",
                                                                "error_reason"};

/* A learner the batch knows: found by the lookup, or new in this batch. */
struct bulk_learner {
	unsigned char idx[SEAL_INDEX_BYTES];
	unsigned char digest[SEAL_DIGEST_BYTES];
	char id[STORE_ID_MAX + 1];
};

/* One input row, held: a registration, or a rejection already known. Held compactly (a batch
 * of them must fit in the few MiB the importer works in): the registration's texts packed in
 * bulk->text, a rejection's error in bulk->errors. */
struct held_row {
	bool rejected;
	bool has_row; /* a CSV row came with it (for on_reject) */
	size_t line;  /* for errors found when the batch is written */
	const char *file;
	size_t csv_line;
	char separator;
	size_t count, field0; /* the row's fields: bulk->fields[field0 .. field0 + count) */
	size_t data;          /* packed registration: offset in bulk->text; or index of the error */
	enum achievement_kind kind;
	int eqf_level;
	long credits_centi;
	size_t bytes;   /* input consumed after this row, for progress */
	int32_t sealed; /* its learner sealed ahead in chunk->sealed (pipelined), or -1 */
};

/* A record the batch knows: what the decisions about a later row of it need. */
struct known_record {
	char id[STORE_ID_MAX + 1];
	char status[16];
	unsigned char digest[SEAL_DIGEST_BYTES];
	int version;
	int64_t created_ms, status_list, status_index;
	size_t record_id; /* offset in bulk->record_text */
};

/* New rows are written once this many are pending (and at the end of the batch). */
#define BULK_PENDING_MAX 2048
/* Audit events are appended this many at a time. */
#define BULK_EVENTS 2048

struct held_field {
	size_t off, len; /* in bulk->text */
};

/* Rows held together: what the bulk path writes at once, and what the import's producer hands
 * its writer (import_pipeline.h). Owns everything it points to. */
struct chunk {
	struct held_row *rows;
	size_t nrows, cap_rows;
	struct held_field *fields;
	size_t nfields, cap_fields;
	struct buf text; /* the held rows' CSV fields and registrations, NUL-terminated each */
	struct ok_error *errors;
	size_t nerrors, cap_errors;
	size_t cap; /* rows it can hold: the size of the arrays below */
	/* each valid row's blind index and digest; valid when hashed, under data key key_id */
	unsigned char (*idx)[SEAL_INDEX_BYTES];
	unsigned char (*digest)[SEAL_DIGEST_BYTES];
	bool hashed;
	uint32_t key_id;
	/* Filled by the producer: the learner of each run of rows sealed ahead under a new id
	 * (used if the writer finds the learner new), and each row's achievement digest under
	 * that id. NULL when not pipelined. */
	struct store_learner *sealed;
	bool *sealed_used;
	size_t nsealed;
	char (*ahead_id)[STORE_ID_MAX + 1]; /* the id each sealed[i] was sealed under */
	unsigned char (*adigest)[SEAL_DIGEST_BYTES];
	/* the producer's end: the input's last chunk (and the input's size), or a failure */
	bool last;
	size_t end_bytes;
	int rc;
	struct ok_error err;
};

struct bulk {
	const struct store_import_ops *ops;
	struct chunk own;   /* the rows held when not pipelined */
	struct chunk *held; /* the rows being held or written: own, or the writer's chunk */
	bool ahead;         /* held->sealed and held->adigest hold, under the current key */
	size_t chunk_runs, chunk_new; /* the last write's learners looked up, and found new */
	/* learners known to the batch, by blind index (open addressing, -1 empty) */
	struct bulk_learner *learners;
	size_t nlearners;
	int32_t *lmap;
	/* records known to the batch (found, then new), by record id */
	struct known_record *ach;
	size_t nach;
	struct buf record_text;
	int32_t *amap;
	size_t map_slots; /* of lmap and amap: a power of two, at least twice the batch */
	/* new learners and records not written yet (up to BULK_PENDING_MAX each) */
	struct store_learner *pending;
	size_t npending;
	struct store_achievement *pach;
	size_t npach;
	/* the slots of the newest status list that are taken */
	unsigned char *bits;
	int64_t bits_n, bits_used, bits_size;
	bool bits_valid;
	unsigned char (*qidx)[SEAL_INDEX_BYTES];           /* the learners asked for */
	const char **record_ids;                           /* into text */
	struct audit_event *events;                        /* BULK_EVENTS */
	unsigned char hash_key[crypto_shorthash_KEYBYTES]; /* amap's, drawn per import */
};

static int bulk_new(struct bulk **out, const struct store_import_ops *ops, size_t batch_rows);
static void bulk_free(struct bulk *b);

/* Random bytes drawn ahead, 4 KiB per system call. */
struct rand_pool {
	unsigned char bytes[4096];
	size_t used; /* sizeof(bytes) when empty */
};

struct learner_cache_slot {
	unsigned char nid_index[SEAL_INDEX_BYTES];
	unsigned char digest[SEAL_DIGEST_BYTES];
	char id[STORE_ID_MAX + 1];
	bool used;
};

struct importer {
	struct depository *d;
	struct import_options o;
	struct import_report report;
	char today[11];
	char country[3];         /* the institution's, for the rules of its national ids */
	bool single_transaction; /* strict or dry run: everything in one transaction */
	bool in_transaction;     /* txn is open */
	struct audit_txn txn;
	size_t batch_rows;
	size_t hold_rows; /* rows the bulk path holds before it writes them (<= batch_rows) */
	size_t rows_in_batch;
	size_t bytes; /* input consumed, for progress */
	/* per batch */
	size_t batch_added, batch_updated, batch_unchanged, batch_rejected;
	char (*touched)[STORE_ID_MAX + 1]; /* learner ids written in this batch */
	size_t touched_count;
	struct learner_cache_slot *cache;
	struct store_learner scratch; /* sealed fields of the learner being written */
	struct status_allocator slots;
	size_t line;      /* the current row's line (CSV) or position (JSON), for conflicts */
	const char *file; /* the CSV input's name, for rejections; NULL for others */
	const struct csv_row *row; /* the current CSV row, NULL for other input */
	struct rand_pool random;   /* drawn in bulk: one system call per 4 KiB, not per id */
	/* The previous row's learner: rows of one learner usually come together. */
	struct learner_data last_learner;
	char last_id[STORE_ID_MAX + 1];
	bool have_last;
	struct bulk *bulk; /* the batch held for the store's bulk path; NULL when it has none */
	/* Identity conflicts met: the learners of the first LEAK_CONFLICTS_PER_IMPORT, and all of
	 * them counted (conflicts_met), audited and counted against the key at the end. */
	char (*conflicts)[STORE_ID_MAX + 1];
	size_t conflicts_met;
};

/* Random bytes from a pool (the importer's, or its producer's). */
static void pool_random(struct rand_pool *p, unsigned char *out, size_t n)
{
	if (p->used + n > sizeof(p->bytes)) {
		randombytes_buf(p->bytes, sizeof(p->bytes));
		p->used = 0;
	}
	memcpy(out, p->bytes + p->used, n);
	p->used += n;
}

static void pool_id(struct rand_pool *p, char out[25])
{
	unsigned char r[6];

	pool_random(p, r, sizeof(r));
	depository_id_from(r, out);
}

static void new_id(struct importer *imp, char out[25])
{
	pool_id(&imp->random, out);
}

#ifdef OK_TEST_HOOKS
static size_t test_hold_rows(size_t rows);
#endif

#ifdef OK_TEST_HOOKS
/* Tests that kill an import between batches ask for smaller ones: OORKONDE_TEST_IMPORT_BATCH_ROWS
 * rows, at most the default. */
static size_t test_batch_rows(void)
{
	const char *v = getenv("OORKONDE_TEST_IMPORT_BATCH_ROWS");
	char *end;
	unsigned long long n;

	if (!v || !v[0])
		return DEFAULT_BATCH_ROWS;
	n = strtoull(v, &end, 10);
	return (*end || n < 1 || n > DEFAULT_BATCH_ROWS) ? DEFAULT_BATCH_ROWS : (size_t)n;
}
#endif

static void reset_batch(struct importer *imp)
{
	imp->rows_in_batch = 0;
	imp->batch_added = imp->batch_updated = imp->batch_unchanged = imp->batch_rejected = 0;
	imp->touched_count = 0;
}

/* Starts an import that holds hold rows at a time unless o says otherwise. */
static int begin(struct importer **out, struct depository *d, const struct import_options *o,
                 size_t hold, struct ok_error *err)
{
	struct store_institution inst;
	struct importer *imp;
	int rc;

	*out = NULL;
	memset(&inst, 0, sizeof(inst));
	rc = store_institution_get(d->store, o->institution, &inst, err);
	if (rc == OK_ENOTFOUND)
		return ok_fail_field(err, OK_ENOTFOUND, "institution",
		                     "unknown institution %s: add it with `oorkonde institution "
		                     "add`",
		                     o->institution);
	if (rc)
		return rc;
	imp = calloc(1, sizeof(*imp));
	if (!imp)
		return ok_fail(err, OK_ENOMEM, "import: out of memory");
	imp->d = d;
	imp->o = *o;
	memcpy(imp->country, inst.country, sizeof(imp->country));
	imp->batch_rows = o->batch_rows ? o->batch_rows : DEFAULT_BATCH_ROWS;
#ifdef OK_TEST_HOOKS
	if (!o->batch_rows)
		imp->batch_rows = test_batch_rows();
#endif
	imp->hold_rows = o->hold_rows ? o->hold_rows : hold;
#ifdef OK_TEST_HOOKS
	if (!o->hold_rows)
		imp->hold_rows = test_hold_rows(imp->hold_rows);
#endif
	if (imp->hold_rows > imp->batch_rows)
		imp->hold_rows = imp->batch_rows;
	imp->single_transaction = o->strict || o->dry_run;
	imp->touched = calloc(imp->batch_rows, sizeof(*imp->touched));
	imp->cache = calloc(LEARNER_CACHE_SLOTS, sizeof(*imp->cache));
	imp->conflicts = calloc(LEAK_CONFLICTS_PER_IMPORT, sizeof(*imp->conflicts));
	if (!imp->touched || !imp->cache || !imp->conflicts) {
		free(imp->touched);
		free(imp->cache);
		free(imp->conflicts);
		free(imp);
		return ok_fail(err, OK_ENOMEM, "import: out of memory");
	}
	store_learner_init(&imp->scratch);
	if (store_bulk(d->store) && bulk_new(&imp->bulk, store_bulk(d->store), imp->hold_rows)) {
		free(imp->touched);
		free(imp->cache);
		free(imp->conflicts);
		free(imp);
		return ok_fail(err, OK_ENOMEM, "import: out of memory");
	}
	imp->random.used = sizeof(imp->random.bytes);
	model_today(imp->today);
	*out = imp;
	return 0;
}

int importer_begin(struct importer **out, struct depository *d, const struct import_options *o,
                   struct ok_error *err)
{
	return begin(out, d, o, HOLD_ROWS, err);
}

/* Adds a learner written in this batch (for its learner.write event): a learner's rows usually
 * come together, so one equal to the last added is not added again (the events are one per
 * distinct learner either way: audit_batch sorts and skips repeats). */
static void touch(struct importer *imp, const char *learner_id)
{
	size_t n = strlen(learner_id);

	if (imp->touched_count > 0 && strcmp(imp->touched[imp->touched_count - 1], learner_id) == 0)
		return;
	if (n > STORE_ID_MAX)
		n = STORE_ID_MAX;
	memcpy(imp->touched[imp->touched_count], learner_id, n);
	imp->touched[imp->touched_count][n] = '\0';
	imp->touched_count++;
}

static int compare_ids(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* Writes the batch's audit events: one for the batch, one per learner touched. */
static int audit_batch(struct importer *imp, struct ok_error *err)
{
	char detail[200];
	size_t i;
	int rc;

	if (ok_format(detail, sizeof(detail),
	              "institution=%s rows=%zu added=%zu updated=%zu unchanged=%zu rejected=%zu",
	              imp->o.institution, imp->rows_in_batch, imp->batch_added, imp->batch_updated,
	              imp->batch_unchanged, imp->batch_rejected))
		return ok_fail(err, OK_EINTERNAL, "audit detail too long");
	qsort(imp->touched, imp->touched_count, sizeof(*imp->touched), compare_ids);
	if (imp->bulk) {
		/* The same events, appended BULK_EVENTS at a time. */
		struct audit_event *e = imp->bulk->events;
		size_t n = 0;

		audit_event_init(&e[n++], imp->o.actor, "import.batch", imp->o.institution,
		                 "registration", detail);
		for (i = 0, rc = 0; !rc && i <= imp->touched_count; i++) {
			if (i < imp->touched_count && i > 0 &&
			    strcmp(imp->touched[i], imp->touched[i - 1]) == 0)
				continue;
			if (n == BULK_EVENTS || (i == imp->touched_count && n > 0)) {
				rc = audit_txn_events(&imp->txn, e, n, err);
				n = 0;
			}
			if (i < imp->touched_count)
				audit_event_init(&e[n++], imp->o.actor, "learner.write",
				                 imp->touched[i], "registration",
				                 imp->o.institution);
		}
		return rc;
	}
	rc = audit_txn_event(&imp->txn, imp->o.actor, "import.batch", imp->o.institution,
	                     "registration", detail, err);
	for (i = 0; !rc && i < imp->touched_count; i++) {
		if (i > 0 && strcmp(imp->touched[i], imp->touched[i - 1]) == 0)
			continue;
		rc = audit_txn_event(&imp->txn, imp->o.actor, "learner.write", imp->touched[i],
		                     "registration", imp->o.institution, err);
	}
	return rc;
}

static int commit_batch(struct importer *imp, struct ok_error *err)
{
	int rc;

	if (!imp->in_transaction)
		return 0;
	rc = status_alloc_end(imp->d, &imp->slots, err);
	if (!rc)
		rc = audit_batch(imp, err);
	/* Committed, or rolled back with the batch's rows and events. */
	imp->in_transaction = false;
	if ((rc = audit_txn_end(&imp->txn, rc, err)))
		return rc;
	if (imp->bulk)
		imp->bulk->bits_used = imp->slots.current.used;
	reset_batch(imp);
	return 0;
}

static int ensure_transaction(struct importer *imp, struct ok_error *err)
{
	int rc;

	if (imp->in_transaction)
		return 0;
	rc = audit_txn_begin(imp->d, &imp->txn, err);
	if (!rc)
		imp->in_transaction = true;
	/* Holding the write lock now, with the data key a rotation in another process may have
	 * made since: nothing is sealed under a key a finished rotation has removed. A new
	 * current key makes every blind index and digest the cache holds stale. */
	if (!rc) {
		uint32_t was = imp->d->keys.key_id;
		rc = depository_keys_refresh(imp->d, err);
		if (!rc && imp->d->keys.key_id != was) {
			memset(imp->cache, 0, LEARNER_CACHE_SLOTS * sizeof(*imp->cache));
			imp->have_last = false;
		}
	}
	/* Read inside the transaction: another writer may have opened a list since. */
	if (!rc)
		rc = status_alloc_begin(imp->d, &imp->slots, err);
	/* The taken slots the bulk path knows hold while nobody else took one since. */
	if (!rc && imp->bulk &&
	    (imp->slots.current.n != imp->bulk->bits_n ||
	     imp->slots.current.used != imp->bulk->bits_used))
		imp->bulk->bits_valid = false;
	return rc;
}

static void learner_digest(const struct seal_keys *k, const struct learner_data *l,
                           unsigned char out[SEAL_DIGEST_BYTES])
{
	registry_learner_digest(k, l, out);
}

/* Seals the learner's fields into s under k, nonces from pool. */
static int seal_into(const struct seal_keys *k, struct rand_pool *pool, struct store_learner *s,
                     const struct learner_data *l, const char *id,
                     const unsigned char idx[SEAL_INDEX_BYTES],
                     const unsigned char digest[SEAL_DIGEST_BYTES], bool update, int64_t created_ms,
                     struct ok_error *err)
{
	unsigned char nonce[24];
	int rc;

	if (ok_format(s->id, sizeof(s->id), "%s", id))
		return ok_fail(err, OK_EINTERNAL, "learner id too long");
	memcpy(s->nid_index, idx, SEAL_INDEX_BYTES);
	memcpy(s->digest, digest, SEAL_DIGEST_BYTES);
	{
		const struct {
			const char *field;
			const char *plain;
			struct buf *sealed;
		} fields[] = {
		        {"national_id", l->national_id, &s->national_id},
		        {"given_names", l->given_names, &s->given_names},
		        {"family_name", l->family_name, &s->family_name},
		        {"birth_date", l->birth_date, &s->birth_date},
		};
		size_t i;

		for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
			buf_reset(fields[i].sealed);
			pool_random(pool, nonce, sizeof(nonce));
			rc = seal_field_nonce(k, nonce, fields[i].field, id, fields[i].plain,
			                      strlen(fields[i].plain), fields[i].sealed, err);
			if (rc)
				return rc;
		}
	}
	s->key_id = k->key_id;
	s->updated_ms = ok_now_ms();
	s->created_ms = update ? created_ms : s->updated_ms;
	return 0;
}

/* Seals the learner's fields into imp->scratch. */
static int seal_learner(struct importer *imp, const struct learner_data *l, const char *id,
                        const unsigned char idx[SEAL_INDEX_BYTES],
                        const unsigned char digest[SEAL_DIGEST_BYTES], bool update,
                        int64_t created_ms, struct ok_error *err)
{
	return seal_into(&imp->d->keys, &imp->random, &imp->scratch, l, id, idx, digest, update,
	                 created_ms, err);
}

/* Seals the learner's fields into imp->scratch and writes it. */
static int write_learner(struct importer *imp, const struct learner_data *l, const char *id,
                         const unsigned char idx[SEAL_INDEX_BYTES],
                         const unsigned char digest[SEAL_DIGEST_BYTES], bool update,
                         int64_t created_ms, struct ok_error *err)
{
	int rc = seal_learner(imp, l, id, idx, digest, update, created_ms, err);

	return rc ? rc : store_learner_put(imp->d->store, &imp->scratch, update, err);
}

/*
 * A row whose names or birth date differ from the learner registered under its national id is
 * refused: identity belongs to no single institution, and is corrected only explicitly. Opens
 * the registered fields to name the one that differs; the message never shows them. Returns
 * OK_EINPUT (a rejected row) or the error that kept the fields from opening.
 *
 * The column is named only to an institution with a record of the learner (it may read their
 * identity anyway). To any other, naming it would confirm the columns before it: with a
 * national id alone, a dry run of a few thousand rows would recover names and birth date one
 * column at a time. It is told that the identity differs, not where.
 */
static int identity_conflict(struct importer *imp, const struct store_learner *found,
                             const struct learner_data *l, struct ok_error *err)
{
	struct learner_data reg;
	struct ok_error scratch;
	const char *field = "given_names";
	int rc;

	ok_error_clear(&scratch);
	rc = registry_learner_at_institution(imp->d, found->id, imp->o.institution, &scratch);
	if (rc && rc != OK_ENOTFOUND) {
		if (err)
			*err = scratch;
		return rc;
	}
	/* A conflict with a learner the institution has no record of tells it something of
	 * someone else's learner: kept for the audit log and the key's count (settle_conflicts),
	 * and past the cap the whole import is refused before its answer lists any row. One with
	 * its own learner does not count: the institution registered that identity, and another
	 * institution's correction of it would otherwise block an honest upload. */
	if (rc == OK_ENOTFOUND) {
		if (imp->conflicts_met < LEAK_CONFLICTS_PER_IMPORT)
			OK_COPY_ARRAY(imp->conflicts[imp->conflicts_met], found->id);
		imp->conflicts_met++;
		if (imp->o.key && imp->conflicts_met > LEAK_CONFLICTS_PER_IMPORT)
			return ok_fail(err, OK_ELIMIT,
			               "this import meets more than %d identity conflicts with "
			               "other institutions' learners (national ids registered with "
			               "other names or birth dates): it is refused whole",
			               LEAK_CONFLICTS_PER_IMPORT);
	}
	/* A key that may not read identities is not told which column differs either. */
	if (rc == OK_ENOTFOUND || imp->o.hide_identity_columns)
		return ok_fail_field(err, OK_EINPUT, "national_id",
		                     "identity conflict: the names or birth date differ from the "
		                     "learner already registered with this national id; check the "
		                     "national id, and have a registered identity corrected "
		                     "explicitly, not by an import");
	rc = registry_learner_open(imp->d, found, &reg, err);
	if (rc)
		return rc;
	if (strcmp(reg.given_names, l->given_names) != 0)
		field = "given_names";
	else if (strcmp(reg.family_name, l->family_name) != 0)
		field = "family_name";
	else if (strcmp(reg.birth_date, l->birth_date) != 0)
		field = "birth_date";
	sodium_memzero(&reg, sizeof(reg));
	return ok_fail_field(err, OK_EINPUT, field,
	                     "identity conflict: %s differs from the learner already registered "
	                     "with this national id; a registered identity is corrected "
	                     "explicitly, not by an import",
	                     field);
}

/*
 * During a data-key rotation: finds the learner under an older key of the ring and writes them
 * again under the current one (as the rotation would), so that they are never registered
 * twice (their data unchanged: *changed false). OK_EINPUT when the row's identity differs from
 * theirs (identity_conflict), OK_ENOTFOUND when no older key finds them either.
 */
static int find_under_older_key(struct importer *imp, const struct learner_data *l,
                                char id_out[STORE_ID_MAX + 1], struct store_learner *found,
                                bool *changed, struct ok_error *err)
{
	const struct seal_keyring *ring = &imp->d->data_keys;
	unsigned char idx[SEAL_INDEX_BYTES], digest[SEAL_DIGEST_BYTES];
	size_t i;
	int rc = OK_ENOTFOUND;

	for (i = ring->count; i-- > 0 && rc == OK_ENOTFOUND;) {
		if (ring->keys[i].key_id == imp->d->keys.key_id)
			continue;
		seal_blind_index(&ring->keys[i], l->national_id, idx);
		rc = store_learner_find(imp->d->store, idx, found, err);
		if (rc)
			continue;
		/* The stored digest is under the learner's own key. */
		learner_digest(&ring->keys[i], l, digest);
		if (memcmp(found->digest, digest, SEAL_DIGEST_BYTES) != 0)
			return identity_conflict(imp, found, l, err);
		*changed = false; /* the same fields, sealed again under the current key */
		memcpy(id_out, found->id, sizeof(found->id));
		seal_blind_index(&imp->d->keys, l->national_id, idx);
		learner_digest(&imp->d->keys, l, digest);
		rc = write_learner(imp, l, id_out, idx, digest, true, found->created_ms, err);
		/* Found: the caller's "write if the digest differs" must not run again. */
		memcpy(found->digest, digest, SEAL_DIGEST_BYTES);
	}
	return rc;
}

/* Finds or creates the learner; *changed says whether anything was written. */
/*
 * Before a new learner is written for a row: whether the row's record is registered and revoked
 * already. The row would then move it to another learner, which a revocation forbids, and the
 * rejected row must leave no learner behind. OK_EINPUT in that case, 0 otherwise.
 */
static int revoked_elsewhere(struct importer *imp, const char *record_id, struct ok_error *err)
{
	struct store_achievement cur;
	int rc = store_achievement_find(imp->d->store, imp->o.institution, record_id, &cur, err);

	if (rc == OK_ENOTFOUND)
		return 0;
	if (rc)
		return rc;
	if (strcmp(cur.status, "revoked") != 0)
		return 0;
	return ok_fail_field(err, OK_EINPUT, "national_id",
	                     "the record is revoked, and a revocation is final: national_id "
	                     "cannot be changed");
}

static int resolve_learner(struct importer *imp, const struct learner_data *l,
                           const char *record_id, char id_out[STORE_ID_MAX + 1], bool *changed,
                           struct ok_error *err)
{
	unsigned char idx[SEAL_INDEX_BYTES], digest[SEAL_DIGEST_BYTES];
	struct learner_cache_slot *slot;
	struct store_learner found;
	size_t h;
	int rc;

	*changed = false;
	if (imp->have_last && memcmp(l, &imp->last_learner, sizeof(*l)) == 0) {
		memcpy(id_out, imp->last_id, sizeof(imp->last_id));
		return 0;
	}
	seal_blind_index(&imp->d->keys, l->national_id, idx);
	learner_digest(&imp->d->keys, l, digest);
	h = ((size_t)idx[0] | (size_t)idx[1] << 8 | (size_t)idx[2] << 16) &
	    (LEARNER_CACHE_SLOTS - 1);
	slot = &imp->cache[h];
	if (slot->used && memcmp(slot->nid_index, idx, SEAL_INDEX_BYTES) == 0) {
		if (memcmp(slot->digest, digest, SEAL_DIGEST_BYTES) == 0) {
			memcpy(id_out, slot->id, sizeof(slot->id));
			imp->last_learner = *l;
			memcpy(imp->last_id, id_out, sizeof(imp->last_id));
			imp->have_last = true;
			return 0;
		}
		/* Differs from what this import met before: the store, read below, says how. */
	}

	store_learner_init(&found);
	rc = store_learner_find(imp->d->store, idx, &found, err);
	if (rc == OK_ENOTFOUND && imp->d->data_keys.count > 1)
		rc = find_under_older_key(imp, l, id_out, &found, changed, err);
	if (rc == OK_ENOTFOUND) {
		int revoked = revoked_elsewhere(imp, record_id, err);

		if (revoked)
			rc = revoked;
	}
	if (rc == OK_ENOTFOUND) {
		new_id(imp, id_out);
		rc = write_learner(imp, l, id_out, idx, digest, false, 0, err);
		if (!rc) {
			*changed = true;
			imp->report.learners_added++;
		}
	} else if (!rc) {
		memcpy(id_out, found.id, sizeof(found.id));
		if (memcmp(found.digest, digest, SEAL_DIGEST_BYTES) != 0)
			rc = identity_conflict(imp, &found, l, err);
	}
	store_learner_release(&found);
	if (rc)
		return rc;
	slot->used = true;
	memcpy(slot->nid_index, idx, SEAL_INDEX_BYTES);
	memcpy(slot->digest, digest, SEAL_DIGEST_BYTES);
	memcpy(slot->id, id_out, sizeof(slot->id));
	imp->last_learner = *l;
	memcpy(imp->last_id, id_out, sizeof(imp->last_id));
	imp->have_last = true;
	return 0;
}

/* Copies a NUL-terminated string that is known to fit (the model's caps are the store's). */
#define COPY(dst, src)                        \
	do {                                  \
		size_t n_ = strlen(src);      \
		if (n_ >= sizeof(dst))        \
			n_ = sizeof(dst) - 1; \
		memcpy(dst, src, n_);         \
		(dst)[n_] = '\0';             \
	} while (0)

static void fill_achievement(struct store_achievement *a, const char *institution,
                             const struct achievement_data *in, const char *learner_id)
{
	COPY(a->learner_id, learner_id);
	COPY(a->institution, institution);
	COPY(a->record_id, in->record_id);
	COPY(a->kind, achievement_kind_name(in->kind));
	COPY(a->title, in->title);
	COPY(a->programme_code, in->programme_code);
	a->eqf_level = in->eqf_level;
	a->credits_centi = in->credits_centi;
	COPY(a->grade, in->grade);
	COPY(a->grading_scheme, in->grading_scheme);
	COPY(a->awarded_on, in->awarded_on);
	COPY(a->language, in->language);
}

/* The first column in which a re-registration differs from the stored record. */
static const char *changed_column(const struct store_achievement *cur,
                                  const struct store_achievement *next)
{
	if (strcmp(cur->learner_id, next->learner_id) != 0)
		return "national_id";
	if (strcmp(cur->kind, next->kind) != 0)
		return "kind";
	if (strcmp(cur->title, next->title) != 0)
		return "title";
	if (strcmp(cur->programme_code, next->programme_code) != 0)
		return "programme_code";
	if (cur->eqf_level != next->eqf_level)
		return "eqf_level";
	if (cur->credits_centi != next->credits_centi)
		return "credits";
	if (strcmp(cur->grade, next->grade) != 0)
		return "grade";
	if (strcmp(cur->grading_scheme, next->grading_scheme) != 0)
		return "grading_scheme";
	if (strcmp(cur->awarded_on, next->awarded_on) != 0)
		return "awarded_on";
	return "language";
}

static int write_row(struct importer *imp, const struct registration *r, struct ok_error *err)
{
	struct store_achievement cur, next;
	char learner_id[STORE_ID_MAX + 1];
	bool learner_changed, existed = false;
	int rc, tries;

	rc = resolve_learner(imp, &r->learner, r->achievement.record_id, learner_id,
	                     &learner_changed, err);
	if (rc)
		return rc;
	memset(&next, 0, sizeof(next));
	fill_achievement(&next, imp->o.institution, &r->achievement, learner_id);
	registry_achievement_digest(&imp->d->keys, &next, next.digest);
	next.updated_ms = ok_now_ms();

	/* Most rows of an import are new: try the insert first, and look the record up only
	 * when the store refuses it (the record exists, or the drawn status slot is taken). */
	new_id(imp, next.id);
	OK_COPY_ARRAY(next.status, "active");
	next.version = 1;
	next.created_ms = next.updated_ms;
	for (tries = 0; tries < 64; tries++) {
		if ((rc = status_alloc_take(imp->d, &imp->slots, &next, err)))
			return rc;
		rc = store_achievement_put(imp->d->store, &next, false, NULL, NULL, err);
		if (rc != OK_EEXIST)
			break;
		status_alloc_untake(&imp->slots);
		rc = store_achievement_find(imp->d->store, imp->o.institution,
		                            r->achievement.record_id, &cur, err);
		if (rc == 0)
			existed = true;
		if (rc != OK_ENOTFOUND)
			break; /* registered before, or an error */
	}
	if (tries == 64)
		return ok_fail(err, OK_EINTERNAL, "no free status list slot found");
	if (rc)
		return rc;
	if (!existed) {
		imp->report.added++;
		imp->batch_added++;
	} else if (memcmp(cur.digest, next.digest, SEAL_DIGEST_BYTES) != 0) {
		/* As final as through the API: a revoked record is never changed again. */
		if (strcmp(cur.status, "revoked") == 0) {
			const char *col = changed_column(&cur, &next);
			return ok_fail_field(err, OK_EINPUT, col,
			                     "the record is revoked, and a revocation is final: "
			                     "%s cannot be changed",
			                     col);
		}
		memcpy(next.id, cur.id, sizeof(next.id));
		memcpy(next.status, cur.status, sizeof(next.status));
		next.status_index = cur.status_index;
		next.status_list = cur.status_list;
		next.version = cur.version + 1;
		next.created_ms = cur.created_ms;
		rc = store_achievement_put(imp->d->store, &next, true, imp->o.actor,
		                           "re-registration", err);
		if (rc)
			return rc;
		imp->report.updated++;
		imp->batch_updated++;
		learner_changed = true;
	} else if (learner_changed) {
		imp->report.updated++;
		imp->batch_updated++;
	} else {
		imp->report.unchanged++;
		imp->batch_unchanged++;
		return 0;
	}
	touch(imp, learner_id);
	return 0;
}

/* ---- the bulk path (store/import.h) ----
 *
 * Where the store has one (PostgreSQL), a batch's rows are held until the batch ends, then
 * written at once: one lookup of the batch's learners and one of its records, new rows loaded
 * in bulk, and the same decisions as write_row makes row by row, in the rows' order, against
 * what the lookups found and what earlier rows of the batch did. The rare cases (an identity
 * conflict, a changed record, a learner under an older key) write what is pending and then go
 * through the per-row code, so they behave exactly as they do there. */

static void chunk_release(struct chunk *c)
{
	size_t i;

	free(c->rows);
	free(c->fields);
	if (c->text.data)
		sodium_memzero(c->text.data, c->text.len);
	buf_release(&c->text);
	/* A rejection's message may quote its cell. */
	if (c->nerrors)
		sodium_memzero(c->errors, c->nerrors * sizeof(*c->errors));
	free(c->errors);
	free(c->idx);
	free(c->digest);
	for (i = 0; c->sealed && i < c->cap; i++)
		store_learner_release(&c->sealed[i]);
	free(c->sealed);
	free(c->sealed_used);
	free(c->adigest);
	free(c->ahead_id);
	memset(c, 0, sizeof(*c));
}

/* A chunk for up to cap rows; with sealed, room for the learners a producer seals ahead. */
static int chunk_init(struct chunk *c, size_t cap, bool sealed)
{
	size_t i;

	memset(c, 0, sizeof(*c));
	buf_init(&c->text, (size_t)-1);
	c->cap = cap;
	c->idx = calloc(cap, sizeof(*c->idx));
	c->digest = calloc(cap, sizeof(*c->digest));
	if (sealed) {
		c->sealed = calloc(cap, sizeof(*c->sealed));
		c->sealed_used = calloc(cap, sizeof(*c->sealed_used));
		c->adigest = calloc(cap, sizeof(*c->adigest));
		c->ahead_id = calloc(cap, sizeof(*c->ahead_id));
	}
	if (!c->idx || !c->digest ||
	    (sealed && (!c->sealed || !c->sealed_used || !c->adigest || !c->ahead_id))) {
		chunk_release(c);
		return OK_ENOMEM;
	}
	for (i = 0; c->sealed && i < cap; i++)
		store_learner_init(&c->sealed[i]);
	return 0;
}

/* Empties a chunk for its next rows (the personal data it held wiped). */
static void chunk_reset(struct chunk *c)
{
	if (c->text.len)
		sodium_memzero(c->text.data, c->text.len);
	buf_reset(&c->text);
	if (c->nerrors)
		sodium_memzero(c->errors, c->nerrors * sizeof(*c->errors));
	c->nrows = c->nfields = c->nerrors = c->nsealed = 0;
	c->hashed = c->last = false;
	c->rc = 0;
	ok_error_clear(&c->err);
}

static void bulk_free(struct bulk *b)
{
	size_t i;

	if (!b)
		return;
	chunk_release(&b->own);
	buf_release(&b->record_text);
	free(b->pach);
	free(b->learners);
	free(b->lmap);
	free(b->ach);
	free(b->amap);
	for (i = 0; b->pending && i < BULK_PENDING_MAX; i++)
		store_learner_release(&b->pending[i]);
	free(b->pending);
	free(b->bits);
	free(b->qidx);
	free(b->record_ids);
	free(b->events);
	free(b);
}

static int bulk_new(struct bulk **out, const struct store_import_ops *ops, size_t batch_rows)
{
	struct bulk *b = calloc(1, sizeof(*b));
	size_t slots = 16, i;

	*out = NULL;
	if (!b)
		return OK_ENOMEM;
	while (slots < 2 * batch_rows)
		slots *= 2;
	b->ops = ops;
	b->map_slots = slots;
	b->held = &b->own;
	crypto_shorthash_keygen(b->hash_key);
	buf_init(&b->record_text, (size_t)-1);
	b->learners = calloc(slots / 2, sizeof(*b->learners));
	b->lmap = malloc(slots * sizeof(*b->lmap));
	b->amap = malloc(slots * sizeof(*b->amap));
	b->pending = calloc(BULK_PENDING_MAX, sizeof(*b->pending));
	b->pach = calloc(BULK_PENDING_MAX, sizeof(*b->pach));
	b->ach = calloc(slots / 2, sizeof(*b->ach));
	b->events = calloc(BULK_EVENTS, sizeof(*b->events));
	b->qidx = calloc(batch_rows, sizeof(*b->qidx));
	b->record_ids = calloc(batch_rows, sizeof(*b->record_ids));
	if (!b->learners || !b->lmap || !b->amap || !b->pending || !b->pach || !b->ach ||
	    !b->events || !b->qidx || !b->record_ids || chunk_init(&b->own, batch_rows, false)) {
		bulk_free(b);
		return OK_ENOMEM;
	}
	for (i = 0; i < BULK_PENDING_MAX; i++)
		store_learner_init(&b->pending[i]);
	*out = b;
	return 0;
}

/* Makes room for one more held row and its fields. */
static int chunk_room(struct chunk *c, size_t fields)
{
	if (c->nrows == c->cap_rows) {
		size_t cap = c->cap_rows ? 2 * c->cap_rows : 64;
		struct held_row *r = realloc(c->rows, cap * sizeof(*r));

		if (!r)
			return OK_ENOMEM;
		c->rows = r;
		c->cap_rows = cap;
	}
	if (c->nfields + fields > c->cap_fields) {
		size_t cap = c->cap_fields ? 2 * c->cap_fields : 1024;
		struct held_field *f;

		while (cap < c->nfields + fields)
			cap *= 2;
		if (!(f = realloc(c->fields, cap * sizeof(*f))))
			return OK_ENOMEM;
		c->fields = f;
		c->cap_fields = cap;
	}
	return 0;
}

/* Holds a row in c: copies its CSV fields (the reader reuses them) and where it came from. */
static int hold_row(struct chunk *c, const struct csv_row *row, const char *file, size_t line,
                    struct held_row **out, struct ok_error *err)
{
	size_t count = row ? row->count : 0, i;
	struct held_row *h;

	if (c->nrows >= c->cap)
		return ok_fail(err, OK_EINTERNAL, "import: hold full");
	if (chunk_room(c, count))
		return ok_fail(err, OK_ENOMEM, "import: out of memory");
	h = &c->rows[c->nrows];
	memset(h, 0, sizeof(*h));
	h->line = line;
	h->file = file;
	h->sealed = -1;
	h->has_row = row != NULL;
	if (row) {
		h->csv_line = row->line;
		h->separator = row->separator;
		h->count = count;
		h->field0 = c->nfields;
		for (i = 0; i < count; i++) {
			struct held_field *f = &c->fields[c->nfields++];

			f->off = c->text.len;
			f->len = row->fields[i].len;
			if (buf_add(&c->text, row->fields[i].data, f->len) ||
			    buf_addch(&c->text, '\0'))
				return ok_fail(err, OK_ENOMEM, "import: out of memory");
		}
	}
	c->nrows++;
	*out = h;
	return 0;
}

static void count_rejection(struct importer *imp, const struct csv_row *row,
                            const struct ok_error *e);

/* Reports a held row's rejection, with its CSV row as it was read. */
static void reject_held(struct importer *imp, const struct held_row *h, const struct ok_error *e)
{
	struct csv_field fields[REG_COLUMN_COUNT + IMPORT_ERROR_COLUMNS];
	struct csv_row row = {.line = h->csv_line, .separator = h->separator, .fields = fields};
	size_t i;

	row.count = h->count < sizeof(fields) / sizeof(fields[0])
	                    ? h->count
	                    : sizeof(fields) / sizeof(fields[0]);
	for (i = 0; i < row.count; i++) {
		const struct held_field *f = &imp->bulk->held->fields[h->field0 + i];

		fields[i].data = imp->bulk->held->text.data + f->off;
		fields[i].len = f->len;
	}
	count_rejection(imp, h->has_row ? &row : NULL, e);
}

/* A record id's place in amap: keyed (SipHash, a key drawn per import), so that whoever writes
 * the input cannot choose record ids that all land on one chain of the probe. */
static size_t hash_record_id(const struct bulk *b, const char *record_id)
{
	unsigned char h[crypto_shorthash_BYTES];
	uint64_t v = 0;
	size_t i;

	crypto_shorthash(h, (const unsigned char *)record_id, strlen(record_id), b->hash_key);
	for (i = 0; i < sizeof(h); i++)
		v = v << 8 | h[i];
	return (size_t)v;
}

/* The learner slot of idx in lmap: the one that holds it, or the empty one it would go in. */
static int32_t *learner_slot(struct bulk *b, const unsigned char idx[SEAL_INDEX_BYTES])
{
	size_t mask = b->map_slots - 1, h;

	/* A blind index is a keyed hash already: its first bytes are as good as any. */
	memcpy(&h, idx, sizeof(h));
	for (h &= mask;; h = (h + 1) & mask) {
		int32_t *e = &b->lmap[h];

		if (*e < 0 || memcmp(b->learners[*e].idx, idx, SEAL_INDEX_BYTES) == 0)
			return e;
	}
}

static int32_t *record_slot(struct bulk *b, const char *record_id)
{
	size_t mask = b->map_slots - 1, h = hash_record_id(b, record_id);

	for (h &= mask;; h = (h + 1) & mask) {
		int32_t *e = &b->amap[h];

		if (*e < 0 || strcmp(b->record_text.data + b->ach[*e].record_id, record_id) == 0)
			return e;
	}
}

/* Records a learner the batch knows; the table has room for every row's learner. */
static int know_learner(struct bulk *b, const unsigned char idx[SEAL_INDEX_BYTES],
                        const unsigned char digest[SEAL_DIGEST_BYTES], const char *id)
{
	int32_t *e = learner_slot(b, idx);
	struct bulk_learner *l;

	if (*e < 0) {
		if (b->nlearners >= b->map_slots / 2)
			return OK_EINTERNAL;
		*e = (int32_t)b->nlearners++;
	}
	l = &b->learners[*e];
	memcpy(l->idx, idx, SEAL_INDEX_BYTES);
	memcpy(l->digest, digest, SEAL_DIGEST_BYTES);
	COPY(l->id, id);
	return 0;
}

static int found_learner(void *ctx, const struct store_learner *l)
{
	return know_learner(ctx, l->nid_index, l->digest, l->id);
}

/* Records an achievement the batch knows; NULL when the table is full or memory ran out. */
static struct known_record *know_record(struct bulk *b, const struct store_achievement *a)
{
	int32_t *e = record_slot(b, a->record_id);
	struct known_record *k;

	if (*e < 0) {
		size_t at = b->record_text.len;

		if (b->nach >= b->map_slots / 2 || buf_addstr(&b->record_text, a->record_id) ||
		    buf_addch(&b->record_text, '\0'))
			return NULL;
		*e = (int32_t)b->nach++;
		b->ach[*e].record_id = at;
	}
	k = &b->ach[*e];
	OK_COPY_ARRAY(k->id, a->id);
	OK_COPY_ARRAY(k->status, a->status);
	memcpy(k->digest, a->digest, SEAL_DIGEST_BYTES);
	k->version = a->version;
	k->created_ms = a->created_ms;
	k->status_list = a->status_list;
	k->status_index = a->status_index;
	return k;
}

static int found_record(void *ctx, const struct store_achievement *a)
{
	return know_record(ctx, a) ? 0 : OK_EINTERNAL;
}

static int slot_taken(void *ctx, int64_t index)
{
	struct bulk *b = ctx;

	if (index >= 0 && index < b->bits_size)
		b->bits[index / 8] |= (unsigned char)(1u << (index % 8));
	return 0;
}

/* Makes the bitmap of taken slots that of the allocator's newest list. A list this transaction
 * opened is empty; one the previous batch left as it was (the same used count) is as known. */
static int bulk_bits(struct importer *imp, struct ok_error *err)
{
	struct bulk *b = imp->bulk;
	const struct store_status_list *cur = &imp->slots.current;
	int rc;

	if (b->bits_valid && b->bits_n == cur->n)
		return 0;
	if (b->bits_size != cur->size) {
		free(b->bits);
		b->bits_size = 0;
		if (!(b->bits = calloc((size_t)(cur->size + 7) / 8, 1)))
			return ok_fail(err, OK_ENOMEM, "import: out of memory");
		b->bits_size = cur->size;
	} else {
		memset(b->bits, 0, (size_t)(b->bits_size + 7) / 8);
	}
	rc = b->ops->slots_taken(imp->d->store, cur->n, slot_taken, b, err);
	b->bits_n = cur->n;
	b->bits_valid = !rc;
	return rc;
}

/* Draws a free slot of the newest list for a. */
static int bulk_take_slot(struct importer *imp, struct store_achievement *a, struct ok_error *err)
{
	struct bulk *b = imp->bulk;
	int tries, rc;

	for (tries = 0; tries < 64; tries++) {
		int64_t n = imp->slots.current.n;

		if ((rc = status_alloc_take(imp->d, &imp->slots, a, err)))
			return rc;
		if (imp->slots.current.n != n || !b->bits_valid) {
			/* The allocator opened the next list: nothing in it is taken. */
			b->bits_valid = false;
			if ((rc = bulk_bits(imp, err)))
				return rc;
		}
		if (!(b->bits[a->status_index / 8] & (1u << (a->status_index % 8)))) {
			b->bits[a->status_index / 8] |=
			        (unsigned char)(1u << (a->status_index % 8));
			return 0;
		}
		status_alloc_untake(&imp->slots);
	}
	return ok_fail(err, OK_EINTERNAL, "no free status list slot found");
}

/* Writes what the batch holds unwritten: learners first, then the records that name them. */
static int bulk_flush(struct importer *imp, struct ok_error *err)
{
	struct bulk *b = imp->bulk;
	int rc = 0;

	if (b->npending)
		rc = b->ops->learners_add(imp->d->store, b->pending, b->npending, err);
	if (!rc && b->npach)
		rc = b->ops->achievements_add(imp->d->store, b->pach, b->npach, err);
	if (!rc)
		b->npending = b->npach = 0;
	return rc;
}

/* Seals a new learner into the pending list (as write_learner does for one). */
static int bulk_new_learner(struct importer *imp, const struct learner_data *l, const char *id,
                            const unsigned char idx[SEAL_INDEX_BYTES],
                            const unsigned char digest[SEAL_DIGEST_BYTES], struct ok_error *err)
{
	struct bulk *b = imp->bulk;
	struct store_learner saved;
	int rc;

	if (b->npending == BULK_PENDING_MAX && (rc = bulk_flush(imp, err)))
		return rc;
	/* write_learner seals into imp->scratch: lend it the pending slot's buffers. */
	saved = imp->scratch;
	imp->scratch = b->pending[b->npending];
	rc = seal_learner(imp, l, id, idx, digest, false, 0, err);
	b->pending[b->npending] = imp->scratch;
	imp->scratch = saved;
	if (!rc)
		b->npending++;
	return rc;
}

/* A row's learner on the bulk path: resolve_learner's decisions against what the batch knows. */
static int bulk_learner(struct importer *imp, size_t k, const struct learner_data *l,
                        const char *record_id, char id_out[STORE_ID_MAX + 1], bool *changed,
                        struct ok_error *err)
{
	struct bulk *b = imp->bulk;
	const unsigned char *idx = b->held->idx[k], *digest = b->held->digest[k];
	int32_t *e = learner_slot(b, idx);
	struct store_learner found;
	int rc;

	*changed = false;
	if (*e >= 0) {
		memcpy(id_out, b->learners[*e].id, STORE_ID_MAX + 1);
		if (memcmp(b->learners[*e].digest, digest, SEAL_DIGEST_BYTES) == 0)
			return 0;
		/* A conflict: told as the per-row path tells it, from the store's own rows. */
		if ((rc = bulk_flush(imp, err)))
			return rc;
		store_learner_init(&found);
		rc = store_learner_find(imp->d->store, idx, &found, err);
		if (!rc)
			rc = identity_conflict(imp, &found, l, err);
		store_learner_release(&found);
		return rc;
	}
	if (imp->d->data_keys.count > 1) {
		/* During a rotation: the learner may be under an older key (rare; per row). */
		if ((rc = bulk_flush(imp, err)))
			return rc;
		store_learner_init(&found);
		rc = find_under_older_key(imp, l, id_out, &found, changed, err);
		store_learner_release(&found);
		if (rc == 0)
			return know_learner(b, idx, digest, id_out)
			               ? ok_fail(err, OK_EINTERNAL, "import: batch table full")
			               : 0;
		if (rc != OK_ENOTFOUND)
			return rc;
	}
	{
		int32_t *r = record_slot(b, record_id);

		if (*r >= 0 && strcmp(b->ach[*r].status, "revoked") == 0)
			return ok_fail_field(err, OK_EINPUT, "national_id",
			                     "the record is revoked, and a revocation is final: "
			                     "national_id cannot be changed");
	}
	if (b->ahead && b->held->rows[k].sealed >= 0 &&
	    !b->held->sealed_used[b->held->rows[k].sealed]) {
		/* Sealed ahead by the producer: handed to the pending list as it is. */
		int32_t s = b->held->rows[k].sealed;
		struct store_learner t;

		if (b->npending == BULK_PENDING_MAX && (rc = bulk_flush(imp, err)))
			return rc;
		t = b->pending[b->npending];
		b->pending[b->npending++] = b->held->sealed[s];
		b->held->sealed[s] = t;
		b->held->sealed_used[s] = true;
		memcpy(id_out, b->held->ahead_id[s], STORE_ID_MAX + 1);
	} else {
		new_id(imp, id_out);
		if ((rc = bulk_new_learner(imp, l, id_out, idx, digest, err)))
			return rc;
	}
	b->chunk_new++;
	if (know_learner(b, idx, digest, id_out))
		return ok_fail(err, OK_EINTERNAL, "import: batch table full");
	*changed = true;
	imp->report.learners_added++;
	return 0;
}

/* One valid held row on the bulk path: write_row's decisions. */
static int bulk_row(struct importer *imp, size_t k, const struct registration *r,
                    struct ok_error *err)
{
	struct bulk *b = imp->bulk;
	struct store_achievement next;
	struct known_record *cur;
	char learner_id[STORE_ID_MAX + 1];
	bool learner_changed;
	int32_t *e;
	int rc;

	rc = bulk_learner(imp, k, &r->learner, r->achievement.record_id, learner_id,
	                  &learner_changed, err);
	if (rc)
		return rc;
	memset(&next, 0, sizeof(next));
	fill_achievement(&next, imp->o.institution, &r->achievement, learner_id);
	if (b->ahead && b->held->rows[k].sealed >= 0 &&
	    strcmp(learner_id, b->held->ahead_id[b->held->rows[k].sealed]) == 0)
		memcpy(next.digest, b->held->adigest[k], SEAL_DIGEST_BYTES);
	else
		registry_achievement_digest(&imp->d->keys, &next, next.digest);
	next.updated_ms = ok_now_ms();
	e = record_slot(b, next.record_id);
	if (*e < 0) {
		new_id(imp, next.id);
		OK_COPY_ARRAY(next.status, "active");
		next.version = 1;
		next.created_ms = next.updated_ms;
		if ((rc = bulk_take_slot(imp, &next, err)))
			return rc;
		if (!know_record(b, &next))
			return ok_fail(err, OK_EINTERNAL, "import: batch table full");
		if (b->npach == BULK_PENDING_MAX && (rc = bulk_flush(imp, err)))
			return rc;
		b->pach[b->npach++] = next;
		imp->report.added++;
		imp->batch_added++;
	} else if (cur = &b->ach[*e], memcmp(cur->digest, next.digest, SEAL_DIGEST_BYTES) != 0) {
		/* A changed record: told or written as row by row, against the stored row. */
		if ((rc = bulk_flush(imp, err)))
			return rc;
		if (strcmp(cur->status, "revoked") == 0) {
			struct store_achievement stored;
			const char *col;

			rc = store_achievement_find(imp->d->store, imp->o.institution,
			                            next.record_id, &stored, err);
			if (rc)
				return rc;
			col = changed_column(&stored, &next);
			return ok_fail_field(err, OK_EINPUT, col,
			                     "the record is revoked, and a revocation is final: "
			                     "%s cannot be changed",
			                     col);
		}
		memcpy(next.id, cur->id, sizeof(next.id));
		memcpy(next.status, cur->status, sizeof(next.status));
		next.status_index = cur->status_index;
		next.status_list = cur->status_list;
		next.version = cur->version + 1;
		next.created_ms = cur->created_ms;
		rc = store_achievement_put(imp->d->store, &next, true, imp->o.actor,
		                           "re-registration", err);
		if (rc)
			return rc;
		memcpy(cur->digest, next.digest, SEAL_DIGEST_BYTES);
		cur->version = next.version;
		imp->report.updated++;
		imp->batch_updated++;
	} else if (learner_changed) {
		imp->report.updated++;
		imp->batch_updated++;
	} else {
		imp->report.unchanged++;
		imp->batch_unchanged++;
		return 0;
	}
	touch(imp, learner_id);
	return 0;
}

/* Packs a registration's texts into bulk->text (the record id first), its numbers into h. */
static int pack_registration(struct chunk *c, struct held_row *h, const struct registration *r)
{
	const char *texts[] = {r->achievement.record_id,      r->learner.national_id,
	                       r->learner.given_names,        r->learner.family_name,
	                       r->learner.birth_date,         r->achievement.title,
	                       r->achievement.programme_code, r->achievement.grade,
	                       r->achievement.grading_scheme, r->achievement.awarded_on,
	                       r->achievement.language};
	size_t i;

	h->data = c->text.len;
	h->kind = r->achievement.kind;
	h->eqf_level = r->achievement.eqf_level;
	h->credits_centi = r->achievement.credits_centi;
	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		if (buf_add(&c->text, texts[i], strlen(texts[i]) + 1))
			return OK_ENOMEM;
	return 0;
}

#define UNPACK(dst)                 \
	do {                        \
		COPY(dst, p);       \
		p += strlen(p) + 1; \
	} while (0)

static void unpack_registration(const struct chunk *c, const struct held_row *h,
                                struct registration *r)
{
	const char *p = c->text.data + h->data;

	UNPACK(r->achievement.record_id);
	UNPACK(r->learner.national_id);
	UNPACK(r->learner.given_names);
	UNPACK(r->learner.family_name);
	UNPACK(r->learner.birth_date);
	UNPACK(r->achievement.title);
	UNPACK(r->achievement.programme_code);
	UNPACK(r->achievement.grade);
	UNPACK(r->achievement.grading_scheme);
	UNPACK(r->achievement.awarded_on);
	UNPACK(r->achievement.language);
	r->achievement.kind = h->kind;
	r->achievement.eqf_level = h->eqf_level;
	r->achievement.credits_centi = h->credits_centi;
}

/* Holds a valid registration, or a rejection, in c. */
static int chunk_hold(struct chunk *c, const struct csv_row *row, const char *file, size_t line,
                      const struct registration *r, const struct ok_error *rejection,
                      struct ok_error *err)
{
	struct held_row *h = NULL;
	int rc;

	if ((rc = hold_row(c, row, file, line, &h, err)))
		return rc;
	h->rejected = rejection != NULL;
	if (h->rejected) {
		if (c->nerrors == c->cap_errors) {
			size_t cap = c->cap_errors ? 2 * c->cap_errors : 16;
			struct ok_error *e = malloc(cap * sizeof(*e));

			if (!e)
				return ok_fail(err, OK_ENOMEM, "import: out of memory");
			/* Not realloc: the old messages are wiped, not left in a freed block. */
			if (c->nerrors) {
				memcpy(e, c->errors, c->nerrors * sizeof(*e));
				sodium_memzero(c->errors, c->nerrors * sizeof(*e));
			}
			free(c->errors);
			c->errors = e;
			c->cap_errors = cap;
		}
		h->data = c->nerrors;
		c->errors[c->nerrors++] = *rejection;
		return 0;
	}
	if (pack_registration(c, h, r))
		return ok_fail(err, OK_ENOMEM, "import: out of memory");
	return 0;
}

/* Holds a valid registration, or a rejection, for the batch. */
static int hold(struct importer *imp, const struct csv_row *row, const struct registration *r,
                const struct ok_error *rejection, struct ok_error *err)
{
	return chunk_hold(imp->bulk->held, row, imp->file, imp->line, r, rejection, err);
}

/*
 * Computes each valid row's blind index and learner digest under k (a learner's rows usually
 * come together: their fields are hashed once). With pool (the producer), also seals each run's
 * learner ahead under a new id and digests each row's achievement under that id, for the writer
 * to use when it finds the learner new (institution: the import's).
 */
static int chunk_prepare(struct chunk *c, const struct seal_keys *k, struct rand_pool *pool,
                         const char *institution, struct ok_error *err)
{
	struct registration reg;
	struct learner_data prev;
	struct store_achievement a;
	bool have_prev = false;
	size_t i, prev_row = 0;
	int rc = 0;

	memset(&reg, 0, sizeof(reg));
	memset(&prev, 0, sizeof(prev));
	c->nsealed = 0;
	for (i = 0; i < c->nrows && !rc; i++) {
		struct held_row *h = &c->rows[i];

		if (h->rejected)
			continue;
		unpack_registration(c, h, &reg);
		if (have_prev && memcmp(&reg.learner, &prev, sizeof(prev)) == 0) {
			memcpy(c->idx[i], c->idx[prev_row], SEAL_INDEX_BYTES);
			memcpy(c->digest[i], c->digest[prev_row], SEAL_DIGEST_BYTES);
			h->sealed = c->rows[prev_row].sealed;
		} else {
			seal_blind_index(k, reg.learner.national_id, c->idx[i]);
			learner_digest(k, &reg.learner, c->digest[i]);
			prev = reg.learner;
			have_prev = true;
			h->sealed = -1;
			if (pool) {
				struct store_learner *s = &c->sealed[c->nsealed];
				char id[STORE_ID_MAX + 1];

				pool_id(pool, id);
				rc = seal_into(k, pool, s, &reg.learner, id, c->idx[i],
				               c->digest[i], false, 0, err);
				c->sealed_used[c->nsealed] = false;
				memcpy(c->ahead_id[c->nsealed], id, sizeof(id));
				h->sealed = (int32_t)c->nsealed++;
			}
		}
		prev_row = i;
		if (!rc && h->sealed >= 0) {
			memset(&a, 0, sizeof(a));
			fill_achievement(&a, institution, &reg.achievement, c->ahead_id[h->sealed]);
			registry_achievement_digest(k, &a, c->adigest[i]);
		}
	}
	sodium_memzero(&reg, sizeof(reg));
	sodium_memzero(&prev, sizeof(prev));
	c->hashed = !rc;
	c->key_id = k->key_id;
	return rc;
}

/* Writes the held rows: the lookups, the rows in their order, the pending writes. */
static int bulk_write(struct importer *imp, struct ok_error *err)
{
	struct bulk *b = imp->bulk;
	struct chunk *c = b->held;
	struct registration reg;
	size_t i, nidx = 0, nids = 0;
	int rc = 0;

	if (c->nrows == 0)
		return 0;
	memset(&reg, 0, sizeof(reg));
	memset(b->lmap, 0xff, b->map_slots * sizeof(*b->lmap));
	memset(b->amap, 0xff, b->map_slots * sizeof(*b->amap));
	b->nlearners = b->nach = b->npending = b->npach = 0;
	buf_reset(&b->record_text);
	/* What the producer prepared holds under the key it used: the current one, unless a
	 * rotation made another current since. */
	b->ahead = c->hashed && c->key_id == imp->d->keys.key_id && c->sealed;
	if (!(c->hashed && c->key_id == imp->d->keys.key_id))
		rc = chunk_prepare(c, &imp->d->keys, NULL, NULL, err);
	for (i = 0; i < c->nrows && !rc; i++) {
		const struct held_row *h = &c->rows[i];

		if (h->rejected)
			continue;
		/* Rows of one learner usually come together: ask for each once. */
		if (nidx == 0 || memcmp(b->qidx[nidx - 1], c->idx[i], SEAL_INDEX_BYTES) != 0)
			memcpy(b->qidx[nidx++], c->idx[i], SEAL_INDEX_BYTES);
		b->record_ids[nids++] = c->text.data + h->data;
	}
	b->chunk_runs = nidx;
	b->chunk_new = 0;
	if (!rc)
		rc = b->ops->learners_find(imp->d->store,
		                           (const unsigned char(*)[SEAL_INDEX_BYTES])b->qidx, nidx,
		                           found_learner, b, err);
	if (rc == OK_EINTERNAL)
		rc = ok_fail(err, OK_EINTERNAL, "import: batch table full");
	if (!rc)
		rc = b->ops->achievements_find(imp->d->store, imp->o.institution, b->record_ids,
		                               nids, found_record, b, err);
	if (rc == OK_EINTERNAL)
		rc = ok_fail(err, OK_EINTERNAL, "import: batch table full");
	if (!rc)
		rc = bulk_bits(imp, err);
	for (i = 0; i < c->nrows && !rc; i++) {
		struct held_row *h = &c->rows[i];
		struct ok_error row_err;

		if (h->rejected) {
			reject_held(imp, h, &c->errors[h->data]);
			continue;
		}
		unpack_registration(c, h, &reg);
		ok_error_clear(&row_err);
		rc = bulk_row(imp, i, &reg, &row_err);
		if (rc == OK_EINPUT) {
			ok_error_locate(&row_err, h->file, h->line);
			reject_held(imp, h, &row_err);
			rc = 0;
		} else if (rc) {
			ok_error_locate(&row_err, h->file, h->line);
			if (err)
				*err = row_err;
		}
	}
	if (!rc)
		rc = bulk_flush(imp, err);
	sodium_memzero(&reg, sizeof(reg));
	chunk_reset(c);
	return rc;
}

/* The held rows end at this row (CUT_HERE), not (CUT_NOT), or where hold_rows and the batch
 * say (CUT_BY_COUNT: the single-threaded import, which holds rows of its own). */
enum hold_cut { CUT_BY_COUNT, CUT_HERE, CUT_NOT };

static int after_row(struct importer *imp, enum hold_cut at, struct ok_error *err)
{
	bool cut;
	int rc;

	imp->rows_in_batch++;
	cut = at == CUT_BY_COUNT ? imp->rows_in_batch % imp->hold_rows == 0 ||
	                                   imp->rows_in_batch == imp->batch_rows
	                         : at == CUT_HERE;
	if (imp->o.on_progress && imp->report.read % PROGRESS_EVERY == 0)
		imp->o.on_progress(imp->o.ctx, &imp->report, imp->bytes);
	if (imp->o.should_stop && imp->o.should_stop(imp->o.stop_ctx))
		return ok_fail(
		        err, OK_EBUSY,
		        "the import was interrupted after %zu rows; batches committed before "
		        "are kept and a re-run completes it",
		        imp->report.read);
	/* The held rows go into the open transaction when they fill the hold or end the batch. */
	if (imp->bulk && cut && (rc = bulk_write(imp, err)))
		return rc;
	if (imp->rows_in_batch < imp->batch_rows)
		return 0;
	/* A batch ends with its held rows written: a producer's chunk never spans two. */
	if (imp->bulk && !cut)
		return ok_fail(err, OK_EINTERNAL, "import: a chunk was cut out of step");
	if (!imp->single_transaction)
		return commit_batch(imp, err);
	/* One transaction for the whole input: write this batch's audit events now. */
	rc = audit_batch(imp, err);
	reset_batch(imp);
	return rc;
}

static void count_rejection(struct importer *imp, const struct csv_row *row,
                            const struct ok_error *e)
{
	imp->report.rejected++;
	imp->batch_rejected++;
	if (imp->o.on_reject)
		imp->o.on_reject(imp->o.ctx, row, e);
}

int importer_add(struct importer *imp, const struct registration *r, struct ok_error *err)
{
	struct ok_error row_err;
	int rc;

	imp->report.read++;
	if ((rc = ensure_transaction(imp, err)))
		return rc;
	ok_error_clear(&row_err);
	rc = model_national_id_check(&r->learner, imp->country, &row_err);
	if (imp->bulk && (rc == 0 || rc == OK_EINPUT)) {
		/* Held: written with the rest of its batch (bulk_write). */
		int held;

		if (rc == OK_EINPUT)
			ok_error_locate(&row_err, imp->file, imp->line);
		if ((held = hold(imp, imp->row, r, rc == OK_EINPUT ? &row_err : NULL, err)))
			return held;
		return after_row(imp, CUT_BY_COUNT, err);
	}
	if (!rc)
		rc = write_row(imp, r, &row_err);
	if (rc == OK_EINPUT) {
		/* A row the store refuses (an identity conflict, a revoked record, a national id
		 * its country's rules refuse): rejected, nothing of it written. */
		ok_error_locate(&row_err, imp->file, imp->line);
		count_rejection(imp, imp->row, &row_err);
	} else if (rc) {
		if (err)
			*err = row_err;
		return rc;
	}
	return after_row(imp, CUT_BY_COUNT, err);
}

int importer_reject(struct importer *imp, const struct csv_row *row, const struct ok_error *e,
                    struct ok_error *err)
{
	int rc;

	imp->report.read++;
	/* A rejection still counts towards the batch, so audit counts stay per batch. */
	if ((rc = ensure_transaction(imp, err)))
		return rc;
	if (imp->bulk) {
		/* Held, so that the rejections stay in the order of the input. */
		if ((rc = hold(imp, row, NULL, e, err)))
			return rc;
	} else {
		count_rejection(imp, row, e);
	}
	return after_row(imp, CUT_BY_COUNT, err);
}

/* After the import's transaction ended (committed or rolled back): its identity conflicts
 * audited and counted against the key, in a transaction of their own (leak.h). */
static int settle_conflicts(struct importer *imp, struct ok_error *err)
{
	struct leak_conflicts c;
	struct leak_read r;
	int rc;

	imp->report.conflicts = imp->conflicts_met;
	if (imp->conflicts_met == 0)
		return 0;
	c.actor = imp->o.actor;
	c.institution = imp->o.institution;
	c.learners = (const char(*)[STORE_ID_MAX + 1]) imp->conflicts;
	c.met = imp->conflicts_met;
	c.listed = c.met < LEAK_CONFLICTS_PER_IMPORT ? c.met : LEAK_CONFLICTS_PER_IMPORT;
	rc = leak_note_conflicts(imp->d, imp->o.key, &c, ok_now_ms(), &r, err);
	imp->report.key_blocked = rc == OK_ELIMIT && r.blocked_now;
	return rc;
}

static void free_importer(struct importer *imp)
{
	sodium_memzero(&imp->last_learner, sizeof(imp->last_learner));
	store_learner_release(&imp->scratch);
	free(imp->touched);
	free(imp->cache);
	free(imp->conflicts);
	bulk_free(imp->bulk);
	free(imp);
}

int importer_finish(struct importer *imp, struct import_report *report, struct ok_error *err)
{
	bool keep;
	int rc = 0;

	/* The held rows first: whether to keep anything depends on their rejections too. */
	if (imp->bulk && imp->in_transaction && (rc = bulk_write(imp, err))) {
		importer_abort(imp, report);
		return rc;
	}
	keep = !imp->o.dry_run && !(imp->o.strict && imp->report.rejected > 0);
	if (keep) {
		rc = commit_batch(imp, err);
	} else if (imp->in_transaction) {
		audit_txn_abort(&imp->txn);
		imp->in_transaction = false;
	}
	imp->report.stored = keep && !rc;
	if (!rc)
		rc = settle_conflicts(imp, err);
	else
		(void)settle_conflicts(imp, NULL);
	if (imp->o.on_progress)
		imp->o.on_progress(imp->o.ctx, &imp->report, imp->bytes);
	if (report)
		*report = imp->report;
	free_importer(imp);
	return rc;
}

void importer_abort(struct importer *imp, struct import_report *report)
{
	if (imp->in_transaction)
		audit_txn_abort(&imp->txn);
	imp->in_transaction = false;
	imp->report.stored = false;
	/* The caller has its error already; the conflicts are written all the same. */
	(void)settle_conflicts(imp, NULL);
	if (report)
		*report = imp->report;
	free_importer(imp);
}

/* ---- the import pipelined over two threads (issue 22) ----
 *
 * A CSV import on a store with a bulk path runs on two threads: a producer reads the CSV,
 * checks each row, hashes it and seals its learner ahead (the CPU work that needs no store),
 * in chunks of hold_rows rows cut where the single-threaded import writes its held rows; the
 * calling thread, which holds the store's connection, takes the chunks in order and does what
 * it did row by row (counts, progress, stop requests, the batch's writes and commits). The
 * rows' decisions, rejections, transactions and audit events are those of the single-threaded
 * import. A failure of the producer (memory, sealing) reaches the writer in its place in the
 * input and stops the import as a failed write does: the open batch rolled back. */

/* Chunks in flight: one filled, one queued, one written; each of hold_rows rows. */
#define PIPE_CHUNKS    3
#define PIPE_HOLD_ROWS 2048
/* and of at most about this much held text (and one row more) */
#define PIPE_HOLD_BYTES ((size_t)4 << 20)

struct producer {
	struct csv_reader *reader;
	const char *name;
	const char *institution;
	char today[11];
	char country[3];
	size_t hold_rows, batch_rows;
	size_t hold_bytes;     /* a chunk is cut once its held text passes this */
	struct seal_keys keys; /* a copy: the writer refreshes its own inside each transaction */
	struct rand_pool pool;
	/* Set by the writer: seal learners ahead (off while few of them turn out new, as in a
	 * re-import, whose sealed copies would all be thrown away). */
	atomic_bool seal_ahead;
	struct import_queue q;
	struct chunk chunks[PIPE_CHUNKS];
	size_t fail_row; /* test hook: fail at this row (1-based); 0 never */
};

/* Ends a chunk: prepared (hashed, learners sealed ahead) and handed to the writer. */
static void produce_end(struct producer *p, struct chunk *c)
{
	struct ok_error e;

	ok_error_clear(&e);
	if (!c->rc &&
	    (c->rc = chunk_prepare(
	             c, &p->keys,
	             atomic_load_explicit(&p->seal_ahead, memory_order_relaxed) ? &p->pool : NULL,
	             p->institution, &e)))
		c->err = e;
	import_queue_put_full(&p->q, c);
}

/* Holds one CSV record in c: a rejection, or a registration that passed every check that
 * needs no store. Non-zero only when the import must stop (memory). */
static int produce_row(struct producer *p, struct chunk *c, const struct csv_row *row,
                       struct ok_error *row_err, struct ok_error *err)
{
	struct registration reg;
	size_t i;
	int rc = 0;

	model_registration_init(&reg);
	for (i = 0; i < REG_COLUMN_COUNT && rc >= 0; i++) {
		const char *v = row->fields[i].data;
		size_t n = row->fields[i].len;

		csv_cell_unprotect(&v, &n);
		rc = model_registration_set(&reg, (enum registration_column)i, v, n, row_err);
	}
	if (rc >= 0)
		rc = model_registration_check(&reg, p->today, row_err);
	if (rc >= 0)
		rc = model_national_id_check(&reg.learner, p->country, row_err);
	if (rc < 0) {
		ok_error_locate(row_err, p->name, row->line);
		rc = chunk_hold(c, row, p->name, row->line, NULL, row_err, err);
	} else {
		rc = chunk_hold(c, row, p->name, row->line, &reg, NULL, err);
		if (rc)
			ok_error_locate(err, p->name, row->line);
	}
	sodium_memzero(&reg, sizeof(reg));
	return rc;
}

static void *produce(void *arg)
{
	struct producer *p = arg;
	struct chunk *c = NULL;
	struct csv_row row;
	struct ok_error row_err, err;
	size_t in_batch = 0, read = 0;
	int rc;

	for (;;) {
		if (!c && !(c = import_queue_take_free(&p->q)))
			break; /* the writer stopped */
		if (c->nrows == 0)
			chunk_reset(c);
		if (import_queue_stopped(&p->q))
			break;
		ok_error_clear(&row_err);
		ok_error_clear(&err);
		rc = csv_reader_next(p->reader, &row, &row_err);
		if (rc == 0) {
			c->last = true;
			c->end_bytes = csv_reader_bytes_read(p->reader);
			produce_end(p, c);
			break;
		}
		read++;
		if (rc == OK_EINPUT) { /* a bad record; the reader has moved past it */
			struct csv_row bad = {.line = row_err.line,
			                      .separator = csv_reader_separator(p->reader)};

			rc = chunk_hold(c, &bad, p->name, row_err.line, NULL, &row_err, &err);
		} else if (rc < 0) {
			err = row_err;
		} else {
			rc = produce_row(p, c, &row, &row_err, &err);
		}
#ifdef OK_TEST_HOOKS
		if (!rc && p->fail_row == read)
			rc = ok_fail(&err, OK_ECRYPTO,
			             "test hook: the import's producer failed at row %zu", read);
#endif
		if (rc) {
			c->rc = rc;
			c->err = err;
			produce_end(p, c);
			break;
		}
		c->rows[c->nrows - 1].bytes = csv_reader_bytes_read(p->reader);
		/* Cut where the single-threaded import writes its held rows, at the batch's end,
		 * and also once the held text passes hold_bytes (long rejected rows are held
		 * whole for the errors report: rows alone would not bound the memory). */
		in_batch++;
		if (c->nrows == p->hold_rows || in_batch == p->batch_rows ||
		    c->text.len >= p->hold_bytes) {
			produce_end(p, c);
			c = NULL;
			if (in_batch == p->batch_rows)
				in_batch = 0;
		}
	}
	return NULL;
}

static void producer_free(struct producer *p)
{
	size_t i;

	for (i = 0; i < PIPE_CHUNKS; i++)
		chunk_release(&p->chunks[i]);
	sodium_memzero(&p->keys, sizeof(p->keys));
	free(p);
}

/*
 * A CSV file that is not a regular file (a pipe, FIFO, terminal or socket) can stall: its
 * producer reads it with poll() on the input and on the queue's wake-up fd, so that a stop of
 * the writer (a failed write) reaches a producer waiting for bytes that may never come. The
 * stdio buffer is bypassed: the import is the file's only reader, from its first byte.
 */
struct stoppable_input {
	int fd;
	int wake_fd; /* -1 until the pipeline starts (the header is read on the calling thread) */
};

static long read_stoppable(void *ctx, void *dst, size_t cap)
{
	struct stoppable_input *in = ctx;
	struct pollfd fds[2];
	ssize_t n;

	if (cap > SSIZE_MAX)
		cap = SSIZE_MAX;
	for (;;) {
		fds[0] = (struct pollfd){.fd = in->fd, .events = POLLIN};
		fds[1] = (struct pollfd){.fd = in->wake_fd, .events = POLLIN}; /* < 0: ignored */
		if (poll(fds, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return OK_EIO;
		}
		if (fds[1].revents)
			return OK_EINTERNAL; /* stopped: the writer no longer reads what follows */
		n = read(in->fd, dst, cap);
		if (n >= 0)
			return (long)n;
		if (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK)
			return OK_EIO;
	}
}

/* The writer's side of a pipelined CSV import; frees imp (finished or aborted). in: the
 * producer's stoppable input, or NULL (a regular file or memory: reads that cannot stall). */
static int import_pipelined(struct importer *imp, struct csv_reader *reader, const char *name,
                            struct stoppable_input *in, struct import_report *report,
                            struct ok_error *err)
{
	struct producer *p = calloc(1, sizeof(*p));
	void *chunks[PIPE_CHUNKS];
	sigset_t all, old;
	pthread_t thread;
	size_t i, n;
	int rc = 0;

	if (!p) {
		importer_abort(imp, report);
		return ok_fail(err, OK_ENOMEM, "import: out of memory");
	}
	p->reader = reader;
	p->name = name;
	p->institution = imp->o.institution;
	memcpy(p->today, imp->today, sizeof(p->today));
	memcpy(p->country, imp->country, sizeof(p->country));
	p->hold_rows = imp->hold_rows;
	p->batch_rows = imp->batch_rows;
	p->hold_bytes = PIPE_HOLD_BYTES;
	atomic_init(&p->seal_ahead, true);
	p->keys = imp->d->keys;
	p->pool.used = sizeof(p->pool.bytes);
#ifdef OK_TEST_HOOKS
	{
		const char *v = getenv("OORKONDE_TEST_IMPORT_FAIL_ROW");

		p->fail_row = v ? (size_t)strtoull(v, NULL, 10) : 0;
		/* ..._HOLD_BYTES: chunks cut by their text too, at odd rows. */
		v = getenv("OORKONDE_TEST_IMPORT_HOLD_BYTES");
		if (v && strtoull(v, NULL, 10) > 0)
			p->hold_bytes = (size_t)strtoull(v, NULL, 10);
	}
#endif
	for (i = 0; i < PIPE_CHUNKS && !rc; i++) {
		rc = chunk_init(&p->chunks[i], imp->hold_rows, true);
		chunks[i] = &p->chunks[i];
	}
	if (rc || import_queue_init(&p->q, chunks, PIPE_CHUNKS)) {
		producer_free(p);
		importer_abort(imp, report);
		return ok_fail(err, OK_ENOMEM, "import: out of memory");
	}
	if (in)
		in->wake_fd = import_queue_wake_fd(&p->q);
	/* Signals are the calling thread's to take (the CLI's stop request). */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&thread, NULL, produce, p);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc) {
		import_queue_release(&p->q);
		producer_free(p);
		importer_abort(imp, report);
		return ok_fail(err, OK_ENOMEM, "import: cannot start the import's second thread");
	}
	for (;;) {
		struct chunk *c = import_queue_take_full(&p->q);
		struct held_row *h = NULL;
		size_t end_bytes;
		bool last;

		if (c->rc) {
			/* What the producer held before its failure is dropped with the open
			 * batch, as a killed import drops it; its rows were read (the count the
			 * single-threaded import reports: the rows before a fatal read error). */
			imp->report.read += c->nrows;
			rc = c->rc;
			if (err)
				*err = c->err;
			break;
		}
		imp->bulk->held = c;
		n = c->nrows;
		/* Written at its last row, the chunk is reset: what ends the input, first. */
		last = c->last;
		end_bytes = c->end_bytes;
		for (i = 0; i < n && !rc; i++) {
			h = &c->rows[i];
			imp->report.read++;
			if ((rc = ensure_transaction(imp, err)))
				break;
			imp->bytes = h->bytes;
			/* The chunk is written at its last row, where the producer cut it. */
			rc = after_row(imp, i + 1 == n ? CUT_HERE : CUT_NOT, err);
		}
		if (rc) {
			if (h && !h->rejected)
				ok_error_locate(err, name, h->csv_line);
			imp->bulk->held = &imp->bulk->own;
			break;
		}
		if (last) {
			imp->bytes = end_bytes;
			rc = importer_finish(imp, report, err);
			imp = NULL;
			break;
		}
		imp->bulk->held = &imp->bulk->own;
		/* Sealing ahead pays when at least a quarter of a chunk's learners are new (a
		 * chunk or two late: the producer is ahead). */
		if (imp->bulk->chunk_runs)
			atomic_store_explicit(&p->seal_ahead,
			                      imp->bulk->chunk_new * 4 >= imp->bulk->chunk_runs,
			                      memory_order_relaxed);
		import_queue_put_free(&p->q, c);
	}
	import_queue_stop(&p->q);
	/* Rolled back before the producer is waited for: nothing of a failed import stays
	 * open (a transaction, the store's write lock) while the producer ends its read. */
	if (imp)
		importer_abort(imp, report);
	pthread_join(thread, NULL);
	if (in)
		in->wake_fd = -1;
	import_queue_release(&p->q);
	producer_free(p);
	return rc;
}

#ifdef OK_TEST_HOOKS
/* OORKONDE_TEST_IMPORT_PIPELINE=0 imports on one thread (to compare); ..._HOLD_ROWS sets the
 * rows held (and so a chunk's) for tests that cut an input into many chunks. */
static bool test_pipeline(void)
{
	const char *v = getenv("OORKONDE_TEST_IMPORT_PIPELINE");

	return !(v && strcmp(v, "0") == 0);
}

static size_t test_hold_rows(size_t rows)
{
	const char *v = getenv("OORKONDE_TEST_IMPORT_HOLD_ROWS");
	unsigned long long n;
	char *end;

	if (!v || !v[0])
		return rows;
	n = strtoull(v, &end, 10);
	return (*end || n < 1 || n > DEFAULT_BATCH_ROWS) ? rows : (size_t)n;
}
#endif

int registry_import_csv(struct depository *d, const struct import_options *o, const char *name,
                        csv_read_fn read, void *src, struct import_report *report,
                        struct ok_error *err)
{
	const char *columns[REG_COLUMN_COUNT + IMPORT_ERROR_COLUMNS];
	bool required[REG_COLUMN_COUNT + IMPORT_ERROR_COLUMNS];
	struct csv_reader *reader = NULL;
	struct importer *imp = NULL;
	struct stoppable_input in = {.fd = -1, .wake_fd = -1}, *stoppable = NULL;
	struct registration reg;
	struct csv_row row;
	struct ok_error row_err;
	bool pipelined;
	size_t i;
	int rc;

	memset(report, 0, sizeof(*report));
	/* The header may name the registration's columns, and the error columns of an --errors
	 * file, read and ignored so that a corrected errors file imports as it is. */
	for (i = 0; i < REG_COLUMN_COUNT + IMPORT_ERROR_COLUMNS; i++) {
		bool ours = i < REG_COLUMN_COUNT;

		columns[i] = ours ? registration_column_names[i]
		                  : import_error_columns[i - REG_COLUMN_COUNT];
		required[i] = ours && registration_column_required[i];
	}
	pipelined = store_bulk(d->store) != NULL;
#ifdef OK_TEST_HOOKS
	pipelined = pipelined && test_pipeline();
#endif
	if (pipelined && read == csv_read_file) {
		struct stat st;

		in.fd = fileno((FILE *)src);
		if (in.fd >= 0 && fstat(in.fd, &st) == 0 && !S_ISREG(st.st_mode)) {
			read = read_stoppable;
			src = &in;
			stoppable = &in;
		}
	}
	rc = csv_reader_open(&reader, name, read, src, columns, required,
	                     REG_COLUMN_COUNT + IMPORT_ERROR_COLUMNS, err);
	if (rc)
		return rc;
	rc = begin(&imp, d, o, pipelined ? PIPE_HOLD_ROWS : HOLD_ROWS, err);
	if (rc)
		goto out;
	imp->report.separator = csv_reader_separator(reader);
	if (pipelined) {
		rc = import_pipelined(imp, reader, name, stoppable, report, err);
		imp = NULL;
		goto out;
	}
	for (;;) {
		ok_error_clear(&row_err);
		rc = csv_reader_next(reader, &row, &row_err);
		imp->bytes = csv_reader_bytes_read(reader);
		if (rc == 0)
			break;
		if (rc == OK_EINPUT) { /* a bad record; the reader has moved past it */
			struct csv_row bad = {.line = row_err.line,
			                      .separator = csv_reader_separator(reader)};

			if ((rc = importer_reject(imp, &bad, &row_err, err)))
				goto out;
			continue;
		}
		if (rc < 0) {
			if (err)
				*err = row_err;
			goto out;
		}
		model_registration_init(&reg);
		for (i = 0; i < REG_COLUMN_COUNT && rc >= 0; i++) {
			const char *v = row.fields[i].data;
			size_t n = row.fields[i].len;

			/* A cell of an --errors file, protected against formulas: as it was. */
			csv_cell_unprotect(&v, &n);
			rc = model_registration_set(&reg, (enum registration_column)i, v, n,
			                            &row_err);
		}
		if (rc >= 0)
			rc = model_registration_check(&reg, imp->today, &row_err);
		if (rc < 0) {
			ok_error_locate(&row_err, name, row.line);
			if ((rc = importer_reject(imp, &row, &row_err, err)))
				goto out;
			continue;
		}
		imp->line = row.line;
		imp->row = &row;
		imp->file = name;
		rc = importer_add(imp, &reg, err);
		imp->row = NULL;
		if (rc) {
			ok_error_locate(err, name, row.line);
			goto out;
		}
	}
	rc = importer_finish(imp, report, err);
	imp = NULL;
out:
	if (imp)
		importer_abort(imp, report);
	csv_reader_free(reader);
	return rc;
}

/* Fills a registration from one JSON object; row errors name the key. */
static int registration_from_json(const json_t *obj, struct registration *reg, const char *today,
                                  struct ok_error *err)
{
	const char *key;
	json_t *value;
	char num[64];
	int col, rc;

	if (!json_is_object(obj))
		return ok_fail(err, OK_EINPUT, "each result must be a JSON object");
	model_registration_init(reg);
	json_object_foreach((json_t *)obj, key, value)
	{
		const char *text;
		size_t len;

		col = registration_column_find(key);
		if (col < 0)
			return ok_fail_field(err, OK_EINPUT, key, "unknown field '%.64s'", key);
		if (json_is_string(value)) {
			text = json_string_value(value);
			len = json_string_length(value);
		} else if (json_is_integer(value)) {
			/* num (64 bytes) holds any integer and any %.15g: no cut. */
			snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT,
			         json_integer_value(value));
			text = num;
			len = strlen(num);
		} else if (json_is_real(value)) {
			snprintf(num, sizeof(num), "%.15g", json_real_value(value));
			text = num;
			len = strlen(num);
		} else if (json_is_null(value)) {
			continue;
		} else {
			return ok_fail_field(err, OK_EINPUT, key, "%s must be a string or a number",
			                     registration_column_names[col]);
		}
		rc = model_registration_set(reg, (enum registration_column)col, text, len, err);
		if (rc)
			return rc;
	}
	return model_registration_check(reg, today, err);
}

int registry_import_json(struct depository *d, const struct import_options *o,
                         const struct json_t *rows, struct import_report *report,
                         struct ok_error *err)
{
	struct importer *imp = NULL;
	struct registration reg;
	struct ok_error row_err;
	size_t i;
	int rc;

	memset(report, 0, sizeof(*report));
	if (!json_is_array(rows))
		return ok_fail(err, OK_EINPUT, "the body must be a JSON array of result objects");
	rc = importer_begin(&imp, d, o, err);
	if (rc)
		return rc;
	for (i = 0; i < json_array_size(rows); i++) {
		ok_error_clear(&row_err);
		if (registration_from_json(json_array_get(rows, i), &reg, imp->today, &row_err)) {
			row_err.line = i + 1;
			if ((rc = importer_reject(imp, NULL, &row_err, err))) {
				importer_abort(imp, report);
				return rc;
			}
			continue;
		}
		imp->line = i + 1;
		rc = importer_add(imp, &reg, err);
		if (rc) {
			importer_abort(imp, report);
			return rc;
		}
	}
	return importer_finish(imp, report, err);
}
