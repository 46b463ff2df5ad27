/* The EMREX benchmark (issue 19; bench/elmo runs it, see docs/benchmarks.md).
 *
 *   elmo_bench [--seconds S] [--results N] [--rounds R]
 *
 * A learner with N results (default 60) in three reports, the ELMO key made with elmo_keygen
 * (EC P-256) and, for the RSA rows, an RSA-2048 key. Times, one thread, S seconds each (default
 * 3), R rounds (default 3), printing one tab-separated line per case and round:
 *
 *   case  ops  wall_s  cpu_s  per_wall_s  per_cpu_s  bytes
 *
 * cases: export (elmo_export: the XML, the PDF attachment, the signature, serialised), import
 * (elmo_import: parse, verify against the certificate, read), xmldsig-sign (the enveloped
 * signature alone, over a copy of the unsigned tree: the copy included), ed25519-sign (libsodium
 * over the document's SHA-256, as a credential's Data Integrity proof signs a 64-byte hash
 * pair), and the same for an RSA key (export-rsa, import-rsa). Every import must verify.
 */
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_clock.h"
#include "elmo/elmo_internal.h"

struct ctx {
	struct elmo_document doc;
	struct buf key, cert;
	struct buf signed_xml;
	xmlDocPtr unsigned_tree;
	unsigned char seed[32], pk[32], sk[64];
};

static const char *const titles[] = {
        "Introduction to Logic", "Calculus 1",    "Linear Algebra", "Statistiek",
        "Programmeren",          "Databases",     "Mechanica",      "Optica",
        "Quantum Physics",       "Thermodynamica"};

static void fill(struct elmo_document *doc, int n)
{
	static const char *const inst[] = {"Rijksuniversiteit Groningen", "Universiteit Utrecht",
	                                   "Technische Universiteit Delft"};
	int i;

	elmo_document_init(doc);
	doc->generated_ms = 1764979200000;
	strcpy(doc->learner.given_names, "\xc5\x81ukasz");
	strcpy(doc->learner.family_name, "Jansen");
	strcpy(doc->learner.birth_date, "1998-03-27");
	for (i = 0; i < 3; i++) {
		struct elmo_report *r = elmo_add_report(doc, NULL);

		strcpy(r->country, "NL");
		snprintf(r->erasmus, sizeof(r->erasmus), "NL UNI%02d", i);
		snprintf(r->local, sizeof(r->local), "%02dXX", i);
		strcpy(r->title, inst[i]);
		strcpy(r->url, "https://diploma.example.nl");
	}
	for (i = 0; i < n; i++) {
		struct elmo_result *x = elmo_add_result(&doc->reports[i % 3], NULL);

		strcpy(x->type, i % 20 == 19 ? "Degree Programme" : i % 4 ? "Course" : "Module");
		snprintf(x->local_id, sizeof(x->local_id), "R-%04d", i);
		snprintf(x->title, sizeof(x->title), "%s %d", titles[i % 10], i / 10 + 1);
		snprintf(x->grade, sizeof(x->grade), "%d.%d", 6 + i % 4, i % 10);
		strcpy(x->grading_scheme, "NL 1-10");
		snprintf(x->date, sizeof(x->date), "20%02d-%02d-15", (19 + i / 20) % 100,
		         1 + i % 12);
		x->credits_centi = i % 20 == 19 ? 18000 : 500 + 250 * (i % 3);
		x->eqf_level = i % 20 == 19 ? 6 : 0;
		strcpy(x->language, i % 2 ? "nl" : "en");
	}
}

static int do_export(void *p)
{
	struct ctx *c = p;
	struct buf out;
	int rc;

	buf_init(&out, 1 << 24);
	rc = elmo_export(&c->doc, c->key.data, c->key.len, c->cert.data, c->cert.len, &out, NULL);
	buf_release(&out);
	return rc;
}

static int do_import(void *p)
{
	struct ctx *c = p;
	struct elmo_import_options o = {c->cert.data, c->cert.len, false};
	struct elmo_signature_info sig;
	struct elmo_document doc;
	int rc;

	elmo_document_init(&doc);
	rc = elmo_import(c->signed_xml.data, c->signed_xml.len, &o, &doc, &sig, NULL, NULL, NULL);
	elmo_document_release(&doc);
	return rc;
}

static int do_xmldsig(void *p)
{
	struct ctx *c = p;
	xmlDocPtr copy = xmlCopyDoc(c->unsigned_tree, 1);
	int rc =
	        copy ? elmo_sign_doc(copy, c->key.data, c->key.len, c->cert.data, c->cert.len, NULL)
	             : -1;

	xmlFreeDoc(copy);
	return rc;
}

static int do_ed25519(void *p)
{
	struct ctx *c = p;
	unsigned char h[64], sig[64];

	/* What a Data Integrity proof signs: two SHA-256 hashes (here of the document, twice). */
	crypto_hash_sha256(h, (const unsigned char *)c->signed_xml.data, c->signed_xml.len);
	memcpy(h + 32, h, 32);
	return crypto_sign_detached(sig, NULL, h, sizeof(h), c->sk);
}

static int rsa_pair(struct buf *key, struct buf *cert)
{
	EVP_PKEY *pkey = EVP_RSA_gen(2048);
	X509 *x = X509_new();
	BIO *kb = BIO_new(BIO_s_mem()), *cb = BIO_new(BIO_s_mem());
	char *p;
	long n;
	int rc = -1;

	if (pkey && x && kb && cb && X509_set_version(x, 2) &&
	    X509_gmtime_adj(X509_getm_notBefore(x), 0) &&
	    X509_gmtime_adj(X509_getm_notAfter(x), 86400) &&
	    X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
	                               (const unsigned char *)"bench", -1, -1, 0) &&
	    X509_set_issuer_name(x, X509_get_subject_name(x)) && X509_set_pubkey(x, pkey) &&
	    X509_sign(x, pkey, EVP_sha256()) &&
	    PEM_write_bio_PrivateKey(kb, pkey, NULL, NULL, 0, NULL, NULL) &&
	    PEM_write_bio_X509(cb, x)) {
		n = BIO_get_mem_data(kb, &p);
		buf_add(key, p, (size_t)n);
		n = BIO_get_mem_data(cb, &p);
		buf_add(cert, p, (size_t)n);
		rc = 0;
	}
	BIO_free(kb);
	BIO_free(cb);
	X509_free(x);
	EVP_PKEY_free(pkey);
	return rc;
}

static void report(const char *name, const struct bench_run *r, size_t bytes)
{
	printf("%s\t%llu\t%.3f\t%.3f\t%.1f\t%.1f\t%zu\n", name, (unsigned long long)r->ops,
	       r->wall_s, r->cpu_s, (double)r->ops / r->wall_s, (double)r->ops / r->cpu_s, bytes);
	fflush(stdout);
}

static int prepare(struct ctx *c, int rsa)
{
	struct buf tmp;
	char *p;

	buf_reset(&c->key);
	buf_reset(&c->cert);
	if (rsa ? rsa_pair(&c->key, &c->cert) : elmo_keygen("bench", 1, &c->key, &c->cert, NULL))
		return -1;
	buf_reset(&c->signed_xml);
	if (elmo_export(&c->doc, c->key.data, c->key.len, c->cert.data, c->cert.len, &c->signed_xml,
	                NULL))
		return -1;
	/* The unsigned tree: the signed document with its signature taken out. */
	buf_init(&tmp, 1 << 24);
	buf_add(&tmp, c->signed_xml.data, c->signed_xml.len);
	p = strstr(tmp.data, "<Signature ");
	if (!p)
		return -1;
	strcpy(p, "</elmo>");
	if (c->unsigned_tree)
		xmlFreeDoc(c->unsigned_tree);
	c->unsigned_tree =
	        xmlReadMemory(tmp.data, (int)strlen(tmp.data), NULL, NULL, XML_PARSE_NONET);
	buf_release(&tmp);
	return c->unsigned_tree ? 0 : -1;
}

int main(int argc, char **argv)
{
	static struct ctx c;
	double seconds = 3;
	int results = 60, rounds = 3, i, round;
	struct bench_run r;

	for (i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--seconds"))
			seconds = atof(argv[i + 1]);
		else if (!strcmp(argv[i], "--results"))
			results = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--rounds"))
			rounds = atoi(argv[i + 1]);
	}
	if (sodium_init() < 0 || elmo_global_init(NULL))
		return 1;
	fill(&c.doc, results);
	buf_init(&c.key, 1 << 16);
	buf_init(&c.cert, 1 << 16);
	buf_init(&c.signed_xml, 1 << 24);
	crypto_sign_keypair(c.pk, c.sk);
	for (round = 0; round < rounds; round++) {
		if (prepare(&c, 0))
			return fprintf(stderr, "elmo_bench: cannot make the EC document\n"), 1;
		if (bench_loop(seconds, do_export, &c, &r))
			return 1;
		report("export", &r, c.signed_xml.len);
		if (bench_loop(seconds, do_import, &c, &r))
			return fprintf(stderr, "import failed\n"), 1;
		report("import", &r, c.signed_xml.len);
		if (bench_loop(seconds, do_xmldsig, &c, &r))
			return 1;
		report("xmldsig-sign", &r, c.signed_xml.len);
		if (bench_loop(seconds, do_ed25519, &c, &r))
			return 1;
		report("ed25519-sign", &r, 64);
		if (prepare(&c, 1))
			return fprintf(stderr, "elmo_bench: cannot make the RSA document\n"), 1;
		if (bench_loop(seconds, do_export, &c, &r))
			return 1;
		report("export-rsa", &r, c.signed_xml.len);
		if (bench_loop(seconds, do_import, &c, &r))
			return fprintf(stderr, "import failed\n"), 1;
		report("import-rsa", &r, c.signed_xml.len);
		if (bench_loop(seconds, do_xmldsig, &c, &r))
			return 1;
		report("xmldsig-sign-rsa", &r, c.signed_xml.len);
	}
	xmlFreeDoc(c.unsigned_tree);
	elmo_document_release(&c.doc);
	buf_release(&c.key);
	buf_release(&c.cert);
	buf_release(&c.signed_xml);
	return 0;
}
