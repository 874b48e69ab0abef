/* ch-config-check: validates the CH_* environment before Kore starts. */

#include <stdio.h>
#include <stdlib.h>

#include "ch.h"

static const char	*env_get(const char *);

static const char *
env_get(const char *name)
{
	return (getenv(name));
}

int
main(void)
{
	struct config	cfg;
	char		err[CONFIG_ERR_MAX];

	if (config_load(&cfg, env_get, err, sizeof(err)) == -1) {
		fprintf(stderr, "ch-api: configuration error: %s\n", err);
		return (1);
	}

	return (0);
}
