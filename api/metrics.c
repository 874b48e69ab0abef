/*
 * GET /metrics in Prometheus' text format (0.0.4): requests by route
 * pattern and status, their durations, the database pool, the job queue
 * and the process.
 *
 * Kore serves requests from several worker processes, and a scrape
 * reaches one of them. So every figure a worker counts lives in one block
 * of shared memory that the parent maps before the workers fork
 * (metrics_setup(), from kore_parent_configure()), updated with atomic
 * operations: whichever worker answers a scrape reports the requests of
 * all of them, and the counts outlive a worker that Kore restarts.
 * Requests are labelled with their route's pattern, never their path, so
 * no id or name reaches the figures and the series are few.
 */

#include <sys/mman.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ch.h"

#define METRICS_CONTENT_TYPE	"text/plain; version=0.0.4; charset=utf-8"
#define METRICS_STATUS_MIN	100
#define METRICS_STATUSES	500		/* 100 to 599 */
#define METRICS_BUCKETS		11
#define METRICS_LABEL_MAX	256

/* The job queue's figures, counts only (db/functions/matching.sql). */
#define SQL_METRICS_JOBS \
	"SELECT family, kind, label, value FROM ch.metrics_jobs()"

/* Upper bounds of the latency buckets, in microseconds and as text. */
static const struct {
	uint64_t	 us;
	const char	*le;
} buckets[METRICS_BUCKETS] = {
	{ 5000, "0.005" }, { 10000, "0.01" }, { 25000, "0.025" },
	{ 50000, "0.05" }, { 100000, "0.1" }, { 250000, "0.25" },
	{ 500000, "0.5" }, { 1000000, "1" }, { 2500000, "2.5" },
	{ 5000000, "5" }, { 10000000, "10" },
};

/* The methods Kore parses: a request no route took is counted by these. */
static const int	unmatched_methods[] = {
	HTTP_METHOD_GET, HTTP_METHOD_POST, HTTP_METHOD_PUT, HTTP_METHOD_PATCH,
	HTTP_METHOD_DELETE, HTTP_METHOD_HEAD, HTTP_METHOD_OPTIONS,
};

#define UNMATCHED_METHODS \
	(sizeof(unmatched_methods) / sizeof(unmatched_methods[0]))

/*
 * The figures of one row of the route table, or of the requests of one
 * method that no row took. Latency buckets are kept apart (a request in
 * exactly one) and added up when a scrape writes them, so that +Inf is
 * their total and equals _count however the workers interleave.
 */
struct metrics_series {
	uint64_t	requests[METRICS_STATUSES];	/* by status */
	uint64_t	latency[METRICS_BUCKETS + 1];	/* last: > 10 s */
	uint64_t	latency_us;			/* their sum */
};

/* One worker's database pool, as gauges; zeroed when it (re)starts. */
struct metrics_worker {
	int64_t		db_holding;
	int64_t		db_waiting;
} __attribute__((aligned(64)));

struct metrics_shared {
	int64_t		started;	/* the server's, Unix seconds */
	uint64_t	worker_starts;
	uint64_t	db_waits;	/* queries that waited */
	uint32_t	nworkers;
	uint32_t	conn_max;	/* pooled connections per worker */
	uint32_t	nseries;
};

/* Set in the parent before the workers fork; NULL if it never ran. */
static struct metrics_shared	*shared;
static struct metrics_worker	*workers;
static struct metrics_series	*series;
/* This worker's slot in workers[]; NULL in the parent. */
static struct metrics_worker	*self;

static int	series_index(struct http_request *, struct api_ctx *);
static void	series_labels(int, const char **, const char **);
static void	label(struct kore_buf *, const char *, const char *, int);
static void	family(struct kore_buf *, const char *, const char *,
		    const char *);
static void	write_requests(struct kore_buf *);
static void	write_latency(struct kore_buf *);
static void	write_pool(struct kore_buf *);
static void	write_process(struct kore_buf *);
static void	write_jobs(struct kore_buf *, struct kore_pgsql *);
static void	metrics_buf_free(void *);
static int	metrics_jobs_done(struct http_request *, struct api_ctx *,
		    struct kore_pgsql *);

#define LOAD(x)		__atomic_load_n(&(x), __ATOMIC_RELAXED)
#define ADD(x, n)	((void)__atomic_fetch_add(&(x), (n), __ATOMIC_RELAXED))

/*
 * Maps the shared block for nworkers workers with conn_max pooled
 * connections each. Called once in the parent, before the workers fork,
 * so that they all inherit the same pages. Returns 0 or -1 (errno).
 */
int
metrics_setup(unsigned nworkers, unsigned conn_max)
{
	size_t	off_workers, off_series, len;
	char	*base;
	int	 nseries;

	if (shared != NULL)
		return (0);
	nseries = router_count() + (int)UNMATCHED_METHODS;
	off_workers = (sizeof(*shared) + 63) & ~(size_t)63;
	off_series = off_workers + nworkers * sizeof(*workers);
	len = off_series + nseries * sizeof(*series);

	base = mmap(NULL, len, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED)
		return (-1);
	shared = (struct metrics_shared *)base;
	workers = (struct metrics_worker *)(base + off_workers);
	series = (struct metrics_series *)(base + off_series);

	shared->started = (int64_t)time(NULL);
	shared->nworkers = nworkers;
	shared->conn_max = conn_max;
	shared->nseries = (uint32_t)nseries;

	return (0);
}

/*
 * In a worker that just started (module load): a worker Kore restarted
 * after a crash holds no connection any more, whatever its slot said.
 */
void
metrics_worker_start(void)
{
	if (shared == NULL || worker == NULL || worker->id < 1 ||
	    worker->id > shared->nworkers)
		return;
	self = &workers[worker->id - 1];
	__atomic_store_n(&self->db_holding, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&self->db_waiting, 0, __ATOMIC_RELAXED);
	ADD(shared->worker_starts, 1);
}

/* The row of the route table, or the method's row of unmatched ones. */
static int
series_index(struct http_request *req, struct api_ctx *ctx)
{
	size_t	i;

	if (ctx->route != NULL)
		return (router_index(ctx->route));
	for (i = 0; i < UNMATCHED_METHODS; i++) {
		if (unmatched_methods[i] == req->method)
			return (router_count() + (int)i);
	}

	return (-1);
}

static void
series_labels(int i, const char **route, const char **method)
{
	int	nroutes = router_count();

	if (i < nroutes) {
		*route = router_pattern(i);
		*method = http_method_text(router_method(i));
	} else {
		*route = "unmatched";
		*method = http_method_text(unmatched_methods[i - nroutes]);
	}
}

/*
 * Counts an answered request once, where the access log writes it:
 * status and duration are final. A HEAD request is counted as the GET
 * of its route, which served it.
 */
void
metrics_request(struct http_request *req, struct api_ctx *ctx)
{
	struct metrics_series	*s;
	struct timespec		 now;
	int64_t			 us;
	int			 i, b;

	if (shared == NULL || (i = series_index(req, ctx)) == -1)
		return;
	s = &series[i];
	if (req->status >= METRICS_STATUS_MIN &&
	    req->status < METRICS_STATUS_MIN + METRICS_STATUSES)
		ADD(s->requests[req->status - METRICS_STATUS_MIN], 1);

	clock_gettime(CLOCK_MONOTONIC, &now);
	us = (int64_t)(now.tv_sec - ctx->started.tv_sec) * 1000000 +
	    (now.tv_nsec - ctx->started.tv_nsec) / 1000;
	if (us < 0)
		us = 0;
	for (b = 0; b < METRICS_BUCKETS && (uint64_t)us > buckets[b].us; b++)
		;
	ADD(s->latency[b], 1);
	ADD(s->latency_us, (uint64_t)us);
}

/*
 * A query of this worker moved from one pool state to another
 * (METRICS_DB_*, db.c keeps the state per request).
 */
void
metrics_db(int from, int to)
{
	if (self == NULL)
		return;
	if (from == METRICS_DB_WAITING)
		ADD(self->db_waiting, -1);
	else if (from == METRICS_DB_HOLDING)
		ADD(self->db_holding, -1);
	if (to == METRICS_DB_WAITING) {
		ADD(self->db_waiting, 1);
		ADD(shared->db_waits, 1);
	} else if (to == METRICS_DB_HOLDING) {
		ADD(self->db_holding, 1);
	}
}

/* name="value", escaped; first says whether a comma goes before it. */
static void
label(struct kore_buf *b, const char *name, const char *value, int first)
{
	char	esc[METRICS_LABEL_MAX];

	if (codec_label_escape(value, esc, sizeof(esc)) >= sizeof(esc))
		(void)snprintf(esc, sizeof(esc), "too long");
	kore_buf_appendf(b, "%s%s=\"%s\"", first ? "" : ",", name, esc);
}

/* HELP and TYPE of a family; help holds no backslash or line feed. */
static void
family(struct kore_buf *b, const char *name, const char *type,
    const char *help)
{
	kore_buf_appendf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name,
	    type);
}

static void
write_requests(struct kore_buf *b)
{
	const char	*route, *method;
	uint64_t	 n;
	uint32_t	 i;
	int		 st;

	family(b, "ch_http_requests_total", "counter", "HTTP requests "
	    "answered by the API, by route pattern (unmatched: no route took "
	    "it), method and status.");
	for (i = 0; i < shared->nseries; i++) {
		series_labels(i, &route, &method);
		for (st = 0; st < METRICS_STATUSES; st++) {
			if ((n = LOAD(series[i].requests[st])) == 0)
				continue;
			kore_buf_appendf(b, "ch_http_requests_total{");
			label(b, "route", route, 1);
			label(b, "method", method, 0);
			kore_buf_appendf(b, ",status=\"%d\"} %llu\n",
			    st + METRICS_STATUS_MIN, (unsigned long long)n);
		}
	}
}

static void
write_latency(struct kore_buf *b)
{
	const char	*name = "ch_http_request_duration_seconds";
	const char	*route, *method;
	uint64_t	 n[METRICS_BUCKETS + 1], total, us;
	uint32_t	 i;
	int		 k;

	family(b, name, "histogram", "Time from a request's arrival at the "
	    "API to its answer, by route pattern and method.");
	for (i = 0; i < shared->nseries; i++) {
		total = 0;
		for (k = 0; k <= METRICS_BUCKETS; k++)
			total += (n[k] = LOAD(series[i].latency[k]));
		if (total == 0)
			continue;
		us = LOAD(series[i].latency_us);
		series_labels(i, &route, &method);
		total = 0;
		for (k = 0; k <= METRICS_BUCKETS; k++) {
			total += n[k];
			kore_buf_appendf(b, "%s_bucket{", name);
			label(b, "route", route, 1);
			label(b, "method", method, 0);
			kore_buf_appendf(b, ",le=\"%s\"} %llu\n",
			    k < METRICS_BUCKETS ? buckets[k].le : "+Inf",
			    (unsigned long long)total);
		}
		kore_buf_appendf(b, "%s_sum{", name);
		label(b, "route", route, 1);
		label(b, "method", method, 0);
		kore_buf_appendf(b, "} %llu.%06llu\n",
		    (unsigned long long)(us / 1000000),
		    (unsigned long long)(us % 1000000));
		kore_buf_appendf(b, "%s_count{", name);
		label(b, "route", route, 1);
		label(b, "method", method, 0);
		kore_buf_appendf(b, "} %llu\n", (unsigned long long)total);
	}
}

static void
write_pool(struct kore_buf *b)
{
	uint32_t	i;

	family(b, "ch_db_connections_in_use", "gauge", "Pooled PostgreSQL "
	    "connections a Kore worker's queries hold, by worker.");
	for (i = 0; i < shared->nworkers; i++) {
		kore_buf_appendf(b, "ch_db_connections_in_use{worker=\"%u\"} "
		    "%lld\n", i + 1, (long long)LOAD(workers[i].db_holding));
	}
	family(b, "ch_db_queries_waiting", "gauge", "Queries of a Kore "
	    "worker waiting for a free pooled connection, by worker.");
	for (i = 0; i < shared->nworkers; i++) {
		kore_buf_appendf(b, "ch_db_queries_waiting{worker=\"%u\"} "
		    "%lld\n", i + 1, (long long)LOAD(workers[i].db_waiting));
	}
	family(b, "ch_db_connections_max", "gauge", "Pooled PostgreSQL "
	    "connections the workers may open: pgsql_conn_max times the "
	    "workers.");
	kore_buf_appendf(b, "ch_db_connections_max %llu\n",
	    (unsigned long long)shared->conn_max * shared->nworkers);
	family(b, "ch_db_query_waits_total", "counter", "Queries that had "
	    "to wait for a free pooled connection.");
	kore_buf_appendf(b, "ch_db_query_waits_total %llu\n",
	    (unsigned long long)LOAD(shared->db_waits));
}

static void
write_process(struct kore_buf *b)
{
	family(b, "ch_build_info", "gauge", "The API's version and the "
	    "schema version it needs, as labels; always 1.");
	kore_buf_appendf(b, "ch_build_info{version=\"%s\",schema=\"%d\"} 1\n",
	    CH_VERSION, CH_SCHEMA_VERSION);
	family(b, "ch_start_time_seconds", "gauge", "When the API server "
	    "(Kore's parent process) started, in Unix seconds.");
	kore_buf_appendf(b, "ch_start_time_seconds %lld\n",
	    (long long)shared->started);
	family(b, "ch_worker_starts_total", "counter", "Kore worker processes "
	    "started, the first ones included: more than the workers means "
	    "Kore restarted one.");
	kore_buf_appendf(b, "ch_worker_starts_total %llu\n",
	    (unsigned long long)LOAD(shared->worker_starts));
}

/*
 * The rows of ch.metrics_jobs() (family, kind, label, value; "" for no
 * kind or label), written family by family as this table names them.
 * A row of a family not named here is left out.
 */
static const struct {
	const char	*key;		/* family in ch.metrics_jobs() */
	const char	*name;
	const char	*type;
	const char	*label;		/* its label column's name */
	const char	*help;
} job_families[] = {
	{ "jobs", "ch_matching_jobs", "gauge", "state",
	    "Matching jobs waiting (queued) or being computed (running), by "
	    "kind." },
	{ "oldest_queued_seconds", "ch_matching_oldest_queued_seconds",
	    "gauge", NULL, "How long the oldest queued matching job has "
	    "waited, in seconds; 0 when none waits." },
	{ "finished", "ch_matching_jobs_finished_total", "counter", "outcome",
	    "Matching jobs that ended, by kind and outcome (succeeded, "
	    "failed, cancelled); the rate of succeeded ones is the pool's "
	    "throughput." },
	{ "leases_expired", "ch_matching_leases_expired", "gauge", NULL,
	    "Running matching jobs whose lease ran out: their worker "
	    "vanished, and the next claim takes them again." },
	{ "runs", "ch_matching_runs_total", "counter", "outcome",
	    "Attempts at matching jobs that ended, by outcome (succeeded, "
	    "failed, retry, lease_expired)." },
};

static void
write_jobs(struct kore_buf *b, struct kore_pgsql *sql)
{
	const char	*kind, *lab, *value;
	char		*end;
	double		 v;
	size_t		 f;
	int		 i, rows, first;

	rows = kore_pgsql_nfields(sql) == 4 ? kore_pgsql_ntuples(sql) : 0;
	for (f = 0; f < sizeof(job_families) / sizeof(job_families[0]); f++) {
		family(b, job_families[f].name, job_families[f].type,
		    job_families[f].help);
		for (i = 0; i < rows; i++) {
			if (strcmp(kore_pgsql_getvalue(sql, i, 0),
			    job_families[f].key) != 0)
				continue;
			kind = kore_pgsql_getvalue(sql, i, 1);
			lab = kore_pgsql_getvalue(sql, i, 2);
			value = kore_pgsql_getvalue(sql, i, 3);
			v = strtod(value, &end);
			if (*value == '\0' || *end != '\0')
				continue;
			kore_buf_appendf(b, "%s", job_families[f].name);
			first = 1;
			if (*kind != '\0' || (*lab != '\0' &&
			    job_families[f].label != NULL))
				kore_buf_appendf(b, "{");
			if (*kind != '\0') {
				label(b, "kind", kind, first);
				first = 0;
			}
			if (*lab != '\0' && job_families[f].label != NULL) {
				label(b, job_families[f].label, lab, first);
				first = 0;
			}
			kore_buf_appendf(b, "%s %.15g\n", first ? "" : "}", v);
		}
	}
}

static void
metrics_buf_free(void *b)
{
	kore_buf_free(b);
}

/*
 * GET /metrics. Only the internal network and holders of the metrics
 * token may read it (config_metrics_access() says who); anyone else gets
 * 403 before anything is looked at. The figures kept in memory are taken
 * as the scrape arrives, the job queue's are asked of the database; if
 * the database does not answer, the rest is served all the same, with
 * ch_matching_up 0.
 */
int
metrics_get(struct http_request *req, struct api_ctx *ctx)
{
	struct kore_buf	*b;
	const char	*authorization;
	char		 peer[CONFIG_ADDR_MAX];
	int		 has_peer;

	if (!http_request_header(req, "authorization", &authorization))
		authorization = NULL;
	has_peer = api_peer_address(req, peer, sizeof(peer)) == 0;
	if (!config_metrics_access(&api_config, has_peer ? peer : NULL,
	    authorization)) {
		return (api_problem(req, ctx, 403, "forbidden", "The metrics "
		    "are for the internal network: ask from there, or send "
		    "the metrics token as a bearer token."));
	}
	if (resource_params(req, ctx, "get") != KORE_RESULT_OK)
		return (API_DONE);
	if (shared == NULL) {
		return (api_problem(req, ctx, 503, "not-ready", "The metrics "
		    "are not set up in this server process."));
	}

	b = kore_buf_alloc(16384);
	write_requests(b);
	write_latency(b);
	write_pool(b);
	write_process(b);
	ctx->data = b;
	ctx->data_free = metrics_buf_free;
	ctx->db.done_on_failure = 1;

	return (db_query(req, ctx, SQL_METRICS_JOBS, metrics_jobs_done, 0));
}

static int
metrics_jobs_done(struct http_request *req, struct api_ctx *ctx,
    struct kore_pgsql *sql)
{
	struct kore_buf	*b = ctx->data;
	int		 up = !ctx->db.failed;

	if (up)
		write_jobs(b, sql);
	family(b, "ch_matching_up", "gauge", "1 when the job queue's figures "
	    "above could be read from the database, else 0.");
	kore_buf_appendf(b, "ch_matching_up %d\n", up);

	return (api_text(req, ctx, 200, METRICS_CONTENT_TYPE, b->data,
	    b->offset));
}
