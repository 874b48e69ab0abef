/* ids.c: records looked up by id, through an index sorted by id. */

#include <stdlib.h>
#include <string.h>

#include "engine_int.h"

static int	id_idx_cmp(const void *, const void *);

static int
id_idx_cmp(const void *a, const void *b)
{
	const struct engine_id_idx	*x = a, *y = b;

	return (memcmp(x->id, y->id, ENGINE_ID_LEN));
}

int
engine_id_index(const void *base, size_t stride, size_t n,
    struct engine_id_idx *out, size_t *dup)
{
	const uint8_t	*rec = base;
	size_t		 i;

	for (i = 0; i < n; i++) {
		memcpy(out[i].id, rec + i * stride, ENGINE_ID_LEN);
		out[i].idx = (uint32_t)i;
	}
	qsort(out, n, sizeof(*out), id_idx_cmp);
	/* Equal ids sort next to each other: one pass finds any. */
	for (i = 1; i < n; i++) {
		if (memcmp(out[i - 1].id, out[i].id, ENGINE_ID_LEN) == 0) {
			if (dup != NULL)
				*dup = out[i].idx;
			return (-1);
		}
	}
	return (0);
}

int
engine_id_find(const struct engine_id_idx *v, size_t n, const uint8_t *id,
    uint32_t *idx)
{
	const struct engine_id_idx	*hit;
	struct engine_id_idx		 key;

	memcpy(key.id, id, ENGINE_ID_LEN);
	hit = bsearch(&key, v, n, sizeof(*v), id_idx_cmp);
	if (hit == NULL)
		return (-1);
	*idx = hit->idx;
	return (0);
}
