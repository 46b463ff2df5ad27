/* The parts of a foreign import that read the credential alone, before any store or network
 * use (see foreign.h): for foreign.c and its fuzz target. */
#ifndef OK_REGISTRY_FOREIGN_INTERNAL_H
#define OK_REGISTRY_FOREIGN_INTERNAL_H

#include <jansson.h>
#include <sodium.h>

#include "core/error.h"
#include "store/foreign.h"

/* Fills the achievement's columns of f (title, kind, awarded_on, credits_centi, grade,
 * institution, institution_country) from the credential (or its JWT payload); OK_EINPUT
 * (field "credential") when it names no achievement. */
int foreign_read_achievement(const json_t *vc, struct store_foreign *f, struct ok_error *err);

/* The key that makes a credential unique for its issuer: its id, else a hash of its bytes. */
void foreign_credential_key(const json_t *vc, const char *data, size_t len,
                            char out[STORE_FOREIGN_KEY_MAX + 1]);

enum foreign_hash {
	FOREIGN_HASH_NONE,      /* no hashed national id in the credential */
	FOREIGN_HASH_MALFORMED, /* one, but not "sha256$" and 64 hex digits */
	FOREIGN_HASH_OK,        /* want holds it */
};

/* The credential subject's national id hash ("sha256$HEX") into want, and its salt (NULL when
 * none; points into vc). */
enum foreign_hash foreign_identity_hash(const json_t *vc,
                                        unsigned char want[crypto_hash_sha256_BYTES],
                                        const char **salt);

#endif
