/* libFuzzer target for the OpenID4VCI request parsers (oid4vci/oid4vci.h): the first byte picks
 * one; the rest is a token request's form body, a credential request's JSON, a proof JWT or a
 * DPoP proof. A parse that succeeds must leave its result consistent; one that fails must say
 * why. */
#include <sodium.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "oid4vci/oid4vci.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (sodium_init() < 0)
		abort();
	return 0;
}

static void form(const char *s, size_t n)
{
	struct oid4vci_form f;
	struct ok_error err;

	ok_error_clear(&err);
	if (oid4vci_form_parse(s, n, &f, &err) == 0) {
		if ((!f.has_code && f.code[0]) || strlen(f.code) >= sizeof(f.code) ||
		    strlen(f.tx_code) >= sizeof(f.tx_code))
			abort();
	} else if (err.code == 0 || !err.message[0]) {
		abort();
	}
}

static void body(const char *s, size_t n)
{
	json_t *doc = json_loadb(s, n, JSON_REJECT_DUPLICATES, NULL);
	struct oid4vci_cred_body b;
	struct ok_error err;
	const char *oauth = NULL;

	if (!doc)
		return;
	ok_error_clear(&err);
	if (oid4vci_cred_body_parse(doc, &b, &oauth, &err) == 0) {
		if (oauth || b.njwts == 0 || b.njwts > OID4VCI_BATCH_MAX ||
		    !(b.identifier || b.configuration) || (b.identifier && b.configuration))
			abort();
		for (size_t i = 0; i < b.njwts; i++)
			if (!b.jwts[i])
				abort();
	} else if (!oauth || err.code == 0) {
		abort();
	}
	json_decref(doc);
}

static void proofs(const char *s, size_t n, bool dpop)
{
	char *text = malloc(n + 1), nonce[64], jkt[JOSE_THUMBPRINT_MAX];
	struct jose_jwk key = {0};
	struct ok_error err;
	const char *oauth = NULL;
	int rc;

	if (!text)
		return;
	memcpy(text, s, n);
	text[n] = '\0';
	ok_error_clear(&err);
	if (dpop)
		rc = oid4vci_dpop_check(text, "POST", "https://issuer.example/token",
		                        n % 2 ? "token" : NULL, 1767225600, jkt, nonce,
		                        sizeof(nonce), &err);
	else
		rc = oid4vci_proof_check(text, "https://issuer.example", 1767225600, &key, nonce,
		                         sizeof(nonce), &oauth, &err);
	if (rc == 0 && (!nonce[0] || (dpop && strlen(jkt) != 43)))
		abort();
	if (rc != 0 && (err.code == 0 || (!dpop && !oauth)))
		abort();
	jose_jwk_release(&key);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data + 1;

	if (size == 0)
		return 0;
	switch (data[0] % 4) {
	case 0:
		form(s, size - 1);
		break;
	case 1:
		body(s, size - 1);
		break;
	default:
		proofs(s, size - 1, data[0] % 4 == 3);
		break;
	}
	return 0;
}
