/* The audit chain walk with its checkpoints, and listings of events (see audit_log.h). */
#include "audit/log.h"
#include "core/format.h"

#include "audit/checkpoint.h"
#include "store/audit.h"
#include "store/portal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The most events one learner's listing gathers (in memory, to put them in order). */
#define ABOUT_LEARNER_MAX 200000

void audit_format_time(int64_t ms, char out[32])
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (!gmtime_r(&t, &tm) || !strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(out, 32, "@%lld", (long long)ms); /* at most 21 characters */
}

/* Checkpoints of the store and the file, merged by sequence number. */

struct known_checkpoint {
	struct audit_checkpoint c;
	bool in_store;
	size_t file_line; /* 0 when not in the file */
};

struct checkpoint_set {
	struct known_checkpoint *v;
	size_t n, cap;
	struct audit_check *r; /* where a disagreement is reported */
};

static int set_add(struct checkpoint_set *s, const struct audit_checkpoint *c, bool in_store,
                   size_t line)
{
	struct known_checkpoint *k;
	size_t i;

	/* Both sources come in sequence order: a repeat is nearly always the last entries. */
	for (i = s->n; i-- > 0;) {
		k = &s->v[i];
		if (k->c.seq < c->seq)
			break;
		if (k->c.seq != c->seq)
			continue;
		if (memcmp(&k->c, c, sizeof(*c)) != 0) {
			s->r->intact = false;
			/* A message for people (see where()): a cut only shortens it. */
			snprintf(s->r->why, sizeof(s->r->why),
			         "the checkpoint at event %lld differs between the store and %s "
			         "line "
			         "%zu: one of them was altered",
			         (long long)c->seq, CHECKPOINT_FILE, line);
			return 1;
		}
		k->in_store |= in_store;
		if (line && !k->file_line)
			k->file_line = line;
		return 0;
	}
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 64;
		void *v = reallocarray(s->v, cap, sizeof(*s->v));
		if (!v)
			return OK_ENOMEM;
		s->v = v;
		s->cap = cap;
	}
	k = &s->v[s->n++];
	memset(k, 0, sizeof(*k));
	k->c = *c;
	k->in_store = in_store;
	k->file_line = line;
	return 0;
}

static int from_store(void *ctx, const struct audit_checkpoint *c)
{
	return set_add(ctx, c, true, 0);
}

static int from_file(void *ctx, size_t line, const struct audit_checkpoint *c)
{
	return set_add(ctx, c, false, line);
}

static int by_seq(const void *a, const void *b)
{
	const struct known_checkpoint *x = a, *y = b;

	return (x->c.seq > y->c.seq) - (x->c.seq < y->c.seq);
}

/* Where a checkpoint was found, for messages. This and r->why (400 bytes) are text for people,
 * of numbers and the checkpoint file's name: a cut would only shorten them. */
static void where(const struct known_checkpoint *k, char *out, size_t cap)
{
	if (k->file_line)
		snprintf(out, cap, "%s line %zu", CHECKPOINT_FILE, k->file_line);
	else
		snprintf(out, cap, "the store");
}

/* Every checkpoint must carry a valid signature by one of our issuer keys. */
static bool signatures_hold(struct depository *d, const struct audit_checkpoint_keys *k,
                            const struct checkpoint_set *s, struct audit_check *r)
{
	char at[64];
	size_t i;

	for (i = 0; i < s->n; i++) {
		if (audit_checkpoints_trusted(d, k, &s->v[i].c))
			continue;
		where(&s->v[i], at, sizeof(at));
		r->intact = false;
		/* A message for people, of numbers and a file name: a cut only shortens it. */
		snprintf(
		        r->why, sizeof(r->why),
		        "the checkpoint at event %lld (%s) does not carry a valid signature by the "
		        "depository's issuer key: it was altered or forged",
		        (long long)s->v[i].c.seq, at);
		return false;
	}
	return true;
}

/* The walk */

struct walk {
	struct audit_check *r;
	const struct checkpoint_set *cps;
	size_t next_cp;      /* the first checkpoint not reached yet */
	int64_t matched_seq; /* the last checkpoint the chain agreed with (0: none) */
	int64_t prev_seq;
	unsigned char prev_hash[AUDIT_HASH_BYTES];
	bool seen_v2; /* a v2 event came before (audit_event_holds) */
};

/* Stops at the first event that breaks the chain (returns 1 to end the listing). */
static int check_event(void *ctx, const struct audit_event *e)
{
	struct walk *w = ctx;
	struct audit_check *r = w->r;

	/* r->why below is a message for people, of numbers and a date: a cut only shortens it. */
	r->events++;
	if (e->seq != w->prev_seq + 1) {
		r->broken_seq = w->prev_seq + 1;
		if (e->seq == w->prev_seq + 2)
			snprintf(r->why, sizeof(r->why),
			         "event %lld was removed (event %lld follows event %lld): events "
			         "are "
			         "missing",
			         (long long)r->broken_seq, (long long)e->seq,
			         (long long)w->prev_seq);
		else
			snprintf(
			        r->why, sizeof(r->why),
			        "events %lld to %lld were removed (event %lld follows event %lld): "
			        "events are missing",
			        (long long)r->broken_seq, (long long)e->seq - 1, (long long)e->seq,
			        (long long)w->prev_seq);
		goto broken;
	}
	if (memcmp(e->prev_hash, w->prev_hash, AUDIT_HASH_BYTES) != 0) {
		r->broken_seq = e->seq;
		snprintf(r->why, sizeof(r->why),
		         "event %lld does not link to event %lld before it: events were reordered, "
		         "or one was altered",
		         (long long)e->seq, (long long)w->prev_seq);
		goto broken;
	}
	if (!audit_event_holds(e, &w->seen_v2)) {
		r->broken_seq = e->seq;
		snprintf(r->why, sizeof(r->why), "event %lld was altered", (long long)e->seq);
		goto broken;
	}
	/* A chain rewritten with fresh hashes links up, but no longer reaches a signed head. */
	while (w->next_cp < w->cps->n && w->cps->v[w->next_cp].c.seq <= e->seq) {
		const struct known_checkpoint *k = &w->cps->v[w->next_cp];
		char signed_at[32];

		if (k->c.seq == e->seq && memcmp(k->c.head, e->hash, AUDIT_HASH_BYTES) != 0) {
			audit_format_time(k->c.at_ms, signed_at);
			r->broken_seq = w->matched_seq + 1;
			snprintf(r->why, sizeof(r->why),
			         "events %lld to %lld were altered and the chain recomputed: the "
			         "checkpoint at event %lld signed %s holds another head hash",
			         (long long)r->broken_seq, (long long)e->seq, (long long)e->seq,
			         signed_at);
			goto broken;
		}
		w->matched_seq = k->c.seq;
		r->checkpoints++;
		if (!k->file_line)
			r->checkpoints_unfiled++;
		w->next_cp++;
	}
	if (audit_event_is_tombstone(e))
		r->tombstones++;
	w->prev_seq = e->seq;
	memcpy(w->prev_hash, e->hash, AUDIT_HASH_BYTES);
	return 0;
broken:
	r->intact = false;
	return 1;
}

/*
 * Each checkpoint signs the interval N its depository kept: the next multiple of N after it
 * must have a checkpoint too, unless the log ends before (a change of N is itself signed, at
 * the first event appended under the new one). Deleting the checkpoints after a cut (rows and
 * lines) so leaves the first multiple of N past the last one kept without its checkpoint. A v1
 * checkpoint signed no N, and N = 0 asks for none: then only the checkpoints there are can be
 * checked. With no checkpoint at all, the configured N stands in.
 */
static void periodic_checkpoints_present(const struct depository *d,
                                         const struct checkpoint_set *cps, int64_t head,
                                         struct audit_check *r)
{
	int64_t every, from, next, due;
	size_t i;

	/* r->why below is a message for people, of numbers: a cut only shortens it. */
	if (!cps->n) {
		every = d->audit_checkpoint_every;
		if (every > 0 && head >= every) {
			r->intact = false;
			snprintf(
			        r->why, sizeof(r->why),
			        "the checkpoint after event %lld is missing "
			        "(audit_checkpoint_every "
			        "is %lld and there is no checkpoint at all): the log may have been "
			        "cut or rewritten after it",
			        (long long)every, (long long)every);
		}
		return;
	}
	for (i = 0; i < cps->n; i++) {
		every = cps->v[i].c.every;
		from = cps->v[i].c.seq;
		next = i + 1 < cps->n ? cps->v[i + 1].c.seq : head + 1;
		if (every <= 0 || from > INT64_MAX - every)
			continue;
		due = (from / every + 1) * every;
		if (due >= next)
			continue;
		r->intact = false;
		snprintf(r->why, sizeof(r->why),
		         "the checkpoint after event %lld is missing (the checkpoint at event %lld "
		         "was signed with a checkpoint every %lld events%s): the log may have been "
		         "cut or rewritten after it",
		         (long long)due, (long long)from, (long long)every,
		         i + 1 == cps->n && d->audit_checkpoint_every != every
		                 ? "; config.json sets another interval now, which the next event "
		                   "appended signs"
		                 : "");
		return;
	}
}

int audit_log_verify(struct depository *d, struct audit_check *r, struct ok_error *err)
{
	struct checkpoint_set cps = {NULL, 0, 0, r};
	struct audit_checkpoint_keys keys = {0};
	struct walk w;
	int rc = 0;

	memset(r, 0, sizeof(*r));
	memset(&w, 0, sizeof(w));
	r->intact = true;
	/* Checkpoints first: the events walked afterwards include every event they sign. */
	rc = store_checkpoint_list(d->store, 0, from_store, &cps, err);
	if (!rc)
		rc = audit_checkpoints_file_read(d, from_file, &cps, err);
	if (rc == OK_EINPUT) {
		/* A damaged line of the file is a finding, not a failure to check. */
		r->intact = false;
		OK_COPY_ARRAY(r->why, err->message);
		ok_error_clear(err);
		rc = 0;
		goto out;
	}
	if (rc == 1 || rc == OK_ENOMEM) {
		if (rc == OK_ENOMEM)
			rc = ok_fail(err, OK_ENOMEM, "out of memory reading the checkpoints");
		else
			rc = 0;
		goto out;
	}
	if (rc)
		goto out;
	if (cps.n)
		qsort(cps.v, cps.n, sizeof(*cps.v), by_seq);
	if (cps.n && (rc = audit_checkpoints_keys_load(d, &keys, err)))
		goto out;
	if (!signatures_hold(d, &keys, &cps, r))
		goto out;
	w.r = r;
	w.cps = &cps;
	rc = store_audit_list(d->store, 0, check_event, &w, err);
	if (rc == 1)
		rc = 0;
	if (rc || !r->intact)
		goto out;
	if (w.next_cp < cps.n) {
		const struct known_checkpoint *k = &cps.v[w.next_cp];
		char signed_at[32], at[64];

		/* A message for people, of numbers and a date: a cut only shortens it. */
		audit_format_time(k->c.at_ms, signed_at);
		where(k, at, sizeof(at));
		r->intact = false;
		r->cut = true;
		r->broken_seq = w.prev_seq + 1;
		snprintf(r->why, sizeof(r->why),
		         "the log was cut after event %lld: checkpoint at %lld signed %s by issuer "
		         "key %lu (%s) holds event %lld",
		         (long long)w.prev_seq, (long long)k->c.seq, signed_at,
		         (unsigned long)k->c.key_id, at, (long long)k->c.seq);
		goto out;
	}
	periodic_checkpoints_present(d, &cps, w.prev_seq, r);
out:
	free(cps.v);
	return rc;
}

/* Listings */

struct event_list {
	struct audit_event *v;
	size_t n, cap;
};

static int list_add(void *ctx, const struct audit_event *e)
{
	struct event_list *l = ctx;

	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 64;
		void *v;
		if (cap > ABOUT_LEARNER_MAX)
			cap = ABOUT_LEARNER_MAX;
		if (l->n == cap)
			return OK_ETOOBIG;
		v = reallocarray(l->v, cap, sizeof(*l->v));
		if (!v)
			return OK_ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = *e;
	return 0;
}

static int event_by_seq(const void *a, const void *b)
{
	const struct audit_event *x = a, *y = b;

	return (x->seq > y->seq) - (x->seq < y->seq);
}

/* Ids gathered before querying (a listing's callback must not run other queries of its own
 * statement). */
struct id_list {
	char (*v)[STORE_ID_MAX + 1];
	size_t n, cap;
};

static int ids_add(struct id_list *l, const char *id)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 32;
		void *v = reallocarray(l->v, cap, sizeof(*l->v));
		if (!v)
			return OK_ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	if (ok_format(l->v[l->n], STORE_ID_MAX + 1, "%s", id))
		return OK_EINTERNAL; /* the store's ids are at most STORE_ID_MAX */
	l->n++;
	return 0;
}

static int achievement_id(void *ctx, const struct store_achievement *a)
{
	return ids_add(ctx, a->id);
}

static int share_id(void *ctx, const struct store_share *sh)
{
	return ids_add(ctx, sh->id);
}

/* The ids of a learner's shares. */
static int learner_share_ids(struct depository *d, const char *learner_id, struct id_list *out,
                             struct ok_error *err)
{
	return store_share_list_by_learner(d->store, learner_id, share_id, out, err);
}

int audit_log_about_learner(struct depository *d, const char *learner_id, store_audit_fn fn,
                            void *ctx, struct ok_error *err)
{
	struct event_list events = {0};
	struct id_list achievements = {0}, shares = {0};
	size_t i;
	int rc;

	rc = store_achievement_list_by_learner(d->store, learner_id, achievement_id, &achievements,
	                                       err);
	if (!rc)
		rc = learner_share_ids(d, learner_id, &shares, err);
	/* By subject only (the one index the log has): what the learner does in the portal and
	 * what is done through their shares is about them too (subject the learner, one of their
	 * achievements or shares), so no actor needs looking up. */
	if (!rc)
		rc = store_audit_by_subject(d->store, learner_id, list_add, &events, err);
	for (i = 0; !rc && i < achievements.n; i++)
		rc = store_audit_by_subject(d->store, achievements.v[i], list_add, &events, err);
	for (i = 0; !rc && i < shares.n; i++)
		rc = store_audit_by_subject(d->store, shares.v[i], list_add, &events, err);
	if (rc == OK_ENOMEM || rc == OK_ETOOBIG)
		rc = ok_fail(err, rc, "too many audit events about this learner to list (over %d)",
		             ABOUT_LEARNER_MAX);
	if (!rc) {
		if (events.n)
			qsort(events.v, events.n, sizeof(*events.v), event_by_seq);
		for (i = 0; !rc && i < events.n; i++) {
			/* Each event has one subject; a repeat would be a subject listed twice. */
			if (i && events.v[i].seq == events.v[i - 1].seq)
				continue;
			rc = fn(ctx, &events.v[i]);
		}
	}
	free(events.v);
	free(achievements.v);
	free(shares.v);
	return rc;
}

struct filtered {
	const struct audit_filter *f;
	store_audit_fn fn;
	void *ctx;
};

static bool actor_matches(const char *pattern, const char *actor)
{
	size_t n = strlen(pattern);

	if (n && pattern[n - 1] == '*')
		return strncmp(actor, pattern, n - 1) == 0;
	/* "institution:21PB" is also each of its keys, "institution:21PB/key:…". */
	return strncmp(actor, pattern, n) == 0 && (actor[n] == '\0' || actor[n] == '/');
}

static int keep_if(void *ctx, const struct audit_event *e)
{
	const struct filtered *x = ctx;

	if (e->seq <= x->f->after_seq || e->at_ms < x->f->since_ms ||
	    (x->f->actor && !actor_matches(x->f->actor, e->actor)))
		return 0;
	return x->fn(x->ctx, e);
}

int audit_log_list(struct depository *d, const struct audit_filter *f, store_audit_fn fn, void *ctx,
                   struct ok_error *err)
{
	struct filtered x = {f, fn, ctx};

	if (f->learner_id)
		return audit_log_about_learner(d, f->learner_id, keep_if, &x, err);
	/* Actors are not indexed (an index costs every append): the operator's listing walks. */
	return store_audit_list(d->store, f->after_seq, keep_if, &x, err);
}

/* Times */

static int digits(const char **p, int n, int *out)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if ((*p)[i] < '0' || (*p)[i] > '9')
			return -1;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return 0;
}

static bool leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int audit_parse_time(const char *text, const char *field, int64_t *ms, struct ok_error *err)
{
	static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	const char *p = text;
	int y, mo, dd, h = 0, mi = 0, s = 0, frac = 0, off = 0;
	struct tm tm;
	time_t t;

	if (digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) || *p++ != '-' ||
	    digits(&p, 2, &dd))
		goto bad;
	if (mo < 1 || mo > 12 || dd < 1 || dd > mdays[mo - 1] + (mo == 2 && leap(y)) || y < 1970)
		goto bad;
	if (*p == 'T' || *p == ' ') {
		p++;
		if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &mi) || h > 23 || mi > 59)
			goto bad;
		if (*p == ':') {
			p++;
			if (digits(&p, 2, &s) || s > 59)
				goto bad;
			if (*p == '.') {
				int n = 0, scale = 100;
				p++;
				while (*p >= '0' && *p <= '9' && n < 9) {
					frac += (*p - '0') * scale;
					scale /= 10;
					p++;
					n++;
				}
				if (!n)
					goto bad;
			}
		}
		if (*p == 'Z') {
			p++;
		} else if (*p == '+' || *p == '-') {
			int sign = *p == '-' ? -1 : 1, oh, om;
			p++;
			if (digits(&p, 2, &oh) || *p++ != ':' || digits(&p, 2, &om) || oh > 23 ||
			    om > 59)
				goto bad;
			off = sign * (oh * 60 + om);
		}
	}
	if (*p)
		goto bad;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = dd;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = s;
	t = timegm(&tm);
	*ms = ((int64_t)t - (int64_t)off * 60) * 1000 + frac;
	return 0;
bad:
	return ok_fail_field(err, OK_EINPUT, field,
	                     "%s takes an ISO 8601 date (2026-01-31) or date-time "
	                     "(2026-01-31T14:30:00Z, or with an offset such as +01:00)",
	                     field);
}
