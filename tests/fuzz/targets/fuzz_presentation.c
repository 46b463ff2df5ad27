/* libFuzzer target for the presentation parser (vc_presentation_parse, with the strict JSON
 * parser in front, as the server reads a body) and a presentation's proof check with a challenge
 * and domain asked for: any bytes; what is accepted keeps the header's invariants, and every
 * enveloped token is a compact JWS of base64url characters. */
#include <sodium.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "vc/jcs.h"
#include "vc/presentation.h"
#include "vc/proof.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (sodium_init() < 0)
		abort();
	return 0;
}

static void check_token(const struct vc_presentation_item *it)
{
	size_t i, dots = 0;

	if (!it->jwt || strlen(it->jwt) != it->jwt_len || it->jwt_len == 0)
		abort();
	for (i = 0; i < it->jwt_len; i++) {
		char c = it->jwt[i];
		if (c == '.')
			dots++;
		else if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		           (c >= '0' && c <= '9') || c == '-' || c == '_'))
			abort();
	}
	if (dots != 2)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vc_proof_expect expect = {VC_PROOF_PURPOSE_AUTHENTICATION, "challenge-1",
	                                 "verifier.example"};
	enum vc_proof_check failed;
	struct vc_presentation p;
	struct ok_error err;
	json_t *doc = NULL;
	char *jwt = (char *)1;
	size_t i, len;
	int rc;

	/* The data: URL decoder on its own, on the raw bytes. */
	ok_error_clear(&err);
	rc = vc_presentation_decode_jwt_url((const char *)data, size, &jwt, &len, &err);
	if (rc == 0) {
		struct vc_presentation_item it = {VC_PRESENTATION_ENVELOPED, NULL, jwt, len};
		check_token(&it);
		free(jwt);
	} else if (jwt || err.code == 0) {
		abort();
	}

	if (vc_jcs_parse((const char *)data, size, 0, &doc, &err) != 0)
		return 0;
	ok_error_clear(&err);
	rc = vc_presentation_parse(doc, &p, &err);
	if (rc != 0) {
		if (err.code == 0 || p.count != 0)
			abort();
	} else {
		if (p.count > VC_PRESENTATION_MAX_CREDENTIALS || p.document != doc ||
		    !vc_presentation_is(doc))
			abort();
		for (i = 0; i < p.count; i++) {
			if (!json_is_object(p.items[i].credential))
				abort();
			if (p.items[i].kind == VC_PRESENTATION_ENVELOPED)
				check_token(&p.items[i]);
			else if (p.items[i].jwt)
				abort();
		}
		vc_presentation_release(&p);
	}
	ok_error_clear(&err);
	rc = vc_proof_verify_expect(doc, &expect, vc_proof_resolve_did_key, NULL, &failed, &err);
	if ((rc == 0) != (failed == VC_PROOF_VALID))
		abort();
	json_decref(doc);
	return 0;
}
