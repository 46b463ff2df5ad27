/* The demo dataset: three Dutch institutions (a university, a university of applied sciences,
 * an MBO school) and learners with course results and diplomas, generated deterministically
 * so that seeding twice changes nothing. */
#ifndef OK_REGISTRY_DEMO_H
#define OK_REGISTRY_DEMO_H

#include "registry/import.h"
#include "registry/institution.h"

struct demo_institution_result {
	char code[33];
	char name[201];
	bool created;
	char key[API_KEY_TEXT_MAX + 1]; /* the new API key when created, else "" */
};

#define DEMO_INSTITUTIONS 3

struct demo_result {
	struct demo_institution_result institutions[DEMO_INSTITUTIONS];
	struct import_report report; /* summed over the institutions */
};

int registry_demo_seed(struct depository *d, size_t learners, struct demo_result *out,
                       struct ok_error *err);

/* The demo's national id for learner n (a 9-digit number that passes the Dutch 11-test). */
void registry_demo_national_id(size_t n, char out[10]);

/* The national id of a seeded demo learner to try things with: one of the university (21PB)
 * when there is one among the first `learners`, else the first learner. */
void registry_demo_example(size_t learners, char out[10]);

#endif
