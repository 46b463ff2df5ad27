/* SD-JWT VC Type Metadata (see sdjwt_type.h). */
#include "registry/sdjwt_type.h"

#include <string.h>

#include "core/format.h"
#include "model/registration.h"

static const struct {
	const char *kind, *nl, *en;
} kinds[] = {
        {"diploma", "Diploma", "Diploma"},
        {"degree", "Graad", "Degree"},
        {"course", "Cursusresultaat", "Course result"},
        {"module", "Moduleresultaat", "Module result"},
        {"exam", "Examenresultaat", "Exam result"},
};

/* The claims of sdjwt_credential.c's own type, each with its labels; every one disclosable. */
static const struct {
	const char *path[2], *nl, *en;
} claims[] = {
        {{"given_name", NULL}, "Voornamen", "Given names"},
        {{"family_name", NULL}, "Achternaam", "Family name"},
        {{"birthdate", NULL}, "Geboortedatum", "Date of birth"},
        {{"title", NULL}, "Titel", "Title"},
        {{"record_id", NULL}, "Kenmerk", "Record id"},
        {{"programme_code", NULL}, "Opleidingscode", "Programme code"},
        {{"grade", NULL}, "Cijfer", "Grade"},
        {{"grading_scheme", NULL}, "Beoordelingsschaal", "Grading scheme"},
        {{"awarded_on", NULL}, "Datum behaald", "Awarded on"},
        {{"language", NULL}, "Taal", "Language"},
        {{"credits_ects", NULL}, "Studiepunten (EC)", "Credits (ECTS)"},
        {{"eqf_level", NULL}, "EQF-niveau", "EQF level"},
        {{"institution", NULL}, "Instelling", "Institution"},
        {{"institution", "name"}, "Naam instelling", "Institution name"},
        {{"institution", "country"}, "Land", "Country"},
};

int registry_sdjwt_type_metadata(const struct depository *d, const char *kind, json_t **out,
                                 struct ok_error *err)
{
	char vct[DEPOSITORY_HOST_MAX + 64];
	json_t *doc, *list;
	size_t i, k;

	*out = NULL;
	for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
		if (strcmp(kinds[k].kind, kind) == 0)
			break;
	if (k == sizeof(kinds) / sizeof(kinds[0]))
		return ok_fail(err, OK_ENOTFOUND, "no such credential type");
	if (ok_format(vct, sizeof(vct), "%s/vct/%s", d->base_url, kind))
		return ok_fail(err, OK_ETOOBIG, "the type URL is too long");
	list = json_array();
	for (i = 0; list && i < sizeof(claims) / sizeof(claims[0]); i++) {
		json_t *path = claims[i].path[1]
		                       ? json_pack("[s,s]", claims[i].path[0], claims[i].path[1])
		                       : json_pack("[s]", claims[i].path[0]);

		json_array_append_new(list, json_pack("{s:o,s:[{s:s,s:s},{s:s,s:s}],s:s}", "path",
		                                      path, "display", "lang", "nl", "label",
		                                      claims[i].nl, "lang", "en", "label",
		                                      claims[i].en, "sd", "always"));
	}
	doc = list ? json_pack("{s:s,s:s,s:[{s:s,s:s},{s:s,s:s}],s:o}", "vct", vct, "name",
	                       kinds[k].en, "display", "lang", "nl", "name", kinds[k].nl, "lang",
	                       "en", "name", kinds[k].en, "claims", list)
	           : NULL;
	if (!doc)
		return ok_fail(err, OK_ENOMEM, "out of memory");
	*out = doc;
	return 0;
}
