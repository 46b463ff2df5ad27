/* Unit tests of the verifier's pure parts (oid4vp/dcql.h, form.h, jwe.h): the DCQL query built
 * from a verifier's choices and the claims matched against it, vp_tokens and forms read
 * strictly, and a direct_post.jwt answer made by the npm package jose (ECDH-ES with apu and apv,
 * A256GCM) decrypted, a changed one refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "oid4vp/dcql.h"
#include "oid4vp/form.h"
#include "oid4vp/jwe.h"

/* Made with jose 6 (CompactEncrypt, ECDH-ES, A256GCM, apu "alice", apv "bob") to the P-256 key
 * whose private scalar is 32 bytes of 7. */
static const char jose_jwe[] =
        "eyJhbGciOiJFQ0RILUVTIiwiZW5jIjoiQTI1NkdDTSIsImFwdSI6IllXeHBZMlUiLCJhcHYiOiJZbTlpIiwiZXBrIj"
        "p7IngiOiJrNVBkS2FiaDNJWHJ6UU03VW45UWJVS21OdllSX3hWV3Vrelg2cmNrcWFBIiwiY3J2IjoiUC0yNTYiLCJr"
        "dHkiOiJFQyIsInkiOiJBRnhjUkJ6NGlpRDAtOUdyQ25JeEI2THU3Ylg0cmlzeWItN3pRSnV1eFk4In19..b1odyp-"
        "kf_JFXw7k.KgcO6whH_UemiVCv2g-XibnGN-sCjVYWy4mLnSSnBSUpOwIhSzd8-9ChgtqXNw."
        "D5mDgsiEAUnacfgPxpN2WQ";

static json_t *parse(const char *s)
{
	json_t *j = json_loads(s, JSON_REJECT_DUPLICATES, NULL);

	assert_non_null(j);
	return j;
}

static void dcql_from_choices(void **state)
{
	json_t *ask = parse("{\"kinds\":[\"degree\",\"degree\"],\"min_eqf_level\":7,"
	                    "\"countries\":[\"NL\"],\"claims\":[\"birthdate\"]}");
	json_t *dcql = NULL, *ok, *low, *hidden;
	const json_t *cq;
	struct ok_error err;

	(void)state;
	assert_int_equal(oid4vp_dcql_from_ask(ask, "https://d.example", &dcql, &err), 0);
	assert_int_equal(oid4vp_dcql_check(dcql, &err), 0);
	cq = oid4vp_dcql_credential(dcql, OID4VP_CREDENTIAL_QUERY);
	assert_non_null(cq);
	assert_string_equal(json_string_value(json_array_get(
	                            json_object_get(json_object_get(cq, "meta"), "vct_values"), 0)),
	                    "https://d.example/vct/degree");
	assert_int_equal(
	        json_array_size(json_object_get(json_object_get(cq, "meta"), "vct_values")), 1);
	ok = parse("{\"vct\":\"https://d.example/vct/degree\",\"given_name\":\"A\","
	           "\"family_name\":\"B\",\"title\":\"T\",\"eqf_level\":8,\"birthdate\":\"x\","
	           "\"institution\":{\"name\":\"U\",\"country\":\"NL\"}}");
	assert_int_equal(oid4vp_dcql_match(cq, ok, &err), 0);
	low = json_deep_copy(ok);
	json_object_set_new(low, "eqf_level", json_integer(6));
	assert_int_equal(oid4vp_dcql_match(cq, low, &err), OK_EINVALID);
	assert_non_null(strstr(err.message, "eqf_level is not one of the values"));
	hidden = json_deep_copy(ok);
	json_object_del(json_object_get(hidden, "institution"), "country");
	assert_int_equal(oid4vp_dcql_match(cq, hidden, &err), OK_EINVALID);
	assert_non_null(strstr(err.message, "does not disclose institution.country"));
	json_object_set_new(hidden, "vct", json_string("https://d.example/vct/course"));
	assert_int_equal(oid4vp_dcql_match(cq, hidden, &err), OK_EINVALID);
	assert_non_null(strstr(err.message, "vct"));
	json_decref(ok);
	json_decref(low);
	json_decref(hidden);
	json_decref(dcql);
	json_decref(ask);
}

static void bad_choices(void **state)
{
	const char *bad[] = {"[]",
	                     "{}",
	                     "{\"kinds\":[]}",
	                     "{\"kinds\":[\"phd\"]}",
	                     "{\"kinds\":[\"degree\"],\"min_eqf_level\":0}",
	                     "{\"kinds\":[\"degree\"],\"countries\":[\"NLD\"]}",
	                     "{\"kinds\":[\"degree\"],\"institutions\":[\"a b\"]}",
	                     "{\"kinds\":[\"degree\"],\"claims\":[\"national_id\"]}",
	                     "{\"kinds\":[\"degree\"],\"extra\":true}"};
	struct ok_error err;
	json_t *dcql = NULL;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_t *ask = parse(bad[i]);

		assert_int_equal(oid4vp_dcql_from_ask(ask, "https://d.example", &dcql, &err),
		                 OK_EINPUT);
		assert_null(dcql);
		json_decref(ask);
	}
}

static void vp_tokens(void **state)
{
	json_t *dcql = parse("{\"credentials\":[{\"id\":\"a\",\"format\":\"dc+sd-jwt\"}]}");
	json_t *tok = NULL;
	struct ok_error err;
	const char *bad[] = {"", "[]", "{}", "{\"b\":[\"x\"]}", "{\"a\":[]}", "{\"a\":[1]}",
	                     "{\"a\":[\"x\"],\"a\":[\"y\"]}", "{\"a\":[\"\"]}",
	                     "{\"a\":[\"1\",\"2\",\"3\",\"4\",\"5\"]}",
	                     /* two for a query that asks for one (no "multiple": true) */
	                     "{\"a\":[\"1\",\"2\"]}"};
	json_t *many = parse("{\"credentials\":[{\"id\":\"a\",\"format\":\"dc+sd-jwt\","
	                     "\"multiple\":true}]}");
	json_t *wrong = parse("{\"credentials\":[{\"id\":\"a\",\"format\":\"dc+sd-jwt\","
	                      "\"multiple\":1}]}");

	(void)state;
	assert_int_equal(oid4vp_dcql_check(dcql, &err), 0);
	assert_int_equal(oid4vp_vp_token_parse("{\"a\":\"x~\"}", 10, dcql, &tok, &err), 0);
	assert_string_equal(json_string_value(json_array_get(json_object_get(tok, "a"), 0)), "x~");
	json_decref(tok);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(oid4vp_vp_token_parse(bad[i], strlen(bad[i]), dcql, &tok, &err),
		                 OK_EINPUT);
		assert_null(tok);
	}
	/* "multiple": true takes up to OID4VP_PRESENTATIONS_MAX; it must be a boolean. */
	assert_int_equal(oid4vp_dcql_check(many, &err), 0);
	assert_int_equal(oid4vp_vp_token_parse("{\"a\":[\"1\",\"2\"]}", 15, many, &tok, &err), 0);
	assert_int_equal(json_array_size(json_object_get(tok, "a")), 2);
	json_decref(tok);
	assert_int_equal(oid4vp_dcql_check(wrong, &err), OK_EINPUT);
	json_decref(many);
	json_decref(wrong);
	json_decref(dcql);
}

static void forms(void **state)
{
	static const char *const names[] = {"vp_token", "state", NULL};
	const char *bad[] = {"state=a&state=b", "state=%4",  "state=%zz", "state=%00",       "=x",
	                     "state",           "state=%FF", "state=",    "vp_token=x&x=%FF"};
	struct buf out[2];
	bool set[2];
	struct ok_error err;
	const char *good = "x=1&vp_token=%7B%22a%22%3A1%7D&state=a+b%2Bc";

	(void)state;
	buf_init(&out[0], 1024);
	buf_init(&out[1], 1024);
	assert_int_equal(oid4vp_form_read(good, strlen(good), names, out, set, &err), 0);
	assert_true(set[0] && set[1]);
	assert_string_equal(out[0].data, "{\"a\":1}");
	assert_string_equal(out[1].data, "a b+c");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		buf_reset(&out[0]);
		buf_reset(&out[1]);
		assert_int_equal(oid4vp_form_read(bad[i], strlen(bad[i]), names, out, set, &err),
		                 OK_EINPUT);
	}
	buf_release(&out[0]);
	buf_release(&out[1]);
}

static void jwe(void **state)
{
	struct jose_signer key = {0};
	struct jose_jwk pub = {0};
	uint8_t d[JOSE_P256_BYTES];
	struct buf out, made;
	struct ok_error err;
	char *changed;

	(void)state;
	memset(d, 7, sizeof(d));
	assert_int_equal(jose_signer_es256_from_d(&key, d, &err), 0);
	buf_init(&out, 4096);
	assert_int_equal(oid4vp_jwe_decrypt(jose_jwe, strlen(jose_jwe), &key, &out, &err), 0);
	assert_int_equal(out.len,
	                 strlen("{\"vp_token\":{\"result\":[\"a.b.c~\"]},\"state\":\"s\"}"));
	assert_memory_equal(out.data, "{\"vp_token\":{\"result\":[\"a.b.c~\"]},\"state\":\"s\"}",
	                    out.len);
	/* One changed character of the ciphertext: the tag does not hold. */
	changed = strdup(jose_jwe);
	assert_non_null(changed);
	{
		char *ct = strrchr(changed, '.') - 2;
		*ct = *ct == 'A' ? 'B' : 'A';
	}
	buf_reset(&out);
	assert_int_equal(oid4vp_jwe_decrypt(changed, strlen(changed), &key, &out, &err),
	                 OK_EINVALID);
	assert_int_equal(out.len, 0);
	free(changed);
	/* Made here, read here. */
	assert_int_equal(jose_signer_public(&key, &pub, &err), 0);
	buf_init(&made, 8192);
	assert_int_equal(oid4vp_jwe_encrypt("hello", 5, &pub, "A128GCM", &made, &err), 0);
	buf_reset(&out);
	assert_int_equal(oid4vp_jwe_decrypt(made.data, made.len, &key, &out, &err), 0);
	assert_int_equal(out.len, 5);
	assert_memory_equal(out.data, "hello", 5);
	/* Not ECDH-ES direct: refused. */
	assert_int_equal(oid4vp_jwe_decrypt("a.b.c.d.e", 9, &key, &out, &err), OK_EINPUT);
	buf_release(&made);
	buf_release(&out);
	jose_jwk_release(&pub);
	jose_signer_release(&key);
}


/* ldp_vc: the query for W3C credentials (type_values, claim paths with the restrictions as
 * values, null as "some element"), both formats as credential_sets, and a vp_token holding a
 * presentation object read as its text. */
static void ldp_queries(void **state)
{
	json_t *ask = parse("{\"kinds\":[\"degree\"],\"min_eqf_level\":7,\"institutions\":[\"21PB\"],"
	                    "\"formats\":[\"dc+sd-jwt\",\"ldp_vc\"]}");
	json_t *dcql = NULL, *vc, *types, *tok = NULL, *bad, *empty = parse("[]");
	const json_t *cq;
	struct ok_error err;
	const char *both_missing = "{\"other\":[\"x\"]}";
	const char *answer = "{\"result_ldp\":{\"type\":\"VerifiablePresentation\"}}";

	(void)state;
	assert_int_equal(oid4vp_dcql_from_ask(ask, "https://d.example", &dcql, &err), 0);
	assert_int_equal(oid4vp_dcql_check(dcql, &err), 0);
	assert_non_null(json_object_get(dcql, "credential_sets"));
	cq = oid4vp_dcql_credential(dcql, OID4VP_LDP_QUERY);
	assert_non_null(cq);
	assert_string_equal(json_string_value(json_object_get(cq, "format")), "ldp_vc");
	vc = parse("{\"type\":[\"VerifiableCredential\",\"OpenBadgeCredential\"],"
	           "\"credentialSubject\":{\"identifier\":[{}],\"achievement\":{\"name\":\"T\","
	           "\"achievementType\":\"MasterDegree\",\"tag\":[\"EQF 7\"],"
	           "\"creator\":{\"name\":\"U\",\"otherIdentifier\":[{\"identifier\":\"ERA\"},"
	           "{\"identifier\":\"21PB\"}]}}}}");
	types = parse("[\"https://www.w3.org/2018/credentials#VerifiableCredential\","
	              "\"" OID4VP_OB_TYPE_IRI "\"]");
	assert_int_equal(oid4vp_dcql_match_ldp(cq, vc, types, &err), 0);
	/* Another type, a lower level, a kind not asked for: refused, naming what. */
	assert_int_equal(oid4vp_dcql_match_ldp(cq, vc, empty,
	                                       &err),
	                 OK_EINVALID);
	assert_non_null(strstr(err.message, "type_values"));
	bad = json_deep_copy(vc);
	json_array_set_new(json_object_get(json_object_get(json_object_get(bad, "credentialSubject"),
	                                                   "achievement"),
	                                   "tag"),
	                   0, json_string("EQF 6"));
	assert_int_equal(oid4vp_dcql_match_ldp(cq, bad, types, &err), OK_EINVALID);
	assert_non_null(strstr(err.message, "tag"));
	json_decref(bad);
	bad = json_deep_copy(vc);
	json_object_set_new(json_object_get(json_object_get(bad, "credentialSubject"), "achievement"),
	                    "achievementType", json_string("Course"));
	assert_int_equal(oid4vp_dcql_match_ldp(cq, bad, types, &err), OK_EINVALID);
	json_decref(bad);
	/* Either query answers; none does not. */
	assert_int_equal(oid4vp_vp_token_parse(answer, strlen(answer), dcql, &tok, &err), 0);
	assert_true(json_is_string(json_array_get(json_object_get(tok, OID4VP_LDP_QUERY), 0)));
	assert_true(oid4vp_dcql_answered(dcql, tok));
	json_decref(tok);
	assert_int_equal(oid4vp_vp_token_parse(both_missing, strlen(both_missing), dcql, &tok, &err),
	                 OK_EINPUT);
	/* An object is a presentation only for an ldp_vc query. */
	answer = "{\"result\":{\"type\":\"VerifiablePresentation\"}}";
	assert_int_equal(oid4vp_vp_token_parse(answer, strlen(answer), dcql, &tok, &err),
	                 OK_EINPUT);
	json_decref(vc);
	json_decref(types);
	json_decref(empty);
	json_decref(dcql);
	json_decref(ask);
	/* record_id is not in a W3C credential; an unknown format is refused. */
	ask = parse("{\"kinds\":[\"degree\"],\"formats\":[\"ldp_vc\"],\"claims\":[\"record_id\"]}");
	assert_int_equal(oid4vp_dcql_from_ask(ask, "https://d.example", &dcql, &err), OK_EINPUT);
	json_decref(ask);
	ask = parse("{\"kinds\":[\"degree\"],\"formats\":[\"jwt_vc_json\"]}");
	assert_int_equal(oid4vp_dcql_from_ask(ask, "https://d.example", &dcql, &err), OK_EINPUT);
	json_decref(ask);
	/* credential_sets naming a query the query does not have. */
	bad = parse("{\"credentials\":[{\"id\":\"a\",\"format\":\"ldp_vc\"}],"
	            "\"credential_sets\":[{\"options\":[[\"b\"]]}]}");
	assert_int_equal(oid4vp_dcql_check(bad, &err), OK_EINPUT);
	json_decref(bad);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(dcql_from_choices),
	        cmocka_unit_test(bad_choices),
	        cmocka_unit_test(vp_tokens),
	        cmocka_unit_test(ldp_queries),
	        cmocka_unit_test(forms),
	        cmocka_unit_test(jwe),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
