/* Shared parts of the oorkonde command: the context every subcommand gets, exit codes, and the
 * helpers that print errors and open the data folder. Only cli/ prints. */
#ifndef OK_CLI_CLI_H
#define OK_CLI_CLI_H

#include <getopt.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "core/error.h"
#include "depository/depository.h"

enum cli_exit {
	EXIT_OK = 0,
	EXIT_REJECTED = 1, /* ran, but some input was refused (rows rejected, credential invalid) */
	EXIT_FAILED = 2,   /* usage error, unusable input, or the command could not run */
};

struct cli {
	const char *data_dir;
	const char *prog; /* "oorkonde import", for messages */
	/* Benchmark only: OORKONDE_BENCH_AUDIT_OFF=1 turns auditing off in every depository this
	 * process opens, so that bench/audit can measure what auditing costs. Read only by a
	 * build with -Dtest_hooks=true; false in any other. */
	bool bench_audit_off;
};

struct cli_command {
	const char *name;
	const char *summary;
	int (*run)(struct cli *c, int argc, char **argv);
};

/* A subcommand of a command with several (`oorkonde apikey add`); prog is for messages. */
struct cli_subcommand {
	const char *name, *prog;
	int (*run)(struct cli *c, int argc, char **argv);
};

/* Prints "oorkonde: FILE:LINE: field: message" (the parts that are known) to stderr. */
void cli_print_error(const struct cli *c, const struct ok_error *err);
/* "PROG: refused (WHAT): MESSAGE" on standard error, the message made safe for a terminal: an
 * import that checked its input and said no. */
void cli_print_refusal(const struct cli *c, const char *what, const struct ok_error *err);
/* Prints doc as indented JSON in its own key order, then releases it (NULL prints nothing). */
void cli_print_json(json_t *doc);
/* Prints a usage problem and the hint to use --help; returns EXIT_FAILED. */
int cli_usage_error(const struct cli *c, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));
/* Opens the data folder, printing any error; returns 0 or EXIT_FAILED. */
int cli_open(struct cli *c, struct depository *d);
/* Parses the options of a subcommand with getopt_long; "h" / --help is handled by callers. */
int cli_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts);
/*
 * Reads the file at path, or standard input for "-", into b, up to b->max bytes: past that the
 * input is kept cut at b->max and *cut is set. Prints why and returns EXIT_FAILED when it cannot
 * be read.
 */
int cli_read_input(const struct cli *c, const char *path, struct buf *b, bool *cut);
/*
 * Runs the subcommand argv[1] names, with argv shifted by one and c->prog set to its prog;
 * prints usage for --help / -h; otherwise a usage error with the text expected.
 */
int cli_subcommand(struct cli *c, int argc, char **argv, const struct cli_subcommand *subs,
                   size_t nsubs, const char *usage, const char *expected);
/* Writes s as a JSON string to f. */
void cli_json_string(FILE *f, const char *s);
/* Formats hundredths as "7.5" / "180" into out. */
void cli_format_credits(long centi, char out[32]);

int cmd_init(struct cli *c, int argc, char **argv);
/* cmd_elmo.c: EMREX (export elmo; the ELMO key of `keys`, sub being its subcommand). */
int cmd_export(struct cli *c, int argc, char **argv);
int cmd_elmo_keys(struct cli *c, const char *sub, int argc, char **argv);
int cmd_import_elmo(struct cli *c, int argc, char **argv);
int cmd_emrex(struct cli *c, int argc, char **argv);
int cmd_demo(struct cli *c, int argc, char **argv);
int cmd_institution(struct cli *c, int argc, char **argv);
int cmd_import(struct cli *c, int argc, char **argv);
int cmd_achievements(struct cli *c, int argc, char **argv);
int cmd_serve(struct cli *c, int argc, char **argv);
int cmd_apikey(struct cli *c, int argc, char **argv);
int cmd_issue(struct cli *c, int argc, char **argv);
int cmd_verify(struct cli *c, int argc, char **argv);
int cmd_present(struct cli *c, int argc, char **argv);
int cmd_identity(struct cli *c, int argc, char **argv);
int cmd_trust(struct cli *c, int argc, char **argv);
int cmd_import_credential(struct cli *c, int argc, char **argv);
int cmd_status(struct cli *c, int argc, char **argv);
int cmd_audit(struct cli *c, int argc, char **argv);
int cmd_keys(struct cli *c, int argc, char **argv);
int cmd_backup(struct cli *c, int argc, char **argv);    /* cmd_backup.c */
int cmd_restore(struct cli *c, int argc, char **argv);   /* cmd_backup.c */
int cmd_store(struct cli *c, int argc, char **argv);     /* cmd_store.c */
int cmd_retention(struct cli *c, int argc, char **argv); /* cmd_retention.c */
int cmd_hold(struct cli *c, int argc, char **argv);      /* cmd_hold.c */
int cmd_oidc(struct cli *c, int argc, char **argv);      /* cmd_oidc.c */
/* oorkonde learner SUB: the dispatcher (cmd_learner.c) and its subcommands. */
int cmd_learner(struct cli *c, int argc, char **argv);
int cmd_learner_report(struct cli *c, int argc, char **argv); /* cmd_report.c */
/* cmd_login_link.c */
int cmd_learner_login_link(struct cli *c, int argc, char **argv);
/* cmd_correct.c */
int cmd_learner_correct(struct cli *c, int argc, char **argv);
/* cmd_erase.c */
int cmd_learner_erase(struct cli *c, int argc, char **argv);
/* oorkonde wallet offer (cmd_wallet.c). */
int cmd_wallet(struct cli *c, int argc, char **argv);
/* oorkonde share create / list / revoke (cmd_share.c). */
int cmd_share(struct cli *c, int argc, char **argv);

#endif
