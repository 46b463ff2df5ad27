/* Differential tests of the "every term defined" check by lookup (vc/jsonld_fast.h) against the
 * full JSON-LD expansion: on the W3C fixtures, the JSON-LD test documents, the fuzz corpora and
 * mutations of each (an undefined key or type added, a context dropped, limits one below what
 * the document needs), the fast check answers "holds" only where the expansion succeeds, with
 * the same count of context-processing steps; and it does answer for the credentials this
 * project issues and the W3C's, or it would save nothing. */
#include "vc_test.h"

#include <dirent.h>
#include <pthread.h>

#include "vc/jsonld.h"
#include "vc/jsonld_fast.h"
#include "vc/jsonld_internal.h"

struct tally {
	size_t docs, told, full_ok;
};

/* A visit of vc_jsonld_sizes_walk that only counts: the walk's answers must not change. */
static int count_visits(void *arg, uint32_t node, size_t depth, bool deep)
{
	size_t *n = arg;

	(void)node;
	(void)depth;
	(void)deep;
	++*n;
	return 0;
}

/* The size check's answers found by the one walk a caller shares (vc_jsonld_sizes_walk, with
 * and without a visit of its own) give the fast check the same answer and steps as its own
 * walk; a walk that stops early (stop_depth below the depth) fills nothing. */
static void same_sized(struct vc_jsonld_terms *t, const struct json_tree *tree, uint32_t root,
                       const struct vc_jsonld_limits *l, int fast, size_t fsteps, const char *what)
{
	struct vc_jsonld_sized s;
	size_t ssteps = 0, visits = 0, stop;
	int on_sized, rc;

	for (stop = 0; stop < 2; stop++) {
		memset(&s, 0, sizeof(s));
		rc = vc_jsonld_sizes_walk(tree, root, l->max_depth,
		                          stop ? VC_JSONLD_SIZES_DEPTH_MAX : l->max_depth,
		                          stop ? count_visits : NULL, &visits, &s);
		if (l->max_depth > VC_JSONLD_SIZES_DEPTH_MAX) {
			assert_int_equal(rc, OK_EUNSUPPORTED);
			return;
		}
		assert_int_equal(rc, 0);
		assert_ptr_equal(s.t, tree);
		on_sized = vc_jsonld_fast_check_sized(t, vc_dmv_tree(tree, root), l, &ssteps, &s);
		if (on_sized != fast || (fast == 1 && ssteps != fsteps))
			fail_msg("%s: jansson %d (%zu steps), sized walk %d (%zu steps)", what,
			         fast, fsteps, on_sized, ssteps);
		/* Answers of another depth limit are not taken for these. */
		s.max_depth = l->max_depth + 1;
		s.ok[0] = s.ok[1] = false;
		on_sized = vc_jsonld_fast_check_sized(t, vc_dmv_tree(tree, root), l, &ssteps, &s);
		if (on_sized != fast)
			fail_msg("%s: answers of another depth limit were taken", what);
	}
}

/* The same check on the document read into a tree (as the verifier reads it): the same answer
 * and, when it holds, the same steps. */
static void same_on_tree(struct vc_jsonld_terms *t, const json_t *doc,
                         const struct vc_jsonld_limits *l, int fast, size_t fsteps,
                         const char *what)
{
	char *text = json_dumps(doc, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(17));
	struct json_tree tree;
	size_t tsteps = 0;
	uint32_t root;
	int on_tree;

	assert_non_null(text);
	json_tree_init(&tree);
	if (vc_jcs_parse_tree(text, strlen(text), &tree, &root, NULL) == 0) {
		on_tree = vc_jsonld_fast_check_tree(t, &tree, root, l, &tsteps);
		if (on_tree != fast || (fast == 1 && tsteps != fsteps))
			fail_msg("%s: jansson %d (%zu steps), tree %d (%zu steps)", what, fast,
			         fsteps, on_tree, tsteps);
		same_sized(t, &tree, root, l, fast, fsteps, what);
	}
	json_tree_release(&tree);
	free(text);
}

/* One document under one set of limits: fast "holds" implies the expansion succeeds, with the
 * same steps; and one step or node less must then make both refuse. */
static int compare(struct vc_jsonld_terms *t, const json_t *doc, const struct vc_jsonld_limits *l,
                   const char *what, struct tally *n)
{
	struct vc_jsonld_limits tight;
	struct ok_error err;
	size_t fsteps = 0, steps = 0, nodes = 0;
	int fast, full;

	fast = vc_jsonld_fast_check(t, doc, l, &fsteps);
	same_on_tree(t, doc, l, fast, fsteps, what);
	ok_error_clear(&err);
	full = jl_expand_counted(doc, l, &steps, &nodes, &err);
	n->docs++;
	n->full_ok += full == 0;
	if (fast != 1)
		return fast;
	n->told++;
	if (full != 0)
		fail_msg("%s: the fast check holds, the expansion says: %s", what, err.message);
	if (fsteps != steps)
		fail_msg("%s: the fast check counted %zu steps, the expansion %zu", what, fsteps,
		         steps);
	tight = *l;
	tight.max_context_steps = steps - 1;
	assert_int_not_equal(jl_expand_counted(doc, &tight, &steps, &nodes, &err), 0);
	if (vc_jsonld_fast_check(t, doc, &tight, NULL) == 1)
		fail_msg("%s: the fast check holds one step below the limit", what);
	tight = *l;
	ok_error_clear(&err);
	assert_int_equal(jl_expand_counted(doc, &tight, &steps, &nodes, &err), 0);
	tight.max_nodes = nodes - 1;
	if (vc_jsonld_fast_check(t, doc, &tight, NULL) == 1)
		fail_msg("%s: the fast check holds one node below the limit", what);
	return 1;
}

/* The depth of a value as jl_check_sizes counts it: 0 for the top, one more inside each
 * container. */
static size_t depth_of(const json_t *v)
{
	size_t d = 0, c, i;
	const char *k;
	json_t *x;

	if (json_is_object(v)) {
		json_object_foreach((json_t *)v, k, x) if ((c = depth_of(x) + 1) > d) d = c;
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, x) if ((c = depth_of(x) + 1) > d) d = c;
	}
	return d;
}

/* The size pre-check on a tree (a walk in document order with the open containers counted)
 * against the recursive one on jansson, at and around the document's depth and past the
 * tree walk's own bound (which takes the recursive walk). */
static void depths_agree(struct vc_jsonld_terms *t, const json_t *doc, const char *what)
{
	struct vc_jsonld_limits l = vc_jsonld_limits_default;
	size_t d = depth_of(doc), want[] = {0, d ? d - 1 : 0, d, d + 1, 127, 128, 500}, steps, i;
	int plain, fast;

	for (plain = 0; plain < 2; plain++)
		for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
			l.plain_form = plain;
			l.max_depth = want[i];
			steps = 0;
			fast = vc_jsonld_fast_check(t, doc, &l, &steps);
			same_on_tree(t, doc, &l, fast, steps, what);
			if (want[i] + 1 == d && fast == 1)
				fail_msg("%s: holds at max_depth %zu, one below the depth", what,
				         want[i]);
		}
}

/* Every combination of the flags the verifier and the issuer use. */
static int compare_all(struct vc_jsonld_terms *t, const json_t *doc, const char *what,
                       struct tally *n)
{
	struct vc_jsonld_limits l = vc_jsonld_limits_default;
	int told = 0, dto, plain;

	for (dto = 0; dto < 2; dto++)
		for (plain = 0; plain < 2; plain++) {
			l.defined_terms_only = dto;
			l.plain_form = plain;
			told |= compare(t, doc, &l, what, n) == 1;
		}
	depths_agree(t, doc, what);
	return told;
}

/* The document and some mutations of it: an undefined key and an undefined type in every
 * object in turn, a type replaced, the top-level context dropped or narrowed. */
static void mutate_objects(struct vc_jsonld_terms *t, json_t *root, json_t *v, const char *what,
                           struct tally *n, size_t *budget)
{
	const char *k;
	json_t *x, *type;
	size_t i;

	if (*budget == 0)
		return;
	(*budget)--;
	if (json_is_object(v)) {
		json_object_set_new(v, "undefinedTermOfTheTest", json_string("x"));
		compare_all(t, root, what, n);
		json_object_del(v, "undefinedTermOfTheTest");
		if ((type = json_object_get(v, "type")) != NULL) {
			json_incref(type);
			json_object_set_new(v, "type", json_string("UndefinedTypeOfTheTest"));
			compare_all(t, root, what, n);
			json_object_set_new(
			        v, "type",
			        json_pack("[s,s]", "VerifiableCredential", "Achievement"));
			compare_all(t, root, what, n);
			json_object_set_new(v, "type", type);
		}
		json_object_foreach(v, k, x) mutate_objects(t, root, x, what, n, budget);
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, x) mutate_objects(t, root, x, what, n, budget);
	}
}

static int check_file(struct vc_jsonld_terms *t, const char *path, struct tally *n)
{
	struct ok_error err;
	json_t *doc = NULL, *ctx;
	size_t len, budget = 200;
	char *data = vc_read_file(path, &len);
	int told;

	if (vc_jcs_parse(data, len, 0, &doc, &err) != 0) {
		free(data);
		return -1;
	}
	free(data);
	told = compare_all(t, doc, path, n);
	mutate_objects(t, doc, doc, path, n, &budget);
	if (json_is_object(doc) && (ctx = json_object_get(doc, "@context")) != NULL) {
		json_incref(ctx);
		json_object_del(doc, "@context");
		compare_all(t, doc, path, n);
		if (json_array_size(ctx) > 1) {
			json_object_set_new(doc, "@context",
			                    json_pack("[O]", json_array_get(ctx, 0)));
			compare_all(t, doc, path, n);
		}
		json_object_set_new(doc, "@context", ctx);
	}
	json_decref(doc);
	return told;
}

static void check_dir(struct vc_jsonld_terms *t, const char *rel, struct tally *n)
{
	char dir[1024], path[1400];
	struct dirent *e;
	DIR *d;

	assert_true(snprintf(dir, sizeof(dir), "%s/%s", getenv("OK_SOURCE_ROOT"), rel) <
	            (int)sizeof(dir));
	d = opendir(dir);
	if (!d)
		fail_msg("cannot open %s", dir);
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.' || e->d_type == DT_DIR || strstr(e->d_name, ".nq") ||
		    strstr(e->d_name, ".md") || strstr(e->d_name, ".txt"))
			continue;
		assert_true(snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) <
		            (int)sizeof(path));
		(void)check_file(t, path, n);
	}
	closedir(d);
}

/* The credentials that must be told by lookup (the point of the table); the W3C's
 * employmentAuth.json names a context that is not pinned, so the expansion refuses it. */
static void told_for_real_credentials(void **state)
{
	static const char *const files[] = {
	        "tests/fixtures/w3c-eddsa-jcs-2022/signedJCS.json",
	        "tests/fixtures/w3c-eddsa-jcs-2022/unsigned.json",
	        "tests/fixtures/w3c-eddsa-rdfc-2022/signedDataInt.json",
	        "tests/fuzz/corpus/verify/db-valid.json",
	        "tests/fuzz/corpus/verify/demo-course.json",
	        "tests/unit/vc/jsonld/ob-credential.jsonld",
	        "tests/unit/vc/jsonld/own-trustlist.jsonld",
	};
	struct vc_jsonld_terms *t = vc_jsonld_terms_new();
	struct tally n = {0, 0, 0};
	char path[1024];
	size_t i;

	(void)state;
	assert_non_null(t);
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		assert_true(snprintf(path, sizeof(path), "%s/%s", getenv("OK_SOURCE_ROOT"),
		                     files[i]) < (int)sizeof(path));
		if (check_file(t, path, &n) != 1)
			fail_msg("%s is not told by lookup", files[i]);
	}
	vc_jsonld_terms_free(t);
}

static void agrees_with_expansion(void **state)
{
	static const char *const dirs[] = {
	        "tests/unit/vc/jsonld",
	        "tests/fuzz/corpus/jsonld",
	        "tests/fuzz/corpus/datamodel",
	        "tests/fuzz/corpus/verify",
	        "tests/fuzz/corpus/presentation",
	        "tests/fixtures/w3c-eddsa-jcs-2022",
	        "tests/fixtures/w3c-eddsa-rdfc-2022",
	};
	struct vc_jsonld_terms *t = vc_jsonld_terms_new();
	struct tally n = {0, 0, 0};
	size_t i;

	(void)state;
	assert_non_null(t);
	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		check_dir(t, dirs[i], &n);
	/* Both answers occur: the comparison is not empty on either side. */
	assert_true(n.told > 50);
	assert_true(n.docs - n.full_ok > 50);
	print_message("%zu comparisons: %zu told by lookup, %zu expansions succeeded\n", n.docs,
	              n.told, n.full_ok);
	vc_jsonld_terms_free(t);
}

/* A second table, and the same table again, answer the same (nothing depends on what ran
 * before). */
static void tables_agree(void **state)
{
	struct vc_jsonld_terms *a = vc_jsonld_terms_new(), *b = vc_jsonld_terms_new();
	char path[1024];
	size_t len, s1 = 0, s2 = 0, s3 = 0;
	struct ok_error err;
	json_t *doc = NULL;
	char *data;

	(void)state;
	assert_non_null(a);
	assert_non_null(b);
	assert_true(snprintf(path, sizeof(path), "%s/tests/unit/vc/jsonld/ob-credential.jsonld",
	                     getenv("OK_SOURCE_ROOT")) < (int)sizeof(path));
	data = vc_read_file(path, &len);
	assert_int_equal(vc_jcs_parse(data, len, 0, &doc, &err), 0);
	assert_int_equal(vc_jsonld_fast_check(a, doc, NULL, &s1), 1);
	assert_int_equal(vc_jsonld_fast_check(a, doc, NULL, &s2), 1);
	assert_int_equal(vc_jsonld_fast_check(b, doc, NULL, &s3), 1);
	assert_int_equal(s1, s2);
	assert_int_equal(s1, s3);
	/* Without a table: not told. */
	assert_int_equal(vc_jsonld_fast_check(NULL, doc, NULL, NULL), 0);
	json_decref(doc);
	free(data);
	vc_jsonld_terms_free(a);
	vc_jsonld_terms_free(b);
}

/* The OB credential the tests below change, read with jansson. */
static json_t *ob_credential(void)
{
	char path[1024];
	struct ok_error err;
	json_t *doc = NULL;
	size_t len;
	char *data;

	assert_true(snprintf(path, sizeof(path), "%s/tests/unit/vc/jsonld/ob-credential.jsonld",
	                     getenv("OK_SOURCE_ROOT")) < (int)sizeof(path));
	data = vc_read_file(path, &len);
	assert_int_equal(vc_jcs_parse(data, len, 0, &doc, &err), 0);
	free(data);
	return doc;
}

/* A list of pinned URLs is looked up by its key (the URLs, each followed by a newline) before
 * its URLs are checked: one string holding two pinned URLs joined by a newline, after the
 * list of the two was used, is still no list of them (the expansion refuses it: no such
 * context). */
static void joined_urls_are_no_list(void **state)
{
	struct vc_jsonld_terms *t = vc_jsonld_terms_new();
	struct tally n = {0, 0, 0};
	json_t *doc = ob_credential(), *ctx = json_object_get(doc, "@context");
	char joined[512];

	(void)state;
	assert_non_null(t);
	assert_int_equal(vc_jsonld_fast_check(t, doc, NULL, NULL), 1);
	assert_true(snprintf(joined, sizeof(joined), "%s\n%s",
	                     json_string_value(json_array_get(ctx, 0)),
	                     json_string_value(json_array_get(ctx, 1))) < (int)sizeof(joined));
	json_object_set_new(doc, "@context", json_string(joined));
	assert_int_equal(vc_jsonld_fast_check(t, doc, NULL, NULL), 0);
	assert_int_equal(compare_all(t, doc, "one string of two URLs", &n), 0);
	json_object_set_new(doc, "@context", json_pack("[s]", joined));
	assert_int_equal(vc_jsonld_fast_check(t, doc, NULL, NULL), 0);
	assert_int_equal(compare_all(t, doc, "a list of one string of two URLs", &n), 0);
	/* With a newline at the end too: the key of the list itself, less its last newline. */
	strcat(joined, "\n");
	json_object_set_new(doc, "@context", json_string(joined));
	assert_int_equal(compare_all(t, doc, "two URLs and a newline", &n), 0);
	json_decref(doc);
	vc_jsonld_terms_free(t);
}

/* Type-scoped contexts apply in the types' sorted order whatever their order in the document:
 * two types either way, many (sorted another way inside), the same types repeated; and one type
 * value shared by nodes under other contexts (a term found for one node is not taken for
 * another). */
static void types_in_any_order(void **state)
{
	struct vc_jsonld_terms *t = vc_jsonld_terms_new();
	struct tally n = {0, 0, 0};
	json_t *doc = ob_credential(), *subject, *achievement, *shared;

	(void)state;
	assert_non_null(t);
	json_object_set_new(doc, "type",
	                    json_pack("[s,s]", "OpenBadgeCredential", "VerifiableCredential"));
	assert_int_equal(compare_all(t, doc, "two types, the other order", &n), 1);
	json_object_set_new(
	        doc, "type",
	        json_pack("[s,s,s,s,s,s,s,s,s,s]", "OpenBadgeCredential", "VerifiableCredential",
	                  "OpenBadgeCredential", "VerifiableCredential", "OpenBadgeCredential",
	                  "VerifiableCredential", "OpenBadgeCredential", "VerifiableCredential",
	                  "OpenBadgeCredential", "VerifiableCredential"));
	assert_int_equal(compare_all(t, doc, "ten types", &n), 1);
	json_object_set_new(
	        doc, "type",
	        json_pack("[s,s,s]", "VerifiableCredential", "Achievement", "OpenBadgeCredential"));
	(void)compare_all(t, doc, "three types", &n);
	json_object_set_new(doc, "type",
	                    json_pack("[s,s]", "VerifiableCredential", "OpenBadgeCredential"));
	subject = json_object_get(doc, "credentialSubject");
	achievement = json_object_get(subject, "achievement");
	assert_non_null(achievement);
	shared = json_pack("[s,s]", "Profile", "Achievement");
	json_object_set(json_object_get(doc, "issuer"), "type", shared);
	json_object_set(subject, "type", shared);
	json_object_set(achievement, "type", shared);
	json_object_set(json_object_get(achievement, "creator"), "type", shared);
	(void)compare_all(t, doc, "one type value in four nodes", &n);
	json_decref(shared);
	json_decref(doc);
	vc_jsonld_terms_free(t);
}

#define SHARED_THREADS 4
#define SHARED_ROUNDS  200

struct shared_run {
	struct vc_jsonld_terms *t;
	const json_t *doc;
	size_t steps[SHARED_ROUNDS];
	int told[SHARED_ROUNDS];
};

static void *shared_thread(void *arg)
{
	struct shared_run *r = arg;
	size_t i;

	for (i = 0; i < SHARED_ROUNDS; i++)
		r->told[i] = vc_jsonld_fast_check(r->t, r->doc, NULL, &r->steps[i]);
	return NULL;
}

/* Threads that share a new table (its contexts and edges made while others read them without
 * the lock) all get the answer and the steps of one thread alone. */
static void threads_share_a_table(void **state)
{
	struct vc_jsonld_terms *t = vc_jsonld_terms_new(), *alone = vc_jsonld_terms_new();
	static struct shared_run runs[SHARED_THREADS];
	pthread_t th[SHARED_THREADS];
	json_t *doc = ob_credential();
	size_t want = 0, i, k;

	(void)state;
	assert_non_null(t);
	assert_non_null(alone);
	assert_int_equal(vc_jsonld_fast_check(alone, doc, NULL, &want), 1);
	for (i = 0; i < SHARED_THREADS; i++) {
		runs[i].t = t;
		runs[i].doc = doc;
		assert_int_equal(pthread_create(&th[i], NULL, shared_thread, &runs[i]), 0);
	}
	for (i = 0; i < SHARED_THREADS; i++)
		assert_int_equal(pthread_join(th[i], NULL), 0);
	for (i = 0; i < SHARED_THREADS; i++)
		for (k = 0; k < SHARED_ROUNDS; k++) {
			assert_int_equal(runs[i].told[k], 1);
			assert_int_equal(runs[i].steps[k], want);
		}
	json_decref(doc);
	vc_jsonld_terms_free(t);
	vc_jsonld_terms_free(alone);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(told_for_real_credentials),
	        cmocka_unit_test(agrees_with_expansion),
	        cmocka_unit_test(tables_agree),
	        cmocka_unit_test(joined_urls_are_no_list),
	        cmocka_unit_test(types_in_any_order),
	        cmocka_unit_test(threads_share_a_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
