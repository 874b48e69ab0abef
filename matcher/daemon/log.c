/* log.c: one JSON object per line on stdout, each with one write(2). */

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"

/* Room kept for the closing "}\n" and a truncation marker. */
#define LOG_RESERVE	32

static enum log_level	log_threshold = LOG_INFO;

static const char *const level_names[] = { "debug", "info", "warn", "error" };

static void	log_raw(struct log_line *, const char *, size_t);
static void	log_key(struct log_line *, const char *);
static void	log_member_done(struct log_line *, size_t);

int
log_level_parse(const char *s, enum log_level *level)
{
	unsigned int	i;

	for (i = 0; i <= LOG_ERROR; i++) {
		if (strcmp(s, level_names[i]) == 0) {
			*level = (enum log_level)i;
			return (0);
		}
	}
	return (-1);
}

/* Called once, before any thread starts. */
void
log_set_level(enum log_level level)
{
	log_threshold = level;
}

uint64_t
mono_us(void)
{
	struct timespec	ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000);
}

uint64_t
mono_ms(void)
{
	return (mono_us() / 1000);
}

static void
log_raw(struct log_line *l, const char *s, size_t n)
{
	if (l->len + n > sizeof(l->buf) - LOG_RESERVE) {
		l->on = 2;		/* full: later fields are dropped */
		return;
	}
	memcpy(l->buf + l->len, s, n);
	l->len += n;
}

static void
log_key(struct log_line *l, const char *key)
{
	log_raw(l, ",\"", 2);
	log_raw(l, key, strlen(key));
	log_raw(l, "\":", 2);
}

/* A member that did not fit is taken out whole. */
static void
log_member_done(struct log_line *l, size_t start)
{
	if (l->on != 1)
		l->len = start;
}

/*
 * Start a line at level with its event name.  Returns 0 (and the line
 * stays off, every log_ call a no-op) below the configured level.
 */
int
log_begin(struct log_line *l, enum log_level level, const char *event)
{
	struct timespec	ts;
	struct tm	tm;
	int		n;

	l->len = 0;
	l->on = level >= log_threshold;
	if (!l->on)
		return (0);
	(void)clock_gettime(CLOCK_REALTIME, &ts);
	(void)gmtime_r(&ts.tv_sec, &tm);
	n = snprintf(l->buf, sizeof(l->buf),
	    "{\"time\":\"%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ\","
	    "\"level\":\"%s\"", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
	    tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000,
	    level_names[level]);
	l->len = n > 0 ? (size_t)n : 0;
	log_str(l, "event", event);
	return (1);
}

void
log_str(struct log_line *l, const char *key, const char *val)
{
	char		 esc[8];
	const char	*run, *s;
	size_t		 start;

	if (l->on != 1)
		return;
	start = l->len;
	log_key(l, key);
	log_raw(l, "\"", 1);
	for (run = s = val; *s != '\0'; s++) {
		if (*s != '"' && *s != '\\' && (unsigned char)*s >= 0x20)
			continue;
		log_raw(l, run, (size_t)(s - run));
		(void)snprintf(esc, sizeof(esc), "\\u%04x",
		    (unsigned int)(unsigned char)*s);
		log_raw(l, esc, 6);
		run = s + 1;
	}
	log_raw(l, run, (size_t)(s - run));
	log_raw(l, "\"", 1);
	log_member_done(l, start);
}

void
log_int(struct log_line *l, const char *key, long long v)
{
	char	num[32];
	size_t	start;
	int	n;

	if (l->on != 1)
		return;
	start = l->len;
	n = snprintf(num, sizeof(num), "%lld", v);
	log_key(l, key);
	log_raw(l, num, (size_t)n);
	log_member_done(l, start);
}

void
log_bool(struct log_line *l, const char *key, int v)
{
	size_t	start;

	if (l->on != 1)
		return;
	start = l->len;
	log_key(l, key);
	log_raw(l, v ? "true" : "false", v ? 4 : 5);
	log_member_done(l, start);
}

void
log_ms(struct log_line *l, const char *key, double v)
{
	char	num[32];
	size_t	start;
	int	n;

	if (l->on != 1)
		return;
	start = l->len;
	n = snprintf(num, sizeof(num), "%.3f", v);
	log_key(l, key);
	log_raw(l, num, (size_t)n);
	log_member_done(l, start);
}

/* Close the object and write it; a line cut short says so. */
void
log_end(struct log_line *l)
{
	const char	*end;
	size_t		 off;
	ssize_t		 n;

	if (l->on == 0)
		return;
	end = l->on == 2 ? ",\"truncated\":true}\n" : "}\n";
	memcpy(l->buf + l->len, end, strlen(end));
	l->len += strlen(end);
	/* Lines are shorter than PIPE_BUF: one write, never interleaved. */
	for (off = 0; off < l->len; off += (size_t)n) {
		n = write(STDOUT_FILENO, l->buf + off, l->len - off);
		if (n == -1 && errno == EINTR) {
			n = 0;
			continue;
		}
		if (n <= 0)
			break;
	}
	l->on = 0;
}
