/* Unit tests for config.c: CH_* variables read through a fake getenv. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <libpq-fe.h>

#include "ch.h"

#define GOOD_URL	"postgresql://ch@localhost/ch"

/* From `openssl rand -base64 48`. */
#define GOOD_SECRET	"6NOQV8rzKtSBv6qJhJzquM+s9PKdNuLf" \
			"GdIOWwdakrZ1luh74mb2fyd1LChze7FI"
/* Another one, for CH_METRICS_TOKEN. */
#define GOOD_TOKEN	"W2Yq0nB8cUe5Jx9kP3rVt7LhZ4sMd6Ga" \
			"Qf1XoN+yRw/Ei3Tb8Hj5Kp2Cv9Ul0Sz7"
#define DEFAULT_ROLES	"state_admin=state_admin,"			\
			"coordinator=coordinator,assistant=assistant"
#define ENV_CASE_VARS	6

struct env_var {
	const char	*name;
	const char	*value;
};

enum field {
	F_NONE = 0,
	F_ENV,
	F_LOG_LEVEL,
	F_ACCESS_LOG,
	F_PORT,
	F_WORKERS,
};

/* One variable set (next to a good CH_DATABASE_URL) and its outcome. */
struct var_case {
	const char	*name;
	const char	*value;
	int		 ok;
	enum field	 field;
	long long	 want;
};

/*
 * Variables set next to a good CH_DATABASE_URL; want NULL: accepted, else
 * refused with an error that contains want.
 */
struct env_case {
	const char	*what;
	struct env_var	 vars[ENV_CASE_VARS];
	const char	*want;
};

/* A secret config_secret_weakness() refuses, and part of its reason. */
struct weak_case {
	const char	*secret;
	const char	*why;
};

static const struct env_var	*fake_env;

static const char	*fake_get(const char *);
static int		 load(const struct env_var *, struct config *, char *,
			    size_t);
static long long	 field_value(const struct config *, enum field);
static void		 check_err(const char *, size_t, const char *);
static void		 run_var_cases(const struct var_case *, size_t);
static int		 load_with(const struct env_var *, struct config *,
			    char *, size_t);
static void		 run_env_cases(const struct env_case *, size_t);
static const char	*conn_option(const char *, const char *);
static void		 write_file(const char *, const char *, const char *,
			    char *, size_t);

/* The environment the current test installed; unknown names are unset. */
static const char *
fake_get(const char *name)
{
	const struct env_var	*e;

	assert_non_null(name);
	for (e = fake_env; e != NULL && e->name != NULL; e++) {
		if (strcmp(e->name, name) == 0)
			return (e->value);
	}

	return (NULL);
}

static int
load(const struct env_var *env, struct config *cfg, char *err, size_t len)
{
	fake_env = env;
	memset(cfg, 0x5a, sizeof(*cfg));
	memset(err, 0x7f, len);

	return (config_load(cfg, fake_get, err, len));
}

static long long
field_value(const struct config *cfg, enum field f)
{
	switch (f) {
	case F_ENV:
		return (cfg->env);
	case F_LOG_LEVEL:
		return (cfg->log_level);
	case F_ACCESS_LOG:
		return (cfg->access_log);
	case F_PORT:
		return (cfg->port);
	case F_WORKERS:
		return (cfg->workers);
	default:
		fail_msg("no such field %d", f);
	}

	return (-1);
}

/* err is a non-empty string within its buffer that names the variable. */
static void
check_err(const char *err, size_t len, const char *name)
{
	if (memchr(err, '\0', len) == NULL)
		fail_msg("error for %s is not NUL-terminated", name);
	if (err[0] == '\0')
		fail_msg("error for %s is empty", name);
	if (strstr(err, name) == NULL)
		fail_msg("error \"%s\" does not name %s", err, name);
}

static void
run_var_cases(const struct var_case *cases, size_t n)
{
	struct env_var	env[4];
	struct config	cfg;
	char		err[CONFIG_ERR_MAX];
	size_t		i;
	int		rc;

	for (i = 0; i < n; i++) {
		env[0].name = "CH_DATABASE_URL";
		env[0].value = GOOD_URL;
		env[1].name = cases[i].name;
		env[1].value = cases[i].value;
		env[2].name = "CH_JWT_SECRET";
		env[2].value = GOOD_SECRET;
		env[3].name = NULL;
		env[3].value = NULL;
		rc = load(env, &cfg, err, sizeof(err));
		if (cases[i].ok) {
			if (rc != 0)
				fail_msg("%s=\"%s\" refused: %s", cases[i].name,
				    cases[i].value, err);
			if (field_value(&cfg, cases[i].field) != cases[i].want)
				fail_msg("%s=\"%s\" gave %lld, want %lld",
				    cases[i].name, cases[i].value,
				    field_value(&cfg, cases[i].field),
				    cases[i].want);
		} else {
			if (rc != -1)
				fail_msg("%s=\"%s\" accepted (rc %d)",
				    cases[i].name, cases[i].value, rc);
			check_err(err, sizeof(err), cases[i].name);
		}
	}
}

/* The variables of vars (up to a NULL name) next to a good URL. */
static int
load_with(const struct env_var *vars, struct config *cfg, char *err,
    size_t len)
{
	static struct env_var	env[ENV_CASE_VARS + 2];
	size_t			i;

	env[0].name = "CH_DATABASE_URL";
	env[0].value = GOOD_URL;
	for (i = 0; i < ENV_CASE_VARS && vars[i].name != NULL; i++)
		env[i + 1] = vars[i];
	env[i + 1].name = NULL;
	env[i + 1].value = NULL;

	return (load(env, cfg, err, len));
}

static void
run_env_cases(const struct env_case *cases, size_t n)
{
	struct config	cfg;
	char		err[CONFIG_ERR_MAX];
	size_t		i;
	int		rc;

	for (i = 0; i < n; i++) {
		rc = load_with(cases[i].vars, &cfg, err, sizeof(err));
		if (cases[i].want == NULL) {
			if (rc != 0)
				fail_msg("%s: refused: %s", cases[i].what, err);
			continue;
		}
		if (rc != -1)
			fail_msg("%s: accepted (rc %d), want \"%s\"",
			    cases[i].what, rc, cases[i].want);
		if (memchr(err, '\0', sizeof(err)) == NULL)
			fail_msg("%s: error is not NUL-terminated",
			    cases[i].what);
		if (strstr(err, cases[i].want) == NULL)
			fail_msg("%s: error \"%s\" lacks \"%s\"", cases[i].what,
			    err, cases[i].want);
	}
}

static void
test_defaults(void **state)
{
	static const struct env_var	env[] = {
		{ "CH_DATABASE_URL", GOOD_URL },
		{ "CH_JWT_SECRET", GOOD_SECRET },
		{ NULL, NULL },
	};
	struct config	cfg;
	char		err[CONFIG_ERR_MAX];

	(void)state;
	assert_int_equal(load(env, &cfg, err, sizeof(err)), 0);
	assert_ptr_equal(cfg.database_url, env[0].value);
	assert_ptr_equal(cfg.listen_url, env[0].value);
	assert_int_equal(cfg.port, 8080);
	assert_int_equal(cfg.workers, 2);
	assert_int_equal(cfg.env, CONFIG_ENV_DEVELOPMENT);
	assert_int_equal(cfg.log_level, CONFIG_LOG_INFO);
	assert_int_equal(cfg.access_log, 1);
	assert_int_equal(cfg.jwt_alg, CONFIG_JWT_HS256);
	assert_ptr_equal(cfg.jwt_secret, env[1].value);
	assert_null(cfg.jwt_key_file);
	assert_null(cfg.jwt_kid);
	assert_string_equal(cfg.jwt_issuer, "connecting-humans");
	assert_string_equal(cfg.jwt_audience, "ch-api");
	assert_null(cfg.ext_issuer);
	assert_null(cfg.metrics_token);
}

/* A variable set to "" is treated as unset. */
static void
test_defaults_when_empty(void **state)
{
	static const struct env_var	env[] = {
		{ "CH_DATABASE_URL", "host=db dbname=ch" },
		{ "CH_DATABASE_LISTEN_URL", "" },
		{ "CH_ENV", "" },
		{ "CH_LOG_LEVEL", "" },
		{ "CH_ACCESS_LOG", "" },
		{ "CH_PORT", "" },
		{ "CH_WORKERS", "" },
		{ "CH_JWT_SECRET", GOOD_SECRET },
		{ "CH_JWT_ALG", "" },
		{ "CH_JWT_KEY_FILE", "" },
		{ "CH_JWT_KID", "" },
		{ "CH_JWT_ISSUER", "" },
		{ "CH_JWT_AUDIENCE", "" },
		{ "CH_JWT_EXTERNAL_ISSUER", "" },
		{ "CH_JWT_EXTERNAL_KEY_FILE", "/etc/ch/sso.pem" },
		{ NULL, NULL },
	};
	struct config	cfg;
	char		err[CONFIG_ERR_MAX];

	(void)state;
	assert_int_equal(load(env, &cfg, err, sizeof(err)), 0);
	assert_string_equal(cfg.database_url, "host=db dbname=ch");
	assert_string_equal(cfg.listen_url, "host=db dbname=ch");
	assert_int_equal(cfg.port, 8080);
	assert_int_equal(cfg.workers, 2);
	assert_int_equal(cfg.env, CONFIG_ENV_DEVELOPMENT);
	assert_int_equal(cfg.log_level, CONFIG_LOG_INFO);
	assert_int_equal(cfg.access_log, 1);
	assert_int_equal(cfg.jwt_alg, CONFIG_JWT_HS256);
	assert_null(cfg.jwt_key_file);
	assert_null(cfg.jwt_kid);
	assert_string_equal(cfg.jwt_issuer, "connecting-humans");
	assert_string_equal(cfg.jwt_audience, "ch-api");
	/* No external issuer: its other variables are not read. */
	assert_null(cfg.ext_issuer);
	assert_null(cfg.ext_key_file);
}

static void
test_all_set(void **state)
{
	static const struct env_var	env[] = {
		{ "CH_DATABASE_URL", "postgres://u:p@db:5432/ch" },
		{ "CH_DATABASE_LISTEN_URL", "postgres://u:p@pg1/ch" },
		{ "CH_ENV", "production" },
		{ "CH_LOG_LEVEL", "error" },
		{ "CH_ACCESS_LOG", "off" },
		{ "CH_PORT", "443" },
		{ "CH_WORKERS", "16" },
		{ "CH_JWT_ALG", "ES256" },
		{ "CH_JWT_KEY_FILE", "/etc/ch/jwt.pem" },
		{ "CH_JWT_KID", "ch-2024.1" },
		{ "CH_JWT_ISSUER", "https://ch.example" },
		{ "CH_JWT_AUDIENCE", "ch-api-prod" },
		{ "CH_JWT_EXTERNAL_ISSUER", "https://sso.example/realms/bw" },
		{ "CH_JWT_EXTERNAL_KEY_FILE", "/etc/ch/sso.pem" },
		{ "CH_JWT_EXTERNAL_ALG", "ES256" },
		{ "CH_JWT_EXTERNAL_AUDIENCE", "account" },
		{ "CH_JWT_EXTERNAL_ROLE_CLAIM", "grp" },
		{ "CH_JWT_EXTERNAL_DISTRICT_CLAIM", "ags" },
		{ "CH_JWT_EXTERNAL_ROLES", "Koordination=coordinator" },
		{ NULL, NULL },
	};
	struct config	cfg;
	char		err[CONFIG_ERR_MAX];

	(void)state;
	assert_int_equal(load(env, &cfg, err, sizeof(err)), 0);
	assert_string_equal(cfg.database_url, "postgres://u:p@db:5432/ch");
	assert_string_equal(cfg.listen_url, "postgres://u:p@pg1/ch");
	assert_int_equal(cfg.env, CONFIG_ENV_PRODUCTION);
	assert_int_equal(cfg.log_level, CONFIG_LOG_ERROR);
	assert_int_equal(cfg.access_log, 0);
	assert_int_equal(cfg.port, 443);
	assert_int_equal(cfg.workers, 16);
	assert_int_equal(cfg.jwt_alg, CONFIG_JWT_ES256);
	assert_null(cfg.jwt_secret);
	assert_string_equal(cfg.jwt_key_file, "/etc/ch/jwt.pem");
	assert_string_equal(cfg.jwt_kid, "ch-2024.1");
	assert_string_equal(cfg.jwt_issuer, "https://ch.example");
	assert_string_equal(cfg.jwt_audience, "ch-api-prod");
	assert_string_equal(cfg.ext_issuer, "https://sso.example/realms/bw");
	assert_string_equal(cfg.ext_key_file, "/etc/ch/sso.pem");
	assert_int_equal(cfg.ext_alg, CONFIG_JWT_ES256);
	assert_string_equal(cfg.ext_audience, "account");
	assert_string_equal(cfg.ext_role_claim, "grp");
	assert_string_equal(cfg.ext_district_claim, "ags");
	assert_string_equal(cfg.ext_roles, "Koordination=coordinator");
}

static void
test_database_url_missing(void **state)
{
	static const struct env_var	unset[] = {
		{ "CH_PORT", "8080" },
		{ NULL, NULL },
	};
	static const struct env_var	empty[] = {
		{ "CH_DATABASE_URL", "" },
		{ NULL, NULL },
	};
	struct config	cfg;
	char		err[CONFIG_ERR_MAX];

	(void)state;
	assert_int_equal(load(unset, &cfg, err, sizeof(err)), -1);
	check_err(err, sizeof(err), "CH_DATABASE_URL");
	assert_int_equal(load(empty, &cfg, err, sizeof(err)), -1);
	check_err(err, sizeof(err), "CH_DATABASE_URL");
	assert_int_equal(load(NULL, &cfg, err, sizeof(err)), -1);
	check_err(err, sizeof(err), "CH_DATABASE_URL");
}

static void
test_database_url_forms(void **state)
{
	static const char *const	good[] = {
		"postgresql://ch@localhost/ch",
		"postgresql:///ch?host=/run/postgresql",
		"postgres://u:p@db:5432/ch?sslmode=disable",
		"postgres://",
		"host=/var/run/postgresql dbname=ch",
		"host=db port=5432 dbname=ch user=ch",
		"dbname=ch",
	};
	static const char *const	bad[] = {
		"localhost",
		"ch",
		"postgresql:/ch",
		"postgres:ch",
		"postgresq://ch@localhost/ch",
		"http://localhost/ch",
		"mysql://localhost/ch",
		"PostgreSQL://localhost/ch",
		" ",
	};
	struct env_var	env[3];
	struct config	cfg;
	char		err[CONFIG_ERR_MAX];
	size_t		i;

	(void)state;
	env[0].name = "CH_DATABASE_URL";
	env[1].name = "CH_JWT_SECRET";
	env[1].value = GOOD_SECRET;
	env[2].name = NULL;
	env[2].value = NULL;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		env[0].value = good[i];
		if (load(env, &cfg, err, sizeof(err)) != 0)
			fail_msg("\"%s\" refused: %s", good[i], err);
		assert_ptr_equal(cfg.database_url, good[i]);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		env[0].value = bad[i];
		if (load(env, &cfg, err, sizeof(err)) != -1)
			fail_msg("\"%s\" accepted", bad[i]);
		check_err(err, sizeof(err), "CH_DATABASE_URL");
	}
}

/* CH_DATABASE_LISTEN_URL takes the forms CH_DATABASE_URL takes. */
static void
test_database_listen_url_forms(void **state)
{
	static const char *const	good[] = {
		"postgresql://ch@127.0.0.1:5432/ch",
		"host=/var/run/postgresql dbname=ch",
	};
	static const char *const	bad[] = {
		"localhost",
		"http://localhost/ch",
	};
	struct env_var	env[4];
	struct config	cfg;
	char		err[CONFIG_ERR_MAX];
	size_t		i;

	(void)state;
	env[0].name = "CH_DATABASE_URL";
	env[0].value = GOOD_URL;
	env[1].name = "CH_JWT_SECRET";
	env[1].value = GOOD_SECRET;
	env[2].name = "CH_DATABASE_LISTEN_URL";
	env[3].name = NULL;
	env[3].value = NULL;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		env[2].value = good[i];
		if (load(env, &cfg, err, sizeof(err)) != 0)
			fail_msg("\"%s\" refused: %s", good[i], err);
		assert_ptr_equal(cfg.database_url, GOOD_URL);
		assert_ptr_equal(cfg.listen_url, good[i]);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		env[2].value = bad[i];
		if (load(env, &cfg, err, sizeof(err)) != -1)
			fail_msg("\"%s\" accepted", bad[i]);
		check_err(err, sizeof(err), "CH_DATABASE_LISTEN_URL");
	}
}

static void
test_env(void **state)
{
	static const struct var_case	cases[] = {
		{ "CH_ENV", "development", 1, F_ENV, CONFIG_ENV_DEVELOPMENT },
		{ "CH_ENV", "test", 1, F_ENV, CONFIG_ENV_TEST },
		{ "CH_ENV", "production", 1, F_ENV, CONFIG_ENV_PRODUCTION },
		{ "CH_ENV", "prod", 0, F_NONE, 0 },
		{ "CH_ENV", "dev", 0, F_NONE, 0 },
		{ "CH_ENV", "Production", 0, F_NONE, 0 },
		{ "CH_ENV", "PRODUCTION", 0, F_NONE, 0 },
		{ "CH_ENV", "production ", 0, F_NONE, 0 },
		{ "CH_ENV", " test", 0, F_NONE, 0 },
		{ "CH_ENV", "staging", 0, F_NONE, 0 },
		{ "CH_ENV", "testing", 0, F_NONE, 0 },
	};

	(void)state;
	run_var_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

static void
test_log_level(void **state)
{
	static const struct var_case	cases[] = {
		{ "CH_LOG_LEVEL", "debug", 1, F_LOG_LEVEL, CONFIG_LOG_DEBUG },
		{ "CH_LOG_LEVEL", "info", 1, F_LOG_LEVEL, CONFIG_LOG_INFO },
		{ "CH_LOG_LEVEL", "warn", 1, F_LOG_LEVEL, CONFIG_LOG_WARN },
		{ "CH_LOG_LEVEL", "error", 1, F_LOG_LEVEL, CONFIG_LOG_ERROR },
		{ "CH_LOG_LEVEL", "warning", 0, F_NONE, 0 },
		{ "CH_LOG_LEVEL", "INFO", 0, F_NONE, 0 },
		{ "CH_LOG_LEVEL", "trace", 0, F_NONE, 0 },
		{ "CH_LOG_LEVEL", "1", 0, F_NONE, 0 },
		{ "CH_LOG_LEVEL", "err", 0, F_NONE, 0 },
	};

	(void)state;
	run_var_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

static void
test_access_log(void **state)
{
	static const struct var_case	cases[] = {
		{ "CH_ACCESS_LOG", "off", 1, F_ACCESS_LOG, 0 },
		{ "CH_ACCESS_LOG", "on", 1, F_ACCESS_LOG, 1 },
		{ "CH_ACCESS_LOG", "0", 1, F_ACCESS_LOG, 0 },
		{ "CH_ACCESS_LOG", "1", 1, F_ACCESS_LOG, 1 },
		{ "CH_ACCESS_LOG", "yes", 0, F_NONE, 0 },
		{ "CH_ACCESS_LOG", "true", 0, F_NONE, 0 },
		{ "CH_ACCESS_LOG", "ON", 0, F_NONE, 0 },
		{ "CH_ACCESS_LOG", "Off", 0, F_NONE, 0 },
		{ "CH_ACCESS_LOG", "2", 0, F_NONE, 0 },
		{ "CH_ACCESS_LOG", "00", 0, F_NONE, 0 },
		{ "CH_ACCESS_LOG", "off ", 0, F_NONE, 0 },
	};

	(void)state;
	run_var_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

static void
test_port(void **state)
{
	static const struct var_case	cases[] = {
		{ "CH_PORT", "1", 1, F_PORT, 1 },
		{ "CH_PORT", "65535", 1, F_PORT, 65535 },
		{ "CH_PORT", "8081", 1, F_PORT, 8081 },
		{ "CH_PORT", "0", 0, F_NONE, 0 },
		{ "CH_PORT", "65536", 0, F_NONE, 0 },
		{ "CH_PORT", "80a", 0, F_NONE, 0 },
		{ "CH_PORT", "-1", 0, F_NONE, 0 },
		{ "CH_PORT", " 80", 0, F_NONE, 0 },
		{ "CH_PORT", "+80", 0, F_NONE, 0 },
		{ "CH_PORT", "http", 0, F_NONE, 0 },
		{ "CH_PORT", "99999999999999999999", 0, F_NONE, 0 },
	};

	(void)state;
	run_var_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

static void
test_workers(void **state)
{
	static const struct var_case	cases[] = {
		{ "CH_WORKERS", "1", 1, F_WORKERS, 1 },
		{ "CH_WORKERS", "8", 1, F_WORKERS, 8 },
		{ "CH_WORKERS", "64", 1, F_WORKERS, 64 },
		{ "CH_WORKERS", "0", 0, F_NONE, 0 },
		{ "CH_WORKERS", "65", 0, F_NONE, 0 },
		{ "CH_WORKERS", "-2", 0, F_NONE, 0 },
		{ "CH_WORKERS", "auto", 0, F_NONE, 0 },
		{ "CH_WORKERS", "4 ", 0, F_NONE, 0 },
	};

	(void)state;
	run_var_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

/* A bad later variable still fails after good earlier ones. */
static void
test_later_error(void **state)
{
	static const struct env_var	env[] = {
		{ "CH_DATABASE_URL", GOOD_URL },
		{ "CH_ENV", "test" },
		{ "CH_LOG_LEVEL", "debug" },
		{ "CH_ACCESS_LOG", "on" },
		{ "CH_PORT", "8080" },
		{ "CH_WORKERS", "100" },
		{ "CH_JWT_SECRET", GOOD_SECRET },
		{ NULL, NULL },
	};
	struct config	cfg;
	char		err[CONFIG_ERR_MAX];

	(void)state;
	assert_int_equal(load(env, &cfg, err, sizeof(err)), -1);
	check_err(err, sizeof(err), "CH_WORKERS");
}

/* A short buffer gets a truncated message, NUL-terminated, no overrun. */
static void
test_err_buffer_short(void **state)
{
	static const struct env_var	nonsense[] = {
		{ "CH_DATABASE_URL", "nonsense" },
		{ NULL, NULL },
	};
	static const struct env_var	missing[] = {
		{ NULL, NULL },
	};
	static const struct env_var	bad_port[] = {
		{ "CH_DATABASE_URL", GOOD_URL },
		{ "CH_PORT", "0" },
		{ NULL, NULL },
	};
	static const struct env_var	no_secret[] = {
		{ "CH_DATABASE_URL", GOOD_URL },
		{ NULL, NULL },
	};
	static const struct env_var *const	envs[] = {
		nonsense, missing, bad_port, no_secret,
	};
	static const char *const		want[] = {
		"CH_DATABASE_URL", "CH_DATABASE_URL", "CH_PORT must be",
		"CH_JWT_SECRET i",
	};
	struct config	cfg;
	char		err[32];
	size_t		i, j;

	(void)state;
	for (j = 0; j < sizeof(envs) / sizeof(envs[0]); j++) {
		fake_env = envs[j];
		memset(err, 0x7f, sizeof(err));
		assert_int_equal(config_load(&cfg, fake_get, err, 16), -1);
		assert_int_equal(err[15], '\0');
		assert_string_equal(err, want[j]);
		for (i = 16; i < sizeof(err); i++)
			assert_int_equal(err[i], 0x7f);

		memset(err, 0x7f, sizeof(err));
		assert_int_equal(config_load(&cfg, fake_get, err, 1), -1);
		assert_int_equal(err[0], '\0');
		assert_int_equal(err[1], 0x7f);
	}
}

static void
test_jwt_secret_missing(void **state)
{
	static const struct env_var	unset[] = {
		{ "CH_DATABASE_URL", GOOD_URL },
		{ NULL, NULL },
	};
	static const struct env_var	empty[] = {
		{ "CH_DATABASE_URL", GOOD_URL },
		{ "CH_JWT_SECRET", "" },
		{ NULL, NULL },
	};
	static const struct env_var	hs256[] = {
		{ "CH_DATABASE_URL", GOOD_URL },
		{ "CH_JWT_ALG", "HS256" },
		{ "CH_JWT_KEY_FILE", "/etc/ch/jwt.pem" },
		{ NULL, NULL },
	};
	static const struct env_var *const	envs[] = {
		unset, empty, hs256,
	};
	struct config	cfg;
	char		err[CONFIG_ERR_MAX];
	size_t		i;

	(void)state;
	for (i = 0; i < sizeof(envs) / sizeof(envs[0]); i++) {
		assert_int_equal(load(envs[i], &cfg, err, sizeof(err)), -1);
		check_err(err, sizeof(err), "CH_JWT_SECRET");
		assert_non_null(strstr(err, "not set"));
		assert_non_null(strstr(err, "openssl rand"));
	}
}

/* Refused by config_secret_weakness() and config_load(), with the why. */
static void
test_jwt_secret_weak(void **state)
{
	static const struct weak_case	cases[] = {
		/* 31 bytes of `openssl rand -base64 24` */
		{ "uf1C33dt/k4+YloExwR+XkvKVl2z8mw", "shorter than 32" },
		{ "x", "shorter than 32" },
		{ "changemebt03rFvgKHJW6O2jPPvHNbQmfWidijrm", "placeholder" },
		{ "CHANGE_ME-bt03rFvgKHJW6O2jPPvHNbQmfWidij", "placeholder" },
		{ "bt03rFvgKHJW6O2jPPvHNbQmfWidijrm-change-me",
		    "placeholder" },
		{ "my-jwt-Secret-6NOQV8rzKtSBv6qJhJzquM+s9P", "placeholder" },
		{ "your-256-bit-secret-6NOQV8rzKtSBv6qJhJz", "placeholder" },
		{ "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "placeholder" },
		{ "XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX", "placeholder" },
		{ "Passwort-6NOQV8rzKtSBv6qJhJzquM+s9PKdNu", "placeholder" },
		{ "6NOQV8rzKtSBv6qJhJzquM+s9PKd-example-1", "placeholder" },
		{ "6NOQV8rzKtSBv6qJhJzquM+s9PKdNuLf-dummy", "placeholder" },
		{ "INSERT-6NOQV8rzKtSBv6qJhJzquM+s9PKdNuLf", "placeholder" },
		{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		    "aaaa", "too few distinct" },
		{ "abababababababababababababababababababab",
		    "too few distinct" },
		{ "Kq7!Kq7!Kq7!Kq7!Kq7!Kq7!Kq7!Kq7!Kq7!Kq7!",
		    "too few distinct" },
		{ "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "0123456789", "neighbouring" },
		{ "0123456789abcdef0123456789abcdef0123456789abcdef",
		    "pattern" },
		{ "zyxwvutsrqponmlkjihgfedcba9876543210", "neighbouring" },
		{ "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", "neighbouring" },
	};
	struct env_var	 vars[2];
	struct config	 cfg;
	const char	*why;
	char		 err[CONFIG_ERR_MAX];
	size_t		 i;

	(void)state;
	assert_int_equal(strlen(cases[0].secret), CONFIG_SECRET_MIN - 1);
	assert_int_equal(strlen(cases[2].secret), 40);
	vars[1].name = NULL;
	vars[1].value = NULL;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		why = config_secret_weakness(cases[i].secret);
		if (why == NULL || strstr(why, cases[i].why) == NULL)
			fail_msg("\"%s\": weakness \"%s\", want \"%s\"",
			    cases[i].secret, why ? why : "(none)",
			    cases[i].why);
		vars[0].name = "CH_JWT_SECRET";
		vars[0].value = cases[i].secret;
		if (load_with(vars, &cfg, err, sizeof(err)) != -1)
			fail_msg("\"%s\" accepted", cases[i].secret);
		check_err(err, sizeof(err), "CH_JWT_SECRET");
		if (strstr(err, cases[i].why) == NULL)
			fail_msg("\"%s\": error \"%s\" lacks \"%s\"",
			    cases[i].secret, err, cases[i].why);
	}
}

static void
test_jwt_secret_good(void **state)
{
	static const char *const	good[] = {
		GOOD_SECRET,				/* -base64 48 */
		"2f5d99413bb3ee4a913ac72569f4b04d"	/* -hex 32 */
		    "60bcb7dda56079292f031dbd755a277a",
		"bt03rFvgKHJW6O2jPPvHNbQmfWidijrm",	/* just 32 */
		"N7#qL!x2@Vp9$Rz4&Wm6*Ty8^Hb3%Kd5",
	};
	struct env_var	vars[2];
	struct config	cfg;
	char		err[CONFIG_ERR_MAX];
	size_t		i;

	(void)state;
	assert_int_equal(strlen(good[2]), CONFIG_SECRET_MIN);
	vars[1].name = NULL;
	vars[1].value = NULL;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		if (config_secret_weakness(good[i]) != NULL)
			fail_msg("\"%s\": %s", good[i],
			    config_secret_weakness(good[i]));
		vars[0].name = "CH_JWT_SECRET";
		vars[0].value = good[i];
		if (load_with(vars, &cfg, err, sizeof(err)) != 0)
			fail_msg("\"%s\" refused: %s", good[i], err);
		assert_ptr_equal(cfg.jwt_secret, good[i]);
		assert_int_equal(cfg.jwt_alg, CONFIG_JWT_HS256);
	}
}

static void
test_jwt_alg(void **state)
{
	static const struct env_case	cases[] = {
		{ "HS256", { { "CH_JWT_ALG", "HS256" },
		    { "CH_JWT_SECRET", GOOD_SECRET } }, NULL },
		{ "empty is HS256", { { "CH_JWT_ALG", "" },
		    { "CH_JWT_SECRET", GOOD_SECRET } }, NULL },
		{ "RS256", { { "CH_JWT_ALG", "RS256" },
		    { "CH_JWT_KEY_FILE", "/etc/ch/jwt.pem" } }, NULL },
		{ "ES256", { { "CH_JWT_ALG", "ES256" },
		    { "CH_JWT_KEY_FILE", "/etc/ch/jwt.pem" } }, NULL },
		{ "RS256, weak secret unused", { { "CH_JWT_ALG", "RS256" },
		    { "CH_JWT_KEY_FILE", "/etc/ch/jwt.pem" },
		    { "CH_JWT_SECRET", "changeme" } }, NULL },
		{ "RS256 without a key", { { "CH_JWT_ALG", "RS256" } },
		    "CH_JWT_KEY_FILE" },
		{ "ES256 without a key", { { "CH_JWT_ALG", "ES256" },
		    { "CH_JWT_KEY_FILE", "" } }, "CH_JWT_KEY_FILE" },
		{ "RS256 with a secret only", { { "CH_JWT_ALG", "RS256" },
		    { "CH_JWT_SECRET", GOOD_SECRET } }, "CH_JWT_KEY_FILE" },
		{ "hs256", { { "CH_JWT_ALG", "hs256" },
		    { "CH_JWT_SECRET", GOOD_SECRET } }, "CH_JWT_ALG" },
		{ "none", { { "CH_JWT_ALG", "none" },
		    { "CH_JWT_SECRET", GOOD_SECRET } }, "CH_JWT_ALG" },
		{ "HS384", { { "CH_JWT_ALG", "HS384" },
		    { "CH_JWT_SECRET", GOOD_SECRET } }, "CH_JWT_ALG" },
		{ "HS512", { { "CH_JWT_ALG", "HS512" },
		    { "CH_JWT_SECRET", GOOD_SECRET } }, "CH_JWT_ALG" },
		{ "RS512", { { "CH_JWT_ALG", "RS512" },
		    { "CH_JWT_KEY_FILE", "/etc/ch/jwt.pem" } }, "CH_JWT_ALG" },
		{ "PS256", { { "CH_JWT_ALG", "PS256" },
		    { "CH_JWT_KEY_FILE", "/etc/ch/jwt.pem" } }, "CH_JWT_ALG" },
		{ "EdDSA", { { "CH_JWT_ALG", "EdDSA" },
		    { "CH_JWT_KEY_FILE", "/etc/ch/jwt.pem" } }, "CH_JWT_ALG" },
		{ "ES256 and a space", { { "CH_JWT_ALG", "ES256 " },
		    { "CH_JWT_KEY_FILE", "/etc/ch/jwt.pem" } }, "CH_JWT_ALG" },
		{ "a list", { { "CH_JWT_ALG", "HS256,RS256" },
		    { "CH_JWT_SECRET", GOOD_SECRET } }, "CH_JWT_ALG" },
	};
	static const struct env_var	es256[] = {
		{ "CH_JWT_ALG", "ES256" },
		{ "CH_JWT_KEY_FILE", "/etc/ch/jwt.pem" },
		{ NULL, NULL },
	};
	struct config	cfg;
	char		err[CONFIG_ERR_MAX];

	(void)state;
	run_env_cases(cases, sizeof(cases) / sizeof(cases[0]));
	assert_int_equal(load_with(es256, &cfg, err, sizeof(err)), 0);
	assert_int_equal(cfg.jwt_alg, CONFIG_JWT_ES256);
	assert_string_equal(cfg.jwt_key_file, "/etc/ch/jwt.pem");
	assert_null(cfg.jwt_secret);
}

static void
test_jwt_kid(void **state)
{
	static const struct env_case	cases[] = {
		{ "plain", { { "CH_JWT_KID", "k1" },
		    { "CH_JWT_SECRET", GOOD_SECRET } }, NULL },
		{ "all classes", { { "CH_JWT_KID", "Key-2024_05.v2" },
		    { "CH_JWT_SECRET", GOOD_SECRET } }, NULL },
		{ "64", { { "CH_JWT_KID", "0123456789abcdef0123456789abcdef"
		    "0123456789abcdef0123456789abcdef" },
		    { "CH_JWT_SECRET", GOOD_SECRET } }, NULL },
		{ "empty is unset", { { "CH_JWT_KID", "" },
		    { "CH_JWT_SECRET", GOOD_SECRET } }, NULL },
		{ "65", { { "CH_JWT_KID", "0123456789abcdef0123456789abcdef"
		    "0123456789abcdef0123456789abcdef0" },
		    { "CH_JWT_SECRET", GOOD_SECRET } }, "CH_JWT_KID" },
		{ "space", { { "CH_JWT_KID", "key 1" },
		    { "CH_JWT_SECRET", GOOD_SECRET } }, "CH_JWT_KID" },
		{ "slash", { { "CH_JWT_KID", "keys/1" },
		    { "CH_JWT_SECRET", GOOD_SECRET } }, "CH_JWT_KID" },
		{ "colon", { { "CH_JWT_KID", "k:1" },
		    { "CH_JWT_SECRET", GOOD_SECRET } }, "CH_JWT_KID" },
		{ "quote", { { "CH_JWT_KID", "k\"1" },
		    { "CH_JWT_SECRET", GOOD_SECRET } }, "CH_JWT_KID" },
		{ "backslash", { { "CH_JWT_KID", "k\\1" },
		    { "CH_JWT_SECRET", GOOD_SECRET } }, "CH_JWT_KID" },
		{ "plus", { { "CH_JWT_KID", "k+1" },
		    { "CH_JWT_SECRET", GOOD_SECRET } }, "CH_JWT_KID" },
		{ "UTF-8", { { "CH_JWT_KID", "schl\xc3\xbcssel" },
		    { "CH_JWT_SECRET", GOOD_SECRET } }, "CH_JWT_KID" },
		{ "newline", { { "CH_JWT_KID", "k1\n" },
		    { "CH_JWT_SECRET", GOOD_SECRET } }, "CH_JWT_KID" },
		{ "RS256 too", { { "CH_JWT_KID", "k 1" },
		    { "CH_JWT_ALG", "RS256" },
		    { "CH_JWT_KEY_FILE", "/etc/ch/jwt.pem" } }, "CH_JWT_KID" },
	};
	static const struct env_var	kid[] = {
		{ "CH_JWT_KID", "Key-2024_05.v2" },
		{ "CH_JWT_SECRET", GOOD_SECRET },
		{ NULL, NULL },
	};
	struct config	cfg;
	char		err[CONFIG_ERR_MAX];

	(void)state;
	run_env_cases(cases, sizeof(cases) / sizeof(cases[0]));
	assert_int_equal(load_with(kid, &cfg, err, sizeof(err)), 0);
	assert_string_equal(cfg.jwt_kid, "Key-2024_05.v2");
}

static void
test_jwt_external(void **state)
{
	static const struct env_case	cases[] = {
		{ "issuer and key", { { "CH_JWT_SECRET", GOOD_SECRET },
		    { "CH_JWT_EXTERNAL_ISSUER", "https://sso.example" },
		    { "CH_JWT_EXTERNAL_KEY_FILE", "/etc/ch/sso.pem" } },
		    NULL },
		{ "no key file", { { "CH_JWT_SECRET", GOOD_SECRET },
		    { "CH_JWT_EXTERNAL_ISSUER", "https://sso.example" } },
		    "CH_JWT_EXTERNAL_KEY_FILE" },
		{ "empty key file", { { "CH_JWT_SECRET", GOOD_SECRET },
		    { "CH_JWT_EXTERNAL_ISSUER", "https://sso.example" },
		    { "CH_JWT_EXTERNAL_KEY_FILE", "" } },
		    "CH_JWT_EXTERNAL_KEY_FILE" },
		{ "our own issuer", { { "CH_JWT_SECRET", GOOD_SECRET },
		    { "CH_JWT_ISSUER", "https://ch.example" },
		    { "CH_JWT_EXTERNAL_ISSUER", "https://ch.example" },
		    { "CH_JWT_EXTERNAL_KEY_FILE", "/etc/ch/sso.pem" } },
		    "CH_JWT_EXTERNAL_ISSUER" },
		{ "our default issuer", { { "CH_JWT_SECRET", GOOD_SECRET },
		    { "CH_JWT_EXTERNAL_ISSUER", "connecting-humans" },
		    { "CH_JWT_EXTERNAL_KEY_FILE", "/etc/ch/sso.pem" } },
		    "CH_JWT_EXTERNAL_ISSUER" },
		{ "RS256", { { "CH_JWT_SECRET", GOOD_SECRET },
		    { "CH_JWT_EXTERNAL_ISSUER", "https://sso.example" },
		    { "CH_JWT_EXTERNAL_KEY_FILE", "/etc/ch/sso.pem" },
		    { "CH_JWT_EXTERNAL_ALG", "RS256" } }, NULL },
		{ "ES256", { { "CH_JWT_SECRET", GOOD_SECRET },
		    { "CH_JWT_EXTERNAL_ISSUER", "https://sso.example" },
		    { "CH_JWT_EXTERNAL_KEY_FILE", "/etc/ch/sso.pem" },
		    { "CH_JWT_EXTERNAL_ALG", "ES256" } }, NULL },
		{ "HS256", { { "CH_JWT_SECRET", GOOD_SECRET },
		    { "CH_JWT_EXTERNAL_ISSUER", "https://sso.example" },
		    { "CH_JWT_EXTERNAL_KEY_FILE", "/etc/ch/sso.pem" },
		    { "CH_JWT_EXTERNAL_ALG", "HS256" } },
		    "CH_JWT_EXTERNAL_ALG" },
		{ "none", { { "CH_JWT_SECRET", GOOD_SECRET },
		    { "CH_JWT_EXTERNAL_ISSUER", "https://sso.example" },
		    { "CH_JWT_EXTERNAL_KEY_FILE", "/etc/ch/sso.pem" },
		    { "CH_JWT_EXTERNAL_ALG", "none" } },
		    "CH_JWT_EXTERNAL_ALG" },
		{ "rs256", { { "CH_JWT_SECRET", GOOD_SECRET },
		    { "CH_JWT_EXTERNAL_ISSUER", "https://sso.example" },
		    { "CH_JWT_EXTERNAL_KEY_FILE", "/etc/ch/sso.pem" },
		    { "CH_JWT_EXTERNAL_ALG", "rs256" } },
		    "CH_JWT_EXTERNAL_ALG" },
		{ "PS256", { { "CH_JWT_SECRET", GOOD_SECRET },
		    { "CH_JWT_EXTERNAL_ISSUER", "https://sso.example" },
		    { "CH_JWT_EXTERNAL_KEY_FILE", "/etc/ch/sso.pem" },
		    { "CH_JWT_EXTERNAL_ALG", "PS256" } },
		    "CH_JWT_EXTERNAL_ALG" },
		{ "next to our RS256", { { "CH_JWT_ALG", "RS256" },
		    { "CH_JWT_KEY_FILE", "/etc/ch/jwt.pem" },
		    { "CH_JWT_EXTERNAL_ISSUER", "https://sso.example" },
		    { "CH_JWT_EXTERNAL_KEY_FILE", "/etc/ch/sso.pem" } },
		    NULL },
		{ "a weak secret still counts", { { "CH_JWT_SECRET",
		    "changeme" },
		    { "CH_JWT_EXTERNAL_ISSUER", "https://sso.example" },
		    { "CH_JWT_EXTERNAL_KEY_FILE", "/etc/ch/sso.pem" } },
		    "CH_JWT_SECRET" },
	};

	(void)state;
	run_env_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

/* What an external issuer gets when only its name and key are given. */
static void
test_jwt_external_defaults(void **state)
{
	static const struct env_var	minimal[] = {
		{ "CH_JWT_SECRET", GOOD_SECRET },
		{ "CH_JWT_EXTERNAL_ISSUER", "https://sso.example" },
		{ "CH_JWT_EXTERNAL_KEY_FILE", "/etc/ch/sso.pem" },
		{ NULL, NULL },
	};
	static const struct env_var	audience[] = {
		{ "CH_JWT_SECRET", GOOD_SECRET },
		{ "CH_JWT_AUDIENCE", "https://api.ch.example" },
		{ "CH_JWT_EXTERNAL_ISSUER", "https://sso.example" },
		{ "CH_JWT_EXTERNAL_KEY_FILE", "/etc/ch/sso.pem" },
		{ "CH_JWT_EXTERNAL_AUDIENCE", "" },
		{ NULL, NULL },
	};
	static const struct env_var	own[] = {
		{ "CH_JWT_SECRET", GOOD_SECRET },
		{ "CH_JWT_EXTERNAL_ISSUER", "https://sso.example" },
		{ "CH_JWT_EXTERNAL_KEY_FILE", "/etc/ch/sso.pem" },
		{ "CH_JWT_EXTERNAL_AUDIENCE", "account" },
		{ NULL, NULL },
	};
	static const struct env_var	unused[] = {
		{ "CH_JWT_SECRET", GOOD_SECRET },
		{ "CH_JWT_EXTERNAL_KEY_FILE", "/etc/ch/sso.pem" },
		{ "CH_JWT_EXTERNAL_ALG", "HS256" },
		{ NULL, NULL },
	};
	struct config	cfg;
	char		err[CONFIG_ERR_MAX];

	(void)state;
	assert_int_equal(load_with(minimal, &cfg, err, sizeof(err)), 0);
	assert_string_equal(cfg.jwt_issuer, "connecting-humans");
	assert_string_equal(cfg.jwt_audience, "ch-api");
	assert_string_equal(cfg.ext_issuer, "https://sso.example");
	assert_string_equal(cfg.ext_key_file, "/etc/ch/sso.pem");
	assert_int_equal(cfg.ext_alg, CONFIG_JWT_RS256);
	assert_string_equal(cfg.ext_audience, "ch-api");
	assert_string_equal(cfg.ext_role_claim, "role");
	assert_string_equal(cfg.ext_district_claim, "district");
	assert_string_equal(cfg.ext_roles, DEFAULT_ROLES);

	/* The external audience follows ours unless set. */
	assert_int_equal(load_with(audience, &cfg, err, sizeof(err)), 0);
	assert_string_equal(cfg.jwt_audience, "https://api.ch.example");
	assert_string_equal(cfg.ext_audience, "https://api.ch.example");
	assert_int_equal(load_with(own, &cfg, err, sizeof(err)), 0);
	assert_string_equal(cfg.jwt_audience, "ch-api");
	assert_string_equal(cfg.ext_audience, "account");

	/* Without an external issuer nothing else external is read. */
	assert_int_equal(load_with(unused, &cfg, err, sizeof(err)), 0);
	assert_null(cfg.ext_issuer);
	assert_null(cfg.ext_key_file);
}

static void
test_trusted_proxies(void **state)
{
	static const struct env_case	cases[] = {
		{ "one address", { { "CH_TRUSTED_PROXIES", "10.0.0.5" },
		    { "CH_JWT_SECRET", GOOD_SECRET } }, NULL },
		{ "networks", { { "CH_TRUSTED_PROXIES",
		    "10.0.0.0/8,172.16.0.0/12, 2001:db8::/32" },
		    { "CH_JWT_SECRET", GOOD_SECRET } }, NULL },
		{ "spaces and tabs", { { "CH_TRUSTED_PROXIES",
		    " 10.0.0.1 ,\t::1\t" },
		    { "CH_JWT_SECRET", GOOD_SECRET } }, NULL },
		{ "full prefixes", { { "CH_TRUSTED_PROXIES",
		    "10.0.0.1/32,::1/128" },
		    { "CH_JWT_SECRET", GOOD_SECRET } }, NULL },
		{ "IPv4-mapped", { { "CH_TRUSTED_PROXIES", "::ffff:10.0.0.1" },
		    { "CH_JWT_SECRET", GOOD_SECRET } }, NULL },
		{ "empty is unset", { { "CH_TRUSTED_PROXIES", "" },
		    { "CH_JWT_SECRET", GOOD_SECRET } }, NULL },
		{ "a name", { { "CH_TRUSTED_PROXIES", "localhost" },
		    { "CH_JWT_SECRET", GOOD_SECRET } }, "CH_TRUSTED_PROXIES" },
		{ "short IPv4", { { "CH_TRUSTED_PROXIES", "10.0.0" },
		    { "CH_JWT_SECRET", GOOD_SECRET } }, "CH_TRUSTED_PROXIES" },
		{ "five octets", { { "CH_TRUSTED_PROXIES", "1.2.3.4.5" },
		    { "CH_JWT_SECRET", GOOD_SECRET } }, "CH_TRUSTED_PROXIES" },
		{ "empty entry", { { "CH_TRUSTED_PROXIES",
		    "10.0.0.1,,10.0.0.2" },
		    { "CH_JWT_SECRET", GOOD_SECRET } }, "empty entry" },
		{ "trailing comma", { { "CH_TRUSTED_PROXIES", "10.0.0.1," },
		    { "CH_JWT_SECRET", GOOD_SECRET } }, "empty entry" },
		{ "only spaces", { { "CH_TRUSTED_PROXIES", "  " },
		    { "CH_JWT_SECRET", GOOD_SECRET } }, "empty entry" },
		{ "everyone (IPv4)", { { "CH_TRUSTED_PROXIES", "0.0.0.0/0" },
		    { "CH_JWT_SECRET", GOOD_SECRET } }, "every client" },
		{ "everyone (IPv6)", { { "CH_TRUSTED_PROXIES", "::/0" },
		    { "CH_JWT_SECRET", GOOD_SECRET } }, "every client" },
		{ "host bits", { { "CH_TRUSTED_PROXIES", "10.0.0.1/8" },
		    { "CH_JWT_SECRET", GOOD_SECRET } }, "beyond its prefix" },
		{ "host bits (IPv6)", { { "CH_TRUSTED_PROXIES",
		    "2001:db8::1/64" },
		    { "CH_JWT_SECRET", GOOD_SECRET } }, "beyond its prefix" },
		{ "IPv4 /33", { { "CH_TRUSTED_PROXIES", "10.0.0.0/33" },
		    { "CH_JWT_SECRET", GOOD_SECRET } }, "from 1 to 32" },
		{ "IPv6 /129", { { "CH_TRUSTED_PROXIES", "2001:db8::/129" },
		    { "CH_JWT_SECRET", GOOD_SECRET } }, "from 1 to 128" },
		{ "no prefix", { { "CH_TRUSTED_PROXIES", "10.0.0.0/" },
		    { "CH_JWT_SECRET", GOOD_SECRET } }, "CH_TRUSTED_PROXIES" },
		{ "word prefix", { { "CH_TRUSTED_PROXIES", "10.0.0.0/eight" },
		    { "CH_JWT_SECRET", GOOD_SECRET } }, "CH_TRUSTED_PROXIES" },
		{ "negative prefix", { { "CH_TRUSTED_PROXIES", "10.0.0.0/-8" },
		    { "CH_JWT_SECRET", GOOD_SECRET } }, "CH_TRUSTED_PROXIES" },
		{ "netmask", { { "CH_TRUSTED_PROXIES",
		    "10.0.0.0/255.0.0.0" },
		    { "CH_JWT_SECRET", GOOD_SECRET } }, "CH_TRUSTED_PROXIES" },
		{ "two slashes", { { "CH_TRUSTED_PROXIES", "10.0.0.0/8/8" },
		    { "CH_JWT_SECRET", GOOD_SECRET } }, "CH_TRUSTED_PROXIES" },
		{ "port", { { "CH_TRUSTED_PROXIES", "10.0.0.1:8080" },
		    { "CH_JWT_SECRET", GOOD_SECRET } }, "CH_TRUSTED_PROXIES" },
	};
	static const struct env_var	two[] = {
		{ "CH_TRUSTED_PROXIES", "10.1.0.0/16, 2001:db8::/32" },
		{ "CH_JWT_SECRET", GOOD_SECRET },
		{ NULL, NULL },
	};
	struct env_var	many[] = {
		{ "CH_TRUSTED_PROXIES", NULL },
		{ "CH_JWT_SECRET", GOOD_SECRET },
		{ NULL, NULL },
	};
	struct config	cfg;
	char		err[CONFIG_ERR_MAX], list[CONFIG_PROXIES_MAX * 12];
	size_t		i, off;

	(void)state;
	run_env_cases(cases, sizeof(cases) / sizeof(cases[0]));

	assert_int_equal(load_with(two, &cfg, err, sizeof(err)), 0);
	assert_int_equal(cfg.nproxies, 2);
	assert_int_equal(cfg.proxies[0].prefix, 16);
	assert_int_equal(cfg.proxies[1].prefix, 32);

	/* Defaults: nobody is trusted. */
	many[0].value = "";
	assert_int_equal(load_with(many, &cfg, err, sizeof(err)), 0);
	assert_int_equal(cfg.nproxies, 0);

	/* As many as fit, and one more. */
	for (i = 0, off = 0; i < CONFIG_PROXIES_MAX; i++)
		off += snprintf(list + off, sizeof(list) - off, "%s10.0.0.%zu",
		    i > 0 ? "," : "", i + 1);
	many[0].value = list;
	assert_int_equal(load_with(many, &cfg, err, sizeof(err)), 0);
	assert_int_equal(cfg.nproxies, CONFIG_PROXIES_MAX);
	snprintf(list + off, sizeof(list) - off, ",10.0.1.1");
	assert_int_equal(load_with(many, &cfg, err, sizeof(err)), -1);
	check_err(err, sizeof(err), "CH_TRUSTED_PROXIES");
}

/* The address a request is counted under, behind trusted proxies. */
static void
test_client_address(void **state)
{
	static const struct env_var	env[] = {
		{ "CH_TRUSTED_PROXIES",
		    "10.0.0.0/8, 172.16.0.0/12, 192.0.2.1, 2001:db8:1::/48" },
		{ "CH_JWT_SECRET", GOOD_SECRET },
		{ NULL, NULL },
	};
	static const struct {
		const char	*what;
		const char	*peer;
		const char	*forwarded;
		const char	*want;
	} cases[] = {
		{ "untrusted peer", "198.51.100.7", "203.0.113.9",
		    "198.51.100.7" },
		{ "proxy, no header", "10.1.2.3", NULL, "10.1.2.3" },
		{ "proxy, empty header", "10.1.2.3", "", "10.1.2.3" },
		{ "proxy", "10.1.2.3", "203.0.113.9", "203.0.113.9" },
		{ "spoofed entries ignored", "10.1.2.3",
		    "198.51.100.1, 192.0.2.200, 203.0.113.9", "203.0.113.9" },
		{ "proxy chain", "10.1.2.3", "198.51.100.1, 203.0.113.9, "
		    "10.9.9.9, 172.20.0.1", "203.0.113.9" },
		{ "only proxies", "10.1.2.3", "10.0.0.7, 10.0.0.8",
		    "10.0.0.7" },
		{ "single trusted address", "192.0.2.1", "203.0.113.9",
		    "203.0.113.9" },
		{ "its neighbour is not", "192.0.2.2", "203.0.113.9",
		    "192.0.2.2" },
		{ "a /12 inside", "172.31.255.255", "203.0.113.9",
		    "203.0.113.9" },
		{ "a /12 outside", "172.32.0.1", "203.0.113.9",
		    "172.32.0.1" },
		{ "garbage from the proxy", "10.1.2.3", "203.0.113.9, junk",
		    "10.1.2.3" },
		{ "garbage from the client", "10.1.2.3", "junk, 203.0.113.9",
		    "203.0.113.9" },
		{ "trailing comma", "10.1.2.3", "203.0.113.9,", "10.1.2.3" },
		{ "blanks", "10.1.2.3", " 203.0.113.9 ,\t10.0.0.1 ",
		    "203.0.113.9" },
		{ "IPv4 with port", "10.1.2.3", "203.0.113.9:5100",
		    "203.0.113.9" },
		{ "IPv6", "10.1.2.3", "2001:DB8:2::7", "2001:db8:2::7" },
		{ "IPv6 in brackets", "10.1.2.3", "[2001:db8:2::7]",
		    "2001:db8:2::7" },
		{ "IPv6 with port", "10.1.2.3", "[2001:db8:2::7]:443",
		    "2001:db8:2::7" },
		{ "IPv6 bracket unclosed", "10.1.2.3", "[2001:db8:2::7",
		    "10.1.2.3" },
		{ "IPv6 proxy", "2001:db8:1:ffff::5", "203.0.113.9",
		    "203.0.113.9" },
		{ "IPv6 outside", "2001:db8:2::5", "203.0.113.9",
		    "2001:db8:2::5" },
		{ "IPv4-mapped peer", "::ffff:10.1.2.3", "203.0.113.9",
		    "203.0.113.9" },
		{ "IPv4-mapped client", "10.1.2.3", "::ffff:203.0.113.9",
		    "203.0.113.9" },
		{ "IPv4-mapped untrusted", "::ffff:198.51.100.7",
		    "203.0.113.9", "198.51.100.7" },
		{ "port on IPv6 bare", "10.1.2.3", "2001:db8:2::7:443",
		    "2001:db8:2::7:443" },
	};
	struct config	cfg;
	char		err[CONFIG_ERR_MAX], out[CONFIG_ADDR_MAX], tiny[8];
	size_t		i;

	(void)state;
	assert_int_equal(load_with(env, &cfg, err, sizeof(err)), 0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(out, 0x7f, sizeof(out));
		if (config_client_address(&cfg, cases[i].peer,
		    cases[i].forwarded, out, sizeof(out)) != 0)
			fail_msg("%s: refused", cases[i].what);
		if (strcmp(out, cases[i].want) != 0)
			fail_msg("%s: got \"%s\", want \"%s\"", cases[i].what,
			    out, cases[i].want);
	}

	/* A peer that is no address, and an answer that does not fit. */
	assert_int_equal(config_client_address(&cfg, "peer", NULL, out,
	    sizeof(out)), -1);
	assert_int_equal(config_client_address(&cfg, "", NULL, out,
	    sizeof(out)), -1);
	assert_int_equal(config_client_address(&cfg, "10.1.2.3",
	    "203.0.113.9", tiny, sizeof(tiny)), -1);

	/* Without CH_TRUSTED_PROXIES the header is never read. */
	assert_int_equal(load_with(env + 1, &cfg, err, sizeof(err)), 0);
	assert_int_equal(config_client_address(&cfg, "10.1.2.3",
	    "203.0.113.9", out, sizeof(out)), 0);
	assert_string_equal(out, "10.1.2.3");
}

/* CH_METRICS_TOKEN: a secret like the JWT one, and another one. */
static void
test_metrics_token(void **state)
{
	static const struct env_case	cases[] = {
		{ "good", { { "CH_METRICS_TOKEN", GOOD_TOKEN },
		    { "CH_JWT_SECRET", GOOD_SECRET } }, NULL },
		{ "empty is unset", { { "CH_METRICS_TOKEN", "" },
		    { "CH_JWT_SECRET", GOOD_SECRET } }, NULL },
		{ "hex", { { "CH_METRICS_TOKEN", "3f9a0c17e4b25d68a1f0c93e7b4d"
		    "2a5f8c06e1d37b49a2f5c8e0d1b7a3946c25" },
		    { "CH_JWT_SECRET", GOOD_SECRET } }, NULL },
		{ "short", { { "CH_METRICS_TOKEN", "W2Yq0nB8cUe5Jx9kP3rVt7" },
		    { "CH_JWT_SECRET", GOOD_SECRET } },
		    "CH_METRICS_TOKEN is shorter than 32 bytes" },
		{ "placeholder", { { "CH_METRICS_TOKEN",
		    "changeme-W2Yq0nB8cUe5Jx9kP3rVt7LhZ4sMd6Ga" },
		    { "CH_JWT_SECRET", GOOD_SECRET } },
		    "CH_METRICS_TOKEN looks like a placeholder" },
		{ "repeated", { { "CH_METRICS_TOKEN",
		    "abababababababababababababababababab" },
		    { "CH_JWT_SECRET", GOOD_SECRET } },
		    "CH_METRICS_TOKEN repeats too few" },
		{ "a space", { { "CH_METRICS_TOKEN",
		    "W2Yq0nB8cUe5Jx9k P3rVt7LhZ4sMd6GaQf1XoN" },
		    { "CH_JWT_SECRET", GOOD_SECRET } },
		    "CH_METRICS_TOKEN may hold only" },
		{ "a quote", { { "CH_METRICS_TOKEN",
		    "W2Yq0nB8cUe5Jx9k\"P3rVt7LhZ4sMd6GaQf1XoN" },
		    { "CH_JWT_SECRET", GOOD_SECRET } },
		    "CH_METRICS_TOKEN may hold only" },
		{ "the JWT secret", { { "CH_METRICS_TOKEN", GOOD_SECRET },
		    { "CH_JWT_SECRET", GOOD_SECRET } },
		    "CH_METRICS_TOKEN must differ from CH_JWT_SECRET" },
	};
	static const struct env_var	env[] = {
		{ "CH_METRICS_TOKEN", GOOD_TOKEN },
		{ "CH_JWT_SECRET", GOOD_SECRET },
		{ NULL, NULL },
	};
	struct config	cfg;
	char		err[CONFIG_ERR_MAX];

	(void)state;
	run_env_cases(cases, sizeof(cases) / sizeof(cases[0]));
	assert_int_equal(load_with(env, &cfg, err, sizeof(err)), 0);
	assert_string_equal(cfg.metrics_token, GOOD_TOKEN);
	assert_int_equal(load_with(env + 1, &cfg, err, sizeof(err)), 0);
	assert_null(cfg.metrics_token);
}

/*
 * Who may read GET /metrics: the holder of the metrics token from
 * anywhere, and a direct peer on the loopback or a private network that
 * is not a trusted proxy. Everything else is refused.
 */
static void
test_metrics_access(void **state)
{
	static const struct env_var	env[] = {
		{ "CH_TRUSTED_PROXIES",
		    "10.0.0.5, 192.168.7.0/24, fd00:1::/64, 203.0.113.1" },
		{ "CH_METRICS_TOKEN", GOOD_TOKEN },
		{ "CH_JWT_SECRET", GOOD_SECRET },
		{ NULL, NULL },
	};
	static const struct {
		const char	*what;
		const char	*peer;
		const char	*authorization;
		int		 allowed;
	} cases[] = {
		{ "loopback", "127.0.0.1", NULL, 1 },
		{ "loopback /8", "127.255.0.9", NULL, 1 },
		{ "10/8", "10.1.2.3", NULL, 1 },
		{ "10/8 top", "10.255.255.255", NULL, 1 },
		{ "172.16/12 bottom", "172.16.0.0", NULL, 1 },
		{ "172.16/12 top", "172.31.255.255", NULL, 1 },
		{ "below 172.16/12", "172.15.255.255", NULL, 0 },
		{ "above 172.16/12", "172.32.0.0", NULL, 0 },
		{ "192.168/16", "192.168.1.1", NULL, 1 },
		{ "beside 192.168/16", "192.169.0.1", NULL, 0 },
		{ "11/8", "11.0.0.1", NULL, 0 },
		{ "public", "198.51.100.7", NULL, 0 },
		{ "link-local", "169.254.1.1", NULL, 0 },
		{ "::1", "::1", NULL, 1 },
		{ "::2", "::2", NULL, 0 },
		{ "unspecified", "::", NULL, 0 },
		{ "fc00::/7 bottom", "fc00::1", NULL, 1 },
		{ "fc00::/7 top", "fdff:ffff:ffff::1", NULL, 1 },
		{ "fe00::", "fe00::1", NULL, 0 },
		{ "fb00::", "fbff::1", NULL, 0 },
		{ "IPv6 link-local", "fe80::1", NULL, 0 },
		{ "IPv6 public", "2001:db8::1", NULL, 0 },
		{ "IPv4-mapped private", "::ffff:10.1.2.3", NULL, 1 },
		{ "IPv4-mapped public", "::ffff:198.51.100.7", NULL, 0 },
		/* Through a trusted proxy: only the token. */
		{ "a trusted proxy", "10.0.0.5", NULL, 0 },
		{ "a trusted network", "192.168.7.9", NULL, 0 },
		{ "its neighbour", "192.168.8.9", NULL, 1 },
		{ "a trusted IPv6 network", "fd00:1::7", NULL, 0 },
		{ "beside it", "fd00:2::7", NULL, 1 },
		{ "IPv4-mapped proxy", "::ffff:10.0.0.5", NULL, 0 },
		{ "proxy, token", "10.0.0.5", "Bearer " GOOD_TOKEN, 1 },
		{ "proxy, scheme case", "10.0.0.5", "bEaReR " GOOD_TOKEN, 1 },
		{ "proxy, blanks", "10.0.0.5", "Bearer   " GOOD_TOKEN, 1 },
		{ "proxy, wrong token", "10.0.0.5",
		    "Bearer W2Yq0nB8cUe5Jx9kP3rVt7LhZ4sMd6GaQf1XoN+yRw/Ei3Tb8"
		    "Hj5Kp2Cv9Ul0Sz8", 0 },
		{ "proxy, token cut", "10.0.0.5",
		    "Bearer W2Yq0nB8cUe5Jx9kP3rVt7LhZ4sMd6Ga", 0 },
		{ "proxy, token and more", "10.0.0.5",
		    "Bearer " GOOD_TOKEN "x", 0 },
		{ "proxy, token and a blank", "10.0.0.5",
		    "Bearer " GOOD_TOKEN " ", 0 },
		{ "proxy, empty token", "10.0.0.5", "Bearer ", 0 },
		{ "proxy, no scheme", "10.0.0.5", GOOD_TOKEN, 0 },
		{ "proxy, Basic", "10.0.0.5", "Basic " GOOD_TOKEN, 0 },
		{ "proxy, the JWT secret", "10.0.0.5", "Bearer " GOOD_SECRET,
		    0 },
		{ "public, token", "198.51.100.7", "Bearer " GOOD_TOKEN, 1 },
		{ "public proxy, token", "203.0.113.1", "Bearer " GOOD_TOKEN,
		    1 },
		{ "public proxy", "203.0.113.1", NULL, 0 },
		{ "no peer, token", NULL, "Bearer " GOOD_TOKEN, 1 },
		{ "no peer", NULL, NULL, 0 },
		{ "a name", "localhost", NULL, 0 },
		{ "empty", "", NULL, 0 },
		{ "with a port", "127.0.0.1:80", NULL, 0 },
	};
	struct config	cfg;
	char		err[CONFIG_ERR_MAX];
	size_t		i;

	(void)state;
	assert_int_equal(load_with(env, &cfg, err, sizeof(err)), 0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (config_metrics_access(&cfg, cases[i].peer,
		    cases[i].authorization) != cases[i].allowed)
			fail_msg("%s: %s", cases[i].what, cases[i].allowed ?
			    "refused" : "allowed");
	}

	/* Without a token nothing is one; without proxies no peer is one. */
	assert_int_equal(load_with(env + 2, &cfg, err, sizeof(err)), 0);
	assert_null(cfg.metrics_token);
	assert_int_equal(config_metrics_access(&cfg, "10.0.0.5", NULL), 1);
	assert_int_equal(config_metrics_access(&cfg, "198.51.100.7",
	    "Bearer " GOOD_TOKEN), 0);
	assert_int_equal(config_metrics_access(&cfg, "198.51.100.7",
	    "Bearer "), 0);
	assert_int_equal(config_metrics_access(&cfg, NULL, "Bearer "), 0);
}

/* The value libpq parses for keyword from conninfo, or NULL. */
static const char *
conn_option(const char *conninfo, const char *keyword)
{
	static char		 value[256];
	PQconninfoOption	*opts, *o;
	const char		*found;

	if ((opts = PQconninfoParse(conninfo, NULL)) == NULL)
		fail_msg("libpq cannot parse a joined connection string");
	found = NULL;
	for (o = opts; o->keyword != NULL; o++) {
		if (strcmp(o->keyword, keyword) == 0 && o->val != NULL) {
			(void)snprintf(value, sizeof(value), "%s", o->val);
			found = value;
		}
	}
	PQconninfoFree(opts);
	return (found);
}

/*
 * CH_DATABASE_PASSWORD goes into both connection strings; one that
 * carries a password of its own is refused (common/conninfo.c and its
 * tests have the details).
 */
static void
test_database_password(void **state)
{
	static const struct env_var	shared[] = {
		{ "CH_DATABASE_PASSWORD", "pw from a file" },
		{ "CH_JWT_SECRET", GOOD_SECRET },
		{ NULL, NULL },
	};
	static const struct env_var	own[] = {
		{ "CH_DATABASE_LISTEN_URL", "host=10.0.0.7 dbname=ch" },
		{ "CH_DATABASE_PASSWORD", "it's \\ mine" },
		{ "CH_JWT_SECRET", GOOD_SECRET },
		{ NULL, NULL },
	};
	static const struct env_var	empty[] = {
		{ "CH_DATABASE_PASSWORD", "" },
		{ "CH_JWT_SECRET", GOOD_SECRET },
		{ NULL, NULL },
	};
	static const struct env_case	refused[] = {
		{ "a password in the listen URL", {
		    { "CH_DATABASE_LISTEN_URL", "postgresql://u:Other@pg1/ch" },
		    { "CH_DATABASE_PASSWORD", "pw" } },
		    "CH_DATABASE_LISTEN_URL carries a password and "
		    "CH_DATABASE_PASSWORD is set" },
		{ "a listen URL libpq cannot parse", {
		    { "CH_DATABASE_LISTEN_URL", "postgresql://pg1/ch?x=1" },
		    { "CH_DATABASE_PASSWORD", "pw" } },
		    "CH_DATABASE_LISTEN_URL is not a libpq connection" },
	};
	static const struct env_var	in_url[] = {
		{ "CH_DATABASE_URL", "postgresql://ch_app:Other@db/ch" },
		{ "CH_DATABASE_PASSWORD", "pw" },
		{ "CH_JWT_SECRET", GOOD_SECRET },
		{ NULL, NULL },
	};
	struct config	cfg;
	char		err[CONFIG_ERR_MAX];

	(void)state;
	/* The listen connection shares the URL, and so the password. */
	assert_int_equal(load_with(shared, &cfg, err, sizeof(err)), 0);
	assert_string_equal(conn_option(cfg.database_url, "password"),
	    "pw from a file");
	assert_string_equal(conn_option(cfg.database_url, "user"), "ch");
	assert_string_equal(conn_option(cfg.database_url, "host"),
	    "localhost");
	assert_string_equal(conn_option(cfg.database_url, "dbname"), "ch");
	assert_ptr_equal(cfg.listen_url, cfg.database_url);

	/* A listen URL of its own gets it too. */
	assert_int_equal(load_with(own, &cfg, err, sizeof(err)), 0);
	assert_string_equal(conn_option(cfg.database_url, "password"),
	    "it's \\ mine");
	assert_string_equal(conn_option(cfg.listen_url, "password"),
	    "it's \\ mine");
	assert_string_equal(conn_option(cfg.listen_url, "host"), "10.0.0.7");
	assert_string_equal(conn_option(cfg.database_url, "host"),
	    "localhost");

	/* Empty is unset: the URL as given. */
	assert_int_equal(load_with(empty, &cfg, err, sizeof(err)), 0);
	assert_string_equal(cfg.database_url, GOOD_URL);
	assert_ptr_equal(cfg.listen_url, cfg.database_url);

	run_env_cases(refused, sizeof(refused) / sizeof(refused[0]));
	assert_int_equal(load(in_url, &cfg, err, sizeof(err)), -1);
	check_err(err, sizeof(err), "CH_DATABASE_URL carries a password");
	assert_null(strstr(err, "Other"));
}

/* Writes a file of the directory dir; its path in path. */
static void
write_file(const char *dir, const char *name, const char *text, char *path,
    size_t len)
{
	FILE	*f;

	(void)snprintf(path, len, "%s/%s", dir, name);
	if ((f = fopen(path, "w")) == NULL || fputs(text, f) == EOF ||
	    fclose(f) != 0)
		fail_msg("cannot write %s", path);
}

/*
 * config_load_env(): the real environment, where X_FILE stands for X, and
 * a refused file is what is reported, not what config_load() made of the
 * value it did not get.
 */
static void
test_load_env_files(void **state)
{
	struct config	cfg;
	char		dir[] = "/tmp/ch-test-config.XXXXXX";
	char		secret[128], pw[128], missing[128];
	char		err[CONFIG_ERR_MAX];

	(void)state;
	assert_non_null(mkdtemp(dir));
	write_file(dir, "secret", GOOD_SECRET "\n", secret, sizeof(secret));
	write_file(dir, "pw", "db pw\r\n", pw, sizeof(pw));
	(void)snprintf(missing, sizeof(missing), "%s/missing", dir);

	assert_int_equal(clearenv(), 0);
	assert_int_equal(setenv("CH_DATABASE_URL", GOOD_URL, 1), 0);
	assert_int_equal(setenv("CH_JWT_SECRET_FILE", secret, 1), 0);
	assert_int_equal(setenv("CH_DATABASE_PASSWORD_FILE", pw, 1), 0);
	if (config_load_env(&cfg, err, sizeof(err)) != 0)
		fail_msg("refused: %s", err);
	assert_string_equal(cfg.jwt_secret, GOOD_SECRET);
	assert_string_equal(conn_option(cfg.database_url, "password"),
	    "db pw");
	assert_null(getenv("CH_JWT_SECRET"));
	assert_null(getenv("CH_DATABASE_PASSWORD"));

	/* Both set: that is the error, not a missing CH_JWT_SECRET. */
	assert_int_equal(setenv("CH_JWT_SECRET", GOOD_SECRET, 1), 0);
	assert_int_equal(config_load_env(&cfg, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "CH_JWT_SECRET and CH_JWT_SECRET_FILE "
	    "are both set"));
	assert_null(strstr(err, "6NOQV8"));
	assert_int_equal(unsetenv("CH_JWT_SECRET"), 0);

	/* An optional variable whose file is missing is no default. */
	assert_int_equal(setenv("CH_LOG_LEVEL_FILE", missing, 1), 0);
	assert_int_equal(config_load_env(&cfg, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "CH_LOG_LEVEL_FILE: cannot open"));
	assert_int_equal(unsetenv("CH_LOG_LEVEL_FILE"), 0);
	assert_int_equal(config_load_env(&cfg, err, sizeof(err)), 0);

	assert_int_equal(unlink(secret), 0);
	assert_int_equal(unlink(pw), 0);
	assert_int_equal(rmdir(dir), 0);
}

/* Keyboard walks are refused (a former bug: only ASCII runs were). */
static void
test_bug_keyboard_walk(void **state)
{
	static const char *const	walks[] = {
		"qwertyuiopasdfghjklzxcvbnm1234567890",
		"1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p",
		"qwertzuiopasdfghjklyxcvbnmQWERTZUIOP",
	};
	size_t	i;

	(void)state;
	for (i = 0; i < sizeof(walks) / sizeof(walks[0]); i++) {
		if (config_secret_weakness(walks[i]) == NULL)
			fail_msg("keyboard walk \"%s\" accepted", walks[i]);
	}
}

int
main(void)
{
	const struct CMUnitTest	tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_defaults_when_empty),
		cmocka_unit_test(test_all_set),
		cmocka_unit_test(test_database_url_missing),
		cmocka_unit_test(test_database_url_forms),
		cmocka_unit_test(test_database_listen_url_forms),
		cmocka_unit_test(test_env),
		cmocka_unit_test(test_log_level),
		cmocka_unit_test(test_access_log),
		cmocka_unit_test(test_port),
		cmocka_unit_test(test_workers),
		cmocka_unit_test(test_later_error),
		cmocka_unit_test(test_err_buffer_short),
		cmocka_unit_test(test_jwt_secret_missing),
		cmocka_unit_test(test_jwt_secret_weak),
		cmocka_unit_test(test_jwt_secret_good),
		cmocka_unit_test(test_jwt_alg),
		cmocka_unit_test(test_jwt_kid),
		cmocka_unit_test(test_jwt_external),
		cmocka_unit_test(test_jwt_external_defaults),
		cmocka_unit_test(test_trusted_proxies),
		cmocka_unit_test(test_client_address),
		cmocka_unit_test(test_metrics_token),
		cmocka_unit_test(test_metrics_access),
		cmocka_unit_test(test_bug_keyboard_walk),
		cmocka_unit_test(test_database_password),
		cmocka_unit_test(test_load_env_files),
	};

	return (cmocka_run_group_tests_name("config", tests, NULL, NULL));
}
