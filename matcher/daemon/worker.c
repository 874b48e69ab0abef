/* worker.c: a worker thread: claim a job, run it, store its result. */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "input.h"

#define SQL_CLAIM \
	"SELECT id, attempt, kind, programme " \
	"FROM ch.job_claim($1::text, $2::int)"
#define SQL_INPUT \
	"SELECT ch.job_input($1::uuid, $2::bigint)"
#define SQL_COMPLETE \
	"SELECT ch.job_complete($1::uuid, $2::int, $3::text, $4::jsonb)"
#define SQL_FAIL \
	"SELECT ch.job_fail($1::uuid, $2::int, $3::text, $4::text, " \
	"$5::boolean)"

#define JOB_CHANNEL	"ch_job_new"

static const struct db_stmt worker_stmts[] = {
	{ "claim", SQL_CLAIM, 2 },
	{ "input", SQL_INPUT, 2 },
	{ "complete", SQL_COMPLETE, 4 },
	{ "fail", SQL_FAIL, 5 }
};

struct worker {
	struct matcher	*m;
	unsigned int	 index;
	char		 name[MATCHER_WORKER_NAME_MAX];
	char		 lease[16];
	struct db	 db;
	struct input_cache cache;	/* the candidates of the last job */
	char		 cache_programme[16];	/* ... and its programme */
};

/* A claimed job and what became of it, for the log line. */
struct job {
	char		 id[MATCHER_ID_MAX];
	char		 attempt[16];
	char		 kind[16];
	char		 programme[16];
	uint64_t	 t0;		/* mono_us at the claim */
	const char	*status;	/* done, failed, lost, abandoned */
	int		 retry;		/* failed: may it run again */
	char		 error[MATCHER_ERR_MAX];
	size_t		 proposals;
	double		 engine_ms;
};

static int	idle_quit(void *);
static int	held_quit(void *);
static int	worker_exec(struct worker *, const char *, int,
		    const char *const *, PGresult **);
static int	worker_claim(struct worker *, struct job *);
static void	worker_wait(struct worker *);
static void	worker_hold(struct worker *, const struct job *);
static void	worker_release(struct worker *);
static void	worker_fail(struct worker *, struct job *, int, const char *,
		    ...) __attribute__((format(printf, 4, 5)));
static void	worker_complete(struct worker *, struct job *, const char *);
static void	worker_run(struct worker *, struct job *);
static void	worker_log(const struct worker *, const struct job *);
static void	copy_field(char *, size_t, const PGresult *, int);
static void	utf8_clip(char *);

struct worker *
worker_new(struct matcher *m, unsigned int index)
{
	struct worker	*w;

	if ((w = calloc(1, sizeof(*w))) == NULL)
		return (NULL);
	w->m = m;
	w->index = index;
	(void)snprintf(w->name, sizeof(w->name), "%s/%u", m->cfg.name, index);
	(void)snprintf(w->lease, sizeof(w->lease), "%u", m->cfg.lease_s);
	db_init(&w->db, w->name, worker_stmts,
	    sizeof(worker_stmts) / sizeof(worker_stmts[0]), JOB_CHANNEL);
	return (w);
}

void
worker_free(struct worker *w)
{
	if (w == NULL)
		return;
	db_close(&w->db);
	input_cache_free(&w->cache);
	free(w);
}

/* Without a job, a worker leaves as soon as the process stops. */
static int
idle_quit(void *arg)
{
	return (matcher_stopping(arg));
}

/*
 * With a result to store, a worker keeps trying; only when stopping does
 * it give up, once the outage has outlasted a lease (the job will be
 * claimed again by then anyway).
 */
static int
held_quit(void *arg)
{
	struct worker	*w = arg;

	return (matcher_stopping(w->m) && w->db.down &&
	    mono_ms() - w->db.down_since > (uint64_t)w->m->cfg.lease_s * 1000);
}

/*
 * A statement for the job held: on a lost connection reconnect and run it
 * again (job_input, job_complete and job_fail are safe to repeat for the
 * same attempt).  DB_LOST only when held_quit gave up.
 */
static int
worker_exec(struct worker *w, const char *stmt, int n,
    const char *const *params, PGresult **res)
{
	int	rc;

	for (;;) {
		if ((rc = db_exec(&w->db, stmt, n, params, res)) != DB_LOST)
			return (rc);
		if (db_connect(&w->db, w->m->cfg.database_url, -1, held_quit,
		    w) == -1)
			return (DB_LOST);
	}
}

static void
copy_field(char *dst, size_t len, const PGresult *res, int col)
{
	(void)snprintf(dst, len, "%s", PQgetvalue(res, 0, col));
}

/*
 * Claim one job.  Returns 1 with job filled, 0 when the queue is empty,
 * DB_ERROR or DB_LOST.
 */
static int
worker_claim(struct worker *w, struct job *job)
{
	const char	*params[2];
	PGresult	*res;
	struct log_line	 l;
	int		 rc;

	/* NOTIFYs read so far are answered by this claim. */
	(void)db_drain_notifies(&w->db);
	params[0] = w->name;
	params[1] = w->lease;
	if ((rc = db_exec(&w->db, "claim", 2, params, &res)) != DB_OK) {
		if (rc == DB_ERROR && log_begin(&l, LOG_ERROR,
		    "claim_failed")) {
			log_str(&l, "worker", w->name);
			log_str(&l, "error", w->db.err);
			log_end(&l);
		}
		return (rc);
	}
	if (PQntuples(res) == 0 || PQnfields(res) < 4 ||
	    PQgetisnull(res, 0, 0)) {
		PQclear(res);
		return (0);
	}
	memset(job, 0, sizeof(*job));
	job->t0 = mono_us();
	copy_field(job->id, sizeof(job->id), res, 0);
	copy_field(job->attempt, sizeof(job->attempt), res, 1);
	copy_field(job->kind, sizeof(job->kind), res, 2);
	copy_field(job->programme, sizeof(job->programme), res, 3);
	PQclear(res);
	return (1);
}

/*
 * Nothing to do: sleep until a NOTIFY, the poll interval or the stop.
 * A NOTIFY that came in with the last claim's answer means "claim again".
 */
static void
worker_wait(struct worker *w)
{
	int	r;

	if (db_drain_notifies(&w->db) > 0 || w->db.pg == NULL)
		return;
	r = wait_fds(w->m->stop_fd[0], PQsocket(w->db.pg),
	    (int)w->m->cfg.poll_ms);
	if (r & WAIT_B)
		(void)db_consume(&w->db);
}

static void
worker_hold(struct worker *w, const struct job *job)
{
	struct held_job	*h = &w->m->held[w->index];

	pthread_mutex_lock(&w->m->lock);
	h->busy = 1;
	h->lost = 0;
	h->attempt = atoi(job->attempt);
	(void)snprintf(h->id, sizeof(h->id), "%s", job->id);
	pthread_mutex_unlock(&w->m->lock);
}

static void
worker_release(struct worker *w)
{
	pthread_mutex_lock(&w->m->lock);
	w->m->held[w->index].busy = 0;
	pthread_mutex_unlock(&w->m->lock);
}

/* A truncated message must still be valid UTF-8 for a text parameter. */
static void
utf8_clip(char *s)
{
	size_t		n, i, need;
	unsigned char	c;

	n = strlen(s);
	for (i = n; i > 0 && n - i < 4; i--) {
		c = (unsigned char)s[i - 1];
		if ((c & 0xc0) == 0x80)
			continue;		/* continuation byte */
		if (c < 0x80)
			return;
		need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
		if (n - (i - 1) < need)
			s[i - 1] = '\0';
		return;
	}
}

/* Give the job up; retry says whether another attempt may help. */
static void
worker_fail(struct worker *w, struct job *job, int retry, const char *fmt,
    ...)
{
	const char	*params[5];
	PGresult	*res;
	va_list		 ap;
	int		 rc;

	va_start(ap, fmt);
	(void)vsnprintf(job->error, sizeof(job->error), fmt, ap);
	va_end(ap);
	utf8_clip(job->error);
	job->retry = retry;
	params[0] = job->id;
	params[1] = job->attempt;
	params[2] = w->name;
	params[3] = job->error;
	params[4] = retry ? "true" : "false";
	rc = worker_exec(w, "fail", 5, params, &res);
	if (rc == DB_OK) {
		job->status = PQntuples(res) == 1 &&
		    strcmp(PQgetvalue(res, 0, 0), "t") == 0 ? "failed" :
		    "lost";
		PQclear(res);
		return;
	}
	/* Not stored: the lease runs out and the job is claimed again. */
	job->status = "abandoned";
	if (rc == DB_ERROR) {
		(void)snprintf(job->error + strlen(job->error),
		    sizeof(job->error) - strlen(job->error),
		    " (job_fail: %s)", w->db.err);
		utf8_clip(job->error);
	}
}

static void
worker_complete(struct worker *w, struct job *job, const char *result)
{
	const char	*params[4];
	PGresult	*res;
	int		 rc;

	params[0] = job->id;
	params[1] = job->attempt;
	params[2] = w->name;
	params[3] = result;
	rc = worker_exec(w, "complete", 4, params, &res);
	if (rc == DB_OK) {
		job->status = PQntuples(res) == 1 &&
		    strcmp(PQgetvalue(res, 0, 0), "t") == 0 ? "done" : "lost";
		PQclear(res);
		return;
	}
	if (rc == DB_LOST) {
		job->status = "abandoned";
		(void)snprintf(job->error, sizeof(job->error),
		    "database unreachable while storing");
		return;
	}
	worker_fail(w, job, 1, "storing the result failed: %s", w->db.err);
}

static void
worker_run(struct worker *w, struct job *job)
{
	struct input_job	 in;
	struct input_result	 out;
	const char		*params[2];
	PGresult		*res;
	char			 err[MATCHER_ERR_MAX], epoch[24];
	int			 rc;

	worker_hold(w, job);
	params[0] = job->id;
	/* The epoch of the candidates held: the database leaves them out
	 * while they are current. */
	(void)snprintf(epoch, sizeof(epoch), "%lld",
	    (long long)w->cache.epoch);
	params[1] = w->cache.epoch > 0 &&
	    strcmp(w->cache_programme, job->programme) == 0 ? epoch : NULL;
	if ((rc = worker_exec(w, "input", 2, params, &res)) != DB_OK) {
		if (rc == DB_ERROR)
			worker_fail(w, job, 1, "loading the input failed: %s",
			    w->db.err);
		else {
			job->status = "abandoned";
			(void)snprintf(job->error, sizeof(job->error),
			    "database unreachable while loading");
		}
		goto out;
	}
	if (PQntuples(res) != 1 || PQgetisnull(res, 0, 0)) {
		PQclear(res);
		worker_fail(w, job, 0, "the job has no input");
		goto out;
	}
	rc = input_parse(PQgetvalue(res, 0, 0),
	    (size_t)PQgetlength(res, 0, 0), &w->cache, &in, err, sizeof(err));
	PQclear(res);
	if (rc != INPUT_OK) {
		worker_fail(w, job, rc == INPUT_NOMEM, "invalid input: %s",
		    err);
		goto out;
	}
	(void)snprintf(w->cache_programme, sizeof(w->cache_programme), "%s",
	    input_programme_name(in.problem.programme));
	if (strcmp(input_kind_name(in.kind), job->kind) != 0 ||
	    strcmp(input_programme_name(in.problem.programme),
	    job->programme) != 0) {
		worker_fail(w, job, 0, "invalid input: kind %s, programme %s "
		    "for a %s job of programme %s", input_kind_name(in.kind),
		    input_programme_name(in.problem.programme), job->kind,
		    job->programme);
		input_free(&in);
		goto out;
	}
	rc = input_run(&in, &out, err, sizeof(err));
	input_free(&in);
	if (rc != INPUT_OK) {
		worker_fail(w, job, rc == INPUT_NOMEM, "%s", err);
		goto out;
	}
	job->proposals = out.nproposals;
	job->engine_ms = out.engine_ms;
	worker_complete(w, job, out.json);
	input_result_free(&out);
out:
	worker_release(w);
	worker_log(w, job);
}

static void
worker_log(const struct worker *w, const struct job *job)
{
	struct log_line	l;
	int		done;

	done = strcmp(job->status, "done") == 0;
	if (!log_begin(&l, done ? LOG_INFO : LOG_WARN, "job"))
		return;
	log_str(&l, "worker", w->name);
	log_str(&l, "job", job->id);
	log_str(&l, "kind", job->kind);
	log_str(&l, "programme", job->programme);
	log_int(&l, "attempt", atoi(job->attempt));
	log_str(&l, "status", job->status);
	log_ms(&l, "ms", (double)(mono_us() - job->t0) / 1000.0);
	if (done || job->proposals > 0) {
		log_int(&l, "proposals", (long long)job->proposals);
		log_ms(&l, "engine_ms", job->engine_ms);
	}
	if (job->error[0] != '\0') {
		if (strcmp(job->status, "failed") == 0)
			log_bool(&l, "retry", job->retry);
		log_str(&l, "error", job->error);
	}
	log_end(&l);
}

void *
worker_main(void *arg)
{
	struct worker	*w = arg;
	struct job	 job;
	int		 rc;

	while (!matcher_stopping(w->m)) {
		if (db_connect(&w->db, w->m->cfg.database_url,
		    w->m->stop_fd[0], idle_quit, w->m) == -1)
			break;
		rc = worker_claim(w, &job);
		if (rc == 1) {
			worker_run(w, &job);
			continue;		/* straight to the next claim */
		}
		if (rc == DB_LOST)
			continue;
		if (rc == DB_ERROR) {
			(void)wait_fds(w->m->stop_fd[0], -1,
			    (int)w->m->cfg.poll_ms);
			continue;
		}
		worker_wait(w);
	}
	db_close(&w->db);
	return (NULL);
}
