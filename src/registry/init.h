/* Creating a data folder (`oorkonde init`): the folder, then what the new depository is called
 * and who it signs as, read back from it. */
#ifndef OK_REGISTRY_INIT_H
#define OK_REGISTRY_INIT_H

#include <stdbool.h>

#include "depository/depository.h"
#include "vc/did.h"

struct init_result {
	bool opened; /* the new folder opened: name is set */
	char name[DEPOSITORY_NAME_MAX + 1];
	bool has_did; /* its identity could be read: did is set */
	char did[VC_DID_MAX];
	bool store_password; /* the store URL carries a password (PGPASSFILE is the better home) */
};

/*
 * Creates the data folder dir (see depository_create_in; host NULL: a did:key depository;
 * store_url NULL: the embedded SQLite store, else a PostgreSQL URL or connection string)
 * and reads back its name and DID into *out. Fails when the folder cannot be made or, made,
 * does not open (its store refused, another init claimed the database first); a DID that
 * cannot be worked out is left unset in out.
 */
int registry_init(const char *dir, const char *host, const char *name, const char *store_url,
                  struct init_result *out, struct ok_error *err);

#endif
