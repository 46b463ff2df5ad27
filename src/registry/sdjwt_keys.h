/* The depository's wallet issuer key (SD-JWT VC, ES256) and its X.509 chain, as use cases:
 * made with a local CA (`oorkonde init`, `keys add-wallet-key`), or a CA-issued chain installed
 * (`keys install-wallet-cert`). The files are keys/wallet.h's. */
#ifndef OK_REGISTRY_SDJWT_KEYS_H
#define OK_REGISTRY_SDJWT_KEYS_H

#include <stddef.h>

#include "core/error.h"
#include "depository/depository.h"
#include "jose/jwk.h"

/* Makes the wallet key and a local chain naming the depository's host (localhost for a
 * did:key depository); OK_EEXIST when it has one. */
int registry_wallet_key_add(struct depository *d, struct ok_error *err);

/* Installs a CA-issued chain and its key (PEM texts) after checking them (keys/wallet.h). */
int registry_wallet_cert_install(struct depository *d, const char *chain, size_t chain_len,
                                 const char *key, size_t key_len, struct ok_error *err);

/* The current wallet key's RFC 7638 thumbprint, for the operator to compare. */
int registry_wallet_thumbprint(struct depository *d, char out[JOSE_THUMBPRINT_MAX],
                               struct ok_error *err);

#endif
