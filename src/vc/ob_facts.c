/* Achievement and holder facts of an Open Badges 3.0 credential, the same for every JSON shape
 * of the same quads and for either reader of a view (see ob_facts.h). */
#include "vc/ob_facts.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* How many members a set may have before a fact read from it is given up as unknown: a set of
 * equal values is compared pairwise with the first, so this only bounds the walk. */
#define MAX_SET 1000

static const struct vc_ob_str none_str = {NULL, 0};

static bool str_same(struct vc_ob_str a, struct vc_ob_str b)
{
	return a.n == b.n && memcmp(a.s, b.s, a.n) == 0;
}

/* How many values v holds as a set: an array's items, 1 for another value, 0 for none. */
static size_t set_size(struct vc_dmv v)
{
	return vc_dmv_is_array(v) ? vc_dmv_size(v) : vc_dmv_there(v) ? 1 : 0;
}

/* The value of a value object ({"@value": …}, with at most a language, a direction or a type
 * beside it), the value itself for anything else. */
static inline struct vc_dmv plain_value(struct vc_dmv v)
{
	return vc_dmv_is_object(v) ? vc_dmv_get(v, "@value") : v;
}

static inline struct vc_ob_str text_one(struct vc_dmv v)
{
	struct vc_ob_str t;

	t.s = vc_dmv_str(plain_value(v), &t.n);
	return t;
}

struct vc_ob_str vc_ob_text(struct vc_dmv v)
{
	struct vc_ob_str t, u;
	struct vc_dmv_it it;
	struct vc_dmv c;
	size_t n;

	if (!vc_dmv_is_array(v))
		return text_one(v);
	n = vc_dmv_size(v);
	if (n == 0 || n > MAX_SET)
		return none_str;
	t = text_one(vc_dmv_first(v, &it));
	for (c = vc_dmv_next(&it); t.s && vc_dmv_there(c); c = vc_dmv_next(&it)) {
		u = text_one(c);
		if (!u.s || !str_same(t, u))
			return none_str;
	}
	return t;
}

/* Whether s is in the xsd:float lexical space without INF and NaN (which no count of credits
 * is): digits with an optional sign, point and exponent. */
static bool float_lexical(const char *s)
{
	size_t digits = 0;

	if (*s == '+' || *s == '-')
		s++;
	for (; *s >= '0' && *s <= '9'; s++)
		digits++;
	if (*s == '.')
		for (s++; *s >= '0' && *s <= '9'; s++)
			digits++;
	if (!digits)
		return false;
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '+' || *s == '-')
			s++;
		if (!(*s >= '0' && *s <= '9'))
			return false;
		while (*s >= '0' && *s <= '9')
			s++;
	}
	return *s == '\0';
}

static bool number_one(struct vc_dmv v, double *out)
{
	struct vc_ob_str t;
	char text[65];
	double x;

	v = plain_value(v);
	if (!vc_dmv_number(v, &x)) {
		/* Its lexical form, terminated for strtod (a tree's string may not be). */
		t.s = vc_dmv_str(v, &t.n);
		if (!t.s || t.n >= sizeof(text))
			return false;
		memcpy(text, t.s, t.n);
		text[t.n] = '\0';
		if (!float_lexical(text))
			return false;
		x = strtod(text, NULL);
	}
	if (!isfinite(x))
		return false;
	*out = x;
	return true;
}

bool vc_ob_number(struct vc_dmv v, double *out)
{
	struct vc_dmv_it it;
	struct vc_dmv c;
	double x, y;
	size_t n;

	if (!vc_dmv_is_array(v))
		return number_one(v, out);
	n = vc_dmv_size(v);
	if (n == 0 || n > MAX_SET || !number_one(vc_dmv_first(v, &it), &x))
		return false;
	for (c = vc_dmv_next(&it); vc_dmv_there(c); c = vc_dmv_next(&it))
		if (!number_one(c, &y) || y != x)
			return false;
	*out = x;
	return true;
}

/* An xsd:boolean: true/false, "true"/"false"/"1"/"0", or a value object of one. -1 when it is
 * none of these. */
static int boolean_of(struct vc_dmv v)
{
	v = plain_value(v);
	if (vc_dmv_is(v, JSON_TREE_TRUE))
		return 1;
	if (vc_dmv_is(v, JSON_TREE_FALSE))
		return 0;
	if (vc_dmv_str_is(v, "true") || vc_dmv_str_is(v, "1"))
		return 1;
	if (vc_dmv_str_is(v, "false") || vc_dmv_str_is(v, "0"))
		return 0;
	return -1;
}

/* The one node object of v (an object, or a set holding exactly one); none for none. *several
 * is set when v holds more than one. */
static struct vc_dmv one_node(struct vc_dmv v, bool *several)
{
	*several = false;
	if (vc_dmv_is_object(v))
		return v;
	if (!vc_dmv_is_array(v) || vc_dmv_size(v) == 0)
		return vc_dmv_none(v);
	if (vc_dmv_size(v) > 1) {
		*several = true;
		return vc_dmv_none(v);
	}
	v = vc_dmv_at(v, 0);
	return vc_dmv_is_object(v) ? v : vc_dmv_none(v);
}

struct vc_dmv vc_ob_subject(struct vc_dmv vc)
{
	bool several;

	return one_node(vc_dmv_get(vc, "credentialSubject"), &several);
}

/* Whether two identity values of type say the same: equal, or for a birth date the same day
 * (YYYY-MM-DD, alone or followed by a time). */
static bool same_identity(const char *type, struct vc_ob_str a, struct vc_ob_str b)
{
	if (str_same(a, b))
		return true;
	return strcmp(type, "ext:birthDate") == 0 && a.n >= 10 && b.n >= 10 &&
	       (a.n == 10 || a.s[10] == 'T') && (b.n == 10 || b.s[10] == 'T') &&
	       memcmp(a.s, b.s, 10) == 0;
}

struct vc_ob_str vc_ob_identity(struct vc_dmv subject, const char *type, bool *conflicting)
{
	struct vc_dmv ids = vc_dmv_get(subject, "identifier"), o, hashed;
	struct vc_ob_str found = none_str, t, value;
	struct vc_dmv_it it;

	if (conflicting)
		*conflicting = false;
	if (set_size(ids) > MAX_SET) {
		if (conflicting)
			*conflicting = true; /* not read: never taken for "none" */
		return none_str;
	}
	for (o = vc_dmv_each(ids, &it); vc_dmv_there(o); o = vc_dmv_each_next(&it)) {
		if (!vc_dmv_is_object(o))
			continue;
		t = vc_ob_text(vc_dmv_get(o, "identityType"));
		hashed = vc_dmv_get(o, "hashed");
		/* A hashed value is a digest, not something a person can read or compare. */
		if (!t.s || !vc_dmv_bytes_are(t.s, t.n, type) ||
		    (vc_dmv_there(hashed) && boolean_of(hashed) != 0))
			continue;
		value = vc_ob_text(vc_dmv_get(o, "identityHash"));
		if (!value.s)
			continue;
		if (found.s && !same_identity(type, found, value)) {
			if (conflicting)
				*conflicting = true;
			return none_str;
		}
		found = value;
	}
	return found;
}

/* The grade: the value every result with one states; none when none, or when results state
 * different values (a set has no first member to prefer). */
static struct vc_ob_str grade_of(struct vc_dmv results)
{
	struct vc_ob_str grade = none_str, value;
	struct vc_dmv_it it;
	struct vc_dmv r;

	if (set_size(results) > MAX_SET)
		return none_str;
	for (r = vc_dmv_each(results, &it); vc_dmv_there(r); r = vc_dmv_each_next(&it)) {
		if (!vc_dmv_is_object(r))
			continue;
		value = vc_ob_text(vc_dmv_get(r, "value"));
		if (!value.s) {
			if (vc_dmv_there(vc_dmv_get(r, "value")))
				return none_str; /* a value that is not one text is not "no value"
				                  */
			continue;
		}
		if (grade.s && !str_same(grade, value))
			return none_str;
		grade = value;
	}
	return grade;
}

int vc_ob_facts_read(struct vc_dmv vc, struct vc_ob_facts *f, struct ok_error *err)
{
	struct vc_dmv subject, ach, creator, address, name, earned, awarded;
	bool several;

	memset(f, 0, sizeof(*f));
	subject = one_node(vc_dmv_get(vc, "credentialSubject"), &several);
	if (several)
		return ok_fail_field(err, OK_EINPUT, "credentialSubject",
		                     "the credential has several subjects: which one the result is "
		                     "about is not stated");
	if (!vc_dmv_there(subject))
		return ok_fail_field(
		        err, OK_EINPUT, "credentialSubject",
		        "the credential is not about an achievement: it has no subject");
	ach = one_node(vc_dmv_get(subject, "achievement"), &several);
	if (several)
		return ok_fail_field(err, OK_EINPUT, "credentialSubject.achievement",
		                     "the credential names several achievements: which one was "
		                     "earned is not stated");
	f->subject = subject;
	name = vc_dmv_get(ach, "name");
	f->title = vc_ob_text(vc_dmv_there(name) ? name : vc_dmv_get(vc, "name"));
	if (!f->title.s || !f->title.n)
		return ok_fail_field(
		        err, OK_EINPUT, "credentialSubject.achievement.name",
		        "the credential is not about an achievement: it names none, or "
		        "several different ones (credentialSubject.achievement.name)");
	f->achievement_type = vc_ob_text(vc_dmv_get(ach, "achievementType"));
	creator = one_node(vc_dmv_get(ach, "creator"), &several);
	if (vc_dmv_there(creator)) {
		address = one_node(vc_dmv_get(creator, "address"), &several);
		f->institution = vc_ob_text(vc_dmv_get(creator, "name"));
		f->country = vc_ob_text(vc_dmv_get(address, "addressCountryCode"));
	}
	awarded = vc_dmv_get(vc, "awardedDate");
	f->awarded_stated = vc_dmv_there(awarded);
	f->awarded = vc_ob_text(awarded);
	/* Credits earned, when stated in any shape, win: an unreadable value is no credits. */
	earned = vc_dmv_get(subject, "creditsEarned");
	if (vc_dmv_there(earned))
		f->has_credits = vc_ob_number(earned, &f->credits);
	else
		f->has_credits = vc_ob_number(vc_dmv_get(ach, "creditsAvailable"), &f->credits);
	f->grade = grade_of(vc_dmv_get(subject, "result"));
	return 0;
}
