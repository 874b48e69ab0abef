/*
 * input.h: a job's input document to an engine problem, and its result
 * (input_*.c; their shared internals are in input_int.h).
 */

#ifndef CH_MATCHER_INPUT_H
#define CH_MATCHER_INPUT_H

#include <stddef.h>
#include <stdint.h>

#include "engine.h"

#define INPUT_UUID_LEN		36	/* canonical text, without the NUL */
#define INPUT_MAX_TAGS		64	/* bits of the tag sets */
#define INPUT_AGE_MAX		150

/* Return codes of input_parse and input_run. */
#define INPUT_OK		0
#define INPUT_INVALID		(-1)	/* the input is wrong: do not retry */
#define INPUT_NOMEM		(-2)	/* out of memory: worth a retry */

enum input_kind {
	INPUT_SUGGEST = 0,
	INPUT_BATCH,
	INPUT_STABLE
};

/*
 * A parsed job: the engine problem and the arrays it points into, owned
 * by this struct (input_free releases them), except the candidates when
 * they came from an input_cache.
 */
struct input_job {
	enum input_kind		 kind;
	uint32_t		 k;		/* suggest: 1..20 */
	uint32_t		 min_score;	/* 0..ENGINE_SCORE_MAX */
	struct engine_problem	 problem;
	struct engine_subject	*subjects;
	struct engine_candidate	*candidates;
	struct engine_pair	*excluded;
	struct engine_weights	*weights;
	size_t			 ntags;		/* distinct tags given a bit */
	int			 candidates_cached;	/* cache owns them */
};

/*
 * The candidates of the last job, parsed (zero it before first use, free
 * with input_cache_free).  The database sends the same candidates to
 * every job until they change, so a worker keeps one cache and parses
 * them once.  Each change has a new epoch: a worker that names the epoch
 * it holds (ch.job_input's second argument) gets the candidates left out
 * while they are the same, and input_parse takes them from the cache.  A
 * job parsed with a cache borrows its candidates: free the job before the
 * cache is used again.
 */
struct input_cache {
	int64_t			 epoch;		/* their epoch, 0 unknown */
	char			*text;		/* the candidates as given */
	size_t			 len;
	struct engine_candidate	*candidates;
	size_t			 ncandidates;
	size_t			 ntags;
	uint64_t		 hits;
	uint64_t		 misses;
};

/* The document for ch.job_complete, and what the log reports of it. */
struct input_result {
	char		*json;		/* NUL-terminated, malloc'd */
	size_t		 len;
	size_t		 nproposals;
	int64_t		 total_score;
	double		 engine_ms;
};

/* input_names.c */
const char	*input_kind_name(enum input_kind);
int		 input_kind_parse(const char *, enum input_kind *);
const char	*input_programme_name(enum engine_programme);
int		 input_programme_parse(const char *, enum engine_programme *);
/* Canonical 8-4-4-4-12 hex text (either case) to 16 bytes; 0 or -1. */
int		 input_uuid_parse(const char *, uint8_t *);
/* 16 bytes to lower-case canonical text; out holds 37 bytes. */
void		 input_uuid_format(const uint8_t *, char *);

/* input_parse.c */
/*
 * Parse a job input document (len bytes, need not be NUL-terminated)
 * into job, with the candidates from cache when it holds the same (cache
 * may be NULL).  Returns INPUT_OK, or INPUT_INVALID / INPUT_NOMEM with a
 * readable message in err (no personal data: member paths and ids only);
 * on error job holds nothing to free.  On success free with input_free.
 */
int		 input_parse(const char *, size_t, struct input_cache *,
		    struct input_job *, char *, size_t);
void		 input_free(struct input_job *);

/* input_cache.c */
void		 input_cache_free(struct input_cache *);

/* input_result.c */
/*
 * Run the job's kind through the engine and build the result document.
 * Returns INPUT_OK, INPUT_INVALID (the engine refused the problem; its
 * message is in err) or INPUT_NOMEM.  On success free res with
 * input_result_free; on error res holds nothing.
 */
int		 input_run(const struct input_job *, struct input_result *,
		    char *, size_t);
void		 input_result_free(struct input_result *);

#endif
