/*
 * A database password given apart from the connection string, joined to
 * it, so that a container can take the URL from its environment and the
 * password from a secret file, and the password never enters the
 * environment of any process.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "conninfo.h"

/* A joined string, kept (and reachable) until the process ends. */
struct conninfo_joined {
	struct conninfo_joined	*next;
	char			*conninfo;
};

static struct conninfo_joined	*joined;

static size_t	quoted_len(const char *);
static char	*put_quoted(char *, const char *, const char *);

/*
 * Bytes that put_quoted() writes for value after its key: "='value' ",
 * escapes included (the last space becomes the terminating NUL).
 */
static size_t
quoted_len(const char *value)
{
	size_t	n;

	for (n = 0; *value != '\0'; value++)
		n += (*value == '\'' || *value == '\\') ? 2 : 1;
	return (n + 4);
}

/* Writes "key='value' " at p (libpq's quoting); returns the end. */
static char *
put_quoted(char *p, const char *key, const char *value)
{
	size_t	len;

	len = strlen(key);
	memcpy(p, key, len);
	p += len;
	*p++ = '=';
	*p++ = '\'';
	for (; *value != '\0'; value++) {
		if (*value == '\'' || *value == '\\')
			*p++ = '\\';
		*p++ = *value;
	}
	*p++ = '\'';
	*p++ = ' ';
	return (p);
}

/*
 * conninfo (a libpq key=value string or URI, named url_name in messages)
 * with password (named password_name) added, as a key=value string that
 * libpq takes wherever it took conninfo: PQconnectdb(), and as the
 * expanded dbname of PQconnectdbParams(). A conninfo that carries a
 * password of its own is refused: one password, in one place. Messages
 * never quote conninfo, since libpq's own parse errors quote pieces of
 * it, a password included. Returns the joined string, which stays until
 * the process ends, or NULL with the reason in err.
 */
const char *
conninfo_with_password(const char *conninfo, const char *password,
    const char *url_name, const char *password_name, char *err,
    size_t errlen)
{
	struct conninfo_joined	*j;
	PQconninfoOption	*opts, *o;
	char			*msg, *p;
	size_t			 len;

	msg = NULL;
	if ((opts = PQconninfoParse(conninfo, &msg)) == NULL) {
		snprintf(err, errlen, "%s is not a libpq connection string or "
		    "URI%s", url_name, msg == NULL ? " (out of memory)" : "");
		PQfreemem(msg);
		return (NULL);
	}

	len = strlen("password") + quoted_len(password);
	for (o = opts; o->keyword != NULL; o++) {
		if (o->val == NULL)
			continue;
		if (strcmp(o->keyword, "password") == 0 && *o->val != '\0') {
			snprintf(err, errlen, "%s carries a password and %s is "
			    "set: give the password in one place", url_name,
			    password_name);
			PQconninfoFree(opts);
			return (NULL);
		}
		len += strlen(o->keyword) + quoted_len(o->val);
	}

	if ((j = calloc(1, sizeof(*j))) == NULL ||
	    (j->conninfo = malloc(len)) == NULL) {
		free(j);
		PQconninfoFree(opts);
		snprintf(err, errlen, "%s: out of memory", url_name);
		return (NULL);
	}
	p = j->conninfo;
	for (o = opts; o->keyword != NULL; o++) {
		if (o->val != NULL && strcmp(o->keyword, "password") != 0)
			p = put_quoted(p, o->keyword, o->val);
	}
	p = put_quoted(p, "password", password);
	p[-1] = '\0';		/* the last separating space */
	PQconninfoFree(opts);

	j->next = joined;
	joined = j;
	return (j->conninfo);
}
