/* ELMO documents (EMREX, schema 1.7.0): a learner's results written as ELMO XML with a PDF of
 * the same data, signed with an enveloped XML signature (libxmlsec1, OpenSSL), and documents of
 * other contact points read back after their signature was checked. Free of any store: the
 * registry (registry/elmo_*.c) fills and consumes the structs below.
 *
 * Invariants:
 * - A struct elmo_document owns its arrays; elmo_document_release frees them (and wipes the
 *   learner's fields). Strings are UTF-8, NUL-terminated, cut never: a longer value is an error.
 * - What elmo_export writes is valid against the ELMO 1.7.0 schema.
 * - elmo_import parses with DTDs, entities and the network off, within ELMO_INPUT_MAX bytes
 *   (after gunzip, which may unpack at most ELMO_GZIP_RATIO times its input past
 *   ELMO_GZIP_FREE), ELMO_DEPTH_MAX levels, ELMO_ATTRS_MAX attributes an element and
 *   ELMO_NODES_MAX elements and attributes, all counted while parsing, and reads nothing before
 *   the signature has been verified against the one certificate the caller gives.
 * - elmo_global_init runs once in main, before any other function here (libxml2 and xmlsec keep
 *   process-wide state).
 */
#ifndef OK_ELMO_ELMO_H
#define OK_ELMO_ELMO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/error.h"

#define ELMO_INPUT_MAX   ((size_t)16 << 20) /* bytes of XML, after gunzip */
#define ELMO_DEPTH_MAX   64
#define ELMO_NODES_MAX   200000 /* elements and attributes, counted while parsing */
#define ELMO_ATTRS_MAX   32     /* attributes (and namespace declarations) of one element */
#define ELMO_GZIP_RATIO  64     /* gzip may unpack to this many times its size ... */
#define ELMO_GZIP_FREE   ((size_t)1 << 20) /* ... once past this many bytes */
#define ELMO_RESULTS_MAX 5000
#define ELMO_REPORTS_MAX 200
#define ELMO_TEXT_MAX    1200 /* bytes of one title, name or label */

struct elmo_learner {
	char given_names[ELMO_TEXT_MAX + 1];
	char family_name[ELMO_TEXT_MAX + 1];
	char birth_date[11];  /* YYYY-MM-DD, or "" */
	char citizenship[3];  /* ISO 3166 alpha-2, or "" */
	char national_id[65]; /* exported only when set; "" for none */
	char national_id_country[3];
};

struct elmo_result {
	char type[32]; /* "Degree Programme", "Module", "Course" (or another revision's word) */
	char local_id[258];
	char title[ELMO_TEXT_MAX + 1];
	char title_lang[9];            /* the language of title when known, else "" */
	long credits_centi;            /* ECTS hundredths, -1 = none */
	int eqf_level;                 /* 1..8, 0 = none */
	char language[9];              /* language of instruction, or "" */
	char grade[ELMO_TEXT_MAX + 1]; /* the result label, or "" */
	char grading_scheme[258];      /* a description of the scale, or "" */
	char date[11];                 /* YYYY-MM-DD the result was obtained, or "" */
	char status[16];               /* passed, failed, in-progress, or "" */
};

struct elmo_report {
	char country[3];
	char erasmus[33], schac[101], local[65]; /* identifiers, "" when unknown */
	char title[ELMO_TEXT_MAX + 1];           /* the institution's name */
	char url[300];
	int64_t issued_ms;
	struct elmo_result *results; /* owned */
	size_t count, cap;
};

struct elmo_document {
	int64_t generated_ms;
	struct elmo_learner learner;
	struct elmo_report *reports; /* owned */
	size_t count, cap;
};

void elmo_document_init(struct elmo_document *doc);
void elmo_document_release(struct elmo_document *doc);
/* A new report (zeroed) at the end of doc; NULL with OK_ENOMEM / OK_ELIMIT in err. */
struct elmo_report *elmo_add_report(struct elmo_document *doc, struct ok_error *err);
/* A new result (credits -1, level 0) at the end of r. */
struct elmo_result *elmo_add_result(struct elmo_report *r, struct ok_error *err);

/* Process set-up (main only): libxml2, xmlsec and its OpenSSL back end. 0 or OK_ECRYPTO. */
int elmo_global_init(struct ok_error *err);
void elmo_global_release(void);

/* Writing */

/* A PDF (1.4, Helvetica, A4 pages) listing the document's learner and results: appended to
 * out. Characters outside Latin-1 are shown as '?'. */
int elmo_pdf(const struct elmo_document *doc, struct buf *out, struct ok_error *err);

/*
 * Writes doc as ELMO 1.7.0 XML with the PDF as an attachment, signed with key_pem (a PEM
 * private key, EC P-256 or RSA) and cert_pem (its certificate, put in KeyInfo/X509Data):
 * an enveloped signature over the whole document, exclusive C14N, ECDSA- or RSA-SHA256.
 * Appends the document's bytes to out. OK_EINPUT (field named) for a value the schema refuses,
 * OK_ECRYPTO when the key or certificate does not load or signing fails.
 */
int elmo_export(const struct elmo_document *doc, const char *key_pem, size_t key_len,
                const char *cert_pem, size_t cert_len, struct buf *out, struct ok_error *err);

/* Reading */

struct elmo_import_options {
	const char *cert_pem; /* the only certificate a signature may be made with */
	size_t cert_len;
	bool accept_sha1; /* RSA-SHA1 / SHA-1 digests accepted (for this sender only) */
	size_t xml_max;   /* bytes of XML after gunzip; 0 (or more) = ELMO_INPUT_MAX */
};

struct elmo_signature_info {
	bool sha1;       /* the signature or its digest used SHA-1 */
	char method[64]; /* "rsa-sha256", "ecdsa-sha256", "rsa-sha1" */
	unsigned char document_sha256[32];
};

/*
 * Reads len bytes at data (ELMO XML, or its gzip), verifies its enveloped signature against
 * o->cert_pem and fills out (which the caller has initialised) with the learner and reports.
 * OK_ETOOBIG for input past the limits (field "elmo"), OK_EINPUT for input that is not a
 * well-formed ELMO document (field names what: "xml", "dtd", "learner", "report", "result"),
 * OK_EINVALID (field "signature") for a missing, wrong or disallowed signature. Nothing of the
 * document is read before its signature holds. For each result, xml_out (when not NULL) gets a
 * callback with the serialised learningOpportunitySpecification, in order.
 */
typedef int (*elmo_fragment_fn)(void *ctx, size_t report, size_t result, const char *xml,
                                size_t len);
int elmo_import(const char *data, size_t len, const struct elmo_import_options *o,
                struct elmo_document *out, struct elmo_signature_info *sig,
                elmo_fragment_fn xml_out, void *ctx, struct ok_error *err);

/* The reading of a parsed document without the signature check (for the fuzz target and the
 * unit tests): the same limits and the same liberal reading. */
int elmo_parse_unsigned(const char *data, size_t len, struct elmo_document *out,
                        struct ok_error *err);

/* Keys */

/* A new EC P-256 key and a self-signed certificate for it (CN = common_name, valid days days):
 * both PEM, appended to key_pem and cert_pem. */
int elmo_keygen(const char *common_name, int days, struct buf *key_pem, struct buf *cert_pem,
                struct ok_error *err);
/* Whether key_pem is the private key of cert_pem (and both load); OK_EINPUT naming which
 * does not. */
int elmo_key_check(const char *key_pem, size_t key_len, const char *cert_pem, size_t cert_len,
                   struct ok_error *err);
/* The certificate's subject and SHA-256 fingerprint (hex, colon-free), for listings. */
int elmo_cert_describe(const char *cert_pem, size_t cert_len, char subject[256],
                       char fingerprint[65], int64_t *not_after_ms, struct ok_error *err);

#endif
