/* test_engine_suggest.c: top-k suggestions against an exhaustive ranking. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine.h"
#include "instance.h"

struct ranked {
	uint32_t	 cand;
	uint32_t	 score;
	const uint8_t	*id;
};

static int
ranked_cmp(const void *a, const void *b)
{
	const struct ranked	*x = a, *y = b;

	if (x->score != y->score)
		return (x->score > y->score ? -1 : 1);
	return (memcmp(x->id, y->id, ENGINE_ID_LEN));
}

/*
 * For each subject, rank every candidate by asking the engine about each
 * pair (no grid), and compare with what suggest returns.
 */
static void
compare_exhaustive(const struct inst *in, uint32_t nsub, uint32_t min_score,
    size_t k)
{
	struct engine		*e;
	struct engine_suggestion out[ENGINE_SUGGEST_MAX];
	struct engine_explanation x;
	struct ranked		*all;
	size_t			 n, na, i, total;
	uint32_t		 s, c;

	assert_non_null(e = engine_prepare(&in->p, NULL, 0));
	all = calloc(in->p.ncandidates, sizeof(*all));
	assert_non_null(all);
	total = 0;
	for (s = 0; s < nsub; s++) {
		na = 0;
		for (c = 0; c < in->p.ncandidates; c++) {
			if (engine_explain(e, s, c, &x) != ENGINE_OK ||
			    x.score < min_score)
				continue;
			all[na].cand = c;
			all[na].score = x.score;
			all[na].id = in->candidates[c].id;
			na++;
		}
		qsort(all, na, sizeof(*all), ranked_cmp);
		assert_int_equal(engine_suggest(e, s, min_score, k, out, &n),
		    0);
		assert_int_equal(n, na < k ? na : k);
		for (i = 0; i < n; i++) {
			assert_int_equal(out[i].candidate, all[i].cand);
			assert_int_equal(out[i].expl.score, all[i].score);
			assert_int_equal(out[i].expl.violation, ENGINE_OK);
		}
		total += n;
	}
	/* Not a vacuous comparison. */
	assert_true(total >= nsub);
	free(all);
	engine_free(e);
}

static void
test_six_districts(void **state)
{
	struct inst_places	pl;
	struct inst_params	ip;
	struct inst		in;
	char			path[512];

	(void)state;
	assert_int_equal(inst_places_load(inst_data_path(
	    "places-six-districts.csv", path, sizeof(path)), &pl), 0);
	inst_default_params(&ip, ENGINE_PARTNERS, 200, 1500, 77);
	assert_int_equal(inst_generate(&pl, &ip, &in), 0);
	compare_exhaustive(&in, 200, 0, ENGINE_SUGGEST_MAX);
	compare_exhaustive(&in, 50, 6000, 5);
	inst_free(&in);
	inst_default_params(&ip, ENGINE_WOMEN, 100, 300, 78);
	assert_int_equal(inst_generate(&pl, &ip, &in), 0);
	compare_exhaustive(&in, 100, 0, 10);
	inst_free(&in);
	inst_places_free(&pl);
}

/* All of Germany: the grid spans 8 degrees of latitude. */
static void
test_germany(void **state)
{
	struct inst_places	pl;
	struct inst_params	ip;
	struct inst		in;
	char			path[512];

	(void)state;
	assert_int_equal(inst_places_load(inst_data_path(
	    "places-germany.csv", path, sizeof(path)), &pl), 0);
	assert_true(pl.n > 20000);
	inst_default_params(&ip, ENGINE_PARTNERS, 150,
	    getenv("ENGINE_TEST_VALGRIND") ? 3000 : 20000, 79);
	ip.radius_scale = 3.0;
	assert_int_equal(inst_generate(&pl, &ip, &in), 0);
	compare_exhaustive(&in, 150, 0, ENGINE_SUGGEST_MAX);
	inst_free(&in);
	inst_places_free(&pl);
}

static void
test_arguments(void **state)
{
	struct inst_places	 pl;
	struct inst_params	 ip;
	struct inst		 in;
	struct engine		*e;
	struct engine_suggestion out[ENGINE_SUGGEST_MAX];
	char			 path[512];
	size_t			 n;

	(void)state;
	assert_int_equal(inst_places_load(inst_data_path(
	    "places-six-districts.csv", path, sizeof(path)), &pl), 0);
	inst_default_params(&ip, ENGINE_PARTNERS, 10, 50, 80);
	assert_int_equal(inst_generate(&pl, &ip, &in), 0);
	assert_non_null(e = engine_prepare(&in.p, NULL, 0));
	assert_int_equal(engine_suggest(e, 0, 0, ENGINE_SUGGEST_MAX + 1, out,
	    &n), -1);
	assert_int_equal(engine_suggest(e, 10, 0, 5, out, &n), -1);
	assert_int_equal(engine_suggest(e, 0, 0, 0, out, &n), 0);
	assert_int_equal(n, 0);
	/* Nothing reaches more than the maximum score. */
	assert_int_equal(engine_suggest(e, 0, ENGINE_SCORE_MAX + 1, 5, out,
	    &n), 0);
	assert_int_equal(n, 0);
	engine_free(e);
	inst_free(&in);
	inst_places_free(&pl);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_six_districts),
		cmocka_unit_test(test_germany),
		cmocka_unit_test(test_arguments),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
