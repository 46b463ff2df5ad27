/* The PDF attachment of an ELMO document: the learner and the results as lines of text on A4
 * pages, written by hand (PDF 1.4, the standard Helvetica font, WinAnsi encoding), so that no
 * rendering library is needed. */
#include "elmo/elmo.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#define PDF_LINES_PER_PAGE 52
#define PDF_LINE_CHARS     95 /* a longer line is shortened with "..." */
#define PDF_MAX            ((size_t)8 << 20)

/* One decoded code point of UTF-8 at s (already valid: it came from the store); advances s. */
static unsigned next_cp(const unsigned char **s)
{
	const unsigned char *p = *s;
	unsigned cp;
	int n, i;

	if (p[0] < 0x80) {
		*s = p + 1;
		return p[0];
	}
	if ((p[0] & 0xE0) == 0xC0) {
		cp = p[0] & 0x1Fu;
		n = 1;
	} else if ((p[0] & 0xF0) == 0xE0) {
		cp = p[0] & 0x0Fu;
		n = 2;
	} else if ((p[0] & 0xF8) == 0xF0) {
		cp = p[0] & 0x07u;
		n = 3;
	} else {
		*s = p + 1;
		return '?';
	}
	for (i = 1; i <= n; i++) {
		if ((p[i] & 0xC0) != 0x80) {
			*s = p + i;
			return '?';
		}
		cp = (cp << 6) | (p[i] & 0x3Fu);
	}
	*s = p + n + 1;
	return cp;
}

/* Appends text as the bytes of a PDF string literal (without the parentheses): Latin-1 as
 * octal escapes, anything else as '?', at most PDF_LINE_CHARS characters. */
static int add_pdf_text(struct buf *b, const char *text)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t n = 0;
	unsigned cp;
	int rc = 0;

	while (*s && !rc) {
		if (n == PDF_LINE_CHARS - 3 && strlen((const char *)s) > 3) {
			rc = buf_addstr(b, "...");
			break;
		}
		cp = next_cp(&s);
		if (cp == '(' || cp == ')' || cp == '\\')
			rc = buf_addf(b, "\\%c", (char)cp);
		else if (cp < 0x20 || (cp >= 0x7F && cp < 0xA0))
			rc = buf_addch(b, cp < 0x20 ? ' ' : '?');
		else if (cp < 0x80)
			rc = buf_addch(b, (char)cp);
		else if (cp <= 0xFF)
			rc = buf_addf(b, "\\%03o", cp);
		else
			rc = buf_addch(b, '?');
		n++;
	}
	return rc;
}

struct pdf_lines {
	struct buf text; /* lines, each ending in '\n' */
	size_t count;
};

__attribute__((format(printf, 2, 3))) static int line(struct pdf_lines *l, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = buf_vaddf(&l->text, fmt, ap);
	va_end(ap);
	if (!rc) {
		/* No line break inside a value: it would start a line of its own. */
		rc = buf_addch(&l->text, '\n');
		l->count++;
	}
	return rc;
}

static void credits_text(long centi, char out[32])
{
	if (centi < 0)
		snprintf(out, 32, "-");
	else if (centi % 100 == 0)
		snprintf(out, 32, "%ld", centi / 100);
	else
		snprintf(out, 32, "%ld.%02ld", centi / 100, centi % 100);
}

static int collect(const struct elmo_document *doc, struct pdf_lines *l)
{
	char credits[32], eqf[32];
	size_t i, j;
	int rc;

	rc = line(l, "Transcript of records - EMREX / ELMO");
	rc = rc ? rc : line(l, " ");
	rc = rc ? rc
	        : line(l, "Learner: %s %s", doc->learner.given_names, doc->learner.family_name);
	if (!rc && doc->learner.birth_date[0])
		rc = line(l, "Date of birth: %s", doc->learner.birth_date);
	for (i = 0; !rc && i < doc->count; i++) {
		const struct elmo_report *r = &doc->reports[i];

		rc = line(l, " ");
		rc = rc ? rc
		        : line(l, "%s%s%s%s", r->title, r->country[0] ? " (" : "", r->country,
		               r->country[0] ? ")" : "");
		for (j = 0; !rc && j < r->count; j++) {
			const struct elmo_result *x = &r->results[j];

			credits_text(x->credits_centi, credits);
			if (x->eqf_level > 0)
				snprintf(eqf, sizeof(eqf), ", EQF %d", x->eqf_level);
			else
				eqf[0] = '\0';
			rc = line(l, "  %s  %s", x->date[0] ? x->date : "----------", x->title);
			rc = rc ? rc
			        : line(l, "              %s, %s ECTS, grade %s%s", x->type, credits,
			               x->grade[0] ? x->grade : "-", eqf);
		}
	}
	return rc;
}

int elmo_pdf(const struct elmo_document *doc, struct buf *out, struct ok_error *err)
{
	struct pdf_lines l = {.count = 0};
	struct buf pdf, stream;
	size_t offsets[4096], nobj, pages, p, obj, k;
	const char *cursor;
	size_t xref;
	int rc;

	buf_init(&l.text, PDF_MAX);
	buf_init(&pdf, PDF_MAX);
	buf_init(&stream, PDF_MAX);
	if ((rc = collect(doc, &l)))
		goto out;
	pages = (l.count + PDF_LINES_PER_PAGE - 1) / PDF_LINES_PER_PAGE;
	if (pages == 0)
		pages = 1;
	nobj = 3 + 2 * pages;
	if (nobj + 1 > sizeof(offsets) / sizeof(offsets[0])) {
		rc = ok_fail(err, OK_ETOOBIG, "too many results for one PDF");
		goto out;
	}
	/* The binary comment tells tools the file holds 8-bit bytes. */
	rc = buf_addstr(&pdf, "%PDF-1.4\n%\xE2\xE3\xCF\xD3\n");
	offsets[1] = pdf.len;
	rc = rc ? rc : buf_addstr(&pdf, "1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n");
	offsets[2] = pdf.len;
	rc = rc ? rc : buf_addf(&pdf, "2 0 obj\n<< /Type /Pages /Count %zu /Kids [", pages);
	for (p = 0; !rc && p < pages; p++)
		rc = buf_addf(&pdf, " %zu 0 R", 4 + 2 * p);
	rc = rc ? rc : buf_addstr(&pdf, " ] >>\nendobj\n");
	offsets[3] = pdf.len;
	rc = rc ? rc
	        : buf_addstr(&pdf, "3 0 obj\n<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica "
	                           "/Encoding /WinAnsiEncoding >>\nendobj\n");
	cursor = l.text.data;
	for (p = 0; !rc && p < pages; p++) {
		obj = 4 + 2 * p;
		buf_reset(&stream);
		rc = buf_addstr(&stream, "BT\n/F1 10 Tf\n14 TL\n50 790 Td\n");
		for (k = 0; !rc && k < PDF_LINES_PER_PAGE && *cursor; k++) {
			const char *end = strchr(cursor, '\n');
			char one[PDF_LINE_CHARS * 4 + 8];
			size_t n = (size_t)(end - cursor);

			if (n >= sizeof(one))
				n = sizeof(one) - 1;
			memcpy(one, cursor, n);
			one[n] = '\0';
			rc = buf_addch(&stream, '(');
			rc = rc ? rc : add_pdf_text(&stream, one);
			rc = rc ? rc : buf_addstr(&stream, ") '\n");
			cursor = end + 1;
		}
		rc = rc ? rc
		        : buf_addf(&stream,
		                   "ET\nBT\n/F1 8 Tf\n50 30 Td\n(Page %zu of %zu) Tj\nET\n", p + 1,
		                   pages);
		offsets[obj] = pdf.len;
		rc = rc ? rc
		        : buf_addf(
		                  &pdf,
		                  "%zu 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
		                  "/Resources << /Font << /F1 3 0 R >> >> /Contents %zu 0 R >>\n"
		                  "endobj\n",
		                  obj, obj + 1);
		offsets[obj + 1] = pdf.len;
		rc = rc ? rc
		        : buf_addf(&pdf, "%zu 0 obj\n<< /Length %zu >>\nstream\n", obj + 1,
		                   stream.len);
		rc = rc ? rc : buf_add(&pdf, stream.data, stream.len);
		rc = rc ? rc : buf_addstr(&pdf, "\nendstream\nendobj\n");
	}
	xref = pdf.len;
	rc = rc ? rc : buf_addf(&pdf, "xref\n0 %zu\n0000000000 65535 f \n", nobj + 1);
	for (k = 1; !rc && k <= nobj; k++)
		rc = buf_addf(&pdf, "%010zu 00000 n \n", offsets[k]);
	rc = rc ? rc
	        : buf_addf(&pdf, "trailer\n<< /Size %zu /Root 1 0 R >>\nstartxref\n%zu\n%%%%EOF\n",
	                   nobj + 1, xref);
	rc = rc ? rc : buf_add(out, pdf.data, pdf.len);
	if (rc && !err->message[0])
		ok_fail(err, rc, "the PDF attachment is too large");
out:
	/* The lines hold the learner's name and results. */
	sodium_memzero(l.text.data, l.text.len);
	sodium_memzero(pdf.data, pdf.len);
	sodium_memzero(stream.data, stream.len);
	buf_release(&l.text);
	buf_release(&pdf);
	buf_release(&stream);
	return rc;
}
