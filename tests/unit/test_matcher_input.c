/* test_matcher_input.c: job input parsing, runs and result documents. */

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "engine.h"
#include "input.h"

#define ID_A	"00000000-0000-4000-8000-0000000000a1"
#define ID_B	"00000000-0000-4000-8000-0000000000a2"
#define ID_C1	"00000000-0000-4000-8000-0000000000c1"
#define ID_C2	"00000000-0000-4000-8000-0000000000c2"
#define ID_C3	"00000000-0000-4000-8000-0000000000c3"
#define ID_C4	"00000000-0000-4000-8000-0000000000c4"
#define ID_GONE	"00000000-0000-4000-8000-0000000000ff"

#define ERRLEN	256

struct expect_feature {
	const char	*feature;
	double		 value;
	double		 weight;
	double		 points;
	const char	*reason;
};

static cJSON	*lang(const char *, int);
static cJSON	*subject(const char *, int, int);
static cJSON	*candidate(const char *, int, int, int);
static cJSON	*partners_problem(const char *, int);
static cJSON	*pair(const char *, const char *, int);
static char	*print(cJSON *);
static int	 run_text(const char *, size_t, struct input_cache *,
		    struct input_result *, char *);
static void	 assert_same_result(const struct input_result *,
		    const struct input_result *);
static void	 run_doc(cJSON *, struct input_result *, cJSON **);
static char	*replace(const char *, const char *, const char *);
static const cJSON *proposal_of(const cJSON *, const char *, const char *);
static void	 check_features(const cJSON *, const struct expect_feature *,
		    size_t);
static void	 expect_invalid(cJSON *, const char *);
static cJSON	*cohort(const char *);
static cJSON	*at(cJSON *, const char *, int);
static void	 set(cJSON *, const char *, cJSON *);

static cJSON *
lang(const char *code, int level)
{
	cJSON	*l;

	assert_non_null(l = cJSON_CreateObject());
	cJSON_AddStringToObject(l, "code", code);
	cJSON_AddNumberToObject(l, "level", level);
	return (l);
}

/*
 * A participant in Erfurt (16051): sport, Monday all day, Ukrainian
 * native and German B1 (uk_native 0 drops Ukrainian).
 */
static cJSON *
subject(const char *id, int waiting_days, int uk_native)
{
	cJSON	*s, *langs;

	assert_non_null(s = cJSON_CreateObject());
	cJSON_AddStringToObject(s, "id", id);
	cJSON_AddNumberToObject(s, "district", 16051);
	cJSON_AddTrueToObject(s, "has_place");
	cJSON_AddNumberToObject(s, "lat", 50.97);
	cJSON_AddNumberToObject(s, "lon", 11.02);
	cJSON_AddNumberToObject(s, "radius_m", 10000);
	cJSON_AddNumberToObject(s, "waiting_days", waiting_days);
	cJSON_AddNumberToObject(s, "interests", 1 << ENGINE_CAT_SPORT);
	cJSON_AddNumberToObject(s, "goals", 0);
	cJSON_AddNumberToObject(s, "availability", 7);
	cJSON_AddNumberToObject(s, "age", 30);
	cJSON_AddNumberToObject(s, "gender", ENGINE_GENDER_FEMALE);
	cJSON_AddTrueToObject(s, "active");
	cJSON_AddTrueToObject(s, "consent_matching");
	cJSON_AddFalseToObject(s, "consent_cross_district");
	langs = cJSON_AddArrayToObject(s, "langs");
	if (uk_native)
		cJSON_AddItemToArray(langs, lang("uk", ENGINE_LEVEL_NATIVE));
	cJSON_AddItemToArray(langs, lang("de", ENGINE_LEVEL_B1));
	cJSON_AddStringToObject(s, "kldb", "");
	return (s);
}

/*
 * kind 0: a sports club at the subject's place, German from B1, Monday;
 * kind 1: an online chess group in Ukrainian, no times given.
 */
static cJSON *
candidate(const char *id, int district, int capacity, int kind)
{
	cJSON	*c, *tags, *langs;

	assert_non_null(c = cJSON_CreateObject());
	cJSON_AddStringToObject(c, "id", id);
	cJSON_AddNumberToObject(c, "district", district);
	tags = cJSON_CreateArray();
	langs = cJSON_CreateArray();
	if (kind == 0) {
		cJSON_AddTrueToObject(c, "has_place");
		cJSON_AddNumberToObject(c, "lat", 50.97);
		cJSON_AddNumberToObject(c, "lon", 11.02);
		cJSON_AddItemToArray(tags, cJSON_CreateString("football"));
		cJSON_AddItemToArray(tags, cJSON_CreateString("youth"));
		cJSON_AddNumberToObject(c, "availability", 7);
		cJSON_AddNumberToObject(c, "category", ENGINE_CAT_SPORT);
		cJSON_AddFalseToObject(c, "online");
		cJSON_AddNumberToObject(c, "min_german", ENGINE_LEVEL_B1);
		cJSON_AddItemToArray(langs, lang("de", 0));
	} else {
		cJSON_AddFalseToObject(c, "has_place");
		cJSON_AddNullToObject(c, "lat");
		cJSON_AddNullToObject(c, "lon");
		cJSON_AddItemToArray(tags, cJSON_CreateString("chess"));
		cJSON_AddNumberToObject(c, "availability", 0);
		cJSON_AddNumberToObject(c, "category", ENGINE_CAT_CULTURE);
		cJSON_AddTrueToObject(c, "online");
		cJSON_AddNumberToObject(c, "min_german", 0);
		cJSON_AddItemToArray(langs, lang("uk", 0));
	}
	cJSON_AddNumberToObject(c, "capacity", capacity);
	cJSON_AddItemToObject(c, "tags", tags);
	cJSON_AddNumberToObject(c, "support", 0);
	cJSON_AddNumberToObject(c, "age_min", 0);
	cJSON_AddNumberToObject(c, "age_max", 0);
	cJSON_AddFalseToObject(c, "women_only");
	cJSON_AddTrueToObject(c, "active");
	cJSON_AddItemToObject(c, "langs", langs);
	cJSON_AddStringToObject(c, "kldb", "");
	return (c);
}

static cJSON *
pair(const char *s, const char *c, int kind)
{
	cJSON	*p;

	assert_non_null(p = cJSON_CreateObject());
	cJSON_AddStringToObject(p, "subject", s);
	cJSON_AddStringToObject(p, "candidate", c);
	cJSON_AddNumberToObject(p, "kind", kind);
	return (p);
}

/*
 * Subject A; C1 the club, C2 the online group, C3 a club in another
 * district (A has no cross-district consent), C4 a copy of C1 that staff
 * blocked for A.
 */
static cJSON *
partners_problem(const char *kind, int k)
{
	static const int	 dw[ENGINE_F_COUNT] = {
		3000, 0, 0, 2000, 2000, 2000, 1000
	};
	cJSON			*p, *a;

	assert_non_null(p = cJSON_CreateObject());
	cJSON_AddStringToObject(p, "kind", kind);
	cJSON_AddStringToObject(p, "programme", "partners");
	if (k > 0)
		cJSON_AddNumberToObject(p, "k", k);
	cJSON_AddNumberToObject(p, "min_score", 0);
	cJSON_AddItemToObject(p, "default_weights",
	    cJSON_CreateIntArray(dw, ENGINE_F_COUNT));
	cJSON_AddArrayToObject(p, "weights");
	a = cJSON_AddArrayToObject(p, "subjects");
	cJSON_AddItemToArray(a, subject(ID_A, 45, 1));
	a = cJSON_AddArrayToObject(p, "candidates");
	cJSON_AddItemToArray(a, candidate(ID_C1, 16051, 2, 0));
	cJSON_AddItemToArray(a, candidate(ID_C2, 16051, 1, 1));
	cJSON_AddItemToArray(a, candidate(ID_C3, 16052, 1, 0));
	cJSON_AddItemToArray(a, candidate(ID_C4, 16051, 1, 0));
	a = cJSON_AddArrayToObject(p, "excluded");
	cJSON_AddItemToArray(a, pair(ID_A, ID_C4, ENGINE_PAIR_BLOCKED));
	/* Ids that are not in the job are ignored. */
	cJSON_AddItemToArray(a, pair(ID_GONE, ID_C1, ENGINE_PAIR_DECLINED));
	cJSON_AddItemToArray(a, pair(ID_A, ID_GONE, ENGINE_PAIR_DECLINED));
	return (p);
}

static char *
print(cJSON *doc)
{
	char	*text;

	assert_non_null(text = cJSON_PrintUnformatted(doc));
	return (text);
}

/*
 * Parse and run text of len bytes with cache (may be NULL).  Returns the
 * first error of the two; res is filled when it is INPUT_OK.
 */
static int
run_text(const char *text, size_t len, struct input_cache *cache,
    struct input_result *res, char *err)
{
	struct input_job	 job;
	int			 rc;

	err[0] = '\0';
	memset(res, 0, sizeof(*res));
	if ((rc = input_parse(text, len, cache, &job, err, ERRLEN)) !=
	    INPUT_OK)
		return (rc);
	if (cache == NULL)
		assert_false(job.candidates_cached);
	rc = input_run(&job, res, err, ERRLEN);
	input_free(&job);
	if (rc != INPUT_OK)
		return (rc);
	assert_int_equal(strlen(res->json), res->len);
	return (rc);
}

/* Two results alike but for the time taken. */
static void
assert_same_result(const struct input_result *a,
    const struct input_result *b)
{
	const char	*ta, *tb;

	assert_non_null(ta = strstr(a->json, "\"engine_ms\":"));
	assert_non_null(tb = strstr(b->json, "\"engine_ms\":"));
	assert_int_equal(ta - a->json, tb - b->json);
	assert_memory_equal(a->json, b->json, (size_t)(ta - a->json));
	assert_int_equal(a->nproposals, b->nproposals);
	assert_int_equal(a->total_score, b->total_score);
}

/*
 * Parse and run doc (freed here); *out gets the parsed result document.
 * The same with a cache, filled (a miss) and then used (a hit), must
 * give the same result.
 */
static void
run_doc(cJSON *doc, struct input_result *res, cJSON **out)
{
	struct input_cache	 cache;
	struct input_result	 again;
	char			 err[ERRLEN];
	char			*text;
	int			 i;

	text = print(doc);
	cJSON_Delete(doc);
	if (run_text(text, strlen(text), NULL, res, err) != INPUT_OK)
		fail_msg("%s", err);
	memset(&cache, 0, sizeof(cache));
	for (i = 0; i < 2; i++) {
		if (run_text(text, strlen(text), &cache, &again, err) !=
		    INPUT_OK)
			fail_msg("with a cache: %s", err);
		assert_same_result(res, &again);
		input_result_free(&again);
	}
	assert_int_equal(cache.misses, 1);
	assert_int_equal(cache.hits, 1);
	input_cache_free(&cache);
	free(text);
	assert_non_null(*out = cJSON_Parse(res->json));
}

static const cJSON *
proposal_of(const cJSON *result, const char *s, const char *c)
{
	const cJSON	*p;

	cJSON_ArrayForEach(p, cJSON_GetObjectItem(result, "proposals")) {
		if (strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(p,
		    "subject")), s) == 0 &&
		    strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(p,
		    "candidate")), c) == 0)
			return (p);
	}
	fail_msg("no proposal %s -> %s", s, c);
	return (NULL);
}

static void
check_features(const cJSON *p, const struct expect_feature *want, size_t n)
{
	const cJSON	*x, *f;
	size_t		 i;

	x = cJSON_GetObjectItem(p, "explanation");
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(x,
	    "features")), n);
	i = 0;
	cJSON_ArrayForEach(f, cJSON_GetObjectItem(x, "features")) {
		assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(f,
		    "feature")), want[i].feature);
		assert_true(cJSON_GetNumberValue(cJSON_GetObjectItem(f,
		    "value")) == want[i].value);
		assert_true(cJSON_GetNumberValue(cJSON_GetObjectItem(f,
		    "weight")) == want[i].weight);
		assert_true(cJSON_GetNumberValue(cJSON_GetObjectItem(f,
		    "points")) == want[i].points);
		assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(f,
		    "reason")), want[i].reason);
		i++;
	}
}

/* Parse doc (freed here) and expect a refusal naming want. */
static void
expect_invalid(cJSON *doc, const char *want)
{
	struct input_job	 job;
	char			 err[ERRLEN];
	char			*text;

	struct input_cache	 cache, *c;
	int			 i;

	text = print(doc);
	cJSON_Delete(doc);
	memset(&cache, 0, sizeof(cache));
	for (i = 0; i < 2; i++) {
		c = i == 0 ? NULL : &cache;
		err[0] = '\0';
		memset(&job, 0x5a, sizeof(job));
		if (input_parse(text, strlen(text), c, &job, err,
		    sizeof(err)) != INPUT_INVALID)
			fail_msg("accepted, wanted \"%s\"%s", want,
			    c != NULL ? " (cache)" : "");
		if (strstr(err, want) == NULL)
			fail_msg("error \"%s\" does not contain \"%s\"%s",
			    err, want, c != NULL ? " (cache)" : "");
		/* Nothing left to free after a refusal. */
		assert_null(job.subjects);
		assert_null(job.candidates);
		assert_null(job.excluded);
		assert_null(job.weights);
	}
	input_cache_free(&cache);
	free(text);
}

/* Element i of the array member name of obj (i < 0: the member itself). */
static cJSON *
at(cJSON *obj, const char *name, int i)
{
	cJSON	*v;

	assert_non_null(v = cJSON_GetObjectItem(obj, name));
	if (i < 0)
		return (v);
	assert_non_null(v = cJSON_GetArrayItem(v, i));
	return (v);
}

static void
set(cJSON *obj, const char *name, cJSON *v)
{
	assert_non_null(v);
	if (cJSON_GetObjectItem(obj, name) != NULL)
		assert_true(cJSON_ReplaceItemInObjectCaseSensitive(obj, name,
		    v));
	else
		cJSON_AddItemToObject(obj, name, v);
}

static void
test_uuid(void **state)
{
	uint8_t	id[ENGINE_ID_LEN];
	char	text[INPUT_UUID_LEN + 1];

	(void)state;
	assert_int_equal(input_uuid_parse(
	    "0123ABCD-4567-89ef-8000-00000000c0DE", id), 0);
	assert_int_equal(id[0], 0x01);
	assert_int_equal(id[3], 0xcd);
	assert_int_equal(id[4], 0x45);
	assert_int_equal(id[15], 0xde);
	input_uuid_format(id, text);
	assert_string_equal(text, "0123abcd-4567-89ef-8000-00000000c0de");
	assert_int_equal(input_uuid_parse(
	    "0123abcd-4567-89ef-8000-00000000c0d", id), -1);
	assert_int_equal(input_uuid_parse(
	    "0123abcd-4567-89ef-8000-00000000c0dee", id), -1);
	assert_int_equal(input_uuid_parse(
	    "0123abcd44567-89ef-8000-00000000c0de", id), -1);
	assert_int_equal(input_uuid_parse(
	    "0123abcd-4567-89ef-8000-00000000c0dg", id), -1);
	assert_int_equal(input_uuid_parse("", id), -1);
	assert_int_equal(input_uuid_parse(NULL, id), -1);
}

static void
test_parse_fills_problem(void **state)
{
	struct input_job	 job;
	const struct engine_subject *s;
	const struct engine_candidate *c;
	char			 err[ERRLEN];
	char			*text;
	cJSON			*doc;

	(void)state;
	doc = partners_problem("suggest", 5);
	text = print(doc);
	cJSON_Delete(doc);
	assert_int_equal(input_parse(text, strlen(text), NULL, &job, err,
	    sizeof(err)), INPUT_OK);
	free(text);
	assert_int_equal(job.kind, INPUT_SUGGEST);
	assert_int_equal(job.k, 5);
	assert_int_equal(job.min_score, 0);
	assert_int_equal(job.problem.programme, ENGINE_PARTNERS);
	assert_int_equal(job.problem.default_weights.w[ENGINE_F_INTEREST],
	    3000);
	assert_int_equal(job.problem.default_weights.w[ENGINE_F_WAITING],
	    1000);
	assert_int_equal(job.problem.nweights, 0);
	assert_int_equal(job.problem.nsubjects, 1);
	assert_int_equal(job.problem.ncandidates, 4);
	assert_ptr_equal(job.problem.subjects, job.subjects);
	assert_ptr_equal(job.problem.candidates, job.candidates);

	s = &job.subjects[0];
	assert_int_equal(s->id[15], 0xa1);
	assert_int_equal(s->id[6], 0x40);
	assert_int_equal(s->district, 16051);
	assert_int_equal(s->has_place, 1);
	assert_true(s->lat == 50.97 && s->lon == 11.02);
	assert_int_equal(s->radius_m, 10000);
	assert_int_equal(s->waiting_days, 45);
	assert_int_equal(s->interests, 1);
	assert_int_equal(s->availability, 7);
	assert_int_equal(s->age, 30);
	assert_int_equal(s->gender, ENGINE_GENDER_FEMALE);
	assert_int_equal(s->active, 1);
	assert_int_equal(s->consent_matching, 1);
	assert_int_equal(s->consent_cross_district, 0);
	assert_int_equal(s->tags, 0);
	assert_int_equal(s->nlangs, 2);
	assert_string_equal(s->langs[0].code, "uk");
	assert_int_equal(s->langs[0].level, ENGINE_LEVEL_NATIVE);
	assert_string_equal(s->langs[1].code, "de");
	assert_int_equal(s->langs[1].level, ENGINE_LEVEL_B1);
	assert_string_equal(s->kldb, "");

	c = &job.candidates[0];
	assert_int_equal(c->id[15], 0xc1);
	assert_int_equal(c->capacity, 2);
	assert_int_equal(c->category, ENGINE_CAT_SPORT);
	assert_int_equal(c->min_german, ENGINE_LEVEL_B1);
	assert_int_equal(c->online, 0);
	/* Tags get bits in order of first appearance. */
	assert_int_equal(c->tags, 0x3);
	assert_int_equal(job.candidates[1].tags, 0x4);
	assert_int_equal(job.candidates[1].has_place, 0);
	assert_int_equal(job.candidates[1].online, 1);
	assert_int_equal(job.candidates[2].district, 16052);
	assert_int_equal(job.candidates[3].tags, 0x3);
	assert_int_equal(job.ntags, 3);

	/* Only the pair whose ids are both in the job is kept. */
	assert_int_equal(job.problem.nexcluded, 1);
	assert_int_equal(job.excluded[0].subject, 0);
	assert_int_equal(job.excluded[0].candidate, 3);
	assert_int_equal(job.excluded[0].kind, ENGINE_PAIR_BLOCKED);
	input_free(&job);
	assert_null(job.subjects);
}

static void
test_suggest(void **state)
{
	static const struct expect_feature c1[] = {
		{ "interest", 1, 30, 30, "interest_match" },
		{ "language", 0.6, 20, 12, "german" },
		{ "distance", 1, 20, 20, "near" },
		{ "availability", 1, 20, 20, "times_match" },
		{ "waiting_time", 0.5, 10, 5, "waiting" },
	};
	static const struct expect_feature c2[] = {
		{ "interest", 0, 30, 0, "no_interest_match" },
		{ "language", 1, 20, 20, "shared_native_language" },
		{ "distance", 0.5, 20, 10, "online" },
		{ "availability", 0, 20, 0, "availability_unknown" },
		{ "waiting_time", 0.5, 10, 5, "waiting" },
	};
	struct input_result	 res;
	const cJSON		*props, *p, *st;
	cJSON			*out;

	(void)state;
	run_doc(partners_problem("suggest", 5), &res, &out);
	props = cJSON_GetObjectItem(out, "proposals");
	/* C3 is in another district, C4 is blocked: C1 then C2. */
	assert_int_equal(cJSON_GetArraySize(props), 2);
	p = cJSON_GetArrayItem(props, 0);
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(p,
	    "subject")), ID_A);
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(p,
	    "candidate")), ID_C1);
	assert_true(cJSON_GetNumberValue(cJSON_GetObjectItem(p, "score")) ==
	    8700);
	assert_true(cJSON_GetNumberValue(cJSON_GetObjectItem(
	    cJSON_GetObjectItem(p, "explanation"), "score")) == 87);
	check_features(p, c1, 5);
	p = cJSON_GetArrayItem(props, 1);
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(p,
	    "candidate")), ID_C2);
	assert_true(cJSON_GetNumberValue(cJSON_GetObjectItem(p, "score")) ==
	    3500);
	check_features(p, c2, 5);

	/* Exact decimals in the text, not binary approximations. */
	assert_non_null(strstr(res.json, "\"value\":0.6,\"weight\":20,"
	    "\"points\":12,\"reason\":\"german\""));
	assert_non_null(strstr(res.json, "\"explanation\":{\"score\":87,"));

	st = cJSON_GetObjectItem(out, "stats");
	assert_true(cJSON_GetNumberValue(cJSON_GetObjectItem(st,
	    "subjects")) == 1);
	assert_true(cJSON_GetNumberValue(cJSON_GetObjectItem(st,
	    "candidates")) == 4);
	assert_true(cJSON_GetNumberValue(cJSON_GetObjectItem(st,
	    "admissible")) == 2);
	assert_true(cJSON_GetNumberValue(cJSON_GetObjectItem(st,
	    "pairs_checked")) >= 2);
	assert_true(cJSON_GetNumberValue(cJSON_GetObjectItem(st,
	    "pairs_checked")) <= 4);
	assert_true(cJSON_GetNumberValue(cJSON_GetObjectItem(st,
	    "assigned")) == 2);
	assert_true(cJSON_GetNumberValue(cJSON_GetObjectItem(st,
	    "total_score")) == 12200);
	assert_true(cJSON_IsNumber(cJSON_GetObjectItem(st, "engine_ms")));
	assert_true(cJSON_GetNumberValue(cJSON_GetObjectItem(st,
	    "engine_ms")) >= 0);
	assert_int_equal(res.nproposals, 2);
	assert_int_equal(res.total_score, 12200);
	cJSON_Delete(out);
	input_result_free(&res);
	assert_null(res.json);
}

static void
test_suggest_k_and_min_score(void **state)
{
	struct input_result	 res;
	cJSON			*doc, *out;

	(void)state;
	run_doc(partners_problem("suggest", 1), &res, &out);
	assert_int_equal(res.nproposals, 1);
	(void)proposal_of(out, ID_A, ID_C1);
	cJSON_Delete(out);
	input_result_free(&res);

	doc = partners_problem("suggest", 5);
	set(doc, "min_score", cJSON_CreateNumber(3501));
	run_doc(doc, &res, &out);
	assert_int_equal(res.nproposals, 1);
	(void)proposal_of(out, ID_A, ID_C1);
	assert_true(cJSON_GetNumberValue(cJSON_GetObjectItem(
	    cJSON_GetObjectItem(out, "stats"), "admissible")) == 1);
	cJSON_Delete(out);
	input_result_free(&res);
}

static void
test_excluded_pairs(void **state)
{
	struct input_result	 res;
	const cJSON		*props;
	cJSON			*doc, *out;

	(void)state;
	/* Without the block, C4 ties with C1 and comes after it (id). */
	doc = partners_problem("suggest", 5);
	set(doc, "excluded", cJSON_CreateArray());
	run_doc(doc, &res, &out);
	props = cJSON_GetObjectItem(out, "proposals");
	assert_int_equal(cJSON_GetArraySize(props), 3);
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(
	    cJSON_GetArrayItem(props, 0), "candidate")), ID_C1);
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(
	    cJSON_GetArrayItem(props, 1), "candidate")), ID_C4);
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(
	    cJSON_GetArrayItem(props, 2), "candidate")), ID_C2);
	cJSON_Delete(out);
	input_result_free(&res);

	/* Declined before: C1 goes too. */
	doc = partners_problem("suggest", 5);
	cJSON_AddItemToArray(at(doc, "excluded", -1), pair(ID_A, ID_C1,
	    ENGINE_PAIR_DECLINED));
	run_doc(doc, &res, &out);
	props = cJSON_GetObjectItem(out, "proposals");
	assert_int_equal(cJSON_GetArraySize(props), 1);
	(void)proposal_of(out, ID_A, ID_C2);
	cJSON_Delete(out);
	input_result_free(&res);
}

/*
 * Two participants, two places: A likes C1 (87) and C2 (35), B only C1
 * (82: no Ukrainian, just registered; C4 is blocked for both).  The
 * optimum gives C1 to B and C2 to A (117); deferred acceptance lets C1
 * keep A, its better suitor, and B goes without (87).
 */
static cJSON *
cohort(const char *kind)
{
	cJSON	*doc, *a;

	doc = partners_problem(kind, 0);
	a = at(doc, "subjects", -1);
	cJSON_AddItemToArray(a, subject(ID_B, 0, 0));
	set(at(doc, "candidates", 0), "capacity", cJSON_CreateNumber(1));
	cJSON_AddItemToArray(at(doc, "excluded", -1), pair(ID_B, ID_C4,
	    ENGINE_PAIR_BLOCKED));
	return (doc);
}

static void
test_batch(void **state)
{
	struct input_result	 res;
	const cJSON		*p, *st;
	cJSON			*doc, *out;

	(void)state;
	run_doc(cohort("batch"), &res, &out);
	assert_int_equal(res.nproposals, 2);
	p = proposal_of(out, ID_A, ID_C2);
	assert_true(cJSON_GetNumberValue(cJSON_GetObjectItem(p, "score")) ==
	    3500);
	p = proposal_of(out, ID_B, ID_C1);
	assert_true(cJSON_GetNumberValue(cJSON_GetObjectItem(p, "score")) ==
	    8200);
	st = cJSON_GetObjectItem(out, "stats");
	assert_true(cJSON_GetNumberValue(cJSON_GetObjectItem(st,
	    "total_score")) == 11700);
	assert_true(cJSON_GetNumberValue(cJSON_GetObjectItem(st,
	    "assigned")) == 2);
	/* A-C1, A-C2, B-C1. */
	assert_true(cJSON_GetNumberValue(cJSON_GetObjectItem(st,
	    "admissible")) == 3);
	assert_true(cJSON_GetNumberValue(cJSON_GetObjectItem(st,
	    "subjects")) == 2);
	cJSON_Delete(out);
	input_result_free(&res);

	/* Above 40 points only the C1 pairs are left: A has the better. */
	doc = cohort("batch");
	set(doc, "min_score", cJSON_CreateNumber(4000));
	run_doc(doc, &res, &out);
	assert_int_equal(res.nproposals, 1);
	(void)proposal_of(out, ID_A, ID_C1);
	assert_int_equal(res.total_score, 8700);
	cJSON_Delete(out);
	input_result_free(&res);
}

static void
test_stable(void **state)
{
	static const struct expect_feature a_c1[] = {
		{ "interest", 1, 30, 30, "interest_match" },
		{ "language", 0.6, 20, 12, "german" },
		{ "distance", 1, 20, 20, "near" },
		{ "availability", 1, 20, 20, "times_match" },
		{ "waiting_time", 0.5, 10, 5, "waiting" },
	};
	struct input_result	 res;
	const cJSON		*p, *st;
	cJSON			*out;

	(void)state;
	run_doc(cohort("stable"), &res, &out);
	assert_int_equal(res.nproposals, 1);
	p = proposal_of(out, ID_A, ID_C1);
	check_features(p, a_c1, 5);
	st = cJSON_GetObjectItem(out, "stats");
	assert_true(cJSON_GetNumberValue(cJSON_GetObjectItem(st,
	    "total_score")) == 8700);
	assert_true(cJSON_GetNumberValue(cJSON_GetObjectItem(st,
	    "assigned")) == 1);
	cJSON_Delete(out);
	input_result_free(&res);
}

static void
test_women(void **state)
{
	static const int	 dw[ENGINE_F_COUNT] = {
		0, 3000, 2000, 1500, 1000, 1500, 1000
	};
	static const int	 dist_w[ENGINE_F_COUNT] = {
		0, 5000, 1000, 1000, 1000, 1000, 1000
	};
	static const struct expect_feature want[] = {
		{ "occupation", 0.75, 50, 37.5, "same_occupation_main_group" },
		{ "goals", 0.5, 10, 5, "goals_partly_covered" },
		{ "language", 0.6, 10, 6, "german" },
		{ "distance", 1, 10, 10, "near" },
		{ "availability", 1, 10, 10, "times_match" },
		{ "waiting_time", 1, 10, 10, "waiting_long" },
	};
	struct input_result	 res;
	const cJSON		*p;
	cJSON			*doc, *s, *c, *w, *out;

	(void)state;
	doc = partners_problem("suggest", 3);
	set(doc, "programme", cJSON_CreateString("women"));
	set(doc, "default_weights", cJSON_CreateIntArray(dw, ENGINE_F_COUNT));
	/* The mentee's district has its own weights. */
	w = cJSON_CreateObject();
	cJSON_AddNumberToObject(w, "district", 16051);
	cJSON_AddItemToObject(w, "w", cJSON_CreateIntArray(dist_w,
	    ENGINE_F_COUNT));
	cJSON_AddItemToArray(at(doc, "weights", -1), w);
	s = at(doc, "subjects", 0);
	set(s, "kldb", cJSON_CreateString("8141"));
	set(s, "goals", cJSON_CreateNumber(3));
	set(s, "waiting_days", cJSON_CreateNumber(120));
	cJSON_DeleteItemFromArray(at(s, "langs", -1), 0);
	c = at(doc, "candidates", 0);
	set(c, "kldb", cJSON_CreateString("8151"));
	set(c, "support", cJSON_CreateNumber(6));
	set(c, "category", cJSON_CreateNumber(0));
	run_doc(doc, &res, &out);
	/* C2 shares no language now, C3 is elsewhere, C4 blocked. */
	assert_int_equal(res.nproposals, 1);
	p = proposal_of(out, ID_A, ID_C1);
	assert_true(cJSON_GetNumberValue(cJSON_GetObjectItem(p, "score")) ==
	    7850);
	assert_true(cJSON_GetNumberValue(cJSON_GetObjectItem(
	    cJSON_GetObjectItem(p, "explanation"), "score")) == 78.5);
	check_features(p, want, 6);
	assert_non_null(strstr(res.json, "\"points\":37.5,"));
	cJSON_Delete(out);
	input_result_free(&res);
}

static void
test_tags_beyond_64(void **state)
{
	struct input_job	 job;
	char			 err[ERRLEN], tag[16];
	char			*text;
	cJSON			*doc, *cands, *c, *tags;
	int			 i;

	(void)state;
	doc = partners_problem("batch", 0);
	cands = at(doc, "candidates", -1);
	/* C1: football, youth; C2: chess; C3: t3..t69; C4: t0, t64, youth. */
	tags = at(cJSON_GetArrayItem(cands, 2), "tags", -1);
	cJSON_DeleteItemFromArray(tags, 1);
	cJSON_DeleteItemFromArray(tags, 0);
	for (i = 3; i < 70; i++) {
		(void)snprintf(tag, sizeof(tag), "t%d", i);
		cJSON_AddItemToArray(tags, cJSON_CreateString(tag));
	}
	c = cJSON_GetArrayItem(cands, 3);
	tags = cJSON_CreateArray();
	cJSON_AddItemToArray(tags, cJSON_CreateString("t64"));
	cJSON_AddItemToArray(tags, cJSON_CreateString("t3"));
	cJSON_AddItemToArray(tags, cJSON_CreateString("youth"));
	set(c, "tags", tags);
	text = print(doc);
	cJSON_Delete(doc);
	assert_int_equal(input_parse(text, strlen(text), NULL, &job, err,
	    sizeof(err)), INPUT_OK);
	free(text);
	assert_int_equal(job.ntags, INPUT_MAX_TAGS);
	assert_int_equal(job.candidates[0].tags, 0x3);
	assert_int_equal(job.candidates[1].tags, 0x4);
	/* t3..t63 take bits 3..63; t64..t69 get none. */
	assert_true(job.candidates[2].tags == ~(uint64_t)0x7);
	/* t64 ignored, t3 bit 3, youth bit 1. */
	assert_true(job.candidates[3].tags == ((1ULL << 3) | (1ULL << 1)));
	input_free(&job);
}

/* The database sends null when no district has weights of its own. */
static void
test_weights_null(void **state)
{
	struct input_result	 res;
	cJSON			*doc, *out;

	(void)state;
	doc = partners_problem("suggest", 5);
	set(doc, "weights", cJSON_CreateNull());
	run_doc(doc, &res, &out);
	assert_int_equal(res.nproposals, 2);
	assert_int_equal(res.total_score, 12200);
	cJSON_Delete(out);
	input_result_free(&res);
}

static void
test_langs_beyond_eight(void **state)
{
	static const char *const codes[] = {
		"ar", "ru", "prs", "ps", "fa", "kmr", "tr", "ti", "so"
	};
	struct input_job	 job;
	char			 err[ERRLEN];
	char			*text;
	cJSON			*doc, *langs;
	size_t			 i;

	(void)state;
	doc = partners_problem("batch", 0);
	langs = at(at(doc, "subjects", 0), "langs", -1);
	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		cJSON_AddItemToArray(langs, lang(codes[i], ENGINE_LEVEL_A2));
	text = print(doc);
	cJSON_Delete(doc);
	assert_int_equal(input_parse(text, strlen(text), NULL, &job, err,
	    sizeof(err)), INPUT_OK);
	free(text);
	assert_int_equal(job.subjects[0].nlangs, ENGINE_MAX_LANGS);
	assert_string_equal(job.subjects[0].langs[0].code, "uk");
	assert_string_equal(job.subjects[0].langs[2].code, "ar");
	assert_string_equal(job.subjects[0].langs[4].code, "prs");
	assert_string_equal(job.subjects[0].langs[7].code, "kmr");
	input_free(&job);
}

static void
test_empty_cohort(void **state)
{
	struct input_result	 res;
	const char		*want;
	cJSON			*doc, *out;

	(void)state;
	doc = partners_problem("batch", 0);
	set(doc, "subjects", cJSON_CreateArray());
	set(doc, "candidates", cJSON_CreateArray());
	set(doc, "excluded", cJSON_CreateArray());
	run_doc(doc, &res, &out);
	assert_int_equal(res.nproposals, 0);
	want = "{\"proposals\":[],\"stats\":{\"subjects\":0,"
	    "\"candidates\":0,\"pairs_checked\":0,\"admissible\":0,"
	    "\"assigned\":0,\"total_score\":0,\"engine_ms\":";
	assert_memory_equal(res.json, want, strlen(want));
	cJSON_Delete(out);
	input_result_free(&res);
}

/* text with the first from replaced by to (malloc'd). */
static char *
replace(const char *text, const char *from, const char *to)
{
	const char	*at;
	char		*out;
	size_t		 n;

	assert_non_null(at = strstr(text, from));
	n = strlen(text) - strlen(from) + strlen(to);
	assert_non_null(out = malloc(n + 1));
	memcpy(out, text, (size_t)(at - text));
	strcpy(out + (at - text), to);
	strcat(out, at + strlen(from));
	return (out);
}

/*
 * The cache: the same candidates are parsed once, changed ones again;
 * candidates first (as the database sends them) or last; a refused input
 * leaves the cache as it was.
 */
/*
 * Runs text with its candidates member removed and prefix in place of its
 * opening, against cache; an accepted run must give what the full text
 * gives.
 */
static void
left_out(const char *text, struct input_cache *cache, const char *prefix,
    int want)
{
	struct input_result	 full, held;
	char			 err[ERRLEN], *doc;
	const char		*end;
	size_t			 n;
	int			 depth;

	/* The candidates array is the first member: skip to its end. */
	end = strchr(text, '[');
	assert_non_null(end);
	for (depth = 0; *end != '\0'; end++) {
		if (*end == '[')
			depth++;
		else if (*end == ']' && --depth == 0)
			break;
	}
	assert_memory_equal(end, "],", 2);
	n = strlen(prefix) + strlen(end + 2) + 1;
	doc = malloc(n);
	assert_non_null(doc);
	(void)snprintf(doc, n, "%s%s", prefix, end + 2);
	assert_int_equal(run_text(doc, strlen(doc), cache, &held, err), want);
	if (want == INPUT_OK) {
		assert_int_equal(run_text(text, strlen(text), NULL, &full, err),
		    INPUT_OK);
		assert_same_result(&full, &held);
		input_result_free(&full);
		input_result_free(&held);
	} else
		assert_non_null(strstr(err, "candidates"));
	free(doc);
}

static void
test_cache(void **state)
{
	struct input_cache	 cache;
	struct input_result	 plain, cached;
	struct input_job	 job;
	char			 err[ERRLEN];
	char			*a, *b, *c, *bad_text;
	cJSON			*doc, *first;
	uint64_t		 hits, misses;

	(void)state;
	memset(&cache, 0, sizeof(cache));
	doc = partners_problem("suggest", 5);
	a = print(doc);
	/* Another subject, the same candidates, in the database's order. */
	first = cJSON_CreateObject();
	cJSON_AddItemReferenceToObject(first, "candidates",
	    at(doc, "candidates", -1));
	set(at(doc, "subjects", 0), "id", cJSON_CreateString(ID_B));
	set(at(doc, "subjects", 0), "waiting_days", cJSON_CreateNumber(0));
	cJSON_DeleteItemFromObject(doc, "excluded");
	cJSON_AddItemToObject(first, "excluded", cJSON_CreateArray());
	cJSON_AddItemReferenceToObject(first, "subjects",
	    at(doc, "subjects", -1));
	cJSON_AddItemReferenceToObject(first, "kind", at(doc, "kind", -1));
	cJSON_AddItemReferenceToObject(first, "programme",
	    at(doc, "programme", -1));
	cJSON_AddItemReferenceToObject(first, "k", at(doc, "k", -1));
	cJSON_AddItemReferenceToObject(first, "min_score",
	    at(doc, "min_score", -1));
	cJSON_AddItemReferenceToObject(first, "default_weights",
	    at(doc, "default_weights", -1));
	cJSON_AddItemReferenceToObject(first, "weights",
	    at(doc, "weights", -1));
	b = print(first);
	assert_memory_equal(b, "{\"candidates\":[", 15);
	/* A place fewer at C1. */
	set(at(doc, "candidates", 0), "capacity", cJSON_CreateNumber(0));
	c = print(first);
	cJSON_Delete(first);
	cJSON_Delete(doc);

	assert_int_equal(run_text(a, strlen(a), &cache, &cached, err),
	    INPUT_OK);
	input_result_free(&cached);
	assert_int_equal(cache.misses, 1);
	assert_int_equal(cache.ncandidates, 4);
	assert_int_equal(cache.ntags, 3);

	/* B's own job reuses A's candidates and gives what a parse does. */
	assert_int_equal(run_text(b, strlen(b), &cache, &cached, err),
	    INPUT_OK);
	assert_int_equal(cache.hits, 1);
	assert_int_equal(cache.misses, 1);
	assert_int_equal(run_text(b, strlen(b), NULL, &plain, err), INPUT_OK);
	assert_same_result(&plain, &cached);
	/* Not blocked for B: C1 and C4 (8200 each), C2 (3000). */
	assert_int_equal(plain.nproposals, 3);
	assert_int_equal(plain.total_score, 8200 + 8200 + 3000);
	input_result_free(&plain);
	input_result_free(&cached);

	/* Changed candidates are parsed again: C1 is full. */
	assert_int_equal(run_text(c, strlen(c), &cache, &cached, err),
	    INPUT_OK);
	assert_int_equal(cache.misses, 2);
	assert_int_equal(cached.nproposals, 2);
	assert_null(strstr(cached.json, ID_C1));
	input_result_free(&cached);

	/* A refused candidate list leaves the cache alone. */
	bad_text = replace(b, "\"capacity\":2", "\"capacity\":-2");
	assert_int_equal(input_parse(bad_text, strlen(bad_text), &cache, &job,
	    err, sizeof(err)), INPUT_INVALID);
	assert_non_null(strstr(err, "candidates[0].capacity"));
	free(bad_text);
	assert_int_equal(cache.misses, 3);
	assert_int_equal(run_text(c, strlen(c), &cache, &cached, err),
	    INPUT_OK);
	assert_int_equal(cache.hits, 2);
	input_result_free(&cached);

	/* Trailing bytes, a second candidates member: refused either way. */
	bad_text = replace(b, "]}", "]} x");
	assert_int_equal(input_parse(bad_text, strlen(bad_text), &cache, &job,
	    err, sizeof(err)), INPUT_INVALID);
	assert_non_null(strstr(err, "not a JSON document"));
	assert_int_equal(input_parse(bad_text, strlen(bad_text), NULL, &job,
	    err, sizeof(err)), INPUT_INVALID);
	free(bad_text);
	bad_text = replace(b, "\"excluded\":[]", "\"candidates\":[]");
	assert_int_equal(input_parse(bad_text, strlen(bad_text), &cache, &job,
	    err, sizeof(err)), INPUT_INVALID);
	assert_non_null(strstr(err, "candidates: given twice"));
	free(bad_text);

	/*
	 * Candidates left out by the database because the worker holds
	 * their epoch: taken from the cache when the epoch matches, refused
	 * when it does not.
	 */
	bad_text = replace(c, "{\"candidates\":[", "{\"epoch\":7,\"candidates\":[");
	assert_int_equal(run_text(bad_text, strlen(bad_text), &cache, &cached,
	    err), INPUT_OK);
	input_result_free(&cached);
	free(bad_text);
	assert_int_equal(cache.epoch, 7);
	left_out(c, &cache, "{\"epoch\":7,", INPUT_OK);
	left_out(c, &cache, "{\"epoch\":8,", INPUT_INVALID);
	left_out(c, &cache, "{", INPUT_INVALID);

	/* A key the scan does not know (escaped) is parsed the plain way. */
	hits = cache.hits;
	misses = cache.misses;
	bad_text = replace(b, "\"candidates\"", "\"candid\\u0061tes\"");
	assert_int_equal(run_text(bad_text, strlen(bad_text), &cache, &cached,
	    err), INPUT_OK);
	assert_int_equal(cache.hits, hits);
	assert_int_equal(cache.misses, misses);
	assert_int_equal(cached.nproposals, 3);
	input_result_free(&cached);
	free(bad_text);

	input_cache_free(&cache);
	assert_null(cache.text);
	free(a);
	free(b);
	free(c);
}

/*
 * Damaged documents (bytes changed, cut short): never a crash, and the
 * cached and plain parses agree on every one.
 */
static void
test_damaged_documents(void **state)
{
	static const char	 junk[] = "{}[],:\"\\0aez-. \x01\xc3";
	struct input_cache	 cache;
	struct input_result	 r1, r2;
	char			 err[ERRLEN];
	char			*text, *copy;
	cJSON			*doc;
	uint64_t		 x;
	size_t			 len, n, k;
	int			 i, rc1, rc2, ok;

	(void)state;
	doc = partners_problem("batch", 0);
	text = print(doc);
	cJSON_Delete(doc);
	len = strlen(text);
	assert_non_null(copy = malloc(len + 1));
	memset(&cache, 0, sizeof(cache));
	x = 88172645463325252ULL;
	ok = 0;
	for (i = 0; i < 3000; i++) {
		memcpy(copy, text, len + 1);
		n = len;
		for (k = 0; k < 1 + (size_t)(i % 3); k++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			if (i % 10 == 0)
				n = (size_t)(x % len);
			else
				copy[x % len] = junk[(x >> 32) %
				    (sizeof(junk) - 1)];
		}
		rc1 = run_text(copy, n, NULL, &r1, err);
		rc2 = run_text(copy, n, &cache, &r2, err);
		assert_int_equal(rc1, rc2);
		if (rc1 == INPUT_OK) {
			assert_same_result(&r1, &r2);
			ok++;
		}
		input_result_free(&r1);
		input_result_free(&r2);
	}
	/* Some damage is harmless (a changed digit): both kinds occur. */
	assert_true(ok > 0 && ok < 3000);
	input_cache_free(&cache);
	free(copy);
	free(text);
}

static void
test_bad_documents(void **state)
{
	struct input_job	 job;
	char			 err[ERRLEN];
	static const char *const texts[] = {
		"", "{", "[]", "null", "\"suggest\"", "{\"kind\":\"batch\"}",
		"{\"kind\":\"batch\",\"kind\":\"batch\"}"
	};
	static const char *const want[] = {
		"not a JSON document", "not a JSON document",
		"must be an object", "must be an object", "must be an object",
		"programme", "kind: given twice"
	};
	size_t			 i;

	(void)state;
	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		err[0] = '\0';
		assert_int_equal(input_parse(texts[i], strlen(texts[i]), NULL,
		    &job, err, sizeof(err)), INPUT_INVALID);
		if (strstr(err, want[i]) == NULL)
			fail_msg("%s: error \"%s\"", texts[i], err);
	}
	/* The length counts, not a NUL. */
	assert_int_equal(input_parse("{}", 1, NULL, &job, err, sizeof(err)),
	    INPUT_INVALID);
	/* No room for a message is fine too. */
	assert_int_equal(input_parse("{", 1, NULL, &job, NULL, 0),
	    INPUT_INVALID);
}

/*
 * Control characters, which cJSON takes for whitespace (NUL included)
 * or inside strings: refused with and without a cache. They were taken
 * in a whole document but refused in one the cache splits, whose borders
 * are found by JSON's whitespace (found by tests/fuzz).
 */
static void
test_control_bytes(void **state)
{
	static const char *const bad[] = {
		"\"candidates\":\x08", "\"candidates\":\x01\x1f ",
		"\"foot\x01" "ball\"", "{\x0b"
	};
	static const char *const from[] = {
		"\"candidates\":", "\"candidates\":", "\"football\"", "{"
	};
	struct input_cache	 cache;
	struct input_job	 job;
	char			 err[ERRLEN];
	char			*text, *t, *nul;
	cJSON			*doc;
	size_t			 i, len;

	(void)state;
	doc = partners_problem("suggest", 5);
	text = print(doc);
	cJSON_Delete(doc);
	memset(&cache, 0, sizeof(cache));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		t = replace(text, from[i], bad[i]);
		assert_int_equal(input_parse(t, strlen(t), NULL, &job, err,
		    sizeof(err)), INPUT_INVALID);
		assert_int_equal(input_parse(t, strlen(t), &cache, &job, err,
		    sizeof(err)), INPUT_INVALID);
		free(t);
	}

	/* NUL bytes where a space may stand (the length counts). */
	t = replace(text, "\"candidates\":", "\"candidates\":#");
	len = strlen(t);
	assert_non_null(nul = strchr(t, '#'));
	*nul = '\0';
	assert_int_equal(input_parse(t, len, NULL, &job, err, sizeof(err)),
	    INPUT_INVALID);
	assert_int_equal(input_parse(t, len, &cache, &job, err, sizeof(err)),
	    INPUT_INVALID);
	free(t);

	/* The document as it was is still fine. */
	assert_int_equal(input_parse(text, strlen(text), &cache, &job, err,
	    sizeof(err)), INPUT_OK);
	input_free(&job);
	input_cache_free(&cache);
	free(text);
}

/*
 * An epoch of 2^63 passed the range check, as (double)INT64_MAX rounds
 * up to it, and its conversion to int64_t was undefined (found while
 * writing tests/fuzz; jsonb prints the largest bigint, 2^63 - 1, as a
 * number that parses to that double).
 */
static void
test_epoch_beyond_int64(void **state)
{
	cJSON	*d;

	(void)state;
	d = partners_problem("suggest", 5);
	set(d, "epoch", cJSON_CreateNumber(0x1p63));
	expect_invalid(d, "epoch: must be an integer");
	d = partners_problem("suggest", 5);
	set(d, "epoch", cJSON_CreateNumber(1e300));
	expect_invalid(d, "epoch: must be an integer");
	d = partners_problem("suggest", 5);
	set(d, "epoch", cJSON_CreateNumber(-0x1p63));
	expect_invalid(d, "epoch: must be an integer");
}

static void
test_bad_members(void **state)
{
	cJSON	*d;

	(void)state;
	d = partners_problem("match", 5);
	expect_invalid(d, "kind: must be");
	d = partners_problem("suggest", 5);
	cJSON_DeleteItemFromObject(d, "programme");
	expect_invalid(d, "programme: must be");
	d = partners_problem("suggest", 0);
	expect_invalid(d, "k: missing");
	expect_invalid(partners_problem("suggest", 21),
	    "k: must be an integer from 1 to 20");
	d = partners_problem("suggest", 5);
	set(d, "k", cJSON_CreateNumber(2.5));
	expect_invalid(d, "k: must be an integer");
	d = partners_problem("suggest", 5);
	set(d, "k", cJSON_CreateString("5"));
	expect_invalid(d, "k: must be an integer");
	d = partners_problem("batch", 0);
	set(d, "min_score", cJSON_CreateNumber(10001));
	expect_invalid(d, "min_score: must be an integer from 0 to 10000");
	d = partners_problem("batch", 0);
	set(d, "min_score", cJSON_CreateNumber(-1));
	expect_invalid(d, "min_score");
	d = partners_problem("batch", 0);
	cJSON_DeleteItemFromObject(d, "min_score");
	expect_invalid(d, "min_score: missing");
	d = partners_problem("batch", 0);
	cJSON_DeleteItemFromArray(at(d, "default_weights", -1), 0);
	expect_invalid(d, "default_weights: must hold 7 integers");
	d = partners_problem("batch", 0);
	set(d, "weights", cJSON_CreateObject());
	expect_invalid(d, "weights: must be an array");
	d = partners_problem("batch", 0);
	cJSON_AddItemToArray(at(d, "weights", -1), cJSON_CreateNumber(1));
	expect_invalid(d, "weights[0]: must be an object");
	d = partners_problem("batch", 0);
	cJSON_DeleteItemFromObject(d, "weights");
	expect_invalid(d, "weights: missing");
	d = partners_problem("batch", 0);
	set(d, "subjects", cJSON_CreateString("x"));
	expect_invalid(d, "subjects: must be an array");
	d = partners_problem("batch", 0);
	cJSON_DeleteItemFromObject(d, "candidates");
	expect_invalid(d, "candidates: missing");
	d = partners_problem("batch", 0);
	cJSON_DeleteItemFromObject(d, "excluded");
	expect_invalid(d, "excluded: missing");
}

static void
test_bad_subjects(void **state)
{
	cJSON	*d, *s;

	(void)state;
	d = partners_problem("batch", 0);
	set(at(d, "subjects", 0), "id", cJSON_CreateString("not-a-uuid"));
	expect_invalid(d, "subjects[0].id: must be a uuid");
	d = partners_problem("batch", 0);
	cJSON_AddItemToArray(at(d, "subjects", -1), subject(ID_A, 1, 1));
	expect_invalid(d, "subjects: id " ID_A " given twice");
	d = partners_problem("batch", 0);
	set(at(d, "subjects", 0), "radius_m", cJSON_CreateString("10"));
	expect_invalid(d, "subjects[0].radius_m: must be an integer");
	d = partners_problem("batch", 0);
	set(at(d, "subjects", 0), "availability",
	    cJSON_CreateNumber(1 << 21));
	expect_invalid(d, "subjects[0].availability");
	d = partners_problem("batch", 0);
	set(at(d, "subjects", 0), "interests",
	    cJSON_CreateNumber(1 << ENGINE_CAT_COUNT));
	expect_invalid(d, "subjects[0].interests");
	d = partners_problem("batch", 0);
	set(at(d, "subjects", 0), "gender", cJSON_CreateNumber(4));
	expect_invalid(d, "subjects[0].gender");
	d = partners_problem("batch", 0);
	set(at(d, "subjects", 0), "age", cJSON_CreateNumber(151));
	expect_invalid(d, "subjects[0].age: must be an integer from 0 to 150");
	d = partners_problem("batch", 0);
	set(at(d, "subjects", 0), "active", cJSON_CreateString("yes"));
	expect_invalid(d, "subjects[0].active: must be true or false");
	d = partners_problem("batch", 0);
	cJSON_DeleteItemFromObject(at(d, "subjects", 0),
	    "consent_cross_district");
	expect_invalid(d, "subjects[0].consent_cross_district: missing");
	d = partners_problem("batch", 0);
	set(at(d, "subjects", 0), "lat", cJSON_CreateNumber(91));
	expect_invalid(d, "subjects[0].lat");
	d = partners_problem("batch", 0);
	set(at(d, "subjects", 0), "lon", cJSON_CreateNull());
	expect_invalid(d, "subjects[0].lon");
	d = partners_problem("batch", 0);
	s = at(at(d, "subjects", 0), "langs", 1);
	set(s, "code", cJSON_CreateString("DE"));
	expect_invalid(d, "subjects[0].langs[1].code");
	d = partners_problem("batch", 0);
	s = at(at(d, "subjects", 0), "langs", 0);
	set(s, "code", cJSON_CreateString("ukra"));
	expect_invalid(d, "subjects[0].langs[0].code");
	/* A subject states a level for each language. */
	d = partners_problem("batch", 0);
	s = at(at(d, "subjects", 0), "langs", 0);
	set(s, "level", cJSON_CreateNumber(0));
	expect_invalid(d, "subjects[0].langs[0].level");
	d = partners_problem("batch", 0);
	s = at(at(d, "subjects", 0), "langs", 0);
	set(s, "level", cJSON_CreateNumber(8));
	expect_invalid(d, "subjects[0].langs[0].level");
	d = partners_problem("batch", 0);
	set(at(d, "subjects", 0), "kldb", cJSON_CreateString("123456"));
	expect_invalid(d, "subjects[0].kldb: must be up to 5 digits");
	d = partners_problem("batch", 0);
	set(at(d, "subjects", 0), "kldb", cJSON_CreateString("81a"));
	expect_invalid(d, "subjects[0].kldb");
	d = partners_problem("batch", 0);
	set(at(d, "subjects", 0), "kldb", cJSON_CreateNull());
	expect_invalid(d, "subjects[0].kldb: must be a string");
}

static void
test_bad_candidates(void **state)
{
	cJSON	*d, *tags;

	(void)state;
	d = partners_problem("batch", 0);
	tags = at(at(d, "candidates", 1), "tags", -1);
	cJSON_AddItemToArray(tags, cJSON_CreateNumber(1));
	expect_invalid(d, "candidates[1].tags: must hold strings");
	d = partners_problem("batch", 0);
	set(at(d, "candidates", 0), "category",
	    cJSON_CreateNumber(ENGINE_CAT_COUNT));
	expect_invalid(d, "candidates[0].category");
	d = partners_problem("batch", 0);
	set(at(d, "candidates", 0), "age_min", cJSON_CreateNumber(30));
	set(at(d, "candidates", 0), "age_max", cJSON_CreateNumber(20));
	expect_invalid(d, "candidates[0].age_max: must not be below age_min");
	d = partners_problem("batch", 0);
	set(at(d, "candidates", 0), "capacity", cJSON_CreateNumber(-1));
	expect_invalid(d, "candidates[0].capacity");
	d = partners_problem("batch", 0);
	set(at(d, "candidates", 0), "capacity", cJSON_CreateNumber(1e300));
	expect_invalid(d, "candidates[0].capacity");
	d = partners_problem("batch", 0);
	set(at(d, "candidates", 0), "min_german", cJSON_CreateNumber(8));
	expect_invalid(d, "candidates[0].min_german");
	d = partners_problem("batch", 0);
	set(at(d, "candidates", 1), "lat", cJSON_CreateString("50"));
	expect_invalid(d, "candidates[1].lat: must be a number or null");
	d = partners_problem("batch", 0);
	set(at(d, "candidates", 3), "id", cJSON_CreateString(ID_C1));
	expect_invalid(d, "candidates: id " ID_C1 " given twice");
	d = partners_problem("batch", 0);
	set(at(d, "candidates", 0), "online", cJSON_CreateNumber(1));
	expect_invalid(d, "candidates[0].online: must be true or false");
	d = partners_problem("batch", 0);
	set(at(d, "candidates", 2), "langs", cJSON_CreateNull());
	expect_invalid(d, "candidates[2].langs: must be an array");
	d = partners_problem("batch", 0);
	cJSON_AddItemToArray(at(at(d, "candidates", 2), "langs", -1),
	    cJSON_CreateString("de"));
	expect_invalid(d, "candidates[2].langs[1]: must be an object");
}

static void
test_bad_excluded(void **state)
{
	cJSON	*d;

	(void)state;
	d = partners_problem("batch", 0);
	set(at(d, "excluded", 0), "kind", cJSON_CreateNumber(2));
	expect_invalid(d, "excluded[0].kind: must be an integer from 0 to 1");
	d = partners_problem("batch", 0);
	set(at(d, "excluded", 1), "subject", cJSON_CreateString("x"));
	expect_invalid(d, "excluded[1].subject: must be a uuid");
	d = partners_problem("batch", 0);
	cJSON_DeleteItemFromObject(at(d, "excluded", 2), "candidate");
	expect_invalid(d, "excluded[2].candidate: missing");
}

/* Well-formed but refused by the engine: its message is passed on. */
static void
test_engine_refuses(void **state)
{
	struct input_job	 job;
	struct input_result	 res;
	char			 err[ERRLEN];
	char			*text;
	cJSON			*d, *w;

	(void)state;
	d = partners_problem("batch", 0);
	/* Weights that do not add up to 100 points. */
	cJSON_ReplaceItemInArray(at(d, "default_weights", -1), 0,
	    cJSON_CreateNumber(2000));
	text = print(d);
	cJSON_Delete(d);
	assert_int_equal(input_parse(text, strlen(text), NULL, &job, err,
	    sizeof(err)), INPUT_OK);
	free(text);
	memset(&res, 0x5a, sizeof(res));
	assert_int_equal(input_run(&job, &res, err, sizeof(err)),
	    INPUT_INVALID);
	assert_non_null(strstr(err, "default weights invalid"));
	assert_null(res.json);
	input_free(&job);

	/* Two weights for one district. */
	d = partners_problem("batch", 0);
	w = cJSON_CreateObject();
	cJSON_AddNumberToObject(w, "district", 16051);
	cJSON_AddItemToObject(w, "w", cJSON_Duplicate(at(d,
	    "default_weights", -1), 1));
	cJSON_AddItemToArray(at(d, "weights", -1), w);
	cJSON_AddItemToArray(at(d, "weights", -1), cJSON_Duplicate(w, 1));
	text = print(d);
	cJSON_Delete(d);
	assert_int_equal(input_parse(text, strlen(text), NULL, &job, err,
	    sizeof(err)), INPUT_OK);
	free(text);
	assert_int_equal(job.problem.nweights, 2);
	assert_int_equal(input_run(&job, &res, err, sizeof(err)),
	    INPUT_INVALID);
	assert_non_null(strstr(err, "district 16051"));
	input_free(&job);
}

static void
test_names(void **state)
{
	enum input_kind		k;
	enum engine_programme	p;

	(void)state;
	assert_int_equal(input_kind_parse("stable", &k), 0);
	assert_int_equal(k, INPUT_STABLE);
	assert_string_equal(input_kind_name(k), "stable");
	assert_int_equal(input_kind_parse("Stable", &k), -1);
	assert_int_equal(input_kind_parse(NULL, &k), -1);
	assert_int_equal(input_programme_parse("women", &p), 0);
	assert_int_equal(p, ENGINE_WOMEN);
	assert_string_equal(input_programme_name(p), "women");
	assert_int_equal(input_programme_parse("woman", &p), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uuid),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_parse_fills_problem),
		cmocka_unit_test(test_suggest),
		cmocka_unit_test(test_suggest_k_and_min_score),
		cmocka_unit_test(test_excluded_pairs),
		cmocka_unit_test(test_batch),
		cmocka_unit_test(test_stable),
		cmocka_unit_test(test_women),
		cmocka_unit_test(test_tags_beyond_64),
		cmocka_unit_test(test_langs_beyond_eight),
		cmocka_unit_test(test_weights_null),
		cmocka_unit_test(test_empty_cohort),
		cmocka_unit_test(test_cache),
		cmocka_unit_test(test_damaged_documents),
		cmocka_unit_test(test_bad_documents),
		cmocka_unit_test(test_control_bytes),
		cmocka_unit_test(test_epoch_beyond_int64),
		cmocka_unit_test(test_bad_members),
		cmocka_unit_test(test_bad_subjects),
		cmocka_unit_test(test_bad_candidates),
		cmocka_unit_test(test_bad_excluded),
		cmocka_unit_test(test_engine_refuses),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
