/* Connecting to PostgreSQL with client-side bounds (see pg_connect.h). */
#include "store/pg_connect.h"

#include <stdlib.h>
#include <sys/socket.h>

PGconn *pg_connect_bounded(const char *conninfo)
{
	/* Entries before the expanded connection string are overridden by what it sets (libpq's
	 * rule for expand_dbname), so these are defaults only. */
	const char *keys[9], *values[9];
	int n = 0;

	/* An explicit keyword would also override the environment's. */
	if (!getenv("PGCONNECT_TIMEOUT")) {
		keys[n] = "connect_timeout";
		values[n++] = PG_CONNECT_TIMEOUT_S;
	}
	keys[n] = "keepalives";
	values[n++] = "1";
	keys[n] = "keepalives_idle";
	values[n++] = PG_KEEPALIVES_IDLE_S;
	keys[n] = "keepalives_interval";
	values[n++] = PG_KEEPALIVES_INTERVAL_S;
	keys[n] = "keepalives_count";
	values[n++] = PG_KEEPALIVES_COUNT;
	keys[n] = "tcp_user_timeout";
	values[n++] = PG_TCP_USER_TIMEOUT_MS;
	/* Names the store's sessions in pg_stat_activity (an operator's view, a test's count). */
	if (!getenv("PGAPPNAME")) {
		keys[n] = "application_name";
		values[n++] = PG_APPLICATION_NAME;
	}
	keys[n] = "dbname";
	values[n++] = conninfo;
	keys[n] = NULL;
	values[n] = NULL;
	return PQconnectdbParams(keys, values, 1);
}

void pg_socket_buffers(PGconn *c)
{
	int fd = PQsocket(c), size = PG_SEND_BUFFER;

	/* Best effort: with the default buffer the load still goes, only less of it at once. */
	if (fd >= 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
}
