/* test_engine_batch.c: batch assignments: exact optimum and properties. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine.h"
#include "instance.h"
#include "lemon_ref.h"

/* The graph of all admissible pairs, found by asking about every pair. */
struct allpairs {
	struct engine_graph	 g;
	uint32_t		*cap;
	uint32_t		*start;
	uint32_t		*cand;
	uint32_t		*weight;
};

static struct inst_places	places;

static int
under_valgrind(void)
{
	return (getenv("ENGINE_TEST_VALGRIND") != NULL);
}

static int
setup(void **state)
{
	char	path[512];

	(void)state;
	return (inst_places_load(inst_data_path("places-six-districts.csv",
	    path, sizeof(path)), &places));
}

static int
teardown(void **state)
{
	(void)state;
	inst_places_free(&places);
	return (0);
}

static void
allpairs_build(const struct engine *e, const struct inst *in,
    uint32_t min_score, struct allpairs *a)
{
	struct engine_explanation	x;
	uint32_t			s, c, k, ns, nc;

	ns = (uint32_t)in->p.nsubjects;
	nc = (uint32_t)in->p.ncandidates;
	a->cap = calloc(nc + 1, sizeof(uint32_t));
	a->start = calloc(ns + 1, sizeof(uint32_t));
	a->cand = calloc((size_t)ns * nc + 1, sizeof(uint32_t));
	a->weight = calloc((size_t)ns * nc + 1, sizeof(uint32_t));
	assert_non_null(a->cap);
	assert_non_null(a->start);
	assert_non_null(a->cand);
	assert_non_null(a->weight);
	for (c = 0; c < nc; c++)
		a->cap[c] = in->candidates[c].capacity;
	k = 0;
	for (s = 0; s < ns; s++) {
		for (c = 0; c < nc; c++) {
			if (engine_explain(e, s, c, &x) != ENGINE_OK ||
			    x.score < min_score)
				continue;
			a->cand[k] = c;
			a->weight[k] = x.score;
			k++;
		}
		a->start[s + 1] = k;
	}
	a->g.nsubjects = ns;
	a->g.ncandidates = nc;
	a->g.capacity = a->cap;
	a->g.start = a->start;
	a->g.cand = a->cand;
	a->g.weight = a->weight;
}

static void
allpairs_free(struct allpairs *a)
{
	free(a->cap);
	free(a->start);
	free(a->cand);
	free(a->weight);
}

static void
brute(const struct engine_graph *g, uint32_t i, uint32_t *left, int64_t sum,
    int64_t *best)
{
	uint32_t	j, c;

	if (i == g->nsubjects) {
		if (sum > *best)
			*best = sum;
		return;
	}
	brute(g, i + 1, left, sum, best);
	for (j = g->start[i]; j < g->start[i + 1]; j++) {
		c = g->cand[j];
		if (left[c] == 0)
			continue;
		left[c]--;
		brute(g, i + 1, left, sum + g->weight[j], best);
		left[c]++;
	}
}

/*
 * The properties every batch result must have: admissible pairs only, at
 * or above the minimum, no capacity exceeded, totals that add up.
 */
static int64_t
check_result(const struct engine *e, const struct inst *in,
    const int32_t *match, uint32_t min_score, const struct engine_stats *st)
{
	struct engine_explanation	 x;
	uint32_t			*used, s;
	int64_t				 sum;
	uint64_t			 n;

	used = calloc(in->p.ncandidates + 1, sizeof(*used));
	assert_non_null(used);
	sum = 0;
	n = 0;
	for (s = 0; s < in->p.nsubjects; s++) {
		if (match[s] == ENGINE_NO_MATCH)
			continue;
		assert_true(match[s] >= 0 &&
		    (size_t)match[s] < in->p.ncandidates);
		assert_int_equal(engine_explain(e, s, (uint32_t)match[s], &x),
		    ENGINE_OK);
		assert_true(x.score >= min_score);
		used[match[s]]++;
		assert_true(used[match[s]] <=
		    in->candidates[match[s]].capacity);
		sum += x.score;
		n++;
	}
	assert_int_equal(sum, st->total);
	assert_int_equal(n, st->assigned);
	free(used);
	return (sum);
}

static void
test_small_vs_brute_force(void **state)
{
	struct inst_params	 ip;
	struct inst		 in;
	struct engine		*e;
	struct engine_stats	 st;
	struct allpairs		 a;
	struct inst_rng		 r;
	int32_t			 match[8];
	uint32_t		 left[8], k, c, min_score, nonempty;
	int64_t			 best;

	(void)state;
	r.state = 99;
	nonempty = 0;
	for (k = 0; k < 240; k++) {
		inst_default_params(&ip, k % 2 ? ENGINE_WOMEN :
		    ENGINE_PARTNERS, 1 + inst_rng_below(&r, 7),
		    1 + inst_rng_below(&r, 5), 1000 + k);
		ip.district = 16051;		/* Erfurt: most pairs in reach */
		ip.radius_scale = 2.0;
		ip.capacity_max = 2;
		ip.excluded_share = 0.2;
		assert_int_equal(inst_generate(&places, &ip, &in), 0);
		assert_non_null(e = engine_prepare(&in.p, NULL, 0));
		min_score = k % 3 == 0 ? 5000 : 1;
		assert_int_equal(engine_batch(e, min_score, match, &st), 0);
		(void)check_result(e, &in, match, min_score, &st);
		allpairs_build(e, &in, min_score, &a);
		assert_int_equal(st.edges, a.start[in.p.nsubjects]);
		for (c = 0; c < in.p.ncandidates; c++)
			left[c] = a.cap[c];
		best = 0;
		brute(&a.g, 0, left, 0, &best);
		assert_int_equal(st.total, best);
		if (best > 0)
			nonempty++;
		allpairs_free(&a);
		engine_free(e);
		inst_free(&in);
	}
	/* The instances must be worth the name. */
	assert_true(nonempty >= 200);
}

static void
test_medium_vs_lemon(void **state)
{
	struct inst_params	 ip;
	struct inst		 in;
	struct engine		*e;
	struct engine_stats	 st;
	struct allpairs		 a;
	int32_t			*match;
	int64_t			 ref;
	uint32_t		 k, n;

	(void)state;
	n = under_valgrind() ? 4 : 50;
	for (k = 0; k < n; k++) {
		inst_default_params(&ip, k % 4 == 3 ? ENGINE_WOMEN :
		    ENGINE_PARTNERS, 600 + 10 * k, 200 + 5 * k, 5000 + k);
		ip.capacity_max = 3;
		assert_int_equal(inst_generate(&places, &ip, &in), 0);
		assert_non_null(e = engine_prepare(&in.p, NULL, 0));
		match = calloc(in.p.nsubjects, sizeof(*match));
		assert_non_null(match);
		assert_int_equal(engine_batch(e, 2000, match, &st), 0);
		(void)check_result(e, &in, match, 2000, &st);
		allpairs_build(e, &in, 2000, &a);
		assert_true(a.start[in.p.nsubjects] >= 2000);
		assert_int_equal(st.edges, a.start[in.p.nsubjects]);
		assert_int_equal(lemon_ref_assign(&a.g, &ref, NULL), 0);
		assert_int_equal(st.total, ref);
		allpairs_free(&a);
		free(match);
		engine_free(e);
		inst_free(&in);
	}
}

/* Repeated runs and shuffled input give the same pairs, by id. */
static void
test_deterministic_and_order_free(void **state)
{
	struct inst_params	 ip;
	struct inst		 in, sh;
	struct engine		*e, *e2;
	struct engine_stats	 st, st2;
	int32_t			*m1, *m2, *m3;
	uint32_t		*sperm, *cperm, k, s, ns, nc;

	(void)state;
	for (k = 0; k < (under_valgrind() ? 2u : 12u); k++) {
		ns = 500;
		nc = 150;
		inst_default_params(&ip, k % 2 ? ENGINE_WOMEN :
		    ENGINE_PARTNERS, ns, nc, 700 + k);
		ip.capacity_max = 2;
		assert_int_equal(inst_generate(&places, &ip, &in), 0);
		assert_int_equal(inst_generate(&places, &ip, &sh), 0);
		m1 = calloc(ns, sizeof(*m1));
		m2 = calloc(ns, sizeof(*m2));
		m3 = calloc(ns, sizeof(*m3));
		sperm = calloc(ns, sizeof(*sperm));
		cperm = calloc(nc, sizeof(*cperm));
		assert_true(m1 && m2 && m3 && sperm && cperm);
		assert_non_null(e = engine_prepare(&in.p, NULL, 0));
		assert_int_equal(engine_batch(e, 1, m1, &st), 0);
		assert_int_equal(engine_batch(e, 1, m2, &st2), 0);
		assert_memory_equal(m1, m2, ns * sizeof(*m1));
		assert_true(st.assigned > 0);
		inst_shuffle(&sh, 31 + k, sperm, cperm);
		assert_non_null(e2 = engine_prepare(&sh.p, NULL, 0));
		assert_int_equal(engine_batch(e2, 1, m3, &st2), 0);
		(void)check_result(e2, &sh, m3, 1, &st2);
		assert_int_equal(st.total, st2.total);
		for (s = 0; s < ns; s++) {
			/* Shuffled subject s was subject sperm[s]. */
			if (m3[s] == ENGINE_NO_MATCH)
				assert_int_equal(m1[sperm[s]],
				    ENGINE_NO_MATCH);
			else
				assert_int_equal(m1[sperm[s]],
				    (int32_t)cperm[m3[s]]);
		}
		engine_free(e);
		engine_free(e2);
		inst_free(&in);
		inst_free(&sh);
		free(m1);
		free(m2);
		free(m3);
		free(sperm);
		free(cperm);
	}
}

static void
test_min_score_and_empty(void **state)
{
	struct inst_params	 ip;
	struct inst		 in;
	struct engine		*e;
	struct engine_stats	 st;
	int32_t			 match[300];
	int64_t			 prev;
	uint32_t		 min;

	(void)state;
	inst_default_params(&ip, ENGINE_PARTNERS, 300, 100, 4242);
	assert_int_equal(inst_generate(&places, &ip, &in), 0);
	assert_non_null(e = engine_prepare(&in.p, NULL, 0));
	/* A higher minimum can only lower the optimum. */
	prev = INT64_MAX;
	for (min = 0; min <= ENGINE_SCORE_MAX + 1; min += 2500) {
		assert_int_equal(engine_batch(e, min, match, &st), 0);
		(void)check_result(e, &in, match, min, &st);
		assert_true(st.total <= prev);
		prev = st.total;
	}
	assert_int_equal(prev, 0);
	assert_int_equal(engine_batch(NULL, 1, match, &st), -1);
	assert_int_equal(engine_batch(e, 1, NULL, &st), -1);
	engine_free(e);
	inst_free(&in);
	/* No subjects, no candidates. */
	in.p.nsubjects = 0;
	in.p.ncandidates = 0;
	memset(&in.p, 0, sizeof(in.p));
	engine_default_weights(ENGINE_PARTNERS, &in.p.default_weights);
	assert_non_null(e = engine_prepare(&in.p, NULL, 0));
	assert_int_equal(engine_batch(e, 1, match, &st), 0);
	assert_int_equal(st.total, 0);
	engine_free(e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_small_vs_brute_force),
		cmocka_unit_test(test_medium_vs_lemon),
		cmocka_unit_test(test_deterministic_and_order_free),
		cmocka_unit_test(test_min_score_and_empty),
	};

	return (cmocka_run_group_tests(tests, setup, teardown));
}
