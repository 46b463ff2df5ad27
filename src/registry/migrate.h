/* Moving a depository from its embedded SQLite store to PostgreSQL (`oorkonde store migrate`).
 *
 * What holds after registry_store_migrate returns 0: the target database holds every record of
 * oorkonde.db (row counts equal per table), its audit chain verifies from the first event to the
 * head and against the signed checkpoints, and config.json's "store" names the target. On any
 * failure config.json and oorkonde.db are as they were and the target holds no record (at most
 * the empty schema that opening it created, as `init --store` would). oorkonde.db gains only
 * the marker of the move (store_migrate_mark), committed after the target and before
 * config.json is switched, which makes every later write transaction on it fail with
 * OK_EMOVED (a server still running on it); it stays in the folder for the operator to remove.
 */
#ifndef OK_REGISTRY_MIGRATE_H
#define OK_REGISTRY_MIGRATE_H

#include <stdint.h>

#include "audit/log.h"
#include "core/error.h"
#include "depository/depository.h"
#include "store/store_migrate.h"

struct registry_migrate_result {
	struct store_migrate_report copied;
	struct audit_check audit; /* the check of the target's audit chain */
};

/*
 * Moves the records of d (open, on its SQLite store, no transaction open) into the PostgreSQL
 * database at url (a new database, or one holding only an empty oorkonde schema of this
 * version). Other writers of oorkonde.db get "busy" while it runs: servers should be stopped
 * first. fn (may be NULL) reports the copy's progress. Errors never contain url.
 */
int registry_store_migrate(struct depository *d, const char *url, store_migrate_progress_fn fn,
                           void *ctx, struct registry_migrate_result *out, struct ok_error *err);

#endif
