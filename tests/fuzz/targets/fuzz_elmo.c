/* libFuzzer target for the ELMO reader (elmo/elmo.h): the bytes go through elmo_import as a
 * contact point's document would (gunzip, the parse with DTDs refused, the limits, the
 * signature check against a fixed certificate), and through elmo_parse_unsigned, which reads
 * the learner and results without the signature. Every text read is NUL-terminated within its
 * field, and no result count passes the limits. */
#include <sodium.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "elmo/elmo.h"

static struct buf cert;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct buf key;

	(void)argc;
	(void)argv;
	if (sodium_init() < 0 || elmo_global_init(NULL) != 0)
		abort();
	buf_init(&key, 1 << 16);
	buf_init(&cert, 1 << 16);
	if (elmo_keygen("fuzz", 1, &key, &cert, NULL) != 0)
		abort();
	buf_release(&key);
	return 0;
}

#define TEXT_OK(field) (memchr((field), '\0', sizeof(field)) != NULL)

static void check(const struct elmo_document *doc)
{
	size_t i, j, total = 0;

	if (!TEXT_OK(doc->learner.given_names) || !TEXT_OK(doc->learner.family_name) ||
	    !TEXT_OK(doc->learner.birth_date) || doc->count > ELMO_REPORTS_MAX)
		abort();
	for (i = 0; i < doc->count; i++) {
		const struct elmo_report *r = &doc->reports[i];

		if (!TEXT_OK(r->title) || !TEXT_OK(r->country) || !TEXT_OK(r->url))
			abort();
		for (j = 0; j < r->count; j++) {
			const struct elmo_result *x = &r->results[j];

			if (!TEXT_OK(x->title) || !TEXT_OK(x->grade) || !TEXT_OK(x->date) ||
			    !TEXT_OK(x->type) || x->credits_centi < -1 ||
			    x->credits_centi > 100000 || x->eqf_level < 0 || x->eqf_level > 8)
				abort();
			total++;
		}
	}
	if (total > ELMO_RESULTS_MAX)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct elmo_import_options o = {cert.data, cert.len, false, 0};
	struct elmo_signature_info sig;
	struct elmo_document doc;
	struct ok_error err;

	ok_error_clear(&err);
	elmo_document_init(&doc);
	/* No fuzzed input carries a signature of this fresh key: it must be refused. */
	if (elmo_import((const char *)data, size, &o, &doc, &sig, NULL, NULL, &err) == 0)
		abort();
	elmo_document_release(&doc);

	ok_error_clear(&err);
	elmo_document_init(&doc);
	if (elmo_parse_unsigned((const char *)data, size, &doc, &err) == 0)
		check(&doc);
	elmo_document_release(&doc);
	return 0;
}
