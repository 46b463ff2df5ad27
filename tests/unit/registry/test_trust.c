/* The trust list (registry/trust.h): issuers added and removed by the operator, each change
 * audited; a network's signed list published, imported only when its signature holds and it is
 * the network's, replacing the network part while local decisions stay. */
#include "registry_test.h"

#include "registry/trust.h"
#include "store/store.h"
#include "vc/did.h"

#define DID_NO "did:web:diplomas.example.no"
#define DID_FI "did:web:opintopolku.example.fi"
#define DID_SE "did:web:ladok.example.se"

struct listed {
	size_t n;
	struct store_trusted_issuer t[8];
};

static int collect(void *ctx, const struct store_trusted_issuer *t)
{
	struct listed *l = ctx;

	if (l->n < 8)
		l->t[l->n] = *t;
	l->n++;
	return 0;
}

static struct listed list(struct reg_fixture *f)
{
	struct listed l;
	struct ok_error err;

	memset(&l, 0, sizeof(l));
	if (store_trust_list(f->d.store, collect, &l, &err))
		fail_msg("trust list: %s", err.message);
	return l;
}

static const struct store_trusted_issuer *find(const struct listed *l, const char *did)
{
	for (size_t i = 0; i < l->n && i < 8; i++)
		if (strcmp(l->t[i].did, did) == 0)
			return &l->t[i];
	return NULL;
}

static long long audited(struct reg_fixture *f, const char *action)
{
	char sql[128];

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM audit_event WHERE action = '%s'", action);
	return reg_sql_int(f, sql);
}

static void test_add_list_remove(void **state)
{
	struct reg_fixture *f = *state;
	const struct store_trusted_issuer *t;
	struct listed l;
	struct ok_error err;

	assert_int_equal(list(f).n, 0);
	assert_int_equal(registry_trust_add(&f->d, DID_NO, "Norwegian depository", "NO", &err), 0);
	assert_int_equal(registry_trust_add(&f->d, DID_FI, "Opetushallitus", "FI", &err), 0);
	l = list(f);
	assert_int_equal(l.n, 2);
	assert_non_null(t = find(&l, DID_NO));
	assert_string_equal(t->name, "Norwegian depository");
	assert_string_equal(t->country, "NO");
	assert_string_equal(t->source, "local");
	assert_string_equal(t->status, "active");
	assert_true(t->since_ms > 0);
	assert_int_equal(audited(f, "trust.add"), 2);

	assert_int_equal(registry_trust_remove(&f->d, DID_NO, &err), 0);
	l = list(f);
	assert_int_equal(l.n, 1);
	assert_null(find(&l, DID_NO));
	assert_non_null(find(&l, DID_FI));
	assert_int_equal(audited(f, "trust.remove"), 1);

	/* Removing what is not there names it and changes nothing. */
	assert_int_equal(registry_trust_remove(&f->d, DID_NO, &err), OK_ENOTFOUND);
	assert_string_equal(err.field, "did");
	assert_non_null(strstr(err.message, "not on the trust list"));
	assert_int_equal(list(f).n, 1);
	assert_int_equal(audited(f, "trust.remove"), 1);
}

static void test_add_refuses_bad_input(void **state)
{
	struct reg_fixture *f = *state;
	char long_name[260];
	struct ok_error err;

	assert_int_equal(registry_trust_add(&f->d, "https://example.no", "X", "NO", &err),
	                 OK_EINPUT);
	assert_string_equal(err.field, "did");
	assert_int_equal(registry_trust_add(&f->d, DID_NO, "", "NO", &err), OK_EINPUT);
	assert_string_equal(err.field, "name");
	memset(long_name, 'n', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	assert_int_equal(registry_trust_add(&f->d, DID_NO, long_name, "NO", &err), OK_EINPUT);
	assert_string_equal(err.field, "name");
	assert_int_equal(registry_trust_add(&f->d, DID_NO, "Norway", "Norway", &err), OK_EINPUT);
	assert_string_equal(err.field, "country");
	assert_int_equal(registry_trust_add(&f->d, DID_NO, "Norway", "no", &err), OK_EINPUT);
	assert_string_equal(err.field, "country");
	assert_int_equal(list(f).n, 0);
	assert_int_equal(audited(f, "trust.add"), 0);
}

/* The network's key: a seed, its did:key. */
struct network {
	unsigned char seed[32];
	char did[VC_DID_MAX];
};

static void network_new(struct network *n)
{
	unsigned char pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
	struct ok_error err;

	assert_true(sodium_init() >= 0);
	randombytes_buf(n->seed, sizeof(n->seed));
	crypto_sign_seed_keypair(pk, sk, n->seed);
	if (vc_did_key(pk, n->did, &err))
		fail_msg("did:key: %s", err.message);
}

/* The signed list of two members (SE active, FI suspended) as JSON text (free()). */
static char *published(const struct network *n)
{
	json_t *members =
	        json_pack("[{s:s, s:s, s:s, s:s}, {s:s, s:s, s:s, s:s}]", "id", DID_SE, "name",
	                  "Ladok", "country", "SE", "status", "active", "id", DID_FI, "name",
	                  "Opintopolku", "country", "FI", "status", "suspended");
	json_t *vc = NULL;
	struct ok_error err;
	char *text;

	if (registry_trust_publish(n->seed, members, &vc, &err))
		fail_msg("publish: %s", err.message);
	json_decref(members);
	assert_string_equal(json_string_value(json_object_get(vc, "issuer")), n->did);
	assert_non_null(json_object_get(vc, "proof"));
	text = json_dumps(vc, JSON_COMPACT);
	json_decref(vc);
	return text;
}

static void test_network_list_imported(void **state)
{
	struct reg_fixture *f = *state;
	const struct store_trusted_issuer *t;
	struct network n;
	struct listed l;
	struct ok_error err;
	size_t imported;
	char *text;

	network_new(&n);
	/* A local decision about FI, taken before the list arrives. */
	assert_int_equal(registry_trust_add(&f->d, DID_FI, "Finland, local", "FI", &err), 0);
	text = published(&n);
	if (registry_trust_import(&f->d, text, strlen(text), n.did, &imported, &err))
		fail_msg("import: %s", err.message);
	assert_int_equal(imported, 2); /* the list's members, the local one among them */
	l = list(f);
	assert_int_equal(l.n, 2);
	assert_non_null(t = find(&l, DID_SE));
	assert_string_equal(t->name, "Ladok");
	assert_string_equal(t->source, "network");
	assert_string_equal(t->status, "active");
	/* The local entry wins over the network's (suspended) one. */
	assert_non_null(t = find(&l, DID_FI));
	assert_string_equal(t->name, "Finland, local");
	assert_string_equal(t->source, "local");
	assert_string_equal(t->status, "active");
	assert_int_equal(audited(f, "trust.import"), 1);

	/* Importing again replaces the network part: still one network member. */
	assert_int_equal(registry_trust_import(&f->d, text, strlen(text), n.did, &imported, &err),
	                 0);
	assert_int_equal(list(f).n, 2);
	free(text);
}

static void test_network_list_refused(void **state)
{
	struct reg_fixture *f = *state;
	struct network n, other;
	struct ok_error err;
	size_t imported = 99;
	char *text, *at;

	network_new(&n);
	network_new(&other);
	text = published(&n);

	/* Signed by another key than the network's. */
	assert_int_equal(
	        registry_trust_import(&f->d, text, strlen(text), other.did, &imported, &err),
	        OK_EINVALID);
	assert_int_equal(imported, 0);
	assert_non_null(strstr(err.message, "not by the network"));

	/* Altered after signing: a member renamed. */
	assert_non_null(at = strstr(text, "Ladok"));
	memcpy(at, "Ladox", 5);
	assert_int_equal(registry_trust_import(&f->d, text, strlen(text), n.did, &imported, &err),
	                 OK_EINVALID);
	assert_non_null(strstr(err.message, "the trust list is refused"));

	/* Not a credential; no network configured. */
	assert_int_equal(registry_trust_import(&f->d, "[1,2]", 5, n.did, &imported, &err),
	                 OK_EINVALID);
	assert_int_equal(registry_trust_import(&f->d, text, strlen(text), "", &imported, &err),
	                 OK_EINPUT);
	assert_string_equal(err.field, "network");

	assert_int_equal(list(f).n, 0);
	assert_int_equal(audited(f, "trust.import"), 0);
	free(text);
}

static void test_publish_refuses_bad_members(void **state)
{
	struct network n;
	struct ok_error err;
	json_t *out = (json_t *)1, *members;

	(void)state;
	network_new(&n);
	members = json_array();
	assert_int_equal(registry_trust_publish(n.seed, members, &out, &err), OK_EINPUT);
	assert_null(out);
	json_decref(members);
	members = json_pack("[{s:s, s:s, s:s, s:s}]", "id", DID_SE, "name", "Ladok", "country",
	                    "SE", "status", "retired");
	assert_int_equal(registry_trust_publish(n.seed, members, &out, &err), OK_EINPUT);
	assert_non_null(strstr(err.message, "member 0: status"));
	json_decref(members);
	members = json_pack("[{s:s, s:s, s:s}]", "id", "not-a-did", "name", "X", "country", "SE");
	assert_int_equal(registry_trust_publish(n.seed, members, &out, &err), OK_EINPUT);
	assert_non_null(strstr(err.message, "member 0: id"));
	json_decref(members);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_add_list_remove, reg_setup, reg_teardown),
	        cmocka_unit_test_setup_teardown(test_add_refuses_bad_input, reg_setup,
	                                        reg_teardown),
	        cmocka_unit_test_setup_teardown(test_network_list_imported, reg_setup,
	                                        reg_teardown),
	        cmocka_unit_test_setup_teardown(test_network_list_refused, reg_setup, reg_teardown),
	        cmocka_unit_test(test_publish_refuses_bad_members),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
