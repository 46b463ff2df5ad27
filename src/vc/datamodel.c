/* The VC Data Model 2.0 rules (see datamodel.h), in the order they are reported. */
#include "vc/datamodel.h"
#include "vc/datamodel_view.h"
#include "vc/jsonld.h"
#include "vc/jsonld_fast.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

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

/* The byte at k of the n bytes at s, or NUL past them: the readers below stop at NUL as they
 * would at the end of a C string. */
#define AT(k) ((size_t)(k) < n ? s[k] : '\0')

static bool digits_at(const char *s, size_t n, size_t k, int count, int *out)
{
	int i, v = 0;

	for (i = 0; i < count; i++) {
		char c = AT(k + (size_t)i);
		if (c < '0' || c > '9')
			return false;
		v = v * 10 + (c - '0');
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

/* Parses the dateTimeStamp of n bytes at s; *frac points at the fraction's digits (or "") and
 * *frac_n their count, so that two instants in the same second can be compared. */
static bool parse_datetime(const char *s, size_t n, long long *seconds, const char **frac,
                           size_t *frac_n)
{
	static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	long long year = 0;
	int mo, d, h, mi, sec, oh = 0, om = 0, ny = 0;
	bool neg = false, zero_frac = true;
	size_t p = 0;

	*frac = "";
	*frac_n = 0;
	if (AT(p) == '-') {
		neg = true;
		p++;
	}
	/* Four digits or more, no leading zero past four; nine at most keeps the sum exact. */
	while (AT(p + (size_t)ny) >= '0' && AT(p + (size_t)ny) <= '9' && ny < 10) {
		year = year * 10 + (AT(p + (size_t)ny) - '0');
		ny++;
	}
	if (ny < 4 || ny > 9 || (ny > 4 && AT(p) == '0'))
		return false;
	p += (size_t)ny;
	if (neg)
		year = -year;
	if (AT(p) != '-' || !digits_at(s, n, p + 1, 2, &mo) || AT(p + 3) != '-' ||
	    !digits_at(s, n, p + 4, 2, &d) || AT(p + 6) != 'T' || !digits_at(s, n, p + 7, 2, &h) ||
	    AT(p + 9) != ':' || !digits_at(s, n, p + 10, 2, &mi) || AT(p + 12) != ':' ||
	    !digits_at(s, n, p + 13, 2, &sec))
		return false;
	p += 15;
	if (AT(p) == '.') {
		size_t f = ++p;
		while (AT(p) >= '0' && AT(p) <= '9') {
			if (AT(p) != '0')
				zero_frac = false;
			p++;
		}
		if (p == f)
			return false;
		*frac = s + f;
		*frac_n = p - f;
	}
	if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] + (mo == 2 && leap(year) ? 1 : 0) ||
	    mi > 59 || sec > 59)
		return false;
	/* 24:00:00 is the end of the day, and nothing past it. */
	if (h > 24 || (h == 24 && (mi || sec || !zero_frac)))
		return false;
	if (AT(p) == 'Z') {
		p++;
	} else if (AT(p) == '+' || AT(p) == '-') {
		int sign = AT(p) == '-' ? -1 : 1;
		if (!digits_at(s, n, p + 1, 2, &oh) || AT(p + 3) != ':' ||
		    !digits_at(s, n, p + 4, 2, &om) || om > 59 || oh > 14 || (oh == 14 && om != 0))
			return false;
		oh *= sign;
		om *= sign;
		p += 6;
	} else {
		return false; /* a dateTimeStamp has a time zone */
	}
	if (p < n)
		return false;
	*seconds = days_from_civil(year, mo, d) * 86400 + h * 3600 + mi * 60 + sec -
	           (oh * 3600 + om * 60);
	return true;
}

bool vc_datamodel_datetime_n(const char *s, size_t n, long long *seconds)
{
	const char *frac;
	size_t fn;
	long long t;

	if (!s || !parse_datetime(s, n, &t, &frac, &fn))
		return false;
	if (seconds)
		*seconds = t;
	return true;
}

bool vc_datamodel_datetime(const char *s, long long *seconds)
{
	return s && vc_datamodel_datetime_n(s, strlen(s), seconds);
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

/* Whether an IRI may not hold byte c: a space, a control or one of <>"{}|\^` (RFC 3987). Two
 * bit sets of the ASCII range instead of a compare per character. */
#define BIT(c) ((uint64_t)1 << ((c)&63))
static inline bool iri_excluded(unsigned char c)
{
	static const uint64_t low = 0x1FFFFFFFFull | BIT('"') | BIT('<') | BIT('>');
	static const uint64_t high =
	        BIT('\\') | BIT('^') | BIT('`') | BIT('{') | BIT('|') | BIT('}') | BIT(0x7f);

	if (c >= 128)
		return false;
	return ((c < 64 ? low : high) >> (c & 63)) & 1;
}
#undef BIT

bool vc_datamodel_url_n(const char *s, size_t n)
{
	size_t i = 0;

	if (!s || !((AT(0) >= 'a' && AT(0) <= 'z') || (AT(0) >= 'A' && AT(0) <= 'Z')))
		return false;
	while ((AT(i) >= 'a' && AT(i) <= 'z') || (AT(i) >= 'A' && AT(i) <= 'Z') ||
	       (AT(i) >= '0' && AT(i) <= '9') || AT(i) == '+' || AT(i) == '-' || AT(i) == '.')
		i++;
	if (AT(i) != ':' || !AT(i + 1))
		return false;
	/* An IRI has no spaces, controls or the characters RFC 3987 leaves out. */
	i++;
#if defined(__SSE2__)
	/* Sixteen bytes at a time while none needs a closer look: a signed compare with 0x21
	 * finds the spaces, the controls (NUL too) and every byte >= 0x80 (allowed), five
	 * compares and one more the rest; the first block with any of them, and what follows,
	 * is read byte by byte below, which decides. */
	while (i + 16 <= n) {
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
		__m128i m = _mm_or_si128(
		        _mm_or_si128(_mm_or_si128(_mm_cmplt_epi8(x, _mm_set1_epi8(0x21)),
		                                  _mm_cmpeq_epi8(x, _mm_set1_epi8('"'))),
		                     _mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('<')),
		                                  _mm_cmpeq_epi8(x, _mm_set1_epi8('>')))),
		        _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('\\')),
		                                  _mm_cmpeq_epi8(x, _mm_set1_epi8('^'))),
		                     _mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('`')),
		                                  _mm_cmpgt_epi8(x, _mm_set1_epi8('z')))));

		/* Above 'z' and below 0x80: '{', '|', '}', DEL, and '~', which is allowed (its
		 * block is read byte by byte below). */
		if (_mm_movemask_epi8(m))
			break;
		i += 16;
	}
#endif
	for (; AT(i); i++) {
		unsigned char c = (unsigned char)AT(i);
		if (iri_excluded(c))
			return false;
	}
	return true;
}

bool vc_datamodel_url(const char *s)
{
	return s && vc_datamodel_url_n(s, strlen(s));
}

#undef AT

static bool is_url(struct vc_dmv v)
{
	size_t n;
	const char *s = vc_dmv_str(v, &n);

	return s && vc_datamodel_url_n(s, n);
}

/* A string, or an array of strings, none empty: a type value. */
static bool type_value(struct vc_dmv t)
{
	struct vc_dmv_it it;
	struct vc_dmv c;
	size_t n;

	if (vc_dmv_is_string(t))
		return vc_dmv_str(t, &n) && n > 0;
	if (!vc_dmv_is_array(t) || vc_dmv_size(t) == 0)
		return false;
	for (c = vc_dmv_first(t, &it); vc_dmv_there(c); c = vc_dmv_next(&it))
		if (!vc_dmv_is_string(c) || (vc_dmv_str(c, &n), n == 0))
			return false;
	return true;
}

/* A language value object: {"@value": "…", "@language": "…", "@direction": "ltr"|"rtl"}, the
 * last two optional, nothing else. */
static bool language_value(struct vc_dmv v)
{
	struct vc_dmv_it it;
	struct vc_dmv m;
	const char *key;
	size_t kn, n;

	if (!vc_dmv_is_object(v) || !vc_dmv_is_string(vc_dmv_get(v, "@value")))
		return false;
	for (m = vc_dmv_first(v, &it); vc_dmv_there(m); m = vc_dmv_next(&it)) {
		key = vc_dmv_key(&it, &kn);
		if (vc_dmv_bytes_are(key, kn, "@value"))
			continue;
		if (vc_dmv_bytes_are(key, kn, "@language") && vc_dmv_is_string(m) &&
		    (vc_dmv_str(m, &n), n > 0))
			continue;
		if (vc_dmv_bytes_are(key, kn, "@direction") &&
		    (vc_dmv_str_is(m, "ltr") || vc_dmv_str_is(m, "rtl")))
			continue;
		return false;
	}
	return true;
}

/* name or description: a string, a language value object, or a non-empty array of those. */
static bool text_value(struct vc_dmv v)
{
	struct vc_dmv_it it;
	struct vc_dmv c;

	if (vc_dmv_is_string(v) || language_value(v))
		return true;
	if (!vc_dmv_is_array(v) || vc_dmv_size(v) == 0)
		return false;
	for (c = vc_dmv_first(v, &it); vc_dmv_there(c); c = vc_dmv_next(&it))
		if (!vc_dmv_is_string(c) && !language_value(c))
			return false;
	return true;
}

/* An object's name and description (members name and desc, each there or not). */
static int check_texts_of(struct vc_dmv name, struct vc_dmv desc, const char *where,
                          struct vc_dm_failure *f)
{
	struct vc_dmv v = name;

	if (vc_dmv_there(v) && !text_value(v))
		return fail(f, "name",
		            "%sname must be a string or a language value object "
		            "({\"@value\": \"...\", \"@language\": \"en\"})",
		            where);
	if (vc_dmv_there(v = desc) && !text_value(v))
		return fail(f, "description",
		            "%sdescription must be a string or a language value object "
		            "({\"@value\": \"...\", \"@language\": \"en\"})",
		            where);
	return 0;
}

static int check_texts(struct vc_dmv obj, const char *where, struct vc_dm_failure *f)
{
	return check_texts_of(vc_dmv_get(obj, "name"), vc_dmv_get(obj, "description"), where, f);
}

/* The rules, in order */

static int check_context(struct vc_dmv ctx, struct vc_dm_failure *f)
{
	struct vc_dmv item;
	struct vc_dmv_it it;
	size_t i;

	if (!vc_dmv_there(ctx))
		return fail(f, "context",
		            "@context is missing: a credential must have one, "
		            "starting with " CONTEXT_V2);
	/* A VC 1.1 credential is told apart from a malformed one. */
	if (vc_dmv_str_is(ctx, CONTEXT_V1) ||
	    (vc_dmv_is_array(ctx) && vc_dmv_str_is(vc_dmv_at(ctx, 0), CONTEXT_V1)))
		return fail(f, "context.v1",
		            "@context: " CONTEXT_V1 " is VC 1.1; oorkonde issues VC 2.0 only (and "
		            "verifies VC 2.0 only)");
	if (!vc_dmv_is_array(ctx))
		return fail(f, "context",
		            "@context must be an array whose first item is " CONTEXT_V2);
	if (!vc_dmv_str_is(vc_dmv_at(ctx, 0), CONTEXT_V2))
		return fail(f, "context.first", "@context: the first item must be " CONTEXT_V2);
	/* Item 0 is checked above; i counts the items for the messages. */
	item = vc_dmv_first(ctx, &it);
	for (i = 1, item = vc_dmv_next(&it); vc_dmv_there(item); i++, item = vc_dmv_next(&it)) {
		if (vc_dmv_str_is(item, CONTEXT_V1))
			return fail(
			        f, "context.v1",
			        "@context: item %zu is the VC 1.1 context; oorkonde issues VC 2.0 "
			        "only (and verifies VC 2.0 only)",
			        i);
		if (!is_url(item) && !vc_dmv_is_object(item))
			return fail(f, "context.item",
			            "@context: item %zu must be a URL or an object (a context)", i);
	}
	return 0;
}

/* Whether an inline context (object) defines a protected term again; *term gets it. The same
 * definition as the protected one is no redefinition: "id": "@id" and "type": "@type". */
static bool redefines(struct vc_dmv ctx, const char **term)
{
	struct vc_dmv_it it;
	struct vc_dmv def;
	const char *key;
	size_t i, kn;

	for (def = vc_dmv_first(ctx, &it); vc_dmv_there(def); def = vc_dmv_next(&it)) {
		key = vc_dmv_key(&it, &kn);
		if (kn && key[0] == '@')
			continue;
		if ((vc_dmv_bytes_are(key, kn, "id") && vc_dmv_str_is(def, "@id")) ||
		    (vc_dmv_bytes_are(key, kn, "type") && vc_dmv_str_is(def, "@type")))
			continue;
		for (i = 0; i < COUNT(protected_terms); i++)
			if (vc_dmv_bytes_are(key, kn, protected_terms[i])) {
				*term = protected_terms[i];
				return true;
			}
	}
	return false;
}

/* The value m of a member named "@context": none of its inline contexts may define a
 * protected term again. */
static int context_member(struct vc_dmv m, struct vc_dm_failure *f)
{
	const char *term = NULL;
	struct vc_dmv_it cit;
	struct vc_dmv c;

	if (vc_dmv_is_array(m)) {
		for (c = vc_dmv_first(m, &cit); vc_dmv_there(c); c = vc_dmv_next(&cit))
			if (vc_dmv_is_object(c) && redefines(c, &term))
				break;
	} else if (vc_dmv_is_object(m)) {
		redefines(m, &term);
	}
	if (term)
		return fail(f, "context.protected",
		            "@context: an inline context defines \"%s\" "
		            "again, a "
		            "term the VC 2.0 context protects",
		            term);
	return 0;
}

static int too_deep(struct vc_dm_failure *f)
{
	return fail(f, "credential", "the credential is nested deeper than %d levels", MAX_DEPTH);
}

/* Walks v for "@context" members anywhere (an embedded or a type-scoped context too). */
static int walk_contexts(struct vc_dmv v, int depth, struct vc_dm_failure *f)
{
	struct vc_dmv_it it;
	struct vc_dmv m;
	const char *key;
	size_t kn;
	int rc;

	if (depth > MAX_DEPTH)
		return too_deep(f);
	if (vc_dmv_is_array(v)) {
		for (m = vc_dmv_first(v, &it); vc_dmv_there(m); m = vc_dmv_next(&it))
			if ((depth + 1 > MAX_DEPTH || vc_dmv_is_object(m) || vc_dmv_is_array(m)) &&
			    (rc = walk_contexts(m, depth + 1, f)))
				return rc;
		return 0;
	}
	if (!vc_dmv_is_object(v))
		return 0;
	for (m = vc_dmv_first(v, &it); vc_dmv_there(m); m = vc_dmv_next(&it)) {
		key = vc_dmv_key(&it, &kn);
		if (vc_dmv_bytes_are(key, kn, "@context") && (rc = context_member(m, f)))
			return rc;
		/* A scalar holds no context: only a container is walked (or a scalar too deep,
		 * which the call refuses). */
		if ((depth + 1 > MAX_DEPTH || vc_dmv_is_object(m) || vc_dmv_is_array(m)) &&
		    (rc = walk_contexts(m, depth + 1, f)))
			return rc;
	}
	return 0;
}

struct tree_visit {
	const struct json_tree *t;
	struct vc_dm_failure *f;
};

/* walk_contexts' checks, called by the size check's walk (vc_jsonld_sizes_walk) in the order
 * walk_contexts meets them: a member named "@context" when its object's walk reaches it, a
 * node too deep when the walk would enter it. */
static int visit_tree(void *arg, uint32_t node, size_t depth, bool deep)
{
	struct tree_visit *v = arg;

	(void)depth;
	return deep ? too_deep(v->f) : context_member(vc_dmv_tree(v->t, node), v->f);
}

/* walk_contexts on a tree, in the same walk as the JSON-LD size check, whose answers go to w
 * for the second step: the credential's nodes read once for both. */
static int walk_tree(struct vc_dmv vc, struct vc_dm_walked *w, struct vc_dm_failure *f)
{
	struct tree_visit v = {vc.t, f};
	int rc = vc_jsonld_sizes_walk(vc.t, vc.i, vc_jsonld_limits_default.max_depth, MAX_DEPTH,
	                              visit_tree, &v, &w->sized);

	if (rc != OK_EUNSUPPORTED)
		return rc;
	w->sized.t = NULL;
	return walk_contexts(vc, 0, f);
}

static int check_type(struct vc_dmv t, struct vc_dm_failure *f)
{

	if (!vc_dmv_there(t))
		return fail(f, "type",
		            "type is missing: a credential's type must include "
		            "VerifiableCredential");
	if (!type_value(t))
		return fail(f, "type", "type must be a string or an array of non-empty strings");
	if (!vc_dmv_type_has(t, "VerifiableCredential"))
		return fail(f, "type.vc", "type must contain VerifiableCredential");
	return 0;
}

static int check_issuer(struct vc_dmv iss, struct vc_dm_failure *f)
{

	if (!vc_dmv_there(iss))
		return fail(f, "issuer", "issuer is missing: a credential names its issuer");
	if (vc_dmv_is_object(iss)) {
		if (!is_url(vc_dmv_get(iss, "id")))
			return fail(f, "issuer", "issuer.id must be a URL");
		return check_texts(iss, "issuer.", f);
	}
	if (!is_url(iss))
		return fail(f, "issuer",
		            "issuer must be a URL or an object with an id that is a "
		            "URL");
	return 0;
}

static int check_subject(struct vc_dmv s, struct vc_dm_failure *f)
{
	struct vc_dmv one, id;
	struct vc_dmv_it it;

	if (!vc_dmv_there(s))
		return fail(f, "credentialSubject",
		            "credentialSubject is missing: a credential "
		            "makes claims about a subject");
	if (vc_dmv_is_array(s) && vc_dmv_size(s) == 0)
		return fail(f, "credentialSubject", "credentialSubject must not be an empty array");
	if (!vc_dmv_is_object(s) && !vc_dmv_is_array(s))
		return fail(f, "credentialSubject",
		            "credentialSubject must be an object or an array of objects");
	for (one = vc_dmv_each(s, &it); vc_dmv_there(one); one = vc_dmv_each_next(&it)) {
		if (!vc_dmv_is_object(one) || vc_dmv_size(one) == 0)
			return fail(f, "credentialSubject",
			            "credentialSubject: each subject must be a non-empty object");
		id = vc_dmv_get(one, "id");
		if (vc_dmv_there(id) && !is_url(id))
			return fail(f, "credentialSubject", "credentialSubject.id must be a URL");
	}
	return 0;
}

/* A dateTimeStamp member: not there (true, *there false), or a string that parses. */
static bool date_member(struct vc_dmv v, bool *there, long long *t, const char **frac,
                        size_t *frac_n)
{
	size_t n;
	const char *s;

	*there = vc_dmv_there(v);
	if (!*there)
		return true;
	s = vc_dmv_str(v, &n);
	return s && parse_datetime(s, n, t, frac, frac_n);
}

static int check_validity(struct vc_dmv from, struct vc_dmv until, struct vc_dm_failure *f)
{
	long long tf = 0, tu = 0;
	const char *ff = "", *fu = "";
	size_t nf = 0, nu = 0;
	bool has_f, has_u;

	if (!date_member(from, &has_f, &tf, &ff, &nf))
		return fail(f, "validFrom",
		            "validFrom must be an XML Schema dateTimeStamp, a date and time with a "
		            "time zone (e.g. 2024-07-01T00:00:00Z)");
	if (!date_member(until, &has_u, &tu, &fu, &nu))
		return fail(
		        f, "validUntil",
		        "validUntil must be an XML Schema dateTimeStamp, a date and time with a "
		        "time zone (e.g. 2030-07-01T00:00:00Z)");
	if (has_f && has_u && (tf > tu || (tf == tu && frac_cmp(ff, nf, fu, nu) > 0)))
		return fail(f, "validity.order", "validFrom must not be later than validUntil");
	return 0;
}

/* An object's members "type" and "id" (each none when not there): on a tree in one pass over
 * its members (a tree has no two of one name), on jansson asked by name. */
static void type_and_id(struct vc_dmv obj, struct vc_dmv *type, struct vc_dmv *id)
{
	struct vc_dmv_it it;
	struct vc_dmv c;
	const char *k;
	size_t kn;

	if (!obj.t) {
		*type = vc_dmv_get(obj, "type");
		*id = vc_dmv_get(obj, "id");
		return;
	}
	*type = *id = vc_dmv_none(obj);
	for (c = vc_dmv_first(obj, &it); vc_dmv_there(c); c = vc_dmv_next(&it)) {
		k = vc_dmv_key(&it, &kn);
		if (kn == 4 && memcmp(k, "type", 4) == 0)
			*type = c;
		else if (kn == 2 && k[0] == 'i' && k[1] == 'd')
			*id = c;
	}
}

/* One of the properties whose items must each be an object with a type (and, where required,
 * an id); an id, when present, is a URL. */
static int check_items(struct vc_dmv v, const char *prop, bool id_required, struct vc_dm_failure *f)
{
	struct vc_dmv one, id, type;
	struct vc_dmv_it it;

	if (!vc_dmv_there(v))
		return 0;
	if (!vc_dmv_is_object(v) && !(vc_dmv_is_array(v) && vc_dmv_size(v) > 0))
		return fail(f, prop, "%s must be an object or a non-empty array of objects", prop);
	for (one = vc_dmv_each(v, &it); vc_dmv_there(one); one = vc_dmv_each_next(&it)) {
		if (!vc_dmv_is_object(one))
			return fail(f, prop, "%s: each item must be an object", prop);
		type_and_id(one, &type, &id);
		if (!type_value(type))
			return fail(f, prop, "%s: each item must have a type", prop);
		if (id_required && !vc_dmv_there(id))
			return fail(f, prop, "%s: each item must have an id", prop);
		if (vc_dmv_there(id) && !is_url(id))
			return fail(f, prop, "%s: an item's id must be a URL", prop);
	}
	return 0;
}

/* digestSRI: an algorithm of Subresource Integrity and base64 ("sha384-…"). */
static bool sri_value(struct vc_dmv v)
{
	size_t i, n;
	const char *s = vc_dmv_str(v, &n), *b64;

	if (!s || n < 7)
		return false;
	if (memcmp(s, "sha256-", 7) == 0 || memcmp(s, "sha384-", 7) == 0 ||
	    memcmp(s, "sha512-", 7) == 0)
		b64 = s + 7;
	else
		return false;
	for (i = 0; i < n - 7; i++)
		if (!((b64[i] >= 'a' && b64[i] <= 'z') || (b64[i] >= 'A' && b64[i] <= 'Z') ||
		      (b64[i] >= '0' && b64[i] <= '9') || (b64[i] && strchr("+/=-_", b64[i]))))
			return false;
	return i > 0;
}

/* digestMultibase: a multibase string (a base prefix and at least one character). */
static bool multibase_value(struct vc_dmv v)
{
	size_t n;
	const char *s = vc_dmv_str(v, &n);

	return s && n >= 2 && strchr("zumfFbB", s[0]);
}

/* A bound on the related resources of one credential: beyond it the list is refused outright. */
#define MAX_RELATED 1024

struct related_id {
	const char *id;
	size_t len;
	size_t at; /* its place in the list */
};

/* strcmp's order on strings without a NUL inside. */
static int cmp_bytes(const char *a, size_t an, const char *b, size_t bn)
{
	int c = memcmp(a, b, an < bn ? an : bn);

	return c ? c : (an > bn) - (an < bn);
}

static int cmp_related(const void *a, const void *b)
{
	const struct related_id *x = a, *y = b;
	int c = cmp_bytes(x->id, x->len, y->id, y->len);

	return c ? c : (x->at > y->at) - (x->at < y->at);
}

/* Called with at most MAX_RELATED items. */
static int check_related(struct vc_dmv v, struct vc_dm_failure *f)
{
	struct vc_dmv one;
	struct related_id ids[MAX_RELATED];
	struct vc_dmv_it it;
	size_t i, k, n;

	if (!vc_dmv_there(v))
		return 0;
	if (!vc_dmv_is_object(v) && !(vc_dmv_is_array(v) && vc_dmv_size(v) > 0))
		return fail(f, "relatedResource",
		            "relatedResource must be an object or a non-empty array of objects");
	n = vc_dmv_is_array(v) ? vc_dmv_size(v) : 1;
	if (n > MAX_RELATED)
		return fail(f, "relatedResource", "relatedResource has more than %d items",
		            MAX_RELATED);
	for (i = 0, one = vc_dmv_each(v, &it); vc_dmv_there(one);
	     i++, one = vc_dmv_each_next(&it)) {
		if (!vc_dmv_is_object(one) || !is_url(vc_dmv_get(one, "id")))
			return fail(
			        f, "relatedResource",
			        "relatedResource: each item must be an object with an id that is a "
			        "URL");
		if (vc_dmv_there(vc_dmv_get(one, "digestSRI")) &&
		    !sri_value(vc_dmv_get(one, "digestSRI")))
			return fail(f, "relatedResource",
			            "relatedResource: digestSRI must be sha256-, sha384- or "
			            "sha512- and "
			            "base64");
		if (vc_dmv_there(vc_dmv_get(one, "digestMultibase")) &&
		    !multibase_value(vc_dmv_get(one, "digestMultibase")))
			return fail(f, "relatedResource",
			            "relatedResource: digestMultibase must be a multibase string");
		if (!vc_dmv_there(vc_dmv_get(one, "digestSRI")) &&
		    !vc_dmv_there(vc_dmv_get(one, "digestMultibase")))
			return fail(f, "relatedResource",
			            "relatedResource: each item must have a digestSRI or a "
			            "digestMultibase");
		ids[i].id = vc_dmv_str(vc_dmv_get(one, "id"), &ids[i].len);
		ids[i].at = i;
	}
	/* Unique ids: sorted, then neighbours compared (n log n, review P6); equal ids sort by
	 * their place, so the pair named is the first two items with that id. */
	qsort(ids, n, sizeof(ids[0]), cmp_related);
	for (k = 1; k < n; k++)
		if (cmp_bytes(ids[k - 1].id, ids[k - 1].len, ids[k].id, ids[k].len) == 0)
			return fail(f, "relatedResource.unique",
			            "relatedResource: items %zu and %zu have the same id",
			            ids[k - 1].at, ids[k].at);
	return 0;
}

/* The credential's members the rules read. */
struct top {
	struct vc_dmv ctx, id, type, issuer, subject, from, until, name, desc, status, terms,
	        evidence, refresh, schema, related, proof;
};

/* The members of credential vc (an object) the rules read: on a tree in one pass over its
 * members (a tree has no two of one name), told by length first; a jansson object asked
 * by name, as before. */
static void top_members(struct vc_dmv vc, struct top *m)
{
	struct vc_dmv_it it;
	struct vc_dmv c;
	const char *k;
	size_t kn;

#define TOP_IS(name) (kn == sizeof(name) - 1 && memcmp(k, name, sizeof(name) - 1) == 0)
	if (!vc.t) {
		m->ctx = vc_dmv_get(vc, "@context");
		m->id = vc_dmv_get(vc, "id");
		m->type = vc_dmv_get(vc, "type");
		m->issuer = vc_dmv_get(vc, "issuer");
		m->subject = vc_dmv_get(vc, "credentialSubject");
		m->from = vc_dmv_get(vc, "validFrom");
		m->until = vc_dmv_get(vc, "validUntil");
		m->name = vc_dmv_get(vc, "name");
		m->desc = vc_dmv_get(vc, "description");
		m->status = vc_dmv_get(vc, "credentialStatus");
		m->terms = vc_dmv_get(vc, "termsOfUse");
		m->evidence = vc_dmv_get(vc, "evidence");
		m->refresh = vc_dmv_get(vc, "refreshService");
		m->schema = vc_dmv_get(vc, "credentialSchema");
		m->related = vc_dmv_get(vc, "relatedResource");
		m->proof = vc_dmv_get(vc, "proof");
		return;
	}
	c = vc_dmv_none(vc);
	*m = (struct top){c, c, c, c, c, c, c, c, c, c, c, c, c, c, c, c};
	for (c = vc_dmv_first(vc, &it); vc_dmv_there(c); c = vc_dmv_next(&it)) {
		k = vc_dmv_key(&it, &kn);
		switch (kn) {
		case 2:
			if (TOP_IS("id"))
				m->id = c;
			break;
		case 4:
			if (TOP_IS("type"))
				m->type = c;
			else if (TOP_IS("name"))
				m->name = c;
			break;
		case 5:
			if (TOP_IS("proof"))
				m->proof = c;
			break;
		case 6:
			if (TOP_IS("issuer"))
				m->issuer = c;
			break;
		case 8:
			if (TOP_IS("@context"))
				m->ctx = c;
			else if (TOP_IS("evidence"))
				m->evidence = c;
			break;
		case 9:
			if (TOP_IS("validFrom"))
				m->from = c;
			break;
		case 10:
			if (TOP_IS("validUntil"))
				m->until = c;
			else if (TOP_IS("termsOfUse"))
				m->terms = c;
			break;
		case 11:
			if (TOP_IS("description"))
				m->desc = c;
			break;
		case 14:
			if (TOP_IS("refreshService"))
				m->refresh = c;
			break;
		case 15:
			if (TOP_IS("relatedResource"))
				m->related = c;
			break;
		case 16:
			if (TOP_IS("credentialStatus"))
				m->status = c;
			else if (TOP_IS("credentialSchema"))
				m->schema = c;
			break;
		case 17:
			if (TOP_IS("credentialSubject"))
				m->subject = c;
			break;
		default:
			break;
		}
	}
#undef TOP_IS
}

int vc_datamodel_check_view(struct vc_dmv vc, const struct vc_dm_options *o,
                            struct vc_dm_failure *f)
{
	struct vc_dm_walked w;
	struct top m;
	int rc;

	f->rule = NULL;
	f->message[0] = '\0';
	memset(&w, 0, sizeof(w));
	if (!vc_dmv_is_object(vc))
		return fail(f, "credential", "a credential must be a JSON object");
	top_members(vc, &m);
	w.proof = m.proof;
	w.has_proof = true;
	if ((rc = check_context(m.ctx, f)) ||
	    (rc = vc.t ? walk_tree(vc, &w, f) : walk_contexts(vc, 0, f)))
		return rc;
	if (vc_dmv_there(m.id) && !is_url(m.id))
		return fail(f, "id", "id must be a URL (e.g. urn:uuid:… or https://…)");
	if ((rc = check_type(m.type, f)) || (rc = check_issuer(m.issuer, f)) ||
	    (rc = check_subject(m.subject, f)) || (rc = check_validity(m.from, m.until, f)) ||
	    (rc = check_texts_of(m.name, m.desc, "", f)))
		return rc;
	if ((rc = check_items(m.status, "credentialStatus", false, f)) ||
	    (rc = check_items(m.terms, "termsOfUse", false, f)) ||
	    (rc = check_items(m.evidence, "evidence", false, f)) ||
	    (rc = check_items(m.refresh, "refreshService", false, f)) ||
	    (rc = check_items(m.schema, "credentialSchema", true, f)))
		return rc;
	if (vc_dmv_is_array(m.related) && vc_dmv_size(m.related) > MAX_RELATED)
		return fail(f, "relatedResource", "relatedResource has more than %d items",
		            MAX_RELATED);
	if ((rc = check_related(m.related, f)))
		return rc;
	/* The second step, once JSON-LD expansion is there to tell (see datamodel.h). */
	if (o && o->types_defined && (rc = o->types_defined(o->ctx, vc, &w, f))) {
		if (rc == OK_EINPUT)
			f->rule = "type.defined";
		return rc;
	}
	return 0;
}

int vc_datamodel_check(const json_t *vc, const struct vc_dm_options *o, struct vc_dm_failure *f)
{
	return vc_datamodel_check_view(vc_dmv_json(vc), o, f);
}

int vc_datamodel_check_tree(const struct json_tree *t, uint32_t root, const struct vc_dm_options *o,
                            struct vc_dm_failure *f)
{
	return vc_datamodel_check_view(vc_dmv_tree(t, root), o, f);
}
