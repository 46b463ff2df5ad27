/* Registering results in bulk: the one importer behind the CLI, the API and the demo.
 *
 * Rows are validated (model/), personal fields sealed (privacy/) and written in batches, one
 * transaction each, so that a killed import leaves every earlier batch complete and a re-run
 * completes the rest: (institution, record_id) makes re-registration idempotent. With strict or
 * dry_run the whole input is one transaction, rolled back on any rejected row (strict) or always
 * (dry_run).
 */
#ifndef OK_REGISTRY_IMPORT_H
#define OK_REGISTRY_IMPORT_H

#include <stdbool.h>
#include <stddef.h>

#include "io/csv_reader.h"
#include "model/registration.h"
#include "depository/depository.h"

struct import_report {
	size_t read;
	size_t added;
	size_t updated;
	size_t unchanged;
	size_t rejected;
	size_t learners_added;
	char separator;   /* of CSV input: ',', ';' or '\t' (0 for other input) */
	bool stored;      /* false when nothing was kept (dry run, or strict with rejections) */
	size_t conflicts; /* identity conflicts met (rows whose national id is registered with
	                   * other names or birth date), counted against the key (leak.h) */
	bool key_blocked; /* they took the importing key past its conflict limit: it is blocked */
};

/* The columns an --errors file adds before the registration's (docs/formats.md): the line of
 * the rejected row, the column at fault, the reason. An import reads and ignores them. */
#define IMPORT_ERROR_COLUMNS 3
extern const char *const import_error_columns[IMPORT_ERROR_COLUMNS];

struct import_options {
	const char *institution; /* code of the institution the rows belong to */
	const char *actor;       /* who imports, for the audit log: "operator", "institution:X" */
	/* The API key importing, whose identity conflicts count against it (leak.h): more than
	 * LEAK_CONFLICTS_PER_IMPORT refuse the import whole (OK_ELIMIT). NULL for the operator,
	 * whose conflicts are audited only. Every conflict is audited either way, a dry run's
	 * too, in a transaction of its own after the import's. */
	const struct store_api_key *key;
	/* Which identity column differs is told only for a learner with a record at the
	 * institution, and only when this is false (a key without the read permission sets it). */
	bool hide_identity_columns;
	bool dry_run;
	bool strict;
	size_t batch_rows; /* rows per transaction; 0 for the default */
	/* Rows a store's bulk path holds in memory before it writes them into the open batch (what
	 * bounds the importer's memory); 0 for the default; never more than batch_rows. */
	size_t hold_rows;
	/* Called for each rejected row; row is NULL when the rows are not CSV. For a CSV record
	 * that could not be split into its columns, row has count 0 (and its line, separator). */
	void (*on_reject)(void *ctx, const struct csv_row *row, const struct ok_error *e);
	/* Called now and then with the counts so far and the input bytes consumed. */
	void (*on_progress)(void *ctx, const struct import_report *r, size_t bytes);
	void *ctx;
	/* Asked after each row; true stops the import with OK_EBUSY, rolling back the open batch
	 * (batches committed before stay: a re-run completes the import). May be NULL. */
	bool (*should_stop)(void *stop_ctx);
	void *stop_ctx;
};

struct importer;
struct store_api_key;

/* Starts an import; OK_ENOTFOUND (field "institution") when the institution is unknown. */
int importer_begin(struct importer **out, struct depository *d, const struct import_options *o,
                   struct ok_error *err);

/*
 * Registers one validated row (see model_registration_check). A row-level problem is
 * counted as rejected and reported through on_reject; the return value is non-zero only for
 * failures that stop the import (store errors, disk full).
 */
int importer_add(struct importer *imp, const struct registration *r, struct ok_error *err);

/* Counts a row the caller found invalid and reports it through on_reject; non-zero only when
 * the import must stop (a batch could not be committed). */
int importer_reject(struct importer *imp, const struct csv_row *row, const struct ok_error *e,
                    struct ok_error *err);

/* Commits (or, for a dry run or a failed strict import, rolls back) and frees imp. Then the
 * identity conflicts met are audited and counted against the key (leak.h): OK_ELIMIT with
 * report->key_blocked when they blocked it (what was committed stays), OK_EAUTH when it was
 * blocked already. */
int importer_finish(struct importer *imp, struct import_report *report, struct ok_error *err);

/* Frees imp after a fatal error, rolling back the open batch; the identity conflicts met are
 * still audited and counted (report->key_blocked when they blocked the key). */
void importer_abort(struct importer *imp, struct import_report *report);

/*
 * Imports a whole CSV stream: header, rows, batches. A problem with the file as a whole (no
 * header, missing column, binary data) is returned as an error; problems with single rows are
 * counted in the report. The header may also name import_error_columns (ignored), and a cell
 * protected by csv_cell_append is read without its protecting quote.
 *
 * On a store with a bulk path the rows are read, checked and sealed by a second thread that this
 * call starts and joins before it returns (issue 22): `read` and `src` are used from that thread,
 * so they must not depend on the calling thread. The callbacks of o (on_reject, on_progress,
 * should_stop) and the store are used from the calling thread only, as before.
 */
int registry_import_csv(struct depository *d, const struct import_options *o, const char *name,
                        csv_read_fn read, void *src, struct import_report *report,
                        struct ok_error *err);

/*
 * Imports a JSON array of objects whose keys are the CSV column names (values are strings, or
 * numbers for eqf_level and credits). A rejected object's error has line = its 1-based position
 * in the array. An input that is not an array is an error (OK_EINPUT).
 */
struct json_t;
int registry_import_json(struct depository *d, const struct import_options *o,
                         const struct json_t *rows, struct import_report *report,
                         struct ok_error *err);

#endif
