/*
 * Argon2id hashing and verification off the event loop. One hash costs
 * about 0.1 s of CPU and 64 MiB: done inline it would stall every other
 * connection of the worker, so it runs on Kore's task threads and the
 * request sleeps until the thread is done. Sign-ins, which anyone may
 * send, hash only PASSWORD_SIGNINS_MAX at a time per worker, so they
 * cannot queue up the threads that signed-in users need too.
 *
 * At the end, the prepare steps (resource.c) of the two generic routes
 * that take a password: POST /v1/users and POST /v1/me/password.
 */

#include <string.h>

#include <cjson/cJSON.h>
#include <sodium.h>

#include "ch.h"

#include <kore/tasks.h>

enum password_op {
	PASSWORD_HASH,
	PASSWORD_VERIFY,
};

struct password_task {
	struct kore_task	 task;
	enum password_op	 op;
	password_done_cb	 done;
	int			 result;
	char			 password[PASSWORD_MAX_BYTES + 1];
	char			 hash[crypto_pwhash_STRBYTES];
};

/*
 * Verified when an address has no account, so that an unknown address
 * costs the same time as a wrong password. Its password is unknowable:
 * made of random bytes at start-up.
 */
static char	dummy_hash[crypto_pwhash_STRBYTES];

/* Sign-ins of this worker holding a hashing slot. */
static int	signins_hashing;

/*
 * A password change's first step: the attempt counted like a sign-in's
 * (ch.me_password_begin) and the stored hash to check against.
 */
#define SQL_CHANGE_BEGIN \
	"SELECT retry_after, password_hash, email "                          \
	"FROM ch.me_password_begin($1::jsonb)"

/*
 * A new account's fields and the caller's right to create it, checked
 * before its password is hashed (the password stays out of the call).
 */
#define SQL_ACCOUNT_CHECK \
	"SELECT 1 FROM ch.user_create_check($1::jsonb, $2::jsonb)"

/* A password change between its steps: whose failure to record. */
struct password_change {
	char	email[255];
};

static int	password_run(struct kore_task *);
static void	password_task_free(struct password_task *);
static int	password_start(struct http_request *, struct api_ctx *,
		    enum password_op, const char *, const char *,
		    password_done_cb);
static void	password_slot_free(struct api_ctx *);
static int	hash_failed(struct http_request *, struct api_ctx *);
static void	body_hashed(cJSON *, const char *const *, const char *);
static int	account_checked(struct http_request *, struct api_ctx *,
		    struct kore_pgsql *);
static int	account_hashed(struct http_request *, struct api_ctx *, int,
		    const char *);
static int	change_begun(struct http_request *, struct api_ctx *,
		    struct kore_pgsql *);
static int	change_checked(struct http_request *, struct api_ctx *, int,
		    const char *);
static int	change_refused(struct http_request *, struct api_ctx *,
		    struct kore_pgsql *);
static int	change_hashed(struct http_request *, struct api_ctx *, int,
		    const char *);

/* Runs on a task thread: touches nothing but its own struct. */
static int
password_run(struct kore_task *t)
{
	struct password_task	*pt = (struct password_task *)t;
	size_t			 len = strlen(pt->password);

	if (pt->op == PASSWORD_HASH) {
		pt->result = crypto_pwhash_str(pt->hash, pt->password, len,
		    crypto_pwhash_OPSLIMIT_INTERACTIVE,
		    crypto_pwhash_MEMLIMIT_INTERACTIVE);
	} else {
		pt->result = crypto_pwhash_str_verify(pt->hash, pt->password,
		    len);
	}

	return (KORE_RESULT_OK);
}

static void
password_task_free(struct password_task *pt)
{
	sodium_memzero(pt->password, sizeof(pt->password));
	kore_free(pt);
}

int
password_init(void)
{
	unsigned char	rnd[32];
	char		pw[sizeof(rnd) * 2 + 1];

	randombytes_buf(rnd, sizeof(rnd));
	sodium_bin2hex(pw, sizeof(pw), rnd, sizeof(rnd));
	if (crypto_pwhash_str(dummy_hash, pw, strlen(pw),
	    crypto_pwhash_OPSLIMIT_INTERACTIVE,
	    crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
		return (-1);
	sodium_memzero(pw, sizeof(pw));

	return (0);
}

static int
password_start(struct http_request *req, struct api_ctx *ctx,
    enum password_op op, const char *password, const char *hash,
    password_done_cb done)
{
	struct password_task	*pt;

	if (ctx->task != NULL)
		fatal("password_start: a task is already running");
	pt = kore_calloc(1, sizeof(*pt));
	pt->op = op;
	pt->done = done;
	kore_strlcpy(pt->password, password, sizeof(pt->password));
	if (hash != NULL)
		kore_strlcpy(pt->hash, hash, sizeof(pt->hash));

	ctx->task = pt;
	kore_task_create(&pt->task, password_run);
	kore_task_bind_request(&pt->task, req);
	kore_task_run(&pt->task);

	return (API_PENDING);
}

/* Hashes password; done gets 0 and the hash, or -1 (out of memory). */
int
password_hash(struct http_request *req, struct api_ctx *ctx,
    const char *password, password_done_cb done)
{
	return (password_start(req, ctx, PASSWORD_HASH, password, NULL, done));
}

/*
 * Checks password against hash (NULL: against the dummy, which always
 * fails); done gets 0 for a match, -1 otherwise.
 */
int
password_verify(struct http_request *req, struct api_ctx *ctx,
    const char *password, const char *hash, password_done_cb done)
{
	if (hash == NULL || strncmp(hash, "$argon2id$", 10) != 0)
		hash = dummy_hash;
	else if (hash == dummy_hash)
		fatal("password_verify: dummy hash passed in");

	return (password_start(req, ctx, PASSWORD_VERIFY, password, hash,
	    done));
}

/*
 * Takes one of this worker's PASSWORD_SIGNINS_MAX slots for a sign-in
 * about to verify a password; the slot is given back when the check is
 * done or the request ends. Returns KORE_RESULT_ERROR when all are taken
 * (the caller answers 503).
 */
int
password_signin_reserve(struct api_ctx *ctx)
{
	if (ctx->password_slot)
		return (KORE_RESULT_OK);
	if (signins_hashing >= PASSWORD_SIGNINS_MAX)
		return (KORE_RESULT_ERROR);
	signins_hashing++;
	ctx->password_slot = 1;

	return (KORE_RESULT_OK);
}

static void
password_slot_free(struct api_ctx *ctx)
{
	if (!ctx->password_slot)
		return;
	signins_hashing--;
	ctx->password_slot = 0;
}

/* Called when Kore wakes the request while its task runs. */
int
password_drive(struct http_request *req, struct api_ctx *ctx)
{
	struct password_task	*pt = ctx->task;
	int			 ret, result;

	if (!kore_task_finished(&pt->task)) {
		http_request_sleep(req);
		return (API_PENDING);
	}

	kore_task_destroy(&pt->task);
	ctx->task = NULL;
	password_slot_free(ctx);
	result = pt->result == 0 ? 0 : -1;
	ret = pt->done(req, ctx, result, pt->op == PASSWORD_HASH ?
	    pt->hash : NULL);
	password_task_free(pt);

	return (ret);
}

/*
 * From the request's free hook. Kore calls that hook again and again
 * while a task is still running and only frees the request once none is,
 * so a running task is left alone here: returns -1 until it finished.
 */
int
password_release(struct api_ctx *ctx)
{
	struct password_task	*pt = ctx->task;

	if (pt == NULL) {
		password_slot_free(ctx);
		return (0);
	}
	/* Kore destroys a finished task of a dead request itself and then
	 * unbinds it; a bound task is still ours to destroy. */
	if (pt->task.req != NULL) {
		if (!kore_task_finished(&pt->task))
			return (-1);
		kore_task_destroy(&pt->task);
	}
	password_task_free(pt);
	ctx->task = NULL;
	password_slot_free(ctx);

	return (0);
}

/*
 * The prepare steps. A password never reaches SQL: its hash does, as the
 * body member "password_hash", which no request schema lets a client
 * send. The contract check made the password members present strings.
 */

static int
hash_failed(struct http_request *req, struct api_ctx *ctx)
{
	return (api_problem(req, ctx, 503, "busy",
	    "The password could not be hashed right now; retry."));
}

/* Wipes and removes the body's password members, adds the hash. */
static void
body_hashed(cJSON *body, const char *const *names, const char *hash)
{
	cJSON	*v;

	for (; *names != NULL; names++) {
		v = cJSON_DetachItemFromObjectCaseSensitive(body, *names);
		if (cJSON_IsString(v))
			sodium_memzero(v->valuestring, strlen(v->valuestring));
		cJSON_Delete(v);
	}
	cJSON_AddStringToObject(body, "password_hash", hash);
}

/*
 * POST /v1/users: the account checked without its password (a refusal
 * costs no hash), then the initial password hashed for ch.user_create.
 */
int
password_prepare_account(struct http_request *req, struct api_ctx *ctx,
    cJSON *body)
{
	cJSON	*fields;
	char	*text;
	int	 ret;

	if ((fields = cJSON_Duplicate(body, 1)) == NULL)
		fatal("password_prepare_account: out of memory");
	cJSON_DeleteItemFromObjectCaseSensitive(fields, "password");
	text = cJSON_PrintUnformatted(fields);
	cJSON_Delete(fields);
	if (text == NULL)
		fatal("password_prepare_account: out of memory");
	ret = db_query(req, ctx, SQL_ACCOUNT_CHECK, account_checked, 2,
	    resource_who(ctx), text);
	cJSON_free(text);

	return (ret);
}

static int
account_checked(struct http_request *req, struct api_ctx *ctx,
    struct kore_pgsql *sql)
{
	(void)sql;
	return (password_hash(req, ctx, cJSON_GetStringValue(
	    cJSON_GetObjectItemCaseSensitive(ctx->call.body, "password")),
	    account_hashed));
}

static int
account_hashed(struct http_request *req, struct api_ctx *ctx, int result,
    const char *hash)
{
	static const char *const	secret[] = { "password", NULL };

	if (result != 0)
		return (hash_failed(req, ctx));
	body_hashed(ctx->call.body, secret, hash);

	return (resource_send(req, ctx));
}

/*
 * POST /v1/me/password, in four steps, the fewest the throttle allows:
 * ch.me_password_begin counts the attempt (or refuses: 429, 403 for an
 * external caller) and reads the stored hash; a task thread checks
 * current_password against it (a wrong one is recorded, 422); another
 * hashes new_password; ch.me_password stores it.
 */
int
password_prepare_change(struct http_request *req, struct api_ctx *ctx,
    cJSON *body)
{
	if (strcmp(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(body,
	    "current_password")), cJSON_GetStringValue(
	    cJSON_GetObjectItemCaseSensitive(body, "new_password"))) == 0) {
		return (api_problem_field(req, ctx, 422, "/new_password",
		    "unchanged", "The new password must differ from the "
		    "current one."));
	}
	ctx->data = kore_calloc(1, sizeof(struct password_change));
	ctx->data_free = kore_free;

	return (db_query(req, ctx, SQL_CHANGE_BEGIN, change_begun, 1,
	    resource_who(ctx)));
}

static int
change_begun(struct http_request *req, struct api_ctx *ctx,
    struct kore_pgsql *sql)
{
	struct password_change	*pc = ctx->data;
	const char		*retry;

	if (kore_pgsql_ntuples(sql) != 1) {
		return (auth_unauthenticated(req, ctx, "invalid_token",
		    "The account is no longer active."));
	}
	retry = kore_pgsql_getvalue(sql, 0, 0);
	if (strcmp(retry, "0") != 0)
		return (auth_throttled(req, ctx, retry));
	kore_strlcpy(pc->email, kore_pgsql_getvalue(sql, 0, 2),
	    sizeof(pc->email));

	return (password_verify(req, ctx, cJSON_GetStringValue(
	    cJSON_GetObjectItemCaseSensitive(ctx->call.body,
	    "current_password")), kore_pgsql_getvalue(sql, 0, 1),
	    change_checked));
}

static int
change_checked(struct http_request *req, struct api_ctx *ctx, int result,
    const char *unused)
{
	struct password_change	*pc = ctx->data;

	(void)unused;
	if (result != 0) {
		return (auth_login_failed(req, ctx, pc->email,
		    ctx->who.user_id, change_refused));
	}

	return (password_hash(req, ctx, cJSON_GetStringValue(
	    cJSON_GetObjectItemCaseSensitive(ctx->call.body, "new_password")),
	    change_hashed));
}

static int
change_refused(struct http_request *req, struct api_ctx *ctx,
    struct kore_pgsql *sql)
{
	(void)sql;
	return (api_problem_field(req, ctx, 422, "/current_password",
	    "mismatch", "The current password is wrong."));
}

static int
change_hashed(struct http_request *req, struct api_ctx *ctx, int result,
    const char *hash)
{
	static const char *const	secret[] = { "current_password",
					    "new_password", NULL };

	if (result != 0)
		return (hash_failed(req, ctx));
	body_hashed(ctx->call.body, secret, hash);

	return (resource_send(req, ctx));
}
