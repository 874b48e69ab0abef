/* test_engine_flow.c: the exact assignment solver against brute force and LEMON. */

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

struct rgraph {
	struct engine_graph	 g;
	uint32_t		*cap;
	uint32_t		*start;
	uint32_t		*cand;
	uint32_t		*weight;
};

static void	rgraph_make(struct inst_rng *, uint32_t, uint32_t, double,
		    uint32_t, uint32_t, struct rgraph *);
static void	rgraph_free(struct rgraph *);
static void	brute(const struct engine_graph *, uint32_t, uint32_t *,
		    int64_t, int64_t *);
static void	check_feasible(const struct engine_graph *, const int32_t *,
		    int64_t);

/* Random bipartite graph: each pair an edge with probability p. */
static void
rgraph_make(struct inst_rng *r, uint32_t n, uint32_t m, double p,
    uint32_t wmax, uint32_t capmax, struct rgraph *rg)
{
	uint32_t	i, c, k;

	memset(rg, 0, sizeof(*rg));
	rg->cap = calloc(m + 1, sizeof(uint32_t));
	rg->start = calloc(n + 1, sizeof(uint32_t));
	rg->cand = calloc((size_t)n * m + 1, sizeof(uint32_t));
	rg->weight = calloc((size_t)n * m + 1, sizeof(uint32_t));
	assert_non_null(rg->cap);
	assert_non_null(rg->start);
	assert_non_null(rg->cand);
	assert_non_null(rg->weight);
	for (c = 0; c < m; c++)
		rg->cap[c] = inst_rng_below(r, capmax + 1);
	k = 0;
	for (i = 0; i < n; i++) {
		for (c = 0; c < m; c++) {
			if (inst_rng_unit(r) >= p)
				continue;
			rg->cand[k] = c;
			rg->weight[k] = 1 + inst_rng_below(r, wmax);
			k++;
		}
		rg->start[i + 1] = k;
	}
	rg->g.nsubjects = n;
	rg->g.ncandidates = m;
	rg->g.capacity = rg->cap;
	rg->g.start = rg->start;
	rg->g.cand = rg->cand;
	rg->g.weight = rg->weight;
}

static void
rgraph_free(struct rgraph *rg)
{
	free(rg->cap);
	free(rg->start);
	free(rg->cand);
	free(rg->weight);
}

/* Try every choice for subject i onwards: none, or one edge with room. */
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

/* Every match is an edge, no capacity exceeded, weights add to total. */
static void
check_feasible(const struct engine_graph *g, const int32_t *match,
    int64_t total)
{
	uint32_t	*used, i, j;
	int64_t		 sum;
	int		 found;

	used = calloc(g->ncandidates + 1, sizeof(*used));
	assert_non_null(used);
	sum = 0;
	for (i = 0; i < g->nsubjects; i++) {
		if (match[i] == ENGINE_NO_MATCH)
			continue;
		assert_true(match[i] >= 0 &&
		    (uint32_t)match[i] < g->ncandidates);
		found = 0;
		for (j = g->start[i]; j < g->start[i + 1]; j++) {
			if (g->cand[j] == (uint32_t)match[i]) {
				found = 1;
				sum += g->weight[j];
			}
		}
		assert_true(found);
		used[match[i]]++;
		assert_true(used[match[i]] <= g->capacity[match[i]]);
	}
	assert_int_equal(sum, total);
	free(used);
}

static void
test_small_vs_brute_force(void **state)
{
	struct inst_rng	 r;
	struct rgraph	 rg;
	struct engine_stats st;
	int32_t		 match[10];
	uint32_t	 left[6], inst, n, m, c;
	int64_t		 total, best;

	(void)state;
	r.state = 42;
	for (inst = 0; inst < 300; inst++) {
		n = 1 + inst_rng_below(&r, 7);
		m = 1 + inst_rng_below(&r, 5);
		/* Small weight ranges make many ties. */
		rgraph_make(&r, n, m, 0.3 + 0.5 * inst_rng_unit(&r),
		    inst % 3 == 0 ? 3 : 10000, 3, &rg);
		memset(&st, 0, sizeof(st));
		assert_int_equal(engine_assign(&rg.g, match, &total, &st), 0);
		check_feasible(&rg.g, match, total);
		for (c = 0; c < m; c++)
			left[c] = rg.cap[c];
		best = 0;
		brute(&rg.g, 0, left, 0, &best);
		assert_int_equal(total, best);
		assert_int_equal(st.total, best);
		rgraph_free(&rg);
	}
}

static void
test_medium_vs_lemon(void **state)
{
	struct inst_rng	 r;
	struct rgraph	 rg;
	int32_t		*match, *again;
	uint32_t	 inst, n, m;
	int64_t		 total, total2, ref;

	(void)state;
	r.state = 7;
	for (inst = 0; inst < 60; inst++) {
		n = 200 + inst_rng_below(&r, 400);
		m = 50 + inst_rng_below(&r, 150);
		rgraph_make(&r, n, m, 20.0 / m, inst % 2 ? 20 : 10000, 4,
		    &rg);
		assert_true(rg.start[n] >= 1000);
		match = calloc(n, sizeof(*match));
		again = calloc(n, sizeof(*again));
		assert_non_null(match);
		assert_non_null(again);
		assert_int_equal(engine_assign(&rg.g, match, &total, NULL), 0);
		check_feasible(&rg.g, match, total);
		assert_int_equal(lemon_ref_assign(&rg.g, &ref, NULL), 0);
		assert_int_equal(total, ref);
		/* Same input, same output, to the last subject. */
		assert_int_equal(engine_assign(&rg.g, again, &total2, NULL),
		    0);
		assert_memory_equal(match, again, n * sizeof(*match));
		free(match);
		free(again);
		rgraph_free(&rg);
	}
}

static void
test_ties_follow_index(void **state)
{
	/* Two subjects want the one place equally: the first one gets it. */
	uint32_t		cap[1] = { 1 };
	uint32_t		start[3] = { 0, 1, 2 };
	uint32_t		cand[2] = { 0, 0 };
	uint32_t		weight[2] = { 50, 50 };
	struct engine_graph	g = { 2, 1, cap, start, cand, weight };
	int32_t			match[2];
	int64_t			total;

	(void)state;
	assert_int_equal(engine_assign(&g, match, &total, NULL), 0);
	assert_int_equal(total, 50);
	assert_int_equal(match[0], 0);
	assert_int_equal(match[1], ENGINE_NO_MATCH);
}

static void
test_prefers_total_over_count(void **state)
{
	/*
	 * s0-c0 100, s0-c1 60, s1-c0 50: two pairs (110) beat the best
	 * single pair (100).  With 40 and 30 instead, s0-c0 alone (100)
	 * beats the two pairs (70) and s1 stays unassigned.
	 */
	uint32_t		cap[2] = { 1, 1 };
	uint32_t		start[3] = { 0, 2, 3 };
	uint32_t		cand[3] = { 0, 1, 0 };
	uint32_t		weight[3] = { 100, 60, 50 };
	struct engine_graph	g = { 2, 2, cap, start, cand, weight };
	int32_t			match[2];
	int64_t			total;

	(void)state;
	assert_int_equal(engine_assign(&g, match, &total, NULL), 0);
	assert_int_equal(total, 110);
	assert_int_equal(match[0], 1);
	assert_int_equal(match[1], 0);
	weight[1] = 40;
	weight[2] = 30;
	assert_int_equal(engine_assign(&g, match, &total, NULL), 0);
	assert_int_equal(total, 100);
	assert_int_equal(match[0], 0);
	assert_int_equal(match[1], ENGINE_NO_MATCH);
}

static void
test_zero_capacity_and_empty(void **state)
{
	uint32_t		cap[2] = { 0, 2 };
	uint32_t		start[4] = { 0, 1, 1, 3 };
	uint32_t		cand[3] = { 0, 0, 1 };
	uint32_t		weight[3] = { 90, 80, 10 };
	struct engine_graph	g = { 3, 2, cap, start, cand, weight };
	struct engine_graph	empty = { 0, 0, NULL, start, NULL, NULL };
	int32_t			match[3];
	int64_t			total;

	(void)state;
	assert_int_equal(engine_assign(&g, match, &total, NULL), 0);
	assert_int_equal(total, 10);
	assert_int_equal(match[0], ENGINE_NO_MATCH);
	assert_int_equal(match[1], ENGINE_NO_MATCH);
	assert_int_equal(match[2], 1);
	assert_int_equal(engine_assign(&empty, match, &total, NULL), 0);
	assert_int_equal(total, 0);
}

static void
test_invalid_graph(void **state)
{
	uint32_t		cap[1] = { 1 };
	uint32_t		start[2] = { 0, 2 };
	uint32_t		cand[2] = { 0, 0 };
	uint32_t		weight[2] = { 5, 6 };
	struct engine_graph	g = { 1, 1, cap, start, cand, weight };
	int32_t			match[1];
	int64_t			total;

	(void)state;
	/* A repeated pair, a candidate out of range, a zero weight. */
	assert_int_equal(engine_assign(&g, match, &total, NULL), -1);
	cand[1] = 3;
	assert_int_equal(engine_assign(&g, match, &total, NULL), -1);
	start[1] = 1;
	weight[0] = 0;
	assert_int_equal(engine_assign(&g, match, &total, NULL), -1);
	weight[0] = 5;
	assert_int_equal(engine_assign(&g, match, &total, NULL), 0);
	assert_int_equal(engine_assign(NULL, match, &total, NULL), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_small_vs_brute_force),
		cmocka_unit_test(test_medium_vs_lemon),
		cmocka_unit_test(test_ties_follow_index),
		cmocka_unit_test(test_prefers_total_over_count),
		cmocka_unit_test(test_zero_capacity_and_empty),
		cmocka_unit_test(test_invalid_graph),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
