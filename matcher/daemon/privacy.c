/*
 * privacy.c: the privacy sweep. Every CH_MATCHER_SWEEP_SECONDS, on a
 * connection of its own, one call of ch.privacy_run(): the erasures whose
 * grace period is over are carried out, and retention runs when the state
 * admin asked for a run or the last one is old enough (the function
 * decides, and any number of ch-matcher processes may call it at once).
 * A thread of its own, because an erasure or a retention run may take
 * longer than a lease: the heartbeat must not wait for it.
 */

#include <stdio.h>
#include <stdlib.h>

#include "daemon.h"

#define SQL_PRIVACY \
	"SELECT r->>'erased', r->>'erasures_failed', r->>'retention' " \
	"FROM ch.privacy_run() AS r"

static const struct db_stmt privacy_stmts[] = {
	{ "privacy", SQL_PRIVACY, 0 }
};

static int	privacy_quit(void *);
static int	privacy_sweep(struct db *);

static int
privacy_quit(void *arg)
{
	return (matcher_stopping(arg));
}

/* Counts and an outcome are logged, never an id. */
static int
privacy_sweep(struct db *db)
{
	PGresult	*res;
	struct log_line	 l;
	long long	 erased, failed;
	int		 rc, retention;
	enum log_level	 level;

	if ((rc = db_exec(db, "privacy", 0, NULL, &res)) != DB_OK) {
		if (rc == DB_ERROR && log_begin(&l, LOG_ERROR,
		    "privacy_failed")) {
			log_str(&l, "error", db->err);
			log_end(&l);
		}
		return (rc);
	}
	erased = failed = 0;
	retention = 0;
	if (PQntuples(res) == 1) {
		erased = atoll(PQgetvalue(res, 0, 0));
		failed = atoll(PQgetvalue(res, 0, 1));
		retention = !PQgetisnull(res, 0, 2);
	}
	level = failed > 0 ? LOG_ERROR :
	    (erased > 0 || retention) ? LOG_INFO : LOG_DEBUG;
	if (log_begin(&l, level, "privacy")) {
		log_int(&l, "erased", erased);
		log_int(&l, "erasures_failed", failed);
		if (retention)
			log_str(&l, "retention", PQgetvalue(res, 0, 2));
		log_end(&l);
	}
	PQclear(res);
	return (DB_OK);
}

/* Sweeps until the process stops; a sweep under way is finished. */
void *
privacy_main(void *arg)
{
	struct matcher	*m = arg;
	struct db	 db;
	char		 label[MATCHER_WORKER_NAME_MAX];
	uint64_t	 now, next;

	(void)snprintf(label, sizeof(label), "%s/privacy", m->cfg.name);
	db_init(&db, label, privacy_stmts,
	    sizeof(privacy_stmts) / sizeof(privacy_stmts[0]), NULL);
	next = 0;
	while (!matcher_stopping(m)) {
		if (db_connect(&db, m->cfg.database_url, m->stop_fd[0],
		    privacy_quit, m) == -1)
			break;
		now = mono_ms();
		if (now >= next) {
			if (privacy_sweep(&db) == DB_LOST)
				continue;
			next = now + (uint64_t)m->cfg.sweep_s * 1000;
		}
		now = mono_ms();
		if (next > now)
			(void)wait_fds(m->stop_fd[0], -1, (int)(next - now));
	}
	db_close(&db);
	return (NULL);
}
