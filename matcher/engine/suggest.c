/* suggest.c: the top k candidates for one subject, with explanations. */

#include <stdlib.h>

#include "engine_int.h"

int
engine_suggest(const struct engine *e, uint32_t si, uint32_t min_score,
    size_t k, struct engine_suggestion *out, size_t *nout)
{
	uint32_t	*buf;
	uint32_t	 best_c[ENGINE_SUGGEST_MAX], best_s[ENGINE_SUGGEST_MAX];
	uint32_t	 sc, ci;
	size_t		 n, i, j, have;

	if (nout != NULL)
		*nout = 0;
	if (e == NULL || nout == NULL || si >= e->p.nsubjects ||
	    k > ENGINE_SUGGEST_MAX || (k > 0 && out == NULL))
		return (-1);
	if (k == 0)
		return (0);
	if ((buf = calloc(e->p.ncandidates ? e->p.ncandidates : 1,
	    sizeof(*buf))) == NULL)
		return (-1);
	n = engine_gather(e, si, buf);
	have = 0;
	for (i = 0; i < n; i++) {
		ci = buf[i];
		if (engine_pair_eval(e, si, ci, NULL, &sc) != ENGINE_OK ||
		    sc < min_score)
			continue;
		/* Keep the k best by (score desc, id asc): insertion. */
		if (have == k && (sc < best_s[k - 1] || (sc == best_s[k - 1] &&
		    e->cpos[ci] > e->cpos[best_c[k - 1]])))
			continue;
		j = have < k ? have++ : k - 1;
		while (j > 0 && (best_s[j - 1] < sc || (best_s[j - 1] == sc &&
		    e->cpos[best_c[j - 1]] > e->cpos[ci]))) {
			best_s[j] = best_s[j - 1];
			best_c[j] = best_c[j - 1];
			j--;
		}
		best_s[j] = sc;
		best_c[j] = ci;
	}
	free(buf);
	for (i = 0; i < have; i++) {
		out[i].candidate = best_c[i];
		(void)engine_pair_eval(e, si, best_c[i], &out[i].expl, &sc);
	}
	*nout = have;
	return (0);
}
