/*
 * libFuzzer target for matcher/daemon/input_*.c: the job input documents
 * ch-matcher reads from the database. PostgreSQL builds them, but from
 * what clients stored, and a worker must refuse a bad one, never crash.
 *
 * Each input is parsed as a worker does, without a cache and then twice
 * with a fresh one (a miss that fills it, a hit that uses it): the three
 * must agree. A small enough job is also run through the engine, plain
 * and cached, and the two result documents compared.
 */

#include <string.h>

#include <cjson/cJSON.h>

#include "engine.h"
#include "input.h"
#include "fuzz.h"

#define ERRLEN		256
#define RUN_PAIRS_MAX	4096	/* subjects x candidates run per input */

static int	parse(const uint8_t *, size_t, struct input_cache *,
		    struct input_job *);
static void	check_job(const struct input_job *);
static void	run(const struct input_job *, struct input_result *);
static void	same_result(const struct input_result *,
		    const struct input_result *);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return (0);
}

/* input_parse, and what it promises about err and the job on refusal. */
static int
parse(const uint8_t *data, size_t size, struct input_cache *cache,
    struct input_job *job)
{
	char	err[ERRLEN];
	int	rc;

	memset(err, 0x5a, sizeof(err));
	memset(job, 0x5a, sizeof(*job));
	rc = input_parse((const char *)data, size, cache, job, err,
	    sizeof(err));
	FUZZ_CHECK(rc == INPUT_OK || rc == INPUT_INVALID ||
	    rc == INPUT_NOMEM);
	if (rc != INPUT_OK) {
		FUZZ_CHECK(memchr(err, '\0', sizeof(err)) != NULL &&
		    err[0] != '\0');
		FUZZ_CHECK(job->subjects == NULL && job->candidates == NULL &&
		    job->excluded == NULL && job->weights == NULL);
	} else
		check_job(job);

	return (rc);
}

/* A parsed job is one the engine may be handed as it is. */
static void
check_job(const struct input_job *job)
{
	const struct engine_problem	*p = &job->problem;
	size_t				 i;

	FUZZ_CHECK(job->kind == INPUT_SUGGEST || job->kind == INPUT_BATCH ||
	    job->kind == INPUT_STABLE);
	FUZZ_CHECK(job->min_score <= ENGINE_SCORE_MAX);
	if (job->kind == INPUT_SUGGEST)
		FUZZ_CHECK(job->k >= 1 && job->k <= ENGINE_SUGGEST_MAX);
	FUZZ_CHECK(job->ntags <= INPUT_MAX_TAGS);
	FUZZ_CHECK(p->nsubjects == 0 || p->subjects != NULL);
	FUZZ_CHECK(p->ncandidates == 0 || p->candidates != NULL);
	FUZZ_CHECK(p->nexcluded == 0 || p->excluded != NULL);
	for (i = 0; i < p->nexcluded; i++) {
		FUZZ_CHECK(p->excluded[i].subject < p->nsubjects);
		FUZZ_CHECK(p->excluded[i].candidate < p->ncandidates);
	}
	for (i = 0; i < p->nsubjects; i++)
		FUZZ_CHECK(p->subjects[i].nlangs <= ENGINE_MAX_LANGS);
	for (i = 0; i < p->ncandidates; i++)
		FUZZ_CHECK(p->candidates[i].nlangs <= ENGINE_MAX_LANGS);
}

/* Runs a small job; res->json stays NULL for a big one or a refusal. */
static void
run(const struct input_job *job, struct input_result *res)
{
	char	err[ERRLEN];
	int	rc;

	memset(res, 0, sizeof(*res));
	if (job->problem.nsubjects * job->problem.ncandidates >
	    RUN_PAIRS_MAX || job->problem.nsubjects > RUN_PAIRS_MAX ||
	    job->problem.ncandidates > RUN_PAIRS_MAX)
		return;
	rc = input_run(job, res, err, sizeof(err));
	FUZZ_CHECK(rc == INPUT_OK || rc == INPUT_INVALID);
	if (rc != INPUT_OK) {
		FUZZ_CHECK(res->json == NULL);
		return;
	}
	FUZZ_CHECK(res->json != NULL && strlen(res->json) == res->len);
}

/* Alike but for the time the engine took, which comes last. */
static void
same_result(const struct input_result *a, const struct input_result *b)
{
	const char	*ta, *tb;

	FUZZ_CHECK((a->json == NULL) == (b->json == NULL));
	if (a->json == NULL)
		return;
	ta = strstr(a->json, "\"engine_ms\":");
	tb = strstr(b->json, "\"engine_ms\":");
	FUZZ_CHECK(ta != NULL && tb != NULL);
	FUZZ_CHECK(ta - a->json == tb - b->json &&
	    memcmp(a->json, b->json, (size_t)(ta - a->json)) == 0);
	FUZZ_CHECK(a->nproposals == b->nproposals &&
	    a->total_score == b->total_score);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input_cache	 cache;
	struct input_job	 plain, cached;
	struct input_result	 plain_res, cached_res;
	int			 rc_plain, rc_miss, rc_hit;

	memset(&cache, 0, sizeof(cache));
	rc_plain = parse(data, size, NULL, &plain);
	FUZZ_CHECK(rc_plain != INPUT_OK || !plain.candidates_cached);

	rc_miss = parse(data, size, &cache, &cached);
	if (rc_miss == INPUT_OK)
		input_free(&cached);
	rc_hit = parse(data, size, &cache, &cached);
	FUZZ_CHECK((rc_plain == INPUT_OK) == (rc_miss == INPUT_OK));
	FUZZ_CHECK((rc_plain == INPUT_OK) == (rc_hit == INPUT_OK));

	if (rc_plain == INPUT_OK) {
		run(&plain, &plain_res);
		run(&cached, &cached_res);
		same_result(&plain_res, &cached_res);
		input_result_free(&plain_res);
		input_result_free(&cached_res);
		input_free(&plain);
		input_free(&cached);
	}
	input_cache_free(&cache);

	return (0);
}
