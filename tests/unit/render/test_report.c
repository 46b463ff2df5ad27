/* Unit tests for render/report.h: the access report's page from a small document, in both
 * languages, with everything from the document escaped, codes in words (unknown ones as they
 * are), and a policy that names the hash of the page's one style element. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render/embed.h"
#include "render/report.h"

static const char doc_text[] =
        "{\"type\": \"access-report\", \"generated\": \"2026-01-31T14:30:00Z\","
        " \"depository\": {\"name\": \"Depot <&>\", \"did\": \"did:web:x\"},"
        " \"learner\": {\"id\": \"L1\", \"national_id\": \"123\", \"given_names\": \"<script>\","
        "  \"family_name\": \"O'Brien\", \"birth_date\": \"2000-01-02\", \"registered\": null},"
        " \"institutions\": {\"21PB\": {\"name\": \"Uni\", \"country\": \"NL\"}},"
        " \"achievements\": [{\"id\": \"A1\", \"institution\": \"21PB\", \"kind\": \"course\","
        "  \"title\": \"Logic\", \"awarded_on\": \"2024-07-04\", \"grade\": \"7.5\","
        "  \"credits\": 7.5, \"status\": \"active\", \"version\": 1, \"history\": []}],"
        " \"shares\": [], \"foreign_achievements\": [], \"identity_corrections\": [],"
        " \"accesses\": [{\"seq\": 1, \"at\": \"2026-01-31T14:30:00Z\", \"actor\": \"operator\","
        "  \"action\": \"learner.read\", \"subject\": \"L1\", \"purpose\": \"access-report\"},"
        "  {\"seq\": 2, \"at\": \"2026-01-31T14:31:00Z\", \"actor\": \"institution:21PB/key:k\","
        "  \"action\": \"odd.action\", \"subject\": \"A1\", \"purpose\": \"odd_purpose\"}]}";

static char *page_of(const char *lang)
{
	json_error_t je;
	json_t *doc = json_loads(doc_text, 0, &je);
	struct ok_error err;
	struct buf b;
	char *s;

	assert_non_null(doc);
	buf_init(&b, (size_t)1 << 20);
	ok_error_clear(&err);
	assert_int_equal(render_report_html(doc, lang, &b, &err), 0);
	json_decref(doc);
	s = buf_detach(&b, NULL);
	return s;
}

static void page_in_english(void **state)
{
	char *p = page_of("en");

	(void)state;
	assert_non_null(strstr(p, "<html lang=\"en\">"));
	assert_non_null(strstr(p, "<h1>Access report</h1>"));
	assert_non_null(strstr(p, "Depot &lt;&amp;&gt;"));
	assert_non_null(strstr(p, "<dd>&lt;script&gt;</dd>"));
	assert_non_null(strstr(p, "O&#39;Brien"));
	assert_null(strstr(p, "<script>"));
	assert_non_null(strstr(p, "31 January 2026 14:30 UTC"));
	assert_non_null(strstr(p, "<dd>4 July 2024</dd>"));
	assert_non_null(strstr(p, "<dd>7.5</dd>"));
	assert_non_null(strstr(p, "the depository&#39;s operator"));
	assert_non_null(strstr(p, "read your personal data"));
	assert_non_null(strstr(p, "access report"));
	assert_non_null(strstr(p, "institution 21PB (Uni)"));
	/* Codes without words are shown as they are. */
	assert_non_null(strstr(p, "odd.action: Logic"));
	assert_non_null(strstr(p, "odd_purpose"));
	assert_non_null(strstr(p, "You have not shared anything."));
	free(p);
}

static void page_in_dutch(void **state)
{
	char *p = page_of("nl");

	(void)state;
	assert_non_null(strstr(p, "<html lang=\"nl\">"));
	assert_non_null(strstr(p, "<h1>Inzageoverzicht</h1>"));
	assert_non_null(strstr(p, "<dd>4 juli 2024</dd>"));
	assert_non_null(strstr(p, "<dd>7,5</dd>"));
	assert_non_null(strstr(p, "de beheerder van het depot"));
	assert_non_null(strstr(p, "inzageoverzicht"));
	assert_non_null(strstr(p, "geldig"));
	free(p);
}

static void not_a_report(void **state)
{
	json_t *doc = json_pack("{s:s}", "type", "other");
	struct ok_error err;
	struct buf b;

	(void)state;
	buf_init(&b, 1024);
	assert_int_equal(render_report_html(doc, "en", &b, &err), OK_EINPUT);
	/* A page past the cap is an error, not a cut page. */
	json_decref(doc);
	doc = json_loads(doc_text, 0, NULL);
	assert_int_equal(render_report_html(doc, "en", &b, &err), OK_ETOOBIG);
	json_decref(doc);
	buf_release(&b);
}

static void policy_names_the_style(void **state)
{
	char csp[RENDER_REPORT_CSP_MAX], *p = page_of("en"), *style, *end, want[128];
	unsigned char h[crypto_hash_sha256_BYTES];
	char b64[sodium_base64_ENCODED_LEN(crypto_hash_sha256_BYTES,
	                                   sodium_base64_VARIANT_ORIGINAL)];
	struct ok_error err;

	(void)state;
	assert_int_equal(render_report_csp(csp, &err), 0);
	style = strstr(p, "<style>") + 7;
	end = strstr(style, "</style>");
	crypto_hash_sha256(h, (const unsigned char *)style, (unsigned long long)(end - style));
	sodium_bin2base64(b64, sizeof(b64), h, sizeof(h), sodium_base64_VARIANT_ORIGINAL);
	snprintf(want, sizeof(want), "style-src 'sha256-%s'", b64);
	assert_non_null(strstr(csp, want));
	assert_non_null(strstr(csp, "default-src 'none'"));
	free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(page_in_english),
	        cmocka_unit_test(page_in_dutch),
	        cmocka_unit_test(not_a_report),
	        cmocka_unit_test(policy_names_the_style),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
