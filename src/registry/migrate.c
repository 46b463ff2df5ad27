/* `oorkonde store migrate`: an SQLite depository's records moved into PostgreSQL, checked there,
 * and only then the data folder switched over (see migrate.h). */
#include "registry/migrate.h"

#include "core/buf.h"
#include "core/clock.h"
#include "core/format.h"
#include "keys/keyfile.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* config.json as it will be with "store" set to url, as text; read whole before anything moves
 * so that writing it is the only step left after the target commits. */
static int new_config(const struct depository *d, const char *url, struct buf *path, char **text,
                      struct ok_error *err)
{
	json_error_t jerr;
	json_t *config;
	int rc;

	if ((rc = buf_addf(path, "%s/config.json", d->dir)))
		return ok_fail(err, rc, "the data folder's path is too long");
	config = json_load_file(path->data, JSON_REJECT_DUPLICATES, &jerr);
	if (!config)
		return ok_fail(err, OK_EINPUT, "%s: %s (line %d)", path->data, jerr.text,
		               jerr.line);
	if (!json_is_object(config)) {
		json_decref(config);
		return ok_fail(err, OK_EINPUT, "%s: not a JSON object", path->data);
	}
	if (json_object_set_new(config, "store", json_string(url)) != 0) {
		json_decref(config);
		return ok_fail_field(err, OK_EINPUT, "to", "--to must be UTF-8 text");
	}
	*text = json_dumps(config, JSON_INDENT(2) | JSON_SORT_KEYS);
	json_decref(config);
	if (!*text)
		return ok_fail(err, OK_ENOMEM, "cannot write config.json: out of memory");
	return 0;
}

/* The target's audit chain, walked as `oorkonde audit verify` walks it (the checkpoints of the
 * database and of the folder's file, each signature with the issuer keys). */
static int verify_target(struct depository *d, struct store *to, struct audit_check *check,
                         struct ok_error *err)
{
	struct store *own = d->store;
	int rc;

	d->store = to;
	rc = audit_log_verify(d, check, err);
	d->store = own;
	if (rc)
		return rc;
	if (!check->intact)
		return ok_fail(err, OK_EINVALID,
		               "the audit chain does not verify on the target (%s); nothing was "
		               "moved: run 'oorkonde audit verify' on the data folder",
		               check->why);
	return 0;
}

int registry_store_migrate(struct depository *d, const char *url, store_migrate_progress_fn fn,
                           void *ctx, struct registry_migrate_result *out, struct ok_error *err)
{
	struct store *to = NULL;
	struct ok_error undo;
	char why[sizeof(err->message)];
	struct buf path;
	char *text = NULL, at[32];
	bool marked = false;
	int rc, undone;

	memset(out, 0, sizeof(*out));
	if (strcmp(d->store->ops->name, "sqlite") != 0)
		return ok_fail(err, OK_ECONFLICT,
		               "the data folder's records are in PostgreSQL already; store migrate "
		               "moves them out of SQLite");
	if (!store_url_is_pg(url))
		return ok_fail_field(err, OK_EINPUT, "to",
		                     "--to takes a PostgreSQL URL (postgresql://...) or connection "
		                     "string");
	buf_init(&path, OK_PATH_MAX);
	if ((rc = new_config(d, url, &path, &text, err)))
		goto out;
	/* Opening makes the schema in a new database and refuses a newer one. */
	if ((rc = store_open(&to, url, true, err)))
		goto out;
	/* The source first: BEGIN IMMEDIATE holds oorkonde.db's write lock until the folder is
	 * switched, so no write can land in SQLite after its rows were read. */
	rc = store_begin(d->store, err);
	if (rc == OK_EBUSY)
		rc = ok_fail(
		        err, OK_EBUSY,
		        "oorkonde.db is busy: another process is writing to it; stop the servers "
		        "and imports of this data folder first");
	if (rc)
		goto out;
	/* The order of the last steps decides what a crash between two of them leaves
	 * (docs/operations.md, "Moving to PostgreSQL"): the target commits first, then
	 * oorkonde.db's marker (from then on no process writes into it), and config.json is
	 * switched last. Each state in between loses no acknowledged write: before the marker
	 * commits, oorkonde.db is still the store; after, it refuses writes until config.json
	 * names the target. */
	audit_format_time(ok_now_ms(), at);
	if ((rc = store_begin(to, err)) ||
	    (rc = store_migrate_copy(d->store, to, fn, ctx, &out->copied, err)) ||
	    (rc = verify_target(d, to, &out->audit, err)) ||
	    (rc = store_migrate_mark(d->store, at, err)) || (rc = store_commit(to, err)))
		goto out;
	if ((rc = store_commit(d->store, err)) == 0) {
		marked = true;
		rc = file_write_atomic(path.data, text, strlen(text), 0600, 0, err);
	}
	if (rc) {
		/* config.json still names oorkonde.db: it must take writes again, and the target
		 * must not keep a copy that the folder does not use (a later migrate would refuse
		 * it, and it would go stale). */
		ok_error_clear(&undo);
		store_rollback(d->store);
		undone = marked ? store_migrate_unmark(d->store, &undo) : 0;
		if (store_migrate_clear(to, &undo) || undone) {
			memcpy(why, err->message, sizeof(why));
			ok_fail(err, rc,
			        "%s; and undoing the move failed too (%s): see \"Moving to "
			        "PostgreSQL\" in docs/operations.md",
			        why, undo.message);
		}
	}
out:
	if (to)
		store_rollback(to);
	store_rollback(d->store);
	store_close(to);
	free(text);
	buf_release(&path);
	return rc;
}
