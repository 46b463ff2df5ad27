/* libFuzzer target for the JOSE readers: any bytes as a compact JWS (parsed with every
 * algorithm allowed, then verified with a fixed Ed25519 and P-256 key) and as a JWK; a parsed
 * key must write back to a JWK that parses to the same key. */
#include <sodium.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "jose/jwk.h"
#include "jose/jws.h"

static struct jose_jwk ed_key, ec_key;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct jose_signer s;
	uint8_t seed[32] = {1}, d[32] = {2};

	(void)argc;
	(void)argv;
	if (sodium_init() < 0 || jose_signer_ed25519_from_seed(&s, seed, NULL) ||
	    jose_signer_public(&s, &ed_key, NULL))
		abort();
	jose_signer_release(&s);
	if (jose_signer_es256_from_d(&s, d, NULL) || jose_signer_public(&s, &ec_key, NULL))
		abort();
	jose_signer_release(&s);
	return 0;
}

static void fuzz_jwk(const uint8_t *data, size_t size)
{
	json_t *j = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL), *back;
	struct jose_jwk key, again;
	char tp[JOSE_THUMBPRINT_MAX], tp2[JOSE_THUMBPRINT_MAX];

	if (!j)
		return;
	if (jose_jwk_parse(j, &key, NULL) == 0) {
		if (jose_jwk_to_json(&key, &back, NULL) || jose_jwk_parse(back, &again, NULL) ||
		    !jose_jwk_equal(&key, &again) || jose_jwk_thumbprint(&key, tp, NULL) ||
		    jose_jwk_thumbprint(&again, tp2, NULL) || strcmp(tp, tp2) != 0)
			abort();
		json_decref(back);
		jose_jwk_release(&again);
	}
	jose_jwk_release(&key);
	json_decref(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const unsigned all = JOSE_ALG_ES256 | JOSE_ALG_EDDSA | JOSE_ALG_RS256 | JOSE_ALG_PS256;
	struct jose_jws jws;
	struct ok_error err;
	json_t *payload;
	int rc;

	ok_error_clear(&err);
	rc = jose_jws_parse((const char *)data, size, all, NULL, &jws, &err);
	if (rc == 0) {
		if (!json_is_object(jws.header) || !jose_alg_name(jws.alg))
			abort();
		(void)jose_jws_verify(&jws, &ed_key, &err);
		(void)jose_jws_verify(&jws, &ec_key, &err);
		if (jose_jws_payload_json(&jws, &payload, &err) == 0)
			json_decref(payload);
	} else if (err.code == 0) {
		abort();
	}
	jose_jws_release(&jws);
	fuzz_jwk(data, size);
	return 0;
}
