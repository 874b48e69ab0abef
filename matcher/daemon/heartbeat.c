/* heartbeat.c: extend the leases of the jobs held; expire old proposals. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "daemon.h"

/*
 * ch.job_heartbeat extends the jobs of one worker name, and every thread
 * claims under its own name: one statement calls it for each job held,
 * in a single round trip, and returns the ids still held.
 */
#define SQL_HEARTBEAT \
	"SELECT coalesce(array_agg(x.id), '{}') " \
	"FROM unnest($1::text[], $2::uuid[], $3::int[]) " \
	"AS h (worker, id, attempt), " \
	"LATERAL unnest(ch.job_heartbeat(h.worker, ARRAY[h.id], " \
	"ARRAY[h.attempt], $4::int)) AS x (id)"
#define SQL_EXPIRE \
	"SELECT ch.proposals_expire()"

static const struct db_stmt heartbeat_stmts[] = {
	{ "heartbeat", SQL_HEARTBEAT, 4 },
	{ "expire", SQL_EXPIRE, 0 }
};

/* The jobs held when a heartbeat is sent, and the array literals. */
struct beat {
	size_t		n;
	unsigned int	worker[MATCHER_WORKERS_MAX];
	int		attempt[MATCHER_WORKERS_MAX];
	char		id[MATCHER_WORKERS_MAX][MATCHER_ID_MAX];
	char		names[MATCHER_WORKERS_MAX *
			    (2 * MATCHER_WORKER_NAME_MAX + 3) + 3];
	char		ids[MATCHER_WORKERS_MAX * MATCHER_ID_MAX + 3];
	char		attempts[MATCHER_WORKERS_MAX * 12 + 3];
};

static int	hb_quit(void *);
static int	in_uuid_array(const char *, const char *);
static size_t	array_quote(char *, const char *);
static int	heartbeat_beat(struct matcher *, struct db *, struct beat *);
static int	heartbeat_sweep(struct matcher *, struct db *);

static int
hb_quit(void *arg)
{
	struct matcher	*m = arg;

	return (atomic_load(&m->hb_stopping));
}

/* Whether the array literal "{a,b,...}" holds id (either case). */
static int
in_uuid_array(const char *arr, const char *id)
{
	const char	*p;
	size_t		 n, len;

	len = strlen(id);
	p = arr;
	if (*p == '{')
		p++;
	while (*p != '\0' && *p != '}') {
		n = strcspn(p, ",}");
		if (n == len && strncasecmp(p, id, len) == 0)
			return (1);
		p += n;
		if (*p == ',')
			p++;
	}
	return (0);
}

/* s as a quoted array element at dst; returns the bytes written. */
static size_t
array_quote(char *dst, const char *s)
{
	size_t	n;

	n = 0;
	dst[n++] = '"';
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			dst[n++] = '\\';
		dst[n++] = *s;
	}
	dst[n++] = '"';
	dst[n] = '\0';
	return (n);
}

/*
 * One statement for every job this process holds.  A job missing from the
 * answer was lost (its lease ran out and another worker took it, or it
 * was cancelled): it is marked, no longer extended, and its worker's
 * job_complete will say false.
 */
static int
heartbeat_beat(struct matcher *m, struct db *db, struct beat *b)
{
	const char	*params[4], *answer;
	char		 lease[16], name[MATCHER_WORKER_NAME_MAX];
	PGresult	*res;
	struct log_line	 l;
	struct held_job	*h;
	size_t		 i, off_names, off_ids, off_att;
	unsigned int	 k;
	int		 rc, lost;

	b->n = 0;
	off_names = off_ids = off_att = 1;
	b->names[0] = b->ids[0] = b->attempts[0] = '{';
	pthread_mutex_lock(&m->lock);
	for (k = 0; k < m->cfg.workers; k++) {
		h = &m->held[k];
		if (!h->busy || h->lost)
			continue;
		b->worker[b->n] = k;
		b->attempt[b->n] = h->attempt;
		memcpy(b->id[b->n], h->id, sizeof(h->id));
		(void)snprintf(name, sizeof(name), "%s/%u", m->cfg.name, k);
		if (b->n > 0)
			b->names[off_names++] = ',';
		off_names += array_quote(b->names + off_names, name);
		off_ids += (size_t)snprintf(b->ids + off_ids,
		    sizeof(b->ids) - off_ids, "%s%s", b->n ? "," : "", h->id);
		off_att += (size_t)snprintf(b->attempts + off_att,
		    sizeof(b->attempts) - off_att, "%s%d", b->n ? "," : "",
		    h->attempt);
		b->n++;
	}
	pthread_mutex_unlock(&m->lock);
	if (b->n == 0)
		return (DB_OK);
	(void)snprintf(b->names + off_names, sizeof(b->names) - off_names,
	    "}");
	(void)snprintf(b->ids + off_ids, sizeof(b->ids) - off_ids, "}");
	(void)snprintf(b->attempts + off_att, sizeof(b->attempts) - off_att,
	    "}");
	(void)snprintf(lease, sizeof(lease), "%u", m->cfg.lease_s);
	params[0] = b->names;
	params[1] = b->ids;
	params[2] = b->attempts;
	params[3] = lease;
	if ((rc = db_exec(db, "heartbeat", 4, params, &res)) != DB_OK) {
		if (rc == DB_ERROR && log_begin(&l, LOG_ERROR,
		    "heartbeat_failed")) {
			log_str(&l, "error", db->err);
			log_end(&l);
		}
		return (rc);
	}
	answer = PQntuples(res) == 1 && !PQgetisnull(res, 0, 0) ?
	    PQgetvalue(res, 0, 0) : "{}";
	for (i = 0; i < b->n; i++) {
		if (in_uuid_array(answer, b->id[i]))
			continue;
		/* A job stored meanwhile is not held any more: no news. */
		pthread_mutex_lock(&m->lock);
		h = &m->held[b->worker[i]];
		lost = h->busy && h->attempt == b->attempt[i] &&
		    strcmp(h->id, b->id[i]) == 0;
		if (lost)
			h->lost = 1;
		pthread_mutex_unlock(&m->lock);
		if (lost && log_begin(&l, LOG_WARN, "lease_lost")) {
			(void)snprintf(name, sizeof(name), "%s/%u",
			    m->cfg.name, b->worker[i]);
			log_str(&l, "worker", name);
			log_str(&l, "job", b->id[i]);
			log_int(&l, "attempt", b->attempt[i]);
			log_end(&l);
		}
	}
	PQclear(res);
	if (log_begin(&l, LOG_DEBUG, "heartbeat")) {
		log_int(&l, "jobs", (long long)b->n);
		log_end(&l);
	}
	return (DB_OK);
}

static int
heartbeat_sweep(struct matcher *m, struct db *db)
{
	PGresult	*res;
	struct log_line	 l;
	long long	 n;
	int		 rc;

	(void)m;
	if ((rc = db_exec(db, "expire", 0, NULL, &res)) != DB_OK) {
		if (rc == DB_ERROR && log_begin(&l, LOG_ERROR,
		    "sweep_failed")) {
			log_str(&l, "error", db->err);
			log_end(&l);
		}
		return (rc);
	}
	n = PQntuples(res) == 1 && !PQgetisnull(res, 0, 0) ?
	    atoll(PQgetvalue(res, 0, 0)) : 0;
	PQclear(res);
	if (log_begin(&l, n > 0 ? LOG_INFO : LOG_DEBUG, "sweep")) {
		log_int(&l, "expired", n);
		log_end(&l);
	}
	return (DB_OK);
}

/*
 * Beat every lease/3 so that two lost beats still keep a lease; sweep
 * every CH_MATCHER_SWEEP_SECONDS, starting at once.  Runs until every
 * worker has left (hb_stopping), so running jobs keep their leases while
 * the process stops.
 */
void *
heartbeat_main(void *arg)
{
	struct matcher	*m = arg;
	struct beat	*b;
	struct db	 db;
	char		 label[MATCHER_WORKER_NAME_MAX];
	uint64_t	 now, next_beat, next_sweep, until, beat_ms;

	if ((b = calloc(1, sizeof(*b))) == NULL)
		return (NULL);
	(void)snprintf(label, sizeof(label), "%s/heartbeat", m->cfg.name);
	db_init(&db, label, heartbeat_stmts,
	    sizeof(heartbeat_stmts) / sizeof(heartbeat_stmts[0]), NULL);
	beat_ms = (uint64_t)m->cfg.lease_s * 1000 / 3;
	next_beat = next_sweep = 0;
	while (!atomic_load(&m->hb_stopping)) {
		if (db_connect(&db, m->cfg.database_url, m->hb_fd[0], hb_quit,
		    m) == -1)
			break;
		now = mono_ms();
		if (now >= next_beat) {
			if (heartbeat_beat(m, &db, b) == DB_LOST)
				continue;
			next_beat = now + beat_ms;
		}
		if (now >= next_sweep) {
			if (heartbeat_sweep(m, &db) == DB_LOST)
				continue;
			next_sweep = now + (uint64_t)m->cfg.sweep_s * 1000;
		}
		until = next_beat < next_sweep ? next_beat : next_sweep;
		now = mono_ms();
		if (until > now)
			(void)wait_fds(m->hb_fd[0], -1, (int)(until - now));
	}
	db_close(&db);
	free(b);
	return (NULL);
}
