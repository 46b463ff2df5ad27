/* Unit tests of src/elmo/: a document written and signed reads back the same through the
 * verifying reader; one changed byte, another key, a second signature, a DOCTYPE, deep nesting
 * and a gzip bomb are refused with their reasons; the PDF's cross-references point at its
 * objects; a key that is not the certificate's is refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>
#include <zlib.h>

#include "elmo/elmo.h"

struct keys {
	struct buf key, cert;
};

static void keys_make(struct keys *k, const char *cn)
{
	buf_init(&k->key, 1 << 16);
	buf_init(&k->cert, 1 << 16);
	assert_int_equal(elmo_keygen(cn, 30, &k->key, &k->cert, NULL), 0);
}

static void keys_release(struct keys *k)
{
	buf_release(&k->key);
	buf_release(&k->cert);
}

static void sample(struct elmo_document *doc)
{
	struct elmo_report *r;
	struct elmo_result *x;

	elmo_document_init(doc);
	doc->generated_ms = 1764979200000;
	strcpy(doc->learner.given_names, "Zo\u00eb");
	strcpy(doc->learner.family_name, "\u00de\u00f3rsd\u00f3ttir");
	strcpy(doc->learner.birth_date, "2001-02-03");
	r = elmo_add_report(doc, NULL);
	strcpy(r->country, "NL");
	strcpy(r->erasmus, "NL GRONING01");
	strcpy(r->local, "21PB");
	strcpy(r->title, "Rijksuniversiteit Groningen");
	strcpy(r->url, "https://rug.example");
	r->issued_ms = doc->generated_ms;
	x = elmo_add_result(r, NULL);
	strcpy(x->type, "Course");
	strcpy(x->title, "Logica \u2200x");
	strcpy(x->grade, "8.5");
	strcpy(x->grading_scheme, "NL 1-10");
	strcpy(x->date, "2021-01-12");
	x->credits_centi = 750;
	strcpy(x->language, "nl");
	x = elmo_add_result(r, NULL);
	strcpy(x->type, "Degree Programme");
	strcpy(x->title, "BSc Wiskunde");
	x->credits_centi = 18000;
	x->eqf_level = 6;
	strcpy(x->date, "2022-07-01");
	r = elmo_add_report(doc, NULL);
	strcpy(r->country, "BE");
	strcpy(r->local, "KUL");
	strcpy(r->title, "KU Leuven");
	strcpy(r->url, "https://kul.example");
	x = elmo_add_result(r, NULL);
	strcpy(x->type, "Module");
	strcpy(x->title, "Algebra");
	strcpy(x->grade, "14");
	x->credits_centi = 600;
}

static void export_sample(const struct keys *k, struct buf *out)
{
	struct elmo_document doc;

	sample(&doc);
	buf_init(out, 1 << 24);
	assert_int_equal(
	        elmo_export(&doc, k->key.data, k->key.len, k->cert.data, k->cert.len, out, NULL),
	        0);
	elmo_document_release(&doc);
}

static int count_fragments(void *ctx, size_t report, size_t result, const char *xml, size_t len)
{
	(void)report;
	(void)result;
	assert_non_null(strstr(xml, "learningOpportunitySpecification"));
	assert_true(len > 0);
	(*(size_t *)ctx)++;
	return 0;
}

static int import(const struct keys *k, const char *data, size_t len, bool sha1,
                  struct elmo_document *doc, struct ok_error *err)
{
	struct elmo_import_options o = {k->cert.data, k->cert.len, sha1, 0};
	struct elmo_signature_info sig;

	elmo_document_init(doc);
	ok_error_clear(err);
	return elmo_import(data, len, &o, doc, &sig, NULL, NULL, err);
}

static void round_trip_reads_back_what_was_written(void **state)
{
	struct elmo_import_options o;
	struct elmo_signature_info sig;
	struct elmo_document doc;
	struct ok_error err;
	struct keys k;
	struct buf xml;
	size_t fragments = 0;

	(void)state;
	keys_make(&k, "NCP");
	export_sample(&k, &xml);
	o = (struct elmo_import_options){k.cert.data, k.cert.len, false, 0};
	elmo_document_init(&doc);
	ok_error_clear(&err);
	assert_int_equal(
	        elmo_import(xml.data, xml.len, &o, &doc, &sig, count_fragments, &fragments, &err),
	        0);
	assert_string_equal(sig.method, "ecdsa-sha256");
	assert_false(sig.sha1);
	assert_int_equal(fragments, 3);
	assert_string_equal(doc.learner.given_names, "Zo\u00eb");
	assert_string_equal(doc.learner.family_name, "\u00de\u00f3rsd\u00f3ttir");
	assert_string_equal(doc.learner.birth_date, "2001-02-03");
	assert_int_equal(doc.count, 2);
	assert_string_equal(doc.reports[0].erasmus, "NL GRONING01");
	assert_string_equal(doc.reports[0].title, "Rijksuniversiteit Groningen");
	assert_int_equal(doc.reports[0].count, 2);
	assert_string_equal(doc.reports[0].results[0].title, "Logica \u2200x");
	assert_string_equal(doc.reports[0].results[0].grade, "8.5");
	assert_string_equal(doc.reports[0].results[0].grading_scheme, "NL 1-10");
	assert_int_equal(doc.reports[0].results[0].credits_centi, 750);
	assert_string_equal(doc.reports[0].results[0].status, "passed");
	assert_string_equal(doc.reports[0].results[1].type, "Degree Programme");
	assert_int_equal(doc.reports[0].results[1].eqf_level, 6);
	assert_int_equal(doc.reports[0].results[1].credits_centi, 18000);
	assert_string_equal(doc.reports[1].results[0].type, "Module");
	assert_string_equal(doc.reports[1].country, "BE");
	elmo_document_release(&doc);
	buf_release(&xml);
	keys_release(&k);
}

static void gzip_reads_too(void **state)
{
	struct elmo_document doc;
	struct ok_error err;
	struct keys k;
	struct buf xml;
	unsigned char *packed;
	uLongf n;
	gz_header h;
	z_stream z;

	(void)state;
	(void)h;
	keys_make(&k, "NCP");
	export_sample(&k, &xml);
	n = compressBound(xml.len) + 64;
	packed = malloc(n);
	memset(&z, 0, sizeof(z));
	assert_int_equal(deflateInit2(&z, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY),
	                 Z_OK);
	z.next_in = (unsigned char *)xml.data;
	z.avail_in = (uInt)xml.len;
	z.next_out = packed;
	z.avail_out = (uInt)n;
	assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
	assert_int_equal(import(&k, (const char *)packed, z.total_out, false, &doc, &err), 0);
	assert_int_equal(doc.count, 2);
	/* Cut short: refused as damaged, not read as far as it goes. */
	elmo_document_release(&doc);
	assert_int_not_equal(import(&k, (const char *)packed, z.total_out / 2, false, &doc, &err),
	                     0);
	assert_string_equal(err.field, "elmo");
	deflateEnd(&z);
	free(packed);
	elmo_document_release(&doc);
	buf_release(&xml);
	keys_release(&k);
}

static void any_change_or_other_key_is_refused(void **state)
{
	struct elmo_document doc;
	struct ok_error err;
	struct keys k, other;
	struct buf xml;
	char *p;

	(void)state;
	keys_make(&k, "NCP");
	keys_make(&other, "Other");
	export_sample(&k, &xml);
	assert_int_equal(import(&other, xml.data, xml.len, false, &doc, &err), OK_EINVALID);
	assert_string_equal(err.field, "signature");
	elmo_document_release(&doc);

	p = strstr(xml.data, "<resultLabel>8.5<");
	assert_non_null(p);
	p[13] = '9';
	assert_int_equal(import(&k, xml.data, xml.len, false, &doc, &err), OK_EINVALID);
	assert_string_equal(err.field, "signature");
	assert_int_equal(doc.count, 0); /* nothing was read */
	elmo_document_release(&doc);
	p[13] = '8';
	assert_int_equal(import(&k, xml.data, xml.len, false, &doc, &err), 0);
	elmo_document_release(&doc);

	/* Without its signature. */
	p = strstr(xml.data, "<Signature ");
	assert_non_null(p);
	memcpy(p, "</elmo>", 8);
	assert_int_equal(import(&k, xml.data, strlen(xml.data), false, &doc, &err), OK_EINVALID);
	assert_non_null(strstr(err.message, "not signed"));
	elmo_document_release(&doc);
	buf_release(&xml);
	keys_release(&k);
	keys_release(&other);
}

static void hostile_xml_is_refused(void **state)
{
	static const char laughs[] =
	        "<?xml version=\"1.0\"?><!DOCTYPE elmo [<!ENTITY a \"aaaaaaaaaa\">"
	        "<!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">]><elmo><learner><givenNames>&b;"
	        "</givenNames></learner></elmo>";
	static const char external[] = "<!DOCTYPE elmo SYSTEM \"http://127.0.0.1:9/x.dtd\"><elmo/>";
	struct elmo_document doc;
	struct ok_error err;
	struct keys k;
	struct buf deep;
	int i;

	(void)state;
	keys_make(&k, "NCP");
	assert_int_equal(import(&k, laughs, strlen(laughs), false, &doc, &err), OK_EINPUT);
	assert_string_equal(err.field, "dtd");
	elmo_document_release(&doc);
	assert_int_equal(import(&k, external, strlen(external), false, &doc, &err), OK_EINPUT);
	assert_string_equal(err.field, "dtd");
	elmo_document_release(&doc);

	buf_init(&deep, 1 << 20);
	buf_addstr(&deep, "<elmo>");
	for (i = 0; i < 100; i++)
		buf_addstr(&deep, "<a>");
	for (i = 0; i < 100; i++)
		buf_addstr(&deep, "</a>");
	buf_addstr(&deep, "</elmo>");
	assert_int_equal(import(&k, deep.data, deep.len, false, &doc, &err), OK_ETOOBIG);
	elmo_document_release(&doc);
	assert_int_equal(import(&k, "<elmo>\xff</elmo>", 15, false, &doc, &err), OK_EINPUT);
	assert_string_equal(err.field, "xml");
	elmo_document_release(&doc);
	buf_release(&deep);
	keys_release(&k);
}

static void gzip_bomb_stops_at_the_cap(void **state)
{
	size_t big = (size_t)32 << 20, n = compressBound(big);
	unsigned char *zeros = calloc(1, big), *packed = malloc(n);
	struct elmo_document doc;
	struct ok_error err;
	struct keys k;
	z_stream z;

	(void)state;
	keys_make(&k, "NCP");
	memset(&z, 0, sizeof(z));
	assert_int_equal(deflateInit2(&z, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY),
	                 Z_OK);
	z.next_in = zeros;
	z.avail_in = (uInt)big;
	z.next_out = packed;
	z.avail_out = (uInt)n;
	assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
	assert_true(z.total_out < ((size_t)1 << 20));
	assert_int_equal(import(&k, (const char *)packed, z.total_out, false, &doc, &err),
	                 OK_ETOOBIG);
	/* 32 KB of gzip stop at 64 times their size, long before the 16 MiB cap. */
	assert_non_null(strstr(err.message, "64 times"));
	deflateEnd(&z);
	elmo_document_release(&doc);
	free(zeros);
	free(packed);
	keys_release(&k);
}

/* E1 of the s7 review: the limits hold while parsing. ELMO_NODES_MAX + 1 elements and then
 * a mismatched end tag: refused for the count, which shows the parser stopped at the limit and
 * never reached the end (counted afterwards, it would be refused as not well-formed). */
static void elements_are_counted_while_parsing(void **state)
{
	struct elmo_document doc;
	struct ok_error err;
	struct keys k;
	struct buf x;
	int i;

	(void)state;
	keys_make(&k, "NCP");
	buf_init(&x, (size_t)4 << 20);
	buf_addstr(&x, "<elmo>");
	for (i = 0; i <= ELMO_NODES_MAX; i++)
		buf_addstr(&x, "<a/>");
	buf_addstr(&x, "</b>");
	assert_int_equal(import(&k, x.data, x.len, false, &doc, &err), OK_ETOOBIG);
	assert_string_equal(err.field, "elmo");
	assert_non_null(strstr(err.message, "elements"));
	elmo_document_release(&doc);
	buf_release(&x);
	keys_release(&k);
}

/* libxml2 2.9 checks an element's attributes pairwise before any callback: 100,000 of them
 * took minutes. They are refused before the parse. */
static void attributes_of_one_element_are_capped(void **state)
{
	struct elmo_document doc;
	struct ok_error err;
	struct keys k;
	struct buf x;
	char a[32];
	int i;

	(void)state;
	keys_make(&k, "NCP");
	buf_init(&x, (size_t)4 << 20);
	buf_addstr(&x, "<elmo");
	for (i = 0; i < 100000; i++) {
		snprintf(a, sizeof(a), " b%d=\"=\"", i);
		buf_addstr(&x, a);
	}
	buf_addstr(&x, "/>");
	assert_int_equal(import(&k, x.data, x.len, false, &doc, &err), OK_ETOOBIG);
	assert_non_null(strstr(err.message, "attributes"));
	elmo_document_release(&doc);
	/* ELMO_ATTRS_MAX of them, '=' in quoted values not counted, pass the scan. */
	x.len = 0;
	buf_addstr(&x, "<elmo");
	for (i = 0; i < ELMO_ATTRS_MAX; i++) {
		snprintf(a, sizeof(a), " b%d='a=b'", i);
		buf_addstr(&x, a);
	}
	buf_addstr(&x, "><!-- a=b c=d --></elmo>");
	assert_int_equal(import(&k, x.data, x.len, false, &doc, &err), OK_EINVALID);
	assert_string_equal(err.field, "signature");
	elmo_document_release(&doc);
	buf_release(&x);
	keys_release(&k);
}

/* The caller's cap (the HTTP path's 4 MiB) holds for plain XML and for gzip. */
static void callers_cap_holds(void **state)
{
	struct elmo_import_options o;
	struct elmo_signature_info sig;
	struct elmo_document doc;
	struct ok_error err;
	struct keys k;
	struct buf x;

	(void)state;
	keys_make(&k, "NCP");
	buf_init(&x, (size_t)8 << 20);
	buf_addstr(&x, "<elmo>");
	while (x.len < ((size_t)5 << 20))
		buf_addstr(&x, "<!-- padding padding padding padding padding padding -->");
	buf_addstr(&x, "</elmo>");
	o = (struct elmo_import_options){k.cert.data, k.cert.len, false, (size_t)4 << 20};
	elmo_document_init(&doc);
	ok_error_clear(&err);
	assert_int_equal(elmo_import(x.data, x.len, &o, &doc, &sig, NULL, NULL, &err), OK_ETOOBIG);
	assert_non_null(strstr(err.message, "4 MiB"));
	elmo_document_release(&doc);
	buf_release(&x);
	keys_release(&k);
}

/* E10 of the s7 review: a registered certificate that expired is trusted no more. */
static void expired_certificate_is_refused(void **state)
{
	struct elmo_document doc;
	struct ok_error err;
	struct keys k;
	struct buf xml;

	(void)state;
	buf_init(&k.key, 1 << 16);
	buf_init(&k.cert, 1 << 16);
	assert_int_equal(elmo_keygen("NCP", -1, &k.key, &k.cert, NULL), 0);
	export_sample(&k, &xml);
	assert_int_equal(import(&k, xml.data, xml.len, false, &doc, &err), OK_EINVALID);
	assert_string_equal(err.field, "signature");
	assert_non_null(strstr(err.message, "expired on 20"));
	elmo_document_release(&doc);
	buf_release(&xml);
	keys_release(&k);
}

static void pdf_cross_references_hold(void **state)
{
	struct elmo_document doc;
	struct buf pdf;
	const char *x;
	char want[32];
	size_t n = 0;
	long offset;

	(void)state;
	sample(&doc);
	buf_init(&pdf, 1 << 20);
	assert_int_equal(elmo_pdf(&doc, &pdf, NULL), 0);
	assert_memory_equal(pdf.data, "%PDF-1.4", 8);
	assert_non_null(strstr(pdf.data, "(  2021-01-12  Logica ?x) '"));
	x = strstr(pdf.data, "\nxref\n0 ");
	assert_non_null(x);
	x = strstr(x, "65535 f \n") + 9;
	while (sscanf(x, "%10ld 00000 n \n", &offset) == 1) {
		snprintf(want, sizeof(want), "%zu 0 obj", ++n);
		assert_memory_equal(pdf.data + offset, want, strlen(want));
		x += 20;
	}
	assert_int_equal(n, 5); /* catalog, pages, font, one page and its contents */
	buf_release(&pdf);
	elmo_document_release(&doc);
}

static void key_must_be_the_certificates(void **state)
{
	struct ok_error err;
	struct keys a, b;

	(void)state;
	keys_make(&a, "A");
	keys_make(&b, "B");
	assert_int_equal(elmo_key_check(a.key.data, a.key.len, a.cert.data, a.cert.len, NULL), 0);
	ok_error_clear(&err);
	assert_int_equal(elmo_key_check(b.key.data, b.key.len, a.cert.data, a.cert.len, &err),
	                 OK_EINPUT);
	assert_non_null(strstr(err.message, "not the certificate's key"));
	assert_int_equal(elmo_key_check("x", 1, a.cert.data, a.cert.len, &err), OK_EINPUT);
	keys_release(&a);
	keys_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(round_trip_reads_back_what_was_written),
	        cmocka_unit_test(gzip_reads_too),
	        cmocka_unit_test(any_change_or_other_key_is_refused),
	        cmocka_unit_test(hostile_xml_is_refused),
	        cmocka_unit_test(gzip_bomb_stops_at_the_cap),
	        cmocka_unit_test(elements_are_counted_while_parsing),
	        cmocka_unit_test(attributes_of_one_element_are_capped),
	        cmocka_unit_test(callers_cap_holds),
	        cmocka_unit_test(expired_certificate_is_refused),
	        cmocka_unit_test(pdf_cross_references_hold),
	        cmocka_unit_test(key_must_be_the_certificates),
	};

	if (sodium_init() < 0 || elmo_global_init(NULL) != 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
