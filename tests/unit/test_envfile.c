/* Unit tests for common/envfile.c: settings from X or from the file X_FILE. */

#include <sys/types.h>
#include <sys/stat.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "envfile.h"

/* A secret that no error message may quote, not even in part. */
#define SECRET		"Tq8vN3xZ0pWk5yRb7Lc2Hd9Fs4Ja6UeGi1Oo3Qm"
#define SECRET_PART	"Tq8vN3"

static char	dir[64];

static const char	*file_with(const char *, const void *, size_t);
static void		 check_refusal(const char *, const char *,
			    const char *);
static void		 want_value(const void *, size_t, const char *);
static void		 want_refused(const void *, size_t, const char *);

static int
setup(void **state)
{
	(void)state;
	(void)snprintf(dir, sizeof(dir), "/tmp/ch-test-envfile.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return (-1);
	return (0);
}

static int
teardown(void **state)
{
	char	cmd[128];

	(void)state;
	(void)snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return (system(cmd) == 0 ? 0 : -1);
}

/* Writes len bytes to a new file of the test directory; its path. */
static const char *
file_with(const char *name, const void *data, size_t len)
{
	static char	path[128];
	FILE		*f;

	(void)snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "wb")) == NULL)
		fail_msg("cannot create %s", path);
	if (len > 0 && fwrite(data, 1, len, f) != len)
		fail_msg("cannot write %s", path);
	if (fclose(f) != 0)
		fail_msg("cannot write %s", path);
	return (path);
}

/* err names var, says why (contains want) and quotes no secret. */
static void
check_refusal(const char *err, const char *var, const char *want)
{
	if (strstr(err, var) == NULL)
		fail_msg("\"%s\" does not name %s", err, var);
	if (strstr(err, want) == NULL)
		fail_msg("\"%s\" does not say \"%s\"", err, want);
	if (strstr(err, SECRET_PART) != NULL)
		fail_msg("\"%s\" quotes the file", err);
}

/* A file of these len bytes is read as want. */
static void
want_value(const void *data, size_t len, const char *want)
{
	char	err[ENVFILE_ERR_MAX], *v;

	if (envfile_read("CH_X_FILE", file_with("v", data, len), &v, err,
	    sizeof(err)) == -1)
		fail_msg("refused: %s", err);
	assert_string_equal(v, want);
	free(v);
}

/* A file of these len bytes is refused, saying want. */
static void
want_refused(const void *data, size_t len, const char *want)
{
	char	err[ENVFILE_ERR_MAX], *v;

	memset(err, 0x7f, sizeof(err));
	v = (char *)1;
	assert_int_equal(envfile_read("CH_X_FILE", file_with("r", data, len),
	    &v, err, sizeof(err)), -1);
	assert_null(v);
	if (memchr(err, '\0', sizeof(err)) == NULL)
		fail_msg("error is not NUL-terminated");
	check_refusal(err, "CH_X_FILE", want);
}

/* One trailing newline goes, LF or CRLF; nothing else is trimmed. */
static void
test_newline_stripping(void **state)
{
	(void)state;
	want_value(SECRET, strlen(SECRET), SECRET);
	want_value(SECRET "\n", strlen(SECRET) + 1, SECRET);
	want_value(SECRET "\r\n", strlen(SECRET) + 2, SECRET);
	want_value("v\n\n", 3, "v\n");
	want_value("v\r\n\r\n", 5, "v\r\n");
	want_value("v\r", 2, "v\r");
	want_value("v\n\r", 3, "v\n\r");
	want_value("  v \t\n", 6, "  v \t");
	want_value("\nv\n", 3, "\nv");
	want_value("x", 1, "x");
}

static void
test_empty(void **state)
{
	(void)state;
	want_refused("", 0, "is empty");
	want_refused("\n", 1, "is empty");
	want_refused("\r\n", 2, "is empty");
}

static void
test_large(void **state)
{
	char	*big, *want;

	(void)state;
	big = malloc(ENVFILE_MAX + 2);
	assert_non_null(big);
	memset(big, 'a', ENVFILE_MAX + 2);
	big[0] = 'T';
	want_refused(big, ENVFILE_MAX + 1, "larger than 64 KiB");
	want_refused(big, ENVFILE_MAX + 2, "larger than 64 KiB");
	/* A newline does not make room: the limit is the file's size. */
	big[ENVFILE_MAX] = '\n';
	want_refused(big, ENVFILE_MAX + 1, "larger than 64 KiB");

	/* 64 KiB exactly is accepted, a newline at its end removed. */
	big[ENVFILE_MAX] = '\0';
	want_value(big, ENVFILE_MAX, big);
	want = strdup(big);
	assert_non_null(want);
	big[ENVFILE_MAX - 1] = '\n';
	want[ENVFILE_MAX - 1] = '\0';
	want_value(big, ENVFILE_MAX, want);
	free(want);
	free(big);
}

static void
test_nul_byte(void **state)
{
	(void)state;
	want_refused(SECRET "\0x\n", strlen(SECRET) + 3, "NUL byte");
}

static void
test_unreadable(void **state)
{
	char	err[ENVFILE_ERR_MAX], path[128], *v;

	(void)state;
	(void)snprintf(path, sizeof(path), "%s/missing", dir);
	assert_int_equal(envfile_read("CH_X_FILE", path, &v, err,
	    sizeof(err)), -1);
	check_refusal(err, "CH_X_FILE", "cannot open");
	assert_non_null(strstr(err, path));

	/* A directory, and a FIFO, which must not block the start. */
	assert_int_equal(envfile_read("CH_X_FILE", dir, &v, err,
	    sizeof(err)), -1);
	check_refusal(err, "CH_X_FILE", "not a regular file");
	(void)snprintf(path, sizeof(path), "%s/fifo", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(envfile_read("CH_X_FILE", path, &v, err,
	    sizeof(err)), -1);
	check_refusal(err, "CH_X_FILE", "not a regular file");

	/* Permissions bind everyone but root. */
	if (geteuid() != 0) {
		(void)file_with("private", SECRET, strlen(SECRET));
		(void)snprintf(path, sizeof(path), "%s/private", dir);
		assert_int_equal(chmod(path, 0), 0);
		assert_int_equal(envfile_read("CH_X_FILE", path, &v, err,
		    sizeof(err)), -1);
		check_refusal(err, "CH_X_FILE", "cannot open");
	}
}

/* X alone, X_FILE alone, and both. */
static void
test_get(void **state)
{
	char		 err[ENVFILE_ERR_MAX];
	const char	*v, *path;

	(void)state;
	assert_int_equal(envfile_refused(err, sizeof(err)), 0);

	/* Neither: NULL, like getenv(). */
	unsetenv("CH_T1");
	unsetenv("CH_T1_FILE");
	assert_null(envfile_get("CH_T1"));

	/* X alone is the environment's own string. */
	setenv("CH_T1", "plain", 1);
	assert_ptr_equal(envfile_get("CH_T1"), getenv("CH_T1"));

	/* X_FILE alone: the file, without its newline. */
	path = file_with("t2", SECRET "\n", strlen(SECRET) + 1);
	unsetenv("CH_T2");
	setenv("CH_T2_FILE", path, 1);
	v = envfile_get("CH_T2");
	assert_non_null(v);
	assert_string_equal(v, SECRET);
	/* Not put into the environment. */
	assert_null(getenv("CH_T2"));
	/* Read once: the same string again, even if the file changed. */
	(void)file_with("t2", "other", 5);
	assert_ptr_equal(envfile_get("CH_T2"), v);
	assert_string_equal(envfile_get("CH_T2"), SECRET);
	assert_int_equal(envfile_refused(err, sizeof(err)), 0);

	/* X set empty counts as unset: X_FILE gives the value. */
	path = file_with("t3", "from-file", 9);
	setenv("CH_T3", "", 1);
	setenv("CH_T3_FILE", path, 1);
	assert_string_equal(envfile_get("CH_T3"), "from-file");
	/* X_FILE set empty counts as unset too. */
	setenv("CH_T4", "plain", 1);
	setenv("CH_T4_FILE", "", 1);
	assert_string_equal(envfile_get("CH_T4"), "plain");
	assert_int_equal(envfile_refused(err, sizeof(err)), 0);

	/* Both: refused, naming both and quoting neither. */
	path = file_with("t5", SECRET, strlen(SECRET));
	setenv("CH_T5", SECRET, 1);
	setenv("CH_T5_FILE", path, 1);
	assert_null(envfile_get("CH_T5"));
	assert_int_equal(envfile_refused(err, sizeof(err)), 1);
	check_refusal(err, "CH_T5_FILE", "both set");
	assert_non_null(strstr(err, "CH_T5 "));
	/* Reported once, then forgotten. */
	assert_int_equal(envfile_refused(err, sizeof(err)), 0);

	/* A bad file: NULL, and the refusal says which and why. */
	setenv("CH_T6_FILE", dir, 1);
	assert_null(envfile_get("CH_T6"));
	/* Only the first refusal is kept: often the others follow from it. */
	unsetenv("CH_T6_FILE");
	setenv("CH_T7_FILE", "/nonexistent/ch", 1);
	assert_null(envfile_get("CH_T7"));
	assert_int_equal(envfile_refused(err, sizeof(err)), 1);
	check_refusal(err, "CH_T6_FILE", "not a regular file");
	assert_int_equal(envfile_refused(err, sizeof(err)), 0);
}

int
main(void)
{
	const struct CMUnitTest	tests[] = {
		cmocka_unit_test(test_newline_stripping),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_large),
		cmocka_unit_test(test_nul_byte),
		cmocka_unit_test(test_unreadable),
		cmocka_unit_test(test_get),
	};

	return (cmocka_run_group_tests_name("envfile", tests, setup,
	    teardown));
}
