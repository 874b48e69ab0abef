/*
 * Settings from the environment, where every variable X may instead come
 * from the file that X_FILE names (docker secrets under /run/secrets/).
 *
 * The rule, the same for the API and ch-matcher:
 *  - X_FILE names a file whose contents are the value of X. One trailing
 *    newline ("\n" or "\r\n") is removed, nothing else.
 *  - X and X_FILE both set (non-empty) is refused.
 *  - A file that cannot be read, is no regular file, is empty (after the
 *    newline), is larger than ENVFILE_MAX or holds a NUL byte is refused.
 *  - A refusal names the variable and the reason, never the contents.
 *  - Contents read once stay for the life of the process (configurations
 *    keep pointers to them) and are never put into the environment.
 *
 * Not thread-safe: read the configuration before starting threads.
 */

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "envfile.h"

#define ENVFILE_NAME_MAX	128	/* longest variable name we look up */

/* A value read from a file, kept (and reachable) until the process ends. */
struct envfile_value {
	struct envfile_value	*next;
	char			*name;
	char			*value;
};

static struct envfile_value	*values;
static char			 refusal[ENVFILE_ERR_MAX];

static void	refuse(const char *, ...)
		    __attribute__((format(printf, 1, 2)));
static void	wipe(char *, size_t);

/* Keeps the first refusal: later ones are often its consequences. */
static void
refuse(const char *fmt, ...)
{
	va_list	ap;

	if (refusal[0] != '\0')
		return;
	va_start(ap, fmt);
	(void)vsnprintf(refusal, sizeof(refusal), fmt, ap);
	va_end(ap);
}

/* Clears a buffer that held a secret, in a way the compiler keeps. */
static void
wipe(char *p, size_t len)
{
	volatile char	*v = p;

	while (len-- > 0)
		*v++ = '\0';
}

/*
 * Reads the file at path as the value of a setting; var names the X_FILE
 * variable for messages. Returns 0 and a malloc'ed, NUL-terminated value
 * in *out (the caller frees it), or -1 with the reason in err, which names
 * var and the path but never quotes the file.
 */
int
envfile_read(const char *var, const char *path, char **out, char *err,
    size_t errlen)
{
	struct stat	 st;
	char		*buf;
	size_t		 len;
	ssize_t		 n;
	int		 fd;

	*out = NULL;
	/* O_NONBLOCK: opening a FIFO must not wait for a writer. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd == -1) {
		snprintf(err, errlen, "%s: cannot open %s: %s", var, path,
		    strerror(errno));
		return (-1);
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: %s is not a regular file", var,
		    path);
		(void)close(fd);
		return (-1);
	}
	if ((buf = malloc(ENVFILE_MAX + 2)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", var);
		(void)close(fd);
		return (-1);
	}

	/* One byte beyond the limit tells a file that is too large. */
	len = 0;
	while (len <= ENVFILE_MAX) {
		n = read(fd, buf + len, ENVFILE_MAX + 1 - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			snprintf(err, errlen, "%s: cannot read %s: %s", var,
			    path, strerror(errno));
			goto bad;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	(void)close(fd);
	fd = -1;

	if (len > ENVFILE_MAX) {
		snprintf(err, errlen, "%s: %s is larger than %d KiB", var,
		    path, ENVFILE_MAX / 1024);
		goto bad;
	}
	if (memchr(buf, '\0', len) != NULL) {
		snprintf(err, errlen, "%s: %s contains a NUL byte", var, path);
		goto bad;
	}
	if (len > 0 && buf[len - 1] == '\n') {
		len--;
		if (len > 0 && buf[len - 1] == '\r')
			len--;
	}
	if (len == 0) {
		snprintf(err, errlen, "%s: %s is empty", var, path);
		goto bad;
	}
	buf[len] = '\0';
	*out = buf;
	return (0);

bad:
	if (fd != -1)
		(void)close(fd);
	wipe(buf, ENVFILE_MAX + 2);
	free(buf);
	return (-1);
}

/*
 * The value of the environment variable name, or the contents of the file
 * that name_FILE names (read once, then kept). Returns NULL when neither
 * is set, and an empty string when name is set empty and name_FILE is not:
 * as with getenv(), callers treat both as unset. Returns NULL as well
 * when the lookup is refused (both set, a bad file): envfile_refused()
 * then says why, and callers must ask it before trusting a NULL.
 */
const char *
envfile_get(const char *name)
{
	struct envfile_value	*e;
	const char		*v, *path;
	char			 var[ENVFILE_NAME_MAX + sizeof("_FILE")];
	char			 err[ENVFILE_ERR_MAX], *value;
	int			 n;

	n = snprintf(var, sizeof(var), "%s_FILE", name);
	if (n < 0 || (size_t)n >= sizeof(var)) {
		refuse("%.64s...: the variable name is too long", name);
		return (NULL);
	}
	v = getenv(name);
	path = getenv(var);
	if (path == NULL || *path == '\0')
		return (v);
	if (v != NULL && *v != '\0') {
		refuse("%s and %s are both set: give the value once, in one "
		    "of them", name, var);
		return (NULL);
	}

	for (e = values; e != NULL; e = e->next) {
		if (strcmp(e->name, name) == 0)
			return (e->value);
	}
	if (envfile_read(var, path, &value, err, sizeof(err)) == -1) {
		refuse("%s", err);
		return (NULL);
	}
	if ((e = calloc(1, sizeof(*e))) == NULL ||
	    (e->name = strdup(name)) == NULL) {
		free(e);
		wipe(value, strlen(value));
		free(value);
		refuse("%s: out of memory", var);
		return (NULL);
	}
	e->value = value;
	e->next = values;
	values = e;

	return (e->value);
}

/*
 * Returns 1 and writes the first refusal of envfile_get() since the last
 * call to err (and forgets it), or 0 when there was none.
 */
int
envfile_refused(char *err, size_t errlen)
{
	if (refusal[0] == '\0')
		return (0);
	snprintf(err, errlen, "%s", refusal);
	refusal[0] = '\0';
	return (1);
}
