/* The PostgreSQL store on a hot standby (a streaming replica): found at open and after every
 * reconnect with pg_is_in_recovery(); there the schema is checked but never migrated (a standby
 * cannot write), and every write transaction is refused with OK_EREADONLY before it starts, so
 * that a server on a replica answers 503 and never half-writes. Also how a session the server
 * ended is noticed between statements, so that failover costs no failed request. */
#include "store/pg_internal.h"

#include <poll.h>
#include <time.h>

/* How long an open on a replica waits for a schema migrated on the primary to be replayed:
 * replication lag is normally well under a second. */
#define PG_REPLICA_SCHEMA_WAIT_MS 10000
#define PG_REPLICA_SCHEMA_POLL_MS 250

int pg_replica_detect(struct pg_store *s, const char *what, struct ok_error *err)
{
	static const char sql[] = "SELECT pg_is_in_recovery()";
	PGresult *r;
	int rc = pg_exec_one(s, sql, NULL, &r, what, err);

	if (rc)
		return rc == OK_ENOTFOUND ? ok_fail(err, OK_ESTORE, "%s: no recovery state", what)
		                          : rc;
	s->replica = pg_col_bool(r, 0, 0);
	PQclear(r);
	return 0;
}

int pg_replica_refuse(struct pg_store *s, const char *what, struct ok_error *err)
{
	int rc;

	/* A replica may have been promoted since it was last asked: ask again before refusing,
	 * so that servers on it take writes as soon as it is the primary. */
	if ((rc = pg_replica_detect(s, what, err)))
		return rc;
	if (!s->replica)
		return 0;
	return ok_fail(err, OK_EREADONLY,
	               "%s: the database is a read-only replica; writes go to the primary", what);
}

void pg_notice_closed(struct pg_store *s)
{
	struct pollfd p;
	int i;

	/* A terminated session sends its error and then closes: the error is read first (kept
	 * as a notice, nothing is waiting for it), the end of the stream on a later round. */
	for (i = 0; i < 4 && PQstatus(s->conn) == CONNECTION_OK; i++) {
		p.fd = PQsocket(s->conn);
		p.events = POLLIN;
		p.revents = 0;
		if (p.fd < 0 || poll(&p, 1, 0) <= 0)
			return;
		if (!PQconsumeInput(s->conn))
			return;
		(void)PQisBusy(s->conn);
	}
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) != 0)
		;
}

int pg_replica_schema(struct pg_store *s, int want, struct ok_error *err)
{
	static const char sql[] = "SELECT version FROM oorkonde_schema";
	int waited = 0, have, rc;
	PGresult *r;

	for (;;) {
		rc = pg_exec_one(s, sql, NULL, &r, "read schema version", err);
		if (rc == OK_ENOTFOUND)
			return ok_fail(
			        err, OK_EUNSUPPORTED,
			        "the replica holds no depository: run `oorkonde init --store` "
			        "against the primary");
		if (rc)
			return rc;
		have = (int)pg_col_int64(r, 0, 0);
		PQclear(r);
		if (have > want)
			return ok_fail(
			        err, OK_EUNSUPPORTED,
			        "the database has schema version %d; this oorkonde knows up to "
			        "%d",
			        have, want);
		if (have == want)
			return 0;
		if (waited >= PG_REPLICA_SCHEMA_WAIT_MS)
			return ok_fail(
			        err, OK_EUNSUPPORTED,
			        "the replica has schema version %d and this oorkonde needs %d; a "
			        "replica is never migrated: start this release on the primary "
			        "first, then here once the replica has caught up",
			        have, want);
		sleep_ms(PG_REPLICA_SCHEMA_POLL_MS);
		waited += PG_REPLICA_SCHEMA_POLL_MS;
	}
}
