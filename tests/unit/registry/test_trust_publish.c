/* Unit tests for the trust-list steps the CLI calls whole: publishing from a key file and a
 * members file, listing, and fetching a list (refused hosts fail with a message, no crash). */
#include "registry_test.h"

#include "registry/trust.h"
#include "remote/http_client.h"

#include <unistd.h>

struct seen {
	size_t n;
	char dids[8][300];
	char sources[8][64];
};

static int collect(void *ctx, const struct store_trusted_issuer *t)
{
	struct seen *s = ctx;

	if (s->n < 8) {
		snprintf(s->dids[s->n], sizeof(s->dids[0]), "%s", t->did);
		snprintf(s->sources[s->n], sizeof(s->sources[0]), "%s", t->source);
	}
	s->n++;
	return 0;
}

static void write_text(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	assert_true(fputs(text, fp) >= 0);
	assert_int_equal(fclose(fp), 0);
}

static void published_list_imports_and_lists(void **state)
{
	struct reg_fixture *f = *state;
	char key[128], members[128], did[VC_DID_MAX], again[VC_DID_MAX];
	struct seen seen = {0};
	struct ok_error err;
	json_t *list = NULL;
	char *text;
	size_t imported = 0;

	snprintf(key, sizeof(key), "%s/network.key", f->base);
	snprintf(members, sizeof(members), "%s/members.json", f->base);
	write_text(members, "[{\"id\": \"did:web:a.example\", \"name\": \"A\", \"country\": "
	                    "\"NO\"}, {\"id\": \"did:web:b.example\", \"name\": \"B\", "
	                    "\"country\": \"FI\", \"status\": \"suspended\"}]");
	ok_error_clear(&err);
	/* The key file is made on first use, and the same key signs the next time. */
	assert_int_equal(registry_trust_publish_file(key, members, &list, did, &err), 0);
	assert_int_equal(strncmp(did, "did:key:z6Mk", 12), 0);
	assert_int_equal(access(key, F_OK), 0);
	json_decref(list);
	assert_int_equal(registry_trust_publish_file(key, members, &list, again, &err), 0);
	assert_string_equal(again, did);
	assert_string_equal(json_string_value(json_object_get(list, "issuer")), did);

	text = json_dumps(list, 0);
	json_decref(list);
	assert_non_null(text);
	assert_int_equal(registry_trust_add(&f->d, "did:web:local.example", "L", "NL", &err), 0);
	assert_int_equal(registry_trust_import(&f->d, text, strlen(text), did, &imported, &err), 0);
	free(text);
	assert_int_equal(imported, 2);
	assert_int_equal(registry_trust_list(&f->d, collect, &seen, &err), 0);
	assert_int_equal(seen.n, 3);
	{
		size_t i, local = 0, network = 0;
		for (i = 0; i < seen.n; i++) {
			local += strcmp(seen.sources[i], "local") == 0;
			network += strcmp(seen.sources[i], "network") == 0;
		}
		assert_int_equal(local, 1);
		assert_int_equal(network, 2);
	}
}

static void bad_members_name_their_file(void **state)
{
	struct reg_fixture *f = *state;
	char key[128], members[128], did[VC_DID_MAX] = "x";
	struct ok_error err;
	json_t *list = NULL;

	snprintf(key, sizeof(key), "%s/network.key", f->base);
	snprintf(members, sizeof(members), "%s/members.json", f->base);
	/* Not JSON: the file and the line of the fault. */
	write_text(members, "[\n{\"id\": }\n");
	ok_error_clear(&err);
	assert_int_equal(registry_trust_publish_file(key, members, &list, did, &err), OK_EINPUT);
	assert_null(list);
	assert_string_equal(err.file, members);
	assert_int_equal(err.line, 2);
	assert_string_equal(did, "");
	/* JSON, but a member is not a depository: the file, and the member. */
	write_text(members, "[{\"id\": \"not-a-did\", \"name\": \"X\", \"country\": \"NL\"}]");
	ok_error_clear(&err);
	assert_int_equal(registry_trust_publish_file(key, members, &list, did, &err), OK_EINPUT);
	assert_null(list);
	assert_string_equal(err.file, members);
	assert_non_null(strstr(err.message, "member 0"));
	/* A missing members file is an error too, not an empty list. */
	snprintf(members, sizeof(members), "%s/missing.json", f->base);
	ok_error_clear(&err);
	assert_int_equal(registry_trust_publish_file(key, members, &list, did, &err), OK_EINPUT);
	assert_string_equal(err.file, members);
}

static void a_list_that_cannot_be_fetched_fails(void **state)
{
	struct ok_error err;
	struct buf b;

	(void)state;
	buf_init(&b, 1 << 20);
	ok_error_clear(&err);
	/* Port 1 of the loopback: nothing listens there. */
	assert_true(registry_trust_fetch("http://127.0.0.1:1/trust.json", &b, &err) < 0);
	assert_true(err.message[0] != '\0');
	assert_int_equal(b.len, 0);
	buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(published_list_imports_and_lists, reg_setup,
	                                        reg_teardown),
	        cmocka_unit_test_setup_teardown(bad_members_name_their_file, reg_setup,
	                                        reg_teardown),
	        cmocka_unit_test(a_list_that_cannot_be_fetched_fails),
	};

	if (remote_http_global_init(NULL) != 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
