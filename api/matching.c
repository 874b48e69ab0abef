/*
 * GET /v1/matching/jobs/{id} with "Prefer: wait=N" (RFC 7240): the answer
 * comes as soon as the job has finished, or after N seconds (at most
 * WAIT_MAX_S) with the job as it is then.
 *
 * Waiting never holds the worker process: the request sleeps while the
 * worker serves others. Two things wake it: a notification on channel
 * ch_job_done, which ch-matcher (and a cancellation) sends with the job id
 * when a job finishes, and a timer. Each worker process keeps one
 * connection of its own that LISTENs (CH_DATABASE_LISTEN_URL); it is
 * opened on the first wait and again after it broke. The timer is the
 * safety net: it fires at the deadline, and every WAIT_POLL_MS meanwhile,
 * so a lost notification (a database restart) costs at most that long.
 *
 * Opening that connection never blocks the worker either: the event loop
 * drives libpq's connection steps and the LISTEN, and an attempt that is
 * not done within LISTEN_CONNECT_MS (a database that does not answer) is
 * given up and not tried again for LISTEN_RETRY_MS. Only a host name in
 * the URL is still resolved by a blocking lookup inside libpq.
 *
 * A waiter is registered before the job is first read, so a job that
 * finishes between the read and the sleep is not missed: its notification
 * marks the waiter, and the read is simply repeated. Notifications sent
 * before the LISTEN took effect are missed, so every waiter reads its job
 * once more when the connection comes up.
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
#define LISTEN_CONNECT_MS	2000	/* to connect and LISTEN */
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

enum listener_state {
	LISTENER_DOWN = 0,
	LISTENER_CONNECTING,	/* libpq's connection steps */
	LISTENER_SUBSCRIBING,	/* LISTEN sent, its answer awaited */
	LISTENER_UP,
};

/* The listening connection; Kore's event loop calls evt.handle. */
struct job_listener {
	struct kore_event	 evt;
	PGconn			*conn;
	enum listener_state	 state;
	struct kore_timer	*deadline;	/* while not yet up */
	u_int64_t		 retry_at;
};

static TAILQ_HEAD(, job_waiter)	waiters = TAILQ_HEAD_INITIALIZER(waiters);
static struct job_listener	listener;

static int	prefer_wait(struct http_request *);
static void	listener_open(void);
static void	listener_connect(void);
static void	listener_subscribe(void);
static void	listener_up(void);
static void	listener_read(int);
static void	listener_fail(const char *);
static void	listener_timeout(void *, u_int64_t);
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

/*
 * Starts opening the LISTEN connection unless it is open, opening, or
 * failed a moment ago. Returns at once: listener_event carries on.
 */
static void
listener_open(void)
{
	static const char *const keys[] = {
		"application_name", "dbname", NULL
	};
	const char	*values[] = {
		"ch-api-listen", api_config.listen_url, NULL
	};

	if (listener.state != LISTENER_DOWN ||
	    kore_time_ms() < listener.retry_at)
		return;
	if ((listener.conn = PQconnectStartParams(keys, values, 1)) == NULL ||
	    PQstatus(listener.conn) == CONNECTION_BAD) {
		listener_fail(NULL);
		return;
	}
	listener.state = LISTENER_CONNECTING;
	listener.evt.type = LISTEN_EVENT_TYPE;
	listener.evt.flags = 0;
	listener.evt.handle = listener_event;
	listener.deadline = kore_timer_add(listener_timeout, LISTEN_CONNECT_MS,
	    NULL, KORE_TIMER_ONESHOT);
	/* libpq's first step waits for the socket to become writable. */
	kore_platform_schedule_write(PQsocket(listener.conn), &listener);
}

/*
 * One of libpq's connection steps, then a wait for what the next one
 * needs. The socket may change between steps (another address), so it
 * is registered again each time; registering again also reports
 * readiness that is already there, which edge-triggered events would
 * otherwise not repeat.
 */
static void
listener_connect(void)
{
	switch (PQconnectPoll(listener.conn)) {
	case PGRES_POLLING_READING:
		kore_platform_schedule_read(PQsocket(listener.conn), &listener);
		break;
	case PGRES_POLLING_WRITING:
		kore_platform_schedule_write(PQsocket(listener.conn),
		    &listener);
		break;
	case PGRES_POLLING_OK:
		if (PQsetnonblocking(listener.conn, 1) != 0 ||
		    !PQsendQuery(listener.conn, "LISTEN " LISTEN_CHANNEL)) {
			listener_fail(NULL);
			break;
		}
		listener.state = LISTENER_SUBSCRIBING;
		listener_subscribe();
		break;
	default:
		listener_fail(NULL);
		break;
	}
}

/* Sends what is left of the LISTEN and reads its answer, never waiting. */
static void
listener_subscribe(void)
{
	PGresult	*res;
	int		 unsent, ok;

	if ((unsent = PQflush(listener.conn)) == -1 ||
	    !PQconsumeInput(listener.conn)) {
		listener_fail(NULL);
		return;
	}
	/* PQgetResult would wait while libpq is busy. */
	while (!PQisBusy(listener.conn)) {
		if ((res = PQgetResult(listener.conn)) == NULL) {
			listener_up();
			return;
		}
		ok = PQresultStatus(res) == PGRES_COMMAND_OK;
		PQclear(res);
		if (!ok) {
			listener_fail(NULL);
			return;
		}
	}
	if (unsent)
		kore_platform_event_all(PQsocket(listener.conn), &listener);
	else
		kore_platform_schedule_read(PQsocket(listener.conn), &listener);
}

/*
 * Listening. A job that finished while the connection was being made
 * sent its notification to nobody: every waiter reads its job again.
 */
static void
listener_up(void)
{
	struct job_waiter	*w;

	listener.state = LISTENER_UP;
	if (listener.deadline != NULL) {
		kore_timer_remove(listener.deadline);
		listener.deadline = NULL;
	}
	kore_platform_event_level_read(PQsocket(listener.conn), &listener);
	TAILQ_FOREACH(w, &waiters, list)
		waiter_wake(w);
	listener_read(0);
}

/* Wakes the waiters of every job whose notification came in. */
static void
listener_read(int error)
{
	struct job_waiter	*w;
	PGnotify		*n;

	if (error || !PQconsumeInput(listener.conn)) {
		/* The timers carry on; the next wait reconnects. */
		listener_close();
		return;
	}
	while ((n = PQnotifies(listener.conn)) != NULL) {
		TAILQ_FOREACH(w, &waiters, list) {
			if (strcasecmp(w->job, n->extra) == 0)
				waiter_wake(w);
		}
		PQfreemem(n);
	}
}

/*
 * Gives the attempt up, logging why (libpq's first line when why is
 * NULL); the next wait after LISTEN_RETRY_MS tries again.
 */
static void
listener_fail(const char *why)
{
	if (why == NULL && listener.conn == NULL)
		why = "out of memory";
	else if (why == NULL)
		why = PQerrorMessage(listener.conn);
	kore_log(LOG_WARNING, "matching: cannot listen for finished jobs: %.*s",
	    (int)strcspn(why, "\n"), why);
	listener_close();
	listener.retry_at = kore_time_ms() + LISTEN_RETRY_MS;
}

static void
listener_timeout(void *arg, u_int64_t now)
{
	(void)arg;
	(void)now;
	listener.deadline = NULL;	/* a one-shot timer frees itself */
	listener_fail("no answer from the database in time");
}

static void
listener_close(void)
{
	if (listener.deadline != NULL) {
		kore_timer_remove(listener.deadline);
		listener.deadline = NULL;
	}
	/* Closing the socket also takes it out of the event loop. */
	if (listener.conn != NULL)
		PQfinish(listener.conn);
	listener.conn = NULL;
	listener.state = LISTENER_DOWN;
}

/* The socket is ready (or broken): the next step of whatever is under way. */
static void
listener_event(void *arg, int error)
{
	(void)arg;
	switch (listener.state) {
	case LISTENER_CONNECTING:
		/* libpq looks at the socket's error itself, and may go on
		 * to the host's next address. */
		listener_connect();
		break;
	case LISTENER_SUBSCRIBING:
		listener_subscribe();
		break;
	case LISTENER_UP:
		listener_read(error);
		break;
	case LISTENER_DOWN:
		break;
	}
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
