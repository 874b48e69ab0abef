/*
 * Asynchronous PostgreSQL queries for handlers: the worker keeps serving
 * other connections while a query runs.
 *
 * The pattern every handler copies:
 *
 *	static int
 *	thing_one(struct http_request *req, struct api_ctx *ctx)
 *	{
 *		(validate input; answer 4xx with api_problem_field)
 *		return (db_query(req, ctx, SQL_THING_ONE, thing_one_done,
 *		    1, ctx->params[0]));
 *	}
 *
 *	static int
 *	thing_one_done(struct http_request *req, struct api_ctx *ctx,
 *	    struct kore_pgsql *sql)
 *	{
 *		(read rows with kore_pgsql_*; answer with api_json/api_page;
 *		 or chain the next step with another db_query)
 *	}
 *
 * The router calls db_drive() each time Kore wakes the request; the done
 * callback runs once the query finished and its connection went back to
 * the pool. Failures never reach the callback: db_error() answers them.
 */

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "ch.h"

static int	db_send(struct http_request *, struct db *);
static int	db_stmt_index(const char *);
static struct db_conn_state *db_conn_state(PGconn *);
static void	db_set_error(struct kore_pgsql *, PGresult *);
static int	db_error(struct http_request *, struct api_ctx *);
static void	db_fail(struct http_request *, struct api_ctx *);
static void	db_keep_refusal(struct db *);
static int	db_refused(struct http_request *, struct api_ctx *);
static void	db_pool(struct db *, int);
static void	db_cleanup(struct db *);

/*
 * Per-process memory of what each pooled connection has prepared. Every
 * query is a constant string, so its address names it. A connection is
 * known by its PGconn and backend pid: Kore may reuse the address for a
 * new connection after an old one died, but never with the same backend.
 */
#define DB_STMT_MAX	512
#define DB_CONN_MAX	64

struct db_conn_state {
	PGconn		*conn;
	int		 backend;
	uint64_t	 prepared[DB_STMT_MAX / 64];	/* a bit per query */
};

static const char		*stmt_sql[DB_STMT_MAX];
static int			 stmt_count;
static struct db_conn_state	 conn_states[DB_CONN_MAX];

static int
db_stmt_index(const char *query)
{
	int	i;

	for (i = 0; i < stmt_count; i++) {
		if (stmt_sql[i] == query)
			return (i);
	}
	/* Beyond the table a query runs unprepared: slower, never fatal. */
	if (stmt_count == DB_STMT_MAX)
		return (-1);
	stmt_sql[stmt_count] = query;

	return (stmt_count++);
}

/*
 * Returns the state of conn, set up on first sight: sessions speak UTC
 * so timestamps in JSON built by PostgreSQL are RFC 3339 with +00:00.
 * NULL if that setup failed (the connection is then unusable).
 */
static struct db_conn_state *
db_conn_state(PGconn *conn)
{
	struct db_conn_state	*cs, *slot;
	PGresult		*res;
	int			 i, ok;

	slot = NULL;
	for (i = 0; i < DB_CONN_MAX; i++) {
		cs = &conn_states[i];
		if (cs->conn == conn) {
			if (cs->backend == PQbackendPID(conn))
				return (cs);
			slot = cs;
			break;
		}
		if (slot == NULL && cs->conn == NULL)
			slot = cs;
	}
	if (slot == NULL)
		fatal("db: more than %d connections", DB_CONN_MAX);

	res = PQexec(conn, "SET TIME ZONE 'UTC'");
	ok = PQresultStatus(res) == PGRES_COMMAND_OK;
	PQclear(res);
	if (!ok)
		return (NULL);

	slot->conn = conn;
	slot->backend = PQbackendPID(conn);
	memset(slot->prepared, 0, sizeof(slot->prepared));

	return (slot);
}

static void
db_set_error(struct kore_pgsql *sql, PGresult *res)
{
	kore_free(sql->error);
	sql->error = kore_strdup(PQerrorMessage(sql->conn->db));
	sql->state = KORE_PGSQL_STATE_ERROR;
	if (res != NULL) {
		if (sql->result != NULL)
			PQclear(sql->result);
		sql->result = res;
	}
}

/*
 * Where the query stands with the pool: waiting for a connection, holding
 * one, or neither. Kept per request so that each wait and each held
 * connection is counted once (metrics.c), whichever way it ends.
 */
static void
db_pool(struct db *db, int state)
{
	if (db->pool == state)
		return;
	metrics_db(db->pool, state);
	db->pool = state;
}

/* Gives the connection back, or leaves Kore's queue for one. */
static void
db_cleanup(struct db *db)
{
	kore_pgsql_cleanup(&db->sql);
	db_pool(db, METRICS_DB_IDLE);
}

/*
 * Takes a pooled connection and sends the query as a prepared statement
 * (prepared on this connection the first time, synchronously: a one-off
 * cost that halves the database's work for every later call). Returns
 * KORE_RESULT_ERROR with sql->state INIT when Kore queued us for a free
 * connection, or with state ERROR on failure.
 */
static int
db_send(struct http_request *req, struct db *db)
{
	struct kore_pgsql	*sql = &db->sql;
	struct db_conn_state	*cs;
	const char		*values[DB_PARAMS_MAX];
	PGresult		*res;
	PGconn			*conn;
	char			 name[16];
	int			 i, idx;

	if (!kore_pgsql_setup(sql, DB_NAME, KORE_PGSQL_ASYNC)) {
		db_pool(db, sql->state == KORE_PGSQL_STATE_INIT ?
		    METRICS_DB_WAITING : METRICS_DB_IDLE);
		return (KORE_RESULT_ERROR);
	}
	db_pool(db, METRICS_DB_HOLDING);
	conn = sql->conn->db;

	/*
	 * Kore never watches idle pooled connections, so one the server
	 * dropped (restart, failover) is only noticed when it fails. Reset it
	 * here, before use, so the API recovers without a restart.
	 */
	if (PQstatus(conn) != CONNECTION_OK)
		PQreset(conn);
	if (PQstatus(conn) != CONNECTION_OK ||
	    (cs = db_conn_state(conn)) == NULL) {
		db_set_error(sql, NULL);
		return (KORE_RESULT_ERROR);
	}

	for (i = 0; i < db->nparams; i++)
		values[i] = db->values[i];
	if ((idx = db_stmt_index(db->query)) == -1) {
		if (!PQsendQueryParams(conn, db->query, db->nparams, NULL,
		    values, db->lengths, db->formats, 0)) {
			db_set_error(sql, NULL);
			return (KORE_RESULT_ERROR);
		}
		goto sent;
	}
	(void)snprintf(name, sizeof(name), "ch_%d", idx);
	if (!(cs->prepared[idx / 64] & ((uint64_t)1 << (idx % 64)))) {
		res = PQprepare(conn, name, db->query, db->nparams, NULL);
		if (PQresultStatus(res) != PGRES_COMMAND_OK) {
			db_set_error(sql, res);
			return (KORE_RESULT_ERROR);
		}
		PQclear(res);
		cs->prepared[idx / 64] |= (uint64_t)1 << (idx % 64);
	}
	if (!PQsendQueryPrepared(conn, name, db->nparams, values, db->lengths,
	    db->formats, 0)) {
		db_set_error(sql, NULL);
		return (KORE_RESULT_ERROR);
	}

sent:
	/* What kore_pgsql_query_params() does after sending. */
	kore_platform_schedule_read(PQsocket(conn), sql->conn);
	sql->state = KORE_PGSQL_STATE_WAIT;
	sql->flags |= KORE_PGSQL_SCHEDULED;
	http_request_sleep(req);

	return (KORE_RESULT_OK);
}

/*
 * Starts query with nparams text parameters (const char *, NULL for SQL
 * NULL), copied so they may point into a previous result. done runs with
 * the rows once the query completed. Returns what the handler returns.
 */
int
db_query(struct http_request *req, struct api_ctx *ctx, const char *query,
    db_done_cb done, int nparams, ...)
{
	struct db	*db = &ctx->db;
	char		*values[DB_PARAMS_MAX];
	const char	*v;
	va_list		 ap;
	int		 i;

	if (nparams < 0 || nparams > DB_PARAMS_MAX)
		fatal("db_query: %d parameters", nparams);

	va_start(ap, nparams);
	for (i = 0; i < nparams; i++) {
		v = va_arg(ap, const char *);
		values[i] = (v == NULL) ? NULL : kore_strdup(v);
	}
	va_end(ap);

	db_release(db);
	for (i = 0; i < nparams; i++) {
		db->values[i] = values[i];
		db->lengths[i] = values[i] ? (int)strlen(values[i]) : 0;
		db->formats[i] = 0;
	}
	db->nparams = nparams;
	db->query = query;
	db->done = done;
	db->active = 1;
	db->failed = 0;
	db->sqlstate[0] = '\0';

	kore_pgsql_init(&db->sql);
	kore_pgsql_bind_request(&db->sql, req);

	return (db_drive(req, ctx));
}

/*
 * Moves the query along Kore's pgsql states until it must wait again
 * (API_PENDING) or it completed and the callback or db_error answered.
 */
int
db_drive(struct http_request *req, struct api_ctx *ctx)
{
	struct db		*db = &ctx->db;
	struct kore_pgsql	*sql = &db->sql;
	PGresult		*result;

	for (;;) {
		switch (sql->state) {
		case KORE_PGSQL_STATE_INIT:
			if (db_send(req, db))
				break;
			/* No free connection yet: Kore queued us. */
			if (sql->state == KORE_PGSQL_STATE_INIT)
				return (API_PENDING);
			db_fail(req, ctx);
			db_cleanup(db);
			goto complete;
		case KORE_PGSQL_STATE_WAIT:
			return (API_PENDING);
		case KORE_PGSQL_STATE_RESULT:
			/* Keep the rows past kore_pgsql_continue(). */
			if (db->result == NULL)
				db->result = sql->result;
			else
				PQclear(sql->result);
			sql->result = NULL;
			kore_pgsql_continue(sql);
			break;
		case KORE_PGSQL_STATE_ERROR:
			db_fail(req, ctx);
			if (sql->conn != NULL &&
			    (sql->flags & KORE_PGSQL_SCHEDULED) &&
			    PQstatus(sql->conn->db) == CONNECTION_OK) {
				/* Drain to DONE so the connection is reusable. */
				kore_pgsql_continue(sql);
				break;
			}
			db_cleanup(db);
			goto complete;
		case KORE_PGSQL_STATE_DONE:
		case KORE_PGSQL_STATE_NOTIFY:
			kore_pgsql_continue(sql);
			break;
		case KORE_PGSQL_STATE_COMPLETE:
			db_cleanup(db);
			goto complete;
		default:
			fatal("db_drive: unknown pgsql state %d", sql->state);
		}
	}

complete:
	db->active = 0;
	if (db->failed && !db->done_on_failure)
		return (db_error(req, ctx));

	/* Hand the kept rows to the callback through the usual accessors. */
	result = db->result;
	db->result = NULL;
	if (result == NULL)
		result = PQmakeEmptyPGresult(NULL, PGRES_COMMAND_OK);
	sql->result = result;

	return (db->done(req, ctx, sql));
}

/* Keeps what ch.fail() said: message, field errors and problem type. */
static void
db_keep_refusal(struct db *db)
{
	static const int	fields[3] = { PG_DIAG_MESSAGE_PRIMARY,
				    PG_DIAG_MESSAGE_DETAIL,
				    PG_DIAG_MESSAGE_HINT };
	const char		*v;
	int			 i;

	for (i = 0; i < 3; i++) {
		kore_free(db->refusal[i]);
		v = PQresultErrorField(db->sql.result, fields[i]);
		db->refusal[i] = (v != NULL && *v != '\0') ?
		    kore_strdup(v) : NULL;
	}
}

/* Records why a query failed; logs it with the request id, never the user. */
static void
db_fail(struct http_request *req, struct api_ctx *ctx)
{
	struct db	*db = &ctx->db;
	const char	*state;

	if (db->failed && db->sqlstate[0] != '\0')
		return;
	db->failed = 1;
	if (db->sql.result != NULL &&
	    (state = PQresultErrorField(db->sql.result, PG_DIAG_SQLSTATE))) {
		kore_strlcpy(db->sqlstate, state, sizeof(db->sqlstate));
		if (strncmp(state, "CH", 2) == 0)
			db_keep_refusal(db);
	}
	kore_log(LOG_NOTICE, "request %s %s: database: %s (sqlstate %s)",
	    ctx->request_id, req->path,
	    db->sql.error ? db->sql.error : "connection unavailable",
	    db->sqlstate[0] ? db->sqlstate : "-");
}

/*
 * Maps a failed query to a problem answer. Constraint violations are the
 * database refusing bad data the API let through (409/422); a lost or
 * refused connection is 503; anything else is a bug and says 500.
 */
static int
db_error(struct http_request *req, struct api_ctx *ctx)
{
	const char	*s = ctx->db.sqlstate;

	if (strncmp(s, "CH", 2) == 0)
		return (db_refused(req, ctx));
	if (s[0] == '\0' || strncmp(s, "08", 2) == 0 ||
	    strncmp(s, "57P", 3) == 0 || strcmp(s, "53300") == 0 ||
	    strcmp(s, "40001") == 0 || strcmp(s, "40P01") == 0) {
		return (api_problem(req, ctx, 503, "database-unavailable",
		    "The database is not reachable right now; "
		    "retry shortly."));
	}
	if (strcmp(s, "23505") == 0 || strcmp(s, "23P01") == 0) {
		return (api_problem(req, ctx, 409, "conflict",
		    "This would duplicate an existing record."));
	}
	if (strcmp(s, "23503") == 0) {
		return (api_problem(req, ctx, 409, "conflict",
		    "A referenced record does not exist or is still in use."));
	}
	if (strncmp(s, "23", 2) == 0 || strncmp(s, "22", 2) == 0) {
		return (api_problem(req, ctx, 422, "validation-failed",
		    "The data breaks a rule of the schema."));
	}

	return (api_problem(req, ctx, 500, "internal-error",
	    "An unexpected error occurred; it was logged with the request id."));
}

/*
 * Answers a refusal of our SQL functions: SQLSTATE CHnnn, nnn the status.
 * Their messages are written for API users; anything else is a bug. A
 * 401 (the caller's account ended during the request) carries the
 * challenge every 401 does, so its message must hold no quotes.
 */
static int
db_refused(struct http_request *req, struct api_ctx *ctx)
{
	static const struct {
		const char	*state;
		int		 status;
		const char	*type;
	} map[] = {
		{ "CH400", 400, "invalid-parameter" },
		{ "CH401", 401, "invalid-token" },
		{ "CH403", 403, "forbidden" },
		{ "CH404", 404, "not-found" },
		{ "CH409", 409, "conflict" },
		{ "CH412", 412, "precondition-failed" },
		{ "CH422", 422, "validation-failed" },
	};
	struct db	*db = &ctx->db;
	const char	*errors;
	size_t		 i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		if (strcmp(db->sqlstate, map[i].state) == 0)
			break;
	}
	if (i == sizeof(map) / sizeof(map[0]) || db->refusal[0] == NULL) {
		return (api_problem(req, ctx, 500, "internal-error",
		    "An unexpected error occurred; it was logged with the "
		    "request id."));
	}
	if (map[i].status == 401) {
		return (auth_unauthenticated(req, ctx, "invalid_token",
		    db->refusal[0]));
	}
	errors = db->refusal[1];
	if (errors != NULL && errors[0] != '[')
		errors = NULL;

	return (api_problem_errors(req, ctx, map[i].status,
	    db->refusal[2] != NULL ? db->refusal[2] : map[i].type,
	    db->refusal[0], errors));
}

/* Frees the copied parameters and kept rows; safe to call twice. */
void
db_release(struct db *db)
{
	int	i;

	if (db->active) {
		db_cleanup(db);
		db->active = 0;
	}
	if (db->sql.result != NULL) {
		PQclear(db->sql.result);
		db->sql.result = NULL;
	}
	if (db->result != NULL) {
		PQclear(db->result);
		db->result = NULL;
	}
	for (i = 0; i < db->nparams; i++) {
		kore_free(db->values[i]);
		db->values[i] = NULL;
	}
	db->nparams = 0;
	for (i = 0; i < 3; i++) {
		kore_free(db->refusal[i]);
		db->refusal[i] = NULL;
	}
}

/*
 * A done callback for queries whose single row and column is the JSON
 * body: 200 with it, or 404 when there is no row.
 */
int
db_respond_json(struct http_request *req, struct api_ctx *ctx,
    struct kore_pgsql *sql)
{
	if (kore_pgsql_ntuples(sql) == 0) {
		return (api_problem(req, ctx, 404, "not-found",
		    "No such resource."));
	}

	return (api_json(req, ctx, 200, kore_pgsql_getvalue(sql, 0, 0),
	    kore_pgsql_getlength(sql, 0, 0)));
}
