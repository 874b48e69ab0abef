// lemon_ref.cc: the assignment solved by LEMON, to check our solver against.

#include <chrono>

#include <lemon/network_simplex.h>
#include <lemon/smart_graph.h>

#include "lemon_ref.h"

// Nodes: subjects (supply 1), candidates, sink (demand n).  Arcs: subject
// -> candidate (capacity 1, cost -weight), subject -> sink (capacity 1,
// cost 0: stays unassigned), candidate -> sink (capacity = its capacity).
extern "C" int
lemon_ref_assign(const struct engine_graph *g, int64_t *total,
    double *seconds)
{
	typedef lemon::SmartDigraph			Graph;
	typedef lemon::NetworkSimplex<Graph, int64_t, int64_t> Solver;
	Graph					 G;
	std::vector<Graph::Node>		 subj, cand;
	Graph::Node				 sink;
	uint32_t				 i, j, nedges;

	nedges = g->start[g->nsubjects];
	G.reserveNode(g->nsubjects + g->ncandidates + 1);
	G.reserveArc(nedges + g->nsubjects + g->ncandidates);
	for (i = 0; i < g->nsubjects; i++)
		subj.push_back(G.addNode());
	for (i = 0; i < g->ncandidates; i++)
		cand.push_back(G.addNode());
	sink = G.addNode();

	Graph::ArcMap<int64_t>	cap(G), cost(G);
	Graph::NodeMap<int64_t>	supply(G, 0);

	for (i = 0; i < g->nsubjects; i++) {
		supply[subj[i]] = 1;
		for (j = g->start[i]; j < g->start[i + 1]; j++) {
			Graph::Arc a = G.addArc(subj[i], cand[g->cand[j]]);
			cap[a] = 1;
			cost[a] = -(int64_t)g->weight[j];
		}
		Graph::Arc a = G.addArc(subj[i], sink);
		cap[a] = 1;
		cost[a] = 0;
	}
	for (i = 0; i < g->ncandidates; i++) {
		Graph::Arc a = G.addArc(cand[i], sink);
		cap[a] = g->capacity[i];
		cost[a] = 0;
	}
	supply[sink] = -(int64_t)g->nsubjects;

	Solver ns(G);
	ns.upperMap(cap).costMap(cost).supplyMap(supply);
	auto t0 = std::chrono::steady_clock::now();
	Solver::ProblemType pt = ns.run();
	auto t1 = std::chrono::steady_clock::now();
	if (seconds != nullptr)
		*seconds = std::chrono::duration<double>(t1 - t0).count();
	if (pt != Solver::OPTIMAL)
		return (-1);
	*total = -ns.totalCost<int64_t>();
	return (0);
}
