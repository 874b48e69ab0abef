/*
 * libFuzzer target for api/schema.c: request bodies checked against the
 * request schemas of the real contract (openapi/openapi.yaml, as the JSON
 * the build makes of it), the way resource.c checks every body it takes.
 *
 * The first byte picks the schema, the other bytes are the body. A body
 * takes the path of api_body_json() first (UTF-8, no NUL byte, strict
 * JSON nested at most 32 deep, an object), so the validator sees only
 * what the API would hand it.
 */

#include <string.h>

#include <cjson/cJSON.h>

#include "ch.h"
#include "fuzz.h"

/* As api_body_json() bounds request bodies (API_JSON_DEPTH_MAX). */
#define JSON_DEPTH_MAX	32
#define SCHEMAS_MAX	128

/*
 * These come first, at fixed first bytes, so the seed corpus keeps
 * meaning the same schema when the contract gains others; every other
 * request body schema of the contract follows.
 */
static const char *const preferred[] = {
	"OfferCreate",			/* 0x00 */
	"ParticipantCreate",		/* 0x01 */
	"MatchingJobCreate",		/* 0x02 */
	"MenteeProfileWrite",		/* 0x03 */
	"EventCreate",			/* 0x04 */
	"MeetingCreate",		/* 0x05 */
	"MatchingSettingsWrite",	/* 0x06 */
	"PlacementPatch",		/* 0x07 */
	"OrganizationCreate",		/* 0x08 */
	"ConsentGrant",			/* 0x09 */
	"TandemCreate",			/* 0x0a */
	"MentorCreate",			/* 0x0b */
	NULL
};

static cJSON		*contract;
static const cJSON	*schemas[SCHEMAS_MAX];
static int		 nschemas;

struct errors {
	int	count;
};

static void	load_contract(void);
static void	add_schema(const cJSON *);
static void	collect_request_schemas(void);
static void	on_error(void *, const char *, const char *, const char *);

static void
load_contract(void)
{
	FILE	*fp;
	char	*text;
	long	 len;

	if ((fp = fopen(CONTRACT_JSON, "rb")) == NULL ||
	    fseek(fp, 0, SEEK_END) != 0 || (len = ftell(fp)) <= 0 ||
	    fseek(fp, 0, SEEK_SET) != 0) {
		fprintf(stderr, "fuzz_schema: cannot read %s\n", CONTRACT_JSON);
		exit(1);
	}
	if ((text = malloc((size_t)len + 1)) == NULL ||
	    fread(text, 1, (size_t)len, fp) != (size_t)len) {
		fprintf(stderr, "fuzz_schema: cannot read %s\n", CONTRACT_JSON);
		exit(1);
	}
	text[len] = '\0';
	fclose(fp);
	if ((contract = cJSON_Parse(text)) == NULL) {
		fprintf(stderr, "fuzz_schema: %s is not JSON\n", CONTRACT_JSON);
		exit(1);
	}
	free(text);
}

static void
add_schema(const cJSON *schema)
{
	int	i;

	if (schema == NULL)
		return;
	for (i = 0; i < nschemas; i++) {
		if (schemas[i] == schema)
			return;
	}
	if (nschemas == SCHEMAS_MAX) {
		fprintf(stderr, "fuzz_schema: more than %d request schemas\n",
		    SCHEMAS_MAX);
		exit(1);
	}
	schemas[nschemas++] = schema;
}

/* The preferred schemas, then each operation's body schema in order. */
static void
collect_request_schemas(void)
{
	const cJSON	*path, *op, *content, *media;
	int		 i;

	for (i = 0; preferred[i] != NULL; i++) {
		if (schema_named(contract, preferred[i]) == NULL) {
			fprintf(stderr, "fuzz_schema: the contract has no "
			    "schema %s; update the list\n", preferred[i]);
			exit(1);
		}
		add_schema(schema_named(contract, preferred[i]));
	}
	cJSON_ArrayForEach(path, cJSON_GetObjectItemCaseSensitive(contract,
	    "paths")) {
		cJSON_ArrayForEach(op, path) {
			content = cJSON_GetObjectItemCaseSensitive(
			    schema_resolve(contract,
			    cJSON_GetObjectItemCaseSensitive(op,
			    "requestBody")), "content");
			cJSON_ArrayForEach(media, content) {
				add_schema(schema_resolve(contract,
				    cJSON_GetObjectItemCaseSensitive(media,
				    "schema")));
			}
		}
	}
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	load_contract();
	collect_request_schemas();

	return (0);
}

/* Every error names its place as a JSON pointer, with a code and text. */
static void
on_error(void *arg, const char *pointer, const char *code, const char *msg)
{
	struct errors	*e = arg;

	FUZZ_CHECK(pointer != NULL && code != NULL && msg != NULL);
	FUZZ_CHECK(strlen(pointer) < SCHEMA_POINTER_MAX);
	FUZZ_CHECK(pointer[0] == '\0' || pointer[0] == '/');
	FUZZ_CHECK(code[0] != '\0' && msg[0] != '\0');
	/* Both end up in the problem document, which must be UTF-8 text
	 * (api_errors_add() relies on it). */
	FUZZ_CHECK(codec_utf8_valid(pointer, strlen(pointer)));
	FUZZ_CHECK(codec_utf8_valid(msg, strlen(msg)));
	e->count++;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct errors	 e;
	const cJSON	*schema;
	const char	*body;
	cJSON		*value;
	size_t		 len;
	int		 n;

	if (size < 2)
		return (0);
	schema = schemas[data[0] % nschemas];
	body = (const char *)data + 1;
	len = size - 1;

	if (!codec_utf8_valid(body, len) || memchr(body, '\0', len) != NULL ||
	    !codec_json_strict(body, len, JSON_DEPTH_MAX))
		return (0);
	if ((value = cJSON_ParseWithLength(body, len)) == NULL)
		return (0);
	if (cJSON_IsObject(value)) {
		e.count = 0;
		n = schema_validate(contract, schema, value, "", on_error, &e);
		FUZZ_CHECK(n == e.count);
	}
	cJSON_Delete(value);

	return (0);
}
