/* libFuzzer target for the N-Quads parser: whatever parses must write out canonically, parse
 * again to the same terms, and write out to the same bytes the second time. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/error.h"
#include "vc/nquads.h"

static void write_all(const struct vc_nq_dataset *d, struct buf *out)
{
	size_t i;

	for (i = 0; i < d->count; i++)
		if (vc_nquads_write_quad(&d->quads[i], out) != 0)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vc_nq_limits l;
	struct vc_nq_dataset d, again;
	struct ok_error err;
	struct buf once, twice;
	size_t i;

	vc_nq_limits_default(&l);
	l.max_term = 4096;
	l.max_line = 8192;
	l.max_quads = 1000;
	vc_nq_dataset_init(&d);
	vc_nq_dataset_init(&again);
	buf_init(&once, (size_t)16 << 20);
	buf_init(&twice, (size_t)16 << 20);
	if (vc_nquads_parse((const char *)data, size, &l, &d, &err) != 0) {
		if (d.count != 0 || err.code == 0)
			abort();
		goto out;
	}
	write_all(&d, &once);
	/* Canonical text may be longer than its input (\u0001 for a raw control character), so
	 * it is read back with room to spare. */
	l.max_bytes = once.len + 1;
	l.max_term = l.max_line = once.len + 1;
	if (vc_nquads_parse(once.data, once.len, &l, &again, &err) != 0 || again.count != d.count)
		abort();
	for (i = 0; i < d.count; i++)
		if (!vc_nq_term_equal(&d.quads[i].s, &again.quads[i].s) ||
		    !vc_nq_term_equal(&d.quads[i].p, &again.quads[i].p) ||
		    !vc_nq_term_equal(&d.quads[i].o, &again.quads[i].o) ||
		    !vc_nq_term_equal(&d.quads[i].g, &again.quads[i].g))
			abort();
	write_all(&again, &twice);
	if (once.len != twice.len || memcmp(once.data, twice.data, once.len) != 0)
		abort();
out:
	buf_release(&twice);
	buf_release(&once);
	vc_nq_dataset_release(&again);
	vc_nq_dataset_release(&d);
	return 0;
}
