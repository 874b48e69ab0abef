/*
 * ch-config-check: validates the CH_* environment and the key files before
 * Kore starts, so a bad configuration stops with a clear message.
 */

#include <stdio.h>
#include <stdlib.h>

#include "ch.h"

int
main(void)
{
	struct config		cfg;
	struct token_config	tc;
	char			err[CONFIG_ERR_MAX];
	int			ret;

	if (config_load_env(&cfg, err, sizeof(err)) == -1) {
		fprintf(stderr, "ch-api: configuration error: %s\n", err);
		return (1);
	}
	/* The keys are read here too, so a bad key file stops the start. */
	ret = token_setup(&tc, &cfg, err, sizeof(err));
	token_cleanup(&tc);
	if (ret == -1) {
		fprintf(stderr, "ch-api: configuration error: %s\n", err);
		return (1);
	}

	return (0);
}
