/* test_engine_ids.c: the index by id, over the engine's record arrays. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine.h"

#define N	200

/* A spread of ids whose order differs from their index order. */
static void
set_id(uint8_t *id, uint32_t i)
{
	uint32_t	h = i * 2654435761u;

	memset(id, 0, ENGINE_ID_LEN);
	id[0] = (uint8_t)(h >> 24);
	id[1] = (uint8_t)(h >> 16);
	id[14] = (uint8_t)(i >> 8);
	id[15] = (uint8_t)i;
}

/* Every record is found at its own index; the index is in id order. */
static void
test_index_and_find(void **state)
{
	struct engine_candidate	*c;
	struct engine_id_idx	*v;
	uint8_t			 id[ENGINE_ID_LEN];
	uint32_t		 i, idx;
	size_t			 dup = 12345;

	(void)state;
	assert_non_null(c = calloc(N, sizeof(*c)));
	assert_non_null(v = calloc(N, sizeof(*v)));
	for (i = 0; i < N; i++)
		set_id(c[i].id, i);
	assert_int_equal(engine_id_index(c, sizeof(*c), N, v, &dup), 0);
	assert_int_equal(dup, 12345);
	for (i = 1; i < N; i++)
		assert_true(memcmp(v[i - 1].id, v[i].id, ENGINE_ID_LEN) < 0);
	for (i = 0; i < N; i++) {
		assert_int_equal(engine_id_find(v, N, c[i].id, &idx), 0);
		assert_int_equal(idx, i);
	}
	set_id(id, N);
	idx = 777;
	assert_int_equal(engine_id_find(v, N, id, &idx), -1);
	assert_int_equal(idx, 777);
	free(v);
	free(c);
}

/* A subject array, its stride, and no records at all. */
static void
test_subjects_and_empty(void **state)
{
	struct engine_subject	 s[3];
	struct engine_id_idx	 v[3];
	uint32_t		 idx;

	(void)state;
	memset(s, 0, sizeof(s));
	s[0].id[0] = 3;
	s[1].id[0] = 1;
	s[2].id[0] = 2;
	assert_int_equal(engine_id_index(s, sizeof(s[0]), 3, v, NULL), 0);
	assert_int_equal(v[0].idx, 1);
	assert_int_equal(v[1].idx, 2);
	assert_int_equal(v[2].idx, 0);
	assert_int_equal(engine_id_find(v, 3, s[0].id, &idx), 0);
	assert_int_equal(idx, 0);
	assert_int_equal(engine_id_index(s, sizeof(s[0]), 0, v, NULL), 0);
	assert_int_equal(engine_id_find(v, 0, s[0].id, &idx), -1);
}

/* Two records with one id: refused, naming one of the two. */
static void
test_duplicate(void **state)
{
	struct engine_candidate	 c[4];
	struct engine_id_idx	 v[4];
	size_t			 dup = 0;

	(void)state;
	memset(c, 0, sizeof(c));
	c[0].id[15] = 1;
	c[1].id[15] = 2;
	c[2].id[15] = 3;
	c[3].id[15] = 2;
	assert_int_equal(engine_id_index(c, sizeof(c[0]), 4, v, &dup), -1);
	assert_true(dup == 1 || dup == 3);
	assert_int_equal(engine_id_index(c, sizeof(c[0]), 4, v, NULL), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_index_and_find),
		cmocka_unit_test(test_subjects_and_empty),
		cmocka_unit_test(test_duplicate),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
