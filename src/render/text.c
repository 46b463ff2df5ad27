/* Dates and numbers written for people, in Dutch or English (see text.h). */
#include "render/text.h"

#include "core/format.h"

#include <stdio.h>
#include <string.h>

void render_date_text(const char *ymd, const char *lang, char *out, size_t cap)
{
	static const char *const en[] = {"January",   "February", "March",    "April",
	                                 "May",       "June",     "July",     "August",
	                                 "September", "October",  "November", "December"};
	static const char *const nl[] = {"januari",   "februari", "maart",    "april",
	                                 "mei",       "juni",     "juli",     "augustus",
	                                 "september", "oktober",  "november", "december"};
	int y, m, day;
	char tail;

	if (!ymd || strlen(ymd) != 10 || sscanf(ymd, "%4d-%2d-%2d%c", &y, &m, &day, &tail) != 3 ||
	    m < 1 || m > 12 || day < 1 || day > 31) {
		/* Not a date: shown as it is, or not at all when it does not fit (never cut). */
		if (ok_format(out, cap, "%s", ymd ? ymd : ""))
			out[0] = '\0';
		return;
	}
	if (ok_format(out, cap, "%d %s %d", day, strcmp(lang, "nl") == 0 ? nl[m - 1] : en[m - 1],
	              y) &&
	    ok_format(out, cap, "%s", ymd))
		return; /* out is "": nothing rather than a cut date */
}

void render_number_text(double v, const char *lang, char *out, size_t cap)
{
	char *dot;
	int n = snprintf(out, cap, "%.2f", v);

	if (n < 0 || (size_t)n >= cap) {
		if (cap)
			out[0] = '\0';
		return;
	}
	/* No trailing zeros: 180.00 → 180, 7.50 → 7.5. */
	dot = strchr(out, '.');
	if (dot) {
		char *e = out + n - 1;
		while (e > dot && *e == '0')
			*e-- = '\0';
		if (e == dot)
			*e = '\0';
		else if (strcmp(lang, "nl") == 0)
			*dot = ',';
	}
}

void render_grade_text(const char *grade, const char *lang, char *out, size_t cap)
{
	size_t n = strspn(grade, "0123456789"), m;

	if (ok_format(out, cap, "%s", grade))
		return; /* out is "": nothing rather than a cut grade */
	/* Only a plain decimal number ("9.4") is a number to write the Dutch way ("9,4"). */
	if (strcmp(lang, "nl") || n == 0 || grade[n] != '.')
		return;
	m = strspn(grade + n + 1, "0123456789");
	if (m && grade[n + 1 + m] == '\0' && n < cap)
		out[n] = ',';
}
