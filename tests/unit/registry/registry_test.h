/* Helpers shared by the registry unit tests: a data folder under a mkdtemp folder in /tmp,
 * removed afterwards; CSV text from rows; reading the database file behind the store's back. */
#ifndef OK_TEST_REGISTRY_TEST_H
#define OK_TEST_REGISTRY_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <ftw.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/buf.h"
#include "core/error.h"
#include "depository/depository.h"
#include "registry/import.h"
#include "registry/institution.h"
#include "registry/learner.h"
#include "store/pg_test.h"

struct reg_fixture {
	char base[64]; /* the mkdtemp folder */
	char dir[96];  /* base/data: the data folder */
	char db[128];  /* dir/oorkonde.db */
	struct depository d;
	bool open;
	/* With the records in PostgreSQL (reg_setup_pg): the test's database and its URL. */
	bool pg;
	char pg_db[64];
	char pg_url[PG_TEST_CONNINFO_MAX];
};

static inline int reg_remove_entry(const char *path, const struct stat *st, int flag,
                                   struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* Makes base; the data folder itself is not created. */
static inline struct reg_fixture *reg_fixture_new(void)
{
	struct reg_fixture *f = calloc(1, sizeof(*f));

	if (!f || sodium_init() < 0)
		return NULL;
	snprintf(f->base, sizeof(f->base), "/tmp/ok-registry-test-XXXXXX");
	if (!mkdtemp(f->base))
		return NULL;
	snprintf(f->dir, sizeof(f->dir), "%s/data", f->base);
	snprintf(f->db, sizeof(f->db), "%s/oorkonde.db", f->dir);
	return f;
}

static inline void reg_fixture_close(struct reg_fixture *f)
{
	if (f->open)
		depository_close(&f->d);
	f->open = false;
}

static inline void reg_fixture_free(struct reg_fixture *f)
{
	reg_fixture_close(f);
	if (f->pg)
		pg_test_db_drop(f->pg_db);
	nftw(f->base, reg_remove_entry, 8, FTW_DEPTH | FTW_PHYS);
	free(f);
}

static inline void reg_fixture_reopen(struct reg_fixture *f)
{
	struct ok_error err;

	reg_fixture_close(f);
	if (depository_open(&f->d, f->dir, &err) != 0)
		fail_msg("depository_open: %s", err.message);
	f->open = true;
}

static inline void reg_add_institution(struct reg_fixture *f, const char *code)
{
	struct institution_input in = {code, "Hogeschool Test", "NL", NULL, NULL, NULL};
	char key[API_KEY_TEXT_MAX + 1];
	struct ok_error err;

	if (registry_institution_add(&f->d, &in, key, &err) != 0)
		fail_msg("registry_institution_add %s: %s", code, err.message);
}

/* setup: a created and opened data folder, with no institution yet; its records in a new
 * PostgreSQL database of OORKONDE_TEST_PG's cluster when pg (store/pg_test.h). */
static inline int reg_setup_bare_in(void **state, bool pg)
{
	struct reg_fixture *f = reg_fixture_new();
	struct ok_error err;

	if (!f)
		return -1;
	*state = f;
	f->pg = pg;
	if (pg && !pg_test_db_create("ok_registry", f->pg_db, f->pg_url, sizeof(f->pg_url)))
		return -1;
	if (depository_create_in(f->dir, NULL, NULL, pg ? f->pg_url : NULL, &err) != 0 ||
	    depository_open(&f->d, f->dir, &err)) {
		fprintf(stderr, "setup: %s\n", err.message);
		return -1;
	}
	f->open = true;
	return 0;
}

static inline int reg_setup_bare(void **state)
{
	return reg_setup_bare_in(state, false);
}

/* setup: a created and opened data folder with institution 21PB. */
static inline int reg_setup(void **state)
{
	if (reg_setup_bare(state))
		return -1;
	reg_add_institution(*state, "21PB");
	return 0;
}

/* The same, its records in PostgreSQL. */
static inline int reg_setup_pg(void **state)
{
	if (reg_setup_bare_in(state, true))
		return -1;
	reg_add_institution(*state, "21PB");
	return 0;
}

/* setup: only the mkdtemp folder. */
static inline int reg_setup_empty(void **state)
{
	struct reg_fixture *f = reg_fixture_new();

	if (!f)
		return -1;
	*state = f;
	return 0;
}

static inline int reg_teardown(void **state)
{
	reg_fixture_free(*state);
	return 0;
}

/* One integer from an SQL query on the data folder's database, on a connection of our own
 * (-1 when it returns no row). */
static inline long long reg_sql_int(const struct reg_fixture *f, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	long long v = -1;

	if (f->pg)
		return pg_test_int(f->pg_url, sql);
	assert_int_equal(sqlite3_open_v2(f->db, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

/* Whether needle occurs in the file at path (a missing file holds nothing). */
static inline bool reg_file_contains(const char *path, const char *needle)
{
	FILE *fp = fopen(path, "rb");
	struct buf b;
	char chunk[65536];
	size_t n;
	bool found;

	if (!fp)
		return false;
	buf_init(&b, 0);
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		assert_int_equal(buf_add(&b, chunk, n), 0);
	fclose(fp);
	found = memmem(b.data, b.len, needle, strlen(needle)) != NULL;
	buf_release(&b);
	return found;
}

#define REG_CSV_HEADER                                                                        \
	"record_id,national_id,given_names,family_name,birth_date,kind,title,programme_code," \
	"eqf_level,credits,grade,grading_scheme,awarded_on,language\n"

/* What the importer reported through on_reject. */
struct reg_rejects {
	size_t n;
	size_t lines[64];
	char fields[64][OK_ERROR_FIELD_MAX];
	char messages[64][OK_ERROR_MESSAGE_MAX];
};

static inline void reg_on_reject(void *ctx, const struct csv_row *row, const struct ok_error *e)
{
	struct reg_rejects *r = ctx;

	if (row)
		assert_int_equal(row->line, e->line);
	if (r->n < 64) {
		r->lines[r->n] = e->line;
		snprintf(r->fields[r->n], sizeof(r->fields[0]), "%s", e->field);
		snprintf(r->messages[r->n], sizeof(r->messages[0]), "%s", e->message);
	}
	r->n++;
}

/* Imports csv (a NUL-terminated string) for institution; returns the code. */
static inline int reg_import(struct reg_fixture *f, const char *institution, const char *csv,
                             bool dry_run, bool strict, size_t batch_rows,
                             struct reg_rejects *rejects, struct import_report *report,
                             struct ok_error *err)
{
	struct import_options o;
	struct csv_memory_source src = {csv, strlen(csv), 0};

	memset(&o, 0, sizeof(o));
	o.institution = institution;
	o.actor = "operator";
	o.dry_run = dry_run;
	o.strict = strict;
	o.batch_rows = batch_rows;
	if (rejects) {
		memset(rejects, 0, sizeof(*rejects));
		o.on_reject = reg_on_reject;
		o.ctx = rejects;
	}
	ok_error_clear(err);
	return registry_import_csv(&f->d, &o, "test.csv", csv_read_memory, &src, report, err);
}

/* Imports csv for 21PB and expects success with the given counts. */
static inline void reg_import_expect(struct reg_fixture *f, const char *csv, size_t added,
                                     size_t updated, size_t unchanged, size_t rejected)
{
	struct import_report r;
	struct ok_error err;

	if (reg_import(f, "21PB", csv, false, false, 0, NULL, &r, &err) != 0)
		fail_msg("import: %s", err.message);
	if (r.added != added || r.updated != updated || r.unchanged != unchanged ||
	    r.rejected != rejected)
		fail_msg("import: %zu added, %zu updated, %zu unchanged, %zu rejected; expected "
		         "%zu, %zu, %zu, %zu",
		         r.added, r.updated, r.unchanged, r.rejected, added, updated, unchanged,
		         rejected);
	assert_int_equal(r.read, added + updated + unchanged + rejected);
	assert_true(r.stored);
}

#endif
