/* Generation of the demo dataset (see demo.h). Names and titles are invented. */
#include "registry/demo.h"
#include "core/format.h"
#include "audit/actor.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

static const struct institution_input demo_institutions[DEMO_INSTITUTIONS] = {
        {"21PB", "Rijksuniversiteit Groningen", "NL", "NL GRONING01", "rug.nl", NULL},
        {"25BE", "Hanzehogeschool Groningen", "NL", "NL GRONING03", "hanze.nl", NULL},
        {"25LJ", "Noorderpoort", "NL", "", "noorderpoort.nl", NULL},
};

static const char *const given[] = {
        "Anna", "Daan",  "Sanne",  "Lucas",    "Emma",   "Sem",    "Fleur", "Bram",
        "Zoë",  "Anaïs", "Łukasz", "Mohammed", "Fatima", "Thijs",  "Lotte", "Ruben",
        "Noor", "Jesse", "Iris",   "Milan",    "Yara",   "Sven",   "Mila",  "Stijn",
        "Ayşe", "Björn", "Chloé",  "Dmitri",   "Eleni",  "Sérgio", "Hanna", "Pieter Jan",
};
static const char *const family[] = {
        "de Vries",  "Jansen",   "van den Berg", "Bakker",       "Visser",  "Smit",
        "Meijer",    "de Boer",  "Mulder",       "de Groot",     "Bos",     "Vos",
        "Peters",    "Hendriks", "van Leeuwen",  "Dekker",       "Brouwer", "de Wit",
        "El Amrani", "Yılmaz",   "Müller-Dağ",   "Kowalski",     "Nguyễn",  "Wiśniewska",
        "Dijkstra",  "Hoekstra", "Postma",       "van der Meer", "Kuipers", "Oosterhuis",
};

struct demo_course {
	const char *title;
	const char *code;
};

static const struct demo_course rug_courses[] = {
        {"Introduction to Logic", "WBCS001-05"},  {"Calculus 1", "WBMA003-05"},
        {"Imperative Programming", "WBCS002-05"}, {"Algorithms and Data Structures", "WBCS005-05"},
        {"Statistics 1", "WBMA012-05"},           {"Databases", "WBCS009-05"},
        {"Computer Architecture", "WBCS011-05"},  {"Linear Algebra", "WBMA008-05"},
        {"Ethics of Computing", "WBCS020-05"},    {"Software Engineering", "WBCS016-05"},
};
static const struct demo_course hanze_courses[] = {
        {"Webdevelopment 1", "ICT.WD1"}, {"Databases en SQL", "ICT.DB"},
        {"Bedrijfseconomie", "ICT.BE"},  {"Netwerken", "ICT.NW"},
        {"Projectmanagement", "ICT.PM"}, {"Security Fundamentals", "ICT.SEC"},
        {"Stage", "ICT.STAGE"},          {"Afstudeeropdracht", "ICT.AFS"},
};
static const struct demo_course mbo_modules[] = {
        {"Basiszorg", "VIG.BZ"},
        {"Communicatie in de zorg", "VIG.COM"},
        {"Verpleegtechnische handelingen", "VIG.VTH"},
        {"Nederlands 3F", "GEN.NL3F"},
        {"Rekenen 2F", "GEN.RK2F"},
        {"Burgerschap", "GEN.BURG"},
};

/* A small deterministic generator (splitmix64), seeded per learner. */
static uint64_t next_random(uint64_t *state)
{
	uint64_t z = (*state += 0x9E3779B97F4A7C15ull);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

static size_t pick(uint64_t *state, size_t n)
{
	return (size_t)(next_random(state) % n);
}

void registry_demo_national_id(size_t n, char out[10])
{
	uint64_t state = 0xB5Bull * 1000003u + n;
	int digits[9], sum, i;

	for (;;) {
		sum = 0;
		for (i = 0; i < 8; i++) {
			digits[i] = (int)(next_random(&state) % 10);
			if (i == 0 && digits[i] == 0)
				digits[i] = 1;
			sum += digits[i] * (9 - i);
		}
		digits[8] = sum % 11;
		if (digits[8] < 10)
			break;
	}
	for (i = 0; i < 9; i++)
		out[i] = (char)('0' + digits[i]);
	out[9] = '\0';
}

static void learner_for(size_t n, struct learner_data *l)
{
	uint64_t state = 0x1EA4EDull + n * 7919u;
	int year = 1995 + (int)pick(&state, 10);
	int month = 1 + (int)pick(&state, 12);
	int day = 1 + (int)pick(&state, 28);

	/* Whole struct cleared: the importer compares learners byte for byte. */
	memset(l, 0, sizeof(*l));
	registry_demo_national_id(n, l->national_id);
	/* Fixed demo names and a four-digit year: nothing here can be cut. */
	snprintf(l->given_names, sizeof(l->given_names), "%s",
	         given[pick(&state, sizeof(given) / sizeof(given[0]))]);
	snprintf(l->family_name, sizeof(l->family_name), "%s",
	         family[pick(&state, sizeof(family) / sizeof(family[0]))]);
	snprintf(l->birth_date, sizeof(l->birth_date), "%04d-%02d-%02d", year, month, day);
}

/* Which demo institution learner n studied at: half the university, a third the applied
 * sciences, the rest the MBO school. */
static size_t institution_of(size_t n)
{
	uint64_t state = 0x5C400Lu + n;
	size_t r = pick(&state, 100);

	return r < 50 ? 0 : r < 85 ? 1 : 2;
}

static int add(struct importer *imp, const struct learner_data *l, const char *record_id,
               enum achievement_kind kind, const struct demo_course *c, int eqf, long credits,
               const char *grade, const char *scheme, const char *date, const char *lang,
               struct ok_error *err)
{
	struct registration r;

	model_registration_init(&r);
	r.learner = *l;
	r.achievement.kind = kind;
	r.achievement.eqf_level = eqf;
	r.achievement.credits_centi = credits;
	if (ok_format(r.achievement.record_id, sizeof(r.achievement.record_id), "%s", record_id) ||
	    ok_format(r.achievement.title, sizeof(r.achievement.title), "%s", c->title) ||
	    ok_format(r.achievement.programme_code, sizeof(r.achievement.programme_code), "%s",
	              c->code) ||
	    ok_format(r.achievement.grade, sizeof(r.achievement.grade), "%s", grade) ||
	    ok_format(r.achievement.grading_scheme, sizeof(r.achievement.grading_scheme), "%s",
	              grade[0] ? scheme : "") ||
	    ok_format(r.achievement.awarded_on, sizeof(r.achievement.awarded_on), "%s", date) ||
	    ok_format(r.achievement.language, sizeof(r.achievement.language), "%s", lang))
		return ok_fail(err, OK_EINTERNAL, "a demo value does not fit its field");
	return importer_add(imp, &r, err);
}

/* Registers learner n's results at institution k. */
static int seed_learner(struct importer *imp, size_t k, size_t n, struct ok_error *err)
{
	static const struct demo_course degrees[DEMO_INSTITUTIONS] = {
	        {"Bachelor of Science in Computing Science", "56980"},
	        {"Bachelor HBO-ICT", "30020"},
	        {"Verzorgende-IG (MBO niveau 3)", "25491"},
	};
	const struct demo_course *list = k == 0   ? rug_courses
	                                 : k == 1 ? hanze_courses
	                                          : mbo_modules;
	size_t count = k == 0   ? sizeof(rug_courses) / sizeof(rug_courses[0])
	               : k == 1 ? sizeof(hanze_courses) / sizeof(hanze_courses[0])
	                        : sizeof(mbo_modules) / sizeof(mbo_modules[0]);
	uint64_t state = 0xC0FFEEull + n * 104729u;
	struct learner_data l;
	char record[64], date[11], grade[8];
	int start = 2018 + (int)pick(&state, 4);
	size_t i;
	int rc;

	learner_for(n, &l);
	/* Four-digit years, two-digit months and days, grades like 7.5 and counters: these
	 * buffers hold every value made here, so nothing below is cut. */
	for (i = 0; i < count; i++) {
		int tenths = 55 + (int)pick(&state, 41); /* 5.5 .. 9.5 */
		snprintf(record, sizeof(record), "DEMO-%zu-%zu", n, i + 1);
		snprintf(date, sizeof(date), "%04d-%02d-%02d", start + (int)(i / 4),
		         1 + (int)(i % 4) * 3, 10 + (int)pick(&state, 18));
		snprintf(grade, sizeof(grade), "%d.%d", tenths / 10, tenths % 10);
		rc = add(imp, &l, record, k == 2 ? KIND_MODULE : KIND_COURSE, &list[i], 0,
		         k == 2 ? -1 : (k == 0 ? 500 : 750), grade, "NL 1-10", date,
		         k == 0 ? "en" : "nl", err);
		if (rc)
			return rc;
	}
	/* Most complete their programme. */
	if (pick(&state, 10) < 7) {
		snprintf(record, sizeof(record), "DEMO-%zu-DIPLOMA", n);
		snprintf(date, sizeof(date), "%04d-07-%02d", start + (k == 1 ? 4 : 3),
		         1 + (int)pick(&state, 28));
		rc = add(imp, &l, record, k == 2 ? KIND_DIPLOMA : KIND_DEGREE, &degrees[k],
		         k == 2 ? 4 : 6,
		         k == 0   ? 18000
		         : k == 1 ? 24000
		                  : -1,
		         "", "", date, k == 0 ? "en" : "nl", err);
		if (rc)
			return rc;
	}
	return 0;
}

static void sum_reports(struct import_report *total, const struct import_report *r)
{
	total->read += r->read;
	total->added += r->added;
	total->updated += r->updated;
	total->unchanged += r->unchanged;
	total->rejected += r->rejected;
	total->learners_added += r->learners_added;
}

int registry_demo_seed(struct depository *d, size_t learners, struct demo_result *out,
                       struct ok_error *err)
{
	struct import_options o = {.actor = AUDIT_OPERATOR};
	struct import_report r;
	struct store_institution existing;
	size_t k, n;
	int rc;

	memset(out, 0, sizeof(*out));
	for (k = 0; k < DEMO_INSTITUTIONS; k++) {
		struct demo_institution_result *res = &out->institutions[k];
		struct importer *imp;

		if (ok_format(res->code, sizeof(res->code), "%s", demo_institutions[k].code) ||
		    ok_format(res->name, sizeof(res->name), "%s", demo_institutions[k].name))
			return ok_fail(err, OK_EINTERNAL,
			               "a demo institution does not fit its field");
		rc = store_institution_get(d->store, res->code, &existing, err);
		if (rc == OK_ENOTFOUND) {
			rc = registry_institution_add(d, &demo_institutions[k], res->key, err);
			res->created = rc == 0;
		}
		if (rc)
			return rc;
		o.institution = res->code;
		if ((rc = importer_begin(&imp, d, &o, err)))
			return rc;
		for (n = 0; n < learners; n++) {
			if (institution_of(n) != k)
				continue;
			if ((rc = seed_learner(imp, k, n, err))) {
				importer_abort(imp, NULL);
				return rc;
			}
		}
		if ((rc = importer_finish(imp, &r, err)))
			return rc;
		sum_reports(&out->report, &r);
	}
	return 0;
}

void registry_demo_example(size_t learners, char out[10])
{
	size_t n = 0;

	while (n < learners && institution_of(n) != 0)
		n++;
	registry_demo_national_id(n < learners ? n : 0, out);
}
