/* Reading ELMO documents another contact point sent (see elmo.h): gunzip within a cap, a parse
 * with DTDs, entities and the network off, limits on depth and size, the signature checked
 * (elmo_sign.c), and then the learner and results read liberally: elements are found by name
 * where other 1.x revisions put them, not only where 1.7.0 does. */
#include "elmo/elmo_internal.h"

#include <libxml/parser.h>
#include <limits.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "core/format.h"

/* Gunzips data into out, at most max bytes and, past the first ELMO_GZIP_FREE bytes, at most
 * ELMO_GZIP_RATIO times the compressed size: real ELMO compresses some 5-20 times, a bomb
 * (<a/> repeated) a thousand times, and refusing it here costs no parse at all. */
static int gunzip(const char *data, size_t len, size_t max, struct buf *out, struct ok_error *err)
{
	z_stream z;
	unsigned char chunk[65536];
	size_t ratio_cap = len > SIZE_MAX / ELMO_GZIP_RATIO ? SIZE_MAX : len * ELMO_GZIP_RATIO;
	int zrc, rc = 0;

	if (ratio_cap < ELMO_GZIP_FREE)
		ratio_cap = ELMO_GZIP_FREE;
	memset(&z, 0, sizeof(z));
	if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
		return ok_fail(err, OK_ENOMEM, "out of memory");
	z.next_in = (unsigned char *)(uintptr_t)data;
	z.avail_in = (uInt)len;
	do {
		z.next_out = chunk;
		z.avail_out = sizeof(chunk);
		zrc = inflate(&z, Z_NO_FLUSH);
		if (zrc != Z_OK && zrc != Z_STREAM_END) {
			rc = ok_fail_field(err, OK_EINPUT, "elmo", "the gzip data is damaged");
			break;
		}
		if (out->len + (sizeof(chunk) - z.avail_out) > max) {
			rc = ok_fail_field(err, OK_ETOOBIG, "elmo",
			                   "the document unpacks to more than %zu MiB", max >> 20);
			break;
		}
		if (out->len + (sizeof(chunk) - z.avail_out) > ratio_cap) {
			rc = ok_fail_field(
			        err, OK_ETOOBIG, "elmo",
			        "the document unpacks to more than %d times its gzip size",
			        ELMO_GZIP_RATIO);
			break;
		}
		if (buf_add(out, chunk, sizeof(chunk) - z.avail_out)) {
			rc = ok_fail(err, OK_ENOMEM, "out of memory");
			break;
		}
		if (zrc == Z_OK && z.avail_in == 0 && z.avail_out != 0) {
			rc = ok_fail_field(err, OK_EINPUT, "elmo", "the gzip data is cut short");
			break;
		}
	} while (zrc != Z_STREAM_END);
	inflateEnd(&z);
	return rc;
}

/* A linear look at the markup before libxml2 sees it. libxml2 2.9 checks an element's
 * attributes (and namespace declarations) for duplicates pairwise, before any SAX callback:
 * one tag with 80,000 attributes (800 KB) costs over a minute of CPU. So each tag may have at
 * most ELMO_ATTRS_MAX '=' outside quotes, and the document at most 2 * ELMO_NODES_MAX + 16
 * pieces of markup (a start and an end tag per element). Comments, CDATA and processing
 * instructions are skipped whole (they count as one piece); what this scan cannot tell apart
 * is left to the parser, which refuses it. */
static int scan_markup(const char *x, size_t len, struct ok_error *err)
{
	const char *p = x, *end = x + len, *q;
	size_t pieces = 0, eq = 0;

	while ((p = memchr(p, '<', (size_t)(end - p)))) {
		if (++pieces > 2 * (size_t)ELMO_NODES_MAX + 16)
			return ok_fail_field(err, OK_ETOOBIG, "elmo", "more than %d elements",
			                     ELMO_NODES_MAX);
		p++;
		if ((size_t)(end - p) >= 3 && memcmp(p, "!--", 3) == 0)
			q = memmem(p + 3, (size_t)(end - p - 3), "-->", 3);
		else if ((size_t)(end - p) >= 8 && memcmp(p, "![CDATA[", 8) == 0)
			q = memmem(p + 8, (size_t)(end - p - 8), "]]>", 3);
		else if (p < end && *p == '?')
			q = memmem(p + 1, (size_t)(end - p - 1), "?>", 2);
		else {
			/* A tag: count '=' up to its '>', quoted values skipped. */
			for (eq = 0; p < end && *p != '>'; p++) {
				if (*p == '"' || *p == '\'') {
					if (!(q = memchr(p + 1, *p, (size_t)(end - p - 1))))
						return 0; /* unterminated: the parser says so */
					p = q;
				} else if (*p == '=' && ++eq > ELMO_ATTRS_MAX)
					return ok_fail_field(
					        err, OK_ETOOBIG, "elmo",
					        "an element has more than %d attributes",
					        ELMO_ATTRS_MAX);
			}
			continue;
		}
		if (!q)
			return 0;
		p = q;
	}
	return 0;
}

/* What the SAX hooks below found; the parser context's _private points here. */
struct limits {
	startElementNsSAX2Func start; /* libxml2's own, which builds the tree */
	size_t nodes;
	bool dtd, over;
};

/* A DOCTYPE stops the parse: ELMO has none, and a DTD is where entity bombs and external
 * entities live. */
static void refuse_dtd(void *ctx, const xmlChar *name, const xmlChar *external_id,
                       const xmlChar *system_id)
{
	xmlParserCtxtPtr p = ctx;
	struct limits *l = p->_private;

	(void)name;
	(void)external_id;
	(void)system_id;
	l->dtd = true;
	xmlStopParser(p);
}

/* Counts elements and depth as they are parsed and stops the parser at the limits, so a
 * document of millions of elements never becomes a tree of millions of nodes (E1 of the s7
 * review: 22 KB of gzip took 550 MB and 15 s when the tree was counted after the parse). */
static void count_start(void *ctx, const xmlChar *localname, const xmlChar *prefix,
                        const xmlChar *uri, int nb_namespaces, const xmlChar **namespaces,
                        int nb_attributes, int nb_defaulted, const xmlChar **attributes)
{
	xmlParserCtxtPtr p = ctx;
	struct limits *l = p->_private;

	/* nameNr counts the elements open, this one included. */
	l->nodes += 1 + (size_t)nb_attributes;
	if (l->nodes > ELMO_NODES_MAX || p->nameNr > ELMO_DEPTH_MAX) {
		l->over = true;
		xmlStopParser(p);
		return;
	}
	l->start(ctx, localname, prefix, uri, nb_namespaces, namespaces, nb_attributes,
	         nb_defaulted, attributes);
}

static int parse(const char *xml, size_t len, xmlDocPtr *out, struct ok_error *err)
{
	struct limits l = {0};
	xmlParserCtxtPtr p;
	xmlDocPtr doc;
	int rc;

	*out = NULL;
	if (len > INT_MAX)
		return ok_fail_field(err, OK_ETOOBIG, "elmo", "the document is too large");
	if ((rc = scan_markup(xml, len, err)))
		return rc;
	if (!(p = xmlNewParserCtxt()))
		return ok_fail(err, OK_ENOMEM, "out of memory");
	p->_private = &l;
	p->sax->internalSubset = refuse_dtd;
	p->sax->externalSubset = refuse_dtd;
	l.start = p->sax->startElementNs;
	p->sax->startElementNs = count_start;
	doc = xmlCtxtReadMemory(p, xml, (int)len, NULL, NULL,
	                        XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (doc && (l.dtd || l.over || doc->intSubset || doc->extSubset || !p->wellFormed)) {
		xmlFreeDoc(doc);
		doc = NULL;
	}
	xmlFreeParserCtxt(p);
	if (l.dtd)
		return ok_fail_field(err, OK_EINPUT, "dtd",
		                     "the document has a DOCTYPE; ELMO documents have none");
	if (l.over)
		return ok_fail_field(
		        err, OK_ETOOBIG, "elmo",
		        "nested deeper than %d or more than %d elements and attributes",
		        ELMO_DEPTH_MAX, ELMO_NODES_MAX);
	if (!doc)
		return ok_fail_field(err, OK_EINPUT, "xml",
		                     "not well-formed XML in UTF-8 (or nesting too deep)");
	*out = doc;
	return 0;
}

/* Reading */

static bool is(xmlNodePtr n, const char *name)
{
	if (!n || n->type != XML_ELEMENT_NODE || strcmp((const char *)n->name, name) != 0)
		return false;
	/* Any namespace but XML Signature's: other revisions used other namespace URIs. */
	return !n->ns || strcmp((const char *)n->ns->href, DSIG_NS) != 0;
}

static xmlNodePtr child(xmlNodePtr n, const char *name)
{
	for (n = n ? n->children : NULL; n; n = n->next)
		if (is(n, name))
			return n;
	return NULL;
}

/* The first element called name below n (depth first), not looking into elements called
 * stop (a nested learningOpportunitySpecification is a result of its own). */
static xmlNodePtr find(xmlNodePtr n, const char *name, const char *stop)
{
	xmlNodePtr c, f;

	for (c = n ? n->children : NULL; c; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		if (is(c, name))
			return c;
		if (stop && is(c, stop))
			continue;
		if (c->ns && strcmp((const char *)c->ns->href, DSIG_NS) == 0)
			continue;
		if ((f = find(c, name, stop)))
			return f;
	}
	return NULL;
}

/* The text of n with white space collapsed (xs:token), into out (cap bytes). */
static int text_of(xmlNodePtr n, const char *field, char *out, size_t cap, struct ok_error *err)
{
	xmlChar *t;
	size_t i, o = 0;
	bool space = false;

	out[0] = '\0';
	if (!n)
		return 0;
	if (!(t = xmlNodeGetContent(n)))
		return ok_fail(err, OK_ENOMEM, "out of memory");
	for (i = 0; t[i]; i++) {
		unsigned char ch = t[i];

		if (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r') {
			space = o > 0;
			continue;
		}
		if (o + (space ? 2 : 1) >= cap) {
			xmlFree(t);
			out[0] = '\0';
			return ok_fail_field(err, OK_EINPUT, field, "longer than %zu bytes",
			                     cap - 1);
		}
		if (space)
			out[o++] = ' ';
		space = false;
		out[o++] = (char)ch;
	}
	out[o] = '\0';
	xmlFree(t);
	return 0;
}

/* The child called name in language en, else nl, else the first. */
static xmlNodePtr pick_lang(xmlNodePtr n, const char *name)
{
	static const char *const langs[] = {"en", "nl"};
	xmlNodePtr c, first = NULL;
	size_t l;

	for (l = 0; l < 2; l++)
		for (c = n ? n->children : NULL; c; c = c->next) {
			xmlChar *lang;
			bool match;

			if (!is(c, name))
				continue;
			if (!first)
				first = c;
			lang = xmlNodeGetLang(c);
			match = lang && strncmp((const char *)lang, langs[l], 2) == 0;
			xmlFree(lang);
			if (match)
				return c;
		}
	return first;
}

/* The first child of n called name whose attribute attr is value, or NULL. */
static xmlNodePtr child_with(xmlNodePtr n, const char *name, const char *attr, const char *value)
{
	xmlNodePtr c;

	for (c = n ? n->children : NULL; c; c = c->next) {
		xmlChar *t;
		bool match;

		if (!is(c, name))
			continue;
		t = xmlGetProp(c, BAD_CAST attr);
		match = t && strcmp((const char *)t, value) == 0;
		xmlFree(t);
		if (match)
			return c;
	}
	return NULL;
}

/* The value of child identifier type="type" of n, into out ("" when there is none). */
static int identifier(xmlNodePtr n, const char *type, char *out, size_t cap, struct ok_error *err)
{
	out[0] = '\0';
	return text_of(child_with(n, "identifier", "type", type), "identifier", out, cap, err);
}

/* "7.5" → 750; -1 for a value that is not a decimal of 0-1000 with two decimals at most. */
static long centi_of(const char *s)
{
	long whole = 0, frac = 0;
	int digits = 0, fd = 0;

	for (; *s >= '0' && *s <= '9' && digits < 5; s++, digits++)
		whole = whole * 10 + (*s - '0');
	if (digits == 0)
		return -1;
	if (*s == '.') {
		for (s++; *s >= '0' && *s <= '9'; s++, fd++) {
			if (fd < 2)
				frac = frac * 10 + (*s - '0');
			else if (*s != '0')
				return -1;
		}
	}
	if (*s || whole > 1000)
		return -1;
	if (fd == 1)
		frac *= 10;
	return whole * 100 + frac;
}

static bool is_date_prefix(const char *s)
{
	int i;

	for (i = 0; i < 10; i++)
		if (i == 4 || i == 7 ? s[i] != '-' : (s[i] < '0' || s[i] > '9'))
			return false;
	return true;
}

static int read_grading(xmlNodePtr report, const char *local_id, struct elmo_result *x,
                        struct ok_error *err)
{
	xmlNodePtr g = child_with(report, "gradingScheme", "localId", local_id);
	char text[ELMO_TEXT_MAX + 1];
	int rc;

	if (!g)
		return 0;
	rc = text_of(pick_lang(g, "description"), "gradingScheme", text, sizeof(text), err);
	/* A description too long for us is left out: the scheme is only a help to the reader. */
	if (rc == OK_EINPUT) {
		ok_error_clear(err);
		return 0;
	}
	if (!rc)
		ok_copy_bounded(x->grading_scheme, text, sizeof(x->grading_scheme));
	return rc;
}

static int read_result(xmlNodePtr report, xmlNodePtr los, struct elmo_result *x,
                       struct ok_error *err)
{
	xmlNodePtr title = pick_lang(los, "title"), loi, n, v;
	char tmp[ELMO_TEXT_MAX + 1];
	xmlChar *lang;
	int rc;

	if (!title)
		return ok_fail_field(err, OK_EINPUT, "result",
		                     "a learningOpportunitySpecification has no title");
	if ((rc = text_of(title, "title", x->title, sizeof(x->title), err)))
		return rc;
	if ((lang = xmlNodeGetLang(title))) {
		ok_copy_bounded(x->title_lang, (const char *)lang, sizeof(x->title_lang));
		xmlFree(lang);
	}
	if ((rc = text_of(child(los, "type"), "type", x->type, sizeof(x->type), err)) ||
	    (rc = identifier(los, "local", x->local_id, sizeof(x->local_id), err)))
		return rc;
	loi = find(los, "learningOpportunityInstance", "learningOpportunitySpecification");
	if (!loi)
		return 0;
	if ((rc = text_of(child(loi, "date"), "date", tmp, sizeof(tmp), err)))
		return rc;
	if (tmp[0] && is_date_prefix(tmp))
		ok_copy_bounded(x->date, tmp, sizeof(x->date));
	if ((rc = text_of(child(loi, "status"), "status", x->status, sizeof(x->status), err)) ||
	    (rc = text_of(child(loi, "resultLabel"), "resultLabel", x->grade, sizeof(x->grade),
	                  err)) ||
	    (rc = text_of(child(loi, "languageOfInstruction"), "languageOfInstruction", x->language,
	                  sizeof(x->language), err)) ||
	    (rc = text_of(child(loi, "gradingSchemeLocalId"), "gradingSchemeLocalId", tmp,
	                  sizeof(tmp), err)))
		return rc;
	if (tmp[0] && (rc = read_grading(report, tmp, x, err)))
		return rc;
	for (n = loi->children; n; n = n->next) {
		if (is(n, "credit")) {
			if ((rc = text_of(child(n, "scheme"), "credit", tmp, sizeof(tmp), err)))
				return rc;
			if (strcasecmp(tmp, "ects") != 0 || !(v = child(n, "value")))
				continue;
			if ((rc = text_of(v, "credit", tmp, sizeof(tmp), err)))
				return rc;
			if ((x->credits_centi = centi_of(tmp)) < 0)
				return ok_fail_field(err, OK_EINPUT, "credit",
				                     "ECTS credits must be a number of 0-1000");
		} else if (is(n, "level")) {
			if ((rc = text_of(child(n, "type"), "level", tmp, sizeof(tmp), err)))
				return rc;
			if (strcasecmp(tmp, "EQF") != 0)
				continue;
			if ((rc = text_of(child(n, "value"), "level", tmp, sizeof(tmp), err)))
				return rc;
			if (tmp[0] >= '1' && tmp[0] <= '8' && tmp[1] == '\0')
				x->eqf_level = tmp[0] - '0';
		}
	}
	return 0;
}

struct walk {
	struct elmo_document *doc;
	size_t total;
	elmo_fragment_fn fn;
	void *ctx;
};

static int emit_fragment(struct walk *w, xmlNodePtr los, size_t report, size_t result,
                         struct ok_error *err)
{
	xmlBufferPtr b;
	int rc;

	if (!w->fn)
		return 0;
	if (!(b = xmlBufferCreate()))
		return ok_fail(err, OK_ENOMEM, "out of memory");
	if (xmlNodeDump(b, los->doc, los, 0, 0) < 0) {
		xmlBufferFree(b);
		return ok_fail(err, OK_ENOMEM, "out of memory");
	}
	rc = w->fn(w->ctx, report, result, (const char *)xmlBufferContent(b),
	           (size_t)xmlBufferLength(b));
	xmlBufferFree(b);
	return rc;
}

/* Every learningOpportunitySpecification below n (nested ones too: each is a result). */
static int read_results(struct walk *w, xmlNodePtr report, xmlNodePtr n, struct elmo_report *r,
                        struct ok_error *err)
{
	xmlNodePtr c;
	int rc;

	for (c = n->children; c; c = c->next) {
		if (c->type != XML_ELEMENT_NODE ||
		    (c->ns && strcmp((const char *)c->ns->href, DSIG_NS) == 0))
			continue;
		if (is(c, "learningOpportunitySpecification")) {
			struct elmo_result *x;

			if (++w->total > ELMO_RESULTS_MAX)
				return ok_fail_field(err, OK_ETOOBIG, "result",
				                     "more than %d results", ELMO_RESULTS_MAX);
			if (!(x = elmo_add_result(r, err)))
				return err->code;
			if ((rc = read_result(report, c, x, err)) ||
			    (rc = emit_fragment(w, c, w->doc->count - 1, r->count - 1, err)))
				return rc;
		}
		if ((rc = read_results(w, report, c, r, err)))
			return rc;
	}
	return 0;
}

static int read_report(struct walk *w, xmlNodePtr report, struct ok_error *err)
{
	struct elmo_report *r = elmo_add_report(w->doc, err);
	xmlNodePtr issuer;
	int rc;

	if (!r)
		return err->code;
	issuer = child(report, "issuer");
	if (!issuer)
		issuer = find(report, "issuer", "learningOpportunitySpecification");
	if (!issuer)
		return ok_fail_field(err, OK_EINPUT, "report", "a report names no issuer");
	if ((rc = text_of(child(issuer, "country"), "country", r->country, sizeof(r->country),
	                  err)) ||
	    (rc = identifier(issuer, "erasmus", r->erasmus, sizeof(r->erasmus), err)) ||
	    (rc = identifier(issuer, "schac", r->schac, sizeof(r->schac), err)) ||
	    (rc = identifier(issuer, "local", r->local, sizeof(r->local), err)) ||
	    (rc = text_of(pick_lang(issuer, "title"), "issuer", r->title, sizeof(r->title), err)) ||
	    (rc = text_of(child(issuer, "url"), "url", r->url, sizeof(r->url), err)))
		return rc;
	if (!r->title[0])
		return ok_fail_field(err, OK_EINPUT, "report", "a report's issuer has no name");
	return read_results(w, report, report, r, err);
}

static int read_reports(struct walk *w, xmlNodePtr n, struct ok_error *err)
{
	xmlNodePtr c;
	int rc;

	for (c = n->children; c; c = c->next) {
		if (c->type != XML_ELEMENT_NODE ||
		    (c->ns && strcmp((const char *)c->ns->href, DSIG_NS) == 0))
			continue;
		if (is(c, "report")) {
			if ((rc = read_report(w, c, err)))
				return rc;
		} else if ((rc = read_reports(w, c, err))) {
			return rc;
		}
	}
	return 0;
}

static int read_doc(xmlDocPtr doc, struct elmo_document *out, elmo_fragment_fn fn, void *ctx,
                    struct ok_error *err)
{
	xmlNodePtr root = xmlDocGetRootElement(doc), learner;
	struct elmo_learner *l = &out->learner;
	struct walk w = {.doc = out, .fn = fn, .ctx = ctx};
	char day[ELMO_TEXT_MAX + 1];
	int rc;

	if (!root || !is(root, "elmo"))
		return ok_fail_field(err, OK_EINPUT, "xml", "the root element is not elmo");
	if (!(learner = child(root, "learner")) && !(learner = find(root, "learner", "report")))
		return ok_fail_field(err, OK_EINPUT, "learner", "the document names no learner");
	if ((rc = text_of(child(learner, "givenNames"), "givenNames", l->given_names,
	                  sizeof(l->given_names), err)) ||
	    (rc = text_of(child(learner, "familyName"), "familyName", l->family_name,
	                  sizeof(l->family_name), err)) ||
	    (rc = text_of(child(learner, "bday"), "bday", day, sizeof(day), err)) ||
	    (rc = text_of(child(learner, "citizenship"), "citizenship", l->citizenship,
	                  sizeof(l->citizenship), err)))
		return rc;
	if (!l->given_names[0] && !l->family_name[0])
		return ok_fail_field(err, OK_EINPUT, "learner", "the learner has no name");
	if (day[0]) {
		if (!is_date_prefix(day))
			return ok_fail_field(err, OK_EINPUT, "bday", "not a date (YYYY-MM-DD)");
		ok_copy_bounded(l->birth_date, day, sizeof(l->birth_date));
	}
	if ((rc = read_reports(&w, root, err)))
		return rc;
	if (out->count == 0)
		return ok_fail_field(err, OK_EINPUT, "report", "the document holds no report");
	if (w.total == 0)
		return ok_fail_field(err, OK_EINPUT, "result", "the document holds no results");
	return 0;
}

/* Unpacks (gzip) and parses data within the limits (max bytes of XML, 0 for ELMO_INPUT_MAX).
 * xml gets the XML's bytes. */
static int load(const char *data, size_t len, size_t max, struct buf *xml, xmlDocPtr *doc,
                struct ok_error *err)
{
	int rc;

	*doc = NULL;
	if (max == 0 || max > ELMO_INPUT_MAX)
		max = ELMO_INPUT_MAX;
	if (len > max)
		return ok_fail_field(err, OK_ETOOBIG, "elmo", "the document is larger than %zu MiB",
		                     max >> 20);
	if (len >= 2 && (unsigned char)data[0] == 0x1f && (unsigned char)data[1] == 0x8b)
		rc = gunzip(data, len, max, xml, err);
	else
		rc = buf_add(xml, data, len);
	if (rc)
		return err->code ? rc : ok_fail_field(err, rc, "elmo", "the document is too large");
	return parse(xml->data, xml->len, doc, err);
}

int elmo_import(const char *data, size_t len, const struct elmo_import_options *o,
                struct elmo_document *out, struct elmo_signature_info *sig, elmo_fragment_fn fn,
                void *ctx, struct ok_error *err)
{
	struct buf xml;
	xmlDocPtr doc;
	int rc;

	memset(sig, 0, sizeof(*sig));
	buf_init(&xml, ELMO_INPUT_MAX);
	if ((rc = load(data, len, o->xml_max, &xml, &doc, err)))
		goto out;
	crypto_hash_sha256(sig->document_sha256, (const unsigned char *)xml.data, xml.len);
	if ((rc = elmo_verify_doc(doc, o, sig, err)))
		goto out;
	rc = read_doc(doc, out, fn, ctx, err);
out:
	xmlFreeDoc(doc);
	sodium_memzero(xml.data, xml.len);
	buf_release(&xml);
	return rc;
}

int elmo_parse_unsigned(const char *data, size_t len, struct elmo_document *out,
                        struct ok_error *err)
{
	struct buf xml;
	xmlDocPtr doc;
	int rc;

	buf_init(&xml, ELMO_INPUT_MAX);
	if (!(rc = load(data, len, 0, &xml, &doc, err)))
		rc = read_doc(doc, out, NULL, NULL, err);
	xmlFreeDoc(doc);
	buf_release(&xml);
	return rc;
}
