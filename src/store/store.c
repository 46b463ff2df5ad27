/* Chooses the store back end from a URL. */
#include "store/store.h"

#include <string.h>

int store_open(struct store **out, const char *url, bool create, struct ok_error *err)
{
	if (strncmp(url, "sqlite:", 7) == 0)
		return store_sqlite_open(out, url + 7, create, err);
	if (strncmp(url, "postgres://", 11) == 0 || strncmp(url, "postgresql://", 13) == 0)
		return ok_fail(err, OK_EUNSUPPORTED,
		               "the PostgreSQL store is not built into this oorkonde yet");
	return store_sqlite_open(out, url, create, err);
}
