/* Wallet issuer key and chain (see sdjwt_keys.h). */
#include "registry/sdjwt_keys.h"

#include <time.h>

#include "keys/wallet.h"

int registry_wallet_key_add(struct depository *d, struct ok_error *err)
{
	return keys_wallet_create(d->dir, d->host, d->name, (int64_t)time(NULL), err);
}

int registry_wallet_cert_install(struct depository *d, const char *chain, size_t chain_len,
                                 const char *key, size_t key_len, struct ok_error *err)
{
	return keys_wallet_install(d->dir, chain, chain_len, key, key_len, (int64_t)time(NULL),
	                           err);
}

int registry_wallet_thumbprint(struct depository *d, char out[JOSE_THUMBPRINT_MAX],
                               struct ok_error *err)
{
	struct jose_signer s;
	struct jose_jwk pub;
	int rc;

	out[0] = '\0';
	rc = keys_wallet_load(d->dir, &s, NULL, err);
	if (!rc)
		rc = jose_signer_public(&s, &pub, err);
	if (!rc)
		rc = jose_jwk_thumbprint(&pub, out, err);
	jose_jwk_release(&pub);
	jose_signer_release(&s);
	return rc;
}
