/* bench_engine.c: timings of suggest and batch, against LEMON's NetworkSimplex. */

#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "engine_int.h"
#include "instance.h"
#include "lemon_ref.h"

#define NCANDIDATES	20000
#define SUGGEST_RUNS	2000
#define MIN_SCORE	3000

static double	now(void);
static double	peak_mb(void);
static void	die(const char *);
static void	bench_suggest(const struct inst_places *);
static int	bench_batch(const struct inst_places *, size_t, const char *);

static double
now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((double)ts.tv_sec + (double)ts.tv_nsec / 1e9);
}

/* Peak resident memory of this process so far, in MiB. */
static double
peak_mb(void)
{
	struct rusage	ru;

	getrusage(RUSAGE_SELF, &ru);
	return ((double)ru.ru_maxrss / 1024.0);
}

static void
die(const char *what)
{
	fprintf(stderr, "bench_engine: %s\n", what);
	exit(1);
}

/*
 * One subject among 20,000 offers in the six districts: the densest case
 * (every subject has thousands of offers in reach).  Warm: the engine is
 * prepared once; cold: prepare + suggest, as a one-off request would do.
 */
static void
bench_suggest(const struct inst_places *pl)
{
	struct inst_params	 ip;
	struct inst		 in;
	struct engine		*e;
	struct engine_suggestion out[ENGINE_SUGGEST_MAX];
	char			 err[128];
	size_t			 n, i, found;
	double			 t0, t1, cold;

	inst_default_params(&ip, ENGINE_PARTNERS, SUGGEST_RUNS, NCANDIDATES,
	    11);
	if (inst_generate(pl, &ip, &in) == -1)
		die("generate");
	t0 = now();
	if ((e = engine_prepare(&in.p, err, sizeof(err))) == NULL)
		die(err);
	if (engine_suggest(e, 0, 0, ENGINE_SUGGEST_MAX, out, &n) == -1)
		die("suggest");
	cold = now() - t0;
	found = 0;
	t0 = now();
	for (i = 0; i < SUGGEST_RUNS; i++) {
		if (engine_suggest(e, (uint32_t)i, 0, ENGINE_SUGGEST_MAX, out,
		    &n) == -1)
			die("suggest");
		found += n;
	}
	t1 = now();
	printf("bench suggest_20k_candidates %.1f us\n",
	    (t1 - t0) / SUGGEST_RUNS * 1e6);
	printf("bench suggest_20k_candidates_cold %.1f us\n", cold * 1e6);
	printf("bench suggest_20k_found_avg %.1f candidates\n",
	    (double)found / SUGGEST_RUNS);
	fflush(stdout);
	engine_free(e);
	inst_free(&in);
}

/*
 * A nationwide cohort against 20,000 offers: our whole batch (candidate
 * generation, scoring, exact solve), our solver alone on the same edges,
 * and LEMON's NetworkSimplex (run() alone) on the same edges.
 */
static int
bench_batch(const struct inst_places *pl, size_t nsub, const char *tag)
{
	struct inst_params	 ip;
	struct inst		 in;
	struct engine		*e;
	struct engine_stats	 st, st2;
	struct engine_edges	 ed;
	struct engine_graph	 g;
	int32_t			*match, *rmatch;
	uint32_t		*cap;
	char			 err[128];
	double			 t0, t_batch, t_solve, t_ref, mem;
	int64_t			 total2, ref;
	size_t			 i;

	inst_default_params(&ip, ENGINE_PARTNERS, nsub, NCANDIDATES,
	    1000 + nsub);
	ip.online_share = 0.002;
	if (inst_generate(pl, &ip, &in) == -1)
		die("generate");
	if ((match = calloc(nsub, sizeof(*match))) == NULL ||
	    (rmatch = calloc(nsub, sizeof(*rmatch))) == NULL ||
	    (cap = calloc(NCANDIDATES, sizeof(*cap))) == NULL)
		die("out of memory");

	t0 = now();
	if ((e = engine_prepare(&in.p, err, sizeof(err))) == NULL)
		die(err);
	if (engine_batch(e, MIN_SCORE, match, &st) == -1)
		die("batch");
	t_batch = now() - t0;
	mem = peak_mb();

	if (engine_build_edges(e, MIN_SCORE, &ed) == -1)
		die("edges");
	for (i = 0; i < NCANDIDATES; i++)
		cap[i] = in.candidates[e->crank[i]].capacity;
	g.nsubjects = (uint32_t)nsub;
	g.ncandidates = NCANDIDATES;
	g.capacity = cap;
	g.start = ed.start;
	g.cand = ed.cand;
	g.weight = ed.score;
	memset(&st2, 0, sizeof(st2));
	t0 = now();
	if (engine_assign(&g, rmatch, &total2, &st2) == -1)
		die("assign");
	t_solve = now() - t0;
	if (lemon_ref_assign(&g, &ref, &t_ref) == -1)
		die("lemon");

	printf("bench batch_%s_seconds %.3f s\n", tag, t_batch);
	printf("bench batch_%s_solve_seconds %.3f s\n", tag, t_solve);
	printf("bench batch_%s_peak_memory %.0f MiB\n", tag, mem);
	printf("bench batch_%s_edges %llu edges\n", tag,
	    (unsigned long long)st.edges);
	printf("bench batch_%s_pairs_checked %llu pairs\n", tag,
	    (unsigned long long)st.pairs_checked);
	printf("bench batch_%s_assigned %llu subjects\n", tag,
	    (unsigned long long)st.assigned);
	printf("bench batch_%s_nodes_scanned %llu nodes\n", tag,
	    (unsigned long long)st2.nodes_scanned);
	printf("bench batch_%s_lemon_seconds %.3f s\n", tag, t_ref);
	printf("bench batch_%s_ratio %.3f ours/reference\n", tag,
	    t_batch / t_ref);
	printf("bench batch_%s_solve_ratio %.3f ours/reference\n", tag,
	    t_solve / t_ref);
	printf("bench batch_%s_optimum_equal %d bool\n", tag,
	    st.total == ref && total2 == ref);
	fflush(stdout);

	engine_edges_free(&ed);
	engine_free(e);
	inst_free(&in);
	free(match);
	free(rmatch);
	free(cap);
	return (st.total == ref && total2 == ref ? 0 : -1);
}

int
main(void)
{
	struct inst_places	six, de;
	char			path[512];
	int			rc = 0;

	if (inst_places_load(inst_data_path("places-six-districts.csv", path,
	    sizeof(path)), &six) == -1 ||
	    inst_places_load(inst_data_path("places-germany.csv", path,
	    sizeof(path)), &de) == -1)
		die("cannot read the places (set CH_SHARED_DATA)");
	bench_suggest(&six);
	if (bench_batch(&de, 10000, "10k") == -1)
		rc = 1;
	if (bench_batch(&de, 100000, "100k") == -1)
		rc = 1;
	inst_places_free(&six);
	inst_places_free(&de);
	if (rc != 0)
		fprintf(stderr, "bench_engine: our optimum differs from "
		    "the reference\n");
	return (rc);
}
