/* db.c: one PostgreSQL connection per thread: connect, prepare, reconnect. */

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"

#define ATTEMPT_QUIT	(-2)

static void	db_error_text(struct db *, const char *);
static void	db_notice(void *, const PGresult *);
static int	db_setup(struct db *);
static int	db_role_check(struct db *);
static int	db_attempt(struct db *, const char *, int, int (*)(void *),
		    void *);
static int	db_is_lost(struct db *, const PGresult *);
static void	db_lost(struct db *);

void
db_init(struct db *d, const char *label, const struct db_stmt *stmts,
    size_t nstmts, const char *listen)
{
	memset(d, 0, sizeof(*d));
	d->label = label;
	d->stmts = stmts;
	d->nstmts = nstmts;
	d->listen = listen;
}

/* Keep the first line of a libpq message, without its newline. */
static void
db_error_text(struct db *d, const char *msg)
{
	size_t	n;

	if (msg == NULL || *msg == '\0')
		msg = "unknown error";
	n = strcspn(msg, "\n");
	if (n >= sizeof(d->err))
		n = sizeof(d->err) - 1;
	memcpy(d->err, msg, n);
	d->err[n] = '\0';
}

/* Notices (RAISE NOTICE, warnings) go to the debug log, code only. */
static void
db_notice(void *arg, const PGresult *res)
{
	struct db	*d = arg;
	struct log_line	 l;
	const char	*code;

	if (!log_begin(&l, LOG_DEBUG, "db_notice"))
		return;
	code = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	log_str(&l, "conn", d->label);
	log_str(&l, "sqlstate", code != NULL ? code : "");
	log_end(&l);
}

/*
 * The pool reads people past row-level security only through its job
 * functions; a login role that could read past it on its own (superuser,
 * BYPASSRLS, the schema's owner) is a configuration the daemon refuses:
 * it logs why and ends the process with EXIT_CONFIG.  Returns 0 when the
 * role is fit, -1 when the check could not run (message in d->err).
 */
static int
db_role_check(struct db *d)
{
	struct log_line	 l;
	PGresult	*res;
	int		 ok, unfit;

	res = PQexec(d->pg, "SELECT ch.login_role_problem()");
	ok = PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1;
	if (!ok) {
		db_error_text(d, PQerrorMessage(d->pg));
		PQclear(res);
		return (-1);
	}
	unfit = !PQgetisnull(res, 0, 0);
	if (unfit && log_begin(&l, LOG_ERROR, "unsafe_database_role")) {
		log_str(&l, "conn", d->label);
		log_str(&l, "role", PQuser(d->pg));
		log_str(&l, "problem", PQgetvalue(res, 0, 0));
		log_str(&l, "hint", "use a role that owns nothing, without "
		    "SUPERUSER and BYPASSRLS (ch_matcher)");
		log_end(&l);
	}
	PQclear(res);
	if (unfit) {
		(void)fflush(NULL);
		_exit(EXIT_CONFIG);
	}
	return (0);
}

/* Check the role, prepare the statements and LISTEN: once per connection. */
static int
db_setup(struct db *d)
{
	PGresult	*res;
	char		 sql[64];
	size_t		 i;
	int		 ok;

	(void)PQsetNoticeReceiver(d->pg, db_notice, d);
	if (db_role_check(d) == -1)
		return (-1);
	for (i = 0; i < d->nstmts; i++) {
		res = PQprepare(d->pg, d->stmts[i].name, d->stmts[i].sql,
		    d->stmts[i].nparams, NULL);
		ok = PQresultStatus(res) == PGRES_COMMAND_OK;
		if (!ok)
			db_error_text(d, PQerrorMessage(d->pg));
		PQclear(res);
		if (!ok)
			return (-1);
	}
	if (d->listen != NULL) {
		(void)snprintf(sql, sizeof(sql), "LISTEN %s", d->listen);
		res = PQexec(d->pg, sql);
		ok = PQresultStatus(res) == PGRES_COMMAND_OK;
		if (!ok)
			db_error_text(d, PQerrorMessage(d->pg));
		PQclear(res);
		if (!ok)
			return (-1);
	}
	return (0);
}

/*
 * One connection attempt, without blocking past MATCHER_CONNECT_MS and
 * leaving early when wake_fd turns readable and quit agrees.  Returns 0,
 * -1 (message in d->err) or ATTEMPT_QUIT.
 */
static int
db_attempt(struct db *d, const char *url, int wake_fd, int (*quit)(void *),
    void *arg)
{
	/*
	 * Defaults first: anything in the URL overrides them. Commits need
	 * not wait for the disk: everything this process writes can be done
	 * again. A claim or a result lost in a database crash leaves the job
	 * queued or its lease running out, and the job runs again (the same
	 * at-least-once execution as after a worker crash); the job records
	 * the API writes stay durable.
	 */
	static const char *const keys[] = {
		"application_name", "keepalives_idle", "keepalives_interval",
		"keepalives_count", "tcp_user_timeout", "options", "dbname",
		NULL
	};
	const char		*vals[] = {
		"ch-matcher", "30", "10", "3", "60000",
		"-c synchronous_commit=off", url, NULL
	};
	PostgresPollingStatusType st;
	struct pollfd		 pfd[2];
	uint64_t		 deadline, now;
	int			 n, rc;

	d->pg = PQconnectStartParams(keys, vals, 1);
	if (d->pg == NULL) {
		db_error_text(d, "out of memory");
		return (-1);
	}
	if (PQstatus(d->pg) == CONNECTION_BAD) {
		db_error_text(d, PQerrorMessage(d->pg));
		goto bad;
	}
	deadline = mono_ms() + MATCHER_CONNECT_MS;
	st = PGRES_POLLING_WRITING;
	while (st != PGRES_POLLING_OK) {
		if (st == PGRES_POLLING_FAILED) {
			db_error_text(d, PQerrorMessage(d->pg));
			goto bad;
		}
		if ((now = mono_ms()) >= deadline) {
			db_error_text(d, "timeout while connecting");
			goto bad;
		}
		pfd[0].fd = PQsocket(d->pg);
		pfd[0].events = st == PGRES_POLLING_READING ? POLLIN : POLLOUT;
		pfd[0].revents = 0;
		pfd[1].fd = wake_fd;
		pfd[1].events = POLLIN;
		pfd[1].revents = 0;
		n = poll(pfd, wake_fd >= 0 ? 2 : 1, (int)(deadline - now));
		if (n == -1)
			continue;	/* EINTR */
		if (wake_fd >= 0 && (pfd[1].revents & POLLIN)) {
			if (quit(arg)) {
				rc = ATTEMPT_QUIT;
				goto out;
			}
			wake_fd = -1;	/* woken, but asked to go on */
		}
		if (pfd[0].revents != 0)
			st = PQconnectPoll(d->pg);
	}
	if (db_setup(d) == -1)
		goto bad;
	return (0);
bad:
	rc = -1;
out:
	PQfinish(d->pg);
	d->pg = NULL;
	return (rc);
}

int
db_connect(struct db *d, const char *url, int wake_fd, int (*quit)(void *),
    void *arg)
{
	struct log_line	l;
	unsigned int	backoff;
	int		rc;

	if (d->pg != NULL && PQstatus(d->pg) == CONNECTION_OK)
		return (0);
	if (d->pg != NULL)
		db_lost(d);
	backoff = MATCHER_BACKOFF_MIN_MS;
	for (;;) {
		if (quit(arg))
			return (-1);
		if ((rc = db_attempt(d, url, wake_fd, quit, arg)) == 0)
			break;
		if (rc == ATTEMPT_QUIT)
			return (-1);
		if (!d->down) {
			d->down = 1;
			d->down_since = mono_ms();
			d->attempts = 0;
		}
		d->attempts++;
		/* Once per outage at warn; the retries only at debug. */
		if (log_begin(&l, d->attempts == 1 ? LOG_WARN : LOG_DEBUG,
		    "connect_failed")) {
			log_str(&l, "conn", d->label);
			log_str(&l, "error", d->err);
			log_int(&l, "attempt", d->attempts);
			log_end(&l);
		}
		(void)wait_fds(wake_fd, -1, (int)backoff);
		backoff = backoff * 2 > MATCHER_BACKOFF_MAX_MS ?
		    MATCHER_BACKOFF_MAX_MS : backoff * 2;
	}
	if (d->ever || d->down) {
		if (log_begin(&l, LOG_INFO, d->ever ? "reconnected" :
		    "connected")) {
			log_str(&l, "conn", d->label);
			log_int(&l, "outage_ms", d->down ?
			    (long long)(mono_ms() - d->down_since) : 0);
			log_int(&l, "failed_attempts", d->attempts);
			log_end(&l);
		}
	} else if (log_begin(&l, LOG_DEBUG, "connected")) {
		log_str(&l, "conn", d->label);
		log_end(&l);
	}
	d->ever = 1;
	d->down = 0;
	d->attempts = 0;
	return (0);
}

/*
 * Whether a failed statement means the session is gone: no result, a
 * broken connection, a FATAL error or a connection exception (class 08,
 * 57P01-57P03: shutdown, crash, starting up).
 */
static int
db_is_lost(struct db *d, const PGresult *res)
{
	const char	*code, *sev;

	if (res == NULL || PQstatus(d->pg) != CONNECTION_OK)
		return (1);
	sev = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);
	if (sev != NULL && (strcmp(sev, "FATAL") == 0 ||
	    strcmp(sev, "PANIC") == 0))
		return (1);
	code = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	if (code == NULL)
		return (0);
	return (strncmp(code, "08", 2) == 0 || strcmp(code, "57P01") == 0 ||
	    strcmp(code, "57P02") == 0 || strcmp(code, "57P03") == 0);
}

/* Close a broken connection and start counting the outage. */
static void
db_lost(struct db *d)
{
	struct log_line	l;

	if (log_begin(&l, LOG_WARN, "connection_lost")) {
		log_str(&l, "conn", d->label);
		log_str(&l, "error", d->err[0] != '\0' ? d->err :
		    "connection closed");
		log_end(&l);
	}
	PQfinish(d->pg);
	d->pg = NULL;
	d->down = 1;
	d->down_since = mono_ms();
	d->attempts = 0;
}

int
db_exec(struct db *d, const char *name, int n, const char *const *vals,
    PGresult **out)
{
	PGresult	*res;
	ExecStatusType	 st;
	const char	*code, *msg;

	*out = NULL;
	d->err[0] = '\0';
	if (d->pg == NULL)
		return (DB_LOST);
	res = PQexecPrepared(d->pg, name, n, vals, NULL, NULL, 0);
	st = res != NULL ? PQresultStatus(res) : PGRES_FATAL_ERROR;
	if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) {
		*out = res;
		return (DB_OK);
	}
	if (db_is_lost(d, res)) {
		db_error_text(d, PQerrorMessage(d->pg));
		PQclear(res);
		db_lost(d);
		return (DB_LOST);
	}
	/* The code and the primary message: the detail may quote data. */
	code = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	(void)snprintf(d->err, sizeof(d->err), "%s: %s",
	    code != NULL ? code : "?????", msg != NULL ? msg :
	    "unknown error");
	d->err[strcspn(d->err, "\n")] = '\0';
	PQclear(res);
	return (DB_ERROR);
}

void
db_close(struct db *d)
{
	if (d->pg != NULL)
		PQfinish(d->pg);
	d->pg = NULL;
}

int
db_drain_notifies(struct db *d)
{
	PGnotify	*n;
	int		 count;

	count = 0;
	if (d->pg == NULL)
		return (0);
	while ((n = PQnotifies(d->pg)) != NULL) {
		PQfreemem(n);
		count++;
	}
	return (count);
}

int
db_consume(struct db *d)
{
	if (d->pg == NULL)
		return (-1);
	if (PQconsumeInput(d->pg) == 0 || PQstatus(d->pg) != CONNECTION_OK) {
		db_error_text(d, PQerrorMessage(d->pg));
		db_lost(d);
		return (-1);
	}
	return (0);
}
