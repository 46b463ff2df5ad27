/* Folding names for comparison: Unicode white space collapsed, letters case folded (fold.h). */
#include "io/fold.h"

#include "io/utf8.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/* Decodes the code point at s (valid UTF-8, checked by the caller); *len gets its byte count. */
static uint32_t decode(const unsigned char *s, size_t *len)
{
	if (s[0] < 0x80) {
		*len = 1;
		return s[0];
	}
	if (s[0] < 0xE0) {
		*len = 2;
		return (uint32_t)(s[0] & 0x1F) << 6 | (s[1] & 0x3F);
	}
	if (s[0] < 0xF0) {
		*len = 3;
		return (uint32_t)(s[0] & 0x0F) << 12 | (uint32_t)(s[1] & 0x3F) << 6 | (s[2] & 0x3F);
	}
	*len = 4;
	return (uint32_t)(s[0] & 0x07) << 18 | (uint32_t)(s[1] & 0x3F) << 12 |
	       (uint32_t)(s[2] & 0x3F) << 6 | (s[3] & 0x3F);
}

/* Unicode's White_Space property. */
static bool is_space(uint32_t c)
{
	return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680 ||
	       (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F ||
	       c == 0x205F || c == 0x3000;
}

/* An upper-case letter of a block where upper and lower case alternate, upper first. */
static bool even_upper(uint32_t c, uint32_t from, uint32_t to)
{
	return c >= from && c <= to && (c - from) % 2 == 0;
}

/* The simple case folding of c in the scripts fold.h names; c itself elsewhere. */
static uint32_t fold_char(uint32_t c)
{
	if (c >= 'A' && c <= 'Z')
		return c + 0x20;
	if (c < 0x80)
		return c;
	if (c == 0xB5)
		return 0x3BC; /* micro sign: Greek mu */
	if (c >= 0xC0 && c <= 0xDE && c != 0xD7)
		return c + 0x20;
	if (even_upper(c, 0x100, 0x12F) || even_upper(c, 0x132, 0x137) ||
	    even_upper(c, 0x14A, 0x177))
		return c + 1;
	/* Ĺ..Ň and Ź..Ž: upper case on the odd code points */
	if ((c >= 0x139 && c <= 0x148 && c % 2 == 1) || (c >= 0x179 && c <= 0x17E && c % 2 == 1))
		return c + 1;
	if (c == 0x178)
		return 0xFF;
	if (c == 0x17F)
		return 's';
	if (c == 0x345)
		return 0x3B9;
	/* Greek */
	if (c == 0x386)
		return 0x3AC;
	if (c >= 0x388 && c <= 0x38A)
		return c + 0x25;
	if (c == 0x38C)
		return 0x3CC;
	if (c == 0x38E || c == 0x38F)
		return c + 0x3F;
	if (c >= 0x391 && c <= 0x3AB && c != 0x3A2)
		return c + 0x20;
	if (c == 0x3C2)
		return 0x3C3;
	if (even_upper(c, 0x3D8, 0x3EF))
		return c + 1;
	/* Cyrillic */
	if (c >= 0x400 && c <= 0x40F)
		return c + 0x50;
	if (c >= 0x410 && c <= 0x42F)
		return c + 0x20;
	if (even_upper(c, 0x460, 0x481) || even_upper(c, 0x48A, 0x4BF) ||
	    even_upper(c, 0x4D0, 0x52F))
		return c + 1;
	if (c == 0x4C0)
		return 0x4CF;
	if (c >= 0x4C1 && c <= 0x4CE && c % 2 == 1)
		return c + 1;
	/* Armenian */
	if (c >= 0x531 && c <= 0x556)
		return c + 0x30;
	/* Latin Extended Additional (Vietnamese, Welsh, …) */
	if (even_upper(c, 0x1E00, 0x1E95) || even_upper(c, 0x1EA0, 0x1EFF))
		return c + 1;
	if (c == 0x1E9B)
		return 0x1E61;
	/* Fullwidth Latin */
	if (c >= 0xFF21 && c <= 0xFF3A)
		return c + 0x20;
	return c;
}

/* Appends c as UTF-8 to out at *n; false when it does not fit (with room for the NUL). */
static bool put(char *out, size_t cap, size_t *n, uint32_t c)
{
	unsigned char b[4];
	size_t len;

	if (c < 0x80) {
		b[0] = (unsigned char)c;
		len = 1;
	} else if (c < 0x800) {
		b[0] = (unsigned char)(0xC0 | (c >> 6));
		b[1] = (unsigned char)(0x80 | (c & 0x3F));
		len = 2;
	} else if (c < 0x10000) {
		b[0] = (unsigned char)(0xE0 | (c >> 12));
		b[1] = (unsigned char)(0x80 | ((c >> 6) & 0x3F));
		b[2] = (unsigned char)(0x80 | (c & 0x3F));
		len = 3;
	} else {
		b[0] = (unsigned char)(0xF0 | (c >> 18));
		b[1] = (unsigned char)(0x80 | ((c >> 12) & 0x3F));
		b[2] = (unsigned char)(0x80 | ((c >> 6) & 0x3F));
		b[3] = (unsigned char)(0x80 | (c & 0x3F));
		len = 4;
	}
	if (*n + len >= cap)
		return false;
	memcpy(out + *n, b, len);
	*n += len;
	return true;
}

int fold_name(const char *s, size_t n, char *out, size_t cap)
{
	const unsigned char *p = (const unsigned char *)s;
	bool space = false;
	size_t i = 0, o = 0, len;

	if (cap == 0)
		return OK_ETOOBIG;
	out[0] = '\0';
	if (!utf8_valid(s, n) || (n && memchr(s, '\0', n)))
		return OK_EINPUT;
	while (i < n) {
		uint32_t c = decode(p + i, &len);
		bool ok = true;

		i += len;
		if (is_space(c)) {
			space = o > 0; /* one space between words, none in front */
			continue;
		}
		if (space)
			ok = put(out, cap, &o, ' ');
		space = false;
		c = fold_char(c);
		/* Full case folding of the sharp s and of dotted capital I. */
		if (c == 0xDF || c == 0x1E9E)
			ok = ok && put(out, cap, &o, 's') && put(out, cap, &o, 's');
		else if (c == 0x130)
			ok = ok && put(out, cap, &o, 'i') && put(out, cap, &o, 0x307);
		else
			ok = ok && put(out, cap, &o, c);
		if (!ok) {
			out[0] = '\0';
			return OK_ETOOBIG;
		}
	}
	out[o] = '\0';
	return 0;
}
