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
int	codec_request_id_ok(const char *);
void	codec_request_id_new(char *, size_t);
char	*codec_cursor_encode(const char *, const char **, int);
int	codec_cursor_decode(const char *, const char *, char **, int);
void	codec_cursor_free(char **, int);
char	*codec_problem_json(int, const char *, const char *, const char *,
	    const char *, const char *, const char *);
char	*codec_json_escape(const char *);

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

struct config {
	const char		*database_url;
	enum config_env		 env;
	enum config_log_level	 log_level;
	int			 access_log;
	long long		 port;
	long long		 workers;
};

int	config_load(struct config *, const char *(*)(const char *),
	    char *, size_t);

#if defined(CH_KORE)

#include <kore/kore.h>
#include <kore/http.h>
#include <kore/pgsql.h>

/* The value a handler returns: a response was queued, or a query is. */
#define API_DONE		KORE_RESULT_OK
#define API_PENDING		KORE_RESULT_RETRY

#define ROUTE_PARAMS_MAX	4
#define DB_PARAMS_MAX		12
#define DB_NAME			"db"

struct api_ctx;

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
};

/* router.c: the per-request context every handler gets. */
struct route;

struct api_ctx {
	const struct route	*route;
	char			 request_id[CODEC_REQUEST_ID_MAX + 1];
	struct timespec		 started;
	char			*path;
	char			*params[ROUTE_PARAMS_MAX];
	char			*query_copy;
	struct codec_query	 query;
	struct db		 db;
	void			*data;
	void			(*data_free)(void *);
};

typedef int (*api_handler)(struct http_request *, struct api_ctx *);

int	api_dispatch(struct http_request *);
void	router_log_request(struct http_request *, struct api_ctx *);

/* init.c */
extern struct config	api_config;
int	api_init(int);

/* http_util.c */
int	api_problem(struct http_request *, struct api_ctx *, int,
	    const char *, const char *);
int	api_problem_field(struct http_request *, struct api_ctx *, int,
	    const char *, const char *, const char *);
int	api_json(struct http_request *, struct api_ctx *, int,
	    const void *, size_t);
int	api_no_content(struct http_request *, struct api_ctx *, int);
int	api_page(struct http_request *, struct api_ctx *, struct kore_pgsql *,
	    int, const char *, int);
int	api_query_check(struct http_request *, struct api_ctx *,
	    const char *const *);
int	api_query_limit(struct http_request *, struct api_ctx *, long long *);
int	api_query_cursor(struct http_request *, struct api_ctx *,
	    const char *, char **, int, int *);

/* db.c */
int	db_query(struct http_request *, struct api_ctx *, const char *,
	    db_done_cb, int, ...);
int	db_drive(struct http_request *, struct api_ctx *);
void	db_release(struct db *);
int	db_respond_json(struct http_request *, struct api_ctx *,
	    struct kore_pgsql *);

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

/* places.c */
int	places_list(struct http_request *, struct api_ctx *);
int	places_one(struct http_request *, struct api_ctx *);

/* openapi_json.c (generated from openapi/openapi.yaml at build time) */
extern const unsigned char	openapi_json[];
extern const size_t		openapi_json_len;

#endif /* CH_KORE */

#endif /* CH_H */
