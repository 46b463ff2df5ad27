/* Terminal-safe text (see term.h). */
#include "cli/term.h"

#include <stdbool.h>
#include <string.h>
#include <time.h>

/* The length of the UTF-8 sequence at s and its code point, or 0 when it is not one. */
static size_t utf8_next(const unsigned char *s, uint32_t *cp)
{
	size_t n, i;
	uint32_t c;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xC2 && s[0] <= 0xDF) {
		n = 2;
		c = s[0] & 0x1Fu;
	} else if (s[0] >= 0xE0 && s[0] <= 0xEF) {
		n = 3;
		c = s[0] & 0x0Fu;
	} else if (s[0] >= 0xF0 && s[0] <= 0xF4) {
		n = 4;
		c = s[0] & 0x07u;
	} else {
		return 0;
	}
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3Fu);
	}
	/* Overlong forms, surrogates and code points past U+10FFFF are not UTF-8. */
	if ((n == 3 && c < 0x800) || (n == 4 && (c < 0x10000 || c > 0x10FFFF)) ||
	    (c >= 0xD800 && c <= 0xDFFF))
		return 0;
	*cp = c;
	return n;
}

static bool shown_escaped(uint32_t c)
{
	return c < 0x20 || c == 0x7F || (c >= 0x80 && c <= 0x9F) || c == 0x061C || c == 0x200E ||
	       c == 0x200F || (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069);
}

/*
 * The next piece of s as it is to be shown: into piece (at least 16 bytes), returning how many
 * bytes of s it stands for (0 at the end).
 */
static size_t next_piece(const char *s, char piece[16])
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t c = 0;
	size_t n;

	if (!*p)
		return 0;
	n = utf8_next(p, &c);
	/* Escapes are at most 10 bytes ("\\u{10FFFF}"): piece (16) holds them. */
	if (n == 0) {
		snprintf(piece, 16, "\\x%02X", p[0]);
		return 1;
	}
	if (!shown_escaped(c)) {
		memcpy(piece, s, n);
		piece[n] = '\0';
	} else if (c < 0x80) {
		snprintf(piece, 16, "\\x%02X", (unsigned)c);
	} else {
		snprintf(piece, 16, "\\u{%04X}", (unsigned)c);
	}
	return n;
}

const char *term_safe(const char *s, char *out, size_t cap)
{
	char piece[16];
	size_t used = 0, n, len;

	if (cap == 0)
		return out;
	out[0] = '\0';
	while (s && (n = next_piece(s, piece)) > 0) {
		len = strlen(piece);
		if (used + len + 1 > cap) {
			/* Cut at a whole piece, leaving room for the mark. */
			while (used > 0 && used + 4 > cap) {
				used--;
				while (used > 0 && ((unsigned char)out[used] & 0xC0) == 0x80)
					used--;
			}
			if (used + 4 <= cap)
				memcpy(out + used, "...", 4);
			else
				out[used] = '\0';
			return out;
		}
		memcpy(out + used, piece, len + 1);
		used += len;
		s += n;
	}
	return out;
}

void term_put(FILE *f, const char *s)
{
	char piece[16];
	size_t n;

	while (s && (n = next_piece(s, piece)) > 0) {
		fputs(piece, f);
		s += n;
	}
}

void term_time(int64_t ms, char out[32])
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (ms <= 0 || !gmtime_r(&t, &tm) || strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, 32, "-"); /* fixed text that fits */
}
