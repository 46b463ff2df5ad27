/* A verification's status check without a read while nothing was committed: each connection
 * keeps the set of revoked and suspended records (by credential id and by status slot), valid
 * while SQLite's WAL-index header (shared memory every connection maps) stays byte-identical.
 *
 * Why that is exact: every write transaction that commits, on any connection of any process,
 * rewrites the header (https://www.sqlite.org/walformat.html, "The WAL-Index Header": iChange
 * grows by one, mxFrame and the checksums change; a WAL reset changes the salts) before its
 * commit returns. The header is read before the statement that loads the set, so a commit
 * between the two makes the next check see another header: the set is then read again. A
 * connection inside a write transaction reads; the set is loaded only outside any read
 * transaction (its statement's snapshot then is at least as new as the header), or inside a
 * request's read snapshot (store_read_begin) that began under the same header. While
 * a connection has the database open in WAL mode no other can leave WAL mode or write without
 * the shared memory (locking_mode EXCLUSIVE): SQLite answers them "database is locked". */
#include "store/sqlite_internal.h"

#include <stdlib.h>
#include <string.h>

/* At most this many entries (credentials and slots together) and bytes of credential ids: a
 * depository with more revoked or suspended records reads, as before. Bounds each connection's
 * set (about 1.5 MiB at most) and the CPU of one load (a few ms). */
#define STATUSMEM_MAX_ENTRIES  16384
#define STATUSMEM_MAX_ID_BYTES (1u << 20)
/* After a load failed (too large, out of memory, the statement), this many checks read before
 * it is tried again. */
#define STATUSMEM_TOO_LARGE_SKIP 4096
/* The WAL-index header: two copies of 48 bytes at the start of the -shm file. */
#define WAL_HDR_WORDS 12
#define WALINDEX_PGSZ 32768

enum { MEM_REVOKED = 1, MEM_SUSPENDED = 2 };

struct mem_cred {
	size_t off; /* of its id in pool, while loading */
	const char *id;
	int64_t list;
	int64_t index;
	int status;
};

struct mem_slot {
	int64_t list;
	int64_t index;
	int status;
};

struct sqlite_statusmem {
	bool loaded;
	uint32_t hdr[WAL_HDR_WORDS]; /* the header the set was loaded under */
	bool seen_known;
	uint32_t seen[WAL_HDR_WORDS]; /* the header the last check found */
	bool begin_known;
	uint32_t begin[WAL_HDR_WORDS]; /* the header before the read snapshot began */
	unsigned skip;
	/* Checks that found the header unchanged since it last changed, and how many must before
	 * a load: as many as the last load read rows, so that a depository that commits often
	 * (rate-limit counts, share views' audit events, imports) pays a load, whose cost grows
	 * with its rows, at most once per that many checks that read as before. */
	size_t stable, need;
	struct mem_cred *cred;
	size_t ncred, cred_cap;
	struct mem_slot *slot;
	size_t nslot, slot_cap;
	char *pool;
	size_t pool_len, pool_cap;
};

/* The revoked and suspended records: each credential issued for an achievement that is not
 * active (kind 0), each slot of such an achievement or VC-API credential (kind 1). The partial
 * indexes on status <> 'active' keep this from scanning the active rows. One statement: one
 * read snapshot. */
struct mem_row {
	int64_t kind;
	char id[STORE_CREDENTIAL_ID_MAX + 2];
	int64_t id_len;
	char status[STORE_STATUS_MAX];
	int64_t status_list;
	int64_t status_index;
};
static const struct sqlite_col mem_col[] = {
        SQLITE_COL(struct mem_row, kind, SQ_INT),
        SQLITE_COL(struct mem_row, id, SQ_TEXT),
        SQLITE_COL(struct mem_row, id_len, SQ_INT),
        SQLITE_COL(struct mem_row, status, SQ_TEXT),
        SQLITE_COL(struct mem_row, status_list, SQ_INT),
        SQLITE_COL(struct mem_row, status_index, SQ_INT),
};
static const struct sqlite_cols mem_cols = SQLITE_COLS(mem_col);
static const struct sqlite_query STATUS_MEM = {
        ST_STATUS_MEM,
        "SELECT 0 AS kind, c.credential_id AS id, length(CAST(c.credential_id AS BLOB)) AS id_len, "
        "a.status AS status, a.status_list AS status_list, a.status_index AS status_index "
        "FROM achievement a INDEXED BY achievement_status_changed "
        "JOIN issued_credential c ON c.achievement_id = a.id WHERE a.status <> 'active' "
        "UNION ALL SELECT 1, '', 0, status, status_list, status_index FROM achievement "
        "INDEXED BY achievement_status_changed WHERE status <> 'active' AND status_index >= 0 "
        "UNION ALL SELECT 1, '', 0, status, status_list, status_index FROM vc_status "
        "INDEXED BY vc_status_changed WHERE status <> 'active' LIMIT ?",
        "read the revoked and suspended records", NULL, &mem_cols};

/* The arrays given back: a set that could not load holds no memory. */
static void release(struct sqlite_statusmem *m)
{
	free(m->cred);
	free(m->slot);
	free(m->pool);
	m->cred = NULL;
	m->slot = NULL;
	m->pool = NULL;
	m->ncred = m->cred_cap = m->nslot = m->slot_cap = m->pool_len = m->pool_cap = 0;
}

void sqlite_statusmem_free(struct sqlite_statusmem *m)
{
	if (!m)
		return;
	release(m);
	free(m);
}

/* The WAL-index header as SQLite's own readers take it: the first copy, a barrier, the second;
 * false when the two differ (a writer is between them) or the header is not initialised, or
 * the connection has no shared memory (not in WAL mode). No system call: the connection maps
 * the region when it first reads, and keeps it until it closes. */
static bool wal_header(struct store_sqlite *s, uint32_t out[WAL_HDR_WORDS])
{
	sqlite3_file *f = NULL;
	void volatile *p = NULL;
	const uint32_t *w;
	uint32_t second[WAL_HDR_WORDS];
	size_t i;

	if (!s->wal ||
	    sqlite3_file_control(s->db, "main", SQLITE_FCNTL_FILE_POINTER, &f) != SQLITE_OK || !f ||
	    !f->pMethods || f->pMethods->iVersion < 2 || !f->pMethods->xShmMap)
		return false;
	if (f->pMethods->xShmMap(f, 0, WALINDEX_PGSZ, 0, &p) != SQLITE_OK || !p)
		return false;
	w = (const uint32_t *)(uintptr_t)p;
	for (i = 0; i < WAL_HDR_WORDS; i++)
		out[i] = __atomic_load_n(&w[i], __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	for (i = 0; i < WAL_HDR_WORDS; i++)
		second[i] = __atomic_load_n(&w[WAL_HDR_WORDS + i], __ATOMIC_RELAXED);
	/* isInit: the first byte of the fourth word */
	return memcmp(out, second, sizeof(second)) == 0 && ((const unsigned char *)&out[3])[0] != 0;
}

static int cmp_cred(const void *a, const void *b)
{
	return strcmp(((const struct mem_cred *)a)->id, ((const struct mem_cred *)b)->id);
}

static int cmp_slot(const void *a, const void *b)
{
	const struct mem_slot *x = a, *y = b;

	if (x->list != y->list)
		return x->list < y->list ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

/* The new capacity for one more entry than n (cap now): doubled, from 64. */
static size_t next_cap(size_t cap, size_t n)
{
	return n < cap ? cap : cap ? cap * 2 : 64;
}

static bool add_slot(struct sqlite_statusmem *m, const struct mem_row *r, int status)
{
	size_t cap = next_cap(m->slot_cap, m->nslot);

	if (cap != m->slot_cap) {
		struct mem_slot *q = realloc(m->slot, cap * sizeof(*q));

		if (!q)
			return false;
		m->slot = q;
		m->slot_cap = cap;
	}
	m->slot[m->nslot++] = (struct mem_slot){r->status_list, r->status_index, status};
	return true;
}

static bool add_cred(struct sqlite_statusmem *m, const struct mem_row *r, int status)
{
	size_t n = strlen(r->id), cap = next_cap(m->cred_cap, m->ncred);

	/* An id longer than any looked up, or holding a NUL, never matches one: left out. */
	if (n > STORE_CREDENTIAL_ID_MAX || (int64_t)n != r->id_len)
		return true;
	if (m->pool_len + n + 1 > STATUSMEM_MAX_ID_BYTES)
		return false;
	while (m->pool_len + n + 1 > m->pool_cap) {
		size_t want = m->pool_cap ? m->pool_cap * 2 : 4096;
		char *q = realloc(m->pool, want);

		if (!q)
			return false;
		m->pool = q;
		m->pool_cap = want;
	}
	if (cap != m->cred_cap) {
		struct mem_cred *q = realloc(m->cred, cap * sizeof(*q));

		if (!q)
			return false;
		m->cred = q;
		m->cred_cap = cap;
	}
	memcpy(m->pool + m->pool_len, r->id, n + 1);
	m->cred[m->ncred++] =
	        (struct mem_cred){m->pool_len, NULL, r->status_list, r->status_index, status};
	m->pool_len += n + 1;
	return true;
}

/* Reads the set; false when it cannot (too large, out of memory, an error: the caller reads). */
static bool load(struct store_sqlite *s, struct sqlite_statusmem *m)
{
	struct ok_error err;
	struct mem_row r;
	size_t i, rows = 0;
	bool ok = true;
	int rc;

	/* An open read transaction (a request's snapshot that has read, or a statement still
	 * stepping) may be older than the header just read: so would the set. Unless it began
	 * after the header was last seen the same as now (sqlite_statusmem_begin): then its state
	 * is the header's. Else read instead. */
	if (sqlite3_txn_state(s->db, "main") != SQLITE_TXN_NONE &&
	    !(s->reading && m->begin_known && memcmp(m->begin, m->seen, sizeof(m->seen)) == 0))
		return false;
	m->ncred = m->nslot = m->pool_len = 0;
	ok_error_clear(&err);
	/* One row past the cap says the set is too large (the statement stops there). */
	rc = sqlite_query(s, &STATUS_MEM, SQLITE_ARGS(SQ_ARG_INT(STATUSMEM_MAX_ENTRIES + 1)), &err);
	while (!rc && ok && (rc = sqlite_next(s, &STATUS_MEM, &r, &err)) > 0) {
		int status = strcmp(r.status, "revoked") == 0     ? MEM_REVOKED
		             : strcmp(r.status, "suspended") == 0 ? MEM_SUSPENDED
		                                                  : 0;

		rc = 0;
		if (++rows > STATUSMEM_MAX_ENTRIES) {
			ok = false;
		} else if (status &&
		           !(r.kind == 1 ? add_slot(m, &r, status) : add_cred(m, &r, status))) {
			ok = false;
		}
	}
	rc = sqlite_end(s, &STATUS_MEM, rc < 0 ? rc : 0);
	if (rc || !ok) {
		m->skip = STATUSMEM_TOO_LARGE_SKIP;
		release(m);
		return false;
	}
	m->need = rows ? rows : 1;
	for (i = 0; i < m->ncred; i++)
		m->cred[i].id = m->pool + m->cred[i].off;
	if (m->ncred)
		qsort(m->cred, m->ncred, sizeof(*m->cred), cmp_cred);
	if (m->nslot)
		qsort(m->slot, m->nslot, sizeof(*m->slot), cmp_slot);
	return true;
}

/* Whether the set may answer now: loaded under the header the database has now. When the
 * header changed since the last check, this check reads; the set is read again once the header
 * has stayed the same for as many checks as the last load read rows (need): a depository that
 * commits between most checks then pays what it paid before, plus at most one load's rows per
 * that many reads (a row of a load costs less than a read), never a load per commit. */
static struct sqlite_statusmem *ready(struct store_sqlite *s)
{
	struct sqlite_statusmem *m = s->statusmem;
	uint32_t h[WAL_HDR_WORDS];

	/* In a write transaction the connection's own writes are not in the header yet. A read
	 * snapshot (store_read_begin) may answer: the set is as new as the database, at least as
	 * new as the snapshot, and a verification asks for the newest state. */
	if ((!sqlite3_get_autocommit(s->db) && !s->reading) ||
	    sqlite3_txn_state(s->db, "main") == SQLITE_TXN_WRITE || !wal_header(s, h))
		return NULL;
	if (!m && !(m = s->statusmem = calloc(1, sizeof(*m))))
		return NULL;
	if (m->loaded && memcmp(h, m->hdr, sizeof(h)) == 0)
		return m;
	m->loaded = false;
	if (m->skip) {
		m->skip--;
		return NULL;
	}
	if (!m->seen_known || memcmp(h, m->seen, sizeof(h)) != 0) {
		memcpy(m->seen, h, sizeof(h));
		m->seen_known = true;
		m->stable = 0;
		return NULL;
	}
	if (++m->stable < m->need)
		return NULL;
	if (!load(s, m))
		return NULL;
	memcpy(m->hdr, h, sizeof(h));
	m->loaded = true;
	return m;
}

static void set_word(char out[STORE_STATUS_MAX], int status)
{
	const char *w = status == MEM_REVOKED ? "revoked" : "suspended";

	memcpy(out, w, strlen(w) + 1);
}

void sqlite_statusmem_begin(struct store_sqlite *s)
{
	struct sqlite_statusmem *m = s->statusmem;

	/* No read transaction open yet (no statement still stepping): the snapshot will be taken
	 * by the first statement after this, at this header or a later one. */
	if (m)
		m->begin_known = sqlite3_txn_state(s->db, "main") == SQLITE_TXN_NONE &&
		                 wal_header(s, m->begin);
}

bool sqlite_credential_status_mem(struct store *base, const char *credential_id,
                                  struct store_credential_status *out)
{
	struct sqlite_statusmem *m = ready(sq(base));
	struct mem_cred key = {.id = credential_id};
	const struct mem_cred *c;

	if (!m)
		return false;
	c = m->ncred ? bsearch(&key, m->cred, m->ncred, sizeof(*m->cred), cmp_cred) : NULL;
	out->status[0] = '\0';
	out->status_list = 0;
	out->status_index = -1;
	if (c) {
		set_word(out->status, c->status);
		out->status_list = c->list;
		out->status_index = c->index;
	}
	return true;
}

bool sqlite_slot_status_mem(struct store *base, int64_t list, int64_t index,
                            char status[STORE_STATUS_MAX])
{
	struct sqlite_statusmem *m = ready(sq(base));
	struct mem_slot key = {list, index, 0};
	const struct mem_slot *e;

	if (!m)
		return false;
	e = m->nslot ? bsearch(&key, m->slot, m->nslot, sizeof(*m->slot), cmp_slot) : NULL;
	status[0] = '\0';
	if (e)
		set_word(status, e->status);
	return true;
}
