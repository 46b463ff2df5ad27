/* libFuzzer target for the EMREX registry reader (registry/elmo.h, emrex_registry_parse): the
 * bytes as an EMREG JSON file. Every contact point handed on has a valid acronym, an https URL,
 * a two-letter country and a certificate that loads; they come only once the whole file held. */
#include <sodium.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "registry/elmo.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (sodium_init() < 0 || elmo_global_init(NULL) != 0)
		abort();
	return 0;
}

static int seen(void *ctx, const struct store_emrex_ncp *n)
{
	size_t *count = ctx;
	char subject[256], fp[65];
	int64_t until;

	if (!n->acronym[0] || strncmp(n->url, "https://", 8) != 0 || strlen(n->country) != 2 ||
	    elmo_cert_describe(n->cert, strlen(n->cert), subject, fp, &until, NULL) != 0)
		abort();
	(*count)++;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ok_error err;
	size_t count = 0;
	int rc;

	ok_error_clear(&err);
	rc = emrex_registry_parse((const char *)data, size, NULL, seen, &count, &err);
	/* All or nothing: a refused file hands on no contact point. */
	if ((rc != 0 && count != 0) || (rc == 0 && (count == 0 || count > EMREG_EMPS_MAX)))
		abort();
	return 0;
}
