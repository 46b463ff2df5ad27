/* oorkonde serve: run the HTTP server until SIGTERM or SIGINT. */
#include "cli/cli.h"
#include "http/server.h"
#include "audit/checkpoint.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char serve_usage[] =
        "Usage: oorkonde [--data DIR] serve [--listen ADDR:PORT] [--threads N]\n"
        "                                 [--rate-limit N] [--max-json-kib N] [--max-csv-mib N]\n"
        "                                 [--tls-cert FILE --tls-key FILE] [--reuse-port]\n"
        "                                 [--quiet]\n\n"
        "Serves the registrar API, the W3C VC-API and the depository's DID document over HTTP.\n"
        "SIGTERM or SIGINT stops it: no new connections, requests in flight get 10 s to finish.\n\n"
        "  --listen ADDR:PORT  where to listen (default 127.0.0.1:8080; port 0 picks a free one;\n"
        "                      a name such as localhost is resolved, IPv6 as [::1]:8080)\n"
        "  --threads N         worker threads (default: one per core)\n"
        "  --rate-limit N      requests per minute per client address on public routes\n"
        "                      (default 1200; 0 turns it off), counted together by the\n"
        "                      servers on one store\n"
        "  --max-json-kib N    largest JSON body (default 1024)\n"
        "  --max-csv-mib N     largest CSV body (default 64)\n"
        "  --tls-cert FILE     serve HTTPS with this PEM certificate (and --tls-key)\n"
        "  --tls-key FILE      the PEM private key of the certificate\n"
        "  --reuse-port        share the port with other servers (SO_REUSEPORT); without it\n"
        "                      a port in use is an error\n"
        "  --quiet             no access log (it goes to standard error otherwise)\n"
        "  --help              print this help\n";

static unsigned long number(struct cli *c, const char *opt, const char *v, unsigned long max,
                            int *bad)
{
	char *end;
	unsigned long n = strtoul(v, &end, 10);

	if (*end || end == v || n > max) {
		cli_usage_error(c, "%s must be a number from 0 to %lu", opt, max);
		*bad = 1;
	}
	return n;
}

/* Signs the audit chain's head once the server has stopped writing (audit/checkpoint.h). */
static void shutdown_checkpoint(struct cli *c)
{
	struct audit_checkpoint cp;
	struct depository d;
	struct ok_error err;
	bool made;
	int rc;

	if (c->bench_audit_off || cli_open(c, &d))
		return;
	ok_error_clear(&err);
	rc = audit_checkpoints_make(&d, &cp, &made, &err);
	depository_close(&d);
	if (rc == 0 && made)
		fprintf(stderr, "oorkonde serve: audit checkpoint at event %lld\n",
		        (long long)cp.seq);
	else if (rc && rc != OK_ENOTFOUND)
		fprintf(stderr, "oorkonde serve: no audit checkpoint at shutdown: %s\n",
		        err.message);
}

int cmd_serve(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
	        {"listen", required_argument, NULL, 'l'},
	        {"threads", required_argument, NULL, 't'},
	        {"rate-limit", required_argument, NULL, 'r'},
	        {"max-json-kib", required_argument, NULL, 'j'},
	        {"max-csv-mib", required_argument, NULL, 'c'},
	        {"tls-cert", required_argument, NULL, 'C'},
	        {"tls-key", required_argument, NULL, 'K'},
	        {"quiet", no_argument, NULL, 'q'},
	        {"reuse-port", no_argument, NULL, 'R'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	struct http_config cfg = {.listen = "127.0.0.1:8080",
	                          .rate_per_minute = 1200,
	                          .access_log_fd = STDERR_FILENO};
	struct http_server *srv;
	struct ok_error err;
	sigset_t set;
	int opt, sig, bad = 0;

	while ((opt = cli_getopt(argc, argv, "h", opts)) != -1 && !bad) {
		switch (opt) {
		case 'l':
			cfg.listen = optarg;
			break;
		case 't':
			cfg.threads = (unsigned)number(c, "--threads", optarg, 256, &bad);
			break;
		case 'r':
			cfg.rate_per_minute =
			        (unsigned)number(c, "--rate-limit", optarg, 1000000, &bad);
			break;
		case 'j':
			cfg.json_max = number(c, "--max-json-kib", optarg, 1 << 20, &bad) << 10;
			break;
		case 'c':
			cfg.csv_max = number(c, "--max-csv-mib", optarg, 4096, &bad) << 20;
			break;
		case 'C':
			cfg.tls_cert = optarg;
			break;
		case 'K':
			cfg.tls_key = optarg;
			break;
		case 'q':
			cfg.access_log_fd = -1;
			break;
		case 'R':
			cfg.reuse_port = true;
			break;
		case 'h':
			fputs(serve_usage, stdout);
			return EXIT_OK;
		default:
			return cli_usage_error(c, "unknown option");
		}
	}
	if (bad)
		return EXIT_FAILED;
	if (optind != argc)
		return cli_usage_error(c, "unexpected argument '%s'", argv[optind]);
	cfg.data_dir = c->data_dir;
	cfg.bench_audit_off = c->bench_audit_off;
	/* The server writes its database, WAL and audit log: a folder it cannot write would fail
	 * request by request, so refuse at once. */
	if (access(c->data_dir, F_OK) == 0 && access(c->data_dir, W_OK) != 0) {
		fprintf(stderr,
		        "%s: cannot write the data folder %s (%s); the server needs to write "
		        "its database and audit log\n",
		        c->prog, c->data_dir,
		        errno == EROFS ? "it is on a read-only file system" : strerror(errno));
		return EXIT_FAILED;
	}
	/* A server holds every learner's data: refuse a folder or key file others can read. */
	ok_error_clear(&err);
	if (depository_check_private(c->data_dir, &err) != 0) {
		cli_print_error(c, &err);
		return EXIT_FAILED;
	}
	/* Signals are taken synchronously by this thread; server threads inherit the mask. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	ok_error_clear(&err);
	if (http_server_start(&srv, &cfg, &err) != 0) {
		cli_print_error(c, &err);
		return EXIT_FAILED;
	}
	printf("oorkonde listening on %s://%.*s:%u\n", cfg.tls_cert ? "https" : "http",
	       (int)(strrchr(cfg.listen, ':') - cfg.listen), cfg.listen, http_server_port(srv));
	fflush(stdout);
	if (sigwait(&set, &sig) != 0)
		sig = SIGTERM;
	fprintf(stderr, "oorkonde serve: %s received, finishing requests in flight\n",
	        sig == SIGINT ? "SIGINT" : "SIGTERM");
	http_server_stop(srv, 10);
	shutdown_checkpoint(c);
	fprintf(stderr, "oorkonde serve: stopped\n");
	return EXIT_OK;
}
