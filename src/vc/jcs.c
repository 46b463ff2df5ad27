/* RFC 8785 JSON canonicalization: a strict front end over jansson and our own serializer. */
#include "vc/jcs.h"
#include "core/format.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* 2^53: every integer up to this magnitude is exact as a double and prints as itself. */
#define JCS_EXACT_INT ((json_int_t)1 << 53)

/* Decodes one strict UTF-8 sequence at s (n > 0 bytes); returns its length, or 0 if invalid. */
static size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
	unsigned char c = s[0];
	size_t len, i;
	uint32_t v, min;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		v = c & 0x1fu;
		min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		v = c & 0x0fu;
		min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		v = c & 0x07u;
		min = 0x10000;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		v = (v << 6) | (s[i] & 0x3fu);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return len;
}

static int hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The value of the 4 hex digits at s (n bytes available), or -1 if they are not 4 hex digits. */
static long hex4(const unsigned char *s, size_t n)
{
	long v = 0;
	size_t i;
	int h;

	if (n < 4)
		return -1;
	for (i = 0; i < 4; i++) {
		h = hexval(s[i]);
		if (h < 0)
			return -1;
		v = v * 16 + h;
	}
	return v;
}

static int fail_at(struct ok_error *err, int code, size_t line, const char *what, size_t offset)
{
	ok_fail(err, code, "%s at byte %zu (line %zu)", what, offset, line);
	if (err)
		err->line = line;
	return code;
}

/*
 * Checks what jansson either does not check or reports vaguely: UTF-8 everywhere, lone
 * surrogates and NUL in \u escapes, NUL bytes, and the nesting depth. Syntax is left to jansson.
 */
static int prescan(const unsigned char *p, size_t n, unsigned flags, struct ok_error *err)
{
	size_t i = 0, line = 1, depth = 0, k;
	bool in_string = false;
	uint32_t cp;
	long u, lo;

	while (i < n) {
		unsigned char c = p[i];

		if (c >= 0x80) {
			k = utf8_decode(p + i, n - i, &cp);
			if (!k)
				return fail_at(err, OK_EINPUT, line, "invalid UTF-8", i);
			i += k;
			continue;
		}
		if (c == '\n')
			line++;
		if (!in_string) {
			if (c == '"') {
				in_string = true;
			} else if (c == '\0') {
				/* Never JSON; jansson skips one after a number. */
				return fail_at(err, OK_EINPUT, line, "a NUL byte is not JSON", i);
			} else if (c == '[' || c == '{') {
				if (++depth > VC_JCS_MAX_DEPTH)
					return fail_at(err, OK_EINPUT, line,
					               "nesting deeper than 64 levels", i);
			} else if ((c == ']' || c == '}') && depth) {
				depth--;
			}
			i++;
			continue;
		}
		if (c == '"') {
			in_string = false;
			i++;
			continue;
		}
		if (c != '\\' || i + 1 >= n) {
			i++;
			continue;
		}
		if (p[i + 1] != 'u') {
			/* A simple escape; an escaped byte >= 0x80 is left for the UTF-8 check. */
			i += p[i + 1] < 0x80 ? 2 : 1;
			continue;
		}
		u = hex4(p + i + 2, n - i - 2);
		if (u < 0) {
			i += 2; /* jansson reports the bad escape */
			continue;
		}
		if (u == 0 && !(flags & VC_JCS_ALLOW_NUL))
			return fail_at(err, OK_EINPUT, line,
			               "NUL character (\\u0000) in a string is not accepted", i);
		if (u >= 0xdc00 && u <= 0xdfff)
			return fail_at(err, OK_EINPUT, line,
			               "lone UTF-16 low surrogate in a \\u escape", i);
		if (u >= 0xd800 && u <= 0xdbff) {
			lo = -1;
			if (i + 12 <= n && p[i + 6] == '\\' && p[i + 7] == 'u')
				lo = hex4(p + i + 8, n - i - 8);
			if (lo < 0xdc00 || lo > 0xdfff)
				return fail_at(err, OK_EINPUT, line,
				               "lone UTF-16 high surrogate in a \\u escape", i);
			i += 12;
			continue;
		}
		i += 6;
	}
	return 0;
}

/* jansson's message without its " near '…'" tail, which may quote personal data. */
static void jansson_reason(const json_error_t *jerr, char *out, size_t cap)
{
	const char *near = strstr(jerr->text, " near ");
	size_t n = near ? (size_t)(near - jerr->text) : strlen(jerr->text);

	if (n >= cap)
		n = cap - 1;
	memcpy(out, jerr->text, n);
	out[n] = '\0';
}

static int map_jansson_error(const json_error_t *jerr, struct ok_error *err)
{
	size_t line = jerr->line > 0 ? (size_t)jerr->line : 0;
	char reason[JSON_ERROR_TEXT_LENGTH];
	int code = OK_EINPUT;

	switch (json_error_code(jerr)) {
	case json_error_out_of_memory:
		return ok_fail(err, OK_ENOMEM, "out of memory while parsing JSON");
	case json_error_duplicate_key:
		ok_fail(err, code, "duplicate object key (line %zu)", line);
		break;
	case json_error_stack_overflow:
		ok_fail(err, code, "nesting deeper than 64 levels (line %zu)", line);
		break;
	case json_error_invalid_utf8:
		ok_fail(err, code, "invalid UTF-8 (line %zu)", line);
		break;
	case json_error_null_character:
		ok_fail(err, code, "NUL character (\\u0000) in a string is not accepted (line %zu)",
		        line);
		break;
	case json_error_null_byte_in_key:
		ok_fail(err, code, "NUL character in an object key (line %zu)", line);
		break;
	case json_error_numeric_overflow:
		ok_fail(err, code, "number too large for a double (line %zu)", line);
		break;
	case json_error_premature_end_of_input:
		ok_fail(err, code, "JSON text ends too early (line %zu)", line);
		break;
	case json_error_end_of_input_expected:
		ok_fail(err, code, "unexpected data after the JSON value (line %zu)", line);
		break;
	default:
		jansson_reason(jerr, reason, sizeof(reason));
		ok_fail(err, code, "invalid JSON: %s (line %zu, column %d)", reason, line,
		        jerr->column);
		break;
	}
	if (err)
		err->line = line;
	return code;
}

int vc_jcs_parse(const char *data, size_t len, unsigned flags, json_t **out, struct ok_error *err)
{
	size_t jflags = JSON_REJECT_DUPLICATES | JSON_DECODE_ANY | JSON_DECODE_INT_AS_REAL;
	json_error_t jerr;
	json_t *v;
	int rc;

	*out = NULL;
	if (len > VC_JCS_MAX_INPUT)
		return ok_fail(err, OK_ETOOBIG, "JSON text of %zu bytes is over the limit of %zu",
		               len, VC_JCS_MAX_INPUT);
	if (len == 0 || !data)
		return ok_fail(err, OK_EINPUT, "empty input: no JSON value");
	rc = prescan((const unsigned char *)data, len, flags, err);
	if (rc)
		return rc;
	if (flags & VC_JCS_ALLOW_NUL)
		jflags |= JSON_ALLOW_NUL;
	v = json_loadb(data, len, jflags, &jerr);
	if (!v)
		return map_jansson_error(&jerr, err);
	*out = v;
	return 0;
}

/* Writing */

static int put_slow(struct buf *out, const void *data, size_t n, struct ok_error *err)
{
	int rc = buf_add(out, data, n);

	if (rc == OK_ETOOBIG)
		return ok_fail(err, rc, "canonical JSON would pass its limit of %zu bytes",
		               out->max);
	if (rc)
		return ok_fail(err, rc, "out of memory while writing canonical JSON");
	return 0;
}

/* Appends n bytes: straight into the buffer while it has room (a canonical form is made of
 * many short pieces), else through buf_add, which grows it and keeps its cap. */
static inline int put(struct buf *out, const void *data, size_t n, struct ok_error *err)
{
	if (out->alloc && n < out->alloc - out->len && n <= out->max - out->len) {
		memcpy(out->data + out->len, data, n);
		out->len += n;
		return 0;
	}
	return put_slow(out, data, n, err);
}

/*
 * Reads the significant digits and the exponent of "%e" output, without assuming the locale's
 * decimal point. digits gets at most 18 characters.
 */
static bool read_digits(const char *text, char digits[24], int *k, long *exp10)
{
	const char *s;

	*k = 0;
	for (s = text; *s && *s != 'e'; s++) {
		if (*s >= '0' && *s <= '9' && *k < 18)
			digits[(*k)++] = *s;
	}
	if (*s != 'e' || *k == 0)
		return false;
	*exp10 = strtol(s + 1, NULL, 10);
	return true;
}

/* Whether digits (d1.d2d3… × 10^exp10) parse back to exactly d; no radix character is used. */
static bool reads_back(const char *digits, int k, long exp10, double d)
{
	char text[48];

	/* At most 18 digits, 'e' and a long: 48 bytes hold them. */
	snprintf(text, sizeof(text), "%.*se%ld", k, digits, exp10 - (k - 1));
	return strtod(text, NULL) == d;
}

/* Adds one unit in the last place of digits, carrying (999 becomes 1000, one decade up). */
static void increment(char digits[24], int *k, long *exp10)
{
	int i = *k - 1;

	while (i >= 0 && digits[i] == '9')
		digits[i--] = '0';
	if (i >= 0) {
		digits[i]++;
		return;
	}
	memmove(digits + 1, digits, (size_t)*k);
	digits[0] = '1';
	(*k)++;
	(*exp10)++;
}

int vc_jcs_format_number(double d, char *out, size_t cap, struct ok_error *err)
{
	char tmp[48], digits[24];
	int p, k = 0, n, e, i;
	size_t o = 0;
	long exp10;

	if (cap < VC_JCS_NUMBER_MAX)
		return ok_fail(err, OK_ETOOBIG, "number buffer too small");
	if (!isfinite(d))
		return ok_fail(err, OK_EINPUT, "JSON cannot hold NaN or Infinity");
	if (d == 0) {
		/* Both +0 and -0. */
		out[0] = '0';
		out[1] = '\0';
		return 0;
	}
	if (d < 0) {
		out[o++] = '-';
		d = -d;
	}
	/* An integer below 2^53 (credits, counts, indexes): exactly its decimal digits, which are
	 * its shortest form too; the search below would take a dozen snprintf calls for it. */
	if (d < 9007199254740992.0 && d == (double)(uint64_t)d) {
		uint64_t v = (uint64_t)d;
		char rev[20];
		int r = 0;

		while (v) {
			rev[r++] = (char)('0' + v % 10);
			v /= 10;
		}
		while (r)
			out[o++] = rev[--r];
		out[o] = '\0';
		return 0;
	}
	/*
	 * The fewest significant digits that read back as the same double: the correctly
	 * rounded p digits, or, just above a power of two where the gap below is half the gap
	 * above, the p digits one unit higher.
	 */
	/* tmp holds any %.16e of a double (at most 24 bytes), and read_digits refuses what it
	 * does not expect, so a cut could not pass unnoticed. */
	for (p = 1; p <= 17; p++) {
		snprintf(tmp, sizeof(tmp), "%.*e", p - 1, d);
		if (!read_digits(tmp, digits, &k, &exp10))
			return ok_fail(err, OK_EINTERNAL, "unexpected number formatting");
		if (reads_back(digits, k, exp10, d))
			break;
		increment(digits, &k, &exp10);
		if (reads_back(digits, k, exp10, d))
			break;
	}
	if (p > 17) {
		/* Never reached: 17 digits always read back. */
		snprintf(tmp, sizeof(tmp), "%.16e", d);
		if (!read_digits(tmp, digits, &k, &exp10))
			return ok_fail(err, OK_EINTERNAL, "unexpected number formatting");
	}
	while (k > 1 && digits[k - 1] == '0')
		k--;
	n = (int)exp10 + 1; /* the value is 0.digits × 10^n */

	if (k <= n && n <= 21) {
		for (i = 0; i < k; i++)
			out[o++] = digits[i];
		for (i = k; i < n; i++)
			out[o++] = '0';
	} else if (0 < n && n <= 21) {
		for (i = 0; i < n; i++)
			out[o++] = digits[i];
		out[o++] = '.';
		for (i = n; i < k; i++)
			out[o++] = digits[i];
	} else if (-6 < n && n <= 0) {
		out[o++] = '0';
		out[o++] = '.';
		for (i = n; i < 0; i++)
			out[o++] = '0';
		for (i = 0; i < k; i++)
			out[o++] = digits[i];
	} else {
		out[o++] = digits[0];
		if (k > 1) {
			out[o++] = '.';
			for (i = 1; i < k; i++)
				out[o++] = digits[i];
		}
		e = n - 1;
		out[o++] = 'e';
		out[o++] = e < 0 ? '-' : '+';
		if (ok_format(out + o, cap - o, "%d", e < 0 ? -e : e))
			return ok_fail(err, OK_EINTERNAL, "the number's text does not fit");
		return 0;
	}
	out[o] = '\0';
	return 0;
}

static int write_number(double d, struct buf *out, struct ok_error *err)
{
	char num[VC_JCS_NUMBER_MAX];
	int rc = vc_jcs_format_number(d, num, sizeof(num), err);

	if (rc)
		return rc;
	return put(out, num, strlen(num), err);
}

/* The escape of byte c (a '"', a '\\' or a control character) written at d; returns its
 * length: JSON's short escapes where it has one, else \u00xx. */
static size_t escape(unsigned char c, char *d)
{
	static const char hex[] = "0123456789abcdef";

	d[0] = '\\';
	switch (c) {
	case '"':
	case '\\':
		d[1] = (char)c;
		return 2;
	case '\b':
		d[1] = 'b';
		return 2;
	case '\t':
		d[1] = 't';
		return 2;
	case '\n':
		d[1] = 'n';
		return 2;
	case '\f':
		d[1] = 'f';
		return 2;
	case '\r':
		d[1] = 'r';
		return 2;
	default:
		d[1] = 'u';
		d[2] = '0';
		d[3] = '0';
		d[4] = hex[c >> 4];
		d[5] = hex[c & 0xf];
		return 6;
	}
}

#define ONES  0x0101010101010101u
#define HIGHS 0x8080808080808080u

/* The bytes of the 8 at p that a string writer must look at: the high bit of each byte that is
 * '"', '\\' or below 0x20, and (high set to HIGHS) of each byte >= 0x80. The classic "has a
 * zero byte" tests on one word: the first byte flagged is always one of these (a borrow only
 * flags bytes after a flagged one), and none is missed. */
static inline uint64_t look8(const unsigned char *p, uint64_t high)
{
	uint64_t x, quote, slash;

	memcpy(&x, p, 8);
	quote = x ^ (ONES * '"');
	slash = x ^ (ONES * '\\');
	return (x & high) | ((x - ONES * 0x20) & ~x & HIGHS) | ((quote - ONES) & ~quote & HIGHS) |
	       ((slash - ONES) & ~slash & HIGHS);
}

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define LITTLE_ENDIAN_WORDS 1 /* a word's first byte in memory is its lowest */
#else
#define LITTLE_ENDIAN_WORDS 0
#endif

#if defined(__SSE2__)
#include <emmintrin.h>
#define JCS_SSE2 1
/* The bytes of the 16 at p that a string writer must look at, one bit each (bit j: byte j):
 * '"', '\\', below 0x20, and with checked each byte >= 0x80. Exact, unlike look8. */
static inline unsigned look16(const unsigned char *p, bool checked)
{
	const __m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
	const __m128i low = _mm_cmpeq_epi8(_mm_min_epu8(x, _mm_set1_epi8(0x1f)), x);
	const __m128i quote = _mm_cmpeq_epi8(x, _mm_set1_epi8('"'));
	const __m128i slash = _mm_cmpeq_epi8(x, _mm_set1_epi8('\\'));
	unsigned m = (unsigned)_mm_movemask_epi8(_mm_or_si128(low, _mm_or_si128(quote, slash)));

	return checked ? m | (unsigned)_mm_movemask_epi8(x) : m;
}
#else
#define JCS_SSE2 0
#endif

/* How many bytes at the start of a word precede its first flagged one (m not 0). */
static inline size_t plain_before(uint64_t m)
{
#if LITTLE_ENDIAN_WORDS
	return (size_t)__builtin_ctzll(m) >> 3;
#else
	(void)m;
	return 0; /* look at every byte: correct, only slower */
#endif
}

/* Strings up to this many bytes are written straight into a buffer that has room for their
 * longest form (6 bytes per byte): a bound on what that reservation may cost. */
#define JCS_STRING_DIRECT 65536

/*
 * Writes s[0..n) quoted and escaped straight into out, which has room for 6 * n + 2 more bytes
 * (and the NUL). checked: s may be invalid UTF-8 (a jansson string made without checks), which
 * fails; else s is known to be valid UTF-8 (json_tree's strings, keys already checked) and
 * bytes >= 0x80 are copied as they are.
 */
static int string_direct(const unsigned char *p, size_t n, bool checked, struct buf *out,
                         struct ok_error *err)
{
	const uint64_t high = checked ? HIGHS : 0;
	char *d = out->data + out->len;
	size_t i = 0, k, r;
	uint64_t m, x;
	unsigned char c;
	uint32_t cp;

	*d++ = '"';
	while (i < n) {
		r = n - i;
#if JCS_SSE2
		if (r >= 16) {
			unsigned m16 = look16(p + i, checked);

			/* As below, 16 bytes at a time. */
			memcpy(d, p + i, 16);
			if (!m16) {
				d += 16;
				i += 16;
				continue;
			}
			k = (size_t)__builtin_ctz(m16);
			d += k;
			i += k;
		} else
#endif
		        if (r >= 8) {
			/* All 8 copied (the room holds them); only the plain ones are kept. */
			m = look8(p + i, high);
			memcpy(d, p + i, 8);
			if (!m) {
				d += 8;
				i += 8;
				continue;
			}
			k = plain_before(m);
			d += k;
			i += k;
		} else if (n >= 8 && LITTLE_ENDIAN_WORDS) {
			/* The last r bytes: the word that ends the string, the bytes before them
			 * shifted out (the lowest bytes are the first in memory). */
			memcpy(&x, p + n - 8, 8);
			m = look8(p + n - 8, high) >> (8 * (8 - r));
			x >>= 8 * (8 - r);
			memcpy(d, &x, 8);
			if (!m) {
				d += r;
				break;
			}
			k = plain_before(m);
			d += k;
			i += k;
		} else {
			while (i < n && (c = p[i]) >= 0x20 && c != '"' && c != '\\' &&
			       (c < 0x80 || !checked)) {
				*d++ = (char)c;
				i++;
			}
			if (i == n)
				break;
		}
		/* One byte or character that is not plain. */
		c = p[i];
		if (c >= 0x80 && checked) {
			k = utf8_decode(p + i, n - i, &cp);
			if (!k)
				return ok_fail(err, OK_EINPUT, "invalid UTF-8 in a string");
			memcpy(d, p + i, k);
			d += k;
			i += k;
		} else if (c >= 0x20 && c != '"' && c != '\\') {
			*d++ = (char)c;
			i++;
		} else {
			d += escape(c, d);
			i++;
		}
	}
	*d++ = '"';
	out->len = (size_t)(d - out->data);
	return 0;
}

/* The same piece by piece through put(), for a buffer that cannot take the longest form (near
 * its cap, or a very long string): the cap is met exactly. */
static int string_pieces(const unsigned char *p, size_t n, bool checked, struct buf *out,
                         struct ok_error *err)
{
	size_t i = 0, run, k;
	char esc[6];
	uint32_t cp;
	int rc;

	rc = put(out, "\"", 1, err);
	while (!rc && i < n) {
		/* A run of bytes that need no escape. */
		run = i;
		while (n - run >= 8 && !look8(p + run, checked ? HIGHS : 0))
			run += 8;
		while (run < n && p[run] >= 0x20 && p[run] != '"' && p[run] != '\\') {
			if (p[run] >= 0x80 && checked) {
				k = utf8_decode(p + run, n - run, &cp);
				if (!k)
					return ok_fail(err, OK_EINPUT, "invalid UTF-8 in a string");
				run += k;
			} else {
				run++;
			}
		}
		if (run > i) {
			rc = put(out, p + i, run - i, err);
			i = run;
			continue;
		}
		rc = put(out, esc, escape(p[i], esc), err);
		i++;
	}
	if (rc)
		return rc;
	return put(out, "\"", 1, err);
}

/* Whether out can take n more bytes (and its NUL) without passing its cap, made so if need be. */
static inline bool room_for(struct buf *out, size_t n)
{
	if (n > out->max - out->len)
		return false;
	return (out->alloc && n < out->alloc - out->len) || buf_grow(out, n) == 0;
}

static inline int write_string(const char *s, size_t n, bool checked, struct buf *out,
                               struct ok_error *err)
{
	const unsigned char *p = (const unsigned char *)s;

	if (n <= JCS_STRING_DIRECT && room_for(out, 6 * n + 2))
		return string_direct(p, n, checked, out, err);
	return string_pieces(p, n, checked, out, err);
}

struct member {
	const char *key;
	size_t len;
	uint64_t head; /* the key's first 8 bytes as a big-endian number, zeros after its end */
	json_t *value;
	bool high;  /* holds a byte >= 0xEE: a code point where UTF-8 and UTF-16 orders differ */
	bool plain; /* needs no escape: written as it is */
};

/* The next UTF-16 code unit of a valid UTF-8 string, or -1 at its end. */
struct utf16_iter {
	const unsigned char *p;
	size_t n;
	long pending; /* a low surrogate still to come, or -1 */
};

static long utf16_next(struct utf16_iter *it)
{
	uint32_t cp = 0;
	size_t k;
	long unit;

	if (it->pending >= 0) {
		unit = it->pending;
		it->pending = -1;
		return unit;
	}
	if (it->n == 0)
		return -1;
	k = utf8_decode(it->p, it->n, &cp);
	if (!k) {
		/* Keys were validated before sorting; treat a bad byte as itself to stay total. */
		cp = it->p[0];
		k = 1;
	}
	it->p += k;
	it->n -= k;
	if (cp < 0x10000)
		return (long)cp;
	cp -= 0x10000;
	it->pending = (long)(0xdc00 + (cp & 0x3ff));
	return (long)(0xd800 + (cp >> 10));
}

static int utf16_cmp(const char *a, size_t na, const char *b, size_t nb)
{
	struct utf16_iter ia = {(const unsigned char *)a, na, -1};
	struct utf16_iter ib = {(const unsigned char *)b, nb, -1};
	long ua, ub;

	for (;;) {
		ua = utf16_next(&ia);
		ub = utf16_next(&ib);
		if (ua != ub)
			return ua < ub ? -1 : 1;
		if (ua < 0)
			return 0;
	}
}

/*
 * RFC 8785's order: by UTF-16 code units. Bytewise UTF-8 order is code point order, which is the
 * same except between U+E000..U+FFFF (lead bytes 0xEE, 0xEF) and code points past U+FFFF (lead
 * bytes 0xF0..0xF4, surrogate pairs in UTF-16): keys with such bytes take the slow way. The
 * first 8 bytes, compared as one number, decide most pairs: their order is memcmp's, and a key
 * that ends within them compares as if followed by zeros, which only ties with a longer key
 * whose next bytes are zeros, and the tie goes to the full comparison.
 */
static int member_cmp(const struct member *ma, const struct member *mb)
{
	size_t n = ma->len < mb->len ? ma->len : mb->len;
	int c;

	if (ma->high && mb->high)
		return utf16_cmp(ma->key, ma->len, mb->key, mb->len);
	if (ma->head != mb->head)
		return ma->head < mb->head ? -1 : 1;
	c = n > 8 ? memcmp(ma->key + 8, mb->key + 8, n - 8) : 0;
	if (c)
		return c;
	return ma->len < mb->len ? -1 : ma->len > mb->len;
}

/* The first 8 bytes of s[0..n) as a big-endian number, zeros after its end. */
static inline uint64_t key_head(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	uint64_t h = 0;
	size_t i;

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	if (n >= 8) {
		memcpy(&h, p, 8);
		return __builtin_bswap64(h);
	}
#endif
	for (i = 0; i < 8; i++)
		h = (h << 8) | (i < n ? p[i] : 0u);
	return h;
}

/*
 * Fills m's key fields for the key s[0..n). checked: s may be invalid UTF-8 (jansson's keys
 * made without checks), which fails; else it is known valid (json_tree's) and only scanned for
 * bytes >= 0xEE. A key of plain ASCII (most) is told by 8 bytes at a time.
 */
static bool member_key(struct member *m, const char *s, size_t n, bool checked)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, k;
	uint32_t cp;

	m->key = s;
	m->len = n;
	m->head = key_head(s, n);
	m->high = false;
	m->plain = true;
	while (n - i >= 8 && !look8(p + i, HIGHS))
		i += 8;
	while (i < n) {
		if (p[i] < 0x80) {
			if (p[i] < 0x20 || p[i] == '"' || p[i] == '\\')
				m->plain = false;
			i++;
			continue;
		}
		if (p[i] >= 0xee)
			m->high = true;
		if (!checked) {
			i++;
			continue;
		}
		k = utf8_decode(p + i, n - i, &cp);
		if (!k)
			return false;
		i += k;
	}
	return true;
}

/* Sorts m[0..n) by member_cmp: insertion sort, binary search for the place (objects of a
 * credential are small; n is bounded by the parser's and JSON-LD's key limits). */
static void sort_members(struct member *m, size_t n)
{
	struct member t;
	size_t i, lo, hi, mid;

	for (i = 1; i < n; i++) {
		if (member_cmp(&m[i - 1], &m[i]) <= 0)
			continue;
		t = m[i];
		lo = 0;
		hi = i - 1;
		while (lo < hi) {
			mid = lo + (hi - lo) / 2;
			if (member_cmp(&m[mid], &t) <= 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		memmove(m + lo + 1, m + lo, (i - lo) * sizeof(*m));
		m[lo] = t;
	}
}

static int write_value(const json_t *v, struct buf *out, int depth, struct ok_error *err);

static int member_qsort_cmp(const void *a, const void *b)
{
	return member_cmp(a, b);
}

/* Objects up to this many members are sorted on the stack, without an allocation. */
#define JCS_SMALL_OBJECT 32

/* An object's k members, sorted, written as {"name":value,...}. */
static int write_members(struct member *m, size_t k, int depth, struct buf *out,
                         struct ok_error *err)
{
	size_t j;
	int rc;

	/* Insertion sort where it is cheap; a large object (an outsider's) gets O(n log n). */
	if (k <= JCS_SMALL_OBJECT)
		sort_members(m, k);
	else
		qsort(m, k, sizeof(*m), member_qsort_cmp);
	rc = put(out, "{", 1, err);
	for (j = 0; !rc && j < k; j++) {
		if (m[j].plain && room_for(out, m[j].len + 4)) {
			/* ,"name": in one piece (most names). */
			char *d = out->data + out->len;

			if (j)
				*d++ = ',';
			*d++ = '"';
			memcpy(d, m[j].key, m[j].len);
			d += m[j].len;
			*d++ = '"';
			*d++ = ':';
			out->len = (size_t)(d - out->data);
		} else {
			if (j)
				rc = put(out, ",", 1, err);
			if (!rc) /* checked when collected */
				rc = write_string(m[j].key, m[j].len, false, out, err);
			if (!rc)
				rc = put(out, ":", 1, err);
		}
		if (!rc)
			rc = write_value(m[j].value, out, depth, err);
	}
	return rc ? rc : put(out, "}", 1, err);
}

static int write_object(const json_t *v, struct buf *out, int depth, struct ok_error *err)
{
	size_t n = json_object_size(v), i = 0;
	struct member small[JCS_SMALL_OBJECT], *m = small;
	const char *key;
	size_t key_len;
	json_t *value;
	void *iter;
	int rc = 0;

	if (n == 0)
		return put(out, "{}", 2, err);
	if (n > JCS_SMALL_OBJECT && !(m = calloc(n, sizeof(*m))))
		return ok_fail(err, OK_ENOMEM, "out of memory while writing canonical JSON");
	for (iter = json_object_iter((json_t *)v); iter && i < n;
	     iter = json_object_iter_next((json_t *)v, iter)) {
		key = json_object_iter_key(iter);
		key_len = json_object_iter_key_len(iter);
		value = json_object_iter_value(iter);
		/* jansson checks the keys it reads, not those set with its _nocheck calls. */
		if (!member_key(&m[i], key, key_len, true)) {
			rc = ok_fail(err, OK_EINPUT, "invalid UTF-8 in an object key");
			goto out;
		}
		m[i].value = value;
		i++;
	}
	rc = write_members(m, i, depth, out, err);
out:
	if (m != small)
		free(m);
	return rc;
}

/* The decimal digits of v (|v| <= 2^53), with '-' when negative, as "%lld" writes them, at
 * out (room for VC_JCS_NUMBER_MAX); returns their length. */
static size_t int_digits(json_int_t v, char *out)
{
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	char rev[20];
	size_t n = 0, r = 0;

	if (v < 0)
		out[n++] = '-';
	do {
		rev[r++] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	while (r)
		out[n++] = rev[--r];
	return n;
}

static int write_value(const json_t *v, struct buf *out, int depth, struct ok_error *err)
{
	json_int_t iv;
	size_t i, n;
	int rc = 0;

	if (!v)
		return ok_fail(err, OK_EINPUT, "missing JSON value");
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		if (depth + 1 > VC_JCS_MAX_DEPTH)
			return ok_fail(err, OK_EINPUT, "nesting deeper than 64 levels");
		return write_object(v, out, depth + 1, err);
	case JSON_ARRAY:
		if (depth + 1 > VC_JCS_MAX_DEPTH)
			return ok_fail(err, OK_EINPUT, "nesting deeper than 64 levels");
		rc = put(out, "[", 1, err);
		n = json_array_size(v);
		for (i = 0; !rc && i < n; i++) {
			if (i)
				rc = put(out, ",", 1, err);
			if (!rc)
				rc = write_value(json_array_get(v, i), out, depth + 1, err);
		}
		return rc ? rc : put(out, "]", 1, err);
	case JSON_STRING:
		/* Checked: jansson's strings made with json_string_nocheck may be any bytes. */
		return write_string(json_string_value(v), json_string_length(v), true, out, err);
	case JSON_INTEGER:
		iv = json_integer_value(v);
		if (iv >= -JCS_EXACT_INT && iv <= JCS_EXACT_INT) {
			char num[VC_JCS_NUMBER_MAX];

			return put(out, num, int_digits(iv, num), err);
		}
		/* Beyond 2^53 the number is what ECMAScript would read: the nearest double. */
		return write_number((double)iv, out, err);
	case JSON_REAL:
		return write_number(json_real_value(v), out, err);
	case JSON_TRUE:
		return put(out, "true", 4, err);
	case JSON_FALSE:
		return put(out, "false", 5, err);
	case JSON_NULL:
		return put(out, "null", 4, err);
	}
	return ok_fail(err, OK_EINPUT, "unknown JSON value type");
}

/* The writers above add bytes without the NUL that struct buf keeps after them (one store
 * less per piece, each of which would wait for the last length): it is put back once here, on
 * success and failure alike. */
static int terminated(struct buf *out, int rc)
{
	if (out->alloc)
		out->data[out->len] = '\0';
	return rc;
}

int vc_jcs_serialize(const json_t *v, struct buf *out, struct ok_error *err)
{
	return terminated(out, write_value(v, out, 0, err));
}

/* From a json_tree */

int vc_jcs_parse_tree(const char *data, size_t len, struct json_tree *t, uint32_t *root,
                      struct ok_error *err)
{
	/* A scalar inside 64 containers is at json_tree's depth 65; a container there is refused
	 * below by the tree's nesting, as the prescan refuses its 65th bracket. */
	const struct json_tree_limits lim = {
	        .max_bytes = VC_JCS_MAX_INPUT, .depth = VC_JCS_MAX_DEPTH + 1, .big_integers = true};
	int rc;

	*root = 0;
	if (len > VC_JCS_MAX_INPUT)
		return ok_fail(err, OK_ETOOBIG, "JSON text of %zu bytes is over the limit of %zu",
		               len, VC_JCS_MAX_INPUT);
	if (len == 0 || !data)
		return ok_fail(err, OK_EINPUT, "empty input: no JSON value");
	rc = json_tree_parse(t, data, len, &lim, root, err);
	/* A refusal in the words vc_jcs_parse used where its prescan names the rule (UTF-8, a NUL
	 * or lone surrogate escape, the depth): read again only on this path, never on success. */
	if ((rc == OK_EINPUT || rc == OK_ETOOBIG) &&
	    prescan((const unsigned char *)data, len, 0, err) != 0)
		rc = OK_EINPUT;
	else if (rc == OK_ETOOBIG)
		/* Only the depth can pass a limit here: the length is checked above. */
		rc = ok_fail(err, OK_EINPUT, "nesting deeper than 64 levels");
	else if (!rc && t->nesting > VC_JCS_MAX_DEPTH)
		/* A container at json_tree's depth 65 (an empty one: anything inside it would be
		 * deeper still), which the prescan refuses at its 65th bracket. */
		rc = ok_fail(err, OK_EINPUT, "nesting deeper than 64 levels");
	if (rc)
		*root = 0;
	return rc;
}

/* A number as vc_jcs_parse's double would be written: short integers by their digits (exact
 * below 10^15 < 2^53), every other through the double jansson would have read. */
static int write_tree_number(const struct json_tree *t, uint32_t i, struct buf *out,
                             struct ok_error *err)
{
	size_t n;
	const char *s = json_tree_number_text(t, i, &n);
	double d;

	if (json_tree_is_integer(t, i) && n - (s[0] == '-') <= 15) {
		if (n == 2 && s[0] == '-' && s[1] == '0')
			return put(out, "0", 1, err);
		return put(out, s, n, err);
	}
	if (json_tree_double(t, i, &d))
		return ok_fail(err, OK_ENOMEM, "out of memory while writing canonical JSON");
	return write_number(d, out, err);
}

/* A member of a json_tree's object being written: its name's first 8 bytes as a big-endian
 * number (zeros after its end), the name, and its value's node. */
struct tree_member {
	uint64_t head;
	const char *key;
	uint32_t len;
	uint32_t node;
	uint8_t flags; /* the name's JSON_TREE_F_KEY_ESC and JSON_TREE_F_KEY_HIGH */
};

/* key_head for a name of any length, without a loop: the name's first and last bytes of a
 * short name read as two (possibly overlapping) pieces, each put in its place. */
static inline uint64_t tree_head(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;

	if (n >= 8 || !LITTLE_ENDIAN_WORDS)
		return key_head(s, n);
	if (n >= 4) {
		uint32_t a, b;

		memcpy(&a, p, 4);
		memcpy(&b, p + n - 4, 4);
		return (uint64_t)__builtin_bswap32(a) << 32 | (uint64_t)__builtin_bswap32(b)
		                                                      << (8 * (8 - n));
	}
	if (n == 0)
		return 0;
	return (uint64_t)p[0] << 56 | (uint64_t)p[n / 2] << (56 - 8 * (n / 2)) |
	       (uint64_t)p[n - 1] << (56 - 8 * (n - 1));
}

/* RFC 8785's order of two names (member_cmp's rules: bytewise, unless both names hold a byte
 * >= 0xEE): below, equal to or above 0. */
static inline int tree_cmp(const struct tree_member *a, const struct tree_member *b)
{
	size_t n;
	int c;

	if (a->flags & b->flags & JSON_TREE_F_KEY_HIGH)
		return utf16_cmp(a->key, a->len, b->key, b->len);
	if (a->head != b->head)
		return a->head < b->head ? -1 : 1;
	n = a->len < b->len ? a->len : b->len;
	c = n > 8 ? memcmp(a->key + 8, b->key + 8, n - 8) : 0;
	return c ? c : (a->len > b->len) - (a->len < b->len);
}

static inline bool tree_before(const struct tree_member *a, const struct tree_member *b)
{
	return tree_cmp(a, b) < 0;
}

static int tree_member_qsort_cmp(const void *a, const void *b)
{
	return tree_cmp(*(const struct tree_member *const *)a,
	                *(const struct tree_member *const *)b);
}

/* Sorts the pointers p[0..n) to members: insertion sort for the small objects of a credential,
 * qsort past that (of pointers: glibc sorts pointers without a call per move). */
static void sort_tree_members(const struct tree_member **p, size_t n)
{
	const struct tree_member *x;
	size_t i, j;

	if (n > JCS_SMALL_OBJECT) {
		qsort(p, n, sizeof(*p), tree_member_qsort_cmp);
		return;
	}
	for (i = 1; i < n; i++) {
		if (!tree_before(p[i], p[i - 1]))
			continue;
		x = p[i];
		j = i;
		do {
			p[j] = p[j - 1];
			j--;
		} while (j && tree_before(x, p[j - 1]));
		p[j] = x;
	}
}

/* A string of t (s, n bytes, flags its node's JSON_TREE_F_S_ESC): valid UTF-8 by the reader;
 * one that holds nothing to escape is copied as it is. */
static inline int tree_string(const char *s, size_t n, unsigned esc, struct buf *out,
                              struct ok_error *err)
{
	if (!esc && room_for(out, n + 2)) {
		char *d = out->data + out->len;

		d[0] = '"';
		memcpy(d + 1, s, n);
		d[n + 1] = '"';
		out->len += n + 2;
		return 0;
	}
	return write_string(s, n, false, out, err);
}

static int tree_object(const struct json_tree *t, uint32_t i, int depth, const char *skip,
                       uint32_t ctx, struct buf *out, struct ok_error *err);

static int tree_value(const struct json_tree *t, uint32_t i, int depth, struct buf *out,
                      struct ok_error *err)
{
	const struct json_tree_node *nd = &t->nodes[i];
	uint32_t c;
	int rc;

	switch ((enum json_tree_type)nd->type) {
	case JSON_TREE_STRING:
		return tree_string(nd->flags & JSON_TREE_F_S_OWNED ? t->text + nd->s.off : nd->s.p,
		                   nd->len, nd->flags & JSON_TREE_F_S_ESC, out, err);
	case JSON_TREE_OBJECT:
		if (depth + 1 > VC_JCS_MAX_DEPTH)
			return ok_fail(err, OK_EINPUT, "nesting deeper than 64 levels");
		return tree_object(t, i, depth + 1, NULL, 0, out, err);
	case JSON_TREE_ARRAY:
		if (depth + 1 > VC_JCS_MAX_DEPTH)
			return ok_fail(err, OK_EINPUT, "nesting deeper than 64 levels");
		rc = put(out, "[", 1, err);
		json_tree_foreach(t, i, c)
		{
			const struct json_tree_node *v = &t->nodes[c];

			if (!rc && c != i + 1)
				rc = put(out, ",", 1, err);
			if (rc)
				break;
			/* A string item (most: types, contexts) without a call. */
			if (v->type == JSON_TREE_STRING)
				rc = tree_string(v->flags & JSON_TREE_F_S_OWNED ? t->text + v->s.off
				                                                : v->s.p,
				                 v->len, v->flags & JSON_TREE_F_S_ESC, out, err);
			else
				rc = tree_value(t, c, depth + 1, out, err);
			if (rc)
				break;
		}
		return rc ? rc : put(out, "]", 1, err);
	case JSON_TREE_NUMBER:
		return write_tree_number(t, i, out, err);
	case JSON_TREE_TRUE:
		return put(out, "true", 4, err);
	case JSON_TREE_FALSE:
		return put(out, "false", 5, err);
	case JSON_TREE_NULL:
		return put(out, "null", 4, err);
	case JSON_TREE_NONE:
		break;
	}
	return ok_fail(err, OK_EINPUT, "missing JSON value");
}

/* Object i of t (at depth, itself counted) with its members sorted; skip and ctx as
 * vc_jcs_serialize_tree says. */
static int tree_object(const struct json_tree *t, uint32_t i, int depth, const char *skip,
                       uint32_t ctx, struct buf *out, struct ok_error *err)
{
	size_t n = json_tree_size(t, i) + (ctx != 0), k = 0, j, skip_len = skip ? strlen(skip) : 0;
	struct tree_member small[JCS_SMALL_OBJECT], *m = small;
	const struct tree_member *small_p[JCS_SMALL_OBJECT], **p = small_p;
	bool ctx_done = ctx == 0;
	uint32_t c;
	int rc;

	if (n == 0)
		return put(out, "{}", 2, err);
	if (n > JCS_SMALL_OBJECT) {
		/* The members and the pointers sorted in one allocation. */
		if (n > SIZE_MAX / (sizeof(*m) + sizeof(*p)) ||
		    !(m = malloc(n * (sizeof(*m) + sizeof(*p)))))
			return ok_fail(err, OK_ENOMEM,
			               "out of memory while writing canonical JSON");
		p = (const struct tree_member **)(void *)(m + n);
	}
	json_tree_foreach(t, i, c)
	{
		const struct json_tree_node *nd = &t->nodes[c];
		const char *key =
		        nd->flags & JSON_TREE_F_KEY_OWNED ? t->text + nd->key.off : nd->key.p;

		if (skip && nd->key_len == skip_len && memcmp(key, skip, skip_len) == 0)
			continue;
		m[k].key = key;
		m[k].len = nd->key_len;
		m[k].head = tree_head(key, nd->key_len);
		m[k].node = c;
		m[k].flags = nd->flags & (JSON_TREE_F_KEY_ESC | JSON_TREE_F_KEY_HIGH);
		if (!ctx_done && nd->key_len == 8 && memcmp(key, "@context", 8) == 0) {
			m[k].node = ctx;
			ctx_done = true;
		}
		p[k] = &m[k];
		k++;
	}
	if (!ctx_done) {
		m[k].key = "@context";
		m[k].len = 8;
		m[k].head = tree_head("@context", 8);
		m[k].node = ctx;
		m[k].flags = 0;
		p[k] = &m[k];
		k++;
	}
	sort_tree_members(p, k);
	rc = put(out, "{", 1, err);
	for (j = 0; !rc && j < k; j++) {
		const struct tree_member *mj = p[j];
		const struct json_tree_node *v = &t->nodes[mj->node];

		if (v->type == JSON_TREE_STRING &&
		    !((mj->flags & JSON_TREE_F_KEY_ESC) | (v->flags & JSON_TREE_F_S_ESC)) &&
		    room_for(out, mj->len + v->len + 6)) {
			/* ,"name":"value" in one piece (most members of a credential). */
			char *d = out->data + out->len;

			if (j)
				*d++ = ',';
			*d++ = '"';
			memcpy(d, mj->key, mj->len);
			d += mj->len;
			memcpy(d, "\":\"", 3);
			d += 3;
			memcpy(d, v->flags & JSON_TREE_F_S_OWNED ? t->text + v->s.off : v->s.p,
			       v->len);
			d += v->len;
			*d++ = '"';
			out->len = (size_t)(d - out->data);
			continue;
		}
		if (!(mj->flags & JSON_TREE_F_KEY_ESC) && room_for(out, mj->len + 4)) {
			/* ,"name": in one piece (most names). */
			char *d = out->data + out->len;

			if (j)
				*d++ = ',';
			*d++ = '"';
			memcpy(d, mj->key, mj->len);
			d += mj->len;
			*d++ = '"';
			*d++ = ':';
			out->len = (size_t)(d - out->data);
		} else {
			if (j)
				rc = put(out, ",", 1, err);
			if (!rc)
				rc = write_string(mj->key, mj->len, false, out, err);
			if (!rc)
				rc = put(out, ":", 1, err);
		}
		if (!rc)
			rc = tree_value(t, mj->node, depth, out, err);
	}
	if (m != small)
		free(m);
	return rc ? rc : put(out, "}", 1, err);
}

int vc_jcs_serialize_tree(const struct json_tree *t, uint32_t i, const char *skip, uint32_t ctx,
                          struct buf *out, struct ok_error *err)
{
	int rc;

	if (json_tree_is(t, i, JSON_TREE_OBJECT))
		rc = tree_object(t, i, 1, skip, ctx, out, err);
	else
		rc = tree_value(t, i, 0, out, err);
	return terminated(out, rc);
}

int vc_jcs_canonicalize(const char *data, size_t len, unsigned flags, struct buf *out,
                        struct ok_error *err)
{
	json_t *v = NULL;
	int rc;

	rc = vc_jcs_parse(data, len, flags, &v, err);
	if (rc)
		return rc;
	rc = vc_jcs_serialize(v, out, err);
	json_decref(v);
	return rc;
}
