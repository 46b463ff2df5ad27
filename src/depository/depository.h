/* The depository as the use cases see it: its data folder, store, keys and configuration.
 *
 * Data folder layout (created by depository_create, mode 0700):
 *   config.json   host, store URL, display name
 *   data.key      the data key that seals personal fields (0600)
 *   issuer.key    the Ed25519 seed the depository signs credentials with (0600)
 *   oorkonde.db   the embedded SQLite store (with its -wal and -shm files)
 *
 * Invariants: an open depository has a store, derived sealing keys and the issuer seed; all are
 * released by depository_close(). Callers must have called sodium_init().
 */
#ifndef OK_DEPOSITORY_DEPOSITORY_H
#define OK_DEPOSITORY_DEPOSITORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "privacy/seal.h"
#include "keys/keyfile.h"
#include "keys/wallet.h"
#include "depository/key_watch.h"
#include "store/store.h"
#include "vc/jsonld_fast.h"
#include "vc/proof.h"

#define DEPOSITORY_HOST_MAX        253
#define DEPOSITORY_NAME_MAX        200
#define DEPOSITORY_ISSUER_KEYS_MAX KEYFILE_MAX_KEYS
/* config.json "audit_checkpoint_every" (audit/checkpoint.h): events, 0 for none but at shutdown
 * and by hand. */
#define DEPOSITORY_CHECKPOINT_EVERY_DEFAULT 10000
#define DEPOSITORY_CHECKPOINT_EVERY_MAX     1000000000
/* config.json "session_idle_s" and "login_link_ttl_s" (portal/portal.h): seconds, 1..86400. */
#define DEPOSITORY_SESSION_IDLE_S_DEFAULT   1800
#define DEPOSITORY_LOGIN_LINK_TTL_S_DEFAULT 900
/* OpenID4VP verifier requests (oid4vp/verifier.h): how long a wallet may answer, how long
 * the result is kept. */
#define DEPOSITORY_VERIFIER_REQUEST_TTL_S_DEFAULT 600
#define DEPOSITORY_VERIFIER_RESULT_TTL_S_DEFAULT  3600
#define DEPOSITORY_CONFIG_S_MAX                   86400
/* config.json "vc_status_issuance_per_hour" (registry/vc_status.h): credentials an institution
 * may have issued with status through the VC-API in any hour, 0 for no cap. */
#define DEPOSITORY_VC_STATUS_PER_HOUR_DEFAULT 10000
#define DEPOSITORY_VC_STATUS_PER_HOUR_MAX     100000000

/* The public half of one signing key of issuer.key. */
struct depository_issuer_key {
	uint32_t id;
	unsigned char pk[32];
};

struct depository {
	char *dir;                     /* owned */
	struct store *store;           /* owned */
	struct seal_keys keys;         /* derived from data.key */
	unsigned char issuer_seed[32]; /* from issuer.key */
	unsigned char issuer_pk[32];   /* its Ed25519 public key, derived once at open */
	char issuer_did[256];          /* the depository's DID and verification method, */
	char issuer_vm[256];           /* worked out at open (see registry_identity) */
	uint32_t issuer_key_id;
	/* The wallet key's last checked chain (keys/wallet.h), so that loading it again per request
	 * does not check the same chain again. */
	struct keys_wallet_memo wallet_memo;
	/* SD-JWT VC verification's trusted roots, own key and validated chains (keys/wallet.h). */
	struct keys_wallet_trust wallet_trust;
	char host[DEPOSITORY_HOST_MAX + 1]; /* "" when the identity is did:key */
	/* Where the depository is reached, for URLs in credentials (status lists): config
	 * "base_url", else https://HOST (http:// for loopback hosts), else http://127.0.0.1:8080.
	 */
	char base_url[DEPOSITORY_HOST_MAX + 16];
	long status_ttl_s; /* how long others may cache our status lists: config status_ttl_s */
	/* How long this depository keeps other depositories' DID documents and status lists at
	 * most (a shorter max-age of theirs wins): config did_cache_ttl_s, status_cache_ttl_s. */
	long did_cache_ttl_s;
	long status_cache_ttl_s;
	/* The learner portal (portal/portal.h): config session_idle_s, login_link_ttl_s. */
	long session_idle_s;
	long login_link_ttl_s;
	/* The verifier (oid4vp/): config verifier_request_ttl_s, verifier_result_ttl_s. */
	long verifier_request_ttl_s;
	long verifier_result_ttl_s;
	/* config verifier_open: POST /v1/verifier/requests also without an API key (the requester
	 * named as stated, not verified); false by default (review W2). */
	bool verifier_open;
	/* VC-API issuances with status per institution and hour (0: no cap): config
	 * vc_status_issuance_per_hour. */
	long vc_status_per_hour;
	/* config allow_login_links: whether operators' one-time sign-in links work (a tool for
	 * support and tests; learners sign in with an OpenID provider). Off by default. */
	bool allow_login_links;
	/* Hosts whose plain http:// URLs EMREX accepts as if they were https:// (contact points'
	 * URLs in the registry, clients' returnUrl): config emrex_test_hosts, a list of
	 * "host[:port]", for test servers on loopback. Comma-separated here. */
	char emrex_test_hosts[512];
	/* Wallet issuance (oid4vci/oid4vci.h): config wallet_dpop_required (access tokens only
	 * for DPoP proofs) and wallet_pin (offers carry a transaction code: on unless config
	 * sets false; the CLI's --pin/--no-pin choose per offer). */
	bool wallet_dpop_required;
	bool wallet_pin;
	/* Hosts whose did:web documents are fetched over plain HTTP (test hosts on loopback):
	 * config did_web_http_hosts, a list of "host[:port]". Comma-separated here. */
	char did_web_http_hosts[512];
	char network_did[256]; /* config network_did: who signs the network's trust list, or "" */
	/* The cryptosuite of the Data Integrity proofs the depository makes when none is asked for
	 * (config cryptosuite: "eddsa-rdfc-2022", the default, or "eddsa-jcs-2022"). */
	enum vc_suite cryptosuite;
	char name[DEPOSITORY_NAME_MAX + 1];
	/* Audit checkpoints (audit/checkpoint.h): one every audit_checkpoint_every events
	 * (config audit_checkpoint_every; 0: only at shutdown and by hand); checkpoint_unfiled
	 * while one this depository made waits to be appended to the checkpoint file. */
	int64_t audit_checkpoint_every;
	bool checkpoint_unfiled;
	/* Set by a layer above that has work to finish before the store closes (audit/ files a
	 * checkpoint that committed late); depository_close calls it first. NULL: nothing. */
	void (*before_close)(struct depository *d);
	/* Benchmark only (OORKONDE_BENCH_AUDIT_OFF=1, read by main and set by the front end after
	 * opening): no audit events at all, to measure what auditing costs. Honoured only by a
	 * build with -Dtest_hooks=true: in any other every event is written. */
	bool bench_audit_off;
	/* Set by a server (audit/group.h): the one writer thread that appends the events of
	 * frequent public reads (share views) in group commits. NULL: each in its own transaction.
	 */
	struct audit_group *audit_group;
	/*
	 * Key rotation (registry/rotation.h). data_keys holds every key of data.key (keys above is
	 * a copy of its current one); issuer_keys the public half of every key of issuer.key, in
	 * file order (issuer_seed, issuer_pk, issuer_key_id and issuer_vm above are the current
	 * one's). Both are read again when their file changes (depository_keys_refresh).
	 */
	struct seal_keyring data_keys;
	struct depository_issuer_key issuer_keys[DEPOSITORY_ISSUER_KEYS_MAX];
	size_t issuer_key_count;
	struct keyfile_stamp data_key_stamp, issuer_key_stamp;
	/* The pinned JSON-LD contexts' terms (vc/jsonld_fast.h), made as verifications need them
	 * and shared by the server's threads, so that the data model's "every term defined" check
	 * is a lookup per key. NULL (out of memory at open) only makes that check slower. */
	struct vc_jsonld_terms *jsonld_terms;
	/* Set by a server (depository/key_watch.h, shared by its depositories, not owned): tells
	 * when a key file changed, so that depository_keys_refresh looks at the files only then.
	 * NULL: it looks (one stat of each) at every call. key_watch_seen: the watch's count when
	 * this depository last looked. */
	struct depository_key_watch *key_watch;
	uint64_t key_watch_seen;
	/* When each refresh last looked at the key files (the coarse clock, core/clock.h), and
	 * whether looks are spaced by DEPOSITORY_KEYS_LOOK_MS (a folder on a local file system)
	 * or taken at every refresh. */
	bool keys_look_spaced;
	struct depository_keys_look {
		bool done;
		int64_t at_ms;
	} data_keys_look, issuer_keys_look;
};

/* Creates a new data folder; refuses (OK_EEXIST) when dir exists and is not empty. */
int depository_create(const char *dir, const char *host, struct ok_error *err);
/* The same, naming the depository (config "name": the issuer's name in its credentials and the
 * name on its pages); NULL for the default, "oorkonde depository". */
int depository_create_named(const char *dir, const char *host, const char *name,
                            struct ok_error *err);
/* The same, with the records in the store at store_url (config "store"): NULL for the embedded
 * SQLite oorkonde.db, or a PostgreSQL URL or connection string (store_url_is_pg), whose
 * database must exist and hold no depository yet; the keys stay in the folder either way. */
int depository_create_in(const char *dir, const char *host, const char *name, const char *store_url,
                         struct ok_error *err);

/* Sets the boolean setting name of config.json in dir (the rest kept), replacing the file in one
 * rename; a depository open on dir reads it at its next open. */
int depository_config_set_bool(const char *dir, const char *name, bool value, struct ok_error *err);

/* Opens an existing data folder, reading config.json whole (the settings of audit/ and
 * portal/ too: OK_EINPUT naming the field when one is out of range). */
int depository_open(struct depository *d, const char *dir, struct ok_error *err);
/* Calls d->before_close when set, then closes the store and wipes the keys. */
void depository_close(struct depository *d);
/*
 * OK_EAUTH when group or others have any access to the data folder or to a file in it that
 * holds keys or records (the message names it and the chmod that fixes it). A server checks
 * this before it serves.
 */
int depository_check_private(const char *dir, struct ok_error *err);

/* Keys */

/*
 * How often a depository looks at its key files (data.key, issuer.key) for a change: at most
 * every DEPOSITORY_KEYS_LOOK_MS, so that a verification or a signature in between makes no
 * system call for them. A key command in any process (keys rotate-data-key, rotate-issuer-key,
 * retire-issuer-key) waits DEPOSITORY_KEYS_LOOK_MS and a little more after it replaced a file
 * (depository_keys_replaced), so its change is seen by every request that starts after it
 * returned, in every process; a file put back by hand is seen within DEPOSITORY_KEYS_LOOK_MS.
 * On a network file system (another machine's change, another machine's clock) every refresh
 * looks, as before.
 */
#define DEPOSITORY_KEYS_LOOK_MS 100

/*
 * Reads data.key and issuer.key again when either was replaced since it was read, when a look
 * is due (above): one stat(2) of each, or with a key watch one poll of it, and the files read
 * only after a change. A writer calls it after store_begin and before it seals or signs, so
 * that it never seals under a data key that a finished rotation has removed, and signs with
 * the current issuer key.
 */
int depository_keys_refresh(struct depository *d, struct ok_error *err);
/*
 * The same for issuer.key alone, for a reader that uses no data key (a verification of a W3C
 * credential: its own keys and DID); with a key watch depository_keys_refresh (one poll for
 * both files).
 */
int depository_issuer_keys_refresh(struct depository *d, struct ok_error *err);
/* Waits until every process of the folder will have looked at the key files again
 * (DEPOSITORY_KEYS_LOOK_MS and a margin), and makes d's next refresh look: a key command calls
 * it after it replaced a file, before it returns. */
void depository_keys_replaced(struct depository *d);
/*
 * The data key key_id, reading data.key again once when it is not known (records re-sealed
 * by a rotation in another process). NULL with OK_ECRYPTO in err when data.key does not hold
 * it: the message names the key, never a value.
 */
const struct seal_keys *depository_data_key(struct depository *d, uint32_t key_id,
                                            struct ok_error *err);
/*
 * The verification method id of issuer key key_id: "did:web:HOST#key-N" (did:key: only the
 * current key has one). OK_ENOTFOUND when issuer.key does not hold key_id.
 */
int depository_issuer_vm(const struct depository *d, uint32_t key_id, char vm[256],
                         struct ok_error *err);
/* The issuer key whose verification method id is vm: its public key and id; false when vm is
 * not one of issuer.key's keys. */
bool depository_issuer_key_of_vm(const struct depository *d, const char *vm, unsigned char pk[32],
                                 uint32_t *key_id);

/*
 * A fresh record id: 24 lower-case hex characters, the creation time in milliseconds (48 bits)
 * then 48 random bits. depository_id_from takes the random bits from the caller (who may draw
 * them in bulk).
 */
void depository_new_id(char out[25]);
/* Whether id has the form of a record id (1..STORE_ID_MAX of a-z, 0-9, '-', '_'): what a
 * front end checks before it looks one up. */
bool depository_id_valid(const char *id);
void depository_id_from(const unsigned char random[6], char out[25]);

#endif
