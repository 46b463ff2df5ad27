/* Moving a depository's records from the embedded SQLite store into a PostgreSQL store (the
 * copy under `oorkonde store migrate`): every table, in an order that satisfies the foreign
 * keys, streamed into PostgreSQL with COPY, then counted on both sides.
 *
 * Invariants:
 * - The tables and columns copied are the program's own list (store_migrate.c), checked at
 *   run time against both databases: a table or column of either that the list does not name
 *   stops the copy before a row moves, so nothing is ever left behind silently.
 * - The caller owns both transactions: it opens them (store_begin: on SQLite BEGIN IMMEDIATE,
 *   which also keeps every other writer out while the copy runs) and commits or rolls back
 *   afterwards. The copy itself never commits; after a failure the target's transaction must be
 *   rolled back.
 * - No value is ever put into SQL text or an error message.
 */
#ifndef OK_STORE_STORE_MIGRATE_H
#define OK_STORE_STORE_MIGRATE_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "store/store.h"

#define STORE_MIGRATE_TABLES_MAX 48

/* The meta key of the SQLite store that says its records moved to PostgreSQL, with the time
 * ("YYYY-MM-DDTHH:MM:SSZ"). While it is there every write transaction of the SQLite store is
 * refused with OK_EMOVED (store_begin), and so is the count /healthz asks for. */
#define STORE_MOVED_META "moved_at"

/* What was copied: each table (in copy order) with the rows found in the source, copied and
 * then counted in the target (all three equal, or the copy failed). */
struct store_migrate_report {
	size_t ntables;
	struct {
		const char *name; /* static */
		int64_t rows;
	} tables[STORE_MIGRATE_TABLES_MAX];
	int64_t rows; /* all tables together */
};

/* Called while the copy runs: the table being copied, rows of it done, and rows done and to
 * do over all tables. Called at the start and end of each table and every few thousand rows. */
typedef void (*store_migrate_progress_fn)(void *ctx, const char *table, int64_t table_done,
                                          int64_t done, int64_t total);

/*
 * Copies every record of from (an SQLite store) into to (a PostgreSQL store whose schema is
 * current), both with a write transaction open. Refuses with OK_EEXIST, naming the tables, when
 * to already holds any row of any table, and with OK_EUNSUPPORTED when either database has a
 * table or column the copy does not know. Afterwards sets to's identity counters past the
 * copied rows and compares the row counts of each table. fn (may be NULL) reports progress.
 */
int store_migrate_copy(struct store *from, struct store *to, store_migrate_progress_fn fn,
                       void *ctx, struct store_migrate_report *out, struct ok_error *err);

/*
 * Empties every table of the copy in to (a PostgreSQL store, no transaction open), in one
 * transaction: the undo of a copy that committed when what had to follow it failed.
 */
int store_migrate_clear(struct store *to, struct ok_error *err);

/*
 * Writes the marker STORE_MOVED_META = at (and moved_to = "postgresql") into from, an SQLite
 * store whose write transaction is open (the copy's): it holds once that transaction commits.
 */
int store_migrate_mark(struct store *from, const char *at, struct ok_error *err);

/*
 * Takes the marker out again, in a transaction of its own (from has none open): the undo of a
 * move whose last step, switching config.json, failed. The only write store_begin would refuse.
 */
int store_migrate_unmark(struct store *from, struct ok_error *err);

#endif
