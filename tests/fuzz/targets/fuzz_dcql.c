/* libFuzzer target for the verifier's DCQL code (oid4vp/dcql.h): the bytes as JSON, taken as a
 * verifier's choices (a query built from them must pass the query check), as a DCQL query
 * (checked; a query that passes is matched against a presented credential's claims), and as a
 * vp_token against a fixed query asking for both formats (dc+sd-jwt and ldp_vc, credential_sets);
 * an ldp_vc query that passes is matched against a W3C credential's JSON. */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "oid4vp/dcql.h"

static const char fixed_ask[] =
        "{\"kinds\":[\"degree\",\"diploma\"],\"min_eqf_level\":6,\"institutions\":[\"21PB\"],"
        "\"countries\":[\"NL\"],\"claims\":[\"birthdate\",\"grade\"],"
        "\"formats\":[\"dc+sd-jwt\",\"ldp_vc\"]}";
static const char claims_text[] =
        "{\"vct\":\"https://d.example/vct/degree\",\"given_name\":\"A\",\"family_name\":\"B\","
        "\"title\":\"T\",\"eqf_level\":7,\"birthdate\":\"2000-01-01\",\"grade\":\"8\","
        "\"institution\":{\"name\":\"U\",\"code\":\"21PB\",\"country\":\"NL\"},"
        "\"list\":[{\"a\":1},{\"a\":2}]}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *in = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
	json_t *ask = json_loads(fixed_ask, 0, NULL), *claims = json_loads(claims_text, 0, NULL);
	json_t *dcql = NULL, *fixed = NULL, *tok = NULL;
	struct ok_error err;
	const json_t *cq;
	size_t i;

	if (!ask || !claims)
		abort();
	ok_error_clear(&err);
	if (oid4vp_dcql_from_ask(ask, "https://d.example", &fixed, &err) ||
	    oid4vp_dcql_check(fixed, &err))
		abort();
	if (in && oid4vp_dcql_from_ask(in, "https://d.example", &dcql, &err) == 0) {
		if (oid4vp_dcql_check(dcql, &err) != 0)
			abort(); /* what we build, we accept */
		json_decref(dcql);
		dcql = NULL;
	}
	if (in && oid4vp_dcql_check(in, &err) == 0) {
		json_array_foreach(json_object_get(in, "credentials"), i, cq)
		{
			(void)oid4vp_dcql_match(cq, claims, &err);
			(void)oid4vp_dcql_match_ldp(cq, claims, json_object_get(claims, "list"),
			                            &err);
			(void)oid4vp_dcql_asks(cq, "birthdate");
		}
	}
	if (oid4vp_vp_token_parse((const char *)data, size, fixed, &tok, &err) == 0) {
		const char *key;
		json_t *list;

		json_object_foreach(tok, key, list)
		{
			if (!json_is_array(list) || !json_is_string(json_array_get(list, 0)))
				abort(); /* every presentation read is a string */
		}
		(void)oid4vp_dcql_answered(fixed, tok);
		/* The fixed query does not say multiple: one presentation a query. */
		json_object_foreach(tok, key, list)
		{
			if (json_array_size(list) != 1)
				abort();
		}
		json_decref(tok);
	}
	json_decref(fixed);
	json_decref(in);
	json_decref(ask);
	json_decref(claims);
	return 0;
}
