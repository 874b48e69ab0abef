/*
 * envfile.h: settings from the environment, where every variable X may
 * come from the file that X_FILE names instead (docker secrets). Shared
 * by the API (api/config.c, ch-config-check) and ch-matcher.
 */

#ifndef CH_ENVFILE_H
#define CH_ENVFILE_H

#include <stddef.h>

#define ENVFILE_MAX	(64 * 1024)	/* bytes in one file, at most */
#define ENVFILE_ERR_MAX	256

const char	*envfile_get(const char *);
int		 envfile_refused(char *, size_t);
int		 envfile_read(const char *, const char *, char **, char *,
		    size_t);

#endif
