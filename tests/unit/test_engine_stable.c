/* test_engine_stable.c: deferred acceptance: stability, optimality, order. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine.h"
#include "instance.h"

#define MAXS	6
#define MAXC	4

/* Scores of all pairs, -1 where the pair is not acceptable. */
struct table {
	uint32_t	 ns, nc;
	int64_t		*score;
	const struct inst *in;
};

static struct inst_places	places;

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
table_build(const struct engine *e, const struct inst *in, uint32_t min,
    struct table *t)
{
	struct engine_explanation	x;
	uint32_t			s, c;

	t->in = in;
	t->ns = (uint32_t)in->p.nsubjects;
	t->nc = (uint32_t)in->p.ncandidates;
	t->score = calloc((size_t)t->ns * t->nc + 1, sizeof(*t->score));
	assert_non_null(t->score);
	for (s = 0; s < t->ns; s++) {
		for (c = 0; c < t->nc; c++) {
			t->score[(size_t)s * t->nc + c] =
			    engine_explain(e, s, c, &x) == ENGINE_OK &&
			    x.score >= min ? (int64_t)x.score : -1;
		}
	}
}

/* Does s prefer candidate a to b (b may be ENGINE_NO_MATCH)? */
static int
subj_prefers(const struct table *t, uint32_t s, uint32_t a, int32_t b)
{
	int64_t	sa, sb;

	if (b == ENGINE_NO_MATCH)
		return (1);
	sa = t->score[(size_t)s * t->nc + a];
	sb = t->score[(size_t)s * t->nc + (uint32_t)b];
	if (sa != sb)
		return (sa > sb);
	return (memcmp(t->in->candidates[a].id, t->in->candidates[b].id,
	    ENGINE_ID_LEN) < 0);
}

/* Does c prefer subject a to subject b? */
static int
cand_prefers(const struct table *t, uint32_t c, uint32_t a, uint32_t b)
{
	int64_t	sa, sb;

	sa = t->score[(size_t)a * t->nc + c];
	sb = t->score[(size_t)b * t->nc + c];
	if (sa != sb)
		return (sa > sb);
	return (memcmp(t->in->subjects[a].id, t->in->subjects[b].id,
	    ENGINE_ID_LEN) < 0);
}

/* Number of blocking pairs of match; also checks feasibility. */
static uint32_t
blocking_pairs(const struct table *t, const int32_t *match)
{
	uint32_t	s, c, s2, held, nb;
	int		room;

	nb = 0;
	for (s = 0; s < t->ns; s++) {
		if (match[s] != ENGINE_NO_MATCH)
			assert_true(t->score[(size_t)s * t->nc +
			    (uint32_t)match[s]] >= 0);
	}
	for (c = 0; c < t->nc; c++) {
		held = 0;
		for (s = 0; s < t->ns; s++)
			held += match[s] == (int32_t)c;
		assert_true(held <= t->in->candidates[c].capacity);
		for (s = 0; s < t->ns; s++) {
			if (t->score[(size_t)s * t->nc + c] < 0 ||
			    match[s] == (int32_t)c ||
			    !subj_prefers(t, s, c, match[s]))
				continue;
			room = held < t->in->candidates[c].capacity;
			for (s2 = 0; s2 < t->ns && !room; s2++) {
				if (match[s2] == (int32_t)c &&
				    cand_prefers(t, c, s, s2))
					room = 1;
			}
			nb += room;
		}
	}
	return (nb);
}

/* Enumerate all feasible matchings; remember the stable ones. */
static void
enumerate(const struct table *t, uint32_t s, int32_t *m, uint32_t *left,
    int32_t (*stable)[MAXS], uint32_t *nstable)
{
	uint32_t	c;

	if (s == t->ns) {
		if (blocking_pairs(t, m) == 0) {
			assert_true(*nstable < 4096);
			memcpy(stable[*nstable], m, sizeof(int32_t) * MAXS);
			(*nstable)++;
		}
		return;
	}
	m[s] = ENGINE_NO_MATCH;
	enumerate(t, s + 1, m, left, stable, nstable);
	for (c = 0; c < t->nc; c++) {
		if (t->score[(size_t)s * t->nc + c] < 0 || left[c] == 0)
			continue;
		left[c]--;
		m[s] = (int32_t)c;
		enumerate(t, s + 1, m, left, stable, nstable);
		left[c]++;
	}
	m[s] = ENGINE_NO_MATCH;
}

static void
test_small_subject_optimal(void **state)
{
	struct inst_params	 ip;
	struct inst		 in;
	struct engine		*e;
	struct engine_stats	 st;
	struct table		 t;
	struct inst_rng		 r;
	int32_t			 match[MAXS], m[MAXS];
	int32_t			 stable[4096][MAXS];
	uint32_t		 left[MAXC], k, c, s, j, nstable, matched;

	(void)state;
	r.state = 5;
	matched = 0;
	for (k = 0; k < 150; k++) {
		inst_default_params(&ip, k % 2 ? ENGINE_WOMEN :
		    ENGINE_PARTNERS, 1 + inst_rng_below(&r, MAXS),
		    1 + inst_rng_below(&r, MAXC), 300 + k);
		ip.district = 16051;
		ip.radius_scale = 2.0;
		ip.capacity_max = 2;
		assert_int_equal(inst_generate(&places, &ip, &in), 0);
		assert_non_null(e = engine_prepare(&in.p, NULL, 0));
		assert_int_equal(engine_stable(e, 1, NULL, match, &st), 0);
		table_build(e, &in, 1, &t);
		assert_int_equal(blocking_pairs(&t, match), 0);
		for (c = 0; c < t.nc; c++)
			left[c] = in.candidates[c].capacity;
		nstable = 0;
		enumerate(&t, 0, m, left, stable, &nstable);
		assert_true(nstable >= 1);
		/* Every subject does at least as well as in any stable one. */
		for (j = 0; j < nstable; j++) {
			for (s = 0; s < t.ns; s++) {
				if (stable[j][s] == match[s] ||
				    stable[j][s] == ENGINE_NO_MATCH)
					continue;
				assert_false(subj_prefers(&t, s,
				    (uint32_t)stable[j][s], match[s]));
			}
		}
		matched += (uint32_t)st.assigned;
		free(t.score);
		engine_free(e);
		inst_free(&in);
	}
	assert_true(matched >= 100);
}

static void
test_no_blocking_pair_and_order_free(void **state)
{
	struct inst_params	 ip;
	struct inst		 in, sh;
	struct engine		*e, *e2;
	struct engine_stats	 st;
	struct table		 t;
	int32_t			*m1, *m2;
	uint32_t		*sperm, *cperm, k, s, ns, nc;

	(void)state;
	for (k = 0; k < (getenv("ENGINE_TEST_VALGRIND") ? 2u : 10u); k++) {
		ns = 300;
		nc = 120;
		inst_default_params(&ip, k % 2 ? ENGINE_PARTNERS :
		    ENGINE_WOMEN, ns, nc, 900 + k);
		assert_int_equal(inst_generate(&places, &ip, &in), 0);
		assert_int_equal(inst_generate(&places, &ip, &sh), 0);
		m1 = calloc(ns, sizeof(*m1));
		m2 = calloc(ns, sizeof(*m2));
		sperm = calloc(ns, sizeof(*sperm));
		cperm = calloc(nc, sizeof(*cperm));
		assert_true(m1 && m2 && sperm && cperm);
		assert_non_null(e = engine_prepare(&in.p, NULL, 0));
		assert_int_equal(engine_stable(e, 3000, NULL, m1, &st), 0);
		assert_true(st.assigned > 0);
		table_build(e, &in, 3000, &t);
		assert_int_equal(blocking_pairs(&t, m1), 0);
		inst_shuffle(&sh, 17 + k, sperm, cperm);
		assert_non_null(e2 = engine_prepare(&sh.p, NULL, 0));
		assert_int_equal(engine_stable(e2, 3000, NULL, m2, &st), 0);
		for (s = 0; s < ns; s++) {
			if (m2[s] == ENGINE_NO_MATCH)
				assert_int_equal(m1[sperm[s]],
				    ENGINE_NO_MATCH);
			else
				assert_int_equal(m1[sperm[s]],
				    (int32_t)cperm[m2[s]]);
		}
		free(t.score);
		engine_free(e);
		engine_free(e2);
		inst_free(&in);
		inst_free(&sh);
		free(m1);
		free(m2);
		free(sperm);
		free(cperm);
	}
}

/* Explicit lists, worked out by hand. */
static void
test_explicit_lists(void **state)
{
	struct inst_params	 ip;
	struct inst		 in;
	struct engine		*e;
	struct engine_prefs	 pr;
	struct engine_stats	 st;
	struct engine_explanation x;
	uint32_t		 sstart[4] = { 0, 2, 4, 5 };
	uint32_t		 slist[5] = { 0, 1, 0, 1, 0 };
	uint32_t		 cstart[3] = { 0, 3, 5 };
	uint32_t		 clist[5] = { 2, 1, 0, 0, 1 };
	int32_t			 match[3];
	uint32_t		 s, c;

	(void)state;
	/* Three subjects, two places of one each; all pairs acceptable. */
	inst_default_params(&ip, ENGINE_PARTNERS, 3, 2, 1);
	assert_int_equal(inst_generate(&places, &ip, &in), 0);
	for (s = 0; s < 3; s++) {
		in.subjects[s].active = 1;
		in.subjects[s].consent_matching = 1;
		in.subjects[s].consent_cross_district = 1;
		in.subjects[s].has_place = 0;
		in.subjects[s].gender = ENGINE_GENDER_FEMALE;
		in.subjects[s].age = 30;
		in.subjects[s].nlangs = 1;
		memcpy(in.subjects[s].langs[0].code, "de", 3);
		in.subjects[s].langs[0].level = ENGINE_LEVEL_B2;
	}
	for (c = 0; c < 2; c++) {
		in.candidates[c].active = 1;
		in.candidates[c].online = 1;
		in.candidates[c].capacity = 1;
		in.candidates[c].age_min = in.candidates[c].age_max = 0;
		in.candidates[c].min_german = 0;
		in.candidates[c].nlangs = 1;
		memcpy(in.candidates[c].langs[0].code, "de", 3);
	}
	in.p.nexcluded = 0;
	assert_non_null(e = engine_prepare(&in.p, NULL, 0));
	for (s = 0; s < 3; s++)
		for (c = 0; c < 2; c++)
			assert_int_equal(engine_explain(e, s, c, &x),
			    ENGINE_OK);
	/*
	 * s0: c0 > c1, s1: c0 > c1, s2: c0 only; c0: s2 > s1 > s0, c1: s0
	 * > s1.  s0 and s1 lose c0 to s2; s0 gets c1, which prefers s0 to
	 * s1; s1 ends unassigned.
	 */
	memset(&pr, 0, sizeof(pr));
	pr.subject_start = sstart;
	pr.subject_list = slist;
	pr.candidate_start = cstart;
	pr.candidate_list = clist;
	assert_int_equal(engine_stable(e, 1, &pr, match, &st), 0);
	assert_int_equal(match[0], 1);
	assert_int_equal(match[1], ENGINE_NO_MATCH);
	assert_int_equal(match[2], 0);
	/* Without c1's list, s1 is not on a list for c1: unacceptable. */
	cstart[2] = 3;
	assert_int_equal(engine_stable(e, 1, &pr, match, &st), 0);
	assert_int_equal(match[0], ENGINE_NO_MATCH);
	assert_int_equal(match[1], ENGINE_NO_MATCH);
	assert_int_equal(match[2], 0);
	/* An index out of range is refused. */
	cstart[2] = 5;
	clist[4] = 7;
	assert_int_equal(engine_stable(e, 1, &pr, match, &st), -1);
	engine_free(e);
	inst_free(&in);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_small_subject_optimal),
		cmocka_unit_test(test_no_blocking_pair_and_order_free),
		cmocka_unit_test(test_explicit_lists),
	};

	return (cmocka_run_group_tests(tests, setup, teardown));
}
