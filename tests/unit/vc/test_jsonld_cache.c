/* Unit test of the per-process context cache's prefill (review R4): a process whose first
 * documents bring only unusual lists of pinned contexts, enough to fill the cache, still has the
 * lists the depository's own documents name cached. Its own executable: the test must be the
 * process's first use of JSON-LD. */
#include "vc_test.h"

#include "vc/jsonld.h"
#include "vc/jsonld_internal.h"

#define V2 "https://www.w3.org/ns/credentials/v2"
#define OB "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"

static void own_lists_cached_after_junk(void **state)
{
	static const char *const urls[] = {
	        "https://www.w3.org/ns/credentials/examples/v2",
	        "https://w3id.org/security/data-integrity/v1",
	        "https://w3id.org/security/data-integrity/v2",
	        "https://w3id.org/security/multikey/v1",
	        "https://www.w3.org/ns/credentials/undefined-terms/v2",
	        VC_CONTEXT_OORKONDE_V1,
	        OB,
	};
	const size_t n = sizeof(urls) / sizeof(urls[0]);
	struct ok_error err;
	struct buf out;
	size_t a, b, c;
	json_t *doc;

	(void)state;
	buf_init(&out, 0);
	/* Every ordered list of two or three other contexts: far more than the cache's slots. */
	for (a = 0; a < n; a++)
		for (b = 0; b < n; b++)
			for (c = 0; c <= n; c++) {
				if (a == b || c == a || c == b)
					continue;
				doc = c == n ? json_pack("{s:[s, s], s:s}", "@context", urls[a],
				                         urls[b], "id", "urn:x:1")
				             : json_pack("{s:[s, s, s], s:s}", "@context", urls[a],
				                         urls[b], urls[c], "id", "urn:x:1");
				ok_error_clear(&err);
				buf_reset(&out);
				(void)vc_jsonld_to_nquads(doc, NULL, &out, &err);
				json_decref(doc);
			}
	buf_release(&out);
	assert_true(jl_pinned_cached(V2 "\n"));
	assert_true(jl_pinned_cached(V2 "\n" OB "\n"));
	assert_true(jl_pinned_cached(V2 "\n" VC_CONTEXT_OORKONDE_V1 "\n"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(own_lists_cached_after_junk),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
