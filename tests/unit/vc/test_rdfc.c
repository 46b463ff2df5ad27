/* Unit tests for N-Quads and RDFC-1.0: every case of the W3C rdf-canon suite (output, issued
 * identifier maps, poison graphs), the eddsa-rdfc-2022 vectors' canonical forms, strictness and
 * limits of the parser, and the invariants a signer relies on. */
#include "vc_test.h"

#include <time.h>

#include "vc/nquads.h"
#include "vc/rdfc.h"

/* Reads $OK_FIXTURES/dir/name whole; the caller free()s it. */
static char *read_fixture(const char *dir, const char *name, size_t *len)
{
	char rel[512];

	assert_true(snprintf(rel, sizeof(rel), "%s/%s", dir, name) < (int)sizeof(rel));
	return vc_fixture_at(rel, len);
}

static double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* How long a poison graph may take to fail: 2 s, or 100 s under valgrind (make check-valgrind,
 * which runs about 50 times slower; valgrind names its preloaded library in LD_PRELOAD). */
static double poison_seconds(void)
{
	const char *preload = getenv("LD_PRELOAD");

	return preload && strstr(preload, "vgpreload") ? 100.0 : 2.0;
}

/* Canonicalizes text with the default limits and the given hash; fails the test on error. */
static char *canon(const char *text, size_t len, enum vc_rdfc_hash hash, struct vc_rdfc_map *map)
{
	struct vc_rdfc_limits l;
	struct ok_error err;
	struct buf out;

	vc_rdfc_limits_default(&l);
	l.hash = hash;
	ok_error_clear(&err);
	buf_init(&out, 0);
	if (vc_rdfc_canonicalize_map(text, len, &l, &out, map, &err) != 0)
		fail_msg("canonicalize: %s", err.message);
	return buf_detach(&out, NULL);
}

/* The whole rdf-canon manifest. */
static void test_rdf_canon_suite(void **state)
{
	json_t *manifest, *entries, *e;
	json_error_t jerr;
	char path[1024];
	size_t i, evals = 0, maps = 0, negatives = 0;
	double start = now_seconds(), slowest = 0;
	const char *slowest_id = "";

	(void)state;
	snprintf(path, sizeof(path), "%s/rdf-canon/manifest.jsonld", getenv("OK_FIXTURES"));
	manifest = json_load_file(path, 0, &jerr);
	if (!manifest)
		fail_msg("manifest: %s", jerr.text);
	entries = json_object_get(manifest, "entries");
	assert_true(json_array_size(entries) > 80);
	json_array_foreach(entries, i, e)
	{
		const char *id = json_string_value(json_object_get(e, "id"));
		const char *type = json_string_value(json_object_get(e, "type"));
		const char *action = json_string_value(json_object_get(e, "action"));
		const char *result = json_string_value(json_object_get(e, "result"));
		const char *alg = json_string_value(json_object_get(e, "hashAlgorithm"));
		enum vc_rdfc_hash hash = VC_RDFC_SHA256;
		size_t in_len, want_len;
		char *in, *want, *got;
		double t0 = now_seconds(), took;

		assert_non_null(id);
		assert_non_null(type);
		assert_non_null(action);
		if (alg && strcmp(alg, "SHA384") == 0)
			hash = VC_RDFC_SHA384;
		else if (alg && strcmp(alg, "SHA256") != 0)
			fail_msg("%s: unknown hashAlgorithm %s", id, alg);
		in = read_fixture("rdf-canon", action, &in_len);
		if (strcmp(type, "rdfc:RDFC10EvalTest") == 0) {
			want = read_fixture("rdf-canon", result, &want_len);
			got = canon(in, in_len, hash, NULL);
			if (strcmp(got, want) != 0)
				fail_msg("%s: got\n%s\nwant\n%s", id, got, want);
			free(got);
			free(want);
			evals++;
		} else if (strcmp(type, "rdfc:RDFC10MapTest") == 0) {
			struct vc_rdfc_map map;
			json_t *want_map = NULL, *v;
			const char *key;
			size_t k;

			want = read_fixture("rdf-canon", result, &want_len);
			want_map = json_loads(want, 0, &jerr);
			if (!want_map)
				fail_msg("%s: map %s", id, jerr.text);
			got = canon(in, in_len, hash, &map);
			if (map.count != json_object_size(want_map))
				fail_msg("%s: %zu blank nodes, want %zu", id, map.count,
				         json_object_size(want_map));
			for (k = 0; k < map.count; k++) {
				v = json_object_get(want_map, map.input[k]);
				if (!v)
					fail_msg("%s: blank node %s not in the expected map", id,
					         map.input[k]);
				if (strcmp(json_string_value(v), map.canonical[k]) != 0)
					fail_msg("%s: %s -> %s, want %s", id, map.input[k],
					         map.canonical[k], json_string_value(v));
			}
			json_object_foreach(want_map, key, v)
			{
				(void)v;
				for (k = 0; k < map.count && strcmp(map.input[k], key) != 0; k++)
					;
				if (k == map.count)
					fail_msg("%s: expected blank node %s missing", id, key);
			}
			vc_rdfc_map_release(&map);
			json_decref(want_map);
			free(got);
			free(want);
			maps++;
		} else if (strcmp(type, "rdfc:RDFC10NegativeEvalTest") == 0) {
			struct vc_rdfc_limits l;
			struct ok_error err;
			struct buf out;

			vc_rdfc_limits_default(&l);
			l.hash = hash;
			ok_error_clear(&err);
			buf_init(&out, 0);
			assert_int_equal(vc_rdfc_canonicalize(in, in_len, &l, &out, &err),
			                 OK_ETOOBIG);
			assert_non_null(strstr(err.message, "poison graph?"));
			assert_int_equal(out.len, 0);
			buf_release(&out);
			negatives++;
		} else {
			fail_msg("%s: unknown test type %s", id, type);
		}
		free(in);
		took = now_seconds() - t0;
		if (took > slowest) {
			slowest = took;
			slowest_id = id;
		}
		/* A negative test must fail quickly too: the limit stops the work, not a timeout.
		 */
		if (took > poison_seconds())
			fail_msg("%s took %.2f s", id, took);
	}
	print_message("rdf-canon: %zu eval, %zu map, %zu negative tests in %.3f s (slowest %s: "
	              "%.3f s)\n",
	              evals, maps, negatives, now_seconds() - start, slowest_id, slowest);
	assert_int_equal(evals, 64);
	assert_int_equal(maps, 21);
	assert_int_equal(negatives, 1);
	json_decref(manifest);
}

/* The canonical N-Quads of the eddsa-rdfc-2022 vectors are their own canonical form. */
static void test_eddsa_rdfc_vectors_fixed_point(void **state)
{
	static const char *const names[] = {"canonDocDataInt.txt", "proofCanonDataInt.txt"};
	size_t i, len;

	(void)state;
	for (i = 0; i < 2; i++) {
		char *text = read_fixture("w3c-eddsa-rdfc-2022", names[i], &len);
		char *got = canon(text, len, VC_RDFC_SHA256, NULL);
		assert_string_equal(got, text);
		free(got);
		free(text);
	}
}

static int parse(const char *text, const struct vc_nq_limits *l, struct vc_nq_dataset *d,
                 struct ok_error *err)
{
	vc_nq_dataset_init(d);
	ok_error_clear(err);
	return vc_nquads_parse(text, strlen(text), l, d, err);
}

static void expect_bad(const char *text, int code, const char *words, size_t line)
{
	struct vc_nq_dataset d;
	struct ok_error err;
	int rc = parse(text, NULL, &d, &err);

	if (rc != code)
		fail_msg("input %s: rc %d (%s), want %d", text, rc, err.message, code);
	if (!strstr(err.message, words))
		fail_msg("input %s: message \"%s\" lacks \"%s\"", text, err.message, words);
	if (line)
		assert_int_equal(err.line, line);
	assert_int_equal(d.count, 0);
	vc_nq_dataset_release(&d);
}

static void test_nquads_strict(void **state)
{
	(void)state;
	expect_bad("<a> <http://p> <http://o> .\n", OK_EINPUT, "not absolute", 1);
	expect_bad("<http://s> <http://p> <http://o>\n", OK_EINPUT, "closing '.'", 1);
	expect_bad("<http://s> <http://p> <http://o> . <http://x>\n", OK_EINPUT, "one statement",
	           1);
	expect_bad("\"s\" <http://p> <http://o> .\n", OK_EINPUT, "subject expected", 1);
	expect_bad("<http://s> _:p <http://o> .\n", OK_EINPUT, "predicate expected", 1);
	expect_bad("<http://s> <http://p> <http://o> \"g\" .\n", OK_EINPUT, "graph name", 1);
	expect_bad("<http://s> <http://p> \"a\\qb\" .\n", OK_EINPUT, "unknown escape", 1);
	expect_bad("<http://s> <http://p> \"\\uD800\" .\n", OK_EINPUT, "surrogate", 1);
	expect_bad("<http://s> <http://p> \"\\U00110000\" .\n", OK_EINPUT, "surrogate", 1);
	expect_bad("<http://s> <http://p> \"\\u12G4\" .\n", OK_EINPUT, "non-hex", 1);
	expect_bad("<http://s> <http://p> \"\xc0\xaf\" .\n", OK_EINPUT, "UTF-8", 1);
	expect_bad("<http://s> <http://p> \"\xed\xa0\x80\" .\n", OK_EINPUT, "UTF-8", 1);
	expect_bad("<http://s> <http://p> \"open .\n", OK_EINPUT, "closing '\"'", 1);
	expect_bad("<http://s> <http://p> <http://a b> .\n", OK_EINPUT, "may not hold", 1);
	expect_bad("<http://s> <http://p> <http://a\\u0020b> .\n", OK_EINPUT, "escaped", 1);
	expect_bad("<http://s> <http://p> \"x\"@ .\n", OK_EINPUT, "language tag", 1);
	expect_bad("<http://s> <http://p> \"x\"@en- .\n", OK_EINPUT, "empty subtag", 1);
	expect_bad("<http://s> <http://p> \"x\"^<http://t> .\n", OK_EINPUT, "^^", 1);
	expect_bad("<http://s> <http://p> _:-a .\n", OK_EINPUT, "blank node label", 1);
	expect_bad("<http://s> <http://p> \"x\"^^<http://www.w3.org/1999/02/22-rdf-syntax-ns#"
	           "langString> .\n",
	           OK_EINPUT, "langString", 1);
	/* The line is counted across LF, CRLF and comment lines. */
	expect_bad(
	        "# a comment\r\n<http://s> <http://p> <http://o> .\n\n<x> <http://p> <http://o> .",
	        OK_EINPUT, "line 4", 4);
}

static void test_nquads_limits(void **state)
{
	struct vc_nq_limits l;
	struct vc_nq_dataset d;
	struct ok_error err;
	char big[200];

	(void)state;
	vc_nq_limits_default(&l);
	l.max_quads = 2;
	assert_int_equal(parse("<http://s> <http://p> _:a .\n<http://s> <http://p> _:b .\n"
	                       "<http://s> <http://p> _:c .\n",
	                       &l, &d, &err),
	                 OK_ETOOBIG);
	assert_non_null(strstr(err.message, "more than 2 quads"));
	vc_nq_dataset_release(&d);

	vc_nq_limits_default(&l);
	l.max_term = 20;
	snprintf(big, sizeof(big), "<http://s> <http://p> \"%s\" .\n",
	         "a literal longer than twenty bytes");
	assert_int_equal(parse(big, &l, &d, &err), OK_ETOOBIG);
	assert_non_null(strstr(err.message, "literal"));
	vc_nq_dataset_release(&d);

	/* A badge image as a data: URL is one long IRI; the defaults take one of 300,000 bytes. */
	{
		struct buf img;
		size_t i;

		buf_init(&img, 0);
		assert_int_equal(buf_addstr(&img,
		                            "<http://s> <https://schema.org/image> <data:image/"
		                            "png;base64,"),
		                 0);
		for (i = 0; i < 300000 / 4; i++)
			assert_int_equal(buf_add(&img, "iVBO", 4), 0);
		assert_int_equal(buf_addstr(&img, "> .\n"), 0);
		vc_nq_dataset_init(&d);
		assert_int_equal(vc_nquads_parse(img.data, img.len, NULL, &d, &err), 0);
		assert_int_equal(d.quads[0].o.value_len, 300000 + strlen("data:image/png;base64,"));
		vc_nq_dataset_release(&d);
		buf_release(&img);
	}

	vc_nq_limits_default(&l);
	l.max_bytes = 10;
	assert_int_equal(parse("<http://s> <http://p> <http://o> .\n", &l, &d, &err), OK_ETOOBIG);
	vc_nq_dataset_release(&d);
}

/* What a parse gives, written again, is canonical and parses to the same terms. */
static void test_nquads_round_trip(void **state)
{
	static const char in[] =
	        "_:x.y <http://p>\t\"tab\\there \\u00E9 \\U0001F303\\u007f\\u0001\"@en-GB "
	        "<http://g> . # c\n"
	        "<http://s> <http://p> \"1\"^^<http://www.w3.org/2001/XMLSchema#integer>.\r\n"
	        "<http://s> <http://p> \"s\"^^<http://www.w3.org/2001/XMLSchema#string> _:g .\n";
	static const char want[] =
	        "_:x.y <http://p> \"tab\\there \xc3\xa9 \xf0\x9f\x8c\x83\\u007F\\u0001\"@en-GB "
	        "<http://g> .\n"
	        "<http://s> <http://p> \"1\"^^<http://www.w3.org/2001/XMLSchema#integer> .\n"
	        "<http://s> <http://p> \"s\" _:g .\n";
	struct vc_nq_dataset d, d2;
	struct ok_error err;
	struct buf out;
	size_t i;

	(void)state;
	assert_int_equal(parse(in, NULL, &d, &err), 0);
	assert_int_equal(d.count, 3);
	assert_string_equal(d.quads[0].s.value, "x.y");
	assert_null(d.quads[2].o.datatype);
	buf_init(&out, 0);
	for (i = 0; i < d.count; i++)
		assert_int_equal(vc_nquads_write_quad(&d.quads[i], &out), 0);
	assert_string_equal(out.data, want);
	assert_int_equal(parse(out.data, NULL, &d2, &err), 0);
	assert_int_equal(d2.count, d.count);
	for (i = 0; i < d.count; i++) {
		assert_true(vc_nq_term_equal(&d.quads[i].s, &d2.quads[i].s));
		assert_true(vc_nq_term_equal(&d.quads[i].o, &d2.quads[i].o));
		assert_true(vc_nq_term_equal(&d.quads[i].g, &d2.quads[i].g));
	}
	buf_release(&out);
	vc_nq_dataset_release(&d2);
	vc_nq_dataset_release(&d);
}

/* Relabelling and reordering the input changes nothing; the output is a fixed point. */
static void test_rdfc_isomorphic_inputs(void **state)
{
	static const char a[] = "_:a <http://p> _:b .\n_:b <http://p> _:c .\n_:c <http://p> _:a .\n"
	                        "_:a <http://q> \"x\" .\n_:a <http://q> \"x\" .\n";
	static const char b[] = "_:n3 <http://q> \"x\" .\n_:n2 <http://p> _:n3 .\n"
	                        "_:n1 <http://p> _:n2 .\n_:n3 <http://p> _:n1 .\n";
	char *ca = canon(a, strlen(a), VC_RDFC_SHA256, NULL);
	char *cb = canon(b, strlen(b), VC_RDFC_SHA256, NULL);
	char *again = canon(ca, strlen(ca), VC_RDFC_SHA256, NULL);

	(void)state;
	assert_string_equal(ca, cb);
	assert_string_equal(again, ca);
	/* The duplicate quad counts once. */
	assert_non_null(strstr(ca, "\"x\" .\n"));
	assert_null(strstr(strstr(ca, "\"x\" .\n") + 1, "\"x\" .\n"));
	free(again);
	free(cb);
	free(ca);
}

#define RDF "http://www.w3.org/1999/02/22-rdf-syntax-ns#"

static void test_rdfc_limits(void **state)
{
	static const char three[] = "_:a <http://p> _:b .\n_:b <http://p> _:c .\n";
	struct vc_rdfc_limits l;
	struct ok_error err;
	struct buf out, ring;
	size_t len, i;
	char *clique;
	int rc;
	double t0;

	(void)state;
	buf_init(&out, 0);
	vc_rdfc_limits_default(&l);
	l.max_blank_nodes = 2;
	assert_int_equal(vc_rdfc_canonicalize(three, strlen(three), &l, &out, &err), OK_ETOOBIG);
	assert_non_null(strstr(err.message, "more than 2 blank nodes"));
	assert_int_equal(out.len, 0);

	/* A ring of identical nodes needs Hash N-Degree Quads; a tiny step budget stops it. */
	buf_init(&ring, 0);
	for (i = 0; i < 8; i++)
		assert_int_equal(buf_addf(&ring, "_:r%zu <http://p> _:r%zu .\n", i, (i + 1) % 8),
		                 0);
	vc_rdfc_limits_default(&l);
	l.max_hash_calls = 10;
	assert_int_equal(vc_rdfc_canonicalize(ring.data, ring.len, &l, &out, &err), OK_ETOOBIG);
	assert_non_null(strstr(err.message, "exceeds 10 steps: poison graph?"));
	vc_rdfc_limits_default(&l);
	l.max_depth = 2;
	rc = vc_rdfc_canonicalize(ring.data, ring.len, &l, &out, &err);
	assert_int_equal(rc, OK_ETOOBIG);
	assert_non_null(strstr(err.message, "levels of recursion"));
	assert_int_equal(out.len, 0);
	vc_rdfc_limits_default(&l);
	assert_int_equal(vc_rdfc_canonicalize(ring.data, ring.len, &l, &out, &err), 0);
	assert_non_null(strstr(out.data, "_:c14n7"));
	buf_release(&ring);

	/* An RDF list of identical items is a symmetric chain: 100 items fit the defaults, 130 pass
	 * the step limit. */
	for (i = 0; i < 2; i++) {
		struct buf list;
		size_t n = i ? 130 : 100, j;

		buf_init(&list, 0);
		assert_int_equal(buf_addstr(&list, "<http://s> <http://p> _:l0 .\n"), 0);
		for (j = 0; j < n; j++) {
			assert_int_equal(buf_addf(&list, "_:l%zu <" RDF "first> \"x\" .\n", j), 0);
			if (j + 1 < n)
				rc = buf_addf(&list, "_:l%zu <" RDF "rest> _:l%zu .\n", j, j + 1);
			else
				rc = buf_addf(&list, "_:l%zu <" RDF "rest> <" RDF "nil> .\n", j);
			assert_int_equal(rc, 0);
		}
		vc_rdfc_limits_default(&l);
		buf_reset(&out);
		rc = vc_rdfc_canonicalize(list.data, list.len, &l, &out, &err);
		assert_int_equal(rc, i ? OK_ETOOBIG : 0);
		if (i)
			assert_non_null(strstr(err.message, "exceeds 50000 steps"));
		else
			assert_non_null(strstr(out.data, "_:c14n99 "));
		buf_release(&list);
	}

	/* The suite's clique fails within the default limits, quickly, on both hashes. */
	clique = read_fixture("rdf-canon", "rdfc10/test074-in.nq", &len);
	for (i = 0; i < 2; i++) {
		vc_rdfc_limits_default(&l);
		l.hash = i ? VC_RDFC_SHA384 : VC_RDFC_SHA256;
		buf_reset(&out);
		t0 = now_seconds();
		assert_int_equal(vc_rdfc_canonicalize(clique, len, &l, &out, &err), OK_ETOOBIG);
		assert_true(now_seconds() - t0 < poison_seconds());
		assert_int_equal(out.len, 0);
	}
	free(clique);
	buf_release(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_rdf_canon_suite),
	        cmocka_unit_test(test_eddsa_rdfc_vectors_fixed_point),
	        cmocka_unit_test(test_nquads_strict),
	        cmocka_unit_test(test_nquads_limits),
	        cmocka_unit_test(test_nquads_round_trip),
	        cmocka_unit_test(test_rdfc_isomorphic_inputs),
	        cmocka_unit_test(test_rdfc_limits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
