/* Random secrets of the wallet flow and the hashes they are kept by (internal.h). */
#include <sodium.h>
#include <string.h>

#include "oid4vci/internal.h"

void oid4vci_secret(char out[OID4VCI_SECRET_LEN + 1])
{
	unsigned char raw[32];

	randombytes_buf(raw, sizeof(raw));
	sodium_bin2base64(out, OID4VCI_SECRET_LEN + 1, raw, sizeof(raw),
	                  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof(raw));
}

void oid4vci_hash(const char *kind, const char *salt, const char *value,
                  unsigned char out[STORE_HASH_BYTES])
{
	crypto_generichash_state st;

	crypto_generichash_init(&st, NULL, 0, STORE_HASH_BYTES);
	crypto_generichash_update(&st, (const unsigned char *)"oorkonde oid4vci ", 17);
	crypto_generichash_update(&st, (const unsigned char *)kind, strlen(kind) + 1);
	if (salt)
		crypto_generichash_update(&st, (const unsigned char *)salt, strlen(salt) + 1);
	crypto_generichash_update(&st, (const unsigned char *)value, strlen(value));
	crypto_generichash_final(&st, out, STORE_HASH_BYTES);
}

void oid4vci_code_of(const char *offer_token, char out[OID4VCI_SECRET_LEN + 1])
{
	unsigned char raw[32];

	oid4vci_hash("code-of-offer", NULL, offer_token, raw);
	sodium_bin2base64(out, OID4VCI_SECRET_LEN + 1, raw, sizeof(raw),
	                  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof(raw));
}
