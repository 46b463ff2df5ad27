/* The verification's answer written without jansson (see verify_report.h). */
#include "http/verify_report.h"

#include "core/error.h"
#include "http/json_out.h"
#include "io/utf8.h"
#include "registry/verify_summary.h"

#include <string.h>

/* Fixed text: JSON punctuation, names, literals. */
static int lit(struct buf *b, const char *s)
{
	return buf_add(b, s, strlen(s));
}

static int str(struct buf *b, const char *s)
{
	return http_json_write_string(b, s, strlen(s));
}

/* A result's message (verify_result_json's valid_text): each byte that is not UTF-8 shown as
 * U+FFFD, so that the message is written, not the answer lost. */
static int message(struct buf *b, const char *s)
{
	char tmp[VERIFY_MESSAGE_MAX * 3 + 1];
	size_t n = strlen(s);
	int rc = http_json_write_string(b, s, n);

	if (rc != OK_EINTERNAL || utf8_valid(s, n))
		return rc;
	return http_json_write_string(b, tmp, utf8_replace_invalid(s, n, tmp, sizeof(tmp)));
}

static int text_or_null(struct buf *b, struct verify_text t)
{
	return t.s ? http_json_write_string(b, t.s, t.n) : lit(b, "null");
}

/* "," between items of a list. */
static int sep(struct buf *b, bool *first)
{
	if (*first) {
		*first = false;
		return 0;
	}
	return buf_add(b, ",", 1);
}

static int write_holder(struct buf *b, struct vc_dmv vc)
{
	struct verify_holder h;
	int rc;

	verify_holder_read(vc, &h);
	if ((rc = lit(b, "{\"name\":")) || (rc = text_or_null(b, h.name)) ||
	    (rc = lit(b, ",\"birth_date\":")) || (rc = text_or_null(b, h.birth_date)))
		return rc;
	return lit(b, "}");
}

static int write_achievement(struct buf *b, struct vc_dmv vc)
{
	struct verify_achievement a;
	int rc;

	verify_achievement_read(vc, &a);
	if (!a.stated)
		return lit(b, "null");
	if ((rc = lit(b, "{\"title\":")) || (rc = text_or_null(b, a.title)) ||
	    (rc = lit(b, ",\"kind\":")) || (rc = text_or_null(b, a.kind)) ||
	    (rc = lit(b, ",\"achievement_type\":")) || (rc = text_or_null(b, a.achievement_type)) ||
	    (rc = lit(b, ",\"institution\":")) || (rc = text_or_null(b, a.institution)) ||
	    (rc = lit(b, ",\"country\":")) || (rc = text_or_null(b, a.country)) ||
	    (rc = lit(b, ",\"awarded_on\":")) || (rc = text_or_null(b, a.awarded_on)) ||
	    (rc = lit(b, ",\"credits\":")))
		return rc;
	/* Credits as a person wrote them: 180, not 180.0 (verify_summary.c's credits_number). */
	if (!a.has_credits)
		rc = lit(b, "null");
	else if (verify_credits_integral(a.credits))
		rc = http_json_write_integer(b, (json_int_t)a.credits);
	else
		rc = http_json_write_real(b, a.credits);
	if (rc || (rc = lit(b, ",\"grade\":")) || (rc = text_or_null(b, a.grade)))
		return rc;
	return lit(b, "}");
}

/* verify_result_json's arrays, as verify_report_json changes them: "checks" only those that
 * passed and apply, "errors" only the proof's when it failed. */
static int write_lists(struct buf *b, const struct verify_result *r, bool proof_failed)
{
	bool first;
	size_t i;
	int rc;

	if ((rc = lit(b, r->verified ? "{\"verified\":true,\"checks\":["
	                             : "{\"verified\":false,\"checks\":[")))
		return rc;
	for (i = 0, first = true; i < r->count; i++)
		if (r->items[i].passed && verify_item_applicable(r, i) &&
		    ((rc = sep(b, &first)) || (rc = str(b, verify_check_name(r->items[i].check)))))
			return rc;
	if ((rc = lit(b, "],\"warnings\":[")))
		return rc;
	for (i = 0, first = true; i < r->count; i++)
		if (r->items[i].warning &&
		    ((rc = sep(b, &first)) ||
		     (rc = lit(b, "{\"type\":\"/problems/warning\",\"check\":")) ||
		     (rc = str(b, verify_check_name(r->items[i].check))) ||
		     (rc = lit(b, ",\"detail\":")) || (rc = message(b, r->items[i].message)) ||
		     (rc = lit(b, "}"))))
			return rc;
	if ((rc = lit(b, "],\"errors\":[")))
		return rc;
	first = true;
	if (!r->is_credential) {
		if ((rc = sep(b, &first)) ||
		    (rc = lit(b, "{\"type\":\"/problems/not-a-credential\",\"title\":\"Not a "
		                 "credential\",\"detail\":")) ||
		    (rc = message(b, r->not_credential)))
			return rc;
		if (r->rule && ((rc = lit(b, ",\"rule\":")) || (rc = str(b, r->rule))))
			return rc;
		if ((rc = lit(b, "}")))
			return rc;
	}
	for (i = 0; i < r->count; i++) {
		if (r->items[i].passed || (proof_failed && r->items[i].check != VERIFY_PROOF))
			continue;
		if ((rc = sep(b, &first)) ||
		    (rc = lit(b, "{\"type\":\"/problems/check-failed\",\"title\":\"Check "
		                 "failed\",\"check\":")) ||
		    (rc = str(b, verify_check_name(r->items[i].check))) ||
		    (rc = lit(b, ",\"detail\":")) || (rc = message(b, r->items[i].message)) ||
		    (rc = lit(b, "}")))
			return rc;
	}
	return lit(b, "]");
}

static int write_details(struct buf *b, const struct verify_result *r,
                         const struct verify_verdict *v)
{
	size_t i;
	int rc;

	if ((rc = lit(b, ",\"details\":[")))
		return rc;
	for (i = 0; i < r->count; i++) {
		/* A check that does not apply neither passed nor failed. */
		bool passed = r->items[i].passed && verify_item_applicable(r, i);
		if ((i && (rc = lit(b, ","))) || (rc = lit(b, "{\"check\":")) ||
		    (rc = str(b, verify_check_name(r->items[i].check))) ||
		    (rc = lit(b, passed ? ",\"passed\":true,\"message\":"
		                        : ",\"passed\":false,\"message\":")) ||
		    (rc = message(b, r->items[i].message)) || (rc = lit(b, ",\"state\":")) ||
		    (rc = str(b, verify_item_state(r, i))) || (rc = lit(b, ",\"reason\":")) ||
		    (rc = str(b, verify_item_reason(r, i, v))) || (rc = lit(b, "}")))
			return rc;
	}
	return lit(b, "]");
}

int http_verify_report_write(struct buf *b, struct depository *d, const struct verify_result *r,
                             struct vc_dmv vc)
{
	struct verify_verdict v;
	char text[160];
	size_t start = b->len;
	const char *reason;
	bool stated;
	int rc;

	verify_verdict_of_view(d, r, vc, &v);
	verify_headline_text(&v, text, sizeof(text));
	reason = verify_headline_reason(&v);
	/* What a credential states is repeated only when its signature and issuer were checked
	 * and held. */
	stated = vc_dmv_there(vc) && v.stated_ok;
	if ((rc = write_lists(b, r, verify_proof_failed(r))) || (rc = write_details(b, r, &v)) ||
	    (rc = lit(b, ",\"holder\":")) || (rc = stated ? write_holder(b, vc) : lit(b, "null")) ||
	    (rc = lit(b, ",\"achievement\":")) ||
	    (rc = stated ? write_achievement(b, vc) : lit(b, "null")) ||
	    (rc = lit(b, ",\"headline\":{\"state\":")) ||
	    (rc = str(b, verify_headline_name(v.headline))) || (rc = lit(b, ",\"since\":")) ||
	    (rc = v.since[0] ? str(b, v.since) : lit(b, "null")) || (rc = lit(b, ",\"text\":")) ||
	    (rc = str(b, text)) ||
	    (reason && ((rc = lit(b, ",\"reason\":")) || (rc = str(b, reason)))) ||
	    (rc = lit(b, "}}"))) {
		buf_truncate(b, start);
		return rc;
	}
	return 0;
}
