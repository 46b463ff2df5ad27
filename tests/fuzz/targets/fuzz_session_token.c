/* libFuzzer target for the session cookie's token and the X-CSRF-Token header as the portal
 * checks them (portal_token_valid, portal_csrf_valid): input "TOKEN\nCSRF". A CSRF token is only
 * accepted for a well-formed session token and is then exactly portal_csrf_token's; the CSRF
 * token of a well-formed session token is always accepted. */
#include <sodium.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "portal/portal.h"

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
	char *text = malloc(size + 1), *csrf, want[PORTAL_TOKEN_SIZE];
	const char *nl;
	bool token_ok, csrf_ok;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	nl = memchr(text, '\n', size);
	csrf = nl ? text + (nl - text) + 1 : NULL;
	if (nl)
		text[nl - text] = '\0';
	token_ok = portal_token_valid(text);
	if (token_ok && strlen(text) != PORTAL_TOKEN_LEN)
		abort();
	csrf_ok = portal_csrf_valid(text, csrf);
	if (csrf_ok) {
		if (!token_ok || !portal_token_valid(csrf))
			abort();
		portal_csrf_token(text, want);
		if (strcmp(want, csrf) != 0)
			abort();
	}
	if (token_ok) {
		portal_csrf_token(text, want);
		if (!portal_token_valid(want) || !portal_csrf_valid(text, want))
			abort();
	}
	free(text);
	return 0;
}
