/* SHA-256 over OpenSSL's libcrypto (see sha256.h for why not libsodium's). */
#include "vc/sha256.h"

#include <openssl/evp.h>

int vc_sha256(const void *data, size_t len, uint8_t out[VC_SHA256_BYTES], struct ok_error *err)
{
	unsigned int n = 0;

	/* EVP_sha256() is a constant of the library: nothing is fetched or kept per call. */
	if (EVP_Digest(data, len, out, &n, EVP_sha256(), NULL) != 1 || n != VC_SHA256_BYTES)
		return ok_fail(err, OK_ECRYPTO, "SHA-256 failed in libcrypto");
	return 0;
}
