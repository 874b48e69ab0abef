/*
 * Argon2id hashing and verification off the event loop. One hash costs
 * about 0.1 s of CPU and 64 MiB: done inline it would stall every other
 * connection of the worker, so it runs on Kore's task threads and the
 * request sleeps until the thread is done. Sign-ins, which anyone may
 * send, hash only PASSWORD_SIGNINS_MAX at a time per worker, so they
 * cannot queue up the threads that signed-in users need too.
 */

#include <string.h>

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

static int	password_run(struct kore_task *);
static void	password_task_free(struct password_task *);
static int	password_start(struct http_request *, struct api_ctx *,
		    enum password_op, const char *, const char *,
		    password_done_cb);
static void	password_slot_free(struct api_ctx *);

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
