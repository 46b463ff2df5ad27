/* The fixture of the store's unit tests that run on both back ends: a fresh store in a mkdtemp
 * folder (SQLite), or in a fresh database on the test cluster (PostgreSQL, pg_test.h); closed
 * and removed after. */
#ifndef OK_TEST_STORE_FIXTURE_H
#define OK_TEST_STORE_FIXTURE_H

#include <ftw.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/error.h"
#include "store/store.h"

#include "pg_test.h"

struct store_fixture {
	bool pg;
	char dir[64];    /* SQLite: the mkdtemp folder */
	char dbname[64]; /* PostgreSQL: the test's database */
	char url[PG_TEST_CONNINFO_MAX];
	struct store *s;
};

static inline int store_fixture_remove(const char *path, const struct stat *st, int flag,
                                       struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static inline void store_fixture_free(struct store_fixture *f)
{
	if (!f)
		return;
	store_close(f->s);
	if (f->pg && f->dbname[0])
		pg_test_db_drop(f->dbname);
	else if (!f->pg && f->dir[0])
		nftw(f->dir, store_fixture_remove, 8, FTW_DEPTH | FTW_PHYS);
	free(f);
}

/* A new store on PostgreSQL (pg) or SQLite; name keeps the tests' folders and databases apart.
 * NULL on failure, said on stderr. */
static inline struct store_fixture *store_fixture_new(bool pg, const char *name)
{
	struct store_fixture *f = calloc(1, sizeof(*f));
	struct ok_error err;
	char prefix[32];

	if (!f)
		return NULL;
	f->pg = pg;
	snprintf(prefix, sizeof(prefix), "ok_%s", name);
	if (pg) {
		if (!pg_test_db_create(prefix, f->dbname, f->url, sizeof(f->url)))
			goto fail;
	} else {
		snprintf(f->dir, sizeof(f->dir), "/tmp/ok-%s-test-XXXXXX", name);
		if (!mkdtemp(f->dir)) {
			f->dir[0] = '\0';
			goto fail;
		}
		snprintf(f->url, sizeof(f->url), "sqlite:%s/test.db", f->dir);
	}
	if (store_open(&f->s, f->url, true, &err) != 0) {
		fprintf(stderr, "store_open: %s\n", err.message);
		goto fail;
	}
	return f;
fail:
	store_fixture_free(f);
	return NULL;
}

/* Registers institution code ("Institution <code>", NL) in the caller's transaction, or on its
 * own where the store commits each statement; fails the test when the store refuses. */
static inline void store_fixture_add_institution(struct store *s, const char *code)
{
	struct store_institution i;
	struct ok_error err;

	memset(&i, 0, sizeof(i));
	snprintf(i.code, sizeof(i.code), "%s", code);
	snprintf(i.name, sizeof(i.name), "Institution %s", code);
	snprintf(i.country, sizeof(i.country), "NL");
	if (store_institution_add(s, &i, &err) != 0)
		fail_msg("institution %s: %s", code, err.message);
}

static inline int store_fixture_teardown(void **state)
{
	store_fixture_free(*state);
	return 0;
}

#endif
