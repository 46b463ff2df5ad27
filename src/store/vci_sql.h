/* SQL shared by the two back ends of the wallet-issuance area (store_sqlite_vci.c,
 * store_pg_vci.c): each row's columns once (an X-macro, X(field, type) with the back end's type
 * names), and the statements both dialects spell the same but for their parameters, written with
 * P(n) for parameter n (SQLite ?n, PostgreSQL $n). Internal to src/store/. */
#ifndef OK_STORE_VCI_SQL_H
#define OK_STORE_VCI_SQL_H

#define VCI_OFFER_COLS                                                                     \
	"id, offer_hash, code_hash, pin_hash, learner_id, achievements, vct, created_by, " \
	"pin_tries, created_ms, expires_ms, redeemed_ms"
#define VCI_OFFER_COLUMNS(X, TEXT, BLOB, INT)                                            \
	X(id, TEXT)                                                                      \
	X(offer_hash, BLOB) X(code_hash, BLOB) X(pin_hash, BLOB) X(learner_id, TEXT)     \
	        X(achievements, TEXT) X(vct, TEXT) X(created_by, TEXT) X(pin_tries, INT) \
	                X(created_ms, INT) X(expires_ms, INT) X(redeemed_ms, INT)

#define VCI_TOKEN_COLS "token_hash, offer_id, jkt, created_ms, expires_ms"
#define VCI_TOKEN_COLUMNS(X, TEXT, BLOB, INT) \
	X(token_hash, BLOB) X(offer_id, TEXT) X(jkt, TEXT) X(created_ms, INT) X(expires_ms, INT)

#define VCI_OFFER_PUT(P)                                                                      \
	"INSERT INTO vci_offer (" VCI_OFFER_COLS                                              \
	") VALUES (" P(1) ", " P(2) ", " P(3) ", " P(4) ", " P(5) ", " P(6) ", " P(7) ", " P( \
	        8) ", " P(9) ", " P(10) ", " P(11) ", " P(12) ")"
#define VCI_OFFER_WHERE(column, P) \
	"SELECT " VCI_OFFER_COLS " FROM vci_offer WHERE " column " = " P(1)
#define VCI_OFFER_REDEEM(P) \
	"UPDATE vci_offer SET redeemed_ms = " P(2) " WHERE id = " P(1) " AND redeemed_ms = 0"
/* SET's right-hand sides read the row as it was: the burn follows this very count. */
#define VCI_OFFER_WRONG_PIN(P)                                                                   \
	"UPDATE vci_offer SET pin_tries = pin_tries + 1, redeemed_ms = CASE WHEN pin_tries + 1 " \
	">= " P(2) " THEN " P(3) " ELSE redeemed_ms END WHERE id = " P(                          \
	        1) " AND redeemed_ms = 0 "                                                       \
	           "RETURNING pin_tries AS n"
#define VCI_TOKEN_PUT(P)                         \
	"INSERT INTO vci_token (" VCI_TOKEN_COLS \
	") VALUES (" P(1) ", " P(2) ", " P(3) ", " P(4) ", " P(5) ")"
#define VCI_TOKEN_FIND(P)   "SELECT " VCI_TOKEN_COLS " FROM vci_token WHERE token_hash = " P(1)
#define VCI_ONCE_TAKE(P)    "DELETE FROM vci_once WHERE hash = " P(1) " AND expires_ms > " P(2)
#define VCI_PRUNE(table, P) "DELETE FROM " table " WHERE expires_ms < " P(1)

#endif
