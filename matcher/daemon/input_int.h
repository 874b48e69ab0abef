/* input_int.h: internals shared by the input_*.c files, not for callers. */

#ifndef CH_MATCHER_INPUT_INT_H
#define CH_MATCHER_INPUT_INT_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "input.h"

/* Where a member sits, for messages: "subjects[3].langs[1].level". */
struct where {
	const char	*arr;		/* NULL: the top level */
	size_t		 i;
	const char	*inner;		/* NULL: no inner array */
	size_t		 j;
};

/* How input_parse's document met the candidates cache. */
enum input_cache_use {
	INPUT_CACHE_NONE = 0,	/* no cache, or it cannot help: parse all */
	INPUT_CACHE_HELD,	/* candidates left out, lent from the cache */
	INPUT_CACHE_GIVEN	/* candidates given, parsed once, lent */
};

/* input_value.c */
/* An INPUT_INVALID with a message on the member key at w (NULL: top). */
int	input_bad(char *, size_t, const struct where *, const char *,
	    const char *, ...) __attribute__((format(printf, 5, 6)));
int	input_nomem(char *, size_t);
int	input_members(const cJSON *, const char *const *, size_t,
	    const cJSON **, const struct where *, char *, size_t);
int	input_get_int(const cJSON *, const struct where *, const char *,
	    int64_t, int64_t, int64_t *, char *, size_t);
int	input_get_bool(const cJSON *, const struct where *, const char *,
	    uint8_t *, char *, size_t);
int	input_get_array(const cJSON *, const struct where *, const char *,
	    size_t *, char *, size_t);
int	input_get_id(const cJSON *, const struct where *, const char *,
	    uint8_t *, char *, size_t);
int	input_get_place(const cJSON *, const cJSON *, const cJSON *,
	    const struct where *, uint8_t *, double *, double *, char *,
	    size_t);
int	input_get_langs(const cJSON *, const struct where *, int,
	    struct engine_lang *, uint8_t *, char *, size_t);
int	input_get_kldb(const cJSON *, const struct where *, char *, char *,
	    size_t);
int	input_get_weights(const cJSON *, const struct where *, const char *,
	    uint16_t *, char *, size_t);

/* input_parse.c */
int	input_parse_candidates(const cJSON *, struct engine_candidate **,
	    size_t *, size_t *, char *, size_t);

/* input_cache.c */
/*
 * The document text (len bytes) as cJSON in *root, NULL when it is not
 * one JSON value; the candidates from cache (may be NULL) are lent to
 * job when the document leaves them out or gives the ones the cache
 * holds, and given ones that differ are parsed into the cache first.
 * *use says which.  Returns INPUT_OK, or the error of parsing the given
 * candidates or of memory; job then holds nothing.
 */
int	input_cache_read(struct input_cache *, const char *, size_t,
	    struct input_job *, enum input_cache_use *, cJSON **, char *,
	    size_t);
/*
 * Once the document's members are read (candidates and epoch, NULL when
 * absent): candidates the scan did not find but the document has (a key
 * written with escapes) are taken back from job, for input_parse to
 * parse; candidates left out must be of the epoch the cache holds; a
 * cache filled from the document takes its epoch.  Returns INPUT_OK or
 * INPUT_INVALID.
 */
int	input_cache_settle(struct input_cache *, enum input_cache_use,
	    struct input_job *, const cJSON *, const int64_t *, char *,
	    size_t);

#endif
