/* For unit tests that run against PostgreSQL too: when OORKONDE_TEST_PG holds a libpq
 * connection string (a URI or keywords; `make unit` starts a throw-away cluster and sets it),
 * each test gets a fresh database of its own, made with CREATE DATABASE and dropped after. */
#ifndef OK_TESTS_PG_TEST_H
#define OK_TESTS_PG_TEST_H

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The cluster to test against, or NULL when the PostgreSQL runs are off. */
static inline const char *pg_test_conninfo(void)
{
	const char *v = getenv("OORKONDE_TEST_PG");

	return v && *v ? v : NULL;
}

/* Runs one command on the cluster's default database; 0 or -1 (said on stderr). */
static inline int pg_test_admin(const char *sql)
{
	PGconn *c = PQconnectdb(pg_test_conninfo());
	PGresult *r;
	int rc = -1;

	if (PQstatus(c) != CONNECTION_OK) {
		fprintf(stderr, "pg_test: cannot connect: %s", PQerrorMessage(c));
		PQfinish(c);
		return -1;
	}
	r = PQexec(c, sql);
	if (PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK)
		rc = 0;
	else
		fprintf(stderr, "pg_test: %s: %s", sql, PQerrorMessage(c));
	PQclear(r);
	PQfinish(c);
	return rc;
}

/* The cluster's connection string with dbname replaced by name, into out. */
static inline int pg_test_conninfo_for(const char *name, char *out, size_t cap)
{
	PQconninfoOption *opts = PQconninfoParse(pg_test_conninfo(), NULL), *o;
	size_t len = 0;
	int n;

	if (!opts)
		return -1;
	out[0] = '\0';
	for (o = opts; o->keyword; o++) {
		const char *v = strcmp(o->keyword, "dbname") == 0 ? name : o->val;

		if (!v || (strcmp(o->keyword, "dbname") != 0 && !*v))
			continue;
		/* Test values hold no quotes or backslashes; quote for spaces. */
		n = snprintf(out + len, cap - len, "%s%s='%s'", len ? " " : "", o->keyword, v);
		if (n < 0 || (size_t)n >= cap - len) {
			PQconninfoFree(opts);
			return -1;
		}
		len += (size_t)n;
	}
	PQconninfoFree(opts);
	return 0;
}

/* Makes a new, empty database and writes its connection string into out (cap bytes) and its
 * name into name (64 bytes). */
static inline int pg_test_create(char name[64], char *out, size_t cap)
{
	static unsigned counter;
	char sql[128];

	snprintf(name, 64, "ok_test_%ld_%u", (long)getpid(), counter++);
	snprintf(sql, sizeof(sql), "CREATE DATABASE %s", name);
	if (pg_test_admin(sql) != 0)
		return -1;
	return pg_test_conninfo_for(name, out, cap);
}

/* Drops a database pg_test_create made (its connections closed first by the caller). */
static inline void pg_test_drop(const char *name)
{
	char sql[128];

	snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s WITH (FORCE)", name);
	(void)pg_test_admin(sql);
}

/* Runs a query returning one integer on its own connection to conninfo; -1 when it returns no
 * row. */
static inline long long pg_test_int(const char *conninfo, const char *sql)
{
	PGconn *c = PQconnectdb(conninfo);
	PGresult *r = PQexec(c, sql);
	long long v = -1;

	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0)
		v = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	else if (PQresultStatus(r) != PGRES_TUPLES_OK)
		fprintf(stderr, "pg_test: %s: %s", sql, PQerrorMessage(c));
	PQclear(r);
	PQfinish(c);
	return v;
}

/* Runs commands on their own connection to conninfo; 0 or -1. */
static inline int pg_test_exec(const char *conninfo, const char *sql)
{
	PGconn *c = PQconnectdb(conninfo);
	PGresult *r = PQexec(c, sql);
	int rc = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK ? 0
	                                                                                       : -1;

	if (rc)
		fprintf(stderr, "pg_test: %s: %s", sql, PQerrorMessage(c));
	PQclear(r);
	PQfinish(c);
	return rc;
}

#endif
