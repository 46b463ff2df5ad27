/* Client-side bounds on the PostgreSQL store's connections: a server that stops answering
 * without closing the connection (a frozen machine, a partition) must not hold a connection
 * forever. Each default applies only where the connection string (or, for connect_timeout,
 * PGCONNECT_TIMEOUT) sets nothing: an operator's own choice stands. */
#ifndef OK_STORE_PG_CONNECT_H
#define OK_STORE_PG_CONNECT_H

#include <libpq-fe.h>

/* The defaults, libpq's keywords and values. */
#define PG_CONNECT_TIMEOUT_S     "10"    /* connect_timeout: per host tried */
#define PG_KEEPALIVES_IDLE_S     "30"    /* TCP keepalives after this much quiet… */
#define PG_KEEPALIVES_INTERVAL_S "10"    /* …every this often… */
#define PG_KEEPALIVES_COUNT      "3"     /* …this many unanswered, then the connection is lost */
#define PG_TCP_USER_TIMEOUT_MS   "60000" /* data sent and not acknowledged for this long */
#define PG_APPLICATION_NAME      "oorkonde" /* application_name, unless PGAPPNAME sets one */

/* PQconnectdb(conninfo) with the defaults above; the caller PQfinishes the result (NULL only
 * when out of memory). */
PGconn *pg_connect_bounded(const char *conninfo);

/* The kernel's send buffer of c's socket (up to this much; the system's maximum caps it): an
 * import's load is handed to the kernel whole and the server reads it while the importer goes
 * on with the next rows (store_pg_import.c). */
#define PG_SEND_BUFFER (4 << 20)
void pg_socket_buffers(PGconn *c);

#endif
