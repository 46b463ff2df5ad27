/* The importer: validated rows → sealed learners and achievements, in batched transactions. */
#include "registry/import.h"
#include "core/format.h"
#include "audit/txn.h"

#include "io/csv_writer.h"

#include "registry/achievement.h"
#include "registry/learner.h"
#include "registry/status.h"
#include "core/clock.h"

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_BATCH_ROWS  10000
#define LEARNER_CACHE_SLOTS 65536 /* direct-mapped; a power of two */
#define PROGRESS_EVERY      2048

const char *const import_error_columns[IMPORT_ERROR_COLUMNS] = {"error_line", "error_field",
                                                                "error_reason"};

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
	const struct csv_row *row;  /* the current CSV row, NULL for other input */
	unsigned char random[4096]; /* drawn in bulk: one system call per 4 KiB, not per id */
	/* The previous row's learner: rows of one learner usually come together. */
	struct learner_data last_learner;
	char last_id[STORE_ID_MAX + 1];
	bool have_last;
	size_t random_used;
};

/* Random bytes from the importer's pool. */
static void take_random(struct importer *imp, unsigned char *out, size_t n)
{
	if (imp->random_used + n > sizeof(imp->random)) {
		randombytes_buf(imp->random, sizeof(imp->random));
		imp->random_used = 0;
	}
	memcpy(out, imp->random + imp->random_used, n);
	imp->random_used += n;
}

static void new_id(struct importer *imp, char out[25])
{
	unsigned char r[6];

	take_random(imp, r, sizeof(r));
	depository_id_from(r, out);
}

static void reset_batch(struct importer *imp)
{
	imp->rows_in_batch = 0;
	imp->batch_added = imp->batch_updated = imp->batch_unchanged = imp->batch_rejected = 0;
	imp->touched_count = 0;
}

int importer_begin(struct importer **out, struct depository *d, const struct import_options *o,
                   struct ok_error *err)
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
	imp->single_transaction = o->strict || o->dry_run;
	imp->touched = calloc(imp->batch_rows, sizeof(*imp->touched));
	imp->cache = calloc(LEARNER_CACHE_SLOTS, sizeof(*imp->cache));
	if (!imp->touched || !imp->cache) {
		free(imp->touched);
		free(imp->cache);
		free(imp);
		return ok_fail(err, OK_ENOMEM, "import: out of memory");
	}
	store_learner_init(&imp->scratch);
	imp->random_used = sizeof(imp->random);
	model_today(imp->today);
	*out = imp;
	return 0;
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
	rc = audit_txn_event(&imp->txn, imp->o.actor, "import.batch", imp->o.institution,
	                     "registration", detail, err);
	qsort(imp->touched, imp->touched_count, sizeof(*imp->touched), compare_ids);
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
	return rc;
}

static void learner_digest(const struct seal_keys *k, const struct learner_data *l,
                           unsigned char out[SEAL_DIGEST_BYTES])
{
	registry_learner_digest(k, l, out);
}

/* Seals the learner's fields into imp->scratch and writes it. */
static int write_learner(struct importer *imp, const struct learner_data *l, const char *id,
                         const unsigned char idx[SEAL_INDEX_BYTES],
                         const unsigned char digest[SEAL_DIGEST_BYTES], bool update,
                         int64_t created_ms, struct ok_error *err)
{
	struct store_learner *s = &imp->scratch;
	const struct seal_keys *k = &imp->d->keys;
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
			take_random(imp, nonce, sizeof(nonce));
			rc = seal_field_nonce(k, nonce, fields[i].field, id, fields[i].plain,
			                      strlen(fields[i].plain), fields[i].sealed, err);
			if (rc)
				return rc;
		}
	}
	s->key_id = k->key_id;
	s->updated_ms = ok_now_ms();
	s->created_ms = update ? created_ms : s->updated_ms;
	return store_learner_put(imp->d->store, s, update, err);
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
	if (rc == OK_ENOTFOUND)
		return ok_fail_field(err, OK_EINPUT, "national_id",
		                     "identity conflict: the names or birth date differ from the "
		                     "learner already registered with this national id; check the "
		                     "national id, and have a registered identity corrected "
		                     "explicitly, not by an import");
	if (rc) {
		if (err)
			*err = scratch;
		return rc;
	}
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

static void fill_achievement(struct store_achievement *a, const struct importer *imp,
                             const struct achievement_data *in, const char *learner_id)
{
	COPY(a->learner_id, learner_id);
	COPY(a->institution, imp->o.institution);
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
	fill_achievement(&next, imp, &r->achievement, learner_id);
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
	memcpy(imp->touched[imp->touched_count++], learner_id, sizeof(learner_id));
	return 0;
}

static int after_row(struct importer *imp, struct ok_error *err)
{
	int rc;

	imp->rows_in_batch++;
	if (imp->o.on_progress && imp->report.read % PROGRESS_EVERY == 0)
		imp->o.on_progress(imp->o.ctx, &imp->report, imp->bytes);
	if (imp->o.should_stop && imp->o.should_stop(imp->o.stop_ctx))
		return ok_fail(
		        err, OK_EBUSY,
		        "the import was interrupted after %zu rows; batches committed before "
		        "are kept and a re-run completes it",
		        imp->report.read);
	if (imp->rows_in_batch < imp->batch_rows)
		return 0;
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
	return after_row(imp, err);
}

int importer_reject(struct importer *imp, const struct csv_row *row, const struct ok_error *e,
                    struct ok_error *err)
{
	int rc;

	imp->report.read++;
	count_rejection(imp, row, e);
	/* A rejection still counts towards the batch, so audit counts stay per batch. */
	if ((rc = ensure_transaction(imp, err)))
		return rc;
	return after_row(imp, err);
}

static void free_importer(struct importer *imp)
{
	sodium_memzero(&imp->last_learner, sizeof(imp->last_learner));
	store_learner_release(&imp->scratch);
	free(imp->touched);
	free(imp->cache);
	free(imp);
}

int importer_finish(struct importer *imp, struct import_report *report, struct ok_error *err)
{
	bool keep = !imp->o.dry_run && !(imp->o.strict && imp->report.rejected > 0);
	int rc = 0;

	if (keep) {
		rc = commit_batch(imp, err);
	} else if (imp->in_transaction) {
		audit_txn_abort(&imp->txn);
		imp->in_transaction = false;
	}
	imp->report.stored = keep && !rc;
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
	imp->report.stored = false;
	if (report)
		*report = imp->report;
	free_importer(imp);
}

int registry_import_csv(struct depository *d, const struct import_options *o, const char *name,
                        csv_read_fn read, void *src, struct import_report *report,
                        struct ok_error *err)
{
	const char *columns[REG_COLUMN_COUNT + IMPORT_ERROR_COLUMNS];
	bool required[REG_COLUMN_COUNT + IMPORT_ERROR_COLUMNS];
	struct csv_reader *reader = NULL;
	struct importer *imp = NULL;
	struct registration reg;
	struct csv_row row;
	struct ok_error row_err;
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
	rc = csv_reader_open(&reader, name, read, src, columns, required,
	                     REG_COLUMN_COUNT + IMPORT_ERROR_COLUMNS, err);
	if (rc)
		return rc;
	rc = importer_begin(&imp, d, o, err);
	if (rc)
		goto out;
	imp->report.separator = csv_reader_separator(reader);
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
