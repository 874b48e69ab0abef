/*
 * conninfo.h: a database password given apart from the connection string
 * (CH_DATABASE_PASSWORD), joined to it. Shared by the API and ch-matcher.
 */

#ifndef CH_CONNINFO_H
#define CH_CONNINFO_H

#include <stddef.h>

const char	*conninfo_with_password(const char *, const char *,
		    const char *, const char *, char *, size_t);

#endif
