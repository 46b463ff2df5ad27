/* Writing an ELMO 1.7.0 document from struct elmo_document (see elmo.h): the learner, a report
 * per institution with a learningOpportunitySpecification per result, the PDF attachment, and
 * the signature (elmo_sign.c). */
#include "elmo/elmo_internal.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/format.h"

static xmlNodePtr add(xmlNodePtr parent, xmlNsPtr ns, const char *name, const char *text)
{
	return xmlNewTextChild(parent, ns, BAD_CAST name, text ? BAD_CAST text : NULL);
}

static xmlNodePtr add_lang(xmlNodePtr parent, xmlNsPtr ns, const char *name, const char *text,
                           const char *lang)
{
	xmlNodePtr n = add(parent, ns, name, text);

	if (n && lang && lang[0])
		xmlNodeSetLang(n, BAD_CAST lang);
	return n;
}

static xmlNodePtr add_id(xmlNodePtr parent, xmlNsPtr ns, const char *type, const char *value)
{
	xmlNodePtr n = add(parent, ns, "identifier", value);

	if (n)
		xmlNewProp(n, BAD_CAST "type", BAD_CAST type);
	return n;
}

static void date_time(int64_t ms, char out[32])
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* The ELMO word for a result's type: the schema knows four; anything else is a Course. */
static const char *los_type(const char *type)
{
	static const char *const known[] = {"Degree Programme", "Module", "Course", "Class"};
	size_t i;

	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strcmp(type, known[i]) == 0)
			return known[i];
	return "Course";
}

static int decimal(long centi, char out[32])
{
	if (centi % 100 == 0)
		return ok_format(out, 32, "%ld", centi / 100);
	return ok_format(out, 32, "%ld.%02ld", centi / 100, centi % 100);
}

/* Whether s is a date the schema's xs:date takes (YYYY-MM-DD). */
static bool is_date(const char *s)
{
	int i;

	for (i = 0; i < 10; i++)
		if (i == 4 || i == 7 ? s[i] != '-' : (s[i] < '0' || s[i] > '9'))
			return false;
	return s[10] == '\0';
}

/* The local id of result x's grading scheme in report r: "gsN", N the first result (from 1)
 * with the same scheme, so equal schemes share one gradingScheme element. */
static void scheme_id(const struct elmo_report *r, size_t x, char out[32])
{
	size_t j;

	for (j = 0; j < x; j++)
		if (strcmp(r->results[j].grading_scheme, r->results[x].grading_scheme) == 0)
			break;
	snprintf(out, 32, "gs%zu", j + 1);
}

static int add_result(xmlNodePtr report, xmlNsPtr ns, const struct elmo_report *r, size_t i,
                      struct ok_error *err)
{
	const struct elmo_result *x = &r->results[i];
	xmlNodePtr los, loi, n;
	char num[32];

	los = add(report, ns, "learningOpportunitySpecification", NULL);
	if (!los)
		return ok_fail(err, OK_ENOMEM, "out of memory");
	if (x->local_id[0])
		add_id(los, ns, "local", x->local_id);
	if (!x->title[0])
		return ok_fail_field(err, OK_EINPUT, "title", "result %zu has no title", i + 1);
	add_lang(los, ns, "title", x->title, x->title_lang);
	add(los, ns, "type", los_type(x->type));
	loi = add(add(los, ns, "specifies", NULL), ns, "learningOpportunityInstance", NULL);
	if (x->date[0]) {
		if (!is_date(x->date))
			return ok_fail_field(err, OK_EINPUT, "awarded_on",
			                     "result %zu: the date is not YYYY-MM-DD", i + 1);
		add(loi, ns, "date", x->date);
	}
	add(loi, ns, "status", x->status[0] ? x->status : "passed");
	if (x->grading_scheme[0]) {
		scheme_id(r, i, num);
		add(loi, ns, "gradingSchemeLocalId", num);
	}
	if (x->grade[0])
		add(loi, ns, "resultLabel", x->grade);
	if (x->credits_centi >= 0) {
		n = add(loi, ns, "credit", NULL);
		add(n, ns, "scheme", "ects");
		if (decimal(x->credits_centi, num))
			return ok_fail(err, OK_EINTERNAL, "credits do not fit");
		add(n, ns, "value", num);
	}
	if (x->eqf_level > 0) {
		n = add(loi, ns, "level", NULL);
		add(n, ns, "type", "EQF");
		snprintf(num, sizeof(num), "%d", x->eqf_level);
		add(n, ns, "value", num);
	}
	if (x->language[0])
		add(loi, ns, "languageOfInstruction", x->language);
	return 0;
}

static int add_report(xmlNodePtr root, xmlNsPtr ns, const struct elmo_report *r,
                      struct ok_error *err)
{
	xmlNodePtr report, issuer, gs;
	char when[32], id[32];
	size_t i;
	int rc;

	report = add(root, ns, "report", NULL);
	issuer = add(report, ns, "issuer", NULL);
	if (r->country[0])
		add(issuer, ns, "country", r->country);
	if (r->erasmus[0])
		add_id(issuer, ns, "erasmus", r->erasmus);
	if (r->schac[0])
		add_id(issuer, ns, "schac", r->schac);
	if (r->local[0] || (!r->erasmus[0] && !r->schac[0]))
		add_id(issuer, ns, "local", r->local[0] ? r->local : r->title);
	/* One name, given for both languages the depository speaks. */
	add_lang(issuer, ns, "title", r->title, "nl");
	add_lang(issuer, ns, "title", r->title, "en");
	add(issuer, ns, "url", r->url);
	for (i = 0; i < r->count; i++)
		if ((rc = add_result(report, ns, r, i, err)))
			return rc;
	date_time(r->issued_ms, when);
	add(report, ns, "issueDate", when);
	for (i = 0; i < r->count; i++) {
		const struct elmo_result *x = &r->results[i];
		size_t j;
		bool seen = false;

		if (!x->grading_scheme[0])
			continue;
		for (j = 0; j < i && !seen; j++)
			seen = strcmp(r->results[j].grading_scheme, x->grading_scheme) == 0;
		if (seen)
			continue;
		scheme_id(r, i, id);
		gs = add(report, ns, "gradingScheme", NULL);
		xmlNewProp(gs, BAD_CAST "localId", BAD_CAST id);
		add_lang(gs, ns, "description", x->grading_scheme, "en");
	}
	return 0;
}

static int add_pdf(xmlNodePtr root, xmlNsPtr ns, const struct elmo_document *doc,
                   struct ok_error *err)
{
	static const char prefix[] = "data:application/pdf;base64,";
	struct buf pdf, uri;
	xmlNodePtr a;
	size_t b64;
	int rc;

	buf_init(&pdf, (size_t)8 << 20);
	buf_init(&uri, (size_t)12 << 20);
	if ((rc = elmo_pdf(doc, &pdf, err)))
		goto out;
	b64 = sodium_base64_ENCODED_LEN(pdf.len, sodium_base64_VARIANT_ORIGINAL);
	if ((rc = buf_addstr(&uri, prefix)) || (rc = buf_grow(&uri, b64))) {
		ok_fail(err, rc, "the PDF attachment is too large");
		goto out;
	}
	sodium_bin2base64(uri.data + uri.len, b64, (const unsigned char *)pdf.data, pdf.len,
	                  sodium_base64_VARIANT_ORIGINAL);
	uri.len += b64 - 1;
	a = add(root, ns, "attachment", NULL);
	add_lang(a, ns, "title", "Transcript of records", "en");
	add_lang(a, ns, "title", "Cijferlijst", "nl");
	add(a, ns, "type", "EMREX transcript");
	add(a, ns, "content", uri.data);
out:
	sodium_memzero(pdf.data, pdf.len);
	sodium_memzero(uri.data, uri.len);
	buf_release(&pdf);
	buf_release(&uri);
	return rc;
}

/* The document (unsigned) as a libxml2 tree; the caller frees it with xmlFreeDoc. */
static int build(const struct elmo_document *d, xmlDocPtr *out, struct ok_error *err)
{
	const struct elmo_learner *l = &d->learner;
	xmlDocPtr doc = xmlNewDoc(BAD_CAST "1.0");
	xmlNodePtr root, learner;
	xmlNsPtr ns;
	char when[32];
	size_t i;
	int rc = 0;

	*out = NULL;
	if (!doc)
		return ok_fail(err, OK_ENOMEM, "out of memory");
	root = xmlNewNode(NULL, BAD_CAST "elmo");
	ns = xmlNewNs(root, BAD_CAST ELMO_NS, NULL);
	xmlSetNs(root, ns);
	xmlDocSetRootElement(doc, root);
	date_time(d->generated_ms, when);
	add(root, ns, "generatedDate", when);
	learner = add(root, ns, "learner", NULL);
	if (l->citizenship[0])
		add(learner, ns, "citizenship", l->citizenship);
	if (l->national_id[0])
		add_id(learner, ns, "nationalIdentifier", l->national_id);
	if (!l->given_names[0] && !l->family_name[0])
		rc = ok_fail_field(err, OK_EINPUT, "learner", "the learner has no name");
	add(learner, ns, "givenNames", l->given_names);
	add(learner, ns, "familyName", l->family_name);
	if (!rc && l->birth_date[0]) {
		if (is_date(l->birth_date))
			add(learner, ns, "bday", l->birth_date);
		else
			rc = ok_fail_field(err, OK_EINPUT, "birth_date", "not YYYY-MM-DD");
	}
	if (!rc && d->count == 0)
		rc = ok_fail_field(err, OK_EINPUT, "report", "no results to export");
	for (i = 0; !rc && i < d->count; i++)
		rc = add_report(root, ns, &d->reports[i], err);
	if (!rc)
		rc = add_pdf(root, ns, d, err);
	if (rc) {
		xmlFreeDoc(doc);
		return rc;
	}
	*out = doc;
	return 0;
}

int elmo_export(const struct elmo_document *d, const char *key_pem, size_t key_len,
                const char *cert_pem, size_t cert_len, struct buf *out, struct ok_error *err)
{
	xmlChar *mem = NULL;
	xmlDocPtr doc;
	int size = 0, rc;

	if ((rc = build(d, &doc, err)))
		return rc;
	if ((rc = elmo_sign_doc(doc, key_pem, key_len, cert_pem, cert_len, err)))
		goto out;
	xmlDocDumpMemoryEnc(doc, &mem, &size, "UTF-8");
	if (!mem || size <= 0) {
		rc = ok_fail(err, OK_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = buf_add(out, mem, (size_t)size)))
		ok_fail(err, rc, "the ELMO document is too large");
out:
	if (mem) {
		sodium_memzero(mem, (size_t)(size > 0 ? size : 0));
		xmlFree(mem);
	}
	xmlFreeDoc(doc);
	return rc;
}
