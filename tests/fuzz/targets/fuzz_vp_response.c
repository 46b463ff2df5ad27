/* libFuzzer target for a wallet's answer as the response URI reads it (oid4vp/form.h,
 * oid4vp/jwe.h): the bytes as a form body; a "response" field is decrypted as a direct_post.jwt
 * JWE with a fixed key. Every decoded field is NUL-terminated after its bytes. */
#include <sodium.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "oid4vp/form.h"
#include "oid4vp/jwe.h"

static struct jose_signer key;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	uint8_t d[JOSE_P256_BYTES];

	(void)argc;
	(void)argv;
	memset(d, 7, sizeof(d));
	if (sodium_init() < 0 || jose_signer_es256_from_d(&key, d, NULL) != 0)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = {"vp_token", "state", "response", "error", NULL};
	struct buf fields[4], plain;
	bool set[4];
	struct ok_error err;
	size_t i;

	for (i = 0; i < 4; i++)
		buf_init(&fields[i], size + 1);
	buf_init(&plain, size + 1);
	ok_error_clear(&err);
	if (oid4vp_form_read((const char *)data, size, names, fields, set, &err) == 0) {
		for (i = 0; i < 4; i++)
			if (set[i] && fields[i].data[fields[i].len] != '\0')
				abort();
		if (set[2])
			(void)oid4vp_jwe_decrypt(fields[2].data, fields[2].len, &key, &plain, &err);
	}
	for (i = 0; i < 4; i++)
		buf_release(&fields[i]);
	buf_release(&plain);
	return 0;
}
