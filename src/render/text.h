/* Dates, numbers and grades written for people, in Dutch ("nl") or English (any other
 * language), for the pages, the access report and the CLI alike. Each writes a NUL-terminated
 * text of at most cap bytes into out; what it cannot read is copied as it is. */
#ifndef OK_RENDER_TEXT_H
#define OK_RENDER_TEXT_H

#include <stddef.h>

#define RENDER_DATE_TEXT_MAX 48

/* "2024-08-30" → "30 August 2024" / "30 augustus 2024"; anything else is copied. */
void render_date_text(const char *ymd, const char *lang, char *out, size_t cap);
/* 9.4 → "9.4" / "9,4"; whole numbers without decimals. */
void render_number_text(double v, const char *lang, char *out, size_t cap);
/* A grade: a plain decimal "9.4" becomes "9,4" in Dutch; any other grade is copied. */
void render_grade_text(const char *grade, const char *lang, char *out, size_t cap);

#endif
