/* lemon_ref.h: an independent reference solver (LEMON's NetworkSimplex). */

#ifndef CH_TESTS_ENGINE_LEMON_REF_H
#define CH_TESTS_ENGINE_LEMON_REF_H

#include <stdint.h>

#include "engine.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Maximum total weight of an assignment of g (each subject at most once,
 * candidates up to capacity), by LEMON's NetworkSimplex on the textbook
 * min-cost flow model.  *seconds (if not NULL) gets the time of run()
 * alone.  Returns -1 if LEMON finds no optimum.
 */
int	lemon_ref_assign(const struct engine_graph *, int64_t *, double *);

#ifdef __cplusplus
}
#endif

#endif
