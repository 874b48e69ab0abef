/*
 * input_names.c: the text forms of job kinds, programmes and ids, both
 * ways, for the documents and the log.
 */

#include <string.h>

#include "input.h"

static const char *const kind_names[] = { "suggest", "batch", "stable" };
static const char *const programme_names[] = { "partners", "women" };

static int	name_index(const char *const *, unsigned int, const char *);

/* The index of s in a table of n names, or -1. */
static int
name_index(const char *const *names, unsigned int n, const char *s)
{
	unsigned int	i;

	for (i = 0; s != NULL && i < n; i++) {
		if (strcmp(s, names[i]) == 0)
			return ((int)i);
	}
	return (-1);
}

const char *
input_kind_name(enum input_kind k)
{
	if ((unsigned)k > INPUT_STABLE)
		return ("unknown");
	return (kind_names[k]);
}

int
input_kind_parse(const char *s, enum input_kind *k)
{
	int	i;

	if ((i = name_index(kind_names, INPUT_STABLE + 1, s)) == -1)
		return (-1);
	*k = (enum input_kind)i;
	return (0);
}

const char *
input_programme_name(enum engine_programme p)
{
	if ((unsigned)p > ENGINE_WOMEN)
		return ("unknown");
	return (programme_names[p]);
}

int
input_programme_parse(const char *s, enum engine_programme *p)
{
	int	i;

	if ((i = name_index(programme_names, ENGINE_WOMEN + 1, s)) == -1)
		return (-1);
	*p = (enum engine_programme)i;
	return (0);
}

int
input_uuid_parse(const char *s, uint8_t *id)
{
	size_t		i, b;
	int		hi, v;
	char		ch;

	if (s == NULL)
		return (-1);
	b = 0;
	hi = 1;
	for (i = 0; i < INPUT_UUID_LEN; i++) {
		ch = s[i];
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (ch != '-')
				return (-1);
			continue;
		}
		if (ch >= '0' && ch <= '9')
			v = ch - '0';
		else if (ch >= 'a' && ch <= 'f')
			v = ch - 'a' + 10;
		else if (ch >= 'A' && ch <= 'F')
			v = ch - 'A' + 10;
		else
			return (-1);
		if (hi)
			id[b] = (uint8_t)(v << 4);
		else
			id[b++] |= (uint8_t)v;
		hi = !hi;
	}
	return (s[INPUT_UUID_LEN] == '\0' ? 0 : -1);
}

void
input_uuid_format(const uint8_t *id, char *out)
{
	static const char	hex[] = "0123456789abcdef";
	size_t			i, o;

	for (i = 0, o = 0; i < ENGINE_ID_LEN; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = hex[id[i] >> 4];
		out[o++] = hex[id[i] & 0xf];
	}
	out[o] = '\0';
}
