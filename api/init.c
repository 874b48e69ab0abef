/* Module start-up in each Kore worker: configuration, database, sandbox. */

#define _GNU_SOURCE	/* dladdr, on_exit */

#include <sys/syscall.h>

#include <dlfcn.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <kore/seccomp.h>
#include <sodium.h>

#include "ch.h"

struct config	api_config;

/*
 * Kore's sandbox kills a worker on any syscall it does not list. libpq on
 * glibc 2.36 stats ~/.pgpass with newfstatat and reconnects with
 * poll-based waits. Over TCP it first looks for Kerberos credentials
 * (gssencmode=prefer), and the GSSAPI library lists its directory of
 * mechanism files with getdents64. Nothing else is needed
 * (seccomp_tracing found these).
 */
KORE_SECCOMP_FILTER("api",
#if defined(SYS_newfstatat)
	KORE_SYSCALL_ALLOW(newfstatat),
#endif
#if defined(SYS_getdents64)
	KORE_SYSCALL_ALLOW(getdents64),
#endif
	KORE_SYSCALL_ALLOW(uname),
	/* glibc's resolver sends the A and AAAA queries of a host name in
	 * the database URL together (a container reaches "db" by DNS). */
#if defined(SYS_sendmmsg)
	KORE_SYSCALL_ALLOW(sendmmsg),
#endif
	/* Password hashing runs on Kore task threads. */
#if defined(SYS_clone3)
	KORE_SYSCALL_ALLOW(clone3),
#endif
#if defined(SYS_rseq)
	KORE_SYSCALL_ALLOW(rseq),
#endif
#if defined(__SANITIZE_ADDRESS__)
	/* AddressSanitizer registers each new thread with these. */
	KORE_SYSCALL_ALLOW(gettid),
	KORE_SYSCALL_ALLOW(sched_getaffinity),
#endif
);

static void		 worker_exit(int, void *);

static void		 role_check(const char *, const char *);
static void		 contract_disagrees(const char *);
static void		 start_error(const char *);
static void		 refuse_start(const char *, ...)
			    __attribute__((format(printf, 1, 2), noreturn));

void			 kore_parent_configure(int, char **);

/*
 * A worker leaves with _exit() once its own exit handlers ran: library
 * destructors that run after them (p11-kit's, through libpq and libjwt)
 * can deadlock on glibc's locale lock and leave the worker hanging after
 * the server stopped. Nothing of ours needs them; stdio is flushed here.
 */
static void
worker_exit(int status, void *arg)
{
	(void)arg;
	fflush(NULL);
	_exit(status);
}

/*
 * Kore calls this once in the parent, before any worker starts.
 *
 * The route table must agree with the contract, the roles in its x-roles
 * included (router_check_contract() says why).
 *
 * Row-level security is the second wall around personal data only while
 * the API's login roles are bound by it: a superuser, a role with
 * BYPASSRLS or the schema's owner (or a role that may become one of them)
 * would read past it.  The rule is ch.login_role_problem(), shared with
 * ch-matcher; the server refuses to start when it names a problem for the
 * role of the query connections, or when it cannot ask.  (The LISTEN
 * connection only listens; it may even point at a database that is not
 * up yet.)
 *
 * The metrics' shared memory is mapped here, before the workers fork, so
 * that every worker counts into the same block (metrics.c).
 */
void
kore_parent_configure(int argc, char **argv)
{
	struct config	 cfg;
	Dl_info		 self;
	char		 err[CONFIG_ERR_MAX];
	int		 n;

	(void)argc;
	(void)argv;
	if (config_load_env(&cfg, err, sizeof(err)) == -1)
		refuse_start("configuration error: %s", err);
	if ((n = router_check_contract(resource_spec(),
	    contract_disagrees)) != 0)
		refuse_start("the route table (api/router.c) and the contract "
		    "(openapi/openapi.yaml) disagree on %d operation%s, named "
		    "above", n, n == 1 ? "" : "s");
	role_check("CH_DATABASE_URL", cfg.database_url);

	/* Workers Kore forks later, after a crash, must find the block too:
	 * pin the module, so that a reload (SIGHUP) keeps its globals. */
	if (dladdr((void *)worker_exit, &self) == 0 ||
	    dlopen(self.dli_fname, RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE) ==
	    NULL)
		refuse_start("cannot pin the module in the parent process");
	if (metrics_setup(worker_count != 0 ? worker_count : cpu_count,
	    pgsql_conn_max) == -1)
		refuse_start("cannot map the metrics' shared memory: %s",
		    errno_s);
}

/* Logs one disagreement between the route table and the contract. */
static void
contract_disagrees(const char *what)
{
	char	msg[1024];

	(void)snprintf(msg, sizeof(msg), "contract: %s", what);
	start_error(msg);
}

/* Refuses to start unless the role of this connection string is fit. */
static void
role_check(const char *name, const char *url)
{
	static const char *const keys[] = { "dbname", "connect_timeout",
	    NULL };
	const char	*values[3];
	PGconn		*conn;
	PGresult	*res;

	values[0] = url;
	values[1] = "10";
	values[2] = NULL;
	conn = PQconnectdbParams(keys, values, 1);
	if (PQstatus(conn) != CONNECTION_OK)
		refuse_start("%s: cannot check the database role (is "
		    "PostgreSQL up?): %s", name, PQerrorMessage(conn));
	res = PQexec(conn, "SELECT ch.login_role_problem()");
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1)
		refuse_start("%s: cannot check the database role (are the "
		    "migrations applied?): %s", name, PQerrorMessage(conn));
	if (!PQgetisnull(res, 0, 0))
		refuse_start("unsafe %s: the role %s %s; use a role that owns "
		    "nothing, without SUPERUSER and BYPASSRLS (ch_app)", name,
		    PQuser(conn), PQgetvalue(res, 0, 0));
	PQclear(res);
	PQfinish(conn);
}

/* Says why the server will not start: in Kore's log and on stderr. */
static void
start_error(const char *msg)
{
	kore_log(LOG_ERR, "%s", msg);
	(void)fprintf(stderr, "ch-api: %s\n", msg);
}

/*
 * Logs why the server does not start and leaves at once: exit() would run
 * library destructors (p11-kit's, through libpq) that can hang on glibc's
 * locale lock, see worker_exit().
 */
static void
refuse_start(const char *fmt, ...)
{
	va_list		ap;
	char		msg[1024];

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	start_error(msg);
	(void)fflush(NULL);
	_exit(1);
}

/*
 * The launcher already ran ch-config-check, so a failure here means the
 * environment changed under us: stop the whole server rather than let
 * Kore restart this worker forever.
 */
int
api_init(int state)
{
	Dl_info	self;
	char	err[CONFIG_ERR_MAX];

	if (state != KORE_MODULE_LOAD)
		return (KORE_RESULT_OK);

	/* Kore unloads the module before exit(): pin it so the handler
	 * stays mapped until it runs. */
	if (dladdr((void *)worker_exit, &self) == 0 ||
	    dlopen(self.dli_fname, RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE) ==
	    NULL || on_exit(worker_exit, NULL) != 0) {
		kore_log(LOG_ERR, "cannot register the exit handler");
		goto fatal;
	}
	if (sodium_init() == -1) {
		kore_log(LOG_ERR, "libsodium failed to initialise");
		goto fatal;
	}
	/* Values of X_FILE variables were read by the parent before it
	 * forked this worker, and are found in the memory it inherited
	 * (common/envfile.c): a worker needs no access to secret files. */
	if (config_load_env(&api_config, err, sizeof(err)) == -1) {
		kore_log(LOG_ERR, "configuration error: %s", err);
		goto fatal;
	}
	if (auth_init(err, sizeof(err)) == -1) {
		kore_log(LOG_ERR, "configuration error: %s", err);
		goto fatal;
	}
	if (!kore_pgsql_register(DB_NAME, api_config.database_url)) {
		kore_log(LOG_ERR, "cannot register the database");
		goto fatal;
	}
	metrics_worker_start();

	return (KORE_RESULT_OK);

fatal:
	kill(getppid(), SIGTERM);
	return (KORE_RESULT_ERROR);
}
