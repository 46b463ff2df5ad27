/* For unit tests that run against PostgreSQL as well as SQLite: when OORKONDE_TEST_PG holds a libpq
 * connection string (a URI or keywords, e.g. what scripts/pg-cluster start prints), a fresh
 * database is made from it for a test and dropped after. Without it, the PostgreSQL runs are
 * skipped. */
#ifndef OK_TEST_PG_TEST_H
#define OK_TEST_PG_TEST_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PG_TEST_CONNINFO_MAX 1024

/* The connection string of the test cluster, NULL when there is none. */
static inline const char *pg_test_base(void)
{
	const char *v = getenv("OORKONDE_TEST_PG");

	return v && v[0] ? v : NULL;
}

/* Appends "keyword='value' " to out, quoting as libpq's keyword strings want. */
static inline bool pg_test_add_word(char *out, size_t cap, const char *kw, const char *val)
{
	size_t n = strlen(out);
	const char *c;

	if (n + strlen(kw) + 4 >= cap)
		return false;
	n += (size_t)snprintf(out + n, cap - n, "%s='", kw);
	for (c = val; *c; c++) {
		if (n + 4 >= cap)
			return false;
		if (*c == '\'' || *c == '\\')
			out[n++] = '\\';
		out[n++] = *c;
	}
	out[n++] = '\'';
	out[n++] = ' ';
	out[n] = '\0';
	return true;
}

/* The base connection string with its database replaced by dbname. */
static inline bool pg_test_conninfo(const char *dbname, char *out, size_t cap)
{
	PQconninfoOption *opts = PQconninfoParse(pg_test_base(), NULL), *o;
	bool ok = opts != NULL;

	out[0] = '\0';
	for (o = opts; ok && o->keyword; o++)
		if (o->val && o->val[0] && strcmp(o->keyword, "dbname") != 0)
			ok = pg_test_add_word(out, cap, o->keyword, o->val);
	if (ok)
		ok = pg_test_add_word(out, cap, "dbname", dbname);
	PQconninfoFree(opts);
	return ok;
}

/* Runs one command on the base database (CREATE or DROP DATABASE cannot be prepared). */
static inline bool pg_test_admin(const char *sql)
{
	PGconn *c = PQconnectdb(pg_test_base());
	PGresult *r = NULL;
	bool ok = PQstatus(c) == CONNECTION_OK;

	if (ok) {
		r = PQexec(c, sql);
		ok = PQresultStatus(r) == PGRES_COMMAND_OK;
	}
	if (!ok)
		fprintf(stderr, "pg_test: %s: %s", sql, PQerrorMessage(c));
	PQclear(r);
	PQfinish(c);
	return ok;
}

/* Makes a new database named after prefix and this process; its connection string in out. */
static inline bool pg_test_db_create(const char *prefix, char name[64], char *out, size_t cap)
{
	struct timespec now;
	char sql[128];

	clock_gettime(CLOCK_REALTIME, &now);
	snprintf(name, 64, "%s_%ld_%ld_%ld", prefix, (long)getpid(), (long)now.tv_sec,
	         (long)now.tv_nsec);
	snprintf(sql, sizeof(sql), "CREATE DATABASE %s", name);
	return pg_test_admin(sql) && pg_test_conninfo(name, out, cap);
}

static inline void pg_test_db_drop(const char *name)
{
	char sql[128];

	snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s", name);
	pg_test_admin(sql);
}

/* Runs a query returning one integer on its own connection to conninfo; -1 when it returns no
 * row (or is a command, such as an UPDATE). */
static inline long long pg_test_int(const char *conninfo, const char *sql)
{
	PGconn *c = PQconnectdb(conninfo);
	PGresult *r = PQexec(c, sql);
	long long v = -1;

	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0)
		v = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	else if (PQresultStatus(r) != PGRES_TUPLES_OK && PQresultStatus(r) != PGRES_COMMAND_OK)
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
