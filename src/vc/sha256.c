/* SHA-256 over OpenSSL's libcrypto (see sha256.h for why not libsodium's). */

/* SHA256_Init/Update/Final are deprecated in OpenSSL 3 in favour of EVP, but EVP_Digest fetches
 * the implementation from the provider on every call: about 0.3 µs of a 1.3 µs hash of 2 KB on
 * this machine (docs/benchmarks.md), twice per proof. Both run the same SHA-extension code. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include "vc/sha256.h"

#include <openssl/sha.h>

int vc_sha256(const void *data, size_t len, uint8_t out[VC_SHA256_BYTES], struct ok_error *err)
{
	SHA256_CTX c;

	if (SHA256_Init(&c) != 1 || SHA256_Update(&c, data, len) != 1 || SHA256_Final(out, &c) != 1)
		return ok_fail(err, OK_ECRYPTO, "SHA-256 failed in libcrypto");
	return 0;
}
