/* Unit tests for did:key and did:web identifiers, verification methods and DID documents. */
#include "vc_test.h"

#include <sodium.h>

#include "vc/did.h"
#include "vc/multibase.h"

#define W3C_MK "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"

static void w3c_pub(uint8_t pk[32])
{
	assert_int_equal(vc_multikey_decode_ed25519_pub(W3C_MK, pk, NULL), 0);
}

static void did_key_ids(void **state)
{
	char did[VC_DID_MAX], vm[VC_DID_MAX];
	uint8_t pk[32], back[32];
	struct ok_error err;

	(void)state;
	w3c_pub(pk);
	assert_int_equal(vc_did_key(pk, did, &err), 0);
	assert_string_equal(did, "did:key:" W3C_MK);
	assert_int_equal(vc_did_key_vm(pk, vm, &err), 0);
	assert_string_equal(vm, "did:key:" W3C_MK "#" W3C_MK);
	assert_int_equal(vc_did_key_vm_to_pub(vm, back, &err), 0);
	assert_memory_equal(pk, back, 32);
	assert_int_equal(vc_did_key_vm_to_pub(did, back, &err), 0);
	assert_memory_equal(pk, back, 32);
	assert_int_equal(vc_did_of_vm(vm, did, &err), 0);
	assert_string_equal(did, "did:key:" W3C_MK);
}

static void did_key_rejects(void **state)
{
	uint8_t pk[32];
	struct ok_error err;

	(void)state;
	assert_int_equal(vc_did_key_vm_to_pub("did:web:example.com#key-1", pk, &err), OK_EINPUT);
	assert_non_null(strstr(err.message, "not a did:key"));
	assert_int_equal(vc_did_key_vm_to_pub("did:key:" W3C_MK "#key-1", pk, &err), OK_EINPUT);
	assert_non_null(strstr(err.message, "fragment"));
	assert_int_equal(vc_did_key_vm_to_pub("did:key:#", pk, &err), OK_EINPUT);
	assert_int_equal(vc_did_key_vm_to_pub("did:key:z3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XH"
	                                      "qvjxq",
	                                      pk, &err),
	                 OK_EINPUT);
	assert_int_equal(vc_did_key_vm_to_pub(NULL, pk, &err), OK_EINPUT);
	assert_int_equal(vc_did_of_vm("https://example.com/key", NULL, &err), OK_EINPUT);
}

static void did_web_ids(void **state)
{
	static const struct {
		const char *host, *did;
	} good[] = {
	        {"example.com", "did:web:example.com"},
	        {"Registry.Example.NL", "did:web:registry.example.nl"},
	        {"localhost:8443", "did:web:localhost%3A8443"},
	        {"example.com/user/alice", "did:web:example.com:user:alice"},
	        {"example.com:8080/dep/", "did:web:example.com%3A8080:dep"},
	};
	static const char *const bad[] = {
	        "",          "exa mple.com", "-x.com",     "x..com",    "x.com:0",  "x.com:65536",
	        "x.com:",    "x.com:8o",     "x.com/../a", "x.com/a b", "x.com//a", "[::1]:80",
	        "x.com/a:b",
	};
	char did[VC_DID_MAX], vm[VC_DID_MAX];
	struct ok_error err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		ok_error_clear(&err);
		if (vc_did_web(good[i].host, did, &err))
			fail_msg("%s: %s", good[i].host, err.message);
		assert_string_equal(did, good[i].did);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (vc_did_web(bad[i], did, &err) != OK_EINPUT)
			fail_msg("host \"%s\" was accepted", bad[i]);
	}
	assert_int_equal(vc_did_web(NULL, did, &err), OK_EINPUT);
	assert_int_equal(vc_did_web_vm("localhost:8443", vm, &err), 0);
	assert_string_equal(vm, "did:web:localhost%3A8443#key-1");
	assert_int_equal(vc_did_of_vm(vm, did, &err), 0);
	assert_string_equal(did, "did:web:localhost%3A8443");
}

static void did_web_urls(void **state)
{
	static const struct {
		const char *did, *url;
	} good[] = {
	        {"did:web:example.com", "https://example.com/.well-known/did.json"},
	        {"did:web:localhost%3A8443", "https://localhost:8443/.well-known/did.json"},
	        {"did:web:example.com:user:alice", "https://example.com/user/alice/did.json"},
	        {"did:web:example.com%3a8080:dep", "https://example.com:8080/dep/did.json"},
	};
	static const char *const bad[] = {
	        ("did:key:" W3C_MK), "did:web:",         "did:web:a%2Fb",     "did:web:a%3A",
	        "did:web:a.com::b",  "did:web:a.com:..", "did:web:a.com:b/c",
	};
	struct ok_error err;
	struct buf b;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		buf_init(&b, 0);
		if (vc_did_web_url(good[i].did, &b, &err))
			fail_msg("%s: %s", good[i].did, err.message);
		assert_string_equal(b.data, good[i].url);
		buf_release(&b);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		buf_init(&b, 0);
		if (vc_did_web_url(bad[i], &b, &err) != OK_EINPUT)
			fail_msg("did \"%s\" was accepted: %s", bad[i], b.data);
		assert_int_equal(b.len, 0);
		buf_release(&b);
	}
}

static void did_documents(void **state)
{
	uint8_t pk[32], back[32];
	struct ok_error err;
	json_t *doc, *want, *vm;

	(void)state;
	w3c_pub(pk);
	assert_int_equal(vc_did_document_key(pk, &doc, &err), 0);
	want = json_pack("{s:[s,s],s:s,s:[{s:s,s:s,s:s,s:s}],s:[s],s:[s]}", "@context",
	                 "https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1",
	                 "id", "did:key:" W3C_MK, "verificationMethod", "id",
	                 "did:key:" W3C_MK "#" W3C_MK, "type", "Multikey", "controller",
	                 "did:key:" W3C_MK, "publicKeyMultibase", W3C_MK, "authentication",
	                 "did:key:" W3C_MK "#" W3C_MK, "assertionMethod",
	                 "did:key:" W3C_MK "#" W3C_MK);
	assert_true(json_equal(doc, want));
	json_decref(want);
	json_decref(doc);

	assert_int_equal(vc_did_document_web("registry.example:8443", pk, &doc, &err), 0);
	assert_string_equal(json_string_value(json_object_get(doc, "id")),
	                    "did:web:registry.example%3A8443");
	vm = json_array_get(json_object_get(doc, "verificationMethod"), 0);
	assert_string_equal(json_string_value(json_object_get(vm, "id")),
	                    "did:web:registry.example%3A8443#key-1");
	assert_string_equal(json_string_value(json_object_get(vm, "controller")),
	                    "did:web:registry.example%3A8443");
	assert_int_equal(
	        vc_multikey_decode_ed25519_pub(
	                json_string_value(json_object_get(vm, "publicKeyMultibase")), back, &err),
	        0);
	assert_memory_equal(pk, back, 32);
	assert_string_equal(
	        json_string_value(json_array_get(json_object_get(doc, "assertionMethod"), 0)),
	        "did:web:registry.example%3A8443#key-1");
	assert_string_equal(
	        json_string_value(json_array_get(json_object_get(doc, "authentication"), 0)),
	        "did:web:registry.example%3A8443#key-1");
	json_decref(doc);

	assert_int_equal(vc_did_document_web("bad host", pk, &doc, &err), OK_EINPUT);
	assert_null(doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(did_key_ids),   cmocka_unit_test(did_key_rejects),
	        cmocka_unit_test(did_web_ids),   cmocka_unit_test(did_web_urls),
	        cmocka_unit_test(did_documents),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests_name("vc/did", tests, NULL, NULL);
}
