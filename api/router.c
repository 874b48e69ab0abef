/*
 * The route table and the single Kore entry point: request ids, 404/405,
 * query parsing, asynchronous re-entry, the JSON access log and the
 * request metrics.
 */

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "ch.h"
#include "sql.h"

struct route {
	int		 method;
	const char	*pattern;
	unsigned	 roles;		/* who may call it; PUBLIC: anyone */
	api_handler	 handler;
	const char	*sql;		/* for the generic handlers of resource.c */
	unsigned	 flags;		/* ROUTE_* */
	api_prepare	 prepare;	/* C before the SQL call (resource.c) */
};

#define PUBLIC		0u
#define ADMIN		ROLE_BIT(ROLE_STATE_ADMIN)
#define COORD		ROLE_BIT(ROLE_COORDINATOR)
#define ASSIST		ROLE_BIT(ROLE_ASSISTANT)
#define ORG		ROLE_BIT(ROLE_ORGANIZATION)
#define SELF		ROLE_BIT(ROLE_PARTICIPANT)
#define MENTOR		ROLE_BIT(ROLE_MENTOR)
#define DISTRICT_STAFF	(COORD | ASSIST)
#define PROPOSAL_ROLES	(DISTRICT_STAFF | ORG | MENTOR | SELF)

/*
 * Every route of the API and the roles that may call it. Each one is an
 * operation of openapi/openapi.yaml whose x-roles names the same roles
 * (router_check_contract() refuses the start otherwise). Finer rules
 * (own district, own record) are the handler's: for the generic
 * handlers, their SQL function's. A step that must run in C before a
 * generic handler's SQL call (hashing a password) is the route's
 * prepare, last in its row.
 */
/* Most routes have no flags or prepare step: the table leaves them out. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
static const struct route routes[] = {
	{ HTTP_METHOD_GET,	"/healthz",		PUBLIC, health_live, NULL },
	{ HTTP_METHOD_GET,	"/readyz",		PUBLIC, health_ready, NULL },
	/* For the internal network or a token: metrics_get() checks. */
	{ HTTP_METHOD_GET,	"/metrics",		PUBLIC, metrics_get, NULL },
	{ HTTP_METHOD_GET,	"/openapi.json",	PUBLIC, index_openapi, NULL },
	{ HTTP_METHOD_GET,	"/.well-known/jwks.json", PUBLIC,
	    sessions_jwks, NULL },
	{ HTTP_METHOD_GET,	"/v1",			PUBLIC, index_v1, NULL },
	{ HTTP_METHOD_POST,	"/v1/auth/token",	PUBLIC, sessions_token, NULL },
	{ HTTP_METHOD_POST,	"/v1/auth/refresh",	PUBLIC,
	    sessions_refresh, NULL },
	{ HTTP_METHOD_POST,	"/v1/auth/logout",	PUBLIC,
	    sessions_logout, NULL },
	{ HTTP_METHOD_GET,	"/v1/me",		ROLES_ANY,
	    resource_get, SQL_GET("ch.me_get") },
	{ HTTP_METHOD_POST,	"/v1/me/password",	ROLES_ANY,
	    resource_create, SQL_CREATE("ch.me_password"), 0,
	    password_prepare_change },
	{ HTTP_METHOD_GET,	"/v1/me/export",	ROLES_ANY,
	    resource_list, SQL_LIST("ch.me_export"), ROUTE_BY_TEXT },
	{ HTTP_METHOD_POST,	"/v1/me/erasure",	SELF | MENTOR | ORG,
	    resource_create, SQL_CREATE("ch.me_erasure_create"),
	    ROUTE_ACCEPTED },
	{ HTTP_METHOD_GET,	"/v1/users",		ADMIN | COORD,
	    resource_list, SQL_LIST("ch.user_list"), ROUTE_BY_TEXT },
	{ HTTP_METHOD_POST,	"/v1/users",		ADMIN | COORD,
	    resource_create, SQL_CREATE("ch.user_create"), 0,
	    password_prepare_account },
	{ HTTP_METHOD_GET,	"/v1/users/{id}",	ADMIN | COORD,
	    resource_get, SQL_GET("ch.user_get") },
	{ HTTP_METHOD_PATCH,	"/v1/users/{id}",	ADMIN | COORD,
	    resource_update, SQL_UPDATE("ch.user_update") },
	{ HTTP_METHOD_POST,	"/v1/users/{id}/erasure",	ADMIN | COORD,
	    resource_create, SQL_CREATE_OF("ch.user_erasure_create"),
	    ROUTE_ACCEPTED },
	{ HTTP_METHOD_GET,	"/v1/districts",	PUBLIC, districts_list, NULL },
	{ HTTP_METHOD_GET,	"/v1/districts/{id}",	PUBLIC, districts_one, NULL },
	{ HTTP_METHOD_GET,	"/v1/places",		PUBLIC, places_list, NULL },
	{ HTTP_METHOD_GET,	"/v1/places/{id}",	PUBLIC, places_one, NULL },
	{ HTTP_METHOD_GET,	"/v1/taxonomies",	PUBLIC, taxonomies_list, NULL },
	{ HTTP_METHOD_GET,	"/v1/taxonomies/{name}", PUBLIC,
	    taxonomies_one, NULL },

	{ HTTP_METHOD_GET,	"/v1/organizations",	ROLES_ANY,
	    resource_list, SQL_LIST("ch.organization_list") },
	{ HTTP_METHOD_POST,	"/v1/organizations",	DISTRICT_STAFF,
	    resource_create, SQL_CREATE("ch.organization_create") },
	{ HTTP_METHOD_GET,	"/v1/organizations/{id}", ROLES_ANY,
	    resource_get, SQL_GET("ch.organization_get") },
	{ HTTP_METHOD_PATCH,	"/v1/organizations/{id}",
	    DISTRICT_STAFF | ORG,
	    resource_update, SQL_UPDATE("ch.organization_update") },
	{ HTTP_METHOD_DELETE,	"/v1/organizations/{id}", DISTRICT_STAFF,
	    resource_delete, SQL_DELETE("ch.organization_delete") },

	{ HTTP_METHOD_GET,	"/v1/offers",		ROLES_ANY,
	    resource_list, SQL_LIST("ch.offer_list") },
	{ HTTP_METHOD_POST,	"/v1/offers",		DISTRICT_STAFF | ORG,
	    resource_create, SQL_CREATE("ch.offer_create") },
	{ HTTP_METHOD_GET,	"/v1/offers/{id}",	ROLES_ANY,
	    resource_get, SQL_GET("ch.offer_get") },
	{ HTTP_METHOD_PATCH,	"/v1/offers/{id}",	DISTRICT_STAFF | ORG,
	    resource_update, SQL_UPDATE("ch.offer_update") },
	{ HTTP_METHOD_DELETE,	"/v1/offers/{id}",	DISTRICT_STAFF | ORG,
	    resource_delete, SQL_DELETE("ch.offer_delete") },

	{ HTTP_METHOD_GET,	"/v1/participants",	DISTRICT_STAFF,
	    resource_list, SQL_LIST("ch.participant_list") },
	{ HTTP_METHOD_POST,	"/v1/participants",	DISTRICT_STAFF,
	    resource_create, SQL_CREATE("ch.participant_create") },
	{ HTTP_METHOD_GET,	"/v1/participants/{id}", DISTRICT_STAFF | SELF,
	    resource_get, SQL_GET("ch.participant_get") },
	{ HTTP_METHOD_PATCH,	"/v1/participants/{id}", DISTRICT_STAFF | SELF,
	    resource_update, SQL_UPDATE("ch.participant_update") },
	{ HTTP_METHOD_GET,	"/v1/participants/{id}/export",
	    DISTRICT_STAFF | SELF, resource_list,
	    SQL_LIST_OF("ch.participant_export"), ROUTE_BY_TEXT },
	{ HTTP_METHOD_POST,	"/v1/participants/{id}/erasure", COORD | SELF,
	    resource_create, SQL_CREATE_OF("ch.participant_erasure_create"),
	    ROUTE_ACCEPTED },
	{ HTTP_METHOD_GET,	"/v1/participants/{id}/contact",
	    DISTRICT_STAFF | SELF,
	    resource_get, SQL_GET("ch.contact_get") },
	{ HTTP_METHOD_PATCH,	"/v1/participants/{id}/contact",
	    DISTRICT_STAFF | SELF,
	    resource_update, SQL_UPDATE("ch.contact_update") },
	{ HTTP_METHOD_GET,	"/v1/participants/{id}/consents",
	    DISTRICT_STAFF | SELF,
	    resource_list, SQL_LIST_OF("ch.consent_list") },
	{ HTTP_METHOD_POST,	"/v1/participants/{id}/consents",
	    DISTRICT_STAFF | SELF,
	    resource_create, SQL_CREATE_OF("ch.consent_grant") },
	{ HTTP_METHOD_GET,	"/v1/participants/{id}/consents/{purpose}",
	    DISTRICT_STAFF | SELF,
	    resource_get, SQL_GET_BY("ch.consent_get") },
	{ HTTP_METHOD_DELETE,	"/v1/participants/{id}/consents/{purpose}",
	    DISTRICT_STAFF | SELF,
	    resource_delete, SQL_GET_BY("ch.consent_withdraw") },

	{ HTTP_METHOD_GET,	"/v1/placements",
	    DISTRICT_STAFF | ORG | SELF,
	    resource_list, SQL_LIST("ch.placement_list") },
	{ HTTP_METHOD_POST,	"/v1/placements",	DISTRICT_STAFF,
	    resource_create, SQL_CREATE("ch.placement_create") },
	{ HTTP_METHOD_GET,	"/v1/placements/{id}",
	    DISTRICT_STAFF | ORG | SELF,
	    resource_get, SQL_GET("ch.placement_get") },
	{ HTTP_METHOD_PATCH,	"/v1/placements/{id}",	DISTRICT_STAFF | ORG,
	    resource_update, SQL_UPDATE("ch.placement_update") },

	{ HTTP_METHOD_GET,	"/v1/mentors",		ROLES_ANY,
	    resource_list, SQL_LIST("ch.mentor_list") },
	{ HTTP_METHOD_POST,	"/v1/mentors",		COORD | MENTOR,
	    resource_create, SQL_CREATE("ch.mentor_create") },
	{ HTTP_METHOD_GET,	"/v1/mentors/{id}",	ROLES_ANY,
	    resource_get, SQL_GET("ch.mentor_get") },
	{ HTTP_METHOD_PATCH,	"/v1/mentors/{id}",	COORD | MENTOR,
	    resource_update, SQL_UPDATE("ch.mentor_update") },
	{ HTTP_METHOD_GET,	"/v1/participants/{id}/mentee-profile",
	    DISTRICT_STAFF | SELF,
	    resource_get, SQL_GET("ch.mentee_get") },
	{ HTTP_METHOD_PUT,	"/v1/participants/{id}/mentee-profile",
	    DISTRICT_STAFF | SELF,
	    resource_update, SQL_UPDATE("ch.mentee_put") },
	{ HTTP_METHOD_PATCH,	"/v1/participants/{id}/mentee-profile",
	    DISTRICT_STAFF | SELF,
	    resource_update, SQL_UPDATE("ch.mentee_update") },
	{ HTTP_METHOD_GET,	"/v1/tandems",
	    DISTRICT_STAFF | MENTOR | SELF,
	    resource_list, SQL_LIST("ch.tandem_list") },
	{ HTTP_METHOD_POST,	"/v1/tandems",		DISTRICT_STAFF,
	    resource_create, SQL_CREATE("ch.tandem_create") },
	{ HTTP_METHOD_GET,	"/v1/tandems/{id}",
	    DISTRICT_STAFF | MENTOR | SELF,
	    resource_get, SQL_GET("ch.tandem_get") },
	{ HTTP_METHOD_PATCH,	"/v1/tandems/{id}",	DISTRICT_STAFF | MENTOR,
	    resource_update, SQL_UPDATE("ch.tandem_update") },
	{ HTTP_METHOD_GET,	"/v1/tandems/{id}/meetings",
	    DISTRICT_STAFF | MENTOR | SELF,
	    resource_list, SQL_LIST_OF("ch.meeting_list") },
	{ HTTP_METHOD_POST,	"/v1/tandems/{id}/meetings", MENTOR | SELF,
	    resource_create, SQL_CREATE_OF("ch.meeting_create") },
	{ HTTP_METHOD_GET,	"/v1/tandems/{id}/meetings/{meeting_id}",
	    DISTRICT_STAFF | MENTOR | SELF,
	    resource_get, SQL_GET_BY("ch.meeting_get") },
	{ HTTP_METHOD_GET,	"/v1/events",		ROLES_ANY,
	    resource_list, SQL_LIST("ch.event_list") },
	{ HTTP_METHOD_POST,	"/v1/events",		COORD,
	    resource_create, SQL_CREATE("ch.event_create") },
	{ HTTP_METHOD_GET,	"/v1/events/{id}",	ROLES_ANY,
	    resource_get, SQL_GET("ch.event_get") },
	{ HTTP_METHOD_PATCH,	"/v1/events/{id}",	COORD,
	    resource_update, SQL_UPDATE("ch.event_update") },
	{ HTTP_METHOD_GET,	"/v1/events/{id}/registrations", ROLES_ANY,
	    resource_list, SQL_LIST_OF("ch.registration_list") },
	{ HTTP_METHOD_POST,	"/v1/events/{id}/registrations", MENTOR | SELF,
	    resource_create, SQL_CREATE_OF("ch.registration_create") },
	{ HTTP_METHOD_GET,
	    "/v1/events/{id}/registrations/{registration_id}", ROLES_ANY,
	    resource_get, SQL_GET_BY("ch.registration_get") },
	{ HTTP_METHOD_DELETE,
	    "/v1/events/{id}/registrations/{registration_id}", ROLES_ANY,
	    resource_delete, SQL_GET_BY("ch.registration_cancel") },
	{ HTTP_METHOD_GET,	"/v1/reports/women",	ADMIN | COORD,
	    resource_get, SQL_GET("ch.women_report") },
	{ HTTP_METHOD_POST,	"/v1/matching/jobs",	ADMIN | DISTRICT_STAFF,
	    resource_create, SQL_CREATE("ch.matching_job_create"),
	    ROUTE_ACCEPTED },
	{ HTTP_METHOD_GET,	"/v1/matching/jobs/{id}", ADMIN | DISTRICT_STAFF,
	    matching_job_get, NULL },
	{ HTTP_METHOD_DELETE,	"/v1/matching/jobs/{id}", ADMIN | DISTRICT_STAFF,
	    resource_delete, SQL_DELETE("ch.matching_job_cancel") },
	{ HTTP_METHOD_GET,	"/v1/matching/jobs/{id}/proposals",
	    ADMIN | DISTRICT_STAFF, resource_list,
	    SQL_LIST_OF("ch.matching_job_proposals"), ROUTE_RANKED },
	{ HTTP_METHOD_GET,	"/v1/matching/settings/{district}/{programme}",
	    ADMIN | DISTRICT_STAFF, resource_get, SQL_SETTINGS_GET },
	{ HTTP_METHOD_PUT,	"/v1/matching/settings/{district}/{programme}",
	    COORD, resource_update, SQL_SETTINGS_PUT },
	{ HTTP_METHOD_GET,	"/v1/proposals",	PROPOSAL_ROLES,
	    resource_list, SQL_LIST("ch.proposal_list") },
	{ HTTP_METHOD_GET,	"/v1/proposals/{id}",	PROPOSAL_ROLES,
	    resource_get, SQL_GET("ch.proposal_get") },
	{ HTTP_METHOD_POST,	"/v1/proposals/{id}/approve", DISTRICT_STAFF,
	    resource_create, SQL_CREATE_OF("ch.proposal_approve") },
	{ HTTP_METHOD_POST,	"/v1/proposals/{id}/reject", DISTRICT_STAFF,
	    resource_create, SQL_CREATE_OF("ch.proposal_reject") },
	{ HTTP_METHOD_POST,	"/v1/proposals/{id}/accept", PROPOSAL_ROLES,
	    resource_create, SQL_CREATE_OF("ch.proposal_accept") },
	{ HTTP_METHOD_POST,	"/v1/proposals/{id}/decline", PROPOSAL_ROLES,
	    resource_create, SQL_CREATE_OF("ch.proposal_decline") },

	{ HTTP_METHOD_GET,	"/v1/problem-reports",	DISTRICT_STAFF | SELF,
	    resource_list, SQL_LIST("ch.problem_report_list") },
	{ HTTP_METHOD_POST,	"/v1/problem-reports",	DISTRICT_STAFF | SELF,
	    resource_create, SQL_CREATE("ch.problem_report_create") },
	{ HTTP_METHOD_GET,	"/v1/problem-reports/{id}", DISTRICT_STAFF | SELF,
	    resource_get, SQL_GET("ch.problem_report_get") },
	{ HTTP_METHOD_PATCH,	"/v1/problem-reports/{id}", DISTRICT_STAFF,
	    resource_update, SQL_UPDATE("ch.problem_report_update") },
	{ HTTP_METHOD_GET,	"/v1/problem-reports/{id}/comments",
	    DISTRICT_STAFF | SELF,
	    resource_list, SQL_LIST_OF("ch.problem_comment_list") },
	{ HTTP_METHOD_POST,	"/v1/problem-reports/{id}/comments",
	    DISTRICT_STAFF | SELF,
	    resource_create, SQL_CREATE_OF("ch.problem_comment_create") },
	{ HTTP_METHOD_GET,
	    "/v1/problem-reports/{id}/comments/{comment_id}",
	    DISTRICT_STAFF | SELF,
	    resource_get, SQL_GET_BY("ch.problem_comment_get") },

	{ HTTP_METHOD_GET,	"/v1/erasure-requests",	ADMIN | COORD,
	    resource_list, SQL_LIST("ch.erasure_list") },
	{ HTTP_METHOD_GET,	"/v1/erasure-requests/{id}", ROLES_ANY,
	    resource_get, SQL_GET("ch.erasure_get") },
	{ HTTP_METHOD_POST,	"/v1/erasure-requests/{id}/cancel",
	    ADMIN | COORD | SELF | MENTOR | ORG,
	    resource_create, SQL_CREATE_OF("ch.erasure_cancel") },
	{ HTTP_METHOD_GET,	"/v1/admin/retention",	ADMIN,
	    resource_get, SQL_GET("ch.retention_get") },
	{ HTTP_METHOD_PUT,	"/v1/admin/retention",	ADMIN,
	    resource_update, SQL_UPDATE("ch.retention_put") },
	{ HTTP_METHOD_POST,	"/v1/admin/retention/confirm", ADMIN,
	    resource_create, SQL_CREATE("ch.retention_confirm") },
	{ HTTP_METHOD_POST,	"/v1/admin/retention/runs", ADMIN,
	    resource_create, SQL_CREATE("ch.retention_request"),
	    ROUTE_ACCEPTED },
	{ HTTP_METHOD_GET,	"/v1/audit",		ADMIN | COORD,
	    resource_list, SQL_LIST("ch.audit_list") },
#if defined(CH_BENCH_ROUTES)
	{ HTTP_METHOD_GET,	"/bench/districts-cjson/{id}", PUBLIC,
	    districts_one_cjson, NULL },
#endif
};
#pragma GCC diagnostic pop

#define ROUTE_COUNT	(sizeof(routes) / sizeof(routes[0]))
#define ROUTE_SEGMENTS	16

static int	route_split(char *, char **, int);
static int	route_match(const struct route *, char **, int, char **);
static void	allow_header(struct http_request *, int);
static void	ctx_free(struct http_request *);
static void	method_case(char *, size_t, const char *, int (*)(int));
static int	contract_roles(const cJSON *, unsigned *, char *, size_t);
static void	roles_text(unsigned, char *, size_t);
static int	disagreement(void (*)(const char *), const char *, ...)
		    __attribute__((format(printf, 2, 3)));
static int	route_exists(const char *, const char *);

/* Splits a path copy at '/' in place; -1 when it has too many segments. */
static int
route_split(char *path, char **seg, int max)
{
	int	n;

	if (*path != '/')
		return (-1);
	for (n = 0; path != NULL; n++) {
		if (n == max)
			return (-1);
		seg[n] = ++path;
		if ((path = strchr(path, '/')) != NULL)
			*path = '\0';
	}

	return (n);
}

/* Matches split segments against a pattern; {name} captures a segment. */
static int
route_match(const struct route *r, char **seg, int nseg, char **params)
{
	const char	*p, *end;
	size_t		 len;
	int		 i, np;

	p = r->pattern + 1;
	np = 0;
	memset(params, 0, ROUTE_PARAMS_MAX * sizeof(*params));
	for (i = 0; i < nseg; i++) {
		if (p == NULL)
			return (0);
		end = strchr(p, '/');
		len = end ? (size_t)(end - p) : strlen(p);
		if (len > 0 && p[0] == '{') {
			if (seg[i][0] == '\0' || np == ROUTE_PARAMS_MAX)
				return (0);
			params[np++] = seg[i];
		} else if (strlen(seg[i]) != len || strncmp(seg[i], p, len)) {
			return (0);
		}
		p = end ? end + 1 : NULL;
	}

	return (p == NULL);
}

static void
allow_header(struct http_request *req, int methods)
{
	char	buf[64];

	(void)snprintf(buf, sizeof(buf), "%s%s%s%s%sOPTIONS",
	    (methods & HTTP_METHOD_GET) ? "GET, HEAD, " : "",
	    (methods & HTTP_METHOD_POST) ? "POST, " : "",
	    (methods & HTTP_METHOD_PUT) ? "PUT, " : "",
	    (methods & HTTP_METHOD_PATCH) ? "PATCH, " : "",
	    (methods & HTTP_METHOD_DELETE) ? "DELETE, " : "");
	http_response_header(req, "allow", buf);
}

/*
 * Kore's free hook. Kore calls it again on each pass while a task of the
 * request still runs, so it leaves everything alone until the task is
 * done, and every step is safe to repeat.
 */
static void
ctx_free(struct http_request *req)
{
	struct api_ctx	*ctx = http_state_get(req);

	if (ctx == NULL || password_release(ctx) == -1)
		return;
	db_release(&ctx->db);
	resource_release(ctx);
	if (ctx->data_free != NULL)
		ctx->data_free(ctx->data);
	ctx->data = NULL;
	ctx->data_free = NULL;
	auth_release(ctx);
	kore_free(ctx->path);
	ctx->path = NULL;
	kore_free(ctx->query_copy);
	ctx->query_copy = NULL;
}

/*
 * The only handler Kore knows. First call: set up the context, route,
 * answer what no handler needs to see. Later calls: Kore woke the request
 * because its query moved on.
 */
int
api_dispatch(struct http_request *req)
{
	const struct route	*r;
	struct api_ctx		*ctx;
	char			*seg[ROUTE_SEGMENTS], *params[ROUTE_PARAMS_MAX];
	const char		*hdr, *bad;
	api_handler		 h;
	int			 i, nseg, method, allowed, ret, err;

	if ((ctx = http_state_get(req)) != NULL) {
		if (ctx->task != NULL) {
			ret = password_drive(req, ctx);
		} else if (ctx->resume != NULL) {
			h = ctx->resume;
			ctx->resume = NULL;
			ret = h(req, ctx);
		} else {
			ret = db_drive(req, ctx);
		}
		goto out;
	}

	ctx = http_state_create(req, sizeof(*ctx), ctx_free);
	clock_gettime(CLOCK_MONOTONIC, &ctx->started);
	if (http_request_header(req, "x-request-id", &hdr) &&
	    codec_request_id_ok(hdr))
		kore_strlcpy(ctx->request_id, hdr, sizeof(ctx->request_id));
	else
		codec_request_id_new(ctx->request_id, sizeof(ctx->request_id));

	/* Kore reads no chunked body: it frames a request by Content-Length
	 * alone, so behind a proxy that honours Transfer-Encoding the chunks
	 * would become the next request on this connection (request
	 * smuggling). Any transfer coding, on any method: 400 and close, as
	 * RFC 9112 section 6.3 asks when the framing cannot be trusted.
	 * (POST, PUT and PATCH without Content-Length never get here: Kore
	 * answers 411 itself.) */
	if (http_request_header(req, "transfer-encoding", &hdr)) {
		req->owner->flags |= CONN_CLOSE_EMPTY;
		ret = api_problem(req, ctx, 400, "bad-request",
		    "Transfer-Encoding is not supported: send the body with "
		    "Content-Length.");
		goto out;
	}

	/* Kore reads bodies of POST, PUT and PATCH only: the bytes of any
	 * other request's body would become the next request on this
	 * connection (request smuggling). Refuse and close. */
	if (req->method != HTTP_METHOD_POST && req->method != HTTP_METHOD_PUT &&
	    req->method != HTTP_METHOD_PATCH &&
	    http_request_header(req, "content-length", &hdr) &&
	    strcmp(hdr, "0") != 0) {
		req->owner->flags |= CONN_CLOSE_EMPTY;
		ret = api_problem(req, ctx, 400, "bad-request",
		    "Only POST, PUT and PATCH requests may have a body.");
		goto out;
	}

	ctx->path = kore_strdup(req->path);
	nseg = route_split(ctx->path, seg, ROUTE_SEGMENTS);
	method = (req->method == HTTP_METHOD_HEAD) ? HTTP_METHOD_GET :
	    req->method;
	r = NULL;
	allowed = 0;
	for (i = 0; nseg > 0 && i < (int)ROUTE_COUNT; i++) {
		if (!route_match(&routes[i], seg, nseg, params))
			continue;
		allowed |= routes[i].method;
		if (r == NULL && routes[i].method == method) {
			r = &routes[i];
			memcpy(ctx->params, params, sizeof(params));
		}
	}

	if (allowed == 0) {
		ret = api_problem(req, ctx, 404, "not-found",
		    "There is no resource at this path.");
		goto out;
	}
	if (r == NULL) {
		allow_header(req, allowed);
		if (req->method == HTTP_METHOD_OPTIONS)
			ret = api_no_content(req, ctx, 204);
		else
			ret = api_problem(req, ctx, 405, "method-not-allowed",
			    "This method is not allowed here; see the Allow "
			    "header.");
		goto out;
	}
	ctx->route = r;
	ctx->pattern = r->pattern;
	ctx->sql = r->sql;
	ctx->route_flags = r->flags;
	ctx->prepare = r->prepare;

	if (req->query_string != NULL)
		ctx->query_copy = kore_strdup(req->query_string);
	err = codec_query_parse(ctx->query_copy, &ctx->query, &bad);
	if (err != CODEC_QUERY_OK) {
		ret = api_problem_field(req, ctx, 400,
		    bad != NULL ? bad : "query",
		    err == CODEC_QUERY_DUPLICATE ? "duplicate" : "malformed",
		    err == CODEC_QUERY_TOO_MANY ? "Too many query parameters." :
		    err == CODEC_QUERY_DUPLICATE ?
		    "A query parameter was given more than once." :
		    "The query string is malformed: bad %-escape, control "
		    "character or invalid UTF-8.");
		goto out;
	}

	ret = r->roles == PUBLIC ? r->handler(req, ctx) : auth_begin(req, ctx);

out:
	if (ret == API_DONE) {
		metrics_request(req, ctx);
		if (api_config.access_log)
			router_log_request(req, ctx);
	}
	return (ret);
}

/* The contract's spelling of a method ("get") or ours ("GET"). */
static void
method_case(char *dst, size_t len, const char *src, int (*to)(int))
{
	size_t	i;

	for (i = 0; i + 1 < len && src[i] != '\0'; i++)
		dst[i] = (char)to((unsigned char)src[i]);
	dst[i] = '\0';
}

/*
 * The roles an operation's x-roles names, in the table's terms: [public]
 * is PUBLIC. It must hold distinct role names, or public alone; anything
 * else is refused with the reason in why, as a typo would otherwise read
 * as a role nobody has.
 */
static int
contract_roles(const cJSON *op, unsigned *roles, char *why, size_t whylen)
{
	const cJSON	*list, *name;
	unsigned	 public, seen, bit;
	int		 role;

	list = cJSON_GetObjectItemCaseSensitive(op, "x-roles");
	if (!cJSON_IsArray(list) || cJSON_GetArraySize(list) == 0) {
		(void)snprintf(why, whylen, "no x-roles (a list of role names, "
		    "or [public])");
		return (-1);
	}
	public = 1u << ROLE_COUNT;	/* a bit no role has */
	seen = 0;
	cJSON_ArrayForEach(name, list) {
		if (!cJSON_IsString(name)) {
			(void)snprintf(why, whylen, "x-roles holds something "
			    "other than role names");
			return (-1);
		}
		if (strcmp(name->valuestring, "public") == 0)
			bit = public;
		else if ((role = role_parse(name->valuestring)) != -1)
			bit = ROLE_BIT(role);
		else {
			(void)snprintf(why, whylen, "x-roles names an unknown "
			    "role \"%.40s\"", name->valuestring);
			return (-1);
		}
		if (seen & bit) {
			(void)snprintf(why, whylen, "x-roles names %.40s twice",
			    name->valuestring);
			return (-1);
		}
		seen |= bit;
	}
	if ((seen & public) && seen != public) {
		(void)snprintf(why, whylen, "x-roles names public and roles");
		return (-1);
	}
	*roles = seen & ROLES_ANY;

	return (0);
}

/* "public", or the role names of a route's roles. */
static void
roles_text(unsigned roles, char *buf, size_t len)
{
	int	i;

	(void)snprintf(buf, len, "%s", roles == PUBLIC ? "public" : "");
	for (i = 0; i < ROLE_COUNT; i++) {
		if (roles & ROLE_BIT(i))
			(void)snprintf(buf + strlen(buf), len - strlen(buf),
			    "%s%s", buf[0] != '\0' ? ", " : "", role_name(i));
	}
}

/* Reports one disagreement; returns 1 to count it. */
static int
disagreement(void (*report)(const char *), const char *fmt, ...)
{
	va_list	ap;
	char	line[512];

	va_start(ap, fmt);
	(void)vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	report(line);

	return (1);
}

/* Is there a route for this method (contract spelling) and pattern? */
static int
route_exists(const char *method, const char *pattern)
{
	char	ours[8];
	size_t	i;

	for (i = 0; i < ROUTE_COUNT; i++) {
		method_case(ours, sizeof(ours),
		    http_method_text(routes[i].method), tolower);
		if (strcmp(ours, method) == 0 &&
		    strcmp(routes[i].pattern, pattern) == 0)
			return (1);
	}

	return (0);
}

/*
 * Compares the route table with the contract, which clients read and
 * the generic handlers validate against, so neither may drift from the
 * other: every route must be an operation of the contract whose x-roles
 * names exactly the route's roles, and every operation a route. Calls
 * report() once for each disagreement and returns how many there were;
 * kore_parent_configure() refuses to start unless none.
 */
int
router_check_contract(const cJSON *contract, void (*report)(const char *))
{
	static const char *const	 operations[] = { "get", "put", "post",
					    "delete", "options", "head",
					    "patch", "trace", NULL };
	const cJSON			*paths, *item, *op;
	const struct route		*r;
	char				 method[8], want[96], have[96];
	char				 why[96];
	unsigned			 roles;
	size_t				 i, k;
	int				 n;

	paths = cJSON_GetObjectItemCaseSensitive(contract, "paths");
	if (!cJSON_IsObject(paths)) {
		report("the compiled contract has no paths (does it parse?)");
		return (1);
	}

	n = 0;
	for (i = 0; i < ROUTE_COUNT; i++) {
		r = &routes[i];
		/* The benchmark flavour's own routes are never deployed. */
		if (strncmp(r->pattern, "/bench/", 7) == 0)
			continue;
		method_case(method, sizeof(method), http_method_text(r->method),
		    tolower);
		op = cJSON_GetObjectItemCaseSensitive(
		    cJSON_GetObjectItemCaseSensitive(paths, r->pattern), method);
		if (op == NULL) {
			n += disagreement(report, "%s %s: in the route table "
			    "but not in the contract",
			    http_method_text(r->method), r->pattern);
		} else if (contract_roles(op, &roles, why, sizeof(why)) == -1) {
			n += disagreement(report, "%s %s: %s",
			    http_method_text(r->method), r->pattern, why);
		} else if (roles != r->roles) {
			roles_text(roles, want, sizeof(want));
			roles_text(r->roles, have, sizeof(have));
			n += disagreement(report, "%s %s: x-roles [%s] differs "
			    "from the route table's [%s]",
			    http_method_text(r->method), r->pattern, want, have);
		}
	}

	cJSON_ArrayForEach(item, paths) {
		for (k = 0; operations[k] != NULL; k++) {
			if (cJSON_GetObjectItemCaseSensitive(item,
			    operations[k]) == NULL ||
			    route_exists(operations[k], item->string))
				continue;
			method_case(method, sizeof(method), operations[k],
			    toupper);
			n += disagreement(report, "%s %s: in the contract but "
			    "not in the route table", method, item->string);
		}
	}

	return (n);
}

/* Runs the route's handler for an authenticated caller its rule allows. */
int
router_run(struct http_request *req, struct api_ctx *ctx)
{
	if (auth_permit(req, ctx, ctx->route->roles) != KORE_RESULT_OK)
		return (API_DONE);

	return (ctx->route->handler(req, ctx));
}

/*
 * One JSON line per request on stdout, written with a single write(2) so
 * lines from several workers never interleave. Logs the route's pattern
 * ("unmatched" for a request no route took), never the path itself: a
 * path holds the ids of people, and logs outlive an erasure. Never the
 * query string, headers or bodies either. The request id ties a line to
 * the audit log's entries of the same request.
 */
void
router_log_request(struct http_request *req, struct api_ctx *ctx)
{
	struct timespec	 now;
	struct tm	 tm;
	time_t		 t;
	char		 stamp[32], line[512];
	double		 ms;
	int		 len;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (now.tv_sec - ctx->started.tv_sec) * 1e3 +
	    (now.tv_nsec - ctx->started.tv_nsec) / 1e6;

	t = time(NULL);
	gmtime_r(&t, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);

	len = snprintf(line, sizeof(line),
	    "{\"time\":\"%s\",\"level\":\"info\",\"event\":\"request\","
	    "\"method\":\"%s\",\"route\":\"%s\",\"status\":%d,"
	    "\"duration_ms\":%.3f,\"request_id\":\"%s\",\"pid\":%d}\n",
	    stamp, http_method_text(req->method),
	    ctx->pattern != NULL ? ctx->pattern : "unmatched", req->status, ms,
	    ctx->request_id, (int)getpid());
	if (len > 0 && (size_t)len < sizeof(line)) {
		if (write(STDOUT_FILENO, line, len) == -1)
			return;	/* a closed stdout must not fail the request */
	}
}

/* The route table as the metrics label it (metrics.c): rows by index. */
int
router_count(void)
{
	return ((int)ROUTE_COUNT);
}

int
router_index(const struct route *r)
{
	return ((int)(r - routes));
}

const char *
router_pattern(int i)
{
	return (routes[i].pattern);
}

int
router_method(int i)
{
	return (routes[i].method);
}
