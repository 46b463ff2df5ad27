/* National id schemes of OpenID providers (see oidc.h): which identifiers a provider may speak
 * for, and the shape its claim must have. The scheme is what keeps one provider from signing in
 * a learner registered under another country's numbers. Pure: the fuzz target reaches it. */
#include "remote/oidc.h"

#include "core/format.h"
#include "model/registration.h"

#include <string.h>

static bool upper(char c)
{
	return c >= 'A' && c <= 'Z';
}

static bool digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool country_shaped(const char *s)
{
	return upper(s[0]) && upper(s[1]);
}

/* A comma-separated list of country codes ("BE,DE"). */
static bool countries_valid(const char *s)
{
	while (*s) {
		if (!country_shaped(s) || (s[2] && s[2] != ','))
			return false;
		s += s[2] ? 3 : 2;
	}
	return true;
}

static bool countries_have(const char *list, const char *cc)
{
	for (; *list; list += list[2] ? 3 : 2)
		if (list[0] == cc[0] && list[1] == cc[1])
			return true;
	return false;
}

int oidc_scheme_parse(struct oidc_provider *p, const char *scheme, const char *pattern,
                      const char *countries, struct ok_error *err)
{
	size_t n = strlen(scheme), i;

	p->scheme = 0;
	p->scheme_country[0] = '\0';
	if (strcmp(scheme, "NL:BSN") == 0) {
		p->scheme = OIDC_SCHEME_NL_BSN;
		memcpy(p->scheme_country, "NL", 3);
	} else if (strcmp(scheme, "eIDAS") == 0) {
		p->scheme = OIDC_SCHEME_EIDAS;
	} else if (n >= 4 && n <= 19 && country_shaped(scheme) && scheme[2] == ':') {
		for (i = 3; i < n && (upper(scheme[i]) || digit(scheme[i]) || scheme[i] == '-');
		     i++)
			;
		if (i == n) {
			p->scheme = OIDC_SCHEME_COUNTRY;
			memcpy(p->scheme_country, scheme, 2);
			p->scheme_country[2] = '\0';
		}
	}
	if (!p->scheme)
		return ok_fail_field(
		        err, OK_EINPUT, "id_scheme",
		        "config.json: oidc id_scheme must be NL:BSN, eIDAS or CC:NAME "
		        "(a country code in capitals, a colon, 1-16 of A-Z, 0-9, '-')");
	/* NL:BSN is the one Dutch scheme: a second would reach BSN holders without the check. */
	if (p->scheme == OIDC_SCHEME_COUNTRY && strcmp(p->scheme_country, "NL") == 0)
		return ok_fail_field(err, OK_EINPUT, "id_scheme",
		                     "config.json: oidc id_scheme for the Netherlands is NL:BSN");
	if (pattern && p->scheme != OIDC_SCHEME_COUNTRY)
		return ok_fail_field(err, OK_EINPUT, "id_pattern",
		                     "config.json: oidc id_pattern is for CC:NAME schemes only");
	/* Required for eIDAS: a node asserts identifiers of many countries, and one left to speak
	 * for "any" would reach every learner (NL/NL/<BSN> would be as strong as DigiD). */
	if (p->scheme == OIDC_SCHEME_EIDAS && (!countries || !*countries))
		return ok_fail_field(err, OK_EINPUT, "id_countries",
		                     "config.json: an eIDAS oidc provider needs id_countries, the "
		                     "countries whose person identifiers it may assert");
	if (countries && (p->scheme != OIDC_SCHEME_EIDAS || !countries_valid(countries)))
		return ok_fail_field(
		        err, OK_EINPUT, "id_countries",
		        "config.json: oidc id_countries is a list of country codes, for "
		        "the eIDAS scheme only");
	if (countries && strlen(countries) < sizeof(p->id_countries))
		memcpy(p->id_countries, countries, strlen(countries) + 1);
	else if (countries)
		return ok_fail_field(err, OK_EINPUT, "id_countries",
		                     "config.json: oidc id_countries is too long");
	if (pattern) {
		char anchored[OIDC_PATTERN_MAX + 8];
		/* Whole values only: a pattern that matches a part would let anything around it. */
		if (strlen(pattern) >= OIDC_PATTERN_MAX ||
		    ok_format(anchored, sizeof(anchored), "^(%s)$", pattern) ||
		    regcomp(&p->pattern, anchored, REG_EXTENDED | REG_NOSUB) != 0)
			return ok_fail_field(
			        err, OK_EINPUT, "id_pattern",
			        "config.json: oidc id_pattern must be a POSIX extended "
			        "regular expression of under %d bytes",
			        OIDC_PATTERN_MAX);
		p->has_pattern = true;
		memcpy(p->id_pattern, pattern, strlen(pattern) + 1);
	}
	return 0;
}

static int refuse(const struct oidc_provider *p, struct ok_error *err, const char *why)
{
	return ok_fail_field(err, OK_EINVALID, "national_id_claim",
	                     "the ID token's national identifier (claim %s) is not %s", p->claim,
	                     why);
}

/*
 * Whether a value given for country cc (not NL) is, in the importer's normal form
 * (registration.c set_national_id: ' ', '.', '-' dropped, letters in capitals), another country's
 * id: another country's code before a digit ("nl 123456782", "N-L123456782" become
 * "NL123456782", which the importer stores as the bare BSN), or, unless the operator's id_pattern
 * allowed it, a bare nine digits passing the eleven-test, which the importer stores exactly as it
 * stores a Dutch BSN. Decided on the normal form because that is what the lookup compares.
 */
static bool foreign(const char *v, size_t n, const char *cc, bool pattern)
{
	char norm[OIDC_NATIONAL_ID_MAX + 1];
	size_t i, k = 0;

	for (i = 0; i < n && k < sizeof(norm) - 1; i++) {
		char c = v[i];
		if (c == ' ' || c == '.' || c == '-')
			continue;
		norm[k++] = c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
	}
	norm[k] = '\0';
	if (k > 2 && upper(norm[0]) && upper(norm[1]) && digit(norm[2]) &&
	    (norm[0] != cc[0] || norm[1] != cc[1]))
		return true;
	return !pattern && k == 9 && strspn(norm, "0123456789") == 9 && model_bsn_valid(norm);
}

/* The default shape of a country's identifier: 4-32 letters and digits, with ' ', '.', '-' as
 * the importer allows them (not another country's: foreign()). */
static bool default_shape(const char *v, size_t n)
{
	size_t i, alnum = 0;

	for (i = 0; i < n; i++) {
		char c = v[i];
		if (c == ' ' || c == '.' || c == '-')
			continue;
		if (!upper(c) && !digit(c) && !(c >= 'a' && c <= 'z'))
			return false;
		alnum++;
	}
	return alnum >= 4 && alnum <= 32;
}

int oidc_scheme_read(const struct oidc_provider *p, const char *value, size_t n,
                     struct oidc_identity *out, struct ok_error *err)
{
	const char *id = value;
	size_t idn = n;
	char cc[3] = "";

	out->national_id[0] = '\0';
	out->country[0] = '\0';
	if (n == 0 || n > OIDC_NATIONAL_ID_MAX || memchr(value, '\0', n))
		return refuse(p, err, "text of 1 to 64 bytes");
	switch (p->scheme) {
	case OIDC_SCHEME_NL_BSN:
		/* Nine digits and nothing else: no "NL" prefix, no spaces, no other country's. */
		if (n != 9 || strspn(value, "0123456789") != 9)
			return refuse(p, err, "a BSN (9 digits)");
		memcpy(cc, "NL", 3);
		break;
	case OIDC_SCHEME_EIDAS:
		/* eIDAS SAML attribute profile 1.2, PersonIdentifier: "CC/DD/value", CC the
		 * country that identified the person, DD the one it was asked for. */
		if (n < 7 || !country_shaped(value) || value[2] != '/' ||
		    !country_shaped(value + 3) || value[5] != '/')
			return refuse(p, err, "an eIDAS person identifier (CC/CC/value)");
		cc[0] = value[0];
		cc[1] = value[1];
		cc[2] = '\0';
		if (!countries_have(p->id_countries, cc))
			return refuse(p, err, "of a country this provider may speak for");
		id = value + 6;
		idn = n - 6;
		if (strcmp(cc, "NL") == 0 ? idn != 9 || strspn(id, "0123456789") != 9
		                          : !default_shape(id, idn))
			return refuse(p, err, "an eIDAS person identifier of its country's shape");
		if (strcmp(cc, "NL") != 0 && foreign(id, idn, cc, false))
			return refuse(p, err,
			              "its country's number (it reads as another country's)");
		break;
	case OIDC_SCHEME_COUNTRY:
		memcpy(cc, p->scheme_country, 3);
		if (p->has_pattern) {
			char copy[OIDC_NATIONAL_ID_MAX + 1];
			memcpy(copy, value, n);
			copy[n] = '\0';
			if (regexec(&p->pattern, copy, 0, NULL, 0) != 0)
				return refuse(p, err, "of the shape id_pattern gives");
		} else if (!default_shape(value, n)) {
			return refuse(p, err, "4 to 32 letters and digits");
		}
		/* With a pattern too: an operator's pattern says the shape, not the country. */
		if (foreign(value, n, cc, p->has_pattern))
			return refuse(p, err,
			              "its country's number (it reads as another country's)");
		break;
	default:
		return refuse(p, err, "of a known scheme");
	}
	memcpy(out->national_id, id, idn);
	out->national_id[idn] = '\0';
	if (strcmp(cc, "NL") == 0 && !model_bsn_valid(out->national_id)) {
		out->national_id[0] = '\0';
		return refuse(p, err, "a BSN that passes the eleven-test");
	}
	memcpy(out->country, cc, 3);
	return 0;
}
