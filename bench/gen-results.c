/* gen-results: writes a realistic results CSV (the `oorkonde import` format) for benchmarks.
 *
 *   gen-results ROWS [--seed N] [--out FILE] [--per-learner N]
 *
 * About 20 rows per learner (10 to 30), each learner's rows together, as an institution's
 * export sorted by student would be. --per-learner N gives every learner exactly N rows, the
 * last one a diploma or degree: --per-learner 1 is a year of diploma registrations, one row per
 * learner. Without it the output is what it always was. National ids are 9-digit numbers that pass
 * the Dutch BSN eleven-test, unique within a file. Names are UTF-8 with diacritics; some titles
 * hold a comma or a quote and are quoted as RFC 4180 says. Every date lies between 1960 and
 * 2025-08-31, so the file is valid whatever the day it is imported. The same ROWS and seed give the
 * same bytes. */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static uint64_t rng_state;

/* splitmix64: small, fast and the same on every platform. */
static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9E3779B97F4A7C15u);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
	return z ^ (z >> 31);
}

/* A number in [0, n). */
static unsigned below(unsigned n)
{
	return (unsigned)(((rnd() >> 32) * (uint64_t)n) >> 32);
}

static const char *pick(const char *const *list, size_t n)
{
	return list[below((unsigned)n)];
}

#define PICK(list) pick(list, COUNT(list))

static const char *const given[] = {
        "Jan",           "Pieter",   "Sanne",    "Daan",      "Emma",    "Lotte",     "Sem",
        "Julia",         "Thijs",    "Fleur",    "Bram",      "Anouk",   "Ruben",     "Noor",
        "Lucas",         "Eva",      "Mohammed", "Fatima",    "Yusuf",   "Aylin",     "Zoë",
        "Chloé",         "José",     "Łukasz",   "Agnieszka", "Søren",   "Björn",     "Åsa",
        "Jürgen",        "Müge",     "Şükrü",    "Đorđe",     "Ioana",   "Mátyás",    "Renée",
        "Anaïs",         "François", "Inês",     "Joël",      "Niña",    "Ana María", "Jan Pieter",
        "Maria Johanna", "Wouter",   "Ilse",     "Koen",      "Marloes", "Tim",
};

static const char *const family[] = {
        "de Jong",      "Jansen",  "de Vries",   "van den Berg",   "van Dijk",     "Bakker",
        "Janssen",      "Visser",  "Smit",       "Meijer",         "de Boer",      "Mulder",
        "de Groot",     "Bos",     "Vos",        "Peters",         "Hendriks",     "van Leeuwen",
        "Dekker",       "Brouwer", "Yılmaz",     "Öztürk",         "El Amrani",    "Kowalski",
        "Wiśniewska",   "Müller",  "Müller-Dağ", "Schröder",       "Nørgaard",     "Ångström",
        "Dvořák",       "Nguyễn",  "Đặng",       "García Márquez", "Lefèvre",      "Ó Briain",
        "Papadopoulos", "Rossi",   "van 't Hof", "Kroon-Çelik",    "Smit-van Dam", "Hoekstra",
};

struct course {
	const char *code;
	const char *title;
};

static const struct course courses[] = {
        {"WBPH012-05", "Mechanics"},
        {"WBPH013-05", "Electricity and Magnetism"},
        {"WBMA001-05", "Calculus 1"},
        {"WBMA002-05", "Linear Algebra"},
        {"WBMA009-05", "Statistics, Part 1"},
        {"WBCS003-05", "Imperative Programming"},
        {"WBCS017-05", "Algorithms and Data Structures"},
        {"WBCS021-05", "Databases"},
        {"WBCS030-05", "Software Engineering"},
        {"WBCH001-05", "Organic Chemistry"},
        {"LWX000061", "Introduction to Law"},
        {"LWB001", "Staatsrecht"},
        {"ECB1MI", "Micro-economie"},
        {"ECB2MA", "Macro-economie"},
        {"GMW1001", "Inleiding psychologie"},
        {"GMW2004", "Ontwikkelingspsychologie"},
        {"LTR001", "Academic Writing"},
        {"LTR017", "Nederlandse taalkunde"},
        {"MED101", "Anatomie en fysiologie"},
        {"MED202", "Farmacologie"},
        {"HBO-ICT1", "Webtechnologie"},
        {"HBO-ICT2", "Netwerken & beveiliging"},
        {"HBO-BK1", "Bedrijfskunde: \"lean\" werken"},
        {"HBO-PED1", "Pedagogiek, didactiek en ontwikkeling"},
        {"MBO-VA1", "Vakbekwaamheid zorg en welzijn"},
        {"MBO-LP1", "Loopbaan en burgerschap"},
        {"MBO-NL3", "Nederlands 3F"},
        {"MBO-EN2", "Engels B1"},
        {"TUE2IL", "Thermodynamica"},
        {"UU-KI1", "Kunstmatige intelligentie"},
        {"RU-FIL", "Wijsbegeerte van de cognitiewetenschap"},
        {"EUR-MKT", "Marketing Management"},
};

struct award {
	const char *title;
	const char *code;
	int eqf;
	const char *credits; /* empty: none */
};

static const struct award degrees[] = {
        {"Bachelor of Science in Physics", "56984", 6, "180"},
        {"Bachelor of Science in Computing Science", "56980", 6, "180"},
        {"Bachelor of Laws", "50800", 6, "180"},
        {"Bachelor of Arts in Psychology", "56604", 6, "180"},
        {"Bachelor of Business Administration", "34035", 6, "240"},
        {"Bachelor of Education, Primary School Teacher", "34808", 6, "240"},
        {"Associate degree Software Development", "80072", 5, "120"},
        {"Master of Science in Computing Science", "60300", 7, "120"},
        {"Master of Laws", "60329", 7, "60"},
        {"Master of Science in Medicine", "66030", 7, "180"},
        {"Doctor of Philosophy", "", 8, ""},
};

static const struct award diplomas[] = {
        {"Verzorgende-IG", "25491", 3, ""},
        {"Software developer", "25604", 4, ""},
        {"Kok", "25180", 2, ""},
        {"Middenkaderfunctionaris bouw", "25191", 4, ""},
        {"Havo", "", 4, ""},
        {"Vwo", "", 4, ""},
        {"Vmbo gemengde leerweg", "", 2, ""},
};

static const char *const exams[] = {
        "Staatsexamen Nederlands als tweede taal II",
        "Rekenen 3F",
        "Cambridge English C1 Advanced",
        "Propedeutisch examen",
        "Certificaat Veiligheid, Gezondheid en Milieu",
};

static const char *const module_titles[] = {
        "Practicum natuurkunde",  "Projectmodule: smart city", "Stage (werkplekleren)",
        "Minor Entrepreneurship", "Onderzoeksvaardigheden",    "Honours module \"Leadership\"",
};

static const char *const languages[] = {"nl", "nl", "nl", "nl", "nl", "nl", "en", "en",
                                        "en", "en", "de", "fr", "es", "pl", "tr"};

/* Writes a field, quoted (RFC 4180) when it holds a comma, a quote or a line break. */
static void field(FILE *out, const char *s)
{
	if (!strpbrk(s, ",\"\r\n")) {
		fputs(s, out);
		return;
	}
	putc('"', out);
	for (; *s; s++) {
		if (*s == '"')
			putc('"', out);
		putc(*s, out);
	}
	putc('"', out);
}

static void date(char out[11], int y, int m, int d)
{
	/* The remainders change no real date; they let the compiler see that it fits. */
	snprintf(out, 11, "%04u-%02u-%02u", (unsigned)y % 10000u, (unsigned)m % 100u,
	         (unsigned)d % 100u);
}

/* A date in year y (days capped at 28: always valid). */
static void random_date(char out[11], int y, int last_year, int last_month)
{
	int m = 1 + (int)below(12);

	if (y == last_year && m > last_month)
		m = 1 + (int)below((unsigned)last_month);
	date(out, y, m, 1 + (int)below(28));
}

/* The next unique 9-digit id passing the eleven-test. Ids come from an affine permutation of
 * the 8-digit prefixes (stride coprime to 10^8), so no prefix, hence no id, repeats. */
static void national_id(char out[10], uint64_t *counter, uint64_t offset)
{
	for (;;) {
		uint64_t p = (offset + *counter * 48271u * 3u) % 100000000u;
		unsigned digits[9];
		unsigned sum = 0;
		int i;

		(*counter)++;
		for (i = 7; i >= 0; i--) {
			digits[i] = (unsigned)(p % 10);
			p /= 10;
		}
		for (i = 0; i < 8; i++)
			sum += (unsigned)(9 - i) * digits[i];
		digits[8] = sum % 11;
		if (digits[8] == 10 || digits[0] + digits[1] == 0)
			continue; /* no valid check digit; or too many leading zeros */
		for (i = 0; i < 9; i++)
			out[i] = (char)('0' + digits[i]);
		out[9] = '\0';
		return;
	}
}

static void usage(void)
{
	fputs("usage: gen-results ROWS [--seed N] [--out FILE] [--per-learner N]\n", stderr);
	exit(2);
}

int main(int argc, char **argv)
{
	static const char *const nl_grades[] = {"5.5", "6", "6.5", "7",   "7.5", "8",
	                                        "8.5", "9", "10",  "6.8", "7.3", "V"};
	static const char *const ects_grades[] = {"A", "B", "C", "D", "E"};
	const char *path = NULL;
	uint64_t rows = 0, seed = 1, row = 0, nid_counter = 0, learner = 0, nid_offset;
	unsigned per_learner = 0; /* 0: 10 to 30, drawn */
	char *end;
	FILE *out = stdout;
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc) {
			seed = strtoull(argv[++i], &end, 10);
			if (*end)
				usage();
		} else if (strcmp(argv[i], "--per-learner") == 0 && i + 1 < argc) {
			unsigned long v = strtoul(argv[++i], &end, 10);

			if (*end || v == 0 || v > 1000)
				usage();
			per_learner = (unsigned)v;
		} else if (strcmp(argv[i], "--out") == 0 && i + 1 < argc) {
			path = argv[++i];
		} else if (argv[i][0] != '-' && rows == 0) {
			errno = 0;
			rows = strtoull(argv[i], &end, 10);
			if (*end || errno || rows == 0)
				usage();
		} else {
			usage();
		}
	}
	if (rows == 0)
		usage();
	if (path && !(out = fopen(path, "wb"))) {
		perror(path);
		return 1;
	}
	setvbuf(out, NULL, _IOFBF, 1 << 20);
	rng_state = seed;
	nid_offset = rnd() % 100000000u;

	fputs("record_id,national_id,given_names,family_name,birth_date,kind,title,"
	      "programme_code,eqf_level,credits,grade,grading_scheme,awarded_on,language\n",
	      out);
	while (row < rows) {
		char nid[10], birth[11], given_names[64], prefix[200];
		/* 10..30 rows, about 20 on average (drawn only then: the default output stays the
		 * same) */
		unsigned n = per_learner ? per_learner : 10 + below(21), k;
		int born = 1960 + (int)below(47), first_year;
		const char *fam = PICK(family);
		const char *lang = PICK(languages);
		bool hbo = below(2) == 0;

		national_id(nid, &nid_counter, nid_offset);
		random_date(birth, born, 2006, 12);
		if (below(50) == 0)
			given_names[0] = '\0'; /* allowed: one-name learners */
		else if (below(4) == 0)
			snprintf(given_names, sizeof(given_names), "%s %s", PICK(given),
			         PICK(given));
		else
			snprintf(given_names, sizeof(given_names), "%s", PICK(given));
		first_year = born + 17 + (int)below(8);
		if (first_year > 2021)
			first_year = 2021;
		learner++;

		/* The learner's columns are the same on each of their rows. */
		{
			FILE *m = fmemopen(prefix, sizeof(prefix), "w");
			if (!m)
				return 1;
			field(m, nid);
			putc(',', m);
			field(m, given_names);
			putc(',', m);
			field(m, fam);
			putc(',', m);
			fputs(birth, m);
			putc('\0', m);
			fclose(m);
		}

		for (k = 0; k < n && row < rows; k++, row++) {
			char on[11], credits[16] = "", grade[16] = "", eqf[4] = "";
			const char *kind, *title, *code = "", *scheme = "", *rl = lang;
			int year = first_year + (int)(k * 4 / n);
			unsigned r = below(100);

			if (year > 2025)
				year = 2025;
			if (k == n - 1 && (r < 60 || per_learner)) {
				const struct award *a;
				if (hbo || below(3) == 0) {
					a = &degrees[below(COUNT(degrees))];
					kind = "degree";
				} else {
					a = &diplomas[below(COUNT(diplomas))];
					kind = "diploma";
				}
				title = a->title;
				code = a->code;
				snprintf(eqf, sizeof(eqf), "%d", a->eqf);
				snprintf(credits, sizeof(credits), "%s", a->credits);
				if (below(5) == 0) {
					snprintf(grade, sizeof(grade), "%s",
					         below(2) ? "cum laude" : "met genoegen");
					scheme = "NL judicium";
				}
				year = first_year + 3 + (int)below(2);
				if (year > 2025)
					year = 2025;
			} else if (r < 75) {
				const struct course *c = &courses[below(COUNT(courses))];
				kind = "course";
				title = c->title;
				code = c->code;
				snprintf(credits, sizeof(credits), "%s",
				         below(4) ? "5" : (below(2) ? "7.5" : "2.5"));
				if (below(5) == 0) {
					snprintf(grade, sizeof(grade), "%s", PICK(ects_grades));
					scheme = "ECTS A-F";
				} else {
					snprintf(grade, sizeof(grade), "%s", PICK(nl_grades));
					scheme = "NL 1-10";
				}
				if (below(5) == 0)
					rl = "en";
			} else if (r < 90) {
				kind = "module";
				title = PICK(module_titles);
				snprintf(credits, sizeof(credits), "%u.%02u", 1 + below(15),
				         below(4) * 25);
				if (below(3)) {
					snprintf(grade, sizeof(grade), "%s", PICK(nl_grades));
					scheme = "NL 1-10";
				}
			} else {
				kind = "exam";
				title = PICK(exams);
				if (below(2)) {
					snprintf(grade, sizeof(grade), "%s", PICK(nl_grades));
					scheme = "NL 1-10";
				}
				if (below(3) == 0)
					rl = "";
			}
			random_date(on, year, 2025, 8);

			fprintf(out, "%04d-%08" PRIu64 ",%s,%s,", year, row + 1, prefix, kind);
			field(out, title);
			putc(',', out);
			field(out, code);
			fprintf(out, ",%s,%s,", eqf, credits);
			field(out, grade);
			putc(',', out);
			field(out, scheme);
			fprintf(out, ",%s,%s\n", on, rl);
		}
	}
	if (fflush(out) != 0 || (path && fclose(out) != 0)) {
		perror(path ? path : "stdout");
		return 1;
	}
	fprintf(stderr, "gen-results: %" PRIu64 " rows, %" PRIu64 " learners, seed %" PRIu64 "\n",
	        rows, learner, seed);
	return 0;
}
