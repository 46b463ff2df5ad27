/* Creating a data folder (see init.h). */
#include "registry/init.h"

#include "core/format.h"
#include "registry/credential.h"
#include "registry/elmo.h"
#include "registry/sdjwt_keys.h"
#include "store/store.h"

#include <string.h>

int registry_init(const char *dir, const char *host, const char *name, const char *store_url,
                  struct init_result *out, struct ok_error *err)
{
	struct depository_identity id;
	struct ok_error later;
	struct depository d;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = depository_create_in(dir, host, name, store_url, err)))
		return rc;
	out->store_password = store_url && store_url_has_password(store_url);
	/* A folder that does not open is no depository, whatever was written: say why. */
	if ((rc = depository_open(&d, dir, err)))
		return rc;
	/* The EMREX signing key and its self-signed certificate (keys install-elmo-cert puts a
	 * CA-issued one in their place), and the wallet issuer key (SD-JWT VC) and its local
	 * chain, made with the folder. */
	if ((rc = registry_elmo_key_create(&d, err)) || (rc = registry_wallet_key_add(&d, err))) {
		depository_close(&d);
		return rc;
	}
	ok_error_clear(&later);
	out->opened = true;
	OK_COPY_ARRAY(out->name, d.name);
	if (registry_identity(&d, &id, &later) == 0) {
		out->has_did = true;
		OK_COPY_ARRAY(out->did, id.did);
	}
	registry_identity_release(&id);
	depository_close(&d);
	return 0;
}
