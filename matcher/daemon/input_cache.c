/*
 * input_cache.c: the document's text, and the candidates cache.  The
 * text is parsed as strict JSON; a scanner finds where the candidates
 * member sits without parsing it, so that the candidates, the bulk of
 * the input and the same for every job until they change, are parsed
 * once and then lent from the cache to every job that gives them again
 * or leaves them out.
 */

#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "input_int.h"

static cJSON	*parse_json(const char *, size_t);
static int	is_ws(char);
static const char *skip_ws(const char *, const char *);
static const char *skip_string(const char *, const char *);
static const char *skip_value(const char *, const char *);
static int	find_member(const char *, size_t, const char *, size_t *,
		    size_t *);
static int	cache_fill(struct input_cache *, const char *, size_t, char *,
		    size_t);
static void	cache_lend(struct input_job *, const struct input_cache *);
static int	not_json(char *, size_t);

/*
 * One JSON value filling text (whitespace around it only), or NULL.
 * cJSON takes every byte up to 0x20, NUL included, for whitespace, and
 * raw control characters in strings; JSON has neither (jsonb never
 * prints them). They are refused here, or a document would be valid
 * when parsed whole and invalid when the cache splits it, since
 * find_member() knows JSON's whitespace only.
 */
static cJSON *
parse_json(const char *text, size_t len)
{
	const char	*end = NULL;
	cJSON		*root;
	size_t		 i;

	for (i = 0; i < len; i++) {
		if ((unsigned char)text[i] < 0x20 && !is_ws(text[i]))
			return (NULL);
	}
	if (len == 0 ||
	    (root = cJSON_ParseWithLengthOpts(text, len, &end, 0)) == NULL)
		return (NULL);
	while (end != NULL && end < text + len && is_ws(*end))
		end++;
	if (end != text + len) {
		cJSON_Delete(root);
		return (NULL);
	}
	return (root);
}

static int
is_ws(char c)
{
	return (c == ' ' || c == '\t' || c == '\n' || c == '\r');
}

static const char *
skip_ws(const char *p, const char *end)
{
	while (p < end && is_ws(*p))
		p++;
	return (p);
}

/* p at a '"': past the closing quote, or NULL. */
static const char *
skip_string(const char *p, const char *end)
{
	for (p++; p < end; p++) {
		if (*p == '\\')
			p++;
		else if (*p == '"')
			return (p + 1);
	}
	return (NULL);
}

/*
 * Past one value, by brackets and strings only: this finds where a value
 * ends, it does not check it (cJSON does that).  NULL when unbalanced.
 */
static const char *
skip_value(const char *p, const char *end)
{
	size_t	depth = 0;

	do {
		if (p >= end)
			return (NULL);
		switch (*p) {
		case '"':
			if ((p = skip_string(p, end)) == NULL)
				return (NULL);
			break;
		case '{':
		case '[':
			depth++;
			p++;
			break;
		case '}':
		case ']':
			if (depth == 0)
				return (NULL);
			depth--;
			p++;
			break;
		default:
			if (depth > 0) {
				p++;
				break;
			}
			while (p < end && !is_ws(*p) && *p != ',' &&
			    *p != '}' && *p != ']')
				p++;
			return (p);
		}
	} while (depth > 0);
	return (p);
}

/*
 * Where the value of the top-level member key (written without escapes)
 * starts and ends in text.  -1 when the text is not an object of that
 * shape or has no such member: the caller then parses it all.
 */
static int
find_member(const char *text, size_t len, const char *key, size_t *vs,
    size_t *ve)
{
	const char	*p, *end = text + len, *ks, *v;
	size_t		 klen = strlen(key);

	p = skip_ws(text, end);
	if (p == end || *p++ != '{')
		return (-1);
	for (;;) {
		p = skip_ws(p, end);
		if (p == end || *p != '"')
			return (-1);
		ks = p + 1;
		if ((p = skip_string(p, end)) == NULL)
			return (-1);
		if ((size_t)(p - 1 - ks) == klen && memcmp(ks, key, klen) == 0)
			ks = NULL;		/* found */
		p = skip_ws(p, end);
		if (p == end || *p++ != ':')
			return (-1);
		v = skip_ws(p, end);
		if ((p = skip_value(v, end)) == NULL)
			return (-1);
		if (ks == NULL) {
			*vs = (size_t)(v - text);
			*ve = (size_t)(p - text);
			return (0);
		}
		p = skip_ws(p, end);
		if (p == end || *p++ != ',')
			return (-1);
	}
}

/* Parse a candidates array into the cache; the old entry stays on error. */
static int
cache_fill(struct input_cache *cache, const char *text, size_t len,
    char *err, size_t errlen)
{
	struct engine_candidate	*c;
	cJSON			*root;
	char			*copy;
	size_t			 n, ntags;
	int			 rc;

	if ((root = parse_json(text, len)) == NULL)
		return (not_json(err, errlen));
	rc = input_parse_candidates(root, &c, &n, &ntags, err, errlen);
	cJSON_Delete(root);
	if (rc != INPUT_OK)
		return (rc);
	if ((copy = malloc(len)) == NULL) {
		free(c);
		return (input_nomem(err, errlen));
	}
	memcpy(copy, text, len);
	free(cache->text);
	free(cache->candidates);
	cache->text = copy;
	cache->len = len;
	cache->candidates = c;
	cache->ncandidates = n;
	cache->ntags = ntags;
	return (INPUT_OK);
}

/* Lend job the candidates of c, or with c NULL take them back. */
static void
cache_lend(struct input_job *job, const struct input_cache *c)
{
	job->candidates = c != NULL ? c->candidates : NULL;
	job->problem.candidates = job->candidates;
	job->problem.ncandidates = c != NULL ? c->ncandidates : 0;
	job->ntags = c != NULL ? c->ntags : 0;
	job->candidates_cached = c != NULL;
}

/* The one refusal of a text that is not a single JSON value. */
static int
not_json(char *err, size_t errlen)
{
	return (input_bad(err, errlen, NULL, "input", "not a JSON document"));
}

int
input_cache_read(struct input_cache *cache, const char *text, size_t len,
    struct input_job *job, enum input_cache_use *use, cJSON **root,
    char *err, size_t errlen)
{
	char	*rest;
	size_t	 vs, ve;
	int	 rc;

	*use = INPUT_CACHE_NONE;
	if (cache != NULL && cache->text != NULL &&
	    find_member(text, len, "candidates", &vs, &ve) != 0) {
		/* Left out: this worker holds them (the epoch must say so). */
		cache->hits++;
		cache_lend(job, cache);
		*use = INPUT_CACHE_HELD;
		*root = parse_json(text, len);
	} else if (cache != NULL &&
	    find_member(text, len, "candidates", &vs, &ve) == 0) {
		*use = INPUT_CACHE_GIVEN;
		/*
		 * The candidates are the bulk of the input and the same for
		 * every job until they change: parse them once, and the rest
		 * of the document with null in their place.
		 */
		if (ve - vs != cache->len || cache->text == NULL ||
		    memcmp(text + vs, cache->text, cache->len) != 0) {
			cache->misses++;
			cache->epoch = 0;
			if ((rc = cache_fill(cache, text + vs, ve - vs, err,
			    errlen)) != INPUT_OK)
				return (rc);
		} else
			cache->hits++;
		cache_lend(job, cache);
		if ((rest = malloc(len - (ve - vs) + 4)) == NULL) {
			memset(job, 0, sizeof(*job));
			return (input_nomem(err, errlen));
		}
		memcpy(rest, text, vs);
		memcpy(rest + vs, "null", 4);
		memcpy(rest + vs + 4, text + ve, len - ve);
		*root = parse_json(rest, len - (ve - vs) + 4);
		free(rest);
	} else
		*root = parse_json(text, len);
	if (*root == NULL) {
		memset(job, 0, sizeof(*job));
		return (not_json(err, errlen));
	}
	return (INPUT_OK);
}

int
input_cache_settle(struct input_cache *cache, enum input_cache_use use,
    struct input_job *job, const cJSON *candidates, const int64_t *epoch,
    char *err, size_t errlen)
{
	if (use == INPUT_CACHE_HELD && candidates != NULL) {
		/* There after all (a key the scan does not know): parse them
		 * the plain way. */
		cache->hits--;
		cache_lend(job, NULL);
		return (INPUT_OK);
	}
	if (use == INPUT_CACHE_HELD && (epoch == NULL ||
	    *epoch != cache->epoch))
		return (input_bad(err, errlen, NULL, "candidates",
		    "missing, and not of the epoch this worker holds"));
	if (use == INPUT_CACHE_GIVEN)
		cache->epoch = epoch != NULL ? *epoch : 0;
	return (INPUT_OK);
}

void
input_cache_free(struct input_cache *cache)
{
	if (cache == NULL)
		return;
	free(cache->text);
	free(cache->candidates);
	memset(cache, 0, sizeof(*cache));
}
