/* oorkonde backup / restore: the data folder's records into a backup folder and back. */
#include "cli/cli.h"
#include "registry/backup.h"

#include <sodium.h>
#include <stdio.h>

static const char backup_usage[] =
        "Usage: oorkonde [--data DIR] backup BACKUP_DIR\n\n"
        "Writes a backup of the data folder's records into BACKUP_DIR, a new or empty folder:\n"
        "a consistent copy of the database, made while servers serve and imports run,\n"
        "config.json, the audit checkpoint file, and manifest.json (what, when, the schema\n"
        "version, the audit log's head, each file's size and SHA-256), each readable by its\n"
        "owner only. The keys (data.key, issuer.key, issuer.key.retired) are not in it: back\n"
        "them up separately (docs/operations.md).\n\n"
        "  --help   print this help\n";

static const char restore_usage[] =
        "Usage: oorkonde [--data DIR] restore BACKUP_DIR [--to DATADIR]\n\n"
        "Restores a backup into DATADIR (default: the data folder), which must be new or\n"
        "empty: checks each file against the backup's manifest, copies, then opens the\n"
        "restored database and walks its audit log up to the head the manifest names. Put the\n"
        "keys (data.key, issuer.key, issuer.key.retired) back into DATADIR before using it,\n"
        "then run 'oorkonde audit verify'.\n\n"
        "  --to DATADIR   the data folder to restore into\n"
        "  --help         print this help\n";

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

int cmd_restore(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
	        {"to", required_argument, NULL, 't'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	const char *to = c->data_dir;
	struct backup_info info;
	struct ok_error err;
	int opt;

	while ((opt = cli_getopt(argc, argv, "h", opts)) != -1) {
		switch (opt) {
		case 't':
			to = optarg;
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
	ok_error_clear(&err);
	if (registry_restore(argv[optind], to, &info, &err) != 0) {
		cli_print_error(c, &err);
		return EXIT_FAILED;
	}
	printf("Restored the backup of %s into %s; the database opens and its audit log is whole\n",
	       info.at, to);
	print_head(&info);
	printf("Put data.key, issuer.key and issuer.key.retired back into %s, then run\n"
	       "'oorkonde --data %s audit verify'.\n",
	       to, to);
	return EXIT_OK;
}
