/* libFuzzer target for the Bitstring Status List decoder (status_decode_list): any text, any
 * GZIP stream behind a valid multibase prefix, and any bitstring through the encoder. The decoder
 * never writes past the room it is given (ASan), says why it fails, and what it accepts encodes
 * and decodes back to the same bits. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/error.h"
#include "registry/status.h"
#include "vc/multibase.h"

#define LIST_BYTES (STATUS_LIST_SIZE / 8)

/* Decoded bits encode again and decode to the same bits. */
static void round_trip(const unsigned char *bits, size_t n)
{
	unsigned char *back = malloc(n ? n : 1);
	struct ok_error err;
	struct buf enc;
	size_t m = 0;

	buf_init(&enc, 0);
	if (!back || status_encode_list(bits, n, &enc, &err) != 0)
		abort();
	if (enc.len == 0 || enc.data[0] != 'u')
		abort();
	if (status_decode_list(enc.data, enc.len, back, n ? n : 1, &m, &err) != 0 || m != n ||
	    memcmp(back, bits, n) != 0)
		abort();
	buf_release(&enc);
	free(back);
}

/* text as an encodedList, with the room of a whole list and with a small room. */
static void decode_text(const char *text, size_t len)
{
	static const size_t caps[] = {LIST_BYTES, 64};
	struct ok_error err;
	size_t i, n;

	for (i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		/* Exactly cap bytes, so that ASan sees a write past the end. */
		unsigned char *bits = malloc(caps[i]);
		int rc;

		if (!bits)
			return;
		n = (size_t)-1;
		ok_error_clear(&err);
		rc = status_decode_list(text, len, bits, caps[i], &n, &err);
		if (rc == 0) {
			if (n > caps[i])
				abort();
			round_trip(bits, n);
		} else if (err.message[0] == '\0') {
			abort(); /* a failure always says why */
		}
		free(bits);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf wrapped;

	/* As text. */
	decode_text((const char *)data, size);
	/* As the GZIP stream inside a well-formed 'u' value. */
	buf_init(&wrapped, 0);
	if (vc_multibase_encode(VC_MULTIBASE_BASE64URL, data, size, &wrapped, NULL) == 0)
		decode_text(wrapped.data, wrapped.len);
	buf_release(&wrapped);
	/* As the bits of a list. */
	if (size <= LIST_BYTES)
		round_trip(data, size);
	return 0;
}
