/* libFuzzer target for VC-JOSE verification (vc_jwt_verify) with the offline did:key resolver:
 * any bytes; on success the payload is an object and the header has alg EdDSA, on failure
 * nothing is returned. */
#include <sodium.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "vc/jwt.h"
#include "vc/proof.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (sodium_init() < 0)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *payload = (json_t *)1, *header = (json_t *)1;
	struct ok_error err;
	const json_t *alg;
	int rc;

	ok_error_clear(&err);
	rc = vc_jwt_verify((const char *)data, size, vc_proof_resolve_did_key, NULL, &payload,
	                   &header, &err);
	if (rc != 0) {
		if (payload || header || err.code == 0)
			abort();
		return 0;
	}
	alg = json_object_get(header, "alg");
	if (!json_is_object(payload) || !json_is_string(alg) ||
	    strcmp(json_string_value(alg), VC_JWT_ALG) != 0)
		abort();
	json_decref(payload);
	json_decref(header);
	/* Without a header pointer the payload alone comes back. */
	rc = vc_jwt_verify((const char *)data, size, vc_proof_resolve_did_key, NULL, &payload, NULL,
	                   &err);
	if (rc != 0 || !json_is_object(payload))
		abort();
	json_decref(payload);
	return 0;
}
