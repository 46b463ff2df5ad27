/* Every statement of the PostgreSQL store waits for its answer within a bound (pg_internal.h,
 * "deadlines"). A server that stops answering without closing the connection (SIGSTOP, a frozen
 * machine, a partition without resets) is not noticed by statement_timeout (the server's own
 * clock stands still with it), and TCP keepalives and tcp_user_timeout take a minute or more and
 * do not apply to a Unix socket at all: only the client's own clock bounds the wait. */
#include "store/pg_connect.h"
#include "store/pg_internal.h"

#include <errno.h>
#include <poll.h>
#include <time.h>

int64_t pg_now_ms(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t pg_deadline(const struct pg_store *s, int64_t extra_ms)
{
	return pg_now_ms() + (s->long_ops ? PG_LONG_BOUND_MS : s->bound_ms) + extra_ms;
}

int pg_stalled(struct pg_store *s, const char *what, struct ok_error *err)
{
	/* The connection is given up: nothing more is read from or sent on it, and the next
	 * statement connects again (ensure_connected). A transaction open on it is lost, which
	 * the caller learns from this error and answers with its rollback. */
	s->stalled = true;
	s->copy_pending = NULL;
	return ok_fail(err, OK_ENOANSWER,
	               "%s: the PostgreSQL server has not answered within its bound (%s); the "
	               "store is not answering",
	               what, s->long_ops ? PG_LONG_BOUND_TXT : PG_BOUND_TXT);
}

int pg_poll(struct pg_store *s, short events, int64_t deadline)
{
	struct pollfd p;
	int64_t left;
	int n;

	for (;;) {
		left = deadline - pg_now_ms();
		if (left <= 0)
			return 0;
		p.fd = PQsocket(s->conn);
		p.events = events;
		p.revents = 0;
		if (p.fd < 0)
			return -1;
		n = poll(&p, 1, left > 60000 ? 60000 : (int)left);
		if (n > 0)
			return 1;
		if (n < 0 && errno != EINTR)
			return -1;
	}
}

int pg_flush(struct pg_store *s, int64_t deadline, const char *what, struct ok_error *err)
{
	int rc;

	while ((rc = PQflush(s->conn)) == 1) {
		/* Reading what the server sends meanwhile keeps it from blocking on us. */
		int ready = pg_poll(s, POLLOUT | POLLIN, deadline);

		if (ready == 0)
			return pg_stalled(s, what, err);
		if (ready < 0 || !PQconsumeInput(s->conn))
			return pg_fail(s, NULL, what, err);
	}
	return rc == 0 ? 0 : pg_fail(s, NULL, what, err);
}

/* Waits until a result can be taken without blocking. */
static int await_result(struct pg_store *s, int64_t deadline, const char *what,
                        struct ok_error *err)
{
	while (PQisBusy(s->conn)) {
		int ready = pg_poll(s, POLLIN, deadline);

		if (ready == 0)
			return pg_stalled(s, what, err);
		/* A connection that failed makes PQgetResult return its error. */
		if (ready < 0 || !PQconsumeInput(s->conn))
			return 0;
	}
	return 0;
}

int pg_collect(struct pg_store *s, int64_t deadline, PGresult **out, const char *what,
               struct ok_error *err)
{
	PGresult *last = NULL, *r;
	int rc;

	*out = NULL;
	if ((rc = pg_flush(s, deadline, what, err)))
		goto fail;
	for (;;) {
		if ((rc = await_result(s, deadline, what, err)))
			goto fail;
		r = PQgetResult(s->conn);
		if (!r)
			break;
		/* COPY hands over to the caller, which sends or reads its data next. */
		if (PQresultStatus(r) == PGRES_COPY_IN || PQresultStatus(r) == PGRES_COPY_OUT) {
			PQclear(last);
			*out = r;
			return 0;
		}
		/* As PQexec: the last result, except that an error is kept over what follows. */
		if (last && (PQresultStatus(last) == PGRES_FATAL_ERROR ||
		             PQresultStatus(last) == PGRES_NONFATAL_ERROR)) {
			PQclear(r);
			continue;
		}
		PQclear(last);
		last = r;
	}
	*out = last;
	return 0;
fail:
	PQclear(last);
	return rc;
}

int pg_copy_finish(struct pg_store *s, struct ok_error *err)
{
	const char *what = s->copy_pending;
	PGresult *r;
	int rc;

	if (!what)
		return 0;
	s->copy_pending = NULL;
	if ((rc = pg_collect(s, pg_deadline(s, 0), &r, what, err)))
		return rc;
	(void)PQsetnonblocking(s->conn, 0);
	if (!r || PQresultStatus(r) != PGRES_COMMAND_OK)
		rc = pg_fail(s, r, what, err);
	PQclear(r);
	return rc;
}

int pg_reconnect(struct pg_store *s, const char *what, struct ok_error *err)
{
	int64_t deadline = pg_deadline(s, 0);
	PostgresPollingStatusType st = PGRES_POLLING_WRITING;

	/* PQreset would wait for as long as connect_timeout (per host) allows; a server that is
	 * stopped accepts a connection on its socket and then never answers it. */
	if (!PQresetStart(s->conn))
		return pg_fail(s, NULL, what, err);
	while (st != PGRES_POLLING_OK) {
		int ready;

		if (st == PGRES_POLLING_FAILED)
			return pg_fail(s, NULL, what, err);
		ready = pg_poll(s, st == PGRES_POLLING_READING ? POLLIN : POLLOUT, deadline);
		if (ready == 0)
			return pg_stalled(s, what, err);
		if (ready < 0)
			return pg_fail(s, NULL, what, err);
		st = PQresetPoll(s->conn);
	}
	s->stalled = false;
	s->copy_pending = NULL;
	(void)PQsetnonblocking(s->conn, 0);
	pg_socket_buffers(s->conn);
	return 0;
}
