/* engine.h: the pure matching engine: problems in, scores and assignments out. */

#ifndef CH_ENGINE_H
#define CH_ENGINE_H

#include <stddef.h>
#include <stdint.h>

/*
 * Conventions
 *
 * - Ids are 16-byte UUIDs in network byte order (as PostgreSQL's uuid_send
 *   gives them).  Every tie in the engine is broken by comparing ids
 *   bytewise (memcmp), so the output depends only on the content of the
 *   problem, not on the order of the input arrays.
 * - Scores are integers: 0..ENGINE_SCORE_MAX means 0.00..100.00 points.
 *   Feature values are integers: 0..ENGINE_VALUE_ONE means 0.0..1.0.
 *   points = round(weight * value / ENGINE_VALUE_ONE); score = sum of points.
 * - Availability is a 21-bit set: bit (day * 3 + part), day 0 = Monday,
 *   part 0 = morning, 1 = afternoon, 2 = evening.
 * - The engine keeps pointers to the caller's arrays: they must outlive the
 *   struct engine built from them and must not change meanwhile.
 * - Functions return 0 on success and -1 on invalid input or when out of
 *   memory; the engine never prints, never exits and has no global state.
 */

#define ENGINE_ID_LEN		16
#define ENGINE_SCORE_MAX	10000
#define ENGINE_VALUE_ONE	10000
#define ENGINE_SUGGEST_MAX	20
#define ENGINE_MAX_LANGS	8
#define ENGINE_SLOTS		21
#define ENGINE_SLOTS_MASK	((1u << ENGINE_SLOTS) - 1)
#define ENGINE_WAIT_FULL_DAYS	90
#define ENGINE_ONLINE_VALUE	5000	/* distance value of an online pair */
#define ENGINE_NO_MATCH		(-1)

enum engine_programme {
	ENGINE_PARTNERS = 0,	/* participant -> offer */
	ENGINE_WOMEN = 1	/* mentee -> mentor */
};

/* CEFR levels; ENGINE_LEVEL_NONE on a candidate means "not stated". */
enum engine_level {
	ENGINE_LEVEL_NONE = 0,
	ENGINE_LEVEL_A1,
	ENGINE_LEVEL_A2,
	ENGINE_LEVEL_B1,
	ENGINE_LEVEL_B2,
	ENGINE_LEVEL_C1,
	ENGINE_LEVEL_C2,
	ENGINE_LEVEL_NATIVE
};

enum engine_gender {
	ENGINE_GENDER_UNKNOWN = 0,
	ENGINE_GENDER_FEMALE,
	ENGINE_GENDER_MALE,
	ENGINE_GENDER_DIVERSE
};

/*
 * Activity categories of the partners programme: a candidate has one
 * (its category), a subject any set of them (bit i of interests).
 */
enum engine_category {
	ENGINE_CAT_SPORT = 0,
	ENGINE_CAT_CULTURE,
	ENGINE_CAT_SCHOOL,
	ENGINE_CAT_CHURCH,
	ENGINE_CAT_SOCIAL,
	ENGINE_CAT_POLITICS,
	ENGINE_CAT_CIVIC,
	ENGINE_CAT_PROFESSIONAL,
	ENGINE_CAT_ENVIRONMENT,
	ENGINE_CAT_EDUCATION,
	ENGINE_CAT_RESCUE,
	ENGINE_CAT_HEALTH,
	ENGINE_CAT_JUSTICE,
	ENGINE_CAT_LEISURE,
	ENGINE_CAT_INTERRELIGIOUS,
	ENGINE_CAT_WOMEN_NETWORK,
	ENGINE_CAT_WORK_EXPERIENCE,
	ENGINE_CAT_COUNT
};

/* Score features; a programme uses a subset (see engine_feature_used). */
enum engine_feature {
	ENGINE_F_INTEREST = 0,	/* partners: interests <-> category, tags */
	ENGINE_F_OCCUPATION,	/* women: KldB closeness */
	ENGINE_F_GOALS,		/* women: goals <-> support areas */
	ENGINE_F_LANGUAGE,
	ENGINE_F_DISTANCE,
	ENGINE_F_AVAILABILITY,
	ENGINE_F_WAITING,
	ENGINE_F_COUNT
};

/* Hard constraints, in the order they are checked. */
enum engine_violation {
	ENGINE_OK = 0,
	ENGINE_V_NO_CONSENT,		/* consent "matching" missing */
	ENGINE_V_INACTIVE,		/* subject or candidate not active */
	ENGINE_V_NO_CAPACITY,		/* no free place left */
	ENGINE_V_AUDIENCE,		/* women-only offer, women programme */
	ENGINE_V_AGE,			/* outside the candidate's age range */
	ENGINE_V_CROSS_DISTRICT,	/* other district without consent */
	ENGINE_V_TOO_FAR,		/* beyond the radius, not online */
	ENGINE_V_NO_LANGUAGE,		/* no shared language */
	ENGINE_V_BLOCKED,		/* pair blocked by staff */
	ENGINE_V_DECLINED,		/* declined or ended before */
	ENGINE_V_COUNT
};

enum engine_pair_kind {
	ENGINE_PAIR_BLOCKED = 0,
	ENGINE_PAIR_DECLINED,		/* declined, rejected or ended before */
};

/* A language: ISO 639-1 code, or ISO 639-3 where there is none ("prs"). */
struct engine_lang {
	char		code[4];	/* lower case, NUL padded */
	uint8_t		level;		/* enum engine_level */
};

/* A participant (partners) or mentee (women). */
struct engine_subject {
	uint8_t		id[ENGINE_ID_LEN];
	int32_t		district;	/* official key, e.g. 16051 */
	double		lat, lon;	/* home place, degrees */
	uint32_t	radius_m;	/* mobility radius in metres */
	uint32_t	waiting_days;	/* days since waiting_since */
	uint32_t	interests;	/* bit set of enum engine_category */
	uint64_t	tags;		/* bit set over the caller's tag list */
	uint32_t	goals;		/* women: bit set of support areas */
	uint32_t	availability;	/* ENGINE_SLOTS bits */
	uint16_t	age;		/* years, 0 = unknown */
	uint8_t		gender;		/* enum engine_gender */
	uint8_t		has_place;
	uint8_t		active;
	uint8_t		consent_matching;
	uint8_t		consent_cross_district;
	uint8_t		nlangs;
	struct engine_lang langs[ENGINE_MAX_LANGS];
	char		kldb[6];	/* women: target field, 1-5 digits */
};

/* An offer (partners) or mentor (women). */
struct engine_candidate {
	uint8_t		id[ENGINE_ID_LEN];
	int32_t		district;
	double		lat, lon;
	uint32_t	capacity;	/* free places left */
	uint64_t	tags;
	uint32_t	support;	/* women: bit set of support areas */
	uint32_t	availability;	/* ENGINE_SLOTS bits */
	uint16_t	age_min, age_max;	/* 0 = no bound */
	uint8_t		category;	/* partners: enum engine_category */
	uint8_t		has_place;
	uint8_t		online;		/* can meet online: no distance limit */
	uint8_t		women_only;
	uint8_t		active;
	uint8_t		min_german;	/* enum engine_level, 0 = none */
	uint8_t		nlangs;
	struct engine_lang langs[ENGINE_MAX_LANGS];
	char		kldb[6];	/* women: mentor's field, 1-5 digits */
};

/* A pair that must never be proposed, by indices into the arrays. */
struct engine_pair {
	uint32_t	subject;
	uint32_t	candidate;
	uint32_t	kind;		/* enum engine_pair_kind */
};

/*
 * Weights of one district, in points: the weights of the features the
 * programme uses must add up to ENGINE_SCORE_MAX, the others must be 0.
 * A pair is scored with the weights of the subject's district, or with
 * the problem's default weights when that district has no entry.
 */
struct engine_weights {
	int32_t		district;
	uint16_t	w[ENGINE_F_COUNT];
};

struct engine_problem {
	enum engine_programme		 programme;
	const struct engine_subject	*subjects;
	size_t				 nsubjects;
	const struct engine_candidate	*candidates;
	size_t				 ncandidates;
	const struct engine_pair	*excluded;
	size_t				 nexcluded;
	const struct engine_weights	*weights;	/* per district */
	size_t				 nweights;
	struct engine_weights		 default_weights;
};

/* One line of an explanation. */
struct engine_feature_expl {
	uint8_t		feature;	/* enum engine_feature */
	uint16_t	value;		/* 0..ENGINE_VALUE_ONE */
	uint16_t	weight;
	uint16_t	points;
	const char	*reason;	/* static string, e.g. "near" */
};

struct engine_explanation {
	uint32_t		   score;
	uint8_t			   violation;	/* enum engine_violation */
	uint8_t			   nfeatures;
	struct engine_feature_expl features[ENGINE_F_COUNT];
};

struct engine_suggestion {
	uint32_t			candidate;	/* index */
	struct engine_explanation	expl;
};

/* An explicit bipartite graph, for engine_assign. */
struct engine_graph {
	uint32_t	 nsubjects;
	uint32_t	 ncandidates;
	const uint32_t	*capacity;	/* per candidate */
	const uint32_t	*start;		/* nsubjects + 1 offsets into cand */
	const uint32_t	*cand;		/* candidate of each edge */
	const uint32_t	*weight;	/* weight of each edge, >= 1 */
};

struct engine_stats {
	uint64_t	edges;		/* admissible pairs >= min score */
	uint64_t	pairs_checked;	/* pairs looked at */
	uint64_t	assigned;
	int64_t		total;		/* sum of scores of the result */
	uint64_t	nodes_scanned;	/* solver work, for benchmarks */
	uint64_t	augmentations;
	uint64_t	proposals;	/* stable: proposals made */
	size_t		peak_bytes;	/* largest working memory held */
};

/*
 * Explicit preference lists for engine_stable (optional; NULL arrays mean
 * "rank by score, ties by id").  Lists hold indices, most preferred first;
 * a pair missing from a given list is unacceptable.
 */
struct engine_prefs {
	const uint32_t	*subject_start;		/* nsubjects + 1, or NULL */
	const uint32_t	*subject_list;
	const uint32_t	*candidate_start;	/* ncandidates + 1, or NULL */
	const uint32_t	*candidate_list;
};

/*
 * One entry of an index by id: a record's id and its index in the
 * caller's array.  Sorted by id (memcmp), for engine_id_find.
 */
struct engine_id_idx {
	uint8_t		id[ENGINE_ID_LEN];
	uint32_t	idx;
};

struct engine;

/* engine.c */
/*
 * Validate a problem and build the indices (spatial grid, id order,
 * excluded pairs).  Returns NULL on invalid input or out of memory, with a
 * message in err (if errlen > 0).  The caller frees with engine_free.
 */
struct engine	*engine_prepare(const struct engine_problem *, char *, size_t);
void		 engine_free(struct engine *);
/* Fill w with the built-in default weights of a programme. */
void		 engine_default_weights(enum engine_programme,
		    struct engine_weights *);
int		 engine_feature_used(enum engine_programme, enum engine_feature);
const char	*engine_feature_name(enum engine_feature);
const char	*engine_violation_name(enum engine_violation);

/* ids.c */
/*
 * Index n records of stride bytes, each starting with its id, by id: out
 * (n entries, the caller's) gets each record's id and index, sorted by
 * id; n must fit in a uint32_t.  Returns -1 when two records have the
 * same id, with the index of one of them in *dup (if not NULL).
 */
int	engine_id_index(const void *, size_t, size_t, struct engine_id_idx *,
	    size_t *);
/* The index of the record with id in such an index of n entries, or -1. */
int	engine_id_find(const struct engine_id_idx *, size_t, const uint8_t *,
	    uint32_t *);

/* score.c */
/*
 * Check the hard constraints of (subject, candidate) and score the pair.
 * Returns the violation (ENGINE_OK if none); fills x (if not NULL) with
 * the explanation, also for a violating pair (its score is then 0).
 * Returns ENGINE_V_COUNT for an index out of range.
 */
enum engine_violation	 engine_explain(const struct engine *, uint32_t,
			    uint32_t, struct engine_explanation *);
uint32_t		 engine_distance_m(double, double, double, double);

/* suggest.c */
/*
 * The best k (<= ENGINE_SUGGEST_MAX) admissible candidates for one subject
 * with score >= min_score, best first (ties: smaller id first).  out must
 * hold k entries; *n gets how many were found.
 */
int	engine_suggest(const struct engine *, uint32_t, uint32_t, size_t,
	    struct engine_suggestion *, size_t *);

/* batch.c */
/*
 * Maximum-total-score assignment of subjects to candidates under the
 * capacities, each subject at most once, only pairs with score >=
 * min_score (at least 1).  match (nsubjects entries) gets the candidate
 * index or ENGINE_NO_MATCH.  st may be NULL.
 */
int	engine_batch(const struct engine *, uint32_t, int32_t *,
	    struct engine_stats *);

/* stable.c */
/*
 * Subject-proposing deferred acceptance with capacities over the
 * admissible pairs with score >= min_score; prefs may be NULL.  match as
 * for engine_batch.  The result has no blocking pair and is the
 * subject-optimal stable assignment.
 */
int	engine_stable(const struct engine *, uint32_t,
	    const struct engine_prefs *, int32_t *, struct engine_stats *);

/* flow.c */
/*
 * Exact maximum-weight assignment on an explicit graph: each subject at
 * most one edge, each candidate at most capacity edges.  Ties are broken
 * by index (smaller index first), so callers order by id.  match gets
 * ENGINE_NO_MATCH or the candidate; *total the sum of weights.  Returns -1
 * on invalid graph or out of memory.
 */
int	engine_assign(const struct engine_graph *, int32_t *, int64_t *,
	    struct engine_stats *);

#endif
