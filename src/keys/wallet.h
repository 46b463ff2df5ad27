/* The depository's key for wallet credentials (SD-JWT VC, ES256) and its X.509 chain, in the
 * data folder: wallet.key (the P-256 private scalar as one "ID HEX" line, the key files' format
 * of keyfile.h: mode 0600, written atomically) and wallet-chain.pem (the issuer certificate
 * first, then its CA's; 0600 too).
 *
 * Invariants: the chain's first certificate is the key's (checked when either is written and
 * when they are loaded); a chain made here is a local CA's, for demos and tests, and an
 * installed one a CA's, checked to link and to be in date.
 */
#ifndef OK_KEYS_WALLET_H
#define OK_KEYS_WALLET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/error.h"
#include "jose/jwk.h"
#include "jose/jws.h"
#include "jose/x509.h"
#include "keys/keyfile.h"

#define KEYS_WALLET_KEY     "wallet.key"
#define KEYS_WALLET_CHAIN   "wallet-chain.pem"
#define KEYS_WALLET_DAYS    825 /* a local chain's lifetime */
#define KEYS_WALLET_PEM_MAX ((size_t)64 << 10)

/*
 * Makes a new P-256 wallet key and a local chain whose issuer certificate names host (without
 * its port; NULL, "" or an IPv6 literal: localhost) and name, in folder dir; OK_EEXIST when dir has
 * a wallet key already.
 */
int keys_wallet_create(const char *dir, const char *host, const char *name, int64_t now,
                       struct ok_error *err);

/*
 * Installs a CA-issued chain (PEM, issuer certificate first) and its private key (PEM: PKCS#8
 * or SEC1, not encrypted) in dir, replacing the wallet key and chain there: only after the key
 * is P-256, matches the first certificate, and the chain links and is in date at now.
 */
int keys_wallet_install(const char *dir, const char *chain_pem, size_t chain_len,
                        const char *key_pem, size_t key_len, int64_t now, struct ok_error *err);

/* Loads the wallet key into s (released by the caller) and, when chain is not NULL, appends the
 * chain's PEM to it. OK_ENOTFOUND when dir has no wallet key. */
int keys_wallet_load(const char *dir, struct jose_signer *s, struct buf *chain,
                     struct ok_error *err);

/*
 * What one loader remembers between loads (zeroed: nothing): the SHA-256 of the key and chain
 * it last checked, so that the same files read again skip the chain's check (most of a load's
 * work: every certificate parsed and verified), and the chain's root as PEM. Compared by
 * content, never by time or name: a key or chain replaced is checked again. Not shared between
 * threads (one per depository, and a depository per thread).
 */
#define KEYS_WALLET_ROOT_MAX 8192
struct keys_wallet_memo {
	uint8_t checked[32];
	bool valid;
	char root[KEYS_WALLET_ROOT_MAX]; /* the chain's last certificate, PEM ("" when none) */
	size_t root_len;
};

/* keys_wallet_load with memo (NULL: none); root, when not NULL, gets the chain's root (PEM)
 * appended. */
int keys_wallet_load_memo(const char *dir, struct keys_wallet_memo *memo, struct jose_signer *s,
                          struct buf *chain, struct buf *root, struct ok_error *err);

/*
 * What SD-JWT VC verification keeps between calls (zeroed: nothing; released with
 * keys_wallet_trust_release; one per depository, not shared between threads): the trusted
 * roots (the wallet chain's root, then the file KEYS_WALLET_ROOTS), the wallet key's public
 * point, the x5c chains validated against those roots (jose/x509.h) and the issuers' headers
 * parsed (jose/jws.h). The files are read
 * again when any of wallet.key, wallet-chain.pem and KEYS_WALLET_ROOTS is added, removed or
 * changes on disk (device, inode, size, modification time: a file replaced or rewritten), and
 * the chains are validated again when the roots change.
 */
#define KEYS_WALLET_ROOTS     "wallet-roots.pem"
#define KEYS_WALLET_ROOTS_MAX ((size_t)256 << 10)
struct keys_wallet_trust {
	bool loaded;
	bool present[3]; /* wallet.key, wallet-chain.pem, wallet-roots.pem */
	struct keyfile_stamp stamps[3];
	bool has_own; /* the folder has a wallet key (and a chain that is its own) */
	uint8_t own_point[JOSE_X509_POINT_BYTES];
	char *roots; /* PEM, owned; NULL when there are none */
	size_t roots_len;
	struct jose_x509_memo chains;
	struct jose_jws_header_memo headers; /* the issuers' protected headers, parsed */
	/* For keys_wallet_trust_refresh_watched: the watch's count at the last look, and whether
	 * each file was then absent or a plain file of one name (whose every change raises an
	 * event in the folder). */
	uint64_t watch_seen;
	bool plain;
};

/* Brings t up to date with the files of dir (a no-op while none changed). A wallet key that
 * cannot be loaded counts as none; a roots file that cannot be read is an error. */
int keys_wallet_trust_refresh(const char *dir, struct keys_wallet_trust *t, struct ok_error *err);
/*
 * The same for a caller that follows dir's changes (depository/key_watch.h): changes is the
 * watch's count, taken before this call. While it is the count of the last look, and the three
 * files were then absent or plain files of one name, nothing is looked at; otherwise as
 * keys_wallet_trust_refresh.
 */
int keys_wallet_trust_refresh_watched(const char *dir, struct keys_wallet_trust *t,
                                      uint64_t changes, struct ok_error *err);
void keys_wallet_trust_release(struct keys_wallet_trust *t);

#endif
