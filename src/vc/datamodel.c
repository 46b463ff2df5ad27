/* The VC Data Model 2.0 rules (see datamodel.h), in the order they are reported. */
#include "vc/datamodel.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CONTEXT_V2 "https://www.w3.org/ns/credentials/v2"
#define CONTEXT_V1 "https://www.w3.org/2018/credentials/v1"

/* Deeper than the strict parser allows (64): a document built another way is refused too. */
#define MAX_DEPTH 64

/* Every rule's name, as reported and documented. */
static const char *const rules[] = {
        "credential",
        "context",
        "context.v1",
        "context.first",
        "context.item",
        "context.protected",
        "id",
        "type",
        "type.vc",
        "issuer",
        "credentialSubject",
        "validFrom",
        "validUntil",
        "validity.order",
        "name",
        "description",
        "credentialStatus",
        "termsOfUse",
        "evidence",
        "refreshService",
        "credentialSchema",
        "relatedResource",
        "relatedResource.unique",
        "type.defined",
};

/* The terms the credentials v2 context defines as protected (its top level and the contexts it
 * scopes to VerifiableCredential and VerifiablePresentation). An inline context may not define
 * them again. */
static const char *const protected_terms[] = {
        "id",
        "type",
        "description",
        "digestMultibase",
        "digestSRI",
        "mediaType",
        "name",
        "VerifiableCredential",
        "VerifiablePresentation",
        "EnvelopedVerifiableCredential",
        "EnvelopedVerifiablePresentation",
        "JsonSchemaCredential",
        "JsonSchema",
        "BitstringStatusListCredential",
        "BitstringStatusList",
        "BitstringStatusListEntry",
        "DataIntegrityProof",
        "confidenceMethod",
        "credentialSchema",
        "credentialStatus",
        "credentialSubject",
        "evidence",
        "issuer",
        "proof",
        "refreshService",
        "relatedResource",
        "renderMethod",
        "termsOfUse",
        "validFrom",
        "validUntil",
        "holder",
        "verifiableCredential",
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

__attribute__((format(printf, 3, 4))) static int fail(struct vc_dm_failure *f, const char *rule,
                                                      const char *fmt, ...)
{
	va_list ap;
	int n;

	f->rule = rule;
	va_start(ap, fmt);
	n = vsnprintf(f->message, sizeof(f->message), fmt, ap);
	va_end(ap);
	/* The messages are fixed texts with property names: a cut is only ever cosmetic. */
	if (n < 0)
		f->message[0] = '\0';
	return OK_EINPUT;
}

bool vc_datamodel_rule_known(const char *name)
{
	size_t i;

	for (i = 0; name && i < COUNT(rules); i++)
		if (strcmp(name, rules[i]) == 0)
			return true;
	return false;
}

/* Dates and times */

static bool digits(const char *s, int n, int *out)
{
	int i, v = 0;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

static bool leap(long long y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Days from 1970-01-01 to y-m-d of the proleptic Gregorian calendar. */
static long long days_from_civil(long long y, int m, int d)
{
	long long era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* Parses a dateTimeStamp; *frac points at the fraction's digits (or "") and *frac_n their
 * count, so that two instants in the same second can be compared. */
static bool parse_datetime(const char *s, long long *seconds, const char **frac, size_t *frac_n)
{
	static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	long long year = 0;
	int mo, d, h, mi, sec, oh = 0, om = 0, ny = 0;
	bool neg = false, zero_frac = true;
	const char *p = s;

	*frac = "";
	*frac_n = 0;
	if (*p == '-') {
		neg = true;
		p++;
	}
	/* Four digits or more, no leading zero past four; nine at most keeps the sum exact. */
	while (p[ny] >= '0' && p[ny] <= '9' && ny < 10)
		year = year * 10 + (p[ny++] - '0');
	if (ny < 4 || ny > 9 || (ny > 4 && p[0] == '0'))
		return false;
	p += ny;
	if (neg)
		year = -year;
	if (p[0] != '-' || !digits(p + 1, 2, &mo) || p[3] != '-' || !digits(p + 4, 2, &d) ||
	    p[6] != 'T' || !digits(p + 7, 2, &h) || p[9] != ':' || !digits(p + 10, 2, &mi) ||
	    p[12] != ':' || !digits(p + 13, 2, &sec))
		return false;
	p += 15;
	if (*p == '.') {
		const char *f = ++p;
		while (*p >= '0' && *p <= '9') {
			if (*p != '0')
				zero_frac = false;
			p++;
		}
		if (p == f)
			return false;
		*frac = f;
		*frac_n = (size_t)(p - f);
	}
	if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] + (mo == 2 && leap(year) ? 1 : 0) ||
	    mi > 59 || sec > 59)
		return false;
	/* 24:00:00 is the end of the day, and nothing past it. */
	if (h > 24 || (h == 24 && (mi || sec || !zero_frac)))
		return false;
	if (*p == 'Z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int sign = *p == '-' ? -1 : 1;
		if (!digits(p + 1, 2, &oh) || p[3] != ':' || !digits(p + 4, 2, &om) || om > 59 ||
		    oh > 14 || (oh == 14 && om != 0))
			return false;
		oh *= sign;
		om *= sign;
		p += 6;
	} else {
		return false; /* a dateTimeStamp has a time zone */
	}
	if (*p)
		return false;
	*seconds = days_from_civil(year, mo, d) * 86400 + h * 3600 + mi * 60 + sec -
	           (oh * 3600 + om * 60);
	return true;
}

bool vc_datamodel_datetime(const char *s, long long *seconds)
{
	const char *frac;
	size_t n;
	long long t;

	if (!s || !parse_datetime(s, &t, &frac, &n))
		return false;
	if (seconds)
		*seconds = t;
	return true;
}

/* <0, 0, >0 as fraction a is before, the same as, or after b (missing digits are zeros). */
static int frac_cmp(const char *a, size_t an, const char *b, size_t bn)
{
	size_t i, n = an > bn ? an : bn;

	for (i = 0; i < n; i++) {
		char x = i < an ? a[i] : '0', y = i < bn ? b[i] : '0';
		if (x != y)
			return x < y ? -1 : 1;
	}
	return 0;
}

/* Identifiers and values */

bool vc_datamodel_url(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	if (!s || !((p[0] >= 'a' && p[0] <= 'z') || (p[0] >= 'A' && p[0] <= 'Z')))
		return false;
	while ((p[i] >= 'a' && p[i] <= 'z') || (p[i] >= 'A' && p[i] <= 'Z') ||
	       (p[i] >= '0' && p[i] <= '9') || p[i] == '+' || p[i] == '-' || p[i] == '.')
		i++;
	if (p[i] != ':' || !p[i + 1])
		return false;
	/* An IRI has no spaces, controls or the characters RFC 3987 leaves out. */
	for (i++; p[i]; i++)
		if (p[i] <= 0x20 || p[i] == 0x7f || strchr("<>\"{}|\\^`", p[i]))
			return false;
	return true;
}

static bool is_url(const json_t *v)
{
	return json_is_string(v) && vc_datamodel_url(json_string_value(v));
}

/* A string, or an array of strings, none empty: a type value. */
static bool type_value(const json_t *t)
{
	size_t i;

	if (json_is_string(t))
		return json_string_length(t) > 0;
	if (!json_is_array(t) || json_array_size(t) == 0)
		return false;
	for (i = 0; i < json_array_size(t); i++)
		if (!json_is_string(json_array_get(t, i)) ||
		    json_string_length(json_array_get(t, i)) == 0)
			return false;
	return true;
}

static bool type_has(const json_t *t, const char *name)
{
	size_t i;

	if (json_is_string(t))
		return strcmp(json_string_value(t), name) == 0;
	for (i = 0; i < json_array_size(t); i++)
		if (json_is_string(json_array_get(t, i)) &&
		    strcmp(json_string_value(json_array_get(t, i)), name) == 0)
			return true;
	return false;
}

/* A language value object: {"@value": "…", "@language": "…", "@direction": "ltr"|"rtl"}, the
 * last two optional, nothing else. */
static bool language_value(const json_t *v)
{
	const char *key;
	const json_t *m;

	if (!json_is_object(v) || !json_is_string(json_object_get(v, "@value")))
		return false;
	json_object_foreach((json_t *)v, key, m)
	{
		if (strcmp(key, "@value") == 0)
			continue;
		if (strcmp(key, "@language") == 0 && json_is_string(m) && json_string_length(m) > 0)
			continue;
		if (strcmp(key, "@direction") == 0 && json_is_string(m) &&
		    (strcmp(json_string_value(m), "ltr") == 0 ||
		     strcmp(json_string_value(m), "rtl") == 0))
			continue;
		return false;
	}
	return true;
}

/* name or description: a string, a language value object, or a non-empty array of those. */
static bool text_value(const json_t *v)
{
	size_t i;

	if (json_is_string(v) || language_value(v))
		return true;
	if (!json_is_array(v) || json_array_size(v) == 0)
		return false;
	for (i = 0; i < json_array_size(v); i++)
		if (!json_is_string(json_array_get(v, i)) && !language_value(json_array_get(v, i)))
			return false;
	return true;
}

static int check_texts(const json_t *obj, const char *where, struct vc_dm_failure *f)
{
	const json_t *v;

	if ((v = json_object_get(obj, "name")) && !text_value(v))
		return fail(f, "name",
		            "%sname must be a string or a language value object "
		            "({\"@value\": \"...\", \"@language\": \"en\"})",
		            where);
	if ((v = json_object_get(obj, "description")) && !text_value(v))
		return fail(f, "description",
		            "%sdescription must be a string or a language value object "
		            "({\"@value\": \"...\", \"@language\": \"en\"})",
		            where);
	return 0;
}

/* The rules, in order */

static int check_context(const json_t *vc, struct vc_dm_failure *f)
{
	const json_t *ctx = json_object_get(vc, "@context"), *item;
	size_t i;

	if (!ctx)
		return fail(f, "context",
		            "@context is missing: a credential must have one, "
		            "starting with " CONTEXT_V2);
	/* A VC 1.1 credential is told apart from a malformed one. */
	if ((json_is_string(ctx) && strcmp(json_string_value(ctx), CONTEXT_V1) == 0) ||
	    (json_is_array(ctx) && json_is_string(json_array_get(ctx, 0)) &&
	     strcmp(json_string_value(json_array_get(ctx, 0)), CONTEXT_V1) == 0))
		return fail(f, "context.v1",
		            "@context: " CONTEXT_V1 " is VC 1.1; oorkonde issues VC 2.0 only (and "
		            "verifies VC 2.0 only)");
	if (!json_is_array(ctx))
		return fail(f, "context",
		            "@context must be an array whose first item is " CONTEXT_V2);
	item = json_array_get(ctx, 0);
	if (!json_is_string(item) || strcmp(json_string_value(item), CONTEXT_V2) != 0)
		return fail(f, "context.first", "@context: the first item must be " CONTEXT_V2);
	for (i = 1; i < json_array_size(ctx); i++) {
		item = json_array_get(ctx, i);
		if (json_is_string(item) && strcmp(json_string_value(item), CONTEXT_V1) == 0)
			return fail(
			        f, "context.v1",
			        "@context: item %zu is the VC 1.1 context; oorkonde issues VC 2.0 "
			        "only (and verifies VC 2.0 only)",
			        i);
		if (!is_url(item) && !json_is_object(item))
			return fail(f, "context.item",
			            "@context: item %zu must be a URL or an object (a context)", i);
	}
	return 0;
}

/* Whether an inline context (object) defines a protected term again; *term gets it. The same
 * definition as the protected one is no redefinition: "id": "@id" and "type": "@type". */
static bool redefines(const json_t *ctx, const char **term)
{
	const char *key;
	const json_t *def;
	size_t i;

	json_object_foreach((json_t *)ctx, key, def)
	{
		if (key[0] == '@')
			continue;
		if ((strcmp(key, "id") == 0 && json_is_string(def) &&
		     strcmp(json_string_value(def), "@id") == 0) ||
		    (strcmp(key, "type") == 0 && json_is_string(def) &&
		     strcmp(json_string_value(def), "@type") == 0))
			continue;
		for (i = 0; i < COUNT(protected_terms); i++)
			if (strcmp(key, protected_terms[i]) == 0) {
				*term = protected_terms[i];
				return true;
			}
	}
	return false;
}

/* Walks v for "@context" members anywhere (an embedded or a type-scoped context too). */
static int walk_contexts(const json_t *v, int depth, struct vc_dm_failure *f)
{
	const char *key, *term = NULL;
	const json_t *m;
	size_t i;
	int rc;

	if (depth > MAX_DEPTH)
		return fail(f, "credential", "the credential is nested deeper than %d levels",
		            MAX_DEPTH);
	if (json_is_array(v)) {
		for (i = 0; i < json_array_size(v); i++)
			if ((rc = walk_contexts(json_array_get(v, i), depth + 1, f)))
				return rc;
		return 0;
	}
	if (!json_is_object(v))
		return 0;
	json_object_foreach((json_t *)v, key, m)
	{
		if (strcmp(key, "@context") == 0) {
			size_t n = json_is_array(m) ? json_array_size(m) : 1;
			for (i = 0; i < n; i++) {
				const json_t *c = json_is_array(m) ? json_array_get(m, i) : m;
				if (json_is_object(c) && redefines(c, &term))
					return fail(f, "context.protected",
					            "@context: an inline context defines \"%s\" "
					            "again, a "
					            "term the VC 2.0 context protects",
					            term);
			}
		}
		if ((rc = walk_contexts(m, depth + 1, f)))
			return rc;
	}
	return 0;
}

static int check_type(const json_t *vc, struct vc_dm_failure *f)
{
	const json_t *t = json_object_get(vc, "type");

	if (!t)
		return fail(f, "type",
		            "type is missing: a credential's type must include "
		            "VerifiableCredential");
	if (!type_value(t))
		return fail(f, "type", "type must be a string or an array of non-empty strings");
	if (!type_has(t, "VerifiableCredential"))
		return fail(f, "type.vc", "type must contain VerifiableCredential");
	return 0;
}

static int check_issuer(const json_t *vc, struct vc_dm_failure *f)
{
	const json_t *iss = json_object_get(vc, "issuer");

	if (!iss)
		return fail(f, "issuer", "issuer is missing: a credential names its issuer");
	if (json_is_object(iss)) {
		if (!is_url(json_object_get(iss, "id")))
			return fail(f, "issuer", "issuer.id must be a URL");
		return check_texts(iss, "issuer.", f);
	}
	if (!is_url(iss))
		return fail(f, "issuer",
		            "issuer must be a URL or an object with an id that is a "
		            "URL");
	return 0;
}

static int check_subject(const json_t *vc, struct vc_dm_failure *f)
{
	const json_t *s = json_object_get(vc, "credentialSubject"), *one;
	size_t i, n;

	if (!s)
		return fail(f, "credentialSubject",
		            "credentialSubject is missing: a credential "
		            "makes claims about a subject");
	if (json_is_array(s) && json_array_size(s) == 0)
		return fail(f, "credentialSubject", "credentialSubject must not be an empty array");
	if (!json_is_object(s) && !json_is_array(s))
		return fail(f, "credentialSubject",
		            "credentialSubject must be an object or an array of objects");
	n = json_is_array(s) ? json_array_size(s) : 1;
	for (i = 0; i < n; i++) {
		one = json_is_array(s) ? json_array_get(s, i) : s;
		if (!json_is_object(one) || json_object_size(one) == 0)
			return fail(f, "credentialSubject",
			            "credentialSubject: each subject must be a non-empty object");
		if (json_object_get(one, "id") && !is_url(json_object_get(one, "id")))
			return fail(f, "credentialSubject", "credentialSubject.id must be a URL");
	}
	return 0;
}

static int check_validity(const json_t *vc, struct vc_dm_failure *f)
{
	const json_t *vf = json_object_get(vc, "validFrom"),
	             *vu = json_object_get(vc, "validUntil");
	long long tf = 0, tu = 0;
	const char *ff = "", *fu = "";
	size_t nf = 0, nu = 0;

	if (vf && (!json_is_string(vf) || !parse_datetime(json_string_value(vf), &tf, &ff, &nf)))
		return fail(f, "validFrom",
		            "validFrom must be an XML Schema dateTimeStamp, a date and time with a "
		            "time zone (e.g. 2024-07-01T00:00:00Z)");
	if (vu && (!json_is_string(vu) || !parse_datetime(json_string_value(vu), &tu, &fu, &nu)))
		return fail(
		        f, "validUntil",
		        "validUntil must be an XML Schema dateTimeStamp, a date and time with a "
		        "time zone (e.g. 2030-07-01T00:00:00Z)");
	if (vf && vu && (tf > tu || (tf == tu && frac_cmp(ff, nf, fu, nu) > 0)))
		return fail(f, "validity.order", "validFrom must not be later than validUntil");
	return 0;
}

/* One of the properties whose items must each be an object with a type (and, where required,
 * an id); an id, when present, is a URL. */
static int check_items(const json_t *vc, const char *prop, bool id_required,
                       struct vc_dm_failure *f)
{
	const json_t *v = json_object_get(vc, prop), *one;
	size_t i, n;

	if (!v)
		return 0;
	if (!json_is_object(v) && !(json_is_array(v) && json_array_size(v) > 0))
		return fail(f, prop, "%s must be an object or a non-empty array of objects", prop);
	n = json_is_array(v) ? json_array_size(v) : 1;
	for (i = 0; i < n; i++) {
		one = json_is_array(v) ? json_array_get(v, i) : v;
		if (!json_is_object(one))
			return fail(f, prop, "%s: each item must be an object", prop);
		if (!type_value(json_object_get(one, "type")))
			return fail(f, prop, "%s: each item must have a type", prop);
		if (id_required && !json_object_get(one, "id"))
			return fail(f, prop, "%s: each item must have an id", prop);
		if (json_object_get(one, "id") && !is_url(json_object_get(one, "id")))
			return fail(f, prop, "%s: an item's id must be a URL", prop);
	}
	return 0;
}

/* digestSRI: an algorithm of Subresource Integrity and base64 ("sha384-…"). */
static bool sri_value(const json_t *v)
{
	const char *s = json_string_value(v), *b64;
	size_t i;

	if (!s)
		return false;
	if (strncmp(s, "sha256-", 7) == 0 || strncmp(s, "sha384-", 7) == 0 ||
	    strncmp(s, "sha512-", 7) == 0)
		b64 = s + 7;
	else
		return false;
	for (i = 0; b64[i]; i++)
		if (!((b64[i] >= 'a' && b64[i] <= 'z') || (b64[i] >= 'A' && b64[i] <= 'Z') ||
		      (b64[i] >= '0' && b64[i] <= '9') || strchr("+/=-_", b64[i])))
			return false;
	return i > 0;
}

/* digestMultibase: a multibase string (a base prefix and at least one character). */
static bool multibase_value(const json_t *v)
{
	const char *s = json_string_value(v);

	return s && strlen(s) >= 2 && strchr("zumfFbB", s[0]);
}

/* A bound on the related resources of one credential: beyond it the list is refused outright. */
#define MAX_RELATED 1024

struct related_id {
	const char *id;
	size_t at; /* its place in the list */
};

static int cmp_related(const void *a, const void *b)
{
	const struct related_id *x = a, *y = b;
	int c = strcmp(x->id, y->id);

	return c ? c : (x->at > y->at) - (x->at < y->at);
}

/* Called with at most MAX_RELATED items. */
static int check_related(const json_t *vc, struct vc_dm_failure *f)
{
	const json_t *v = json_object_get(vc, "relatedResource"), *one;
	struct related_id ids[MAX_RELATED];
	size_t i, k, n;

	if (!v)
		return 0;
	if (!json_is_object(v) && !(json_is_array(v) && json_array_size(v) > 0))
		return fail(f, "relatedResource",
		            "relatedResource must be an object or a non-empty array of objects");
	n = json_is_array(v) ? json_array_size(v) : 1;
	if (n > MAX_RELATED)
		return fail(f, "relatedResource", "relatedResource has more than %d items",
		            MAX_RELATED);
	for (i = 0; i < n; i++) {
		one = json_is_array(v) ? json_array_get(v, i) : v;
		if (!json_is_object(one) || !is_url(json_object_get(one, "id")))
			return fail(
			        f, "relatedResource",
			        "relatedResource: each item must be an object with an id that is a "
			        "URL");
		if (json_object_get(one, "digestSRI") &&
		    !sri_value(json_object_get(one, "digestSRI")))
			return fail(f, "relatedResource",
			            "relatedResource: digestSRI must be sha256-, sha384- or "
			            "sha512- and "
			            "base64");
		if (json_object_get(one, "digestMultibase") &&
		    !multibase_value(json_object_get(one, "digestMultibase")))
			return fail(f, "relatedResource",
			            "relatedResource: digestMultibase must be a multibase string");
		if (!json_object_get(one, "digestSRI") && !json_object_get(one, "digestMultibase"))
			return fail(f, "relatedResource",
			            "relatedResource: each item must have a digestSRI or a "
			            "digestMultibase");
		ids[i].id = json_string_value(json_object_get(one, "id"));
		ids[i].at = i;
	}
	/* Unique ids: sorted, then neighbours compared (n log n, review P6); equal ids sort by
	 * their place, so the pair named is the first two items with that id. */
	qsort(ids, n, sizeof(ids[0]), cmp_related);
	for (k = 1; k < n; k++)
		if (strcmp(ids[k - 1].id, ids[k].id) == 0)
			return fail(f, "relatedResource.unique",
			            "relatedResource: items %zu and %zu have the same id",
			            ids[k - 1].at, ids[k].at);
	return 0;
}

int vc_datamodel_check(const json_t *vc, const struct vc_dm_options *o, struct vc_dm_failure *f)
{
	const json_t *id;
	int rc;

	f->rule = NULL;
	f->message[0] = '\0';
	if (!json_is_object(vc))
		return fail(f, "credential", "a credential must be a JSON object");
	if ((rc = check_context(vc, f)) || (rc = walk_contexts(vc, 0, f)))
		return rc;
	id = json_object_get(vc, "id");
	if (id && !is_url(id))
		return fail(f, "id", "id must be a URL (e.g. urn:uuid:… or https://…)");
	if ((rc = check_type(vc, f)) || (rc = check_issuer(vc, f)) || (rc = check_subject(vc, f)) ||
	    (rc = check_validity(vc, f)) || (rc = check_texts(vc, "", f)))
		return rc;
	if ((rc = check_items(vc, "credentialStatus", false, f)) ||
	    (rc = check_items(vc, "termsOfUse", false, f)) ||
	    (rc = check_items(vc, "evidence", false, f)) ||
	    (rc = check_items(vc, "refreshService", false, f)) ||
	    (rc = check_items(vc, "credentialSchema", true, f)))
		return rc;
	if (json_array_size(json_object_get(vc, "relatedResource")) > MAX_RELATED)
		return fail(f, "relatedResource", "relatedResource has more than %d items",
		            MAX_RELATED);
	if ((rc = check_related(vc, f)))
		return rc;
	/* The second step, once JSON-LD expansion is there to tell (see datamodel.h). */
	if (o && o->types_defined && (rc = o->types_defined(o->ctx, vc, f))) {
		if (rc == OK_EINPUT)
			f->rule = "type.defined";
		return rc;
	}
	return 0;
}
