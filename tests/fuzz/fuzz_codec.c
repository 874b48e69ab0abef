/*
 * libFuzzer target for api/codec.c, the parsers of query strings,
 * cursors, Accept-Language headers and JSON text that every request
 * passes through before a handler looks at it.
 *
 * The first byte picks the parser, the other bytes are its input. Besides
 * the sanitizers, the target checks what each parser promises its
 * callers: decoded query arguments are valid UTF-8 without control
 * characters and named once, a cursor that decodes is exactly the one the
 * API would have made, escaped strings read back unchanged.
 */

#include <limits.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <sodium.h>

#include "ch.h"
#include "fuzz.h"

/* As api_body_json() bounds request bodies (API_JSON_DEPTH_MAX). */
#define JSON_DEPTH_MAX	32
#define LANGS_MAX	8

enum mode {
	MODE_QUERY = 0,
	MODE_CURSOR,
	MODE_ACCEPT_LANGUAGE,
	MODE_JSON,
	MODE_SCALARS,
	MODE_PROBLEM,
	MODE_COUNT
};

/* The lists that page with a cursor and the number of keys theirs holds. */
static const struct {
	const char	*kind;
	int		 nkeys;
} kinds[] = {
	{ "district", 1 },
	{ "user", 2 },
	{ "place", 3 },
	{ "/v1/offers", 2 },
	{ "/v1/offers?near", 2 },
};

#define NKINDS	(sizeof(kinds) / sizeof(kinds[0]))

static int	plain_text(const char *);
static void	check_cursor(const char *);
static void	fuzz_query(char *);
static void	fuzz_accept_language(const char *);
static void	fuzz_json(const uint8_t *, size_t);
static void	fuzz_scalars(const uint8_t *, size_t, const char *);
static void	fuzz_problem(char *);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (sodium_init() == -1)
		abort();

	return (0);
}

/* What a decoded query argument must be: no C0 control or DEL. */
static int
plain_text(const char *s)
{
	for (; *s != '\0'; s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return (0);
	}

	return (1);
}

/*
 * A cursor that decodes for a kind is one codec_cursor_encode() made:
 * anything else could smuggle keys past the checks on what we emit.
 */
static void
check_cursor(const char *cursor)
{
	const char	*ckeys[CODEC_CURSOR_KEYS];
	char		*keys[CODEC_CURSOR_KEYS], *again;
	size_t		 k;
	int		 i;

	for (k = 0; k < NKINDS; k++) {
		if (codec_cursor_decode(cursor, kinds[k].kind, keys,
		    kinds[k].nkeys) == -1) {
			for (i = 0; i < kinds[k].nkeys; i++)
				FUZZ_CHECK(keys[i] == NULL);
			continue;
		}
		for (i = 0; i < kinds[k].nkeys; i++) {
			FUZZ_CHECK(keys[i] != NULL);
			ckeys[i] = keys[i];
		}
		again = codec_cursor_encode(kinds[k].kind, ckeys,
		    kinds[k].nkeys);
		FUZZ_CHECK(again != NULL && strcmp(again, cursor) == 0);
		free(again);
		codec_cursor_free(keys, kinds[k].nkeys);
	}
}

/* A query string, then each value as the handlers read one. */
static void
fuzz_query(char *qs)
{
	struct codec_query	 q;
	const char		*bad, *name, *value;
	long long		 n;
	int			 i, rc;

	rc = codec_query_parse(qs, &q, &bad);
	FUZZ_CHECK(q.count >= 0 && q.count <= CODEC_QUERY_MAX);
	if (rc != CODEC_QUERY_OK) {
		/* Only a valid name is shown back to the client. */
		if (bad != NULL)
			FUZZ_CHECK(bad[0] != '\0' && plain_text(bad) &&
			    codec_utf8_valid(bad, strlen(bad)));
		return;
	}
	FUZZ_CHECK(bad == NULL);

	for (i = 0; i < q.count; i++) {
		name = q.args[i].name;
		value = q.args[i].value;
		FUZZ_CHECK(name[0] != '\0');
		FUZZ_CHECK(codec_utf8_valid(name, strlen(name)) &&
		    codec_utf8_valid(value, strlen(value)));
		FUZZ_CHECK(plain_text(name) && plain_text(value));
		/* Names are unique, so the lookup finds this very one. */
		FUZZ_CHECK(codec_query_get(&q, name) == value);
		FUZZ_CHECK(codec_utf8_chars(value) <= strlen(value));

		if (codec_parse_int(value, 1, 100, &n) == 0)
			FUZZ_CHECK(n >= 1 && n <= 100);
		if (codec_is_uuid(value))
			FUZZ_CHECK(strlen(value) == 36);
		if (codec_is_district_key(value))
			FUZZ_CHECK(strlen(value) == 5);
		check_cursor(value);
	}
}

/* Tags come out as 2 or 3 lower-case letters, best first, each once. */
static void
fuzz_accept_language(const char *h)
{
	char	tags[LANGS_MAX][4];
	size_t	len;
	int	i, j, n;

	memset(tags, 0x5a, sizeof(tags));
	n = codec_accept_language(h, tags, LANGS_MAX);
	FUZZ_CHECK(n >= 0 && n <= LANGS_MAX);
	for (i = 0; i < n; i++) {
		FUZZ_CHECK(memchr(tags[i], '\0', sizeof(tags[i])) != NULL);
		len = strlen(tags[i]);
		FUZZ_CHECK(len == 2 || len == 3);
		FUZZ_CHECK(strspn(tags[i], "abcdefghijklmnopqrstuvwxyz") ==
		    len);
		for (j = 0; j < i; j++)
			FUZZ_CHECK(strcmp(tags[i], tags[j]) != 0);
	}
}

/*
 * The strict syntax check reads exactly len bytes (the data is not
 * NUL-terminated, so ASan sees any read past it), then the body goes on
 * to cJSON as in api_body_json().
 */
static void
fuzz_json(const uint8_t *data, size_t len)
{
	cJSON	*doc;

	if (!codec_json_strict((const char *)data, len, JSON_DEPTH_MAX))
		return;
	if ((doc = cJSON_ParseWithLength((const char *)data, len)) != NULL)
		cJSON_Delete(doc);
}

/* The small validators, and escaping, which must read back unchanged. */
static void
fuzz_scalars(const uint8_t *data, size_t len, const char *s)
{
	static const long long	 ranges[][2] = {
		{ 1, 100 }, { 1, 65535 }, { 0, 9999 }, { LLONG_MIN, LLONG_MAX },
	};
	cJSON			*doc;
	const char		*p;
	char			*json;
	long long		 n;
	size_t			 i;

	if (codec_utf8_valid((const char *)data, len) &&
	    memchr(data, '\0', len) == NULL)
		FUZZ_CHECK(codec_utf8_chars(s) <= len);
	for (i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++) {
		if (codec_parse_int(s, ranges[i][0], ranges[i][1], &n) == 0)
			FUZZ_CHECK(n >= ranges[i][0] && n <= ranges[i][1]);
	}
	if (codec_request_id_ok(s)) {
		FUZZ_CHECK(strlen(s) >= 1 && strlen(s) <= CODEC_REQUEST_ID_MAX);
		for (p = s; *p != '\0'; p++)
			FUZZ_CHECK(strchr("._:-", *p) != NULL ||
			    (*p >= '0' && *p <= '9') ||
			    (*p >= 'a' && *p <= 'z') ||
			    (*p >= 'A' && *p <= 'Z'));
	}
	if (codec_is_uuid(s))
		FUZZ_CHECK(strlen(s) == 36);

	if (!codec_utf8_valid(s, strlen(s)))
		return;
	json = codec_json_escape(s);
	FUZZ_CHECK(json != NULL);
	doc = cJSON_Parse(json);
	FUZZ_CHECK(cJSON_IsString(doc) && strcmp(doc->valuestring, s) == 0);
	cJSON_Delete(doc);
	free(json);
}

/* "title\ndetail\ninstance\nrequest id": a problem document of them. */
static void
fuzz_problem(char *s)
{
	const char	*field[4] = { "", NULL, NULL, NULL };
	const cJSON	*v;
	cJSON		*doc;
	char		*json, *p;
	int		 i;

	for (i = 0, p = s; i < 4 && p != NULL; i++) {
		field[i] = p;
		if ((p = strchr(p, '\n')) != NULL)
			*p++ = '\0';
	}
	for (i = 0; i < 4; i++) {
		if (field[i] != NULL &&
		    !codec_utf8_valid(field[i], strlen(field[i])))
			return;
	}

	json = codec_problem_json(422, "validation-failed", field[0],
	    field[1], field[2], field[3],
	    "[{\"field\":\"name\",\"code\":\"required\"}]");
	FUZZ_CHECK(json != NULL);
	doc = cJSON_Parse(json);
	FUZZ_CHECK(cJSON_IsObject(doc));
	v = cJSON_GetObjectItemCaseSensitive(doc, "title");
	FUZZ_CHECK(cJSON_IsString(v) && strcmp(v->valuestring, field[0]) == 0);
	v = cJSON_GetObjectItemCaseSensitive(doc, "detail");
	FUZZ_CHECK(field[1] == NULL ? v == NULL :
	    cJSON_IsString(v) && strcmp(v->valuestring, field[1]) == 0);
	FUZZ_CHECK(cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(doc,
	    "errors")));
	cJSON_Delete(doc);
	free(json);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*s;

	if (size == 0)
		return (0);
	/* The C-string parsers get a NUL-terminated copy of the rest. */
	if ((s = malloc(size)) == NULL)
		return (0);
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';

	switch (data[0] % MODE_COUNT) {
	case MODE_QUERY:
		fuzz_query(s);
		break;
	case MODE_CURSOR:
		check_cursor(s);
		break;
	case MODE_ACCEPT_LANGUAGE:
		fuzz_accept_language(s);
		break;
	case MODE_JSON:
		fuzz_json(data + 1, size - 1);
		break;
	case MODE_SCALARS:
		fuzz_scalars(data + 1, size - 1, s);
		break;
	case MODE_PROBLEM:
		fuzz_problem(s);
		break;
	}
	free(s);

	return (0);
}
