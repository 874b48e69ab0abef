/*
 * input_result.c: a parsed job through the engine, and the result
 * document for ch.job_complete: its proposals with their explanations in
 * the API's units, and the job's statistics.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "input_int.h"

#define MSG_MAX		256

/* A growing string for the result document. */
struct sbuf {
	char	*p;
	size_t	 len;
	size_t	 cap;
	int	 oom;
};

struct proposal {
	uint32_t			s;
	uint32_t			c;
	struct engine_explanation	x;
};

static void	sb_add(struct sbuf *, const char *, size_t);
static void	sb_puts(struct sbuf *, const char *);
static void	sb_str(struct sbuf *, const char *);
static void	sb_u64(struct sbuf *, uint64_t);
static void	sb_dec(struct sbuf *, uint64_t, uint64_t);
static void	sb_uuid(struct sbuf *, const uint8_t *);
static void	sb_proposal(struct sbuf *, const struct input_job *,
		    const struct proposal *);
static double	ms_since(const struct timespec *);

static void
sb_add(struct sbuf *b, const char *s, size_t n)
{
	char	*p;
	size_t	 cap;

	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		cap = b->cap ? b->cap : 1024;
		while (b->len + n + 1 > cap)
			cap *= 2;
		if ((p = realloc(b->p, cap)) == NULL) {
			b->oom = 1;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
sb_puts(struct sbuf *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

/* A JSON string; the engine's names are plain ASCII, but be safe. */
static void
sb_str(struct sbuf *b, const char *s)
{
	char		 esc[8];
	const char	*run;

	sb_add(b, "\"", 1);
	for (run = s; *s != '\0'; s++) {
		if (*s != '"' && *s != '\\' && (unsigned char)*s >= 0x20)
			continue;
		sb_add(b, run, (size_t)(s - run));
		(void)snprintf(esc, sizeof(esc), "\\u%04x",
		    (unsigned int)(unsigned char)*s);
		sb_add(b, esc, 6);
		run = s + 1;
	}
	sb_add(b, run, (size_t)(s - run));
	sb_add(b, "\"", 1);
}

static void
sb_u64(struct sbuf *b, uint64_t v)
{
	char	buf[24];
	size_t	i = sizeof(buf);

	do {
		buf[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v > 0);
	sb_add(b, buf + i, sizeof(buf) - i);
}

/* v / div exactly, as a JSON number (div a power of ten). */
static void
sb_dec(struct sbuf *b, uint64_t v, uint64_t div)
{
	char		buf[24];
	uint64_t	frac, d;
	size_t		n;

	sb_u64(b, v / div);
	if ((frac = v % div) == 0)
		return;
	n = 0;
	buf[n++] = '.';
	for (d = div / 10; d > 0 && frac > 0; d /= 10) {
		buf[n++] = (char)('0' + frac / d);
		frac %= d;
	}
	sb_add(b, buf, n);
}

static void
sb_uuid(struct sbuf *b, const uint8_t *id)
{
	char	text[INPUT_UUID_LEN + 3];

	text[0] = '"';
	input_uuid_format(id, text + 1);
	text[INPUT_UUID_LEN + 1] = '"';
	text[INPUT_UUID_LEN + 2] = '\0';
	sb_add(b, text, INPUT_UUID_LEN + 2);
}

/* One proposal: engine units to the API's (points and fractions). */
static void
sb_proposal(struct sbuf *b, const struct input_job *job,
    const struct proposal *p)
{
	const struct engine_feature_expl	*fx;
	unsigned int				 f, i, first;

	sb_puts(b, "{\"subject\":");
	sb_uuid(b, job->subjects[p->s].id);
	sb_puts(b, ",\"candidate\":");
	sb_uuid(b, job->candidates[p->c].id);
	sb_puts(b, ",\"score\":");
	sb_u64(b, p->x.score);
	sb_puts(b, ",\"explanation\":{\"score\":");
	sb_dec(b, p->x.score, 100);
	sb_puts(b, ",\"features\":[");
	first = 1;
	for (f = 0; f < ENGINE_F_COUNT; f++) {
		if (!engine_feature_used(job->problem.programme, f))
			continue;
		for (i = 0; i < p->x.nfeatures &&
		    p->x.features[i].feature != f; i++)
			;
		if (i == p->x.nfeatures)
			continue;
		fx = &p->x.features[i];
		sb_puts(b, first ? "{\"feature\":" : ",{\"feature\":");
		first = 0;
		sb_str(b, engine_feature_name(f));
		sb_puts(b, ",\"value\":");
		sb_dec(b, fx->value, ENGINE_VALUE_ONE);
		sb_puts(b, ",\"weight\":");
		sb_dec(b, fx->weight, 100);
		sb_puts(b, ",\"points\":");
		sb_dec(b, fx->points, 100);
		sb_puts(b, ",\"reason\":");
		if (fx->reason != NULL)
			sb_str(b, fx->reason);
		else
			sb_puts(b, "null");
		sb_puts(b, "}");
	}
	sb_puts(b, "]}}");
}

static double
ms_since(const struct timespec *t0)
{
	struct timespec	t1;

	(void)clock_gettime(CLOCK_MONOTONIC, &t1);
	return ((double)(t1.tv_sec - t0->tv_sec) * 1e3 +
	    (double)(t1.tv_nsec - t0->tv_nsec) / 1e6);
}

/*
 * engine_suggest reports no counts; engine_stable without preference lists
 * gathers and scores exactly the admissible pairs above min_score, so its
 * statistics give the suggest job's pairs_checked and admissible as well.
 */
int
input_run(const struct input_job *job, struct input_result *res, char *err,
    size_t errlen)
{
	struct engine			*e;
	struct engine_suggestion	 out[ENGINE_SUGGEST_MAX];
	struct engine_stats		 st;
	struct proposal			*props = NULL;
	struct sbuf			 b;
	struct timespec			 t0;
	char				 msg[MSG_MAX], num[32];
	int32_t				*match = NULL;
	size_t				 ns, np, cap, i, n;
	uint32_t			 s;
	int				 rc = INPUT_NOMEM;

	memset(res, 0, sizeof(*res));
	memset(&b, 0, sizeof(b));
	memset(&st, 0, sizeof(st));
	(void)clock_gettime(CLOCK_MONOTONIC, &t0);
	msg[0] = '\0';
	if ((e = engine_prepare(&job->problem, msg, sizeof(msg))) == NULL)
		return (input_bad(err, errlen, NULL, "engine",
		    "refused the input: %s", msg));
	ns = job->problem.nsubjects;
	cap = job->kind == INPUT_SUGGEST ? ns * job->k : ns;
	match = calloc(ns ? ns : 1, sizeof(*match));
	props = calloc(cap ? cap : 1, sizeof(*props));
	if (match == NULL || props == NULL)
		goto out;
	np = 0;
	switch (job->kind) {
	case INPUT_SUGGEST:
		for (s = 0; s < ns; s++) {
			if (engine_suggest(e, s, job->min_score, job->k, out,
			    &n) == -1)
				goto out;
			for (i = 0; i < n; i++) {
				props[np].s = s;
				props[np].c = out[i].candidate;
				props[np].x = out[i].expl;
				np++;
			}
		}
		if (engine_stable(e, job->min_score, NULL, match, &st) == -1)
			goto out;
		break;
	case INPUT_BATCH:
		if (engine_batch(e, job->min_score > 0 ? job->min_score : 1,
		    match, &st) == -1)
			goto out;
		break;
	case INPUT_STABLE:
		if (engine_stable(e, job->min_score, NULL, match, &st) == -1)
			goto out;
		break;
	}
	if (job->kind != INPUT_SUGGEST) {
		for (s = 0; s < ns; s++) {
			if (match[s] == ENGINE_NO_MATCH)
				continue;
			props[np].s = s;
			props[np].c = (uint32_t)match[s];
			(void)engine_explain(e, s, (uint32_t)match[s],
			    &props[np].x);
			np++;
		}
	}
	res->engine_ms = ms_since(&t0);

	for (i = 0; i < np; i++)
		res->total_score += props[i].x.score;
	res->nproposals = np;
	sb_puts(&b, "{\"proposals\":[");
	for (i = 0; i < np; i++) {
		if (i > 0)
			sb_puts(&b, ",");
		sb_proposal(&b, job, &props[i]);
	}
	sb_puts(&b, "],\"stats\":{\"subjects\":");
	sb_u64(&b, ns);
	sb_puts(&b, ",\"candidates\":");
	sb_u64(&b, job->problem.ncandidates);
	sb_puts(&b, ",\"pairs_checked\":");
	sb_u64(&b, st.pairs_checked);
	sb_puts(&b, ",\"admissible\":");
	sb_u64(&b, st.edges);
	sb_puts(&b, ",\"assigned\":");
	sb_u64(&b, np);
	sb_puts(&b, ",\"total_score\":");
	sb_u64(&b, (uint64_t)res->total_score);
	(void)snprintf(num, sizeof(num), "%.3f", res->engine_ms);
	sb_puts(&b, ",\"engine_ms\":");
	sb_puts(&b, num);
	sb_puts(&b, "}}");
	if (b.oom)
		goto out;
	res->json = b.p;
	res->len = b.len;
	b.p = NULL;
	rc = INPUT_OK;
out:
	if (rc != INPUT_OK) {
		memset(res, 0, sizeof(*res));
		(void)input_nomem(err, errlen);
	}
	free(b.p);
	free(props);
	free(match);
	engine_free(e);
	return (rc);
}

void
input_result_free(struct input_result *res)
{
	if (res == NULL)
		return;
	free(res->json);
	memset(res, 0, sizeof(*res));
}
