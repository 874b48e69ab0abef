/*
 * The SQL of the routes served by the generic handlers (resource.c),
 * one function call each; see resource.c for the parameter conventions
 * and db/migrations for the functions.
 */

#ifndef CH_SQL_H
#define CH_SQL_H

#define SQL_LIST(fn) \
	"SELECT body, k1, k2 FROM " fn "($1::jsonb, $2::jsonb, "            \
	"CASE WHEN $3::text IS NULL THEN NULL ELSE ARRAY[$3, $4::text] END, " \
	"$5::int)"
#define SQL_LIST_OF(fn) \
	"SELECT body, k1, k2 FROM " fn "($1::jsonb, $6::uuid, $2::jsonb, "  \
	"CASE WHEN $3::text IS NULL THEN NULL ELSE ARRAY[$3, $4::text] END, " \
	"$5::int)"
#define SQL_GET(fn) \
	"SELECT version, location, body, replayed FROM " fn                 \
	"($1::jsonb, $2::uuid)"
#define SQL_CREATE(fn) \
	"SELECT version, location, body, replayed FROM " fn                 \
	"($1::jsonb, $2, $3, $4::jsonb)"
#define SQL_CREATE_OF(fn) \
	"SELECT version, location, body, replayed FROM " fn                 \
	"($1::jsonb, $2, $3, $5::uuid, $4::jsonb)"
#define SQL_UPDATE(fn) \
	"SELECT version, location, body, replayed FROM " fn                 \
	"($1::jsonb, $2::uuid, $3::int[], $4::jsonb)"
#define SQL_DELETE(fn) \
	"SELECT version, location, body, replayed FROM " fn                 \
	"($1::jsonb, $2::uuid, $3::int[])"
#define SQL_GET_BY(fn) \
	"SELECT version, location, body, replayed FROM " fn                 \
	"($1::jsonb, $2::uuid, $3)"

/* Matching settings: two path parameters, district and programme. */
#define SQL_SETTINGS_GET \
	"SELECT version, location, body, replayed FROM "                   \
	"ch.matching_settings_get($1::jsonb, $2, $3)"
#define SQL_SETTINGS_PUT \
	"SELECT version, location, body, replayed FROM "                   \
	"ch.matching_settings_put($1::jsonb, $2, $5, $3::int[], $4::jsonb)"

#endif /* CH_SQL_H */
