/* Chooses the store back end from a URL. */
#include "store/store.h"

#include <string.h>

bool store_url_is_pg(const char *url)
{
	size_t word = strspn(url, "abcdefghijklmnopqrstuvwxyz_");

	if (strncmp(url, "postgres://", 11) == 0 || strncmp(url, "postgresql://", 13) == 0)
		return true;
	/* A libpq keyword string starts with a keyword and "=" ("host=/run/pg dbname=ok"). */
	return word > 0 && url[word] == '=';
}

int store_open(struct store **out, const char *url, bool create, struct ok_error *err)
{
	if (strncmp(url, "sqlite:", 7) == 0)
		return store_sqlite_open(out, url + 7, create, err);
	if (store_url_is_pg(url))
		return store_pg_open(out, url, create, err);
	return store_sqlite_open(out, url, create, err);
}
