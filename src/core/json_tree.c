/* The strict one-pass JSON reader of json_tree.h: a document into a compact tree, no allocation
 * per value. */
#include "core/json_tree.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#define DEFAULT_DEPTH   64
#define SMALL_OBJECT    16 /* members told by name bits (name_bit); more: sorted */
#define INPUT_MAX       ((size_t)1 << 30)
#define NUMBER_COPY_MAX 128 /* a number's text copied on the stack for strtod; longer: heap */

struct reader {
	struct json_tree *t;
	const unsigned char *s;
	size_t n, pos;
	size_t max_nodes; /* index past the last node this document may use */
	unsigned depth;
	bool big_ints; /* json_tree_limits.big_integers */
	const char *field;
	struct ok_error *err;
};

/* Life cycle */

/* The none node of a tree that holds no block yet (or no more): every accessor reads nodes[0],
 * so it is always there. Never written: the reader writes only into a block of its own. */
static const struct json_tree_node none_node;

static void set_empty(struct json_tree *t)
{
	memset(t, 0, sizeof(*t));
	t->nodes = (struct json_tree_node *)&none_node;
	t->count = 1;
}

void json_tree_init(struct json_tree *t)
{
	set_empty(t);
}

void json_tree_release(struct json_tree *t)
{
	if (!t)
		return;
	free(t->block);
	free(t->scratch);
	set_empty(t);
}

void json_tree_clear(struct json_tree *t)
{
	if (t->block) {
		t->count = 1;
		t->text_len = 0;
		t->nesting = 0;
	}
}

/* What reserve() replaced when it grew the block (grew false: nothing replaced). */
struct old_block {
	void *block;
	struct json_tree_node *nodes;
	size_t cap;
	char *text;
	size_t text_cap;
	bool grew;
};

/* The capacity for need when cap is too small: at least half as much again, so that documents
 * parsed one after the other into one tree are copied O(log n) times, not once per parse. */
static size_t grow(size_t cap, size_t need, size_t max)
{
	size_t g = cap + cap / 2;

	if (need <= cap)
		return cap;
	if (g > max)
		g = max;
	return need > g ? need : g;
}

/*
 * Room for nodes more nodes and text more bytes of text, in one block. When the block must grow,
 * the new one is made and filled, and the old one is kept in *old (not freed): the caller frees
 * it (drop_old) or puts it back (put_back), so that a parse that fails leaves the tree, and every
 * pointer into it, as before.
 */
static int reserve(struct json_tree *t, size_t nodes, size_t text, struct old_block *old,
                   struct ok_error *err, const char *field)
{
	size_t used = t->block ? t->count : 1;
	size_t ncap = used + nodes, tcap = t->text_len + text, size;
	struct json_tree_node *nn;
	void *block;

	memset(old, 0, sizeof(*old));
	if (t->block && ncap <= t->cap && tcap <= t->text_cap)
		return 0;
	if (ncap > UINT32_MAX / 2 || ncap > (SIZE_MAX - tcap) / sizeof(*nn))
		return ok_fail_field(err, OK_ETOOBIG, field, "the JSON is too large");
	ncap = grow(t->cap, ncap, UINT32_MAX / 2);
	tcap = grow(t->text_cap, tcap, INPUT_MAX * 2);
	if (ncap > (SIZE_MAX - tcap) / sizeof(*nn))
		return ok_fail_field(err, OK_ETOOBIG, field, "the JSON is too large");
	size = ncap * sizeof(*nn) + tcap;
	block = malloc(size);
	if (!block)
		return ok_fail_field(err, OK_ENOMEM, field, "out of memory");
	nn = block;
	if (t->block) {
		memcpy(nn, t->nodes, t->count * sizeof(*nn));
		memcpy((char *)block + ncap * sizeof(*nn), t->text, t->text_len);
	} else {
		memset(&nn[0], 0, sizeof(nn[0])); /* the none node */
		t->count = 1;
		t->text_len = 0;
	}
	*old = (struct old_block){t->block, t->nodes, t->cap, t->text, t->text_cap, true};
	t->block = block;
	t->nodes = nn;
	t->cap = ncap;
	t->text = (char *)block + ncap * sizeof(*nn);
	t->text_cap = tcap;
	return 0;
}

static void drop_old(struct old_block *old)
{
	if (old->grew)
		free(old->block);
}

/* The tree's block as before reserve() (its count and text_len are the caller's to restore). */
static void put_back(struct json_tree *t, struct old_block *old)
{
	if (!old->grew)
		return;
	free(t->block);
	t->block = old->block;
	t->nodes = old->nodes;
	t->cap = old->cap;
	t->text = old->text;
	t->text_cap = old->text_cap;
}

int json_tree_reserve(struct json_tree *t, size_t bytes, size_t docs, struct ok_error *err)
{
	struct old_block old;
	int rc;

	if (bytes > INPUT_MAX || docs > INPUT_MAX)
		return ok_fail_field(err, OK_ETOOBIG, "json", "the JSON is too large");
	rc = reserve(t, bytes / 2 + 2 * docs, bytes + docs, &old, err, "json");
	if (rc == 0)
		drop_old(&old);
	return rc;
}

/* Errors */

static int bad(struct reader *r, size_t at, const char *expected)
{
	size_t line = 1, col = 1, i;

	for (i = 0; i < at && i < r->n; i++) {
		if (r->s[i] == '\n') {
			line++;
			col = 1;
		} else {
			col++;
		}
	}
	ok_fail_field(r->err, OK_EINPUT, r->field,
	              "the JSON is not valid at line %zu, column %zu (byte %zu): expected %s", line,
	              col, at, expected);
	ok_error_locate(r->err, NULL, line);
	return OK_EINPUT;
}

static int too_big(struct reader *r, const char *what)
{
	return ok_fail_field(r->err, OK_ETOOBIG, r->field, "the JSON %s", what);
}

/* Lexing */

static inline int is_ws(unsigned c)
{
	return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

/* White space is mostly none (compact JSON) or a line's indentation (pretty JSON): the first
 * byte tells the first case; runs are skipped 16 bytes at a time where SSE2 is there. */
static inline void skip_ws(struct reader *r)
{
	const unsigned char *s = r->s;
	size_t i = r->pos, n = r->n;

	if (i >= n || s[i] > ' ')
		return;
	/* One byte of white space before something else (the space after a pretty-printed
	 * name's colon): no block read for it. */
	if (i + 1 < n && s[i + 1] > ' ') {
		if (is_ws(s[i]))
			r->pos = i + 1;
		return;
	}
#if defined(__SSE2__)
	/* A pretty-printed line's end and the next one's indentation: a newline, then spaces told
	 * by one compare per 16 bytes. Anything else goes on below. */
	if (s[i] == '\n') {
		i++;
		while (i + 16 <= n) {
			__m128i x = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
			unsigned other =
			        (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_set1_epi8(' '))) ^
			        0xFFFFu;

			if (other) {
				i += (size_t)__builtin_ctz(other);
				if (s[i] > ' ') {
					r->pos = i;
					return;
				}
				break;
			}
			i += 16;
		}
	}
	while (i + 16 <= n) {
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
		__m128i w = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8(' ')),
		                                      _mm_cmpeq_epi8(x, _mm_set1_epi8('\n'))),
		                         _mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('\r')),
		                                      _mm_cmpeq_epi8(x, _mm_set1_epi8('\t'))));
		unsigned other = (unsigned)_mm_movemask_epi8(w) ^ 0xFFFFu;

		if (other) {
			r->pos = i + (size_t)__builtin_ctz(other);
			return;
		}
		i += 16;
	}
#endif
	while (i < n && is_ws(s[i]))
		i++;
	r->pos = i;
}

/* The length of the strict UTF-8 sequence at p (a byte >= 0x80), or 0 when it is not one. */
static size_t utf8_seq(const unsigned char *p, size_t avail)
{
	unsigned c = p[0];

	if (c < 0xC2)
		return 0; /* a continuation byte, or an overlong two-byte form */
	if (c < 0xE0)
		return avail >= 2 && (p[1] & 0xC0) == 0x80 ? 2 : 0;
	if (c < 0xF0) {
		if (avail < 3 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80)
			return 0;
		if ((c == 0xE0 && p[1] < 0xA0) || (c == 0xED && p[1] >= 0xA0))
			return 0; /* overlong; a surrogate */
		return 3;
	}
	if (c < 0xF5) {
		if (avail < 4 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80 ||
		    (p[3] & 0xC0) != 0x80)
			return 0;
		if ((c == 0xF0 && p[1] < 0x90) || (c == 0xF4 && p[1] >= 0x90))
			return 0; /* overlong; past U+10FFFF */
		return 4;
	}
	return 0;
}

#define ONES  0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL

/* Whether any of the eight bytes of x is a quote, a backslash, below 0x20 or above 0x7F. */
static inline int special8(uint64_t x)
{
	uint64_t q = x ^ (ONES * '"'), b = x ^ (ONES * '\\');

	return ((((q - ONES) & ~q) | ((b - ONES) & ~b) | (x - ONES * 0x20) | x) & HIGHS) != 0;
}

static int hex4(const unsigned char *p, unsigned *out)
{
	unsigned v = 0;

	for (int k = 0; k < 4; k++) {
		unsigned c = p[k], d;

		if (c >= '0' && c <= '9')
			d = c - '0';
		else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
			d = (c | 0x20) - 'a' + 10;
		else
			return -1;
		v = v * 16 + d;
	}
	*out = v;
	return 0;
}

static size_t put_utf8(char *o, unsigned cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xC0 | (cp >> 6));
		o[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xE0 | (cp >> 12));
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		o[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	o[0] = (char)(0xF0 | (cp >> 18));
	o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
	o[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

/* What read_string found: the bytes referenced in the input (ref.p) or unescaped into the
 * tree's text (ref.off, JSON_TREE_F_S_OWNED), and what the bytes hold (JSON_TREE_F_S_ESC,
 * JSON_TREE_F_S_HIGH). */
struct str {
	union json_tree_ref ref;
	uint32_t len;
	uint8_t flags;
};

/* The flags of a string that a member's name takes (each JSON_TREE_F_S_… one bit up). */
#define KEY_FLAGS(f) ((uint8_t)((f) << 1))

/* The rest of a string with escapes, from i (at a backslash), unescaped into the tree's text
 * after the plain prefix [start, i); flags holds what the prefix held. */
static int unescape(struct reader *r, size_t start, size_t i, uint8_t flags, struct str *o)
{
	struct json_tree *t = r->t;
	char *o0 = t->text + t->text_len, *d = o0;
	const unsigned char *s = r->s;

	memcpy(d, s + start, i - start);
	d += i - start;
	for (;;) {
		unsigned c;

		if (i >= r->n)
			return bad(r, i, "'\"' to end the string");
		c = s[i];
		if (c == '"')
			break;
		if (c < 0x20)
			return bad(r, i, "no control character in a string (escape it)");
		if (c >= 0x80) {
			size_t k = utf8_seq(s + i, r->n - i);

			if (!k)
				return bad(r, i, "valid UTF-8");
			if (c >= 0xEE)
				flags |= JSON_TREE_F_S_HIGH;
			memcpy(d, s + i, k);
			d += k;
			i += k;
			continue;
		}
		if (c != '\\') {
			*d++ = (char)c;
			i++;
			continue;
		}
		if (i + 1 >= r->n)
			return bad(r, i + 1, "an escape after '\\'");
		switch (s[i + 1]) {
		case '"':
			*d++ = '"';
			break;
		case '\\':
			*d++ = '\\';
			break;
		case '/':
			*d++ = '/';
			i += 2;
			continue; /* a '/' needs no escape when written */
		case 'b':
			*d++ = '\b';
			break;
		case 'f':
			*d++ = '\f';
			break;
		case 'n':
			*d++ = '\n';
			break;
		case 'r':
			*d++ = '\r';
			break;
		case 't':
			*d++ = '\t';
			break;
		case 'u': {
			unsigned cp, lo;

			if (i + 6 > r->n || hex4(s + i + 2, &cp))
				return bad(r, i, "four hex digits after '\\u'");
			if (cp == 0)
				return bad(r, i, "no \\u0000 in a string");
			if (cp >= 0xDC00 && cp <= 0xDFFF)
				return bad(r, i, "a high surrogate before a low one");
			if (cp >= 0xD800 && cp <= 0xDBFF) {
				if (i + 12 > r->n || s[i + 6] != '\\' || s[i + 7] != 'u' ||
				    hex4(s + i + 8, &lo) || lo < 0xDC00 || lo > 0xDFFF)
					return bad(r, i, "a low surrogate after a high one");
				cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
				i += 6;
			}
			if (cp < 0x20 || cp == '"' || cp == '\\')
				flags |= JSON_TREE_F_S_ESC;
			else if (cp >= 0xE000)
				flags |= JSON_TREE_F_S_HIGH;
			d += put_utf8(d, cp);
			i += 6;
			continue;
		}
		default:
			return bad(r, i, "a valid escape after '\\'");
		}
		/* Every escape above but '/' stands for a byte that needs one when written. */
		flags |= JSON_TREE_F_S_ESC;
		i += 2;
	}
	*d = '\0';
	o->ref.off = t->text_len;
	o->len = (uint32_t)(d - o0);
	o->flags = flags | JSON_TREE_F_S_OWNED;
	t->text_len += (size_t)(d - o0) + 1;
	r->pos = i + 1;
	return 0;
}

/* The string from i on (start: its first byte), when read_string's first look did not find
 * its end: bytes >= 0x80, an escape, a control character, the input's last bytes. */
static int string_rest(struct reader *r, size_t start, size_t i, struct str *o)
{
	const unsigned char *s = r->s;
	size_t n = r->n;
	uint8_t flags = 0;

	for (;;) {
		unsigned c;

#if defined(__SSE2__)
		/* A signed compare with 0x20 finds the controls and every byte >= 0x80 at once. */
		while (i + 16 <= n) {
			__m128i x = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
			__m128i m =
			        _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('"')),
			                                  _mm_cmpeq_epi8(x, _mm_set1_epi8('\\'))),
			                     _mm_cmplt_epi8(x, _mm_set1_epi8(0x20)));
			unsigned hit = (unsigned)_mm_movemask_epi8(m);

			if (hit) {
				i += (size_t)__builtin_ctz(hit);
				goto found;
			}
			i += 16;
		}
#endif
		while (i + 8 <= n) {
			uint64_t x;

			memcpy(&x, s + i, 8);
			if (special8(x))
				break;
			i += 8;
		}
#if defined(__SSE2__)
	found:
#endif
		if (i >= n)
			return bad(r, i, "'\"' to end the string");
		c = s[i];
		if (c == '"')
			break;
		if (c == '\\')
			return unescape(r, start, i, flags, o);
		if (c < 0x20)
			return bad(r, i, "no control character in a string (escape it)");
		if (c >= 0x80) {
			size_t k = utf8_seq(s + i, n - i);

			if (!k)
				return bad(r, i, "valid UTF-8");
			if (c >= 0xEE)
				flags |= JSON_TREE_F_S_HIGH;
			i += k;
		} else {
			i++;
		}
	}
	o->ref.p = (const char *)s + start;
	o->len = (uint32_t)(i - start);
	o->flags = flags;
	r->pos = i + 1;
	return 0;
}

/* The string at r->pos (a quote). Most strings (names, identifiers) are plain ASCII that ends
 * within their first block or two: told here, without a call; the rest goes on elsewhere. */
static inline int read_string(struct reader *r, struct str *o)
{
	const unsigned char *s = r->s;
	size_t start = r->pos + 1, i = start, n = r->n;

#if defined(__SSE2__)
	while (i + 16 <= n) {
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
		__m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('"')),
		                                      _mm_cmpeq_epi8(x, _mm_set1_epi8('\\'))),
		                         _mm_cmplt_epi8(x, _mm_set1_epi8(0x20)));
		unsigned hit = (unsigned)_mm_movemask_epi8(m);

		if (hit) {
			i += (size_t)__builtin_ctz(hit);
			if (s[i] != '"')
				break;
			o->ref.p = (const char *)s + start;
			o->len = (uint32_t)(i - start);
			o->flags = 0;
			r->pos = i + 1;
			return 0;
		}
		i += 16;
	}
#endif
	return string_rest(r, start, i, o);
}

static inline int is_digit(unsigned c)
{
	return c >= '0' && c <= '9';
}

/* strtod of a number's text (not NUL-terminated); -1 when it passes a double's range. */
static int number_to_double(const char *p, size_t len, double *out)
{
	char small[NUMBER_COPY_MAX], *copy = small;
	int rc = 0;

	if (len >= sizeof(small) && !(copy = malloc(len + 1)))
		return -2;
	memcpy(copy, p, len);
	copy[len] = '\0';
	errno = 0;
	*out = strtod(copy, NULL);
	if (errno == ERANGE && (*out == HUGE_VAL || *out == -HUGE_VAL))
		rc = -1;
	if (copy != small)
		free(copy);
	return rc;
}

/* Whether the integer text (an optional '-', then digits without a leading zero) fits int64. */
static int int64_fits(const unsigned char *p, size_t len)
{
	static const char max[] = "9223372036854775807";
	int neg = p[0] == '-';
	size_t d = len - (size_t)neg;
	int c;

	if (d < sizeof(max) - 1)
		return 1;
	if (d > sizeof(max) - 1)
		return 0;
	c = memcmp(p + neg, max, d);
	return c < 0 || (c == 0) || (neg && memcmp(p + 1, "9223372036854775808", d) == 0);
}

static int read_number(struct reader *r, struct json_tree_node *nd)
{
	const unsigned char *s = r->s;
	size_t n = r->n, i = r->pos, start = i, int_digits;
	int integer = 1, has_exp = 0;

	if (s[i] == '-')
		i++;
	if (i >= n || !is_digit(s[i]))
		return bad(r, i, "a digit");
	if (s[i] == '0') {
		i++;
		if (i < n && is_digit(s[i]))
			return bad(r, i, "no leading zero in a number");
	} else {
		while (i < n && is_digit(s[i]))
			i++;
	}
	int_digits = i - start;
	if (i < n && s[i] == '.') {
		i++;
		if (i >= n || !is_digit(s[i]))
			return bad(r, i, "a digit after '.'");
		while (i < n && is_digit(s[i]))
			i++;
		integer = 0;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		if (i >= n || !is_digit(s[i]))
			return bad(r, i, "a digit in the exponent");
		while (i < n && is_digit(s[i]))
			i++;
		integer = 0;
		has_exp = 1;
	}
	if (i - start > UINT32_MAX)
		return too_big(r, "has a number too long");
	nd->type = JSON_TREE_NUMBER;
	if (integer)
		nd->flags |= JSON_TREE_F_INTEGER;
	nd->s.p = (const char *)s + start;
	nd->len = (uint32_t)(i - start);
	if (integer && !int64_fits(s + start, i - start)) {
		if (!r->big_ints)
			return bad(r, start, "an integer within 64 bits");
		/* Read as a double, as jansson's JSON_DECODE_INT_AS_REAL does: range checked below.
		 */
		nd->flags &= (uint8_t)~JSON_TREE_F_INTEGER;
		integer = 0;
	}
	if (!integer && (has_exp || int_digits > 300)) {
		double v;
		int rc = number_to_double(nd->s.p, nd->len, &v);

		if (rc == -2)
			return ok_fail_field(r->err, OK_ENOMEM, r->field, "out of memory");
		if (rc)
			return bad(r, start, "a number within a double's range");
	}
	r->pos = i;
	return 0;
}

static int read_literal(struct reader *r, struct json_tree_node *nd)
{
	static const struct {
		const char *text;
		size_t len;
		uint8_t type;
	} lits[] = {{"true", 4, JSON_TREE_TRUE},
	            {"false", 5, JSON_TREE_FALSE},
	            {"null", 4, JSON_TREE_NULL}};

	for (size_t k = 0; k < sizeof(lits) / sizeof(lits[0]); k++) {
		if (r->s[r->pos] != (unsigned char)lits[k].text[0])
			continue;
		if (r->n - r->pos < lits[k].len || memcmp(r->s + r->pos, lits[k].text, lits[k].len))
			break;
		nd->type = lits[k].type;
		r->pos += lits[k].len;
		return 0;
	}
	return bad(r, r->pos, "a value");
}

/* Duplicate names */

struct keyref {
	const char *p;
	size_t len;
};

static int cmp_keyref(const void *a, const void *b)
{
	const struct keyref *x = a, *y = b;

	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return memcmp(x->p, y->p, x->len);
}

/* OK_EINPUT when two members of object o (more than SMALL_OBJECT: smaller ones are told as their
 * names are read) have the same name. */
static int check_duplicates(struct reader *r, uint32_t o, size_t at)
{
	const struct json_tree *t = r->t;
	uint32_t members = t->nodes[o].len, a;
	struct keyref *refs;
	size_t k = 0;

	if (r->t->scratch_cap < members) {
		void *p = realloc(r->t->scratch, members * sizeof(*refs));

		if (!p)
			return ok_fail_field(r->err, OK_ENOMEM, r->field, "out of memory");
		r->t->scratch = p;
		r->t->scratch_cap = members;
	}
	refs = r->t->scratch;
	for (a = o + 1; a != t->nodes[o].next; a = t->nodes[a].next) {
		refs[k].p = json_tree_key(t, a, &refs[k].len);
		k++;
	}
	qsort(refs, k, sizeof(*refs), cmp_keyref);
	for (size_t j = 1; j < k; j++)
		if (cmp_keyref(&refs[j - 1], &refs[j]) == 0)
			return bad(r, at, "member names that differ (a name is repeated)");
	return 0;
}

/* The document */

/* One of the bits of a size_t (64, or 32 where size_t is 32 bits: the bits are kept in an open
 * object's node, in its s.off) for a member's name (by its length and three of its bytes): two
 * members with the same name set the same bit, so only a name that meets a bit already set is
 * looked for among the members before it. */
#if SIZE_MAX >= UINT64_MAX
#define NAME_BIT_SHIFT 26
#else
#define NAME_BIT_SHIFT 27
#endif
static inline size_t name_bit(const char *p, uint32_t len)
{
	uint32_t x = len;

	if (len)
		x ^= (uint32_t)(unsigned char)p[0] << 8 ^
		     (uint32_t)(unsigned char)p[len - 1] << 16 ^
		     (uint32_t)(unsigned char)p[len / 2] << 24;
	return (size_t)1 << ((x * 0x9E3779B1u) >> NAME_BIT_SHIFT);
}

/* Whether open object o already has a member named p (len bytes). */
static bool name_taken(const struct json_tree *t, uint32_t o, const char *p, uint32_t len)
{
	for (uint32_t a = o + 1; a < t->count; a = t->nodes[a].next) {
		size_t na;
		const char *pa = json_tree_key(t, a, &na);

		if (na == len &&
		    (len == 0 || (pa[len - 1] == p[len - 1] && memcmp(pa, p, len) == 0)))
			return true;
	}
	return false;
}

/*
 * While an object is open, its node's s (unused by containers) holds the bits of its first
 * SMALL_OBJECT names, and reserved is 1 once one of them is a name seen before (met a bit
 * already set, then found among the members); both are zeroed when it closes, where the
 * repeated name is refused, at the same place as before. An object with more members gets the
 * sorted check there as well.
 * The open containers are on stack; top is the innermost, its kind in in_object. The name read
 * last (key, klen, kflags) goes to the next value, and is zero for an array's items.
 */
static int parse_doc(struct reader *r)
{
	struct json_tree *t = r->t;
	struct json_tree_node *nodes = t->nodes, *nd;
	uint32_t stack[JSON_TREE_DEPTH_MAX];
	unsigned sp = 0, deepest = 0;
	uint32_t top = 0, idx, klen = 0;
	union json_tree_ref key = {.off = 0};
	uint8_t kflags = 0;
	bool in_object = false;
	struct str str;
	unsigned char c;
	int rc;

value:
	skip_ws(r);
	if (sp + 1 > r->depth)
		return too_big(r, "is nested too deeply");
	if (t->count >= r->max_nodes)
		return too_big(r, "has too many values");
	if (r->pos >= r->n)
		return bad(r, r->pos, "a value");
	idx = (uint32_t)t->count++;
	nd = &nodes[idx];
	if (sp)
		nodes[top].len++;
	c = r->s[r->pos];
	if (c == '"') {
		if ((rc = read_string(r, &str)))
			return rc;
		*nd = (struct json_tree_node){.type = JSON_TREE_STRING,
		                              .flags = (uint8_t)(kflags | str.flags),
		                              .len = str.len,
		                              .next = idx + 1,
		                              .key_len = klen,
		                              .key = key,
		                              .s = str.ref};
		goto after;
	}
	if (c == '{' || c == '[') {
		*nd = (struct json_tree_node){.type = c == '{' ? JSON_TREE_OBJECT : JSON_TREE_ARRAY,
		                              .flags = kflags,
		                              .key_len = klen,
		                              .key = key};
		if (sp + 1 > deepest)
			deepest = sp + 1;
		r->pos++;
		skip_ws(r);
		if (r->pos < r->n && r->s[r->pos] == (c == '{' ? '}' : ']')) {
			r->pos++;
			nd->next = idx + 1;
			goto after;
		}
		stack[sp++] = idx;
		top = idx;
		in_object = c == '{';
		if (in_object)
			goto key;
		key.off = 0;
		klen = 0;
		kflags = 0;
		goto value;
	}
	*nd = (struct json_tree_node){
	        .flags = kflags, .next = idx + 1, .key_len = klen, .key = key};
	if (c == '-' || is_digit(c))
		rc = read_number(r, nd);
	else
		rc = read_literal(r, nd);
	if (rc)
		return rc;
after:
	if (!sp) {
		skip_ws(r);
		if (r->pos != r->n)
			return bad(r, r->pos, "the end of the input after the value");
		t->nesting = deepest;
		return 0;
	}
	skip_ws(r);
	if (r->pos < r->n) {
		c = r->s[r->pos];
		if (c == ',') {
			r->pos++;
			if (in_object)
				goto key;
			goto value;
		}
		if (c == (in_object ? '}' : ']')) {
			nd = &nodes[top];
			nd->next = (uint32_t)t->count;
			if (in_object) {
				bool repeated = nd->reserved != 0;

				nd->s.off = 0;
				nd->reserved = 0;
				if (repeated)
					return bad(r, r->pos,
					           "member names that differ (a name is repeated)");
				if (nd->len > SMALL_OBJECT &&
				    (rc = check_duplicates(r, top, r->pos)))
					return rc;
			}
			r->pos++;
			sp--;
			if (sp) {
				top = stack[sp - 1];
				in_object = nodes[top].type == JSON_TREE_OBJECT;
			}
			/* An array's next item has no name (a closed object's last one is in key).
			 */
			key.off = 0;
			klen = 0;
			kflags = 0;
			goto after;
		}
	}
	return bad(r, r->pos, in_object ? "',' or '}'" : "',' or ']'");
key:
	skip_ws(r);
	if (r->pos >= r->n || r->s[r->pos] != '"')
		return bad(r, r->pos, "a member name (a string)");
	if ((rc = read_string(r, &str)))
		return rc;
	key = str.ref;
	klen = str.len;
	kflags = KEY_FLAGS(str.flags);
	nd = &nodes[top];
	if (nd->len < SMALL_OBJECT) {
		const char *kp =
		        str.flags & JSON_TREE_F_S_OWNED ? t->text + str.ref.off : str.ref.p;
		size_t bit = name_bit(kp, str.len);

		if ((nd->s.off & bit) && !nd->reserved && name_taken(t, top, kp, str.len))
			nd->reserved = 1;
		nd->s.off |= bit;
	}
	skip_ws(r);
	if (r->pos >= r->n || r->s[r->pos] != ':')
		return bad(r, r->pos, "':' after a member name");
	r->pos++;
	goto value;
}

int json_tree_parse(struct json_tree *t, const char *s, size_t n,
                    const struct json_tree_limits *lim, uint32_t *root, struct ok_error *err)
{
	struct reader r = {.t = t, .s = (const unsigned char *)s, .n = n, .err = err};
	size_t nodes = n / 2 + 2, count0 = t->count, text0 = t->text_len, first;
	struct old_block old;
	int rc;

	r.field = lim && lim->field ? lim->field : "json";
	r.depth = lim && lim->depth ? lim->depth : DEFAULT_DEPTH;
	r.big_ints = lim && lim->big_integers;
	if (r.depth > JSON_TREE_DEPTH_MAX)
		r.depth = JSON_TREE_DEPTH_MAX;
	*root = 0;
	if (n > INPUT_MAX || (lim && lim->max_bytes && n > lim->max_bytes))
		return too_big(&r, "is too long");
	if (lim && lim->max_nodes && lim->max_nodes < nodes)
		nodes = lim->max_nodes;
	if ((rc = reserve(t, nodes, n + 1, &old, err, r.field)))
		return rc;
	first = t->count;
	r.max_nodes = first + nodes;
	rc = parse_doc(&r);
	if (rc) {
		put_back(t, &old);
		t->count = count0;
		t->text_len = text0;
		return rc;
	}
	drop_old(&old);
	*root = (uint32_t)first;
	return 0;
}

/* Reading */

bool json_tree_str_is(const struct json_tree *t, uint32_t i, const char *s)
{
	size_t len, n = strlen(s);
	const char *p = json_tree_str(t, i, &len);

	return p && len == n && memcmp(p, s, n) == 0;
}

const char *json_tree_number_text(const struct json_tree *t, uint32_t i, size_t *len)
{
	const struct json_tree_node *nd = &t->nodes[i];

	if (nd->type != JSON_TREE_NUMBER) {
		if (len)
			*len = 0;
		return NULL;
	}
	if (len)
		*len = nd->len;
	return nd->s.p;
}

int json_tree_int64(const struct json_tree *t, uint32_t i, int64_t *out)
{
	const struct json_tree_node *nd = &t->nodes[i];
	const char *p = nd->s.p;
	uint64_t v = 0;
	size_t k = 0;
	int neg;

	*out = 0;
	if (!json_tree_is_integer(t, i))
		return OK_EINPUT;
	neg = p[0] == '-';
	for (k = (size_t)neg; k < nd->len; k++)
		v = v * 10 + (uint64_t)(p[k] - '0'); /* within int64: checked when read */
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return 0;
}

int json_tree_double(const struct json_tree *t, uint32_t i, double *out)
{
	const struct json_tree_node *nd = &t->nodes[i];

	*out = 0;
	if (nd->type != JSON_TREE_NUMBER)
		return OK_EINPUT;
	if (number_to_double(nd->s.p, nd->len, out) == -2)
		return OK_ENOMEM;
	return 0;
}

uint32_t json_tree_getn(const struct json_tree *t, uint32_t i, const char *name, size_t n)
{
	uint32_t c;

	if (t->nodes[i].type != JSON_TREE_OBJECT)
		return 0;
	json_tree_foreach(t, i, c)
	{
		size_t len;
		const char *k;

		if (t->nodes[c].key_len != n)
			continue;
		k = json_tree_key(t, c, &len);
		if (n && k[0] != name[0])
			continue;
		if (memcmp(k, name, n) == 0)
			return c;
	}
	return 0;
}

uint32_t json_tree_at(const struct json_tree *t, uint32_t i, size_t k)
{
	uint32_t c;

	if (t->nodes[i].type != JSON_TREE_ARRAY || k >= t->nodes[i].len)
		return 0;
	for (c = i + 1; k; k--) {
		c = t->nodes[c].next;
#ifdef OK_TEST_HOOKS
		if (t->test_steps)
			++*t->test_steps;
#endif
	}
	return c;
}

/* Conversion */

static json_t *convert(const struct json_tree *t, uint32_t i, unsigned flags, int *nomem)
{
	const struct json_tree_node *nd = &t->nodes[i];
	json_t *v = NULL, *child;
	uint32_t c;

	switch ((enum json_tree_type)nd->type) {
	case JSON_TREE_NONE:
		return NULL;
	case JSON_TREE_NULL:
		return json_null();
	case JSON_TREE_FALSE:
		return json_false();
	case JSON_TREE_TRUE:
		return json_true();
	case JSON_TREE_NUMBER:
		if ((nd->flags & JSON_TREE_F_INTEGER) && !(flags & JSON_TREE_TO_REALS)) {
			int64_t x;

			(void)json_tree_int64(t, i, &x);
			v = json_integer((json_int_t)x);
		} else {
			double x;

			if (json_tree_double(t, i, &x) == 0)
				v = json_real(x);
		}
		break;
	case JSON_TREE_STRING: {
		size_t len;
		const char *s = json_tree_str(t, i, &len);

		v = json_stringn_nocheck(s, len);
		break;
	}
	case JSON_TREE_ARRAY:
		v = json_array();
		json_tree_foreach(t, i, c)
		{
			if (!v || !(child = convert(t, c, flags, nomem)) ||
			    json_array_append_new(v, child)) {
				json_decref(v);
				v = NULL;
				break;
			}
		}
		break;
	case JSON_TREE_OBJECT:
		v = json_object();
		json_tree_foreach(t, i, c)
		{
			size_t klen;
			const char *k = json_tree_key(t, c, &klen);

			if (!v || !(child = convert(t, c, flags, nomem)) ||
			    json_object_setn_new_nocheck(v, k, klen, child)) {
				json_decref(v);
				v = NULL;
				break;
			}
		}
		break;
	}
	if (!v)
		*nomem = 1;
	return v;
}

int json_tree_to_jansson(const struct json_tree *t, uint32_t i, json_t **out, struct ok_error *err)
{
	return json_tree_to_jansson_flags(t, i, 0, out, err);
}

int json_tree_to_jansson_flags(const struct json_tree *t, uint32_t i, unsigned flags, json_t **out,
                               struct ok_error *err)
{
	int nomem = 0;

	*out = NULL;
	if (i >= t->count || t->nodes[i].type == JSON_TREE_NONE)
		return ok_fail(err, OK_EINPUT, "no JSON value");
	*out = convert(t, i, flags, &nomem);
	if (!*out)
		return ok_fail(err, OK_ENOMEM, "out of memory");
	return 0;
}
