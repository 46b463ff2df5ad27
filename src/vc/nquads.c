/* A strict, bounded N-Quads parser and the canonical N-Quads writer RDFC-1.0 relies on. */
#include "vc/nquads.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define XSD_STRING      VC_NQ_XSD_STRING
#define RDF_LANG_STRING "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"

void vc_nq_limits_default(struct vc_nq_limits *l)
{
	l->max_bytes = (size_t)4 << 20;
	/* Terms may be long: a badge image as a data: URL is one IRI of hundreds of kilobytes. */
	l->max_line = (size_t)1 << 20;
	l->max_term = (size_t)1 << 20;
	l->max_quads = 10000;
}

void vc_nq_dataset_init(struct vc_nq_dataset *d)
{
	memset(d, 0, sizeof(*d));
}

void vc_nq_dataset_release(struct vc_nq_dataset *d)
{
	free(d->quads);
	free(d->pool);
	memset(d, 0, sizeof(*d));
}

/* The parser's position. Decoded strings go to pool at pool_len: a decoded term plus its NUL is
 * never longer than its written form, so a pool of the input's size (+1) never overflows. */
struct parser {
	const unsigned char *p, *end;
	const unsigned char *line_start;
	size_t line;
	const struct vc_nq_limits *l;
	char *pool;
	size_t pool_len;
	struct ok_error *err;
};

static int fail(struct parser *ps, const char *what)
{
	ok_fail(ps->err, OK_EINPUT, "N-Quads line %zu: %s", ps->line, what);
	ok_error_locate(ps->err, NULL, ps->line);
	return OK_EINPUT;
}

static int fail_big(struct parser *ps, const char *what, size_t limit)
{
	ok_fail(ps->err, OK_ETOOBIG, "N-Quads line %zu: %s passes the limit of %zu bytes", ps->line,
	        what, limit);
	ok_error_locate(ps->err, NULL, ps->line);
	return OK_ETOOBIG;
}

/* Decodes one UTF-8 sequence at p (n bytes available): its length, or 0 when it is malformed
 * (overlong, a surrogate, past U+10FFFF, truncated). */
static size_t utf8_decode(const unsigned char *p, size_t n, uint32_t *cp)
{
	uint32_t c;
	size_t len, i;

	if (n == 0)
		return 0;
	if (p[0] < 0x80) {
		*cp = p[0];
		return 1;
	}
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		len = 2;
		c = p[0] & 0x1fu;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		len = 3;
		c = p[0] & 0x0fu;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		len = 4;
		c = p[0] & 0x07u;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (p[i] & 0x3fu);
	}
	if ((len == 3 && c < 0x800) || (len == 4 && (c < 0x10000 || c > 0x10ffff)) ||
	    (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

static void pool_put_cp(struct parser *ps, uint32_t c)
{
	char *o = ps->pool + ps->pool_len;

	if (c < 0x80) {
		o[0] = (char)c;
		ps->pool_len += 1;
	} else if (c < 0x800) {
		o[0] = (char)(0xc0 | (c >> 6));
		o[1] = (char)(0x80 | (c & 0x3f));
		ps->pool_len += 2;
	} else if (c < 0x10000) {
		o[0] = (char)(0xe0 | (c >> 12));
		o[1] = (char)(0x80 | ((c >> 6) & 0x3f));
		o[2] = (char)(0x80 | (c & 0x3f));
		ps->pool_len += 3;
	} else {
		o[0] = (char)(0xf0 | (c >> 18));
		o[1] = (char)(0x80 | ((c >> 12) & 0x3f));
		o[2] = (char)(0x80 | ((c >> 6) & 0x3f));
		o[3] = (char)(0x80 | (c & 0x3f));
		ps->pool_len += 4;
	}
}

static int hex_value(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Reads \uXXXX or \UXXXXXXXX at ps->p (which points at the backslash) into *cp. */
static int read_uchar(struct parser *ps, uint32_t *cp)
{
	size_t digits = ps->p[1] == 'u' ? 4 : 8, i;
	uint32_t c = 0;
	int h;

	if ((size_t)(ps->end - ps->p) < 2 + digits)
		return fail(ps, "escape cut short");
	for (i = 0; i < digits; i++) {
		h = hex_value(ps->p[2 + i]);
		if (h < 0)
			return fail(ps, "escape with a non-hex digit");
		c = (c << 4) | (uint32_t)h;
	}
	if (c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return fail(ps, "escape of a surrogate or of a code point past U+10FFFF");
	ps->p += 2 + digits;
	*cp = c;
	return 0;
}

static int iri_forbidden(uint32_t c)
{
	return c <= 0x20 || c == '<' || c == '>' || c == '"' || c == '{' || c == '}' || c == '|' ||
	       c == '^' || c == '`' || c == '\\';
}

static int term_length_ok(struct parser *ps, const unsigned char *start)
{
	if ((size_t)(ps->p - start) > ps->l->max_term)
		return fail_big(ps, "a term", ps->l->max_term);
	return 0;
}

/* IRIREF at ps->p ('<'): its decoded text goes to the pool, *out points at it. */
static int read_iri(struct parser *ps, const char **out, size_t *out_len)
{
	const unsigned char *start = ps->p;
	char *value = ps->pool + ps->pool_len;
	size_t first = ps->pool_len, n, i;
	uint32_t c;
	int rc;

	ps->p++;
	for (;;) {
		if (ps->p >= ps->end || *ps->p == '\n' || *ps->p == '\r')
			return fail(ps, "IRI without its closing '>'");
		if ((size_t)(ps->p - start) > ps->l->max_term)
			return fail_big(ps, "an IRI", ps->l->max_term);
		if (*ps->p == '>')
			break;
		if (*ps->p == '\\') {
			if (ps->p + 1 >= ps->end || (ps->p[1] != 'u' && ps->p[1] != 'U'))
				return fail(ps, "IRI with an escape other than \\u or \\U");
			if ((rc = read_uchar(ps, &c)) != 0)
				return rc;
			if (iri_forbidden(c))
				return fail(ps, "IRI with an escaped character IRIs may not hold");
			pool_put_cp(ps, c);
			continue;
		}
		n = utf8_decode(ps->p, (size_t)(ps->end - ps->p), &c);
		if (n == 0)
			return fail(ps, "malformed UTF-8");
		if (iri_forbidden(c))
			return fail(
			        ps,
			        "IRI with a character IRIs may not hold (space, <, \", {, |, ^, "
			        "`, \\ or a control character)");
		memcpy(ps->pool + ps->pool_len, ps->p, n);
		ps->pool_len += n;
		ps->p += n;
	}
	ps->p++;
	n = ps->pool_len - first;
	/* N-Quads has no base IRI: every IRI is absolute, so it opens with a scheme. */
	for (i = 0; i < n && value[i] != ':'; i++) {
		unsigned char ch = (unsigned char)value[i];
		int alpha = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
		if (!(alpha ||
		      (i > 0 && ((ch >= '0' && ch <= '9') || ch == '+' || ch == '-' || ch == '.'))))
			break;
	}
	if (i == 0 || i >= n || value[i] != ':')
		return fail(ps, "IRI that is not absolute (no scheme)");
	ps->pool[ps->pool_len++] = '\0';
	*out = value;
	if (out_len)
		*out_len = n;
	return 0;
}

static int pn_chars_base(uint32_t c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= 0xc0 && c <= 0xd6) ||
	       (c >= 0xd8 && c <= 0xf6) || (c >= 0xf8 && c <= 0x2ff) ||
	       (c >= 0x370 && c <= 0x37d) || (c >= 0x37f && c <= 0x1fff) ||
	       (c >= 0x200c && c <= 0x200d) || (c >= 0x2070 && c <= 0x218f) ||
	       (c >= 0x2c00 && c <= 0x2fef) || (c >= 0x3001 && c <= 0xd7ff) ||
	       (c >= 0xf900 && c <= 0xfdcf) || (c >= 0xfdf0 && c <= 0xfffd) ||
	       (c >= 0x10000 && c <= 0xeffff);
}

static int pn_chars_u(uint32_t c)
{
	return pn_chars_base(c) || c == '_' || c == ':';
}

static int pn_chars(uint32_t c)
{
	return pn_chars_u(c) || c == '-' || (c >= '0' && c <= '9') || c == 0xb7 ||
	       (c >= 0x300 && c <= 0x36f) || (c >= 0x203f && c <= 0x2040);
}

/* BLANK_NODE_LABEL at ps->p ("_:"). */
static int read_bnode(struct parser *ps, const char **out, size_t *out_len)
{
	const unsigned char *start = ps->p, *label, *last_ok;
	size_t n;
	uint32_t c;

	if (ps->p + 1 >= ps->end || ps->p[1] != ':')
		return fail(ps, "'_' that does not open a blank node label \"_:\"");
	ps->p += 2;
	label = ps->p;
	n = utf8_decode(ps->p, (size_t)(ps->end - ps->p), &c);
	if (n == 0 || !(pn_chars_u(c) || (c >= '0' && c <= '9')))
		return fail(ps, "blank node label that does not start with a letter, digit, '_' or "
		                "':'");
	ps->p += n;
	last_ok = ps->p;
	/* A label may hold dots but not end in one: a final dot belongs to the statement. */
	for (;;) {
		n = utf8_decode(ps->p, (size_t)(ps->end - ps->p), &c);
		if (n == 0 || !(pn_chars(c) || c == '.'))
			break;
		ps->p += n;
		if (c != '.')
			last_ok = ps->p;
		if ((size_t)(ps->p - start) > ps->l->max_term)
			return fail_big(ps, "a blank node label", ps->l->max_term);
	}
	ps->p = last_ok;
	n = (size_t)(ps->p - label);
	memcpy(ps->pool + ps->pool_len, label, n);
	*out = ps->pool + ps->pool_len;
	ps->pool_len += n;
	ps->pool[ps->pool_len++] = '\0';
	*out_len = n;
	return 0;
}

/* STRING_LITERAL_QUOTE with its datatype or language tag, at ps->p ('"'). */
static int read_literal(struct parser *ps, struct vc_nq_term *t)
{
	const unsigned char *start = ps->p, *tag;
	size_t first = ps->pool_len, n;
	uint32_t c;
	int rc;

	ps->p++;
	for (;;) {
		if (ps->p >= ps->end || *ps->p == '\n' || *ps->p == '\r')
			return fail(ps, "literal without its closing '\"'");
		if ((size_t)(ps->p - start) > ps->l->max_term)
			return fail_big(ps, "a literal", ps->l->max_term);
		if (*ps->p == '"')
			break;
		if (*ps->p == '\\') {
			char e = 0;

			if (ps->p + 1 >= ps->end)
				return fail(ps, "escape cut short");
			switch (ps->p[1]) {
			case 'u':
			case 'U':
				if ((rc = read_uchar(ps, &c)) != 0)
					return rc;
				pool_put_cp(ps, c);
				continue;
			case 't':
				e = '\t';
				break;
			case 'b':
				e = '\b';
				break;
			case 'n':
				e = '\n';
				break;
			case 'r':
				e = '\r';
				break;
			case 'f':
				e = '\f';
				break;
			case '"':
				e = '"';
				break;
			case '\'':
				e = '\'';
				break;
			case '\\':
				e = '\\';
				break;
			default:
				return fail(ps,
				            "literal with an unknown escape (not \\t \\b \\n \\r "
				            "\\f \\\" \\' \\\\ \\u or \\U)");
			}
			ps->pool[ps->pool_len++] = e;
			ps->p += 2;
			continue;
		}
		n = utf8_decode(ps->p, (size_t)(ps->end - ps->p), &c);
		if (n == 0)
			return fail(ps, "malformed UTF-8");
		memcpy(ps->pool + ps->pool_len, ps->p, n);
		ps->pool_len += n;
		ps->p += n;
	}
	ps->p++;
	t->kind = VC_NQ_LITERAL;
	t->value = ps->pool + first;
	t->value_len = ps->pool_len - first;
	ps->pool[ps->pool_len++] = '\0';
	t->datatype = NULL;
	t->lang = NULL;
	if (ps->p < ps->end && *ps->p == '^') {
		if (ps->p + 2 >= ps->end || ps->p[1] != '^' || ps->p[2] != '<')
			return fail(ps, "literal with '^' not followed by \"^^<datatype IRI>\"");
		ps->p += 2;
		if ((rc = read_iri(ps, &t->datatype, NULL)) != 0)
			return rc;
		if (strcmp(t->datatype, RDF_LANG_STRING) == 0)
			return fail(ps, "literal typed rdf:langString without a language tag");
		if (strcmp(t->datatype, XSD_STRING) == 0)
			t->datatype = NULL;
	} else if (ps->p < ps->end && *ps->p == '@') {
		tag = ++ps->p;
		while (ps->p < ps->end &&
		       ((*ps->p >= 'a' && *ps->p <= 'z') || (*ps->p >= 'A' && *ps->p <= 'Z')))
			ps->p++;
		if (ps->p == tag)
			return fail(ps, "language tag that does not start with a letter");
		while (ps->p < ps->end && *ps->p == '-') {
			const unsigned char *sub = ++ps->p;
			while (ps->p < ps->end && ((*ps->p >= 'a' && *ps->p <= 'z') ||
			                           (*ps->p >= 'A' && *ps->p <= 'Z') ||
			                           (*ps->p >= '0' && *ps->p <= '9')))
				ps->p++;
			if (ps->p == sub)
				return fail(ps, "language tag with an empty subtag");
		}
		n = (size_t)(ps->p - tag);
		memcpy(ps->pool + ps->pool_len, tag, n);
		t->lang = ps->pool + ps->pool_len;
		ps->pool_len += n;
		ps->pool[ps->pool_len++] = '\0';
	}
	return term_length_ok(ps, start);
}

static void skip_ws(struct parser *ps)
{
	while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t'))
		ps->p++;
	/* A comment runs to the end of the line; the line break itself is left for the caller. */
	if (ps->p < ps->end && *ps->p == '#')
		while (ps->p < ps->end && *ps->p != '\n' && *ps->p != '\r')
			ps->p++;
}

enum { ALLOW_IRI = 1, ALLOW_BNODE = 2, ALLOW_LITERAL = 4 };

static int read_term(struct parser *ps, struct vc_nq_term *t, unsigned allow, const char *role)
{
	char msg[96];

	memset(t, 0, sizeof(*t));
	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == '<' && (allow & ALLOW_IRI)) {
		t->kind = VC_NQ_IRI;
		return read_iri(ps, &t->value, &t->value_len);
	}
	if (ps->p < ps->end && *ps->p == '_' && (allow & ALLOW_BNODE)) {
		t->kind = VC_NQ_BNODE;
		return read_bnode(ps, &t->value, &t->value_len);
	}
	if (ps->p < ps->end && *ps->p == '"' && (allow & ALLOW_LITERAL))
		return read_literal(ps, t);
	snprintf(msg, sizeof(msg), "%s expected (%s)", role,
	         allow == ALLOW_IRI                   ? "an IRI"
	         : allow == (ALLOW_IRI | ALLOW_BNODE) ? "an IRI or a blank node"
	                                              : "an IRI, a blank node or a literal");
	return fail(ps, msg);
}

static int add_quad(struct vc_nq_dataset *d, const struct vc_nq_quad *q, struct parser *ps)
{
	struct vc_nq_quad *grown;
	size_t want;

	if (d->count >= ps->l->max_quads) {
		ok_fail(ps->err, OK_ETOOBIG, "N-Quads: more than %zu quads", ps->l->max_quads);
		ok_error_locate(ps->err, NULL, ps->line);
		return OK_ETOOBIG;
	}
	if (d->count == d->alloc) {
		want = d->alloc ? d->alloc * 2 : 64;
		if (want > ps->l->max_quads)
			want = ps->l->max_quads;
		grown = realloc(d->quads, want * sizeof(*grown));
		if (!grown)
			return ok_fail(ps->err, OK_ENOMEM, "out of memory reading N-Quads");
		d->quads = grown;
		d->alloc = want;
	}
	d->quads[d->count++] = *q;
	return 0;
}

static int read_statement(struct parser *ps, struct vc_nq_dataset *d)
{
	struct vc_nq_quad q;
	int rc;

	if ((rc = read_term(ps, &q.s, ALLOW_IRI | ALLOW_BNODE, "subject")) != 0 ||
	    (rc = read_term(ps, &q.p, ALLOW_IRI, "predicate")) != 0 ||
	    (rc = read_term(ps, &q.o, ALLOW_IRI | ALLOW_BNODE | ALLOW_LITERAL, "object")) != 0)
		return rc;
	skip_ws(ps);
	memset(&q.g, 0, sizeof(q.g));
	q.g.value = "";
	if (ps->p < ps->end && *ps->p != '.' && *ps->p != '\n' && *ps->p != '\r' &&
	    (rc = read_term(ps, &q.g, ALLOW_IRI | ALLOW_BNODE, "graph name or '.'")) != 0)
		return rc;
	skip_ws(ps);
	if (ps->p >= ps->end || *ps->p != '.')
		return fail(ps, "statement without its closing '.'");
	ps->p++;
	skip_ws(ps);
	if (ps->p < ps->end && *ps->p != '\n' && *ps->p != '\r')
		return fail(ps, "text after the statement's '.' (one statement a line)");
	return add_quad(d, &q, ps);
}

int vc_nquads_parse(const char *text, size_t len, const struct vc_nq_limits *l,
                    struct vc_nq_dataset *d, struct ok_error *err)
{
	struct vc_nq_limits defaults;
	struct parser ps;
	int rc = 0;

	if (!l) {
		vc_nq_limits_default(&defaults);
		l = &defaults;
	}
	vc_nq_dataset_release(d);
	if (len > l->max_bytes)
		return ok_fail(err, OK_ETOOBIG, "N-Quads text passes the limit of %zu bytes",
		               l->max_bytes);
	memset(&ps, 0, sizeof(ps));
	ps.p = (const unsigned char *)text;
	ps.end = ps.p + len;
	ps.line_start = ps.p;
	ps.line = 1;
	ps.l = l;
	ps.err = err;
	ps.pool = malloc(len + 1);
	if (!ps.pool)
		return ok_fail(err, OK_ENOMEM, "out of memory reading N-Quads");
	d->pool = ps.pool;
	while (ps.p < ps.end) {
		skip_ws(&ps);
		if (ps.p < ps.end && *ps.p != '\n' && *ps.p != '\r' &&
		    (rc = read_statement(&ps, d)) != 0)
			break;
		if ((size_t)(ps.p - ps.line_start) > l->max_line) {
			rc = fail_big(&ps, "a line", l->max_line);
			break;
		}
		/* EOL: any run of CR and LF; a line is counted at each LF and at a lone CR. */
		while (ps.p < ps.end && (*ps.p == '\n' || *ps.p == '\r')) {
			if (*ps.p == '\n' || ps.p + 1 >= ps.end || ps.p[1] != '\n')
				ps.line++;
			ps.p++;
			ps.line_start = ps.p;
		}
	}
	if (rc)
		vc_nq_dataset_release(d);
	return rc;
}

int vc_nquads_write_term(const struct vc_nq_term *t, struct buf *out)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *v = (const unsigned char *)t->value, *run;
	size_t i;
	char esc[6];
	int rc;

	switch (t->kind) {
	case VC_NQ_NONE:
		return 0;
	case VC_NQ_IRI:
		if ((rc = buf_addch(out, '<')) || (rc = buf_add(out, t->value, t->value_len)))
			return rc;
		return buf_addch(out, '>');
	case VC_NQ_BNODE:
		if ((rc = buf_add(out, "_:", 2)))
			return rc;
		return buf_add(out, t->value, t->value_len);
	case VC_NQ_LITERAL:
		break;
	}
	if ((rc = buf_addch(out, '"')))
		return rc;
	run = v;
	for (i = 0; i < t->value_len; i++) {
		unsigned char c = v[i];
		size_t n = 2;

		if (c >= 0x20 && c != '"' && c != '\\' && c != 0x7f)
			continue;
		esc[0] = '\\';
		switch (c) {
		case '"':
			esc[1] = '"';
			break;
		case '\\':
			esc[1] = '\\';
			break;
		case '\n':
			esc[1] = 'n';
			break;
		case '\r':
			esc[1] = 'r';
			break;
		case '\t':
			esc[1] = 't';
			break;
		case '\b':
			esc[1] = 'b';
			break;
		case '\f':
			esc[1] = 'f';
			break;
		default:
			memcpy(esc + 1, "u00", 3);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			n = 6;
		}
		if ((rc = buf_add(out, run, (size_t)(v + i - run))) || (rc = buf_add(out, esc, n)))
			return rc;
		run = v + i + 1;
	}
	if ((rc = buf_add(out, run, (size_t)(v + t->value_len - run))) ||
	    (rc = buf_addch(out, '"')))
		return rc;
	if (t->lang) {
		if ((rc = buf_addch(out, '@')))
			return rc;
		return buf_addstr(out, t->lang);
	}
	if (t->datatype) {
		if ((rc = buf_add(out, "^^<", 3)) || (rc = buf_addstr(out, t->datatype)))
			return rc;
		return buf_addch(out, '>');
	}
	return 0;
}

int vc_nquads_write_quad(const struct vc_nq_quad *q, struct buf *out)
{
	int rc;

	if ((rc = vc_nquads_write_term(&q->s, out)) || (rc = buf_addch(out, ' ')) ||
	    (rc = vc_nquads_write_term(&q->p, out)) || (rc = buf_addch(out, ' ')) ||
	    (rc = vc_nquads_write_term(&q->o, out)) || (rc = buf_addch(out, ' ')))
		return rc;
	if (q->g.kind != VC_NQ_NONE &&
	    ((rc = vc_nquads_write_term(&q->g, out)) || (rc = buf_addch(out, ' '))))
		return rc;
	return buf_add(out, ".\n", 2);
}

static int str_equal(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return strcmp(a, b) == 0;
}

int vc_nq_term_equal(const struct vc_nq_term *a, const struct vc_nq_term *b)
{
	return a->kind == b->kind && a->value_len == b->value_len &&
	       memcmp(a->value, b->value, a->value_len) == 0 &&
	       str_equal(a->datatype, b->datatype) && str_equal(a->lang, b->lang);
}
