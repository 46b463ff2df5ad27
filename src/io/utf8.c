/* Strict UTF-8 validation (RFC 3629, table 3-7 of the Unicode standard). */
#include "io/utf8.h"

#include <stdint.h>
#include <string.h>

bool utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	while (i < n) {
		unsigned char c = p[i];
		unsigned char lo = 0x80, hi = 0xBF;
		size_t need, k;

		if (c < 0x80) {
			/* Fast path over ASCII, eight bytes at a time. */
			uint64_t w;

			while (n - i >= 8) {
				memcpy(&w, p + i, 8);
				if (w & UINT64_C(0x8080808080808080))
					break;
				i += 8;
			}
			while (i < n && p[i] < 0x80)
				i++;
			continue;
		}
		if (c >= 0xC2 && c <= 0xDF) {
			need = 1;
		} else if (c >= 0xE0 && c <= 0xEF) {
			need = 2;
			if (c == 0xE0)
				lo = 0xA0; /* no overlong three-byte forms */
			else if (c == 0xED)
				hi = 0x9F; /* no surrogates */
		} else if (c >= 0xF0 && c <= 0xF4) {
			need = 3;
			if (c == 0xF0)
				lo = 0x90; /* no overlong four-byte forms */
			else if (c == 0xF4)
				hi = 0x8F; /* nothing above U+10FFFF */
		} else {
			return false; /* continuation byte, C0, C1 or F5..FF */
		}
		if (n - i <= need)
			return false;
		if (p[i + 1] < lo || p[i + 1] > hi)
			return false;
		for (k = 2; k <= need; k++)
			if ((p[i + k] & 0xC0) != 0x80)
				return false;
		i += need + 1;
	}
	return true;
}

uint32_t utf8_decode(const char *s, size_t *len)
{
	const unsigned char *p = (const unsigned char *)s;

	if (p[0] < 0x80) {
		*len = 1;
		return p[0];
	}
	if (p[0] < 0xE0) {
		*len = 2;
		return (uint32_t)(p[0] & 0x1F) << 6 | (p[1] & 0x3F);
	}
	if (p[0] < 0xF0) {
		*len = 3;
		return (uint32_t)(p[0] & 0x0F) << 12 | (uint32_t)(p[1] & 0x3F) << 6 | (p[2] & 0x3F);
	}
	*len = 4;
	return (uint32_t)(p[0] & 0x07) << 18 | (uint32_t)(p[1] & 0x3F) << 12 |
	       (uint32_t)(p[2] & 0x3F) << 6 | (p[3] & 0x3F);
}

bool utf8_is_hidden(uint32_t c)
{
	/* Unicode's Default_Ignorable_Code_Point: every character that renders as nothing (the
	 * bidi controls and zero-width characters among them), whether assigned or not. */
	return c == 0x00AD || c == 0x034F || c == 0x061C || c == 0x115F || c == 0x1160 ||
	       c == 0x17B4 || c == 0x17B5 || (c >= 0x180B && c <= 0x180F) ||
	       (c >= 0x200B && c <= 0x200F) || (c >= 0x202A && c <= 0x202E) ||
	       (c >= 0x2060 && c <= 0x206F) || c == 0x3164 || (c >= 0xFE00 && c <= 0xFE0F) ||
	       c == 0xFEFF || c == 0xFFA0 || (c >= 0xFFF0 && c <= 0xFFF8) ||
	       (c >= 0x1BCA0 && c <= 0x1BCA3) || (c >= 0x1D173 && c <= 0x1D17A) ||
	       (c >= 0xE0000 && c <= 0xE0FFF);
}

size_t utf8_find_hidden(const char *s, size_t n, uint32_t *c)
{
	size_t i = 0, len;

	while (i < n) {
		/* No hidden character is ASCII: skip it quickly. */
		if ((unsigned char)s[i] < 0x80) {
			i++;
			continue;
		}
		*c = utf8_decode(s + i, &len);
		if (utf8_is_hidden(*c))
			return i;
		i += len;
	}
	return n;
}

/* The length of the well-formed sequence at s (n bytes left), 0 when there is none. */
static size_t sequence_at(const char *s, size_t n)
{
	unsigned char c = (unsigned char)s[0];
	size_t len = c < 0x80 ? 1 : c < 0xC2 ? 0 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : c < 0xF5 ? 4 : 0;

	return len && len <= n && utf8_valid(s, len) ? len : 0;
}

size_t utf8_replace_invalid(const char *s, size_t n, char *out, size_t cap)
{
	static const char replacement[] = "\xEF\xBF\xBD"; /* U+FFFD */
	size_t i = 0, o = 0, k;

	if (cap == 0)
		return 0;
	while (i < n) {
		k = sequence_at(s + i, n - i);
		if (o + (k ? k : 3) >= cap)
			break;
		memcpy(out + o, k ? s + i : replacement, k ? k : 3);
		o += k ? k : 3;
		i += k ? k : 1;
	}
	out[o] = '\0';
	return o;
}
