/* oorkonde backup / restore: the data folder's records into a backup folder and back. */
#include "audit/log.h"
#include "cli/cli.h"
#include "registry/backup.h"

#include <sodium.h>
#include <stdio.h>

static const char backup_usage[] =
        "Usage: oorkonde [--data DIR] backup BACKUP_DIR\n\n"
        "Writes a backup of the data folder's records into BACKUP_DIR, a new or empty folder:\n"
        "a consistent copy of the database, made while servers serve and imports run,\n"
        "config.json, the audit checkpoint file, and manifest.json (what, when, the schema\n"
        "version, the audit log's head, each file's size and SHA-256, signed with the issuer\n"
        "key), each readable by its owner only. The keys (data.key, issuer.key,\n"
        "issuer.key.retired) are not in it: back them up separately (docs/operations.md).\n"
        "A depository whose records are in PostgreSQL is backed up with pg_dump or base\n"
        "backups and WAL archiving instead (docs/operations.md, \"Backup and restore on\n"
        "PostgreSQL\").\n\n"
        "  --help   print this help\n";

static const char restore_usage[] =
        "Usage: oorkonde [--data DIR] restore BACKUP_DIR [--to DATADIR]\n"
        "                                    (--keys KEYDIR | --unverified)\n\n"
        "Restores a backup into DATADIR (default: the data folder), which must be new or\n"
        "empty. Everything happens first in a new folder DATADIR.restoring-XXXXXX beside it,\n"
        "which replaces DATADIR only once every check passed: each file is a regular file of\n"
        "the size and SHA-256 the manifest lists, the database's schema is exactly this\n"
        "program's and SQLite finds it whole, config.json is valid, and the audit log is whole\n"
        "up to the head the manifest names. Before copying it checks that the manifest's\n"
        "sizes fit in the free space, refuses files with holes (sparse), prints the size,\n"
        "and names DATADIR.restoring-* folders that stopped restores left beside it.\n\n"
        "  --keys KEYDIR  the folder holding the depository's data.key, issuer.key and\n"
        "                 issuer.key.retired (kept apart from the backup): they are copied\n"
        "                 into DATADIR, and the manifest's signature and every audit\n"
        "                 checkpoint must hold against those issuer keys\n"
        "  --unverified   restore without keys: nothing shows that the backup is the one\n"
        "                 the depository made (anyone who can write it can change it)\n"
        "  --to DATADIR   the data folder to restore into\n"
        "  --help         print this help\n\n"
        "The summary lists the restored settings that decide what the depository claims to\n"
        "be and whom it trusts (host, base_url, network_did, did_web_http_hosts): check them.\n"
        "It shows where the backup's audit log ends beside the newest checkpoint in\n"
        "KEYDIR/audit-checkpoints, if there is one, and warns when the backup is older.\n";

static void print_head(const struct backup_info *info)
{
	char hex[AUDIT_HASH_BYTES * 2 + 1];

	sodium_bin2hex(hex, sizeof(hex), info->audit_hash, AUDIT_HASH_BYTES);
	printf("  schema version  %d\n", info->schema_version);
	printf("  audit log       up to event %lld (hash %.16s…)\n", (long long)info->audit_seq,
	       hex);
	printf("  database        %lld bytes\n", (long long)info->db_bytes);
}

int cmd_backup(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	struct backup_info info;
	struct depository d;
	struct ok_error err;
	int opt, rc;

	while ((opt = cli_getopt(argc, argv, "h", opts)) != -1) {
		switch (opt) {
		case 'h':
			fputs(backup_usage, stdout);
			return EXIT_OK;
		default:
			return cli_usage_error(c, "unknown option");
		}
	}
	if (optind + 1 != argc)
		return cli_usage_error(c, "expected one backup folder");
	if ((rc = cli_open(c, &d)))
		return rc;
	ok_error_clear(&err);
	rc = registry_backup(&d, argv[optind], &info, &err);
	depository_close(&d);
	if (rc) {
		cli_print_error(c, &err);
		return EXIT_FAILED;
	}
	printf("Backed up %s to %s at %s\n", c->data_dir, argv[optind], info.at);
	print_head(&info);
	printf("  files           oorkonde.db, config.json%s, manifest.json\n",
	       info.checkpoints ? ", audit-checkpoints" : "");
	printf("The keys are not in the backup: keep a copy of data.key, issuer.key and\n"
	       "issuer.key.retired apart from it.\n");
	return EXIT_OK;
}

/* How to tell an older backup (a rollback): its audit head against the newest checkpoint the
 * depository signed, when the keys folder holds its audit-checkpoints. */
static void print_newest(const struct backup_info *info, const char *keys)
{
	char when[32];

	printf("  made            %s, audit log up to event %lld\n", info->at,
	       (long long)info->audit_seq);
	if (!info->verified || info->newest_seq <= 0) {
		printf("  newest known    (not known here: compare event %lld with the "
		       "depository's\n"
		       "                  newest checkpoint, the last line of its "
		       "audit-checkpoints,\n"
		       "                  to tell an older backup)\n",
		       (long long)info->audit_seq);
		return;
	}
	audit_format_time(info->newest_at_ms, when);
	printf("  newest known    event %lld, checkpoint of %s (%s/audit-checkpoints)\n",
	       (long long)info->newest_seq, when, keys);
	if (info->newest_seq > info->audit_seq)
		printf("WARNING: this backup is older than the depository's newest checkpoint: "
		       "the\n"
		       "%lld events after event %lld (revocations and corrections among them, if "
		       "any)\n"
		       "are not in it. Restore a newer backup unless going back is what you "
		       "mean.\n",
		       (long long)(info->newest_seq - info->audit_seq), (long long)info->audit_seq);
}

/* Told before the first byte of the backup is copied: how much, and the folders of restores
 * that were stopped (each may hold a whole copy; nothing removes them by itself, since a
 * restore may still be running in one). */
static void print_plan(void *ctx, const struct restore_plan *plan)
{
	(void)ctx;
	if (plan->stale)
		fprintf(stderr,
		        "Note: %zu folder%s of earlier restores that were stopped lie beside the "
		        "data folder (%s%s);\n"
		        "remove %s once no restore runs.\n",
		        plan->stale, plan->stale == 1 ? "" : "s", plan->stale_name,
		        plan->stale > 1 ? ", ..." : "", plan->stale == 1 ? "it" : "them");
	printf("Copying %lld bytes (%.1f MiB; %.1f MiB free there)%s...\n", (long long)plan->bytes,
	       (double)plan->bytes / 1048576.0, (double)plan->free_bytes / 1048576.0,
	       plan->verified ? "" : " from an UNVERIFIED backup");
	fflush(stdout);
}

int cmd_restore(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
	        {"to", required_argument, NULL, 't'},
	        {"keys", required_argument, NULL, 'k'},
	        {"unverified", no_argument, NULL, 'u'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	const char *to = c->data_dir, *keys = NULL;
	struct backup_info info;
	struct ok_error err;
	bool unverified = false;
	int opt;

	while ((opt = cli_getopt(argc, argv, "h", opts)) != -1) {
		switch (opt) {
		case 't':
			to = optarg;
			break;
		case 'k':
			keys = optarg;
			break;
		case 'u':
			unverified = true;
			break;
		case 'h':
			fputs(restore_usage, stdout);
			return EXIT_OK;
		default:
			return cli_usage_error(c, "unknown option");
		}
	}
	if (optind + 1 != argc)
		return cli_usage_error(c, "expected one backup folder");
	if (!keys == !unverified)
		return cli_usage_error(c,
		                       keys ? "--keys and --unverified exclude each other"
		                            : "give --keys KEYDIR (the depository's keys, to "
		                              "check the backup's authenticity) or --unverified");
	ok_error_clear(&err);
	if (registry_restore(argv[optind], to, keys, print_plan, NULL, &info, &err) != 0) {
		cli_print_error(c, &err);
		return EXIT_FAILED;
	}
	if (info.verified)
		printf("Restored the backup of %s into %s. Checked: every file against the signed\n"
		       "manifest (issuer key %lu), the database's schema and integrity, and the "
		       "audit\n"
		       "log up to the signed head with %lld checkpoint%s.\n",
		       info.at, to, (unsigned long)info.key_id,
		       (long long)info.checkpoints_verified,
		       info.checkpoints_verified == 1 ? "" : "s");
	else
		printf("Restored the backup of %s into %s. Checked: every file against the "
		       "manifest,\n"
		       "the database's schema and integrity, and the audit log up to the "
		       "manifest's\n"
		       "head.\n"
		       "NOT CHECKED: authenticity. Without the keys nothing shows that this backup "
		       "is\n"
		       "the one the depository made; anyone who could write it could have changed "
		       "it\n"
		       "and the manifest alike.\n",
		       info.at, to);
	print_head(&info);
	printf("  host            %s\n", info.host[0] ? info.host : "(none: did:key)");
	printf("  base_url        %s\n", info.base_url[0] ? info.base_url : "(default)");
	printf("  network_did     %s\n", info.network_did[0] ? info.network_did : "(none)");
	printf("  did_web_http_hosts %s\n",
	       info.did_web_http_hosts[0] ? info.did_web_http_hosts : "(none)");
	print_newest(&info, keys);
	if (info.verified)
		printf("Run 'oorkonde --data %s audit verify' after the first start as usual.\n",
		       to);
	else
		printf("Put data.key, issuer.key and issuer.key.retired into %s, then run\n"
		       "'oorkonde --data %s audit verify'.\n",
		       to, to);
	return EXIT_OK;
}
