/* The one-glance summary of a verification (see verify_summary.h): holder, result, headline. */
#include "registry/verify_summary.h"
#include "core/format.h"
#include "io/utf8.h"
#include "store/vcstatus.h"
#include "vc/ob_facts.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const headline_names[] = {
        [VERIFY_HEADLINE_VERIFIED] = "verified",
        [VERIFY_HEADLINE_REVOKED] = "revoked",
        [VERIFY_HEADLINE_SUSPENDED] = "suspended",
        [VERIFY_HEADLINE_INVALID] = "invalid",
        [VERIFY_HEADLINE_NOT_VERIFIED] = "not_verified",
        [VERIFY_HEADLINE_NOT_CREDENTIAL] = "not_credential",
};

const char *verify_headline_name(enum verify_headline h)
{
	return headline_names[h];
}

bool verify_proof_failed(const struct verify_result *r)
{
	for (size_t i = 0; i < r->count; i++)
		if (r->items[i].check == VERIFY_PROOF && !r->items[i].passed)
			return true;
	return false;
}

bool verify_item_applicable(const struct verify_result *r, size_t i)
{
	return r->items[i].check == VERIFY_PROOF || !verify_proof_failed(r);
}

const char *verify_item_state(const struct verify_result *r, size_t i)
{
	if (!verify_item_applicable(r, i))
		return "not_applicable";
	if (!r->items[i].passed)
		return "failed";
	return r->items[i].warning ? "warning" : "passed";
}

/* Holder and result */

static const char *str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* A string member's bytes, or {NULL, 0}. */
static struct verify_text member_text(struct vc_dmv o, const char *key)
{
	struct verify_text t;

	t.s = vc_dmv_str(vc_dmv_get(o, key), &t.n);
	return t;
}

/* A fact vc/ob_facts.h read, as the summary gives it. */
static struct verify_text ob_str(struct vc_ob_str s)
{
	struct verify_text t = {s.s, s.n};

	return t;
}

/* The first of two texts that is there. */
static struct verify_text either(struct verify_text a, struct verify_text b)
{
	return a.s ? a : b;
}

/* An SD-JWT VC's disclosed claims (registry/sdjwt_credential.h): told apart by their vct. */
static bool is_sdjwt_vc(struct vc_dmv vc)
{
	return vc_dmv_is_string(vc_dmv_get(vc, "vct"));
}

/* How many of the n bytes of UTF-8 at s are kept when at most cap fit: a cut is moved back to
 * a character boundary, never inside a character (a cut inside one is not UTF-8, and the
 * report could not be written). */
static size_t text_cut(const char *s, size_t n, size_t cap)
{
	if (n <= cap)
		return n;
	while (cap > 0 && ((unsigned char)s[cap] & 0xC0) == 0x80)
		cap--;
	return cap;
}

/* Appends the n bytes at s to out (*len bytes used of cap, a NUL kept after them); false when
 * they did not all fit (then as many whole characters as fit). */
static bool put_cut(char *out, size_t cap, size_t *len, const char *s, size_t n)
{
	size_t k = text_cut(s, n, cap - 1 - *len);

	memcpy(out + *len, s, k);
	*len += k;
	out[*len] = '\0';
	return k == n;
}

/* An SD-JWT VC's "given family" (or the one there is) in out, cut at a character boundary
 * when it does not fit; "" when neither is there. */
static void sdjwt_name(const char *given, size_t gn, const char *family, size_t fn, char *out,
                       size_t cap)
{
	size_t len = 0;

	out[0] = '\0';
	if (given && family) {
		if (put_cut(out, cap, &len, given, gn) && put_cut(out, cap, &len, " ", 1))
			put_cut(out, cap, &len, family, fn);
	} else if (given || family) {
		put_cut(out, cap, &len, given ? given : family, given ? gn : fn);
	}
}

static const struct {
	const char *type, *kind;
} kind_map[] = {
        {"Diploma", "diploma"},       {"BachelorDegree", "degree"},  {"MasterDegree", "degree"},
        {"DoctoralDegree", "degree"}, {"AssociateDegree", "degree"}, {"Degree", "degree"},
        {"Assessment", "exam"},       {"ext:Module", "module"},      {"Course", "course"},
};

/* The kind of the n bytes at type, or NULL. */
static const char *kind_of_bytes(const char *type, size_t n)
{
	for (size_t i = 0; i < sizeof(kind_map) / sizeof(kind_map[0]); i++)
		if (vc_dmv_bytes_are(type, n, kind_map[i].type))
			return kind_map[i].kind;
	return NULL;
}

/* Shared with foreign.c, which files another issuer's credentials under the same kinds. */
const char *verify_kind_of_type(const char *type)
{
	return type ? kind_of_bytes(type, strlen(type)) : NULL;
}

/* Credits as a person wrote them: 180, not 180.0 (credentials are parsed as doubles). */
bool verify_credits_integral(double v)
{
	/* Only a value an integer holds is converted (a hostile 1e300 is undefined behaviour). */
	return v > -9e15 && v < 9e15 && v == (double)(json_int_t)v;
}

void verify_holder_read(struct vc_dmv vc, struct verify_holder *h)
{
	struct vc_dmv s;

	memset(h, 0, sizeof(*h));
	if (is_sdjwt_vc(vc)) {
		struct verify_text given = member_text(vc, "given_name"),
		                   family = member_text(vc, "family_name");
		/* Each name up to a NUL, as its C string (a tree's strings hold none). */
		sdjwt_name(given.s, given.s ? strnlen(given.s, given.n) : 0, family.s,
		           family.s ? strnlen(family.s, family.n) : 0, h->joined,
		           sizeof(h->joined));
		if (h->joined[0]) {
			h->name.s = h->joined;
			h->name.n = strlen(h->joined);
		}
		h->birth_date = member_text(vc, "birthdate");
		return;
	}
	/* The one subject's: with several, whose result this is is not stated. */
	s = vc_ob_subject(vc);
	h->name = ob_str(vc_ob_identity(s, "name", NULL));
	h->birth_date = ob_str(vc_ob_identity(s, "ext:birthDate", NULL));
}

/* The claims of our own type, or of the EU Learning Credential, as the summary's facts. */
static void sdjwt_achievement_read(struct vc_dmv vc, struct verify_achievement *a)
{
	struct vc_dmv inst = vc_dmv_get(vc, "institution");
	struct verify_text vct = member_text(vc, "vct");
	const char *kind = vct.s ? memmem(vct.s, vct.n, "/vct/", 5) : NULL;

	a->stated = true;
	a->title = either(member_text(vc, "title"), member_text(vc, "achievement_title"));
	if (kind) {
		a->kind.s = kind + 5;
		a->kind.n = (size_t)(vct.s + vct.n - a->kind.s);
	}
	a->institution = either(member_text(inst, "name"), member_text(vc, "issuing_authority"));
	a->country = either(member_text(inst, "country"), member_text(vc, "issuing_country"));
	a->awarded_on = member_text(vc, "awarded_on");
	a->has_credits = vc_dmv_number(vc_dmv_get(vc, "credits_ects"), &a->credits);
	a->grade = either(member_text(vc, "grade"), member_text(vc, "assessment_grade"));
}

void verify_achievement_read(struct vc_dmv vc, struct verify_achievement *a)
{
	struct vc_ob_facts f;
	struct verify_text awarded;
	const char *kind;

	memset(a, 0, sizeof(*a));
	if (is_sdjwt_vc(vc)) {
		sdjwt_achievement_read(vc, a);
		return;
	}
	/* The same reader as foreign imports: what an rdfc signature fixes, whatever the JSON
	 * shape; a credential whose result is not one stated achievement has no summary (why
	 * not is not asked for: no message is written). */
	if (vc_ob_facts_read(vc, &f, NULL) != 0)
		return;
	a->stated = true;
	a->title = ob_str(f.title);
	a->achievement_type = ob_str(f.achievement_type);
	/* Our own kinds back from Open Badges achievement types; other types stay as they are. */
	kind = f.achievement_type.s ? kind_of_bytes(f.achievement_type.s, f.achievement_type.n)
	                            : NULL;
	if (kind) {
		a->kind.s = kind;
		a->kind.n = strlen(kind);
	} else {
		a->kind = a->achievement_type;
	}
	a->institution = ob_str(f.institution);
	a->country = ob_str(f.country);
	a->has_credits = f.has_credits;
	a->credits = f.credits;
	a->grade = ob_str(f.grade);
	/* validFrom stands in only when no award date is stated at all. The date of a date and
	 * time: its first ten bytes, cut back to a character boundary when a text that is no
	 * date has a character across them. */
	awarded = f.awarded_stated ? ob_str(f.awarded) : member_text(vc, "validFrom");
	if (awarded.s && awarded.n >= 10) {
		a->awarded_on.n = text_cut(awarded.s, awarded.n, 10);
		memcpy(a->date, awarded.s, a->awarded_on.n);
		a->awarded_on.s = a->date;
	}
}

/* The summary's facts as JSON values: verify_holder_read and verify_achievement_read on the
 * jansson credential, so that every writer shows what the one reader read. */

static json_t *text_json(struct verify_text t)
{
	return t.s ? json_stringn(t.s, t.n) : json_null();
}

static json_t *credits_number(double v)
{
	if (verify_credits_integral(v))
		return json_integer((json_int_t)v);
	return json_real(v);
}

json_t *verify_holder_json(const json_t *vc)
{
	struct verify_holder h;

	if (!vc)
		return NULL;
	verify_holder_read(vc_dmv_json(vc), &h);
	return json_pack("{s:o, s:o}", "name", text_json(h.name), "birth_date",
	                 text_json(h.birth_date));
}

json_t *verify_achievement_json(const json_t *vc)
{
	struct verify_achievement a;

	if (!vc)
		return NULL;
	verify_achievement_read(vc_dmv_json(vc), &a);
	if (!a.stated)
		return json_null();
	return json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "title", text_json(a.title),
	                 "kind", text_json(a.kind), "achievement_type",
	                 text_json(a.achievement_type), "institution", text_json(a.institution),
	                 "country", text_json(a.country), "awarded_on", text_json(a.awarded_on),
	                 "credits", a.has_credits ? credits_number(a.credits) : json_null(),
	                 "grade", text_json(a.grade));
}

/* The verdict */

/* "YYYY-MM-DD" of ms since the epoch, UTC. */
static void day_of(int64_t ms, char out[11])
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (!gmtime_r(&t, &tm) || strftime(out, 11, "%Y-%m-%d", &tm) != 10)
		out[0] = '\0';
}

/* The n bytes at s read as strtoll(s, &end, 10) reads them: true when it would read them all
 * (*end the NUL that follows), with the value (saturated as strtoll saturates) in *out and
 * whether there was a digit at all in *digits. */
static bool whole_integer(const char *s, size_t n, long long *out, bool *digits)
{
	const unsigned long long top = (unsigned long long)LLONG_MAX + 1, step = top / 10 + 1;
	unsigned long long m = 0;
	bool neg = false, over = false;
	size_t i = 0, first;

	while (i < n && (s[i] == ' ' || (s[i] >= '\t' && s[i] <= '\r')))
		i++;
	if (i < n && (s[i] == '+' || s[i] == '-'))
		neg = s[i++] == '-';
	for (first = i; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
		if (m > step)
			over = true;
		else
			m = m * 10 + (unsigned long long)(s[i] - '0');
	}
	*digits = i > first;
	if (!*digits) {
		*out = 0;
		return n == 0; /* strtoll leaves end at the start */
	}
	if (neg)
		*out = over || m >= top ? LLONG_MIN : -(long long)m;
	else
		*out = over || m >= top ? LLONG_MAX : (long long)m;
	return i == n;
}

enum slot_found {
	SLOT_NONE,  /* nobody's slot, or the store did not answer */
	SLOT_VALID, /* a record's, neither revoked nor suspended */
	SLOT_SET,   /* a record's, revoked or suspended: v has the headline and since */
};

/* The record that holds slot (list, index) of the depository's status lists: an achievement's,
 * else a VC-API credential's issued with status. */
static enum slot_found slot_status(struct depository *d, long long list, long long index,
                                   struct verify_verdict *v)
{
	struct store_achievement a;

	if (store_achievement_by_slot(d->store, list, index, &a, NULL) != 0) {
		struct store_vc_status vs;
		if (store_vc_status_by_slot(d->store, list, index, &vs, NULL) != 0)
			return SLOT_NONE;
		OK_COPY_ARRAY(a.status, vs.status);
		a.updated_ms = vs.updated_ms;
		/* The slot of a result the retention schedule destroyed (retention.h). */
		v->destroyed = strcmp(vs.key_id, "retention") == 0 &&
		               strncmp(vs.id, "urn:oorkonde:retention:", 23) == 0;
	}
	if (strcmp(a.status, "revoked") && strcmp(a.status, "suspended")) {
		v->destroyed = false;
		return SLOT_VALID;
	}
	v->headline = strcmp(a.status, "revoked") == 0 ? VERIFY_HEADLINE_REVOKED
	                                               : VERIFY_HEADLINE_SUSPENDED;
	/* A status change is the record's last change: revoked records are final, and a
	 * suspended one changes only when it is reinstated. */
	day_of(a.updated_ms, v->since);
	return SLOT_SET;
}

/* For the depository's own SD-JWT VC: the slot its status.status_list names (BASE/statuslists/N
 * and idx, the slot of the same record's Bitstring entries: registry/sdjwt_status.h). */
static bool own_token_status(struct depository *d, struct vc_dmv vc, struct verify_verdict *v)
{
	struct vc_dmv sl = vc_dmv_get(vc_dmv_get(vc, "status"), "status_list");
	struct verify_text uri = member_text(sl, "uri");
	static const char path[] = "/statuslists/";
	size_t base = strlen(d->base_url), p = sizeof(path) - 1;
	long long list;
	double idx;
	bool digits;

	if (!uri.s || uri.n <= base + p || memcmp(uri.s, d->base_url, base) != 0 ||
	    memcmp(uri.s + base, path, p) != 0 ||
	    !whole_integer(uri.s + base + p, uri.n - base - p, &list, &digits) || !digits ||
	    list < 1 || !vc_dmv_number(vc_dmv_get(sl, "idx"), &idx) || !(idx >= 0) || idx > 9e15 ||
	    idx != (double)(long long)idx)
		return false;
	return slot_status(d, list, (long long)idx, v) == SLOT_SET;
}

/* For the depository's own credential: the achievement's status change, found by the slot its
 * status entry names. Returns true when the store says it is revoked or suspended. */
static bool own_status(struct depository *d, struct vc_dmv vc, struct verify_verdict *v)
{
	struct verify_text cid = member_text(vc, "id");
	struct vc_dmv_it it;
	struct vc_dmv e;
	size_t base = strlen(d->base_url);
	struct store_achievement by_id;
	char id[STORE_CREDENTIAL_ID_MAX + 1];

	/* The record the credential was issued for, by its id (an index look-up), else by the
	 * slot its status entries name. */
	if (cid.s && cid.n <= STORE_CREDENTIAL_ID_MAX) {
		memcpy(id, cid.s, cid.n);
		id[cid.n] = '\0';
	}
	if (cid.s && cid.n <= STORE_CREDENTIAL_ID_MAX &&
	    store_achievement_by_credential(d->store, id, &by_id, NULL) == 0) {
		if (strcmp(by_id.status, "revoked") && strcmp(by_id.status, "suspended"))
			return false;
		v->headline = strcmp(by_id.status, "revoked") == 0 ? VERIFY_HEADLINE_REVOKED
		                                                   : VERIFY_HEADLINE_SUSPENDED;
		day_of(by_id.updated_ms, v->since);
		return true;
	}
	for (e = vc_dmv_each(vc_dmv_get(vc, "credentialStatus"), &it); vc_dmv_there(e);
	     e = vc_dmv_each_next(&it)) {
		struct verify_text url = member_text(e, "statusListCredential"),
		                   index_text = member_text(e, "statusListIndex");
		const char *rest;
		long long list, index;
		bool digits;

		if (!url.s || !index_text.s || url.n < base + 8 ||
		    memcmp(url.s, d->base_url, base) != 0 ||
		    memcmp(url.s + base, "/status/", 8) != 0)
			continue;
		rest = memchr(url.s + base + 8, '/', url.n - base - 8);
		if (!rest)
			continue;
		rest++;
		if (!whole_integer(rest, (size_t)(url.s + url.n - rest), &list, &digits) ||
		    list < 1)
			continue;
		if (!whole_integer(index_text.s, index_text.n, &index, &digits) || !digits ||
		    index < 0)
			continue;
		switch (slot_status(d, list, index, v)) {
		case SLOT_NONE:
			continue;
		case SLOT_VALID:
			return false;
		case SLOT_SET:
			return true;
		}
	}
	return false;
}

void verify_verdict_of(struct depository *d, const struct verify_result *r,
                       struct verify_verdict *v)
{
	verify_verdict_of_view(d, r, vc_dmv_json(r->credential), v);
}

void verify_verdict_of_view(struct depository *d, const struct verify_result *r, struct vc_dmv vc,
                            struct verify_verdict *v)
{
	struct verify_text issuer;
	unsigned ran = 0, passed = 0;
	size_t i;

	memset(v, 0, sizeof(*v));
	if (!r->is_credential) {
		v->headline = VERIFY_HEADLINE_NOT_CREDENTIAL;
		return;
	}
	if (verify_proof_failed(r)) {
		v->headline = VERIFY_HEADLINE_INVALID;
		return;
	}
	for (i = 0; i < r->count; i++) {
		ran |= (unsigned)r->items[i].check;
		if (r->items[i].passed)
			passed |= (unsigned)r->items[i].check;
	}
	/* "Genuine" only when the signature was checked and held (options.checks may leave the
	 * proof out); nor does a credential nobody was seen to sign get a record's date. */
	v->signed_ok = (passed & VERIFY_PROOF) != 0;
	/* What it states is shown only when who signed it was checked too: anyone can sign a
	 * credential naming any holder, result and institution with a key of their own. */
	v->stated_ok = v->signed_ok && (passed & VERIFY_ISSUER);
	/* "Genuine and valid" only when every check ran and passed: a narrowed request
	 * (options.checks) is told only that the checks it asked for passed, never that a
	 * credential nobody checked the issuer or status of is genuine and valid. */
	if (r->verified && v->signed_ok && ran == VERIFY_ALL && passed == VERIFY_ALL) {
		v->headline = VERIFY_HEADLINE_VERIFIED;
		return;
	}
	v->headline = VERIFY_HEADLINE_NOT_VERIFIED;
	v->narrowed = r->verified && ran != VERIFY_ALL;
	for (i = 0; i < r->count; i++) {
		const struct verify_item *it = &r->items[i];
		if (it->check != VERIFY_STATUS || it->passed || it->status == VERIFY_STATUS_NOT_SET)
			continue;
		issuer = member_text(vc, "issuer");
		if (!issuer.s)
			issuer = member_text(vc_dmv_get(vc, "issuer"), "id");
		/* The depository's own credential: its record says since when. An SD-JWT VC's
		 * status is set only from the depository's own lists, for what it signed
		 * (sdjwt_verify.c): its slot is looked up by its status_list entry. */
		if (d && v->signed_ok &&
		    (strcmp(r->format, "sd-jwt") == 0
		             ? own_token_status(d, vc, v)
		             : issuer.s && vc_dmv_bytes_are(issuer.s, issuer.n, d->issuer_did) &&
		                       own_status(d, vc, v)))
			return;
		/* Another issuer's list says only that the bit is set, not since when. */
		v->headline = it->status == VERIFY_STATUS_REVOKED ? VERIFY_HEADLINE_REVOKED
		                                                  : VERIFY_HEADLINE_SUSPENDED;
	}
}

const char *verify_headline_reason(const struct verify_verdict *v)
{
	if (v->headline == VERIFY_HEADLINE_REVOKED && v->destroyed)
		return "destroyed";
	if (v->headline == VERIFY_HEADLINE_NOT_VERIFIED && v->narrowed)
		return "narrowed";
	return NULL;
}

/* Formatting */

void verify_headline_text(const struct verify_verdict *v, char *out, size_t cap)
{
	char date[RENDER_DATE_TEXT_MAX];

	/* A headline for people, of fixed words and a date: a cut only shortens it. */
	render_date_text(v->since, "en", date, sizeof(date));
	switch (v->headline) {
	case VERIFY_HEADLINE_VERIFIED:
		snprintf(out, cap, "Verified: genuine and valid");
		break;
	case VERIFY_HEADLINE_REVOKED:
		if (v->destroyed)
			snprintf(out, cap,
			         "Revoked: the record was destroyed under the retention "
			         "schedule%s%s",
			         v->since[0] ? " on " : "", v->since[0] ? date : "");
		else
			snprintf(out, cap, "Revoked by the institution%s%s",
			         v->since[0] ? " on " : "", v->since[0] ? date : "");
		break;
	case VERIFY_HEADLINE_SUSPENDED:
		snprintf(out, cap, "Suspended by the institution%s%s", v->since[0] ? " since " : "",
		         v->since[0] ? date : "");
		break;
	case VERIFY_HEADLINE_INVALID:
		snprintf(out, cap, "Not genuine: the signature does not hold");
		break;
	case VERIFY_HEADLINE_NOT_VERIFIED:
		snprintf(out, cap, "%s",
		         v->narrowed ? "Not verified: only the checks asked for passed"
		                     : "Not verified");
		break;
	case VERIFY_HEADLINE_NOT_CREDENTIAL:
		snprintf(out, cap, "Not a credential");
		break;
	}
}

/* The report */

/* Why an item came out as it did, as a code the pages explain in their own language. */
const char *verify_item_reason(const struct verify_result *r, size_t i,
                               const struct verify_verdict *v)
{
	const struct verify_item *it = &r->items[i];

	if (!verify_item_applicable(r, i))
		return "not_applicable";
	(void)v; /* a status check: its own finding (verify_item.status), not the headline */
	if (it->passed)
		return it->warning ? "warning" : "ok";
	if (it->check == VERIFY_STATUS)
		return it->status == VERIFY_STATUS_REVOKED     ? "revoked"
		       : it->status == VERIFY_STATUS_SUSPENDED ? "suspended"
		                                               : "unknown";
	return "bad";
}

json_t *verify_report_json(struct depository *d, const struct verify_result *r)
{
	struct verify_verdict v;
	char text[160];
	json_t *doc = verify_result_json(r), *checks, *details, *o;
	bool stated;
	size_t i;

	if (!doc)
		return NULL;
	verify_verdict_of(d, r, &v);
	verify_headline_text(&v, text, sizeof(text));
	checks = json_array();
	details = json_object_get(doc, "details");
	for (i = 0; i < r->count && checks; i++) {
		o = json_array_get(details, i);
		if (json_object_set_new(o, "state", json_string(verify_item_state(r, i))) ||
		    json_object_set_new(o, "reason", json_string(verify_item_reason(r, i, &v))))
			goto fail;
		/* A check that does not apply neither passed nor failed. */
		if (!verify_item_applicable(r, i) && json_object_set_new(o, "passed", json_false()))
			goto fail;
		/* A check that does not apply did not pass: it is not listed as one that did. */
		if (r->items[i].passed && verify_item_applicable(r, i) &&
		    json_array_append_new(checks,
		                          json_string(verify_check_name(r->items[i].check))))
			goto fail;
	}
	if (!checks || json_object_set_new(doc, "checks", checks))
		goto fail_doc;
	/* Nor is it listed among the errors: only the signature failed. */
	if (verify_proof_failed(r)) {
		json_t *errors = json_object_get(doc, "errors"), *e;
		for (i = json_array_size(errors); i-- > 0;) {
			const char *c = str(e = json_array_get(errors, i), "check");
			if (c && strcmp(c, "proof") != 0 && json_array_remove(errors, i))
				goto fail_doc;
		}
	}
	/* What a credential states is shown only when its signature and its issuer were checked
	 * and held: a failed or unchecked one's is not repeated as if verified (nor echoed into
	 * an error answer). */
	stated = r->credential && v.stated_ok;
	if (json_object_set_new(doc, "holder",
	                        stated ? verify_holder_json(r->credential) : json_null()) ||
	    json_object_set_new(doc, "achievement",
	                        stated ? verify_achievement_json(r->credential) : json_null()) ||
	    json_object_set_new(
	            doc, "headline",
	            json_pack("{s:s, s:o, s:s}", "state", verify_headline_name(v.headline), "since",
	                      v.since[0] ? json_string(v.since) : json_null(), "text", text)))
		goto fail_doc;
	/* Only for a result destroyed under the retention schedule ("destroyed") and for checks
	 * narrowed by options.checks that passed ("narrowed"). */
	if (verify_headline_reason(&v) &&
	    json_object_set_new(json_object_get(doc, "headline"), "reason",
	                        json_string(verify_headline_reason(&v))))
		goto fail_doc;
	return doc;
fail:
	json_decref(checks);
fail_doc:
	json_decref(doc);
	return NULL;
}
