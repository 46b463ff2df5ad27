/* libFuzzer target for multibase, Multikey and DID parsing: a strict decoder's output encodes
 * back to exactly its input, and every encoding decodes back to its bytes. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/error.h"
#include "vc/did.h"
#include "vc/multibase.h"

static void check_decode(const uint8_t *data, size_t size)
{
	uint8_t out[2048];
	enum vc_multibase base;
	struct buf again;
	size_t n;

	if (vc_multibase_decode((const char *)data, size, out, sizeof(out), &n, &base, NULL) != 0)
		return;
	buf_init(&again, 0);
	if (vc_multibase_encode(base, out, n, &again, NULL) != 0)
		abort();
	if (again.len != size || memcmp(again.data, data, size) != 0)
		abort();
	buf_release(&again);
}

static void check_encode(const uint8_t *data, size_t size)
{
	static const enum vc_multibase bases[] = {VC_MULTIBASE_BASE58BTC, VC_MULTIBASE_BASE64URL};
	uint8_t out[VC_BASE58_MAX_BYTES];
	struct buf text;
	size_t i, n;

	if (size == 0 || size > VC_BASE58_MAX_BYTES)
		return;
	for (i = 0; i < 2; i++) {
		buf_init(&text, 0);
		if (vc_multibase_encode(bases[i], data, size, &text, NULL) != 0)
			abort();
		if (vc_multibase_decode(text.data, text.len, out, sizeof(out), &n, NULL, NULL) != 0)
			abort();
		if (n != size || memcmp(out, data, size) != 0)
			abort();
		buf_release(&text);
	}
}

/* The text parsers that take C strings. */
static void check_strings(const uint8_t *data, size_t size)
{
	char did[VC_DID_MAX], mk[VC_MULTIKEY_MAX];
	uint8_t key[32], key2[32];
	struct buf url;
	char *s = malloc(size + 1);

	if (!s)
		return;
	memcpy(s, data, size);
	s[size] = '\0';
	if (vc_multikey_decode_ed25519_pub(s, key, NULL) == 0) {
		if (vc_multikey_encode_ed25519_pub(key, mk, NULL) != 0 || strcmp(mk, s) != 0)
			abort();
	}
	if (vc_did_key_vm_to_pub(s, key, NULL) == 0) {
		if (vc_did_key_vm(key, did, NULL) != 0 ||
		    vc_did_key_vm_to_pub(did, key2, NULL) != 0 || memcmp(key, key2, 32) != 0)
			abort();
	}
	(void)vc_multikey_decode_ed25519_seed(s, key, NULL);
	if (vc_did_web(s, did, NULL) == 0) {
		buf_init(&url, 0);
		if (vc_did_web_url(did, &url, NULL) != 0)
			abort();
		buf_release(&url);
	}
	buf_init(&url, 0);
	(void)vc_did_web_url(s, &url, NULL);
	buf_release(&url);
	(void)vc_did_of_vm(s, did, NULL);
	free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_decode(data, size);
	check_encode(data, size);
	check_strings(data, size);
	return 0;
}
