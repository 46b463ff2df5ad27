/* Chooses the store back end from a URL. A PostgreSQL store is named by a URI or by a libpq
 * keyword string; every other value is a SQLite path, so that a file name which merely holds
 * an "=" (db=x.sqlite) is never taken for a connection string. */
#include "store/store.h"

#include <libpq-fe.h>
#include <stdlib.h>
#include <string.h>

#define SPACES " \t\n\r\f\v"

/* Whether the n bytes at word are the name of one of libpq's connection options. */
static bool libpq_keyword(const PQconninfoOption *opts, const char *word, size_t n)
{
	for (; opts && opts->keyword; opts++)
		if (strlen(opts->keyword) == n && strncmp(opts->keyword, word, n) == 0)
			return true;
	return false;
}

/*
 * A keyword string is "keyword = value" pairs, a value plain or in single quotes with
 * backslash escapes (libpq's syntax). It is taken for PostgreSQL when it names at least one
 * keyword and every keyword it names before any flaw in the syntax is libpq's: such a string
 * with a flaw further on is still meant for PostgreSQL, and store_pg_open refuses it without
 * quoting it (it may hold a password).
 */
static bool keyword_string(const char *url)
{
	PQconninfoOption *opts = PQconndefaults();
	const char *p = url;
	size_t n, keywords = 0;
	bool ok = true;

	while (ok) {
		p += strspn(p, SPACES);
		if (!*p)
			break;
		n = strspn(p, "abcdefghijklmnopqrstuvwxyz_");
		if (n == 0 || !libpq_keyword(opts, p, n)) {
			ok = n > 0 && keywords > 0 && p[n + strspn(p + n, SPACES)] != '=';
			break;
		}
		p += n;
		p += strspn(p, SPACES);
		if (*p != '=')
			break;
		keywords++;
		p++;
		p += strspn(p, SPACES);
		if (*p == '\'') {
			for (p++; *p && *p != '\''; p++)
				if (*p == '\\' && p[1])
					p++;
			if (!*p)
				break;
			p++;
		} else {
			p += strcspn(p, SPACES);
		}
	}
	PQconninfoFree(opts);
	return ok && keywords > 0;
}

bool store_url_is_pg(const char *url)
{
	if (strncmp(url, "postgres://", 11) == 0 || strncmp(url, "postgresql://", 13) == 0)
		return true;
	return keyword_string(url);
}

bool store_url_has_password(const char *url)
{
	PQconninfoOption *opts, *o;
	char *why = NULL;
	bool found = false;

	if (!store_url_is_pg(url))
		return false;
	opts = PQconninfoParse(url, &why);
	/* A string libpq cannot parse is refused at open, without its text. */
	PQfreemem(why);
	for (o = opts; o && o->keyword; o++)
		if (strcmp(o->keyword, "password") == 0 && o->val && *o->val)
			found = true;
	PQconninfoFree(opts);
	return found;
}

int store_open(struct store **out, const char *url, bool create, struct ok_error *err)
{
	if (strncmp(url, "sqlite:", 7) == 0)
		return store_sqlite_open(out, url + 7, create, err);
	if (store_url_is_pg(url))
		return store_pg_open(out, url, create, err);
	return store_sqlite_open(out, url, create, err);
}

#ifdef OK_TEST_HOOKS
int64_t store_test_wait_ms(const char *name, int64_t def)
{
	const char *v = getenv(name);
	char *end;
	long long ms;

	if (!v || !v[0])
		return def;
	ms = strtoll(v, &end, 10);
	return (*end || ms < 1 || ms > def) ? def : (int64_t)ms;
}
#endif
