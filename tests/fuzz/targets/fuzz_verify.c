/* libFuzzer target for the whole verification pipeline without a data folder (d = NULL): any
 * bytes, either format, every check. Any verdict is fine; it must not crash, leak, or contradict
 * itself (a result that is not a credential is never verified; a verified one failed no check;
 * the VC-API JSON says the same). */
#include <sodium.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "registry/verify.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (sodium_init() < 0)
		abort();
	return 0;
}

static void run(const uint8_t *data, size_t size, const struct verify_options *o)
{
	struct verify_result r;
	struct ok_error err;
	json_t *j;
	char *text;
	size_t i;

	ok_error_clear(&err);
	if (registry_verify(NULL, (const char *)data, size, o, &r, &err) != 0) {
		/* Only out of memory (or a store, which there is none of) stops it short. */
		verify_result_release(&r);
		return;
	}
	if (!r.is_credential && (r.verified || r.count || r.credential))
		abort();
	if (r.verified)
		for (i = 0; i < r.count; i++)
			if (!r.items[i].passed)
				abort();
	j = verify_result_json(&r);
	if (!j || json_is_true(json_object_get(j, "verified")) != r.verified)
		abort();
	text = json_dumps(j, JSON_COMPACT);
	if (!text)
		abort();
	free(text);
	json_decref(j);
	verify_result_release(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* some asks for the credential's jansson copy (verify_options.want_credential). */
	struct verify_options all = {0}, some = {.checks = VERIFY_PROOF | VERIFY_ISSUER,
	                                         .any_issuer = true,
	                                         .want_credential = true};
	struct verify_options no_proof = {.checks = VERIFY_VALIDITY | VERIFY_STATUS};

	run(data, size, &all);
	run(data, size, &some);
	run(data, size, &no_proof);
	return 0;
}
