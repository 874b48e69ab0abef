/* Connecting Humans API: shared types and prototypes, grouped by file. */

#ifndef CH_H
#define CH_H

#include <sys/types.h>

#include <stddef.h>
#include <time.h>
#include <stdint.h>

/*
 * Pure helpers (codec.c, config.c) build without Kore so the unit tests
 * can link them alone; everything below CH_KORE needs Kore's headers.
 */

/* codec.c: parsing and encoding of untrusted input, no I/O. */
#define CODEC_QUERY_MAX		16	/* query arguments per request */
#define CODEC_CURSOR_MAX	512	/* encoded cursor length */
#define CODEC_CURSOR_KEYS	4	/* values in one cursor */
#define CODEC_REQUEST_ID_MAX	64

struct codec_arg {
	char	*name;
	char	*value;
};

struct codec_query {
	int			count;
	struct codec_arg	args[CODEC_QUERY_MAX];
};

enum codec_query_error {
	CODEC_QUERY_OK = 0,
	CODEC_QUERY_TOO_MANY,
	CODEC_QUERY_BAD_ESCAPE,
	CODEC_QUERY_BAD_UTF8,
	CODEC_QUERY_NUL,
	CODEC_QUERY_DUPLICATE,
	CODEC_QUERY_EMPTY_NAME,
	CODEC_QUERY_CONTROL,
};

int	codec_query_parse(char *, struct codec_query *, const char **);
const char *codec_query_get(const struct codec_query *, const char *);
int	codec_utf8_valid(const char *, size_t);
int	codec_parse_int(const char *, long long, long long, long long *);
int	codec_is_uuid(const char *);
int	codec_is_district_key(const char *);
size_t	codec_utf8_chars(const char *);
int	codec_request_id_ok(const char *);
void	codec_request_id_new(char *, size_t);
int	codec_base64url_ok(const char *, size_t);
char	*codec_cursor_encode(const char *, const char **, int);
int	codec_cursor_decode(const char *, const char *, char **, int);
void	codec_cursor_free(char **, int);
char	*codec_problem_json(int, const char *, const char *, const char *,
	    const char *, const char *, const char *);
char	*codec_json_escape(const char *);
size_t	codec_label_escape(const char *, char *, size_t);

/* schema.c: request validation against the contract's JSON schemas. */
#define SCHEMA_POINTER_MAX	256

struct cJSON;
typedef void (*schema_error_cb)(void *, const char *, const char *,
    const char *);

const struct cJSON *schema_named(const struct cJSON *, const char *);
const struct cJSON *schema_resolve(const struct cJSON *, const struct cJSON *);
int	schema_validate(const struct cJSON *, const struct cJSON *,
	    const struct cJSON *, const char *, schema_error_cb, void *);
int	schema_check(const struct cJSON *, const struct cJSON *,
	    schema_error_cb, void *);
int	schema_format_ok(const char *, const char *);
int	codec_accept_language(const char *, char [][4], int);
int	codec_json_strict(const char *, size_t, int);

/* config.c: CH_* environment variables. */
#define CONFIG_ERR_MAX		256

enum config_env {
	CONFIG_ENV_DEVELOPMENT = 0,
	CONFIG_ENV_TEST,
	CONFIG_ENV_PRODUCTION,
};

enum config_log_level {
	CONFIG_LOG_DEBUG = 0,
	CONFIG_LOG_INFO,
	CONFIG_LOG_WARN,
	CONFIG_LOG_ERROR,
};

#define CONFIG_SECRET_MIN	32	/* bytes in CH_JWT_SECRET */
#define CONFIG_PROXIES_MAX	32	/* networks in CH_TRUSTED_PROXIES */
#define CONFIG_ADDR_MAX		46	/* INET6_ADDRSTRLEN */

/* An IPv4 or IPv6 network; an IPv4-mapped IPv6 address counts as IPv4. */
struct config_net {
	int		family;		/* AF_INET or AF_INET6 */
	unsigned char	addr[16];	/* network byte order */
	int		prefix;		/* bits */
};

enum config_jwt_alg {
	CONFIG_JWT_HS256 = 0,
	CONFIG_JWT_RS256,
	CONFIG_JWT_ES256,
};

struct config {
	const char		*database_url;
	const char		*listen_url;	/* LISTEN for finished jobs */
	enum config_env		 env;
	enum config_log_level	 log_level;
	int			 access_log;
	long long		 port;
	long long		 workers;

	/* Our access tokens. */
	enum config_jwt_alg	 jwt_alg;
	const char		*jwt_secret;
	const char		*jwt_key_file;
	const char		*jwt_kid;
	const char		*jwt_issuer;
	const char		*jwt_audience;

	/* A trusted external issuer (a district's single sign-on). */
	const char		*ext_issuer;
	const char		*ext_key_file;
	enum config_jwt_alg	 ext_alg;
	const char		*ext_audience;
	const char		*ext_role_claim;
	const char		*ext_district_claim;
	const char		*ext_roles;

	/* Proxies whose X-Forwarded-For names the client. */
	int			 nproxies;
	struct config_net	 proxies[CONFIG_PROXIES_MAX];

	/* GET /metrics: a bearer token for scrapers outside the internal
	 * network, or NULL (config_metrics_access). */
	const char		*metrics_token;
};

int	config_load(struct config *, const char *(*)(const char *),
	    char *, size_t);
int	config_load_env(struct config *, char *, size_t);
const char *config_secret_weakness(const char *);
int	config_client_address(const struct config *, const char *,
	    const char *, char *, size_t);
int	config_metrics_access(const struct config *, const char *,
	    const char *);

/* token.c: roles and access tokens (signing, verification, JWKS). */
enum role {
	ROLE_STATE_ADMIN = 0,
	ROLE_COORDINATOR,
	ROLE_ASSISTANT,
	ROLE_ORGANIZATION,
	ROLE_MENTOR,
	ROLE_PARTICIPANT,
	ROLE_COUNT
};

#define ROLE_BIT(r)		(1u << (r))
#define ROLES_ANY		((1u << ROLE_COUNT) - 1)
#define ROLES_STAFF		(ROLE_BIT(ROLE_STATE_ADMIN) |		\
				 ROLE_BIT(ROLE_COORDINATOR) |		\
				 ROLE_BIT(ROLE_ASSISTANT))

#define TOKEN_ACCESS_TTL	900	/* seconds: access tokens live 15 min */
#define TOKEN_MAX		4096	/* longest token we look at */
#define TOKEN_ROLE_MAP_MAX	16

struct token_key {
	enum config_jwt_alg	 alg;
	unsigned char		*sign_key;	/* secret or private PEM */
	size_t			 sign_len;
	unsigned char		*verify_key;	/* secret or public PEM */
	size_t			 verify_len;
	char			 kid[65];
	char			*jwk;		/* public JWK, asymmetric only */
};

struct token_issuer {
	const char		*name;
	const char		*audience;
	struct token_key	 key;
	long long		 max_lifetime;
	int			 external;
	const char		*role_claim;
	const char		*district_claim;
	int			 nroles;
	struct {
		char	theirs[64];
		int	ours;
	}			 roles[TOKEN_ROLE_MAP_MAX];
};

struct token_config {
	struct token_issuer	local;
	struct token_issuer	external;
	int			has_external;
};

/* What a verified token says; district is "" for the state admin. */
struct token_claims {
	int		external;
	char		sub[201];
	int		role;
	char		district[6];
	char		sid[37];
	char		jti[129];
	long long	exp;
};

enum token_error {
	TOKEN_OK = 0,
	TOKEN_MALFORMED,
	TOKEN_INVALID,
	TOKEN_EXPIRED,
	TOKEN_NOT_YET_VALID,
};

int	role_parse(const char *);
const char *role_name(int);
int	token_setup(struct token_config *, const struct config *, char *,
	    size_t);
void	token_cleanup(struct token_config *);
char	*token_jwks(const struct token_config *);
char	*token_sign(const struct token_config *, const struct token_claims *,
	    time_t);
enum token_error token_verify(const struct token_config *, const char *,
	    time_t, struct token_claims *);
int	token_secret_equal(const char *, const char *);

#if defined(CH_KORE)

#include <kore/kore.h>
#include <kore/http.h>
#include <kore/pgsql.h>

/* The value a handler returns: a response was queued, or a query is. */
#define API_DONE		KORE_RESULT_OK
#define API_PENDING		KORE_RESULT_RETRY

#define ROUTE_PARAMS_MAX	4
#define DB_PARAMS_MAX		16
#define API_ERRORS_MAX		32	/* entries in one problem */
#define API_JSON_DEPTH_MAX	32	/* nesting of request bodies */
#define PASSWORD_MAX_CHARS	256
#define PASSWORD_MAX_BYTES	(PASSWORD_MAX_CHARS * 4)
#define PASSWORD_SIGNINS_MAX	8	/* sign-ins hashing at once per worker */
#define DB_NAME			"db"

struct api_ctx;
struct cJSON;

typedef int (*db_done_cb)(struct http_request *, struct api_ctx *,
    struct kore_pgsql *);

/* db.c: one asynchronous query at a time per request. */
struct db {
	struct kore_pgsql	 sql;
	PGresult		*result;
	int			 active;
	int			 failed;
	const char		*query;
	int			 nparams;
	char			*values[DB_PARAMS_MAX];
	int			 lengths[DB_PARAMS_MAX];
	int			 formats[DB_PARAMS_MAX];
	db_done_cb		 done;
	char			 sqlstate[6];
	/* A refusal raised by our SQL (SQLSTATE CHnnn): the message for
	 * the client, the field errors as JSON, the problem type. */
	char			*refusal[3];
	/* The done callback answers a failure too (failed set), instead
	 * of db_error(): GET /metrics reports what it has without SQL. */
	int			 done_on_failure;
	int			 pool;		/* METRICS_DB_*: metrics.c */
};

/* auth.c: who is calling, filled in before a protected handler runs. */
struct principal {
	int		 authenticated;
	int		 role;
	int		 external;
	char		 district[6];		/* "" for the state admin */
	char		 user_id[37];		/* our accounts only */
	char		 sid[37];		/* their session (family) */
	char		 subject[201];
	char		 actor[320];		/* for the audit log */
	const char	*issuer;		/* its token's iss */
	char		 organization[37];	/* the record the account */
	char		 participant[37];	/* acts for, or "" */
	char		*json;			/* all of it, for SQL */
};

/* router.c: the per-request context every handler gets. */
struct route;
struct password_task;

typedef int (*api_handler)(struct http_request *, struct api_ctx *);

/*
 * A route's C step between the contract check and the SQL call of the
 * generic handlers (route field prepare): it gets the checked body, may
 * change it (a password becomes its hash) and then calls resource_send(),
 * at once or from a task's callback, or answers a refusal itself.
 */
typedef int (*api_prepare)(struct http_request *, struct api_ctx *,
    struct cJSON *);

/* Route flags (router.c). */
#define ROUTE_ACCEPTED		0x01	/* create answers 202: queued work */
#define ROUTE_RANKED		0x02	/* list ordered by an integer rank */
#define ROUTE_BY_TEXT		0x04	/* list ordered by a text, not a time */

/* A generic handler's checked request on its way to SQL (resource.c). */
struct resource_call {
	struct cJSON		*body;		/* kept for a prepare step */
	char			*text;		/* the body as sent */
	size_t			 len;
	const char		*key;		/* Idempotency-Key, or NULL */
	char			 hash[65];	/* the request's, with a key */
	char			 versions[128];	/* If-Match for SQL, or "" */
};

struct api_ctx {
	const struct route	*route;
	const char		*pattern;	/* the route's path template */
	const char		*sql;		/* the route's query, if any */
	char			 request_id[CODEC_REQUEST_ID_MAX + 1];
	struct timespec		 started;
	char			*path;
	char			*params[ROUTE_PARAMS_MAX];
	char			*query_copy;
	struct codec_query	 query;
	long long		 limit;		/* page size (api_query_limit) */
	char			 fetch[24];	/* limit + 1, as query text */
	struct db		 db;
	struct principal	 who;
	unsigned		 route_flags;	/* ROUTE_* */
	api_prepare		 prepare;	/* the route's, or NULL */
	struct resource_call	 call;
	struct password_task	*task;
	int			 password_slot;	/* a sign-in's hashing slot */
	/* Called when Kore wakes a request that slept for its own reasons
	 * (not a query or a task), then cleared. */
	api_handler		 resume;
	void			*data;
	void			(*data_free)(void *);
};

typedef int (*password_done_cb)(struct http_request *, struct api_ctx *,
    int, const char *);

/* Validation errors gathered into one problem answer (http_util.c). */
struct api_errors {
	struct kore_buf	buf;
	int		count;
};

int	api_dispatch(struct http_request *);
int	router_run(struct http_request *, struct api_ctx *);
int	router_check_contract(const struct cJSON *,
	    void (*)(const char *));
void	router_log_request(struct http_request *, struct api_ctx *);
int	router_count(void);
int	router_index(const struct route *);
const char *router_pattern(int);
int	router_method(int);

/* auth.c */
extern struct token_config	auth_tokens;
int	auth_init(char *, size_t);
int	auth_begin(struct http_request *, struct api_ctx *);
int	auth_unauthenticated(struct http_request *, struct api_ctx *,
	    const char *, const char *);
int	auth_permit(struct http_request *, struct api_ctx *, unsigned);
int	auth_login_failed(struct http_request *, struct api_ctx *,
	    const char *, const char *, db_done_cb);
int	auth_throttled(struct http_request *, struct api_ctx *, const char *);
void	auth_release(struct api_ctx *);

/* password.c */
int	password_init(void);
int	password_hash(struct http_request *, struct api_ctx *, const char *,
	    password_done_cb);
int	password_verify(struct http_request *, struct api_ctx *, const char *,
	    const char *, password_done_cb);
int	password_signin_reserve(struct api_ctx *);
int	password_drive(struct http_request *, struct api_ctx *);
int	password_release(struct api_ctx *);
int	password_prepare_account(struct http_request *, struct api_ctx *,
	    struct cJSON *);
int	password_prepare_change(struct http_request *, struct api_ctx *,
	    struct cJSON *);

/* init.c */
extern struct config	api_config;
int	api_init(int);

/* http_util.c */
int	api_problem(struct http_request *, struct api_ctx *, int,
	    const char *, const char *);
int	api_problem_field(struct http_request *, struct api_ctx *, int,
	    const char *, const char *, const char *);
int	api_problem_errors(struct http_request *, struct api_ctx *, int,
	    const char *, const char *, const char *);
int	api_json(struct http_request *, struct api_ctx *, int,
	    const void *, size_t);
int	api_no_content(struct http_request *, struct api_ctx *, int);
int	api_text(struct http_request *, struct api_ctx *, int, const char *,
	    const void *, size_t);
int	api_peer_address(struct http_request *, char *, size_t);
int	api_page(struct http_request *, struct api_ctx *, struct kore_pgsql *,
	    const char *, int);
int	api_query_limit(struct http_request *, struct api_ctx *);
int	api_query_cursor(struct http_request *, struct api_ctx *,
	    const char *, char **, int, int *);
void	api_errors_init(struct api_errors *);
void	api_errors_add(struct api_errors *, const char *, const char *,
	    const char *);
void	api_errors_cleanup(struct api_errors *);
int	api_errors_answer(struct http_request *, struct api_ctx *, int,
	    struct api_errors *, const char *);
int	api_body_json(struct http_request *, struct api_ctx *, int,
	    struct cJSON **);
void	api_etag(struct http_request *, const char *);

/* db.c */
int	db_query(struct http_request *, struct api_ctx *, const char *,
	    db_done_cb, int, ...);
int	db_drive(struct http_request *, struct api_ctx *);
void	db_release(struct db *);
int	db_respond_json(struct http_request *, struct api_ctx *,
	    struct kore_pgsql *);

/* metrics.c: counters in memory the workers share, and GET /metrics. */
enum metrics_db_state {
	METRICS_DB_IDLE = 0,
	METRICS_DB_WAITING,		/* queued by Kore for a connection */
	METRICS_DB_HOLDING,		/* holds a pooled connection */
};

int	metrics_setup(unsigned, unsigned);
void	metrics_worker_start(void);
void	metrics_request(struct http_request *, struct api_ctx *);
void	metrics_db(int, int);
int	metrics_get(struct http_request *, struct api_ctx *);

/* health.c */
int	health_live(struct http_request *, struct api_ctx *);
int	health_ready(struct http_request *, struct api_ctx *);

/* index.c */
int	index_v1(struct http_request *, struct api_ctx *);
int	index_openapi(struct http_request *, struct api_ctx *);

/* districts.c */
int	districts_list(struct http_request *, struct api_ctx *);
int	districts_one(struct http_request *, struct api_ctx *);
#if defined(CH_BENCH_ROUTES)
int	districts_one_cjson(struct http_request *, struct api_ctx *);
#endif

/* sessions.c */
int	sessions_token(struct http_request *, struct api_ctx *);
int	sessions_refresh(struct http_request *, struct api_ctx *);
int	sessions_logout(struct http_request *, struct api_ctx *);
int	sessions_jwks(struct http_request *, struct api_ctx *);

/* resource.c: generic handlers driven by the contract */
const struct cJSON *resource_spec(void);
int	resource_params(struct http_request *, struct api_ctx *,
	    const char *);
int	resource_body(struct http_request *, struct api_ctx *,
	    struct cJSON **);
int	resource_send(struct http_request *, struct api_ctx *);
void	resource_release(struct api_ctx *);
int	resource_list(struct http_request *, struct api_ctx *);
int	resource_get(struct http_request *, struct api_ctx *);
int	resource_create(struct http_request *, struct api_ctx *);
int	resource_update(struct http_request *, struct api_ctx *);
int	resource_delete(struct http_request *, struct api_ctx *);
int	resource_result(struct http_request *, struct api_ctx *,
	    struct kore_pgsql *);
const char *resource_who(struct api_ctx *);

/* matching.c */
int	matching_job_get(struct http_request *, struct api_ctx *);

/* taxonomies.c */
int	taxonomies_list(struct http_request *, struct api_ctx *);
int	taxonomies_one(struct http_request *, struct api_ctx *);

/* places.c */
int	places_list(struct http_request *, struct api_ctx *);
int	places_one(struct http_request *, struct api_ctx *);

/* openapi_json.c (generated from openapi/openapi.yaml at build time) */
extern const unsigned char	openapi_json[];
extern const size_t		openapi_json_len;

#endif /* CH_KORE */

#endif /* CH_H */
