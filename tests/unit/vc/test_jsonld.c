/* Unit tests for JSON-LD to N-Quads: the W3C eddsa-rdfc-2022 vectors, oorkonde's own Open Badges
 * credential and a presentation, the cases of tests/unit/vc/jsonld/ (their .nq made by the npm
 * jsonld package, tests/interop/jsonld.test.mjs), and every way the converter must refuse. */
#include "vc_test.h"

#include <dirent.h>
#include <time.h>

#include "vc/datamodel.h"
#include "vc/jsonld.h"

static json_t *parse(const char *text)
{
	struct ok_error err;
	json_t *v = NULL;

	ok_error_clear(&err);
	if (vc_jcs_parse(text, strlen(text), 0, &v, &err) != 0)
		fail_msg("parse: %s", err.message);
	return v;
}

/* The converter's general JSON-LD, the plain-form rules off: the cases below test JSON-LD
 * itself (inline contexts, aliases, @nest…); the plain form has its own test. */
static const struct vc_jsonld_limits *general(const struct vc_jsonld_limits *l)
{
	static struct vc_jsonld_limits g;

	if (l)
		return l;
	g = vc_jsonld_limits_default;
	g.plain_form = false;
	return &g;
}

static json_t *fixture_json(const char *rel)
{
	char *text = vc_fixture_at(rel, NULL);
	json_t *v = parse(text);

	free(text);
	return v;
}

/* The N-Quads of doc under limits l; fails the test on an error. The caller free()s it. */
static char *nquads(const json_t *doc, const struct vc_jsonld_limits *l)
{
	struct ok_error err;
	struct buf out;

	buf_init(&out, 0);
	ok_error_clear(&err);
	if (vc_jsonld_to_nquads(doc, general(l), &out, &err) != 0)
		fail_msg("to_nquads: %s", err.message);
	return buf_detach(&out, NULL);
}

/* The error code of converting doc, its message in msg. */
static int nquads_fail(const json_t *doc, const struct vc_jsonld_limits *l, char *msg, size_t cap)
{
	struct ok_error err;
	struct buf out;
	int rc;

	buf_init(&out, 0);
	assert_int_equal(buf_addstr(&out, "kept"), 0);
	ok_error_clear(&err);
	rc = vc_jsonld_to_nquads(doc, general(l), &out, &err);
	if (rc != 0) {
		/* Nothing half-written. */
		assert_string_equal(out.data, "kept");
		snprintf(msg, cap, "%s", err.message);
	}
	buf_release(&out);
	return rc;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* text's lines, each blank node label written as _:X when blind, sorted, joined again. */
static char *normalise(const char *text, bool blind)
{
	char *copy = strdup(text), *save = NULL, *line, **lines = NULL, *out;
	size_t n = 0, i, total = 1;

	assert_non_null(copy);
	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct buf b;
		const char *p;

		buf_init(&b, 0);
		for (p = line; *p; p++) {
			if (blind && p[0] == '_' && p[1] == ':') {
				assert_int_equal(buf_addstr(&b, "_:X"), 0);
				for (p += 2; p[1] && p[1] != ' '; p++)
					;
			} else {
				assert_int_equal(buf_addch(&b, *p), 0);
			}
		}
		lines = realloc(lines, (n + 1) * sizeof(*lines));
		assert_non_null(lines);
		lines[n++] = buf_detach(&b, NULL);
	}
	qsort(lines, n, sizeof(*lines), cmp_str);
	for (i = 0; i < n; i++)
		total += strlen(lines[i]) + 1;
	out = calloc(1, total);
	assert_non_null(out);
	for (i = 0; i < n; i++) {
		strcat(out, lines[i]);
		strcat(out, "\n");
		free(lines[i]);
	}
	free(lines);
	free(copy);
	return out;
}

static void assert_same_quads(const char *got, const char *want, bool blind)
{
	char *g = normalise(got, blind), *w = normalise(want, blind);

	if (strcmp(g, w) != 0)
		fail_msg("N-Quads differ.\ngot:\n%s\nwant:\n%s", g, w);
	free(g);
	free(w);
}

/* The W3C alumni credential (the same unsigned document as the JCS vectors): no blank nodes,
 * so its quads must equal canonDocDataInt.txt line for line. */
static void w3c_document_quads(void **state)
{
	json_t *doc = fixture_json("w3c-eddsa-jcs-2022/unsigned.json");
	char *got = nquads(doc, NULL),
	     *want = vc_fixture_at("w3c-eddsa-rdfc-2022/canonDocDataInt.txt", NULL);

	(void)state;
	assert_same_quads(got, want, false);
	/* Already in code point order and free of duplicates, as canonical N-Quads are. */
	assert_string_equal(got, want);
	free(got);
	free(want);
	json_decref(doc);
}

/* The signed vector without its proof gives the same quads; with it, the proof's quads are in a
 * named graph of their own, linked by sec:proof. */
static void w3c_signed_document(void **state)
{
	json_t *doc = fixture_json("w3c-eddsa-rdfc-2022/signedDataInt.json");
	char *got, *want = vc_fixture_at("w3c-eddsa-rdfc-2022/canonDocDataInt.txt", NULL);
	char *with;

	(void)state;
	with = nquads(doc, NULL);
	assert_non_null(strstr(with, "<https://w3id.org/security#proof> _:b0 .\n"));
	assert_non_null(strstr(with,
	                       "<https://w3id.org/security#proofValue> "
	                       "\"z2YwC8z3ap7yx1nZYCg4L3j3ApHsF8kgPdSb5xoS1VR7vPG3F561B52hYnQF9"
	                       "iseabecm3ijx4K1FBTQsCZahKZme\"^^<https://w3id.org/security#"
	                       "multibase> _:b0 .\n"));
	json_object_del(doc, "proof");
	got = nquads(doc, NULL);
	assert_string_equal(got, want);
	free(got);
	free(with);
	free(want);
	json_decref(doc);
}

static void w3c_proof_configuration(void **state)
{
	json_t *doc = fixture_json("w3c-eddsa-rdfc-2022/proofConfigDataInt.json");
	char *got = nquads(doc, NULL),
	     *want = vc_fixture_at("w3c-eddsa-rdfc-2022/proofCanonDataInt.txt", NULL);

	(void)state;
	/* One blank node (the proof): up to its label, the same quads. */
	assert_same_quads(got, want, true);
	free(got);
	free(want);
	json_decref(doc);
}

/* The employment vector's second context (citizenship v4rc1) is not pinned: refused, never
 * fetched. Given as an inline context with the IRIs the vector's canonical form shows, the
 * quads match that form up to blank node labels. */
static void w3c_employment_vector(void **state)
{
	static const char citizenship[] =
	        "{\"EmploymentAuthorizationDocumentCredential\": "
	        "\"https://w3id.org/citizenship#EmploymentAuthorizationDocumentCredential\","
	        "\"EmployablePerson\": \"https://w3id.org/citizenship#EmployablePerson\","
	        "\"EmploymentAuthorizationDocument\": "
	        "\"https://w3id.org/citizenship#EmploymentAuthorizationDocument\","
	        "\"Person\": \"https://schema.org/Person\","
	        "\"xsd\": \"http://www.w3.org/2001/XMLSchema#\","
	        "\"image\": {\"@id\": \"https://schema.org/image\", \"@type\": \"@id\"},"
	        "\"givenName\": \"https://schema.org/givenName\","
	        "\"additionalName\": \"https://schema.org/additionalName\","
	        "\"familyName\": \"https://schema.org/familyName\","
	        "\"gender\": \"https://schema.org/gender\","
	        "\"identifier\": \"https://schema.org/identifier\","
	        "\"birthDate\": {\"@id\": \"https://schema.org/birthDate\", \"@type\": "
	        "\"xsd:dateTime\"},"
	        "\"residentSince\": {\"@id\": \"https://w3id.org/citizenship#residentSince\", "
	        "\"@type\": \"xsd:dateTime\"},"
	        "\"birthCountry\": \"https://w3id.org/citizenship#birthCountry\","
	        "\"employmentAuthorizationDocument\": "
	        "\"https://w3id.org/citizenship#employmentAuthorizationDocument\","
	        "\"lprCategory\": \"https://w3id.org/citizenship#lprCategory\","
	        "\"lprNumber\": \"https://w3id.org/citizenship#lprNumber\"}";
	json_t *doc = fixture_json("w3c-eddsa-rdfc-2022/employmentAuth.json");
	char msg[OK_ERROR_MESSAGE_MAX], *got, *want;

	(void)state;
	assert_int_equal(nquads_fail(doc, NULL, msg, sizeof(msg)), OK_EINPUT);
	assert_string_equal(msg, "unknown context URL: https://w3id.org/citizenship/v4rc1");
	assert_int_equal(
	        json_array_set_new(json_object_get(doc, "@context"), 1, parse(citizenship)), 0);
	got = nquads(doc, NULL);
	want = vc_fixture_at("w3c-eddsa-rdfc-2022/employ/canonDocDataInt.txt", NULL);
	assert_same_quads(got, want, true);
	free(got);
	free(want);
	json_decref(doc);
}

/* Every case of tests/unit/vc/jsonld/ in strict mode: the same quads as jsonld.js made. */
static void jsonld_cases(void **state)
{
	const char *root = getenv("OK_SOURCE_ROOT");
	char dir[1024], path[1200];
	struct dirent *e;
	size_t count = 0;
	DIR *d;

	(void)state;
	assert_non_null(root);
	snprintf(dir, sizeof(dir), "%s/tests/unit/vc/jsonld", root);
	d = opendir(dir);
	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		size_t n = strlen(e->d_name);
		char *text, *want, *got;
		json_t *doc;

		if (n < 8 || strcmp(e->d_name + n - 7, ".jsonld") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		text = vc_read_file(path, NULL);
		doc = parse(text);
		snprintf(path, sizeof(path), "%s/%.*s.nq", dir, (int)(n - 7), e->d_name);
		want = vc_read_file(path, NULL);
		got = nquads(doc, NULL);
		print_message("case %s\n", e->d_name);
		assert_same_quads(got, want, true);
		free(got);
		free(want);
		free(text);
		json_decref(doc);
		count++;
	}
	closedir(d);
	assert_true(count >= 20);
}

static json_t *case_json(const char *name)
{
	char path[1200];
	char *text;
	json_t *v;

	snprintf(path, sizeof(path), "%s/tests/unit/vc/jsonld/%s", getenv("OK_SOURCE_ROOT"), name);
	text = vc_read_file(path, NULL);
	v = parse(text);
	free(text);
	return v;
}

/* oorkonde's Open Badges credential uses only terms its two contexts define: it converts with
 * the check that the data-model rules use, and every field of it shows up in a quad. */
static void oorkonde_credential_fully_defined(void **state)
{
	struct vc_jsonld_limits l = vc_jsonld_limits_default;
	json_t *doc = case_json("ob-credential.jsonld");
	char *got;

	(void)state;
	l.defined_terms_only = true;
	got = nquads(doc, &l);
	assert_non_null(
	        strstr(got, "<https://purl.imsglobal.org/spec/vc/ob/vocab.html#identityHash>"));
	assert_non_null(
	        strstr(got, "<https://purl.imsglobal.org/spec/vc/ob/vocab.html#humanCode>"));
	assert_non_null(strstr(got, "<https://www.w3.org/ns/credentials/status#statusListIndex>"));
	assert_null(strstr(got, "undefined-term#"));
	free(got);
	json_decref(doc);
	doc = case_json("presentation.jsonld");
	got = nquads(doc, &l);
	assert_non_null(strstr(got, "<https://www.w3.org/2018/credentials#verifiableCredential>"));
	free(got);
	json_decref(doc);
}

/* oorkonde's own record formats: every type and term defined by its own context, none left to a
 * catch-all @vocab (review P5: no exemption from "every type defined" is needed). */
static void own_formats_fully_defined(void **state)
{
	static const char *const cases[][2] = {
	        {"own-trustlist.jsonld", "<https://w3id.org/oorkonde/vocab#TrustListCredential>"},
	        {"own-destruction.jsonld",
	         "<https://w3id.org/oorkonde/vocab#DestructionCertificate>"},
	        {"own-manifest.jsonld", "<https://w3id.org/oorkonde/vocab#TransferManifest>"},
	};
	struct vc_jsonld_limits l = vc_jsonld_limits_default;
	char msg[OK_ERROR_MESSAGE_MAX];
	json_t *doc;
	char *got;
	size_t i;

	(void)state;
	l.defined_terms_only = true;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		doc = case_json(cases[i][0]);
		got = nquads(doc, &l);
		assert_non_null(strstr(got, cases[i][1]));
		assert_null(strstr(got, "undefined-term#"));
		free(got);
		/* A term the context does not define is refused, as in any credential. */
		json_object_set_new(json_object_get(doc, "credentialSubject"), "note",
		                    json_string("x"));
		assert_int_equal(nquads_fail(doc, &l, msg, sizeof(msg)), OK_EINPUT);
		assert_non_null(strstr(msg, "note"));
		json_decref(doc);
	}
}

static void unknown_context_refused(void **state)
{
	char msg[OK_ERROR_MESSAGE_MAX], url[400];
	json_t *doc;

	(void)state;
	doc = parse("{\"@context\": [\"https://www.w3.org/ns/credentials/v2\", "
	            "\"https://evil.example/ctx\"], \"type\": \"VerifiableCredential\"}");
	assert_int_equal(nquads_fail(doc, NULL, msg, sizeof(msg)), OK_EINPUT);
	assert_string_equal(msg, "unknown context URL: https://evil.example/ctx");
	json_decref(doc);
	/* Inside a scoped context too, and printable and bounded whatever the URL holds. */
	memset(url, 'a', sizeof(url) - 1);
	url[sizeof(url) - 1] = '\0';
	memcpy(url, "https://x/\x1b[31m", 15);
	doc = json_pack("{s:{s:{s:s,s:s}},s:{s:s}}", "@context", "p", "@id", "https://ex.org/p",
	                "@context", url, "p", "q", "r");
	assert_int_equal(nquads_fail(doc, NULL, msg, sizeof(msg)), OK_EINPUT);
	assert_memory_equal(msg, "unknown context URL: https://x/?[31maaa", 38);
	assert_true(strlen(msg) < 140);
	assert_non_null(strstr(msg, "..."));
	json_decref(doc);
	/* A relative context reference is no exception. */
	doc = parse("{\"@context\": \"context.jsonld\", \"@id\": \"urn:x:1\"}");
	assert_int_equal(nquads_fail(doc, NULL, msg, sizeof(msg)), OK_EINPUT);
	assert_string_equal(msg, "unknown context URL: context.jsonld");
	json_decref(doc);
}

static void protected_redefinition_refused(void **state)
{
	char msg[OK_ERROR_MESSAGE_MAX];
	json_t *doc;

	(void)state;
	doc = parse("{\"@context\": [\"https://www.w3.org/ns/credentials/v2\", "
	            "{\"VerifiableCredential\": \"https://evil.example/VC\"}], "
	            "\"type\": \"VerifiableCredential\", \"issuer\": \"did:example:i\"}");
	assert_int_equal(nquads_fail(doc, NULL, msg, sizeof(msg)), OK_EINPUT);
	assert_string_equal(msg, "protected term redefinition: VerifiableCredential");
	json_decref(doc);
	/* A term of a type-scoped context, redefined inside the node it applies to. */
	doc = parse("{\"@context\": \"https://www.w3.org/ns/credentials/v2\", "
	            "\"type\": \"VerifiableCredential\", \"issuer\": \"did:example:i\", "
	            "\"credentialSubject\": {\"@context\": {\"id\": \"https://evil.example/id\"}, "
	            "\"id\": \"x\"}}");
	assert_int_equal(nquads_fail(doc, NULL, msg, sizeof(msg)), OK_EINPUT);
	assert_string_equal(msg, "protected term redefinition: id");
	json_decref(doc);
	/* Emptying a context with protected terms is refused as well. */
	doc = parse("{\"@context\": [\"https://www.w3.org/ns/credentials/v2\", null], "
	            "\"https://ex.org/p\": \"x\"}");
	assert_int_equal(nquads_fail(doc, NULL, msg, sizeof(msg)), OK_EINPUT);
	assert_non_null(strstr(msg, "invalid context nullification"));
	json_decref(doc);
}

/* What JSON-LD drops silently is an error in strict mode (the default), named; lax mode drops
 * it as the specification says. */
static void strict_mode_names_dropped_terms(void **state)
{
	struct vc_jsonld_limits lax = vc_jsonld_limits_default;
	char msg[OK_ERROR_MESSAGE_MAX], *got;
	json_t *doc;

	(void)state;
	lax.strict = false;
	doc = parse("{\"@context\": \"https://www.w3.org/ns/credentials/v2\", "
	            "\"type\": \"VerifiableCredential\", \"issuer\": \"did:example:i\", "
	            "\"credentialSubject\": {\"degree\": \"MSc\"}}");
	assert_int_equal(nquads_fail(doc, NULL, msg, sizeof(msg)), OK_EINPUT);
	assert_string_equal(msg, "degree: a key that no context defines (JSON-LD would drop it)");
	got = nquads(doc, &lax);
	assert_null(strstr(got, "MSc"));
	assert_non_null(strstr(got, "credentialSubject"));
	free(got);
	json_decref(doc);
	/* A term mapped to null. */
	doc = parse(
	        "{\"@context\": [\"https://www.w3.org/ns/credentials/v2\", {\"secret\": null}], "
	        "\"type\": \"VerifiableCredential\", \"secret\": \"x\"}");
	assert_int_equal(nquads_fail(doc, NULL, msg, sizeof(msg)), OK_EINPUT);
	assert_non_null(strstr(msg, "secret"));
	json_decref(doc);
	/* An empty key (found by the fuzzer reading before the string). */
	doc = parse("{\"@context\": \"https://www.w3.org/ns/credentials/v2\", \"\": \"x\"}");
	assert_int_equal(nquads_fail(doc, NULL, msg, sizeof(msg)), OK_EINPUT);
	json_decref(doc);
	/* A type no context defines. */
	doc = parse("{\"@context\": \"https://www.w3.org/ns/credentials/v2\", "
	            "\"type\": [\"VerifiableCredential\", \"MadeUp\"]}");
	assert_int_equal(nquads_fail(doc, NULL, msg, sizeof(msg)), OK_EINPUT);
	assert_non_null(strstr(msg, "relative IRI"));
	json_decref(doc);
}

/* With the undefined-terms context every term gets an IRI; defined_terms_only still refuses
 * the ones that only its catch-all @vocab defines. */
static void defined_terms_only(void **state)
{
	struct vc_jsonld_limits l = vc_jsonld_limits_default;
	char msg[OK_ERROR_MESSAGE_MAX], *got;
	json_t *doc = case_json("undefterms.jsonld");

	(void)state;
	got = nquads(doc, NULL);
	assert_non_null(strstr(got, "<https://www.w3.org/ns/credentials/undefined-term#madeUp>"));
	free(got);
	l.defined_terms_only = true;
	assert_int_equal(nquads_fail(doc, &l, msg, sizeof(msg)), OK_EINPUT);
	assert_string_equal(msg, "term not defined by the contexts: madeUp");
	json_object_del(json_object_get(doc, "credentialSubject"), "madeUp");
	assert_int_equal(nquads_fail(doc, &l, msg, sizeof(msg)), OK_EINPUT);
	assert_string_equal(msg, "term not defined by the contexts: MadeUpCredential");
	json_decref(doc);
}

static void relative_iris_and_unsupported_features(void **state)
{
	char msg[OK_ERROR_MESSAGE_MAX];
	json_t *doc;

	(void)state;
	doc = parse("{\"@context\": \"https://www.w3.org/ns/credentials/v2\", "
	            "\"id\": \"credentials/1\", \"type\": \"VerifiableCredential\"}");
	assert_int_equal(nquads_fail(doc, NULL, msg, sizeof(msg)), OK_EINPUT);
	assert_string_equal(msg,
	                    "relative IRI without a base: credentials/1 (oorkonde sets no @base)");
	json_decref(doc);
	doc = parse("{\"@context\": {\"@base\": \"https://ex.org/\"}, \"@id\": \"a\"}");
	assert_int_equal(nquads_fail(doc, NULL, msg, sizeof(msg)), OK_EINPUT);
	assert_string_equal(msg, "@base in a context is not supported");
	json_decref(doc);
	doc = parse("{\"@context\": {\"@vocab\": \"https://ex.org/\", \"m\": {\"@container\": "
	            "\"@index\"}}, \"m\": {\"a\": \"x\"}}");
	assert_int_equal(nquads_fail(doc, NULL, msg, sizeof(msg)), OK_EINPUT);
	json_decref(doc);
	doc = parse("{\"@context\": {\"@version\": 1.0}, \"@id\": \"urn:x:1\"}");
	assert_int_equal(nquads_fail(doc, NULL, msg, sizeof(msg)), OK_EINPUT);
	json_decref(doc);
	doc = parse("{\"@context\": {\"@vocab\": \"https://ex.org/\"}, \"@id\": \"urn:x:1\", "
	            "\"p\": {\"@value\": \"x\", \"@language\": \"not a tag\"}}");
	assert_int_equal(nquads_fail(doc, NULL, msg, sizeof(msg)), OK_EINPUT);
	assert_non_null(strstr(msg, "language tag"));
	json_decref(doc);
	doc = parse("{\"@context\": {\"@vocab\": \"https://ex.org/\"}, \"@id\": \"urn:x:a b\", "
	            "\"p\": \"x\"}");
	assert_int_equal(nquads_fail(doc, NULL, msg, sizeof(msg)), OK_EINPUT);
	json_decref(doc);
}

/* Numbers as the specification writes them: a fractional number is an xsd:double, also where
 * its JSON has no decimal point (jsonld.js 9.0 writes 1e-7 as the integer "0"). */
static void numbers_as_specified(void **state)
{
	json_t *doc =
	        parse("{\"@context\": {\"@vocab\": \"https://ex.org/\"}, \"@id\": \"urn:x:1\", "
	              "\"small\": 1e-7, \"big\": 12e20, \"int\": 42.0, \"neg\": -0.5}");
	char *got = nquads(doc, NULL);

	(void)state;
	assert_string_equal(got, "<urn:x:1> <https://ex.org/big> "
	                         "\"1.2E21\"^^<http://www.w3.org/2001/XMLSchema#double> .\n"
	                         "<urn:x:1> <https://ex.org/int> "
	                         "\"42\"^^<http://www.w3.org/2001/XMLSchema#integer> .\n"
	                         "<urn:x:1> <https://ex.org/neg> "
	                         "\"-5.0E-1\"^^<http://www.w3.org/2001/XMLSchema#double> .\n"
	                         "<urn:x:1> <https://ex.org/small> "
	                         "\"1.0E-7\"^^<http://www.w3.org/2001/XMLSchema#double> .\n");
	free(got);
	json_decref(doc);
}

static void limits(void **state)
{
	struct vc_jsonld_limits l = vc_jsonld_limits_default;
	char msg[OK_ERROR_MESSAGE_MAX];
	json_t *doc = case_json("ob-credential.jsonld"), *deep, *inner;
	int i;

	(void)state;
	l.max_nodes = 5;
	assert_int_equal(nquads_fail(doc, &l, msg, sizeof(msg)), OK_ETOOBIG);
	assert_string_equal(msg, "the document has more than 5 JSON-LD nodes");
	l = vc_jsonld_limits_default;
	l.max_quads = 10;
	assert_int_equal(nquads_fail(doc, &l, msg, sizeof(msg)), OK_ETOOBIG);
	assert_string_equal(msg, "the document gives more than 10 quads");
	l = vc_jsonld_limits_default;
	l.max_context_steps = 50;
	assert_int_equal(nquads_fail(doc, &l, msg, sizeof(msg)), OK_ETOOBIG);
	assert_string_equal(msg, "JSON-LD context processing passed its limit of 50 steps");
	/* The default limits hold a real credential with room to spare. */
	free(nquads(doc, NULL));
	json_decref(doc);
	/* Depth: 100 nested nodes. */
	deep = json_pack("{s:{s:s}}", "@context", "@vocab", "https://ex.org/");
	inner = deep;
	for (i = 0; i < 100; i++) {
		json_t *next = json_object();
		json_object_set_new(inner, "p", next);
		inner = next;
	}
	json_object_set_new(inner, "v", json_string("x"));
	assert_int_equal(nquads_fail(deep, NULL, msg, sizeof(msg)), OK_ETOOBIG);
	assert_string_equal(msg, "the document nests deeper than 64 levels");
	json_decref(deep);
	/* Poison: a context whose terms each need the next one defined first. */
	doc = json_pack("{s:{},s:s,s:s}", "@context", "@id", "urn:x:1", "t0", "v");
	for (i = 0; i < 900; i++) {
		char term[16], iri[24];
		snprintf(term, sizeof(term), "t%d", i);
		snprintf(iri, sizeof(iri), "t%d:x", i + 1);
		json_object_set_new(json_object_get(doc, "@context"), term, json_string(iri));
	}
	assert_int_equal(nquads_fail(doc, NULL, msg, sizeof(msg)), OK_ETOOBIG);
	assert_string_equal(msg, "JSON-LD term definitions depend on each other more than 32 deep");
	json_decref(doc);
	/* Poison: many nodes each applying a big type-scoped context pass the step limit. */
	doc = json_pack("{s:s,s:[]}", "@context", "https://www.w3.org/ns/credentials/v2",
	                "https://ex.org/list");
	for (i = 0; i < 5000; i++)
		json_array_append_new(json_object_get(doc, "https://ex.org/list"),
		                      json_pack("{s:s,s:s}", "type", "VerifiableCredential",
		                                "issuer", "did:example:i"));
	assert_int_equal(nquads_fail(doc, NULL, msg, sizeof(msg)), OK_ETOOBIG);
	json_decref(doc);
}

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/* A credential of the Open Badges case with credentialSubject replaced or type extended. */
static json_t *ob_case(void)
{
	return case_json("ob-credential.jsonld");
}

/* The review's shapes (R2): keys in descending order and long type arrays once cost minutes of
 * CPU in insertion sorts; now they are refused, naming the limit, before any work. */
static void big_objects_refused_fast(void **state)
{
	char msg[OK_ERROR_MESSAGE_MAX], key[16];
	struct vc_dm_options o = VC_DM_OPTIONS_JSONLD;
	struct vc_dm_failure f;
	json_t *doc = ob_case(), *subj = json_object(), *types;
	double t0;
	int i;

	(void)state;
	for (i = 80000; i > 0; i--) {
		snprintf(key, sizeof(key), "k%06d", i);
		json_object_set_new(subj, key, json_string("v"));
	}
	json_object_set_new(doc, "credentialSubject", subj);
	t0 = now_ms();
	assert_int_equal(nquads_fail(doc, NULL, msg, sizeof(msg)), OK_EINPUT);
	assert_string_equal(msg, "an object has 80000 members, more than the limit of 1000");
	assert_int_equal(vc_datamodel_check(doc, &o, &f), OK_EINPUT);
	assert_true(now_ms() - t0 < 200);
	json_decref(doc);

	doc = ob_case();
	types = json_array();
	json_array_append_new(types, json_string("VerifiableCredential"));
	for (i = 40000; i > 0; i--) {
		snprintf(key, sizeof(key), "T%06d", i);
		json_array_append_new(types, json_string(key));
	}
	json_object_set_new(doc, "type", types);
	t0 = now_ms();
	assert_int_equal(nquads_fail(doc, NULL, msg, sizeof(msg)), OK_EINPUT);
	assert_string_equal(msg, "type has 40001 values, more than the limit of 100 types");
	assert_int_equal(vc_datamodel_check(doc, &o, &f), OK_EINPUT);
	assert_true(now_ms() - t0 < 200);
	/* 500 types: within the array limit, past the limit on types of one node. */
	json_array_clear(types);
	for (i = 500; i > 0; i--) {
		snprintf(key, sizeof(key), "T%06d", i);
		json_array_append_new(types, json_string(key));
	}
	assert_int_equal(nquads_fail(doc, NULL, msg, sizeof(msg)), OK_EINPUT);
	assert_string_equal(msg, "type has 500 values, more than the limit of 100 types");
	json_decref(doc);
	/* An array of any other key: past its own limit. */
	doc = ob_case();
	types = json_array();
	for (i = 0; i < 20000; i++)
		json_array_append_new(types, json_string("x"));
	json_object_set_new(json_object_get(doc, "credentialSubject"), "name", types);
	assert_int_equal(nquads_fail(doc, NULL, msg, sizeof(msg)), OK_EINPUT);
	assert_string_equal(msg, "an array has 20000 items, more than the limit of 10000");
	json_decref(doc);

	/* At the limits, in descending order, the work stays small (qsort). */
	doc = ob_case();
	subj = json_object_get(doc, "credentialSubject");
	for (i = 990; i > 0; i--) {
		snprintf(key, sizeof(key), "k%06d", i);
		json_object_set_new(subj, key, json_string("v"));
	}
	t0 = now_ms();
	assert_int_equal(nquads_fail(doc, NULL, msg, sizeof(msg)), OK_EINPUT); /* undefined terms */
	assert_true(now_ms() - t0 < 200);
	json_decref(doc);
}

/* The plain form (review R1, R3): the shapes that keep the quads but move a property away from
 * the key the verifier reads are refused; the plain credential and presentation convert. */
static void plain_form_only(void **state)
{
	static const struct {
		const char *patch, *want;
	} cases[] = {
	        {"{\"@nest\":{\"validUntil\":\"2021-01-01T00:00:00Z\"}}",
	         "@nest: this keyword or keyword alias is not allowed in a credential's plain "
	         "form"},
	        {"{\"https://www.w3.org/2018/credentials#validUntil\":{\"@value\":\"2021-01-01T00:"
	         "00:00Z\",\"@type\":\"http://www.w3.org/2001/XMLSchema#dateTime\"}}",
	         "https://www.w3.org/2018/credentials#validUntil: an IRI or keyword as a key is "
	         "not "
	         "allowed; use the context's term"},
	        {"{\"@context\":[\"https://www.w3.org/ns/credentials/v2\",{\"cs\":\"https://"
	         "www.w3.org/"
	         "2018/credentials#credentialStatus\"}],\"cs\":{\"id\":\"urn:x:s\"}}",
	         "@context: only context URLs are allowed, not inline contexts"},
	        {"{\"@type\":\"OpenBadgeCredential\"}", "@type: this keyword or keyword alias is "
	                                                "not allowed in a credential's plain form"},
	        {"{\"@id\":\"urn:x:other\"}",
	         "@id: this keyword or keyword alias is not allowed in a credential's plain form"},
	        {"{\"@included\":[]}",
	         "@included: this keyword or keyword alias is not allowed in a credential's plain "
	         "form"},
	        {"{\"name\":{\"@value\":\"x\",\"@index\":\"zzz\"}}",
	         "@index is not allowed: the signature would not cover it"},
	        {"{\"name\":{\"@value\":\"x\",\"@direction\":\"rtl\"}}",
	         "@direction is not allowed: the signature would not cover it"},
	        {"{\"name\":{\"@value\":\"x\",\"@language\":\"EN\"}}",
	         "invalid JSON-LD at @language: a language tag not in lower case"},
	        {"{\"name\":{\"@language\":\"en\"}}",
	         "invalid JSON-LD at @language: an object with @language and no @value"},
	        {"{\"description\":null}", "description is null: the signature would not cover it"},
	        /* review P2: a property the verifier reads as a string, in another shape */
	        {"{\"validUntil\":{\"@value\":\"2031-01-01T00:00:00Z\",\"type\":\"http://www.w3.org/"
	         "2001/XMLSchema#dateTime\"}}",
	         "validUntil: the verifier reads it as a string; write it as one (plain form)"},
	        /* review P3: an empty array under a defined term of a nested node adds no quad */
	        {"{\"credentialSubject\":{\"type\":\"AchievementSubject\",\"name\":[]}}",
	         "name is an empty array: the signature would not cover it"},
	        {"{\"type\":[\"VerifiableCredential\",\"https://www.w3.org/ns/credentials/"
	         "status#BitstringStatusListCredential\"]}",
	         "type https://www.w3.org/ns/credentials/status#BitstringStatusListCredential: a "
	         "type the context names as a term is written as an IRI; use the term"},
	        {"{\"credentialSubject\":{\"id\":\"_:b0\",\"type\":\"AchievementSubject\"}}",
	         "invalid JSON-LD at id: a blank-node id written in the JSON"},
	        /* credentialStatus moved into another node carrying the credential's own id */
	        {"{\"credentialSubject\":{\"type\":\"AchievementSubject\",\"achievement\":{\"id\":"
	         "\"urn:uuid:9d17b61c-bce4-4625-a900-0151eae20a64\",\"type\":\"Achievement\","
	         "\"name\":\"x\"}}}",
	         "invalid JSON-LD at id: the same node is described in two places"},
	};
	char msg[OK_ERROR_MESSAGE_MAX];
	const char *k;
	json_t *doc, *patch, *v;
	size_t i;

	(void)state;
	doc = case_json("ob-credential.jsonld");
	free(nquads(doc, &vc_jsonld_limits_default));
	json_decref(doc);
	doc = case_json("presentation.jsonld");
	free(nquads(doc, &vc_jsonld_limits_default));
	json_decref(doc);
	/* Two credentials in a presentation are two graphs: the same issuer described in each
	 * (even the same credential twice) is no node described twice. */
	patch = case_json("ob-credential.jsonld");
	json_object_del(patch, "proof");
	doc = json_pack("{s:[s],s:s,s:[O,O]}", "@context", "https://www.w3.org/ns/credentials/v2",
	                "type", "VerifiablePresentation", "verifiableCredential", patch, patch);
	free(nquads(doc, &vc_jsonld_limits_default));
	json_decref(doc);
	json_decref(patch);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		doc = case_json("ob-credential.jsonld");
		patch = parse(cases[i].patch);
		json_object_foreach(patch, k, v) json_object_set(doc, k, v);
		print_message("case %zu\n", i);
		assert_int_equal(nquads_fail(doc, &vc_jsonld_limits_default, msg, sizeof(msg)),
		                 OK_EINPUT);
		assert_string_equal(msg, cases[i].want);
		json_decref(patch);
		json_decref(doc);
	}
}

/* Every term definition in a context document, scoped contexts included: a term mapping to an
 * IRI the verifier reads has the verifier's name, and no term is a @nest or an alias of a
 * keyword other than id and type. */
static void check_terms(const char *url, json_t *v)
{
	const char *k, *iri;
	json_t *x;
	size_t i;

	if (json_is_array(v)) {
		json_array_foreach(v, i, x) check_terms(url, x);
		return;
	}
	if (!json_is_object(v))
		return;
	json_object_foreach(v, k, x)
	{
		iri = json_is_string(x) ? json_string_value(x)
		                        : json_string_value(json_object_get(x, "@id"));
		if (iri && k[0] != '@') {
			/* The runtime's own table of what the verifier reads (review P4). */
			for (i = 0; i < vc_jsonld_read_props_count; i++)
				if (strcmp(iri, vc_jsonld_read_props[i].iri) == 0 &&
				    strcmp(k, vc_jsonld_read_props[i].key) != 0)
					fail_msg("%s: %s is another name for %s", url, k,
					         vc_jsonld_read_props[i].key);
			if (iri[0] == '@' && strcmp(iri, "@id") && strcmp(iri, "@type"))
				fail_msg("%s: %s is an alias of %s", url, k, iri);
			if ((strcmp(iri, "@id") == 0 && strcmp(k, "id")) ||
			    (strcmp(iri, "@type") == 0 && strcmp(k, "type")))
				fail_msg("%s: %s is an alias of %s", url, k, iri);
		}
		check_terms(url, x);
	}
}

static void pinned_contexts_one_name_per_read_property(void **state)
{
	static const char *const urls[] = {
	        "https://www.w3.org/ns/credentials/v2",
	        "https://www.w3.org/ns/credentials/examples/v2",
	        "https://w3id.org/security/data-integrity/v1",
	        "https://w3id.org/security/data-integrity/v2",
	        "https://w3id.org/security/multikey/v1",
	        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
	        "https://www.w3.org/ns/credentials/undefined-terms/v2",
	        VC_CONTEXT_OORKONDE_V1,
	};
	struct ok_error err;
	const char *text;
	json_t *doc;
	size_t i, len;

	(void)state;
	for (i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
		text = vc_jsonld_context_document(urls[i], &len);
		assert_non_null(text);
		ok_error_clear(&err);
		doc = json_loadb(text, len, 0, NULL);
		assert_non_null(doc);
		check_terms(urls[i], json_object_get(doc, "@context"));
		json_decref(doc);
	}
}

static void pinned_documents_served(void **state)
{
	size_t len = 0;

	(void)state;
	assert_non_null(vc_jsonld_context_document("https://www.w3.org/ns/credentials/v2", &len));
	assert_true(len > 1000);
	assert_non_null(vc_jsonld_context_document(
	        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json", &len));
	assert_non_null(vc_jsonld_context_document("https://w3id.org/oorkonde/v1", &len));
	assert_null(vc_jsonld_context_document("https://www.w3.org/ns/credentials/v2/", &len));
	assert_null(vc_jsonld_context_document("http://www.w3.org/ns/credentials/v2", &len));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(w3c_document_quads),
	        cmocka_unit_test(w3c_signed_document),
	        cmocka_unit_test(w3c_proof_configuration),
	        cmocka_unit_test(w3c_employment_vector),
	        cmocka_unit_test(jsonld_cases),
	        cmocka_unit_test(oorkonde_credential_fully_defined),
	        cmocka_unit_test(own_formats_fully_defined),
	        cmocka_unit_test(unknown_context_refused),
	        cmocka_unit_test(protected_redefinition_refused),
	        cmocka_unit_test(strict_mode_names_dropped_terms),
	        cmocka_unit_test(defined_terms_only),
	        cmocka_unit_test(relative_iris_and_unsupported_features),
	        cmocka_unit_test(numbers_as_specified),
	        cmocka_unit_test(limits),
	        cmocka_unit_test(big_objects_refused_fast),
	        cmocka_unit_test(plain_form_only),
	        cmocka_unit_test(pinned_contexts_one_name_per_read_property),
	        cmocka_unit_test(pinned_documents_served),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
