/* libFuzzer target comparing the "every term defined" check by lookup (vc/jsonld_fast.h) with
 * the full JSON-LD expansion: whenever the lookup says the check holds, the expansion must
 * succeed under the same limits and count the same context-processing steps. One table for the
 * whole run, as a server keeps one. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "core/error.h"
#include "vc/jcs.h"
#include "vc/jsonld.h"
#include "vc/jsonld_fast.h"
#include "vc/jsonld_internal.h"

static struct vc_jsonld_terms *terms;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vc_jsonld_limits l = vc_jsonld_limits_default;
	size_t fsteps = 0, steps = 0, nodes = 0;
	struct ok_error err;
	json_t *doc = NULL;

	if (!terms && !(terms = vc_jsonld_terms_new()))
		abort();
	if (vc_jcs_parse((const char *)data, size, 0, &doc, &err) != 0)
		return 0;
	/* Small limits, so that the limit answers are reached too. */
	l.max_nodes = size % 5 == 0 ? 4 : 500;
	l.max_context_steps = size % 7 == 0 ? 900 : 20000;
	l.defined_terms_only = size % 2 == 0;
	l.plain_form = size % 3 != 0;
	if (vc_jsonld_fast_check(terms, doc, &l, &fsteps) == 1) {
		ok_error_clear(&err);
		if (jl_expand_counted(doc, &l, &steps, &nodes, &err) != 0 || steps != fsteps)
			abort();
	}
	json_decref(doc);
	return 0;
}
