/* libFuzzer target for the SD-JWT reader (jose_sdjwt_verify): any bytes, with the issuer's key
 * taken from the header's "jwk" member when there is one (so that inputs past the signature can
 * be reached from the seeds), and as a presentation input (jose_sdjwt_present). On success the
 * claims are an object without _sd or _sd_alg; on failure nothing is returned. The same input
 * through a memo of parsed headers (jose/jws.h) gives the same answer, parsed and remembered. */
#include <sodium.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "jose/jwk.h"
#include "jose/sdjwt.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (sodium_init() < 0)
		abort();
	return 0;
}

static int key_from_header(void *ctx, const json_t *header, const json_t *payload,
                           struct jose_jwk *key, struct ok_error *err)
{
	(void)ctx;
	(void)payload;
	return jose_jwk_parse(json_object_get(header, "jwk"), key, err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct jose_sdjwt_expect x = {
	        .algs = JOSE_ALG_ES256 | JOSE_ALG_EDDSA,
	        .issuer_key = key_from_header,
	        .now = 1767225600,
	        .kb_max_age_s = 1000000000,
	};
	json_t *frame = json_pack("{s:b,s:{s:b}}", "a", 1, "b", "0", 1);
	struct jose_sdjwt_result r;
	struct ok_error err;
	struct buf out;
	int rc;

	ok_error_clear(&err);
	rc = jose_sdjwt_verify((const char *)data, size, &x, &r, &err);
	if (rc == 0) {
		if (!json_is_object(r.claims) || json_object_get(r.claims, "_sd") ||
		    json_object_get(r.claims, "_sd_alg") || !json_is_object(r.header))
			abort();
	} else if (err.code == 0 || r.claims || r.header || r.key_bound) {
		abort();
	}
	jose_sdjwt_result_release(&r);
	/* Through a verifier's memo of headers, twice (parsed, then remembered): the same answer.
	 */
	{
		struct jose_jws_header_memo memo;
		int again;

		memset(&memo, 0, sizeof(memo));
		x.headers = &memo;
		for (int i = 0; i < 2; i++) {
			again = jose_sdjwt_verify((const char *)data, size, &x, &r, NULL);
			jose_sdjwt_result_release(&r);
			if (again != rc)
				abort();
		}
		jose_jws_header_memo_release(&memo);
	}
	buf_init(&out, JOSE_SDJWT_MAX);
	(void)jose_sdjwt_present((const char *)data, size, frame, NULL, &out, NULL);
	buf_release(&out);
	json_decref(frame);
	return 0;
}
