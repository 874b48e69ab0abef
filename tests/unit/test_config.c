/* Unit tests for config.c: CH_* variables read through a fake getenv. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "ch.h"

#define GOOD_URL	"postgresql://ch@localhost/ch"

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

static const struct env_var	*fake_env;

static const char	*fake_get(const char *);
static int		 load(const struct env_var *, struct config *, char *,
			    size_t);
static long long	 field_value(const struct config *, enum field);
static void		 check_err(const char *, size_t, const char *);
static void		 run_var_cases(const struct var_case *, size_t);

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
	struct env_var	env[3];
	struct config	cfg;
	char		err[CONFIG_ERR_MAX];
	size_t		i;
	int		rc;

	for (i = 0; i < n; i++) {
		env[0].name = "CH_DATABASE_URL";
		env[0].value = GOOD_URL;
		env[1].name = cases[i].name;
		env[1].value = cases[i].value;
		env[2].name = NULL;
		env[2].value = NULL;
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

static void
test_defaults(void **state)
{
	static const struct env_var	env[] = {
		{ "CH_DATABASE_URL", GOOD_URL },
		{ NULL, NULL },
	};
	struct config	cfg;
	char		err[CONFIG_ERR_MAX];

	(void)state;
	assert_int_equal(load(env, &cfg, err, sizeof(err)), 0);
	assert_ptr_equal(cfg.database_url, env[0].value);
	assert_int_equal(cfg.port, 8080);
	assert_int_equal(cfg.workers, 2);
	assert_int_equal(cfg.env, CONFIG_ENV_DEVELOPMENT);
	assert_int_equal(cfg.log_level, CONFIG_LOG_INFO);
	assert_int_equal(cfg.access_log, 1);
}

/* A variable set to "" is treated as unset. */
static void
test_defaults_when_empty(void **state)
{
	static const struct env_var	env[] = {
		{ "CH_DATABASE_URL", "host=db dbname=ch" },
		{ "CH_ENV", "" },
		{ "CH_LOG_LEVEL", "" },
		{ "CH_ACCESS_LOG", "" },
		{ "CH_PORT", "" },
		{ "CH_WORKERS", "" },
		{ NULL, NULL },
	};
	struct config	cfg;
	char		err[CONFIG_ERR_MAX];

	(void)state;
	assert_int_equal(load(env, &cfg, err, sizeof(err)), 0);
	assert_string_equal(cfg.database_url, "host=db dbname=ch");
	assert_int_equal(cfg.port, 8080);
	assert_int_equal(cfg.workers, 2);
	assert_int_equal(cfg.env, CONFIG_ENV_DEVELOPMENT);
	assert_int_equal(cfg.log_level, CONFIG_LOG_INFO);
	assert_int_equal(cfg.access_log, 1);
}

static void
test_all_set(void **state)
{
	static const struct env_var	env[] = {
		{ "CH_DATABASE_URL", "postgres://u:p@db:5432/ch" },
		{ "CH_ENV", "production" },
		{ "CH_LOG_LEVEL", "error" },
		{ "CH_ACCESS_LOG", "off" },
		{ "CH_PORT", "443" },
		{ "CH_WORKERS", "16" },
		{ NULL, NULL },
	};
	struct config	cfg;
	char		err[CONFIG_ERR_MAX];

	(void)state;
	assert_int_equal(load(env, &cfg, err, sizeof(err)), 0);
	assert_string_equal(cfg.database_url, "postgres://u:p@db:5432/ch");
	assert_int_equal(cfg.env, CONFIG_ENV_PRODUCTION);
	assert_int_equal(cfg.log_level, CONFIG_LOG_ERROR);
	assert_int_equal(cfg.access_log, 0);
	assert_int_equal(cfg.port, 443);
	assert_int_equal(cfg.workers, 16);
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
	struct env_var	env[2];
	struct config	cfg;
	char		err[CONFIG_ERR_MAX];
	size_t		i;

	(void)state;
	env[0].name = "CH_DATABASE_URL";
	env[1].name = NULL;
	env[1].value = NULL;
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
	static const struct env_var *const	envs[] = {
		nonsense, missing, bad_port,
	};
	static const char *const		want[] = {
		"CH_DATABASE_URL", "CH_DATABASE_URL", "CH_PORT must be",
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

int
main(void)
{
	const struct CMUnitTest	tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_defaults_when_empty),
		cmocka_unit_test(test_all_set),
		cmocka_unit_test(test_database_url_missing),
		cmocka_unit_test(test_database_url_forms),
		cmocka_unit_test(test_env),
		cmocka_unit_test(test_log_level),
		cmocka_unit_test(test_access_log),
		cmocka_unit_test(test_port),
		cmocka_unit_test(test_workers),
		cmocka_unit_test(test_later_error),
		cmocka_unit_test(test_err_buffer_short),
	};

	return (cmocka_run_group_tests_name("config", tests, NULL, NULL));
}
