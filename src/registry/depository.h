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
#ifndef OK_REGISTRY_DEPOSITORY_H
#define OK_REGISTRY_DEPOSITORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "privacy/seal.h"
#include "store/store.h"

#define DEPOSITORY_HOST_MAX 253
#define DEPOSITORY_NAME_MAX 200

struct depository {
	char *dir;                     /* owned */
	struct store *store;           /* owned */
	struct seal_keys keys;         /* derived from data.key */
	unsigned char issuer_seed[32]; /* from issuer.key */
	unsigned char issuer_pk[32];   /* its Ed25519 public key, derived once at open */
	char issuer_did[256];          /* the depository's DID and verification method, */
	char issuer_vm[256];           /* worked out at open (see registry_identity) */
	uint32_t issuer_key_id;
	char host[DEPOSITORY_HOST_MAX + 1]; /* "" when the identity is did:key */
	/* Where the depository is reached, for URLs in credentials (status lists): config
	 * "base_url", else https://HOST (http:// for loopback hosts), else http://127.0.0.1:8080.
	 */
	char base_url[DEPOSITORY_HOST_MAX + 16];
	long status_ttl_s; /* how long others may cache our status lists: config status_ttl_s */
	/* Hosts whose did:web documents are fetched over plain HTTP (test hosts on loopback):
	 * config did_web_http_hosts, a list of "host[:port]". Comma-separated here. */
	char did_web_http_hosts[512];
	char network_did[256]; /* config network_did: who signs the network's trust list, or "" */
	char name[DEPOSITORY_NAME_MAX + 1];
};

/* Creates a new data folder; refuses (OK_EEXIST) when dir exists and is not empty. */
int depository_create(const char *dir, const char *host, struct ok_error *err);

/* Opens an existing data folder. */
int depository_open(struct depository *d, const char *dir, struct ok_error *err);
void depository_close(struct depository *d);

/*
 * Appends one audit event after the current chain head. Call inside a transaction of the
 * caller's, or with own_transaction true to have it committed on its own.
 */
int depository_audit(struct depository *d, const char *actor, const char *action,
                     const char *subject, const char *purpose, const char *detail,
                     bool own_transaction, struct ok_error *err);

/*
 * A fresh record id: 24 lower-case hex characters, the creation time in milliseconds (48 bits)
 * then 48 random bits. depository_id_from takes the random bits from the caller (who may draw
 * them in bulk).
 */
void depository_new_id(char out[25]);
void depository_id_from(const unsigned char random[6], char out[25]);

#endif
