/*
 * GET /v1/matching/jobs/{id} with "Prefer: wait=N" (RFC 7240): the answer
 * comes as soon as the job has finished, or after N seconds (at most
 * WAIT_MAX_S) with the job as it is then.
 *
 * Waiting never holds the worker process: the request sleeps while the
 * worker serves others. Two things wake it: a notification on channel
 * ch_job_done, which ch-matcher (and a cancellation) sends with the job id
 * when a job finishes, and a timer. Each worker process keeps one
 * connection of its own that LISTENs; it is opened on the first wait and
 * again after it broke. The timer is the safety net: it fires at the
 * deadline, and every WAIT_POLL_MS meanwhile, so a lost notification (a
 * database restart) costs at most that long.
 *
 * A waiter is registered before the job is first read, so a job that
 * finishes between the read and the sleep is not missed: its notification
 * marks the waiter, and the read is simply repeated.
 */

#include <sys/queue.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ch.h"

#define WAIT_MAX_S		10
#define WAIT_POLL_MS		1000
#define LISTEN_RETRY_MS		1000
#define LISTEN_CHANNEL		"ch_job_done"
#define LISTEN_EVENT_TYPE	0x4348	/* ours; Kore only calls handle */

#define SQL_JOB_GET \
	"SELECT r.version, r.location, r.body, r.replayed, "                  \
	"r.body::jsonb->>'status' IN ('succeeded', 'failed', 'cancelled') "   \
	"FROM ch.matching_job_get($1::jsonb, $2::uuid) r"

struct job_waiter {
	TAILQ_ENTRY(job_waiter)	 list;
	struct http_request	*req;
	struct api_ctx		*ctx;
	struct kore_timer	*timer;
	char			 job[37];
	u_int64_t		 deadline;
	int			 seconds;
	int			 notified;
	int			 sleeping;
};

/* The listening connection; Kore's event loop calls evt.handle. */
struct job_listener {
	struct kore_event	 evt;
	PGconn			*conn;
	u_int64_t		 retry_at;
};

static TAILQ_HEAD(, job_waiter)	waiters = TAILQ_HEAD_INITIALIZER(waiters);
static struct job_listener	listener;

static int	prefer_wait(struct http_request *);
static void	listener_open(void);
static void	listener_close(void);
static void	listener_event(void *, int);
static void	waiter_free(void *);
static void	waiter_timer(void *, u_int64_t);
static void	waiter_wake(struct job_waiter *);
static int	job_read(struct http_request *, struct api_ctx *);
static int	job_read_done(struct http_request *, struct api_ctx *,
		    struct kore_pgsql *);

/*
 * The wait preference in seconds: 0 when absent or malformed (a
 * preference the server does not understand is ignored, RFC 7240), at
 * most WAIT_MAX_S.
 */
static int
prefer_wait(struct http_request *req)
{
	const char	*h, *p;
	long		 n;

	if (!http_request_header(req, "prefer", &h))
		return (0);
	for (p = h; *p != '\0'; p++) {
		if (strncasecmp(p, "wait", 4) != 0 ||
		    (p != h && p[-1] != ' ' && p[-1] != ',' && p[-1] != ';'))
			continue;
		p += 4;
		p += strspn(p, " ");
		if (*p != '=')
			return (0);
		p++;
		p += strspn(p, " ");
		if (!isdigit((unsigned char)*p))
			return (0);
		for (n = 0; isdigit((unsigned char)*p); p++) {
			if (n <= WAIT_MAX_S)
				n = n * 10 + (*p - '0');
		}
		/* "wait=1abc" is malformed, not "wait=1". */
		p += strspn(p, " ");
		if (*p != '\0' && *p != ',' && *p != ';')
			return (0);
		return (n > WAIT_MAX_S ? WAIT_MAX_S : (int)n);
	}

	return (0);
}

/* Opens the LISTEN connection unless it is up or failed a moment ago. */
static void
listener_open(void)
{
	static const char *const keys[] = {
		"connect_timeout", "application_name", "dbname", NULL
	};
	const char	*values[] = {
		"1", "ch-api-listen", api_config.database_url, NULL
	};
	PGresult	*res;
	int		 ok;

	if (listener.conn != NULL || kore_time_ms() < listener.retry_at)
		return;
	listener.retry_at = kore_time_ms() + LISTEN_RETRY_MS;
	/* Blocking, but bounded: an unreachable database costs this worker
	 * at most a second, once per LISTEN_RETRY_MS. */
	listener.conn = PQconnectdbParams(keys, values, 1);
	if (PQstatus(listener.conn) != CONNECTION_OK) {
		kore_log(LOG_WARNING, "matching: cannot listen for finished "
		    "jobs: %s", PQerrorMessage(listener.conn));
		listener_close();
		return;
	}
	res = PQexec(listener.conn, "LISTEN " LISTEN_CHANNEL);
	ok = PQresultStatus(res) == PGRES_COMMAND_OK;
	PQclear(res);
	if (!ok || PQsetnonblocking(listener.conn, 1) != 0) {
		listener_close();
		return;
	}
	listener.evt.type = LISTEN_EVENT_TYPE;
	listener.evt.flags = 0;
	listener.evt.handle = listener_event;
	kore_platform_event_all(PQsocket(listener.conn), &listener);
}

static void
listener_close(void)
{
	/* Closing the socket also takes it out of the event loop. */
	if (listener.conn != NULL)
		PQfinish(listener.conn);
	listener.conn = NULL;
}

/* Readable (or broken): wake the waiters of every job that finished. */
static void
listener_event(void *arg, int error)
{
	struct job_waiter	*w;
	PGnotify		*n;
	int			 got;

	(void)arg;
	if (listener.conn == NULL)
		return;
	/* The socket is edge-triggered: read until a pass brings nothing
	 * new, so a burst larger than libpq's buffer is not left behind. */
	do {
		if (error || !PQconsumeInput(listener.conn)) {
			/* The timers carry on; the next wait reconnects. */
			listener_close();
			return;
		}
		got = 0;
		while ((n = PQnotifies(listener.conn)) != NULL) {
			got++;
			TAILQ_FOREACH(w, &waiters, list) {
				if (strcasecmp(w->job, n->extra) == 0)
					waiter_wake(w);
			}
			PQfreemem(n);
		}
	} while (got > 0);
}

static void
waiter_wake(struct job_waiter *w)
{
	w->notified = 1;
	/* Only a request asleep on us: one inside a query is driven by its
	 * query, and sees the mark when that returns. */
	if (w->sleeping) {
		w->sleeping = 0;
		http_request_wakeup(w->req);
	}
}

static void
waiter_timer(void *arg, u_int64_t now)
{
	struct job_waiter	*w = arg;

	(void)now;
	w->timer = NULL;	/* a one-shot timer frees itself */
	if (w->sleeping) {
		w->sleeping = 0;
		http_request_wakeup(w->req);
	}
}

/* The request's free hook (ctx->data_free): also when the client left. */
static void
waiter_free(void *arg)
{
	struct job_waiter	*w = arg;

	if (w == NULL)
		return;
	if (w->timer != NULL)
		kore_timer_remove(w->timer);
	TAILQ_REMOVE(&waiters, w, list);
	kore_free(w);
}

static int
job_read(struct http_request *req, struct api_ctx *ctx)
{
	struct job_waiter	*w = ctx->data;

	if (w != NULL) {
		w->notified = 0;
		/* Woken by a notification: the timer of that sleep goes, so
		 * that at most one is ever armed for the waiter. */
		if (w->timer != NULL) {
			kore_timer_remove(w->timer);
			w->timer = NULL;
		}
	}
	return (db_query(req, ctx, SQL_JOB_GET, job_read_done, 2,
	    resource_who(ctx), ctx->params[0]));
}

static int
job_read_done(struct http_request *req, struct api_ctx *ctx,
    struct kore_pgsql *sql)
{
	struct job_waiter	*w = ctx->data;
	u_int64_t		 now, next;
	char			 applied[16];

	now = kore_time_ms();
	if (w == NULL || kore_pgsql_ntuples(sql) != 1 ||
	    strcmp(kore_pgsql_getvalue(sql, 0, 4), "t") == 0 ||
	    now >= w->deadline) {
		if (w != NULL) {
			(void)snprintf(applied, sizeof(applied), "wait=%d",
			    w->seconds);
			http_response_header(req, "preference-applied",
			    applied);
		}
		return (resource_result(req, ctx, sql));
	}
	if (w->notified)
		return (job_read(req, ctx));

	listener_open();
	next = w->deadline - now;
	if (next > WAIT_POLL_MS)
		next = WAIT_POLL_MS;
	w->timer = kore_timer_add(waiter_timer, next, w, KORE_TIMER_ONESHOT);
	w->sleeping = 1;
	ctx->resume = job_read;
	http_request_sleep(req);

	return (API_PENDING);
}

int
matching_job_get(struct http_request *req, struct api_ctx *ctx)
{
	struct job_waiter	*w;
	int			 seconds;

	if (resource_params(req, ctx, "get") != KORE_RESULT_OK)
		return (API_DONE);

	if ((seconds = prefer_wait(req)) > 0) {
		w = kore_calloc(1, sizeof(*w));
		w->req = req;
		w->ctx = ctx;
		w->seconds = seconds;
		w->deadline = kore_time_ms() + (u_int64_t)seconds * 1000;
		kore_strlcpy(w->job, ctx->params[0], sizeof(w->job));
		TAILQ_INSERT_TAIL(&waiters, w, list);
		ctx->data = w;
		ctx->data_free = waiter_free;
		/* Listening before the first read: nothing can slip by. */
		listener_open();
	}

	return (job_read(req, ctx));
}
