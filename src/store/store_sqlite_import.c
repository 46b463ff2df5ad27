/* The SQLite store's bulk path for imports (store/import.h).
 *
 * A statement costs SQLite no round trip, so what this path saves is not calls but B-tree work:
 * a batch's lookups and its new rows go through the indexes in key order. The learner's blind
 * index is a keyed hash, so a batch's learners land all over its index; written in the order of
 * the input, each insert finds its leaf page anywhere in a tree larger than the page cache.
 * Sorted, the inserts sweep the tree once, each leaf page read and dirtied once per batch. The
 * lookups before them are sorted the same way, for the same reason. The rows and their checks
 * are those of the per-row operations (store.h), run inside the caller's transaction. */
#include "store/import.h"
#include "store/sqlite_internal.h"

#include <stdlib.h>
#include <string.h>

/* A learner as the importer's lookup needs it: no sealed fields. */
static const struct sqlite_col found_learner_col[] = {
        SQLITE_COL(struct store_learner, id, SQ_TEXT),
        SQLITE_COL(struct store_learner, nid_index, SQ_BLOB),
        SQLITE_COL(struct store_learner, digest, SQ_BLOB),
        SQLITE_COL(struct store_learner, key_id, SQ_UINT),
        SQLITE_COL(struct store_learner, created_ms, SQ_INT),
        SQLITE_COL(struct store_learner, updated_ms, SQ_INT),
};
static const struct sqlite_cols found_learner_cols = SQLITE_COLS(found_learner_col);

static const struct sqlite_query IMPORT_LEARNER_FIND = {
        ST_IMPORT_LEARNER_FIND,
        "SELECT id, nid_index, digest, key_id, created_ms, updated_ms FROM learner "
        "WHERE nid_index = ?",
        "find learners", NULL, &found_learner_cols};

struct record_row {
	char record_id[sizeof(((struct store_achievement *)0)->record_id)];
};
static const struct sqlite_col record_col[] = {
        SQLITE_COL(struct record_row, record_id, SQ_TEXT),
};
static const struct sqlite_cols record_cols = SQLITE_COLS(record_col);

/* The institution's first record id at or after ?2 (BINARY collation: the order of strcmp). */
static const struct sqlite_query IMPORT_NEXT_RECORD = {
        ST_IMPORT_NEXT_RECORD,
        "SELECT record_id FROM achievement WHERE institution = ?1 AND record_id >= ?2 "
        "ORDER BY record_id LIMIT 1",
        "find achievements", NULL, &record_cols};

struct slot_row {
	int64_t status_index;
};
static const struct sqlite_col slot_col[] = {
        SQLITE_COL(struct slot_row, status_index, SQ_INT),
};
static const struct sqlite_cols slot_cols = SQLITE_COLS(slot_col);

static const struct sqlite_query IMPORT_SLOTS = {
        ST_IMPORT_SLOTS,
        "SELECT status_index FROM achievement WHERE status_list = ?1 AND status_index >= 0 "
        "UNION ALL SELECT status_index FROM vc_status WHERE status_list = ?1",
        "read status slots", NULL, &slot_cols};

/* ---- the order of a batch ---- */

static int compare_hash(const void *a, const void *b)
{
	return memcmp(*(const unsigned char *const *)a, *(const unsigned char *const *)b,
	              STORE_HASH_BYTES);
}

static int compare_text(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int compare_learner(const void *a, const void *b)
{
	const struct store_learner *x = *(const struct store_learner *const *)a;
	const struct store_learner *y = *(const struct store_learner *const *)b;

	return memcmp(x->nid_index, y->nid_index, STORE_HASH_BYTES);
}

/* ---- lookups ---- */

static int learners_find(struct store *base, const unsigned char (*idx)[STORE_HASH_BYTES], size_t n,
                         store_learner_fn fn, void *ctx, struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	const unsigned char **order;
	struct store_learner l;
	size_t i;
	int rc = 0;

	if (n == 0)
		return 0;
	if (!(order = malloc(n * sizeof(*order))))
		return ok_fail(err, OK_ENOMEM, "find learners: out of memory");
	for (i = 0; i < n; i++)
		order[i] = idx[i];
	qsort(order, n, sizeof(*order), compare_hash);
	memset(&l, 0, sizeof(l));
	for (i = 0; i < n && !rc; i++) {
		/* The same learner asked twice (rows apart in the batch) is found once. */
		if (i > 0 && memcmp(order[i], order[i - 1], STORE_HASH_BYTES) == 0)
			continue;
		rc = sqlite_get(s, &IMPORT_LEARNER_FIND,
		                SQLITE_ARGS(SQ_ARG_BLOB(order[i], STORE_HASH_BYTES)), &l, err);
		if (rc == OK_ENOTFOUND)
			rc = 0;
		else if (!rc)
			rc = fn(ctx, &l);
	}
	free(order);
	return rc;
}

/*
 * The batch's record ids in order, merged with the institution's stored ones: each step asks
 * for the first stored id at or after the next id of the batch, which passes over every id of
 * the batch before it (none of them is stored). New records after all stored ones (an import of
 * new results) cost one step for the whole batch; a stored one found is read whole.
 */
static int achievements_find(struct store *base, const char *institution, const char *const *ids,
                             size_t n, store_achievement_fn fn, void *ctx, struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	struct store_achievement a;
	struct record_row next;
	const char **order;
	size_t i = 0, asked;
	int rc = 0;

	if (n == 0)
		return 0;
	if (!(order = malloc(n * sizeof(*order))))
		return ok_fail(err, OK_ENOMEM, "find achievements: out of memory");
	memcpy(order, ids, n * sizeof(*order));
	qsort(order, n, sizeof(*order), compare_text);
	while (i < n && !rc) {
		rc = sqlite_get(s, &IMPORT_NEXT_RECORD,
		                SQLITE_ARGS(SQ_ARG_TEXT(institution), SQ_ARG_TEXT(order[i])), &next,
		                err);
		if (rc == OK_ENOTFOUND) {
			rc = 0;
			break; /* nothing stored at or after this id: the rest are new */
		}
		if (rc)
			break;
		asked = i;
		while (i < n && strcmp(order[i], next.record_id) < 0)
			i++;
		if (i < n && i == asked && strcmp(order[i], next.record_id) > 0) {
			/* Only a stored id cut short by the read lands here: ask for this one by
			 * itself, so that every step moves on. */
			rc = base->ops->achievement_find(base, institution, order[i], &a, err);
			if (rc == OK_ENOTFOUND)
				rc = 0;
			else if (!rc)
				rc = fn(ctx, &a);
			i++;
		} else if (i < n && strcmp(order[i], next.record_id) == 0) {
			rc = base->ops->achievement_find(base, institution, order[i], &a, err);
			if (!rc)
				rc = fn(ctx, &a);
			i++;
		}
		while (i < n && i > 0 && strcmp(order[i], order[i - 1]) == 0)
			i++;
	}
	free(order);
	return rc;
}

static int slots_taken(struct store *base, int64_t list, store_index_fn fn, void *ctx,
                       struct ok_error *err)
{
	struct store_sqlite *s = sq(base);
	struct slot_row r;
	int rc = sqlite_query(s, &IMPORT_SLOTS, SQLITE_ARGS(SQ_ARG_INT(list)), err);

	while (!rc && (rc = sqlite_next(s, &IMPORT_SLOTS, &r, err)) > 0)
		rc = fn(ctx, r.status_index);
	return sqlite_end(s, &IMPORT_SLOTS, rc);
}

/* ---- new rows ---- */

static int learners_add(struct store *base, const struct store_learner *l, size_t n,
                        struct ok_error *err)
{
	const struct store_learner **order;
	size_t i;
	int rc = 0;

	if (n == 0)
		return 0;
	if (!(order = malloc(n * sizeof(*order))))
		return ok_fail(err, OK_ENOMEM, "add learners: out of memory");
	for (i = 0; i < n; i++)
		order[i] = &l[i];
	qsort(order, n, sizeof(*order), compare_learner);
	for (i = 0; i < n && !rc; i++)
		rc = base->ops->learner_put(base, order[i], false, err);
	free(order);
	return rc;
}

static int achievements_add(struct store *base, const struct store_achievement *a, size_t n,
                            struct ok_error *err)
{
	size_t i;
	int rc = 0;

	/* In the input's order: their ids are time-ordered and record ids mostly are too. */
	for (i = 0; i < n && !rc; i++)
		rc = base->ops->achievement_put(base, &a[i], false, NULL, NULL, err);
	return rc;
}

static int audit_add(struct store *base, const struct audit_event *e, size_t n,
                     struct ok_error *err)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < n && !rc; i++)
		rc = base->ops->audit_insert(base, &e[i], err);
	return rc;
}

const struct store_import_ops sqlite_import_ops = {
        .learners_find = learners_find,
        .achievements_find = achievements_find,
        .slots_taken = slots_taken,
        .learners_add = learners_add,
        .achievements_add = achievements_add,
        .audit_add = audit_add,
};
