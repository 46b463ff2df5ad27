/* JSON-LD to RDF: the expanded form walked into quads (Deserialize JSON-LD to RDF, 6.1 and 6.2
 * of the JSON-LD 1.1 Processing Algorithms), written as canonical N-Quads; and the public entry
 * points of jsonld.h. */
#include "vc/jsonld.h"
#include "vc/jsonld_internal.h"
#include "vc/jcs.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <pthread.h>
#include <string.h>

const struct vc_jsonld_limits vc_jsonld_limits_default = {
        .max_depth = 64,
        .max_nodes = 10000,
        .max_quads = 10000,
        .max_context_steps = 100000,
        .strict = true,
        .defined_terms_only = false,
        .plain_form = true,
};

struct rdf {
	struct jl *st;
	json_t *labels;    /* the document's blank node labels -> ours */
	size_t next_label; /* _:bN */
	char **lines;      /* quads, each "S P O G .\n", NUL-terminated */
	size_t n, cap;
};

static int nomem(struct rdf *r)
{
	return ok_fail(r->st->err, OK_ENOMEM, "out of memory writing N-Quads");
}

static int fresh_label(struct rdf *r, struct buf *t)
{
	return buf_addf(t, "_:b%zu", r->next_label++) == 0 ? 0 : nomem(r);
}

/* An IRIREF of N-Quads: no characters that it would have to escape. */
static bool iri_ok(const char *s)
{
	const unsigned char *p;

	if (!jl_is_absolute_iri(s))
		return false;
	for (p = (const unsigned char *)s; *p; p++)
		if (*p <= 0x20 || strchr("<>\"{}|^`\\", *p))
			return false;
	return true;
}

/* The term of an IRI or blank node identifier, appended to t. */
static int node_term(struct rdf *r, const char *id, struct buf *t)
{
	char shown[128];
	json_t *have;

	if (strncmp(id, "_:", 2) == 0) {
		if ((have = json_object_get(r->labels, id)) != NULL)
			return buf_addstr(t, json_string_value(have)) == 0 ? 0 : nomem(r);
		if (buf_addf(t, "_:b%zu", r->next_label++) != 0 ||
		    json_object_set_new(r->labels, id, json_string(t->data)) != 0)
			return nomem(r);
		return 0;
	}
	if (!iri_ok(id)) {
		jl_printable(id, shown, sizeof(shown));
		return ok_fail(r->st->err, OK_EINPUT, "not an absolute IRI: %s", shown);
	}
	return buf_addf(t, "<%s>", id) == 0 ? 0 : nomem(r);
}

static int add_quad(struct rdf *r, const char *s, const char *p, const char *o, const char *g)
{
	struct buf line;
	char **grown;

	if (r->n >= r->st->l->max_quads)
		return ok_fail(r->st->err, OK_ETOOBIG, "the document gives more than %zu quads",
		               r->st->l->max_quads);
	if (r->n == r->cap) {
		size_t cap = r->cap ? 2 * r->cap : 64;
		if (!(grown = realloc(r->lines, cap * sizeof(*grown))))
			return nomem(r);
		r->lines = grown;
		r->cap = cap;
	}
	buf_init(&line, BUF_DEFAULT_MAX);
	if ((g ? buf_addf(&line, "%s %s %s %s .\n", s, p, o, g)
	       : buf_addf(&line, "%s %s %s .\n", s, p, o)) != 0) {
		buf_release(&line);
		return nomem(r);
	}
	r->lines[r->n++] = buf_detach(&line, NULL);
	return 0;
}

/* The canonical xsd:double form: 1.1E0, 5.0E-7, -2.5E21 (as JSON-LD's toRdf writes it). */
static int format_double(double d, struct buf *t)
{
	char tmp[64], *e, *end;
	int exp;

	if (snprintf(tmp, sizeof(tmp), "%.15E", d) <= 0 || !(e = strchr(tmp, 'E')))
		return OK_EINTERNAL;
	exp = (int)strtol(e + 1, NULL, 10);
	*e = '\0';
	end = e - 1;
	while (end > tmp && *end == '0' && end[-1] != '.')
		*end-- = '\0';
	return buf_addf(t, "%sE%d", tmp, exp);
}

static int add_escaped(struct buf *t, const char *s, size_t n)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < n && rc == 0; i++) {
		unsigned char c = (unsigned char)s[i];
		switch (c) {
		case '\b':
			rc = buf_addstr(t, "\\b");
			break;
		case '\t':
			rc = buf_addstr(t, "\\t");
			break;
		case '\n':
			rc = buf_addstr(t, "\\n");
			break;
		case '\f':
			rc = buf_addstr(t, "\\f");
			break;
		case '\r':
			rc = buf_addstr(t, "\\r");
			break;
		case '"':
			rc = buf_addstr(t, "\\\"");
			break;
		case '\\':
			rc = buf_addstr(t, "\\\\");
			break;
		default:
			rc = (c < 0x20 || c == 0x7f) ? buf_addf(t, "\\u%04X", c)
			                             : buf_addch(t, (char)c);
		}
	}
	return rc;
}

/* BCP 47 in the shape RDF accepts: 1-8 letters, then groups of 1-8 letters and digits. */
static bool lang_ok(const char *s)
{
	size_t i, run = 0;
	bool first = true;

	for (i = 0;; i++) {
		char c = s[i];
		if (c == '-' || c == '\0') {
			if (run == 0 || run > 8)
				return false;
			if (c == '\0')
				return true;
			run = 0;
			first = false;
		} else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		           (!first && c >= '0' && c <= '9')) {
			run++;
		} else {
			return false;
		}
	}
}

/* Object to RDF (6.2) for a value object: the literal's term appended to t. */
static int literal(struct rdf *r, json_t *vo, struct buf *t)
{
	json_t *v = json_object_get(vo, "@value");
	const char *type = json_string_value(json_object_get(vo, "@type"));
	const char *lang = json_string_value(json_object_get(vo, "@language"));
	struct buf lex;
	const char *dt;
	char shown[128];
	int rc;

	buf_init(&lex, BUF_DEFAULT_MAX);
	if (type && strcmp(type, "@json") == 0) {
		rc = vc_jcs_serialize(v, &lex, r->st->err);
		dt = JL_RDF "JSON";
	} else if (json_is_boolean(v)) {
		rc = buf_addstr(&lex, json_is_true(v) ? "true" : "false");
		dt = type ? type : JL_XSD "boolean";
	} else if (json_is_number(v)) {
		double d = json_number_value(v);
		bool as_double = (type && strcmp(type, JL_XSD "double") == 0) ||
		                 fmod(d, 1.0) != 0 || fabs(d) >= 1e21;
		if (json_is_integer(v) && !as_double)
			rc = buf_addf(&lex, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		else if (as_double)
			rc = format_double(d, &lex);
		else
			rc = buf_addf(&lex, "%.0f", d == 0 ? 0.0 : d);
		dt = type ? type : as_double ? JL_XSD "double" : JL_XSD "integer";
	} else if (json_is_string(v)) {
		rc = buf_add(&lex, json_string_value(v), json_string_length(v));
		dt = lang ? JL_RDF "langString" : type ? type : JL_XSD "string";
	} else {
		buf_release(&lex);
		return ok_fail(r->st->err, OK_EINPUT, "a JSON-LD value that is not a literal");
	}
	if (rc != 0) {
		buf_release(&lex);
		if (r->st->err && r->st->err->code == rc)
			return rc; /* the JCS serializer said why */
		return rc == OK_ETOOBIG || rc == OK_ENOMEM
		               ? nomem(r)
		               : ok_fail(r->st->err, OK_EINTERNAL,
		                         "a literal could not be written");
	}
	if (!iri_ok(dt)) {
		buf_release(&lex);
		jl_printable(dt, shown, sizeof(shown));
		return ok_fail(r->st->err, OK_EINPUT, "a datatype that is not an absolute IRI: %s",
		               shown);
	}
	if (lang && !lang_ok(lang)) {
		buf_release(&lex);
		jl_printable(lang, shown, sizeof(shown));
		return ok_fail(r->st->err, OK_EINPUT, "not a well-formed language tag: %s", shown);
	}
	rc = buf_addch(t, '"');
	if (rc == 0)
		rc = add_escaped(t, lex.data, lex.len);
	if (rc == 0)
		rc = buf_addch(t, '"');
	if (rc == 0 && lang)
		rc = buf_addf(t, "@%s", lang);
	else if (rc == 0 && strcmp(dt, JL_XSD "string") != 0)
		rc = buf_addf(t, "^^<%s>", dt);
	buf_release(&lex);
	return rc == 0 ? 0 : nomem(r);
}

static int emit_node(struct rdf *r, json_t *node, const char *graph, struct buf *subject);

/* Object to RDF for any item; t stays empty when the item gives no term. */
static int object_term(struct rdf *r, json_t *item, const char *graph, struct buf *t)
{
	json_t *v;

	if (json_object_get(item, "@value"))
		return literal(r, item, t);
	if ((v = json_object_get(item, "@list")) != NULL) {
		/* List Conversion (6.3): a chain of rdf:first / rdf:rest blank nodes. */
		size_t i, n = json_array_size(v);
		struct buf cur, next, obj;
		int rc = 0;

		if (n == 0)
			return buf_addstr(t, "<" JL_RDF "nil>") == 0 ? 0 : nomem(r);
		buf_init(&cur, BUF_DEFAULT_MAX);
		buf_init(&next, BUF_DEFAULT_MAX);
		buf_init(&obj, BUF_DEFAULT_MAX);
		if ((rc = fresh_label(r, &cur)) == 0)
			rc = buf_addstr(t, cur.data) == 0 ? 0 : nomem(r);
		for (i = 0; i < n && rc == 0; i++) {
			buf_reset(&obj);
			buf_reset(&next);
			if ((rc = object_term(r, json_array_get(v, i), graph, &obj)) != 0)
				break;
			if (obj.len &&
			    (rc = add_quad(r, cur.data, "<" JL_RDF "first>", obj.data, graph)) != 0)
				break;
			if (i + 1 < n)
				rc = fresh_label(r, &next);
			else
				rc = buf_addstr(&next, "<" JL_RDF "nil>") == 0 ? 0 : nomem(r);
			if (rc == 0)
				rc = add_quad(r, cur.data, "<" JL_RDF "rest>", next.data, graph);
			buf_reset(&cur);
			if (rc == 0 && buf_add(&cur, next.data, next.len) != 0)
				rc = nomem(r);
		}
		buf_release(&cur);
		buf_release(&next);
		buf_release(&obj);
		return rc;
	}
	if (json_object_size(item) == 1 && json_is_string(json_object_get(item, "@id")))
		return node_term(r, json_string_value(json_object_get(item, "@id")), t);
	return emit_node(r, item, graph, t);
}

/* A node object's quads in graph (NULL: the default graph); its subject's term into subject. */
static int emit_node(struct rdf *r, json_t *node, const char *graph, struct buf *subject)
{
	json_t *id = json_object_get(node, "@id"), *vals, *item;
	struct buf pred, obj;
	const char *k;
	size_t i;
	int rc;

	if (!json_is_object(node))
		return ok_fail(r->st->err, OK_EINPUT, "a JSON-LD node that is not an object");
	rc = json_is_string(id) ? node_term(r, json_string_value(id), subject)
	                        : fresh_label(r, subject);
	if (rc != 0)
		return rc;
	buf_init(&pred, BUF_DEFAULT_MAX);
	buf_init(&obj, BUF_DEFAULT_MAX);
	json_array_foreach(json_object_get(node, "@type"), i, item)
	{
		buf_reset(&obj);
		if ((rc = node_term(r, json_string_value(item), &obj)) != 0 ||
		    (rc = add_quad(r, subject->data, "<" JL_RDF "type>", obj.data, graph)) != 0)
			goto out;
	}
	json_object_foreach(node, k, vals)
	{
		if (k[0] == '@')
			continue;
		buf_reset(&pred);
		if (strncmp(k, "_:", 2) == 0) {
			/* A blank node property: generalized RDF, which N-Quads cannot carry. */
			if (!r->st->l->strict)
				continue;
			rc = ok_fail(r->st->err, OK_EINPUT,
			             "a property that is a blank node (JSON-LD would drop it)");
			goto out;
		}
		if ((rc = node_term(r, k, &pred)) != 0)
			goto out;
		json_array_foreach(vals, i, item)
		{
			buf_reset(&obj);
			if ((rc = object_term(r, item, graph, &obj)) != 0)
				goto out;
			if (obj.len &&
			    (rc = add_quad(r, subject->data, pred.data, obj.data, graph)) != 0)
				goto out;
		}
	}
	if ((vals = json_object_get(node, "@graph")) != NULL) {
		/* The node names a graph (a @graph container gives it a blank node). */
		char *name = strdup(subject->data);
		if (!name) {
			rc = nomem(r);
			goto out;
		}
		json_array_foreach(vals, i, item)
		{
			buf_reset(&obj);
			if (json_object_get(item, "@value") || json_object_get(item, "@list"))
				continue;
			if (json_object_size(item) == 1 && json_object_get(item, "@id"))
				continue;
			if ((rc = emit_node(r, item, name, &obj)) != 0)
				break;
		}
		free(name);
	}
out:
	buf_release(&pred);
	buf_release(&obj);
	return rc;
}

static int cmp_lines(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void state_init(struct jl *st, const struct vc_jsonld_limits *l, struct ok_error *err)
{
	st->l = l ? l : &vc_jsonld_limits_default;
	st->err = err;
	st->steps = 0;
	st->nodes = 0;
	st->def_depth = 0;
	st->loaded = json_object();
	st->memo = json_object();
	st->ids = json_object();
}

/* The lists of the depository's own documents and of the credentials it verifies most. */
static void prefill_lists(void)
{
	static const char *const lists[][3] = {
	        {"https://www.w3.org/ns/credentials/v2", NULL, NULL},
	        {"https://www.w3.org/ns/credentials/v2",
	         "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json", NULL},
	        {"https://www.w3.org/ns/credentials/v2", VC_CONTEXT_OORKONDE_V1, NULL},
	        {"https://www.w3.org/ns/credentials/v2",
	         "https://www.w3.org/ns/credentials/examples/v2", NULL},
	};
	struct ok_error err;
	json_t *doc, *ctx, *expanded;
	struct jl st;
	size_t i, k;

	for (i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		ctx = json_array();
		for (k = 0; k < 3 && lists[i][k]; k++)
			json_array_append_new(ctx, json_string(lists[i][k]));
		doc = json_pack("{s:o, s:s, s:s}", "@context", ctx, "id", "urn:oorkonde:prefill",
		                "type", "VerifiableCredential");
		ok_error_clear(&err);
		state_init(&st, NULL, &err);
		expanded = NULL;
		/* A failure only leaves the cache as it was: nothing to report. */
		if (doc && st.loaded && st.memo && st.ids)
			(void)jl_expand_doc(&st, doc, &expanded);
		json_decref(expanded);
		json_decref(st.loaded);
		json_decref(st.memo);
		json_decref(st.ids);
		json_decref(doc);
	}
}

static pthread_once_t prefill_once = PTHREAD_ONCE_INIT;

void jl_prefill(void)
{
	pthread_once(&prefill_once, prefill_lists);
}

int vc_jsonld_expand(const json_t *doc, const struct vc_jsonld_limits *l, json_t **expanded,
                     struct ok_error *err)
{
	struct jl st;
	int rc;

	jl_prefill();
	*expanded = NULL;
	state_init(&st, l, err);
	rc = st.loaded && st.memo && st.ids ? jl_expand_doc(&st, doc, expanded)
	                          : ok_fail(err, OK_ENOMEM, "out of memory in JSON-LD expansion");
	json_decref(st.loaded);
	json_decref(st.memo);
	json_decref(st.ids);
	return rc;
}

int jl_expand_counted(const json_t *doc, const struct vc_jsonld_limits *l, size_t *steps,
                      size_t *nodes, struct ok_error *err)
{
	json_t *expanded = NULL;
	struct jl st;
	int rc;

	jl_prefill();
	state_init(&st, l, err);
	rc = st.loaded && st.memo && st.ids ? jl_expand_doc(&st, doc, &expanded)
	                          : ok_fail(err, OK_ENOMEM, "out of memory in JSON-LD expansion");
	*steps = st.steps;
	*nodes = st.nodes;
	json_decref(expanded);
	json_decref(st.loaded);
	json_decref(st.memo);
	json_decref(st.ids);
	return rc;
}

int vc_jsonld_to_nquads(const json_t *doc, const struct vc_jsonld_limits *l, struct buf *out,
                        struct ok_error *err)
{
	struct jl st;
	struct rdf r = {&st, NULL, 0, NULL, 0, 0};
	json_t *expanded = NULL, *node;
	struct buf subject;
	size_t i, keep = out->len;
	int rc;

	jl_prefill();
	state_init(&st, l, err);
	buf_init(&subject, BUF_DEFAULT_MAX);
	if (!st.loaded || !st.memo || !st.ids || !(r.labels = json_object())) {
		rc = ok_fail(err, OK_ENOMEM, "out of memory in JSON-LD to RDF");
		goto out;
	}
	if ((rc = jl_expand_doc(&st, doc, &expanded)) != 0)
		goto out;
	json_array_foreach(expanded, i, node)
	{
		buf_reset(&subject);
		if (json_object_size(node) == 1 && json_object_get(node, "@id"))
			continue;
		if ((rc = emit_node(&r, node, NULL, &subject)) != 0)
			goto out;
	}
	if (r.n > 1)
		qsort(r.lines, r.n, sizeof(*r.lines), cmp_lines);
	for (i = 0; i < r.n; i++) {
		if (i > 0 && strcmp(r.lines[i], r.lines[i - 1]) == 0)
			continue;
		if ((rc = buf_addstr(out, r.lines[i])) != 0) {
			rc = ok_fail(err, rc, "the N-Quads do not fit their buffer");
			buf_truncate(out, keep);
			goto out;
		}
	}
	rc = 0;
out:
	for (i = 0; i < r.n; i++)
		free(r.lines[i]);
	free(r.lines);
	buf_release(&subject);
	json_decref(r.labels);
	json_decref(expanded);
	json_decref(st.loaded);
	json_decref(st.memo);
	json_decref(st.ids);
	return rc;
}
