/* Base64url without padding, strict, over libsodium's constant-time codec. */
#include "jose/b64.h"

#include <sodium.h>

int jose_b64_encode(const void *in, size_t n, struct buf *out, struct ok_error *err)
{
	size_t need;
	int rc;

	if (n > (SIZE_MAX - 8) / 4 * 3)
		return ok_fail(err, OK_ETOOBIG, "value too long to encode");
	need = sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	rc = buf_grow(out, need - 1);
	if (rc)
		return ok_fail(err, rc, "encoded value too long");
	sodium_bin2base64(out->data + out->len, need, in, n,
	                  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	out->len += need - 1; /* without the NUL sodium wrote, which buf keeps anyway */
	out->data[out->len] = '\0';
	return 0;
}

int jose_b64_decode(const char *in, size_t n, uint8_t *out, size_t cap, size_t *out_len,
                    const char *field, struct ok_error *err)
{
	size_t len = 0;

	*out_len = 0;
	if (n % 4 == 1)
		return ok_fail_field(err, OK_EINPUT, field ? field : "",
		                     "base64url of impossible length");
	if (JOSE_B64_DECODED_LEN(n) > cap)
		return ok_fail_field(err, OK_EINPUT, field ? field : "", "value too long");
	if (sodium_base642bin(out, cap, in, n, NULL, &len, NULL,
	                      sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
		return ok_fail_field(err, OK_EINPUT, field ? field : "",
		                     "not base64url (RFC 4648, no padding)");
	*out_len = len;
	return 0;
}

int jose_b64_decode_buf(const char *in, size_t n, struct buf *out, const char *field,
                        struct ok_error *err)
{
	size_t room = JOSE_B64_DECODED_LEN(n), len;
	int rc;

	if (n % 4 == 1)
		return ok_fail_field(err, OK_EINPUT, field ? field : "",
		                     "base64url of impossible length");
	rc = buf_grow(out, room);
	if (rc)
		return ok_fail_field(err, rc, field ? field : "", "value too long");
	rc = jose_b64_decode(in, n, (uint8_t *)out->data + out->len, room, &len, field, err);
	if (rc)
		return rc;
	out->len += len;
	out->data[out->len] = '\0';
	return 0;
}
