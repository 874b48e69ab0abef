/*
 * Unit tests for schema.c (request validation against the contract's
 * schemas) and codec_accept_language(). The schemas here are small
 * stand-ins written like those of openapi/openapi.yaml; the last test
 * runs the validator over the real contract's request schemas.
 */

#include <sys/types.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "ch.h"

#define ERRORS_MAX	16

struct seen {
	int	count;
	char	field[ERRORS_MAX][SCHEMA_POINTER_MAX];
	char	code[ERRORS_MAX][32];
};

static const char *doc_text =
    "{\"components\":{\"schemas\":{"
    "\"Level\":{\"type\":\"string\",\"enum\":[\"a1\",\"a2\",\"native\"]},"
    "\"Spoken\":{\"type\":\"object\",\"additionalProperties\":false,"
    "  \"required\":[\"code\",\"level\"],\"properties\":{"
    "  \"code\":{\"type\":\"string\",\"pattern\":\"^[a-z]{2,3}$\"},"
    "  \"level\":{\"$ref\":\"#/components/schemas/Level\"}}},"
    "\"Thing\":{\"type\":\"object\",\"additionalProperties\":false,"
    "  \"required\":[\"name\"],\"minProperties\":1,\"properties\":{"
    "  \"name\":{\"type\":\"string\",\"minLength\":2,\"maxLength\":5},"
    "  \"count\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":10},"
    "  \"ratio\":{\"type\":[\"number\",\"null\"],\"maximum\":1.5},"
    "  \"on\":{\"type\":\"boolean\"},"
    "  \"id\":{\"type\":[\"string\",\"null\"],\"format\":\"uuid\"},"
    "  \"day\":{\"type\":\"string\",\"format\":\"date\"},"
    "  \"at\":{\"type\":\"string\",\"format\":\"date-time\"},"
    "  \"a/b~c\":{\"type\":\"integer\"},"
    "  \"tags\":{\"type\":\"array\",\"maxItems\":3,\"uniqueItems\":true,"
    "    \"items\":{\"type\":\"string\"}},"
    "  \"langs\":{\"type\":\"array\",\"minItems\":1,"
    "    \"items\":{\"$ref\":\"#/components/schemas/Spoken\"}}}},"
    "\"Loop\":{\"$ref\":\"#/components/schemas/Loop\"}"
    "}}}";

static cJSON	*doc;

static void
collect(void *arg, const char *field, const char *code, const char *msg)
{
	struct seen	*s = arg;

	assert_non_null(msg);
	assert_true(strlen(msg) > 0);
	if (s->count < ERRORS_MAX) {
		snprintf(s->field[s->count], sizeof(s->field[0]), "%s", field);
		snprintf(s->code[s->count], sizeof(s->code[0]), "%s", code);
	}
	s->count++;
}

/* Validates text against Thing; returns the errors seen. */
static struct seen
check(const char *text)
{
	struct seen	 s;
	cJSON		*v;
	int		 n;

	memset(&s, 0, sizeof(s));
	v = cJSON_Parse(text);
	assert_non_null(v);
	n = schema_validate(doc, schema_named(doc, "Thing"), v, "", collect,
	    &s);
	assert_int_equal(n, s.count);
	cJSON_Delete(v);

	return (s);
}

static void
expect_one(const char *text, const char *field, const char *code)
{
	struct seen	s = check(text);

	if (s.count != 1)
		fail_msg("%s: %d errors, first %s %s", text, s.count,
		    s.field[0], s.code[0]);
	assert_string_equal(s.field[0], field);
	assert_string_equal(s.code[0], code);
}

static int
setup(void **state)
{
	(void)state;
	doc = cJSON_Parse(doc_text);
	return (doc == NULL);
}

static int
teardown(void **state)
{
	(void)state;
	cJSON_Delete(doc);
	return (0);
}

static void
test_valid(void **state)
{
	(void)state;
	assert_int_equal(check("{\"name\":\"ab\"}").count, 0);
	assert_int_equal(check("{\"name\":\"Ölçü\",\"count\":10,"
	    "\"ratio\":null,\"on\":false,"
	    "\"id\":\"0b6f3c1e-5d7a-4b8e-9f0a-2c4d6e8f1a3b\","
	    "\"day\":\"2024-02-29\",\"at\":\"2026-11-24T10:00:00.5+01:00\","
	    "\"tags\":[\"x\",\"y\"],"
	    "\"langs\":[{\"code\":\"prs\",\"level\":\"native\"}]}").count, 0);
}

static void
test_types(void **state)
{
	(void)state;
	expect_one("{\"name\":1}", "/name", "type");
	expect_one("{\"name\":null}", "/name", "type");
	expect_one("{\"name\":\"ab\",\"count\":1.5}", "/count", "type");
	expect_one("{\"name\":\"ab\",\"count\":1e300}", "/count", "type");
	expect_one("{\"name\":\"ab\",\"count\":\"3\"}", "/count", "type");
	expect_one("{\"name\":\"ab\",\"on\":0}", "/on", "type");
	expect_one("{\"name\":\"ab\",\"tags\":{}}", "/tags", "type");
	expect_one("{\"name\":\"ab\",\"ratio\":\"x\"}", "/ratio", "type");
	assert_int_equal(check("{\"name\":\"ab\",\"count\":2.0}").count, 0);
}

static void
test_ranges_and_lengths(void **state)
{
	(void)state;
	expect_one("{\"name\":\"ab\",\"count\":0}", "/count", "minimum");
	expect_one("{\"name\":\"ab\",\"count\":11}", "/count", "maximum");
	expect_one("{\"name\":\"ab\",\"count\":-9007199254740993}", "/count",
	    "type");
	expect_one("{\"name\":\"ab\",\"ratio\":1.6}", "/ratio", "maximum");
	expect_one("{\"name\":\"a\"}", "/name", "min_length");
	/* Characters, not bytes: five two-byte letters fit. */
	assert_int_equal(check("{\"name\":\"äöüßé\"}").count, 0);
	expect_one("{\"name\":\"äöüßéa\"}", "/name", "max_length");
}

static void
test_objects(void **state)
{
	struct seen	s;

	(void)state;
	s = check("{}");
	assert_int_equal(s.count, 2);
	assert_string_equal(s.code[0], "required");
	assert_string_equal(s.code[1], "min_properties");
	expect_one("{\"count\":2}", "/name", "required");
	expect_one("{\"name\":\"ab\",\"role\":\"admin\"}", "/role",
	    "unknown_field");
	expect_one("{\"name\":\"ab\",\"name\":\"cd\"}", "/name", "duplicate");
	expect_one("{\"name\":\"ab\",\"a/b~c\":\"x\"}", "/a~1b~0c", "type");
	expect_one("[]", "", "type");
}

/*
 * A member name too long for the error's pointer was cut in the middle
 * of a character, and the 422 answer carried invalid UTF-8 (found while
 * writing tests/fuzz). The cut now falls before a whole character.
 */
static void
test_long_name_cut_whole(void **state)
{
	struct seen	 s;
	char		 text[1024], *p;
	size_t		 len;
	int		 i, pad;

	(void)state;
	/* pad shifts the cut through each byte of the 2- to 4-byte ones. */
	for (pad = 0; pad < 4; pad++) {
		p = text;
		p += sprintf(p, "{\"name\":\"ab\",\"");
		for (i = 0; i < pad; i++)
			*p++ = 'x';
		for (i = 0; i < 40; i++)
			p += sprintf(p, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
		p += sprintf(p, "\":1}");
		s = check(text);
		assert_int_equal(s.count, 1);
		assert_string_equal(s.code[0], "unknown_field");
		len = strlen(s.field[0]);
		assert_true(len > 240 && len < SCHEMA_POINTER_MAX);
		if (!codec_utf8_valid(s.field[0], len))
			fail_msg("pad %d: pointer cut inside a character", pad);
	}
}

static void
test_arrays(void **state)
{
	(void)state;
	expect_one("{\"name\":\"ab\",\"tags\":[\"a\",\"b\",\"c\",\"d\"]}",
	    "/tags", "max_items");
	expect_one("{\"name\":\"ab\",\"tags\":[\"a\",\"a\"]}", "/tags/1",
	    "duplicate");
	expect_one("{\"name\":\"ab\",\"tags\":[\"a\",1]}", "/tags/1", "type");
	expect_one("{\"name\":\"ab\",\"langs\":[]}", "/langs", "min_items");
	expect_one("{\"name\":\"ab\",\"langs\":[{\"code\":\"uk\","
	    "\"level\":\"b9\"}]}", "/langs/0/level", "enum");
	expect_one("{\"name\":\"ab\",\"langs\":[{\"code\":\"UK\","
	    "\"level\":\"a1\"}]}", "/langs/0/code", "pattern");
	expect_one("{\"name\":\"ab\",\"langs\":[{\"code\":\"uk\"}]}",
	    "/langs/0/level", "required");
}

static void
test_overlong_array_not_walked(void **state)
{
	struct seen	 s;
	cJSON		*v, *a;
	int		 i;

	(void)state;
	v = cJSON_CreateObject();
	cJSON_AddStringToObject(v, "name", "ab");
	a = cJSON_AddArrayToObject(v, "tags");
	for (i = 0; i < 10000; i++)
		cJSON_AddItemToArray(a, cJSON_CreateNumber(i));
	memset(&s, 0, sizeof(s));
	assert_int_equal(schema_validate(doc, schema_named(doc, "Thing"), v,
	    "", collect, &s), 1);
	assert_string_equal(s.code[0], "max_items");
	cJSON_Delete(v);
}

static void
test_huge_object_not_walked(void **state)
{
	struct seen	 s;
	cJSON		*v;
	char		 name[16];
	int		 i;

	(void)state;
	v = cJSON_CreateObject();
	for (i = 0; i < 5000; i++) {
		snprintf(name, sizeof(name), "m%d", i);
		cJSON_AddNumberToObject(v, name, i);
	}
	memset(&s, 0, sizeof(s));
	assert_int_equal(schema_validate(doc, schema_named(doc, "Thing"), v,
	    "", collect, &s), 1);
	assert_string_equal(s.code[0], "max_properties");
	cJSON_Delete(v);
}

static void
test_formats(void **state)
{
	(void)state;
	expect_one("{\"name\":\"ab\",\"id\":\"0b6f3c1e5d7a4b8e9f0a2c4d6e8f1a3b\"}",
	    "/id", "format");
	expect_one("{\"name\":\"ab\",\"day\":\"2023-02-29\"}", "/day", "format");
	expect_one("{\"name\":\"ab\",\"day\":\"2024-13-01\"}", "/day", "format");
	expect_one("{\"name\":\"ab\",\"day\":\"2024-1-01\"}", "/day", "format");
	expect_one("{\"name\":\"ab\",\"at\":\"2026-11-24 10:00:00Z\"}", "/at",
	    "format");
	expect_one("{\"name\":\"ab\",\"at\":\"2026-11-24T25:00:00Z\"}", "/at",
	    "format");
	expect_one("{\"name\":\"ab\",\"at\":\"2026-11-24T10:00:00\"}", "/at",
	    "format");
	expect_one("{\"name\":\"ab\",\"at\":\"2026-11-24T23:59:60.5Z\"}",
	    "/at", "format");
	expect_one("{\"name\":\"ab\",\"at\":\"2026-11-24T10:00:00+16:00\"}",
	    "/at", "format");
	assert_int_equal(check("{\"name\":\"ab\","
	    "\"at\":\"2026-11-24T10:00:00Z\"}").count, 0);
	assert_int_equal(check("{\"name\":\"ab\","
	    "\"at\":\"2026-12-31T23:59:60Z\"}").count, 0);
}

static void
test_where_prefix_and_refs(void **state)
{
	struct seen	 s;
	cJSON		*v;

	(void)state;
	memset(&s, 0, sizeof(s));
	v = cJSON_CreateString("b9");
	assert_int_equal(schema_validate(doc, schema_named(doc, "Level"), v,
	    "level", collect, &s), 1);
	assert_string_equal(s.field[0], "level");
	assert_string_equal(s.code[0], "enum");
	cJSON_Delete(v);

	/* A reference cycle is a contract bug, reported, not a hang. */
	memset(&s, 0, sizeof(s));
	v = cJSON_CreateString("x");
	assert_int_equal(schema_validate(doc, schema_named(doc, "Loop"), v,
	    "", collect, &s), 1);
	assert_string_equal(s.code[0], "schema");
	cJSON_Delete(v);
	assert_null(schema_named(doc, "Missing"));
}

static void
test_schema_check(void **state)
{
	struct seen	 s;
	cJSON		*bad;

	(void)state;
	memset(&s, 0, sizeof(s));
	assert_int_equal(schema_check(doc, schema_named(doc, "Thing"), collect,
	    &s), 0);
	bad = cJSON_Parse("{\"type\":\"object\",\"properties\":{\"x\":"
	    "{\"oneOf\":[]},\"y\":{\"type\":\"string\",\"pattern\":\"(\"}}}");
	assert_int_equal(schema_check(doc, bad, collect, &s), 2);
	cJSON_Delete(bad);
}

/*
 * Every request body of the real contract uses only what we check: the
 * bodies of every operation, as the API finds them (requestBody content).
 */
static void
test_contract_request_schemas(void **state)
{
	struct seen	 s;
	const cJSON	*path, *op, *media, *sch;
	cJSON		*contract;
	FILE		*f;
	char		*text;
	long		 len;
	int		 n;

	(void)state;
	f = fopen(CONTRACT_JSON, "rb");
	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	len = ftell(f);
	rewind(f);
	text = malloc(len + 1);
	assert_int_equal(fread(text, 1, len, f), (size_t)len);
	text[len] = '\0';
	fclose(f);
	contract = cJSON_Parse(text);
	free(text);
	assert_non_null(contract);

	n = 0;
	cJSON_ArrayForEach(path, cJSON_GetObjectItemCaseSensitive(contract,
	    "paths")) {
		cJSON_ArrayForEach(op, path) {
			cJSON_ArrayForEach(media,
			    cJSON_GetObjectItemCaseSensitive(
			    cJSON_GetObjectItemCaseSensitive(op, "requestBody"),
			    "content")) {
				sch = schema_resolve(contract,
				    cJSON_GetObjectItemCaseSensitive(media,
				    "schema"));
				memset(&s, 0, sizeof(s));
				if (sch == NULL || schema_check(contract, sch,
				    collect, &s) != 0)
					fail_msg("%s %s: %s %s", path->string,
					    op->string, s.field[0], s.code[0]);
				n++;
			}
		}
	}
	/* Sign-in, refresh, logout, password, users and the data. */
	assert_true(n >= 30);
	cJSON_Delete(contract);
}

static void
test_accept_language(void **state)
{
	char	tags[8][4];
	int	n;

	(void)state;
	n = codec_accept_language("uk-UA,uk;q=0.9,en;q=0.8,*;q=0.1", tags, 8);
	assert_int_equal(n, 2);
	assert_string_equal(tags[0], "uk");
	assert_string_equal(tags[1], "en");

	n = codec_accept_language("en;q=0.5, AR, de;q=0.7", tags, 8);
	assert_int_equal(n, 3);
	assert_string_equal(tags[0], "ar");
	assert_string_equal(tags[1], "de");
	assert_string_equal(tags[2], "en");

	assert_int_equal(codec_accept_language("fr;q=0, *", tags, 8), 0);
	assert_int_equal(codec_accept_language("", tags, 8), 0);
	assert_int_equal(codec_accept_language("x, toolong, 12", tags, 8), 0);
	assert_int_equal(codec_accept_language("de;foo=1", tags, 8), 0);
	n = codec_accept_language("ru, tr, fa, de, en, uk, ar, ps, prs", tags,
	    3);
	assert_int_equal(n, 3);
	assert_string_equal(tags[2], "fa");
}

static void
test_json_strict(void **state)
{
	static const char *const good[] = {
		"{}", " {\"a\":[1,-0,0.5,1e3,-2E-2,true,false,null]} ",
		"{\"\\u00fc\\n\":\"x\"}", "[]", "\"s\"", "0", NULL
	};
	static const char *const bad[] = {
		"{} garbage", "{}}", "{\"a\":05}", "{\"a\":5.}",
		"{\"a\":.5}", "{\"a\":+1}", "{\"a\":1e}", "{\"a\":\"\t\"}",
		"\xef\xbb\xbf{}", "{\"a\":1,}", "[1,]", "{'a':1}",
		"{\"a\" 1}", "{\"a\":tru}", "{\"a\":\"\\x\"}",
		"{\"a\":\"\\u12\"}", "", "   ", "{\"a\":NaN}", "[[[]]",
		NULL
	};
	int	i;

	(void)state;
	for (i = 0; good[i] != NULL; i++) {
		if (!codec_json_strict(good[i], strlen(good[i]), 32))
			fail_msg("refused %s", good[i]);
	}
	for (i = 0; bad[i] != NULL; i++) {
		if (codec_json_strict(bad[i], strlen(bad[i]), 32))
			fail_msg("accepted %s", bad[i]);
	}
	/* Depth: 3 nested arrays pass a limit of 3, not of 2. */
	assert_true(codec_json_strict("[[[]]]", 6, 3));
	assert_false(codec_json_strict("[[[]]]", 6, 2));
	/* An embedded NUL ends nothing: it is not JSON. */
	assert_false(codec_json_strict("{}\0", 3, 32));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_types),
		cmocka_unit_test(test_ranges_and_lengths),
		cmocka_unit_test(test_objects),
		cmocka_unit_test(test_long_name_cut_whole),
		cmocka_unit_test(test_arrays),
		cmocka_unit_test(test_overlong_array_not_walked),
		cmocka_unit_test(test_huge_object_not_walked),
		cmocka_unit_test(test_formats),
		cmocka_unit_test(test_where_prefix_and_refs),
		cmocka_unit_test(test_schema_check),
		cmocka_unit_test(test_contract_request_schemas),
		cmocka_unit_test(test_accept_language),
		cmocka_unit_test(test_json_strict),
	};

	return (cmocka_run_group_tests(tests, setup, teardown));
}
