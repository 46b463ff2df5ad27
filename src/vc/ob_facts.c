/* Achievement and holder facts of an Open Badges 3.0 credential, the same for every JSON shape
 * of the same quads (see ob_facts.h). */
#include "vc/ob_facts.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* How many members a set may have before a fact read from it is given up as unknown: a set of
 * equal values is compared pairwise with the first, so this only bounds the walk. */
#define MAX_SET 1000

/* The value of a value object ({"@value": …}, with at most a language, a direction or a type
 * beside it), the value itself for anything else. */
static const json_t *plain_value(const json_t *v)
{
	const json_t *inner;

	if (!json_is_object(v))
		return v;
	inner = json_object_get(v, "@value");
	return inner ? inner : NULL;
}

static const char *text_one(const json_t *v)
{
	return json_string_value(plain_value(v));
}

const char *vc_ob_text(const json_t *v)
{
	const char *t, *u;
	size_t i, n;

	if (!json_is_array(v))
		return text_one(v);
	n = json_array_size(v);
	if (n == 0 || n > MAX_SET)
		return NULL;
	t = text_one(json_array_get(v, 0));
	for (i = 1; t && i < n; i++) {
		u = text_one(json_array_get(v, i));
		if (!u || strcmp(t, u) != 0)
			return NULL;
	}
	return t;
}

bool vc_ob_float_lexical(const char *s)
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

static bool number_one(const json_t *v, double *out)
{
	const char *s;
	double x;

	v = plain_value(v);
	if (json_is_number(v)) {
		x = json_number_value(v);
	} else {
		s = json_string_value(v);
		if (!s || strlen(s) > 64 || !vc_ob_float_lexical(s))
			return false;
		x = strtod(s, NULL);
	}
	if (!isfinite(x))
		return false;
	*out = x;
	return true;
}

bool vc_ob_number(const json_t *v, double *out)
{
	double x, y;
	size_t i, n;

	if (!json_is_array(v))
		return number_one(v, out);
	n = json_array_size(v);
	if (n == 0 || n > MAX_SET || !number_one(json_array_get(v, 0), &x))
		return false;
	for (i = 1; i < n; i++)
		if (!number_one(json_array_get(v, i), &y) || y != x)
			return false;
	*out = x;
	return true;
}

/* An xsd:boolean: true/false, "true"/"false"/"1"/"0", or a value object of one. -1 when it is
 * none of these. */
static int boolean_of(const json_t *v)
{
	const char *s;

	v = plain_value(v);
	if (json_is_boolean(v))
		return json_is_true(v);
	s = json_string_value(v);
	if (s && (strcmp(s, "true") == 0 || strcmp(s, "1") == 0))
		return 1;
	if (s && (strcmp(s, "false") == 0 || strcmp(s, "0") == 0))
		return 0;
	return -1;
}

/* The one node object of v (an object, or a set holding exactly one); NULL for none. *several
 * is set when v holds more than one. */
static const json_t *one_node(const json_t *v, bool *several)
{
	*several = false;
	if (json_is_object(v))
		return v;
	if (!json_is_array(v) || json_array_size(v) == 0)
		return NULL;
	if (json_array_size(v) > 1) {
		*several = true;
		return NULL;
	}
	v = json_array_get(v, 0);
	return json_is_object(v) ? v : NULL;
}

/* Whether two identity values of type say the same: equal, or for a birth date the same day
 * (YYYY-MM-DD, alone or followed by a time). */
static bool same_identity(const char *type, const char *a, const char *b)
{
	if (strcmp(a, b) == 0)
		return true;
	return strcmp(type, "ext:birthDate") == 0 && strlen(a) >= 10 && strlen(b) >= 10 &&
	       (a[10] == '\0' || a[10] == 'T') && (b[10] == '\0' || b[10] == 'T') &&
	       strncmp(a, b, 10) == 0;
}

const char *vc_ob_identity(const json_t *subject, const char *type, bool *conflicting)
{
	const json_t *ids = json_object_get(subject, "identifier"), *o;
	const char *found = NULL, *t, *value;
	size_t i, n = json_is_array(ids) ? json_array_size(ids) : (ids ? 1 : 0);

	if (conflicting)
		*conflicting = false;
	if (n > MAX_SET) {
		if (conflicting)
			*conflicting = true; /* not read: never taken for "none" */
		return NULL;
	}
	for (i = 0; i < n; i++) {
		o = json_is_array(ids) ? json_array_get(ids, i) : ids;
		t = json_is_object(o) ? vc_ob_text(json_object_get(o, "identityType")) : NULL;
		/* A hashed value is a digest, not something a person can read or compare. */
		if (!t || strcmp(t, type) != 0 ||
		    (json_object_get(o, "hashed") && boolean_of(json_object_get(o, "hashed")) != 0))
			continue;
		value = vc_ob_text(json_object_get(o, "identityHash"));
		if (!value)
			continue;
		if (found && !same_identity(type, found, value)) {
			if (conflicting)
				*conflicting = true;
			return NULL;
		}
		found = value;
	}
	return found;
}

/* The grade: the value every result with one states; NULL when none, or when results state
 * different values (a set has no first member to prefer). */
static const char *grade_of(const json_t *results)
{
	const char *grade = NULL, *value;
	const json_t *r;
	size_t i, n = json_is_array(results) ? json_array_size(results) : (results ? 1 : 0);

	if (n > MAX_SET)
		return NULL;
	for (i = 0; i < n; i++) {
		r = json_is_array(results) ? json_array_get(results, i) : results;
		value = json_is_object(r) ? vc_ob_text(json_object_get(r, "value")) : NULL;
		if (!value) {
			if (json_is_object(r) && json_object_get(r, "value"))
				return NULL; /* a value that is not one text is not "no value" */
			continue;
		}
		if (grade && strcmp(grade, value) != 0)
			return NULL;
		grade = value;
	}
	return grade;
}

int vc_ob_facts_read(const json_t *vc, struct vc_ob_facts *f, struct ok_error *err)
{
	const json_t *subject, *ach, *creator, *name, *earned;
	bool several;

	memset(f, 0, sizeof(*f));
	subject = one_node(json_object_get(vc, "credentialSubject"), &several);
	if (several)
		return ok_fail_field(err, OK_EINPUT, "credentialSubject",
		                     "the credential has several subjects: which one the result is "
		                     "about is not stated");
	if (!subject)
		return ok_fail_field(
		        err, OK_EINPUT, "credentialSubject",
		        "the credential is not about an achievement: it has no subject");
	ach = one_node(json_object_get(subject, "achievement"), &several);
	if (several)
		return ok_fail_field(err, OK_EINPUT, "credentialSubject.achievement",
		                     "the credential names several achievements: which one was "
		                     "earned is not stated");
	f->subject = subject;
	name = json_object_get(ach, "name");
	f->title = name ? vc_ob_text(name) : vc_ob_text(json_object_get(vc, "name"));
	if (!f->title || !f->title[0])
		return ok_fail_field(
		        err, OK_EINPUT, "credentialSubject.achievement.name",
		        "the credential is not about an achievement: it names none, or "
		        "several different ones (credentialSubject.achievement.name)");
	f->achievement_type = vc_ob_text(json_object_get(ach, "achievementType"));
	creator = one_node(json_object_get(ach, "creator"), &several);
	if (creator) {
		const json_t *address = one_node(json_object_get(creator, "address"), &several);
		f->institution = vc_ob_text(json_object_get(creator, "name"));
		f->country = vc_ob_text(json_object_get(address, "addressCountryCode"));
	}
	f->awarded_stated = json_object_get(vc, "awardedDate") != NULL;
	f->awarded = vc_ob_text(json_object_get(vc, "awardedDate"));
	/* Credits earned, when stated in any shape, win: an unreadable value is no credits. */
	earned = json_object_get(subject, "creditsEarned");
	if (earned)
		f->has_credits = vc_ob_number(earned, &f->credits);
	else
		f->has_credits =
		        vc_ob_number(json_object_get(ach, "creditsAvailable"), &f->credits);
	f->grade = grade_of(json_object_get(subject, "result"));
	return 0;
}
