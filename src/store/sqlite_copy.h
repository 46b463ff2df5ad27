/* Checks of a SQLite database file that comes from outside the data folder (a backup being
 * restored), made before anything opens it as a store: a file whose schema holds what this
 * program never creates (a trigger that undoes revocations, a view, a changed table) must
 * never serve. */
#ifndef OK_STORE_SQLITE_COPY_H
#define OK_STORE_SQLITE_COPY_H

#include "core/error.h"

/*
 * Opens path (defensive mode, trusted_schema off, no write) and checks that its schema is
 * exactly the one this program creates for its user_version (every table, index, trigger and
 * view, by normalised SQL; OK_EINVALID naming the first object that differs), that PRAGMA
 * integrity_check says ok and that foreign_key_check finds nothing. *schema_version gets the
 * user_version. OK_EUNSUPPORTED for a schema newer than this program's.
 */
int store_sqlite_check_copy(const char *path, int *schema_version, struct ok_error *err);

#endif
