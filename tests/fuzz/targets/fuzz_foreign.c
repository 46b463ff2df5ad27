/* libFuzzer target for what a foreign-credential import reads from the credential before any
 * store or network use (foreign_internal.h): the bytes (JSON credential or VC-JOSE token) go
 * through registry_verify as the import's first step does (issuer check only, no data folder),
 * then the achievement's columns and the credential key are read from the
 * credential, and its holder (name, birth date) is folded and matched against a fixed learner.
 * Every column read is NUL-terminated valid UTF-8 within its size. The verifier's summary of the
 * same credential (verify_summary.h, the same reader, vc/ob_facts.h) is made too. */
#include <sodium.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "io/utf8.h"
#include "registry/foreign_internal.h"
#include "registry/verify.h"
#include "registry/verify_summary.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (sodium_init() < 0)
		abort();
	return 0;
}

#define TEXT_OK(field) (memchr((field), '\0', sizeof(field)) && utf8_valid((field), strlen(field)))

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct verify_options opt = {.checks = VERIFY_ISSUER, .want_credential = true};
	static const struct learner_data learner = {
	        .given_names = "Anna", .family_name = "de Vries", .birth_date = "2000-01-02"};
	struct foreign_holder h = {.name = (const char *)1, .birth_date = (const char *)1};
	char key[STORE_FOREIGN_KEY_MAX + 1];
	struct verify_result r;
	struct store_foreign f;
	struct ok_error err;

	ok_error_clear(&err);
	if (registry_verify(NULL, (const char *)data, size, &opt, &r, &err) != 0 || !r.credential) {
		verify_result_release(&r);
		return 0;
	}
	store_foreign_init(&f);
	if (foreign_read_achievement(r.credential, &f, &err) == 0) {
		if (!f.title[0] || !TEXT_OK(f.title) || !TEXT_OK(f.grade) ||
		    !TEXT_OK(f.institution) || !memchr(f.kind, '\0', sizeof(f.kind)) ||
		    f.credits_centi > 100000 || (f.awarded_on[0] && strlen(f.awarded_on) != 10) ||
		    (f.institution_country[0] && strlen(f.institution_country) != 2))
			abort();
	}
	foreign_credential_key(r.credential, (const char *)data, size, key);
	if (!key[0] || strlen(key) > STORE_FOREIGN_KEY_MAX)
		abort();
	foreign_holder_of(r.credential, &h);
	if (h.name == (const char *)1 || h.birth_date == (const char *)1)
		abort();
	if (h.name) {
		int m = foreign_holder_match(&h, &learner);
		if (m != 0 && m != OK_EINVALID)
			abort();
	}
	{
		json_t *a = verify_achievement_json(r.credential),
		       *holder = verify_holder_json(r.credential);
		/* NULL only when out of memory; never a half-made object. */
		if (!a || !holder || (!json_is_null(a) && !json_is_object(a)))
			abort();
		json_decref(a);
		json_decref(holder);
	}
	store_foreign_release(&f);
	verify_result_release(&r);
	return 0;
}
