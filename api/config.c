/* Configuration from CH_* environment variables, checked before serving. */

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "ch.h"

static int	config_enum(const char *, const char *const *, int *);

static const char *const env_names[] = {
	"development", "test", "production", NULL
};

static const char *const log_level_names[] = {
	"debug", "info", "warn", "error", NULL
};

static int
config_enum(const char *value, const char *const *names, int *out)
{
	int	i;

	for (i = 0; names[i] != NULL; i++) {
		if (strcmp(value, names[i]) == 0) {
			*out = i;
			return (0);
		}
	}

	return (-1);
}

/*
 * Fills cfg from the environment through get (getenv in production, a
 * table in tests). Returns 0, or -1 with a one-line reason in err that
 * names the variable and what is allowed.
 */
int
config_load(struct config *cfg, const char *(*get)(const char *),
    char *err, size_t errlen)
{
	const char	*v;
	int		 e;

	memset(cfg, 0, sizeof(*cfg));
	cfg->env = CONFIG_ENV_DEVELOPMENT;
	cfg->log_level = CONFIG_LOG_INFO;
	cfg->access_log = 1;
	cfg->port = 8080;
	cfg->workers = 2;

	if ((v = get("CH_DATABASE_URL")) == NULL || *v == '\0') {
		snprintf(err, errlen, "CH_DATABASE_URL is not set "
		    "(a libpq connection string or postgresql:// URL)");
		return (-1);
	}
	if (strncmp(v, "postgresql://", 13) != 0 &&
	    strncmp(v, "postgres://", 11) != 0 && strchr(v, '=') == NULL) {
		snprintf(err, errlen, "CH_DATABASE_URL is neither a "
		    "postgresql:// URL nor a key=value connection string");
		return (-1);
	}
	cfg->database_url = v;

	if ((v = get("CH_ENV")) != NULL && *v != '\0') {
		if (config_enum(v, env_names, &e) == -1) {
			snprintf(err, errlen, "CH_ENV must be development, "
			    "test or production");
			return (-1);
		}
		cfg->env = e;
	}

	if ((v = get("CH_LOG_LEVEL")) != NULL && *v != '\0') {
		if (config_enum(v, log_level_names, &e) == -1) {
			snprintf(err, errlen, "CH_LOG_LEVEL must be debug, "
			    "info, warn or error");
			return (-1);
		}
		cfg->log_level = e;
	}

	if ((v = get("CH_ACCESS_LOG")) != NULL && *v != '\0') {
		if (strcmp(v, "1") == 0 || strcmp(v, "on") == 0)
			cfg->access_log = 1;
		else if (strcmp(v, "0") == 0 || strcmp(v, "off") == 0)
			cfg->access_log = 0;
		else {
			snprintf(err, errlen, "CH_ACCESS_LOG must be on or off");
			return (-1);
		}
	}

	if ((v = get("CH_PORT")) != NULL && *v != '\0') {
		if (codec_parse_int(v, 1, 65535, &cfg->port) == -1) {
			snprintf(err, errlen, "CH_PORT must be a port number "
			    "from 1 to 65535");
			return (-1);
		}
	}

	if ((v = get("CH_WORKERS")) != NULL && *v != '\0') {
		if (codec_parse_int(v, 1, 64, &cfg->workers) == -1) {
			snprintf(err, errlen, "CH_WORKERS must be a number "
			    "from 1 to 64");
			return (-1);
		}
	}

	return (0);
}
