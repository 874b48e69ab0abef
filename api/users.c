/*
 * /v1/users: accounts, managed by the state admin for everyone and by a
 * coordinator for the assistants, organisation representatives and
 * mentors of their own district. Nobody changes their own role, district
 * or access.
 */

#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <sodium.h>

#include "ch.h"

#define SQL_USER_LIST \
	"SELECT ch.user_json(u)::text, lower(u.email), u.id "                \
	"FROM ch.app_user u "                                                \
	"WHERE ($1::text IS NULL OR u.district_id = $1) "                     \
	"AND ($2::text IS NULL OR u.district_id = $2) "                       \
	"AND ($3::text IS NULL OR u.role = $3) "                              \
	"AND ($4::boolean IS NULL OR u.disabled = $4) "                       \
	"AND ($5::text IS NULL OR lower(u.email) = lower($5)) "               \
	"AND ($6::text IS NULL OR (lower(u.email), u.id) > ($6, $7::uuid)) "  \
	"ORDER BY lower(u.email), u.id LIMIT $8::int"

#define SQL_USER_ONE \
	"SELECT ch.user_json(u)::text, u.version, u.email, u.role, "          \
	"coalesce(u.district_id, ''), coalesce(u.organization_id::text, ''), " \
	"coalesce(u.participant_id::text, ''), u.locale, u.disabled "         \
	"FROM ch.app_user u "                                                \
	"WHERE u.id = $1 AND ($2::text IS NULL OR u.district_id = $2)"

#define SQL_USER_CREATE \
	"SELECT outcome, id, version, body FROM ch.user_create($1, $2, $3, "  \
	"$4, $5::uuid, $6::uuid, $7, $8, $9, $10)"

#define SQL_USER_UPDATE \
	"SELECT outcome, version, body FROM ch.user_update($1::uuid, "        \
	"$2::int, $3, $4, $5, $6::uuid, $7::uuid, $8, $9::boolean, $10, $11, " \
	"$12)"

/* What a coordinator may manage. */
#define COORD_MANAGES	(ROLE_BIT(ROLE_ASSISTANT) |			\
			 ROLE_BIT(ROLE_ORGANIZATION) | ROLE_BIT(ROLE_MENTOR))

/* Fields of an account as the API takes them; "" stands for null. */
struct user_fields {
	char	email[255];
	int	role;
	char	district[6];
	char	organization[37];
	char	participant[37];
	char	locale[3];
	int	disabled;
	char	password[PASSWORD_MAX_BYTES + 1];
	char	id[37];
	char	version[16];
	/* Which members the request body named (PATCH). */
	int	has_email, has_role, has_district, has_organization,
		has_participant, has_locale, has_disabled;
};

static const char *const list_params[] = {
	"role", "district_id", "disabled", "email", "limit", "cursor", NULL
};

static const char *const create_fields[] = {
	"email", "password", "role", "district_id", "organization_id",
	"participant_id", "locale", NULL
};

static const char *const patch_fields[] = {
	"email", "role", "district_id", "organization_id", "participant_id",
	"locale", "disabled", NULL
};

static const char *const locales[] = {
	"de", "en", "uk", "ru", "ar", "fa", "tr", NULL
};

static void	fields_free(void *);
static struct user_fields *fields_new(struct api_ctx *);
static int	email_ok(const char *);
static int	nullable_string(struct api_errors *, const cJSON *,
		    const char *, int (*)(const char *), const char *, char *,
		    size_t);
static void	fields_parse(struct api_errors *, const cJSON *,
		    struct user_fields *);
static void	fields_consistent(struct api_errors *,
		    const struct user_fields *);
static int	fields_permitted(struct http_request *, struct api_ctx *,
		    const struct user_fields *);
static int	users_list_done(struct http_request *, struct api_ctx *,
		    struct kore_pgsql *);
static int	users_create_hashed(struct http_request *, struct api_ctx *,
		    int, const char *);
static int	users_create_done(struct http_request *, struct api_ctx *,
		    struct kore_pgsql *);
static int	users_one_done(struct http_request *, struct api_ctx *,
		    struct kore_pgsql *);
static int	users_update_loaded(struct http_request *, struct api_ctx *,
		    struct kore_pgsql *);
static int	users_update_done(struct http_request *, struct api_ctx *,
		    struct kore_pgsql *);

static void
fields_free(void *p)
{
	sodium_memzero(p, sizeof(struct user_fields));
	kore_free(p);
}

static struct user_fields *
fields_new(struct api_ctx *ctx)
{
	struct user_fields	*f;

	f = kore_calloc(1, sizeof(*f));
	f->role = -1;
	ctx->data = f;
	ctx->data_free = fields_free;

	return (f);
}

/* A plausible address: one @, something on both sides, no spaces. */
static int
email_ok(const char *s)
{
	const char	*at;

	if ((at = strchr(s, '@')) == NULL || at == s || at[1] == '\0' ||
	    strchr(at + 1, '@') != NULL || strchr(at + 1, '.') == NULL)
		return (0);
	return (strpbrk(s, " \t\"(),:;<>[\\]") == NULL);
}

/* An optional member that is a string of an allowed form, or null. */
static int
nullable_string(struct api_errors *e, const cJSON *body, const char *name,
    int (*ok)(const char *), const char *message, char *out, size_t outlen)
{
	const cJSON	*v;
	char		 field[40];

	if ((v = cJSON_GetObjectItemCaseSensitive(body, name)) == NULL)
		return (0);
	(void)snprintf(field, sizeof(field), "/%s", name);
	if (cJSON_IsNull(v)) {
		out[0] = '\0';
		return (1);
	}
	if (!cJSON_IsString(v) || !ok(v->valuestring)) {
		api_errors_add(e, field, "format", message);
		return (0);
	}
	kore_strlcpy(out, v->valuestring, outlen);

	return (1);
}

/* Reads every member the body names into f, adding errors for bad ones. */
static void
fields_parse(struct api_errors *e, const cJSON *body, struct user_fields *f)
{
	const cJSON	*v;
	const char	*s;
	int		 bad, i;

	bad = 0;
	if ((s = api_body_string(e, body, "email", 3, 254, &bad)) != NULL) {
		if (email_ok(s)) {
			kore_strlcpy(f->email, s, sizeof(f->email));
			f->has_email = 1;
		} else {
			api_errors_add(e, "/email", "format",
			    "email must be an address like name@example.org.");
		}
	}
	if ((s = api_body_string(e, body, "role", 1, 32, &bad)) != NULL) {
		if ((f->role = role_parse(s)) == -1) {
			api_errors_add(e, "/role", "enum", "role must be one of "
			    "state_admin, coordinator, assistant, organization, "
			    "mentor, participant.");
		} else {
			f->has_role = 1;
		}
	}
	if ((s = api_body_string(e, body, "locale", 2, 2, &bad)) != NULL) {
		for (i = 0; locales[i] != NULL; i++) {
			if (strcmp(s, locales[i]) == 0)
				break;
		}
		if (locales[i] == NULL) {
			api_errors_add(e, "/locale", "enum", "locale must be one "
			    "of de, en, uk, ru, ar, fa, tr.");
		} else {
			kore_strlcpy(f->locale, s, sizeof(f->locale));
			f->has_locale = 1;
		}
	}
	f->has_district = nullable_string(e, body, "district_id", codec_is_district_key,
	    "district_id must be a five-digit district key or null.",
	    f->district, sizeof(f->district));
	f->has_organization = nullable_string(e, body, "organization_id",
	    codec_is_uuid, "organization_id must be a UUID or null.",
	    f->organization, sizeof(f->organization));
	f->has_participant = nullable_string(e, body, "participant_id",
	    codec_is_uuid, "participant_id must be a UUID or null.",
	    f->participant, sizeof(f->participant));

	if ((v = cJSON_GetObjectItemCaseSensitive(body, "disabled")) != NULL) {
		if (!cJSON_IsBool(v)) {
			api_errors_add(e, "/disabled", "type",
			    "disabled must be true or false.");
		} else {
			f->disabled = cJSON_IsTrue(v);
			f->has_disabled = 1;
		}
	}
}

/* The rules the schema enforces too, as field errors a person can act on. */
static void
fields_consistent(struct api_errors *e, const struct user_fields *f)
{
	if (f->role == ROLE_STATE_ADMIN && f->district[0] != '\0') {
		api_errors_add(e, "/district_id", "must_be_null",
		    "The state admin works for every district: district_id "
		    "must be null.");
	}
	if (f->role != ROLE_STATE_ADMIN && f->district[0] == '\0') {
		api_errors_add(e, "/district_id", "required",
		    "This role needs a district_id.");
	}
	if ((f->role == ROLE_ORGANIZATION) != (f->organization[0] != '\0')) {
		api_errors_add(e, "/organization_id",
		    f->role == ROLE_ORGANIZATION ? "required" : "must_be_null",
		    "organization_id is set exactly for the organization "
		    "role.");
	}
	if ((f->role == ROLE_PARTICIPANT) != (f->participant[0] != '\0')) {
		api_errors_add(e, "/participant_id",
		    f->role == ROLE_PARTICIPANT ? "required" : "must_be_null",
		    "participant_id is set exactly for the participant role.");
	}
}

/* May the caller give an account these fields? Answers 403 if not. */
static int
fields_permitted(struct http_request *req, struct api_ctx *ctx,
    const struct user_fields *f)
{
	if (ctx->who.role == ROLE_STATE_ADMIN)
		return (KORE_RESULT_OK);
	if (!(COORD_MANAGES & ROLE_BIT(f->role))) {
		api_problem(req, ctx, 403, "forbidden", "A coordinator manages "
		    "assistants, organisation representatives and mentors "
		    "only.");
		return (KORE_RESULT_ERROR);
	}
	if (strcmp(f->district, ctx->who.district) != 0) {
		api_problem(req, ctx, 403, "forbidden", "A coordinator manages "
		    "the accounts of their own district only.");
		return (KORE_RESULT_ERROR);
	}

	return (KORE_RESULT_OK);
}

int
users_list(struct http_request *req, struct api_ctx *ctx)
{
	const char	*role, *district, *disabled, *email;
	char		*after[2];
	int		 present, ret;

	if (api_query_check(req, ctx, list_params) != KORE_RESULT_OK ||
	    api_query_limit(req, ctx) != KORE_RESULT_OK)
		return (API_DONE);

	role = codec_query_get(&ctx->query, "role");
	district = codec_query_get(&ctx->query, "district_id");
	disabled = codec_query_get(&ctx->query, "disabled");
	email = codec_query_get(&ctx->query, "email");
	if (role != NULL && role_parse(role) == -1) {
		return (api_problem_field(req, ctx, 400, "role", "enum",
		    "role must be one of state_admin, coordinator, assistant, "
		    "organization, mentor, participant."));
	}
	if (district != NULL && !codec_is_district_key(district)) {
		return (api_problem_field(req, ctx, 400, "district_id",
		    "format", "district_id must be a five-digit key."));
	}
	if (disabled != NULL && strcmp(disabled, "true") != 0 &&
	    strcmp(disabled, "false") != 0) {
		return (api_problem_field(req, ctx, 400, "disabled", "type",
		    "disabled must be true or false."));
	}
	if (email != NULL && (strlen(email) < 3 || strlen(email) > 254)) {
		return (api_problem_field(req, ctx, 400, "email", "length",
		    "email must have 3 to 254 characters."));
	}
	if (api_query_cursor(req, ctx, "user", after, 2, &present) !=
	    KORE_RESULT_OK)
		return (API_DONE);
	if (present && !codec_is_uuid(after[1])) {
		codec_cursor_free(after, 2);
		return (api_problem_field(req, ctx, 400, "cursor", "invalid",
		    "cursor is not a value this list returned."));
	}

	ret = db_query(req, ctx, SQL_USER_LIST, users_list_done, 8,
	    auth_scope(ctx), district, role, disabled, email,
	    present ? after[0] : NULL, present ? after[1] : NULL, ctx->fetch);
	codec_cursor_free(after, 2);

	return (ret);
}

static int
users_list_done(struct http_request *req, struct api_ctx *ctx,
    struct kore_pgsql *sql)
{
	return (api_page(req, ctx, sql, "user", 2));
}

int
users_create(struct http_request *req, struct api_ctx *ctx)
{
	struct user_fields	*f;
	struct api_errors	 e;
	cJSON			*body;
	const char		*pw;
	int			 bad;

	if (api_body_json(req, ctx, 0, &body) != KORE_RESULT_OK)
		return (API_DONE);

	f = fields_new(ctx);
	bad = 0;
	api_errors_init(&e);
	api_body_unknown(&e, body, create_fields);
	fields_parse(&e, body, f);
	pw = api_body_string(&e, body, "password", PASSWORD_MIN_CHARS,
	    PASSWORD_MAX_CHARS, &bad);
	if (pw != NULL)
		kore_strlcpy(f->password, pw, sizeof(f->password));
	else if (!bad)
		api_errors_add(&e, "/password", "required",
		    "password is required (12 to 256 characters).");
	if (!f->has_email && !cJSON_HasObjectItem(body, "email"))
		api_errors_add(&e, "/email", "required", "email is required.");
	if (!f->has_role && !cJSON_HasObjectItem(body, "role"))
		api_errors_add(&e, "/role", "required", "role is required.");
	cJSON_Delete(body);

	/* A coordinator's accounts belong to their district by default. */
	if (!f->has_district && ctx->who.role == ROLE_COORDINATOR)
		kore_strlcpy(f->district, ctx->who.district,
		    sizeof(f->district));
	if (e.count == 0)
		fields_consistent(&e, f);
	if (e.count > 0) {
		return (api_errors_answer(req, ctx, 422, &e,
		    "The account data is incomplete or invalid."));
	}
	api_errors_cleanup(&e);

	if (fields_permitted(req, ctx, f) != KORE_RESULT_OK)
		return (API_DONE);

	return (password_hash(req, ctx, f->password, users_create_hashed));
}

static int
users_create_hashed(struct http_request *req, struct api_ctx *ctx,
    int result, const char *hash)
{
	struct user_fields	*f = ctx->data;

	sodium_memzero(f->password, sizeof(f->password));
	if (result != 0) {
		return (api_problem(req, ctx, 503, "busy",
		    "The password could not be hashed right now; retry."));
	}

	return (db_query(req, ctx, SQL_USER_CREATE, users_create_done, 10,
	    f->email, hash, role_name(f->role),
	    f->district[0] ? f->district : NULL,
	    f->organization[0] ? f->organization : NULL,
	    f->participant[0] ? f->participant : NULL,
	    f->has_locale ? f->locale : NULL, ctx->who.actor,
	    role_name(ctx->who.role), ctx->request_id));
}

static int
users_create_done(struct http_request *req, struct api_ctx *ctx,
    struct kore_pgsql *sql)
{
	char	location[64];

	if (kore_pgsql_ntuples(sql) != 1 ||
	    strcmp(kore_pgsql_getvalue(sql, 0, 0), "ok") != 0) {
		return (api_problem_field(req, ctx, 422, "/district_id",
		    "unknown", "There is no district with this key."));
	}
	(void)snprintf(location, sizeof(location), "/v1/users/%s",
	    kore_pgsql_getvalue(sql, 0, 1));
	http_response_header(req, "location", location);
	api_etag(req, kore_pgsql_getvalue(sql, 0, 2));

	return (api_json(req, ctx, 201, kore_pgsql_getvalue(sql, 0, 3),
	    kore_pgsql_getlength(sql, 0, 3)));
}

int
users_one(struct http_request *req, struct api_ctx *ctx)
{
	if (!codec_is_uuid(ctx->params[0])) {
		return (api_problem_field(req, ctx, 400, "id", "format",
		    "A user id is a UUID."));
	}

	return (db_query(req, ctx, SQL_USER_ONE, users_one_done, 2,
	    ctx->params[0], auth_scope(ctx)));
}

static int
users_one_done(struct http_request *req, struct api_ctx *ctx,
    struct kore_pgsql *sql)
{
	if (kore_pgsql_ntuples(sql) != 1) {
		return (api_problem(req, ctx, 404, "not-found",
		    "No such user."));
	}
	api_etag(req, kore_pgsql_getvalue(sql, 0, 1));

	return (api_json(req, ctx, 200, kore_pgsql_getvalue(sql, 0, 0),
	    kore_pgsql_getlength(sql, 0, 0)));
}

/*
 * PATCH (JSON Merge Patch): read the body, load the account as the
 * caller may see it, check If-Match, merge, check the rules, write.
 */
int
users_update(struct http_request *req, struct api_ctx *ctx)
{
	struct user_fields	*f;
	struct api_errors	 e;
	cJSON			*body;

	if (!codec_is_uuid(ctx->params[0])) {
		return (api_problem_field(req, ctx, 400, "id", "format",
		    "A user id is a UUID."));
	}
	if (api_body_json(req, ctx, 1, &body) != KORE_RESULT_OK)
		return (API_DONE);

	f = fields_new(ctx);
	api_errors_init(&e);
	api_body_unknown(&e, body, patch_fields);
	fields_parse(&e, body, f);
	cJSON_Delete(body);
	if (e.count > 0) {
		return (api_errors_answer(req, ctx, 422, &e,
		    "The changes are invalid."));
	}
	api_errors_cleanup(&e);

	return (db_query(req, ctx, SQL_USER_ONE, users_update_loaded, 2,
	    ctx->params[0], auth_scope(ctx)));
}

static int
users_update_loaded(struct http_request *req, struct api_ctx *ctx,
    struct kore_pgsql *sql)
{
	struct user_fields	*f = ctx->data;
	struct user_fields	 old;
	struct api_errors	 e;
	char			 disabled[8];
	int			 self;

	if (kore_pgsql_ntuples(sql) != 1) {
		return (api_problem(req, ctx, 404, "not-found",
		    "No such user."));
	}
	if (api_if_match(req, ctx, kore_pgsql_getvalue(sql, 0, 1)) !=
	    KORE_RESULT_OK)
		return (API_DONE);

	memset(&old, 0, sizeof(old));
	kore_strlcpy(old.version, kore_pgsql_getvalue(sql, 0, 1),
	    sizeof(old.version));
	kore_strlcpy(old.email, kore_pgsql_getvalue(sql, 0, 2),
	    sizeof(old.email));
	old.role = role_parse(kore_pgsql_getvalue(sql, 0, 3));
	kore_strlcpy(old.district, kore_pgsql_getvalue(sql, 0, 4),
	    sizeof(old.district));
	kore_strlcpy(old.organization, kore_pgsql_getvalue(sql, 0, 5),
	    sizeof(old.organization));
	kore_strlcpy(old.participant, kore_pgsql_getvalue(sql, 0, 6),
	    sizeof(old.participant));
	kore_strlcpy(old.locale, kore_pgsql_getvalue(sql, 0, 7),
	    sizeof(old.locale));
	old.disabled = strcmp(kore_pgsql_getvalue(sql, 0, 8), "t") == 0;

	/* The account as it is, the caller's rights over it first. */
	if (fields_permitted(req, ctx, &old) != KORE_RESULT_OK)
		return (API_DONE);

	self = !ctx->who.external &&
	    strcmp(ctx->who.user_id, ctx->params[0]) == 0;
	if (self && ((f->has_role && f->role != old.role) ||
	    (f->has_district && strcmp(f->district, old.district) != 0) ||
	    (f->has_disabled && f->disabled != old.disabled))) {
		return (api_problem(req, ctx, 403, "forbidden",
		    "Nobody can change their own role, district or access; "
		    "ask another administrator."));
	}

	/* Merge: what the patch names replaces, the rest stays. */
	if (!f->has_email)
		kore_strlcpy(f->email, old.email, sizeof(f->email));
	if (!f->has_role)
		f->role = old.role;
	if (!f->has_district)
		kore_strlcpy(f->district, old.district, sizeof(f->district));
	if (!f->has_organization)
		kore_strlcpy(f->organization, old.organization,
		    sizeof(f->organization));
	if (!f->has_participant)
		kore_strlcpy(f->participant, old.participant,
		    sizeof(f->participant));
	if (!f->has_locale)
		kore_strlcpy(f->locale, old.locale, sizeof(f->locale));
	if (!f->has_disabled)
		f->disabled = old.disabled;

	api_errors_init(&e);
	fields_consistent(&e, f);
	if (e.count > 0) {
		return (api_errors_answer(req, ctx, 422, &e,
		    "The account would be inconsistent after these changes."));
	}
	api_errors_cleanup(&e);
	if (fields_permitted(req, ctx, f) != KORE_RESULT_OK)
		return (API_DONE);

	kore_strlcpy(disabled, f->disabled ? "true" : "false",
	    sizeof(disabled));

	return (db_query(req, ctx, SQL_USER_UPDATE, users_update_done, 12,
	    ctx->params[0], old.version, f->email, role_name(f->role),
	    f->district[0] ? f->district : NULL,
	    f->organization[0] ? f->organization : NULL,
	    f->participant[0] ? f->participant : NULL, f->locale, disabled,
	    ctx->who.actor, role_name(ctx->who.role), ctx->request_id));
}

static int
users_update_done(struct http_request *req, struct api_ctx *ctx,
    struct kore_pgsql *sql)
{
	const char	*outcome;

	outcome = kore_pgsql_ntuples(sql) == 1 ?
	    kore_pgsql_getvalue(sql, 0, 0) : "missing";
	if (strcmp(outcome, "stale") == 0) {
		return (api_problem(req, ctx, 412, "precondition-failed",
		    "The account changed meanwhile; read it again."));
	}
	if (strcmp(outcome, "unknown_district") == 0) {
		return (api_problem_field(req, ctx, 422, "/district_id",
		    "unknown", "There is no district with this key."));
	}
	if (strcmp(outcome, "ok") != 0) {
		return (api_problem(req, ctx, 404, "not-found",
		    "No such user."));
	}
	api_etag(req, kore_pgsql_getvalue(sql, 0, 1));

	return (api_json(req, ctx, 200, kore_pgsql_getvalue(sql, 0, 2),
	    kore_pgsql_getlength(sql, 0, 2)));
}
