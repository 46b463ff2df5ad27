/* libFuzzer target for RDFC-1.0 under small limits: no input may run unbounded or crash, and
 * canonical output canonicalizes to itself. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/error.h"
#include "vc/rdfc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vc_rdfc_limits l;
	struct ok_error err;
	struct buf once, twice;
	int rc;

	vc_rdfc_limits_default(&l);
	l.max_quads = 200;
	l.max_blank_nodes = 50;
	l.max_hash_calls = 2000;
	l.max_depth = 16;
	/* The first byte picks the hash, so both are exercised. */
	if (size > 0 && (data[0] & 1))
		l.hash = VC_RDFC_SHA384;
	buf_init(&once, (size_t)16 << 20);
	buf_init(&twice, (size_t)16 << 20);
	rc = vc_rdfc_canonicalize((const char *)data, size, &l, &once, &err);
	if (rc != 0) {
		if (once.len != 0 || err.code != rc)
			abort();
		goto out;
	}
	/* Canonical labels may walk the permutations in another order, so a second run may
	 * still meet a limit; when it finishes it must give the same bytes. */
	l.max_bytes = once.len + 1;
	rc = vc_rdfc_canonicalize(once.data, once.len, &l, &twice, &err);
	if (rc == 0 && (once.len != twice.len || memcmp(once.data, twice.data, once.len) != 0))
		abort();
	if (rc != 0 && rc != OK_ETOOBIG)
		abort();
out:
	buf_release(&twice);
	buf_release(&once);
	return 0;
}
