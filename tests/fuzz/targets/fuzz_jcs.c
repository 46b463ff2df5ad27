/* libFuzzer target for RFC 8785 canonicalization: whatever parses must serialize, and
 * canonicalizing the canonical output must give the same bytes again. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/error.h"
#include "vc/jcs.h"

/* Number formatting must read back as the same double. */
static void check_number(const uint8_t *data, size_t size)
{
	char out[VC_JCS_NUMBER_MAX];
	double d;

	if (size < sizeof(d))
		return;
	memcpy(&d, data, sizeof(d));
	if (vc_jcs_format_number(d, out, sizeof(out), NULL) != 0)
		return;
	if (strtod(out, NULL) != d)
		abort();
}

static void check_fixed_point(const uint8_t *data, size_t size, unsigned flags)
{
	struct buf once, twice;
	struct ok_error err;
	json_t *v = NULL;
	int rc;

	buf_init(&once, (size_t)16 << 20);
	buf_init(&twice, (size_t)16 << 20);
	if (vc_jcs_parse((const char *)data, size, flags, &v, &err) != 0)
		goto out;
	/* A parsed value always serializes (the cap is far above what 1 MiB can become). */
	if (vc_jcs_serialize(v, &once, &err) != 0)
		abort();
	rc = vc_jcs_canonicalize(once.data, once.len, flags, &twice, &err);
	if (rc != 0 && rc != OK_ETOOBIG)
		abort();
	if (rc == 0 && (once.len != twice.len || memcmp(once.data, twice.data, once.len) != 0))
		abort();
out:
	json_decref(v);
	buf_release(&once);
	buf_release(&twice);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_number(data, size);
	check_fixed_point(data, size, 0);
	check_fixed_point(data, size, VC_JCS_ALLOW_NUL);
	return 0;
}
