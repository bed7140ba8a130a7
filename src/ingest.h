/*
 * ingest.h -- validation of events that come from outside the daemon:
 * POST /telemetry/events bodies and the JSON lines a runner writes on
 * CRASHTRAIL_EVENT_FD.
 *
 * The text is tokenized with jsmn (its strict mode: quoted strings, JSON
 * primitives only; it is lenient about separators, e.g. `[1 2]` or a
 * trailing comma) into a fixed token array, then checked: one JSON object; `type` required ([a-z][a-z0-9_.]*, at
 * most 48); `category` one of runner|system|stage|upload|collector;
 * `instance_id`, `runner_id`, `run_id` valid ids; `data` any JSON value;
 * `seq`, `ts`, `truncated` and `source` are the server's and refused; any
 * other member is refused; ids and the type may not hold a NUL.  Strings
 * are checked for valid escapes and
 * numbers for JSON syntax, so what is stored is re-serialized through the
 * one escaping writer and always parses.  Nothing allocates: the struct is
 * caller-owned (it is large: keep it static) and points into the text,
 * which must stay alive until ingest_data() has run.
 */
#ifndef INGEST_H
#define INGEST_H

#include <stddef.h>

#include "events.h"
#include "ids.h"

/* Types only here; ingest.c compiles jsmn itself, in strict mode. */
#define JSMN_HEADER
#define JSMN_STRICT
#include "jsmn.h"

#define INGEST_TOKENS	1024
#define INGEST_ERR_MAX	200

struct jw;

struct ingest {
	char		 type[EVENT_TYPE_MAX + 1];
	char		 category[16];
	char		 instance_id[ID_MAX + 1];
	char		 runner_id[ID_MAX + 1];
	char		 run_id[RUN_ID_MAX + 1];
	const char	*text;
	size_t		 len;
	int		 data;		/* token index of "data", or -1 */
	int		 ntok;
	jsmntok_t	 tok[INGEST_TOKENS];
	char		 err[INGEST_ERR_MAX];
};

/* 0, or -1 with ig->err saying what is wrong (for a 400 answer). */
int	ingest_parse(struct ingest *ig, const char *text, size_t len);
/* The ev_meta of a parsed event (its ids may be overridden after). */
void	ingest_meta(const struct ingest *, struct ev_meta *);
/* ev_data_fn: write the value of "data" again, escaped by jw. */
void	ingest_data(struct jw *, const void *ingest);

#endif /* INGEST_H */
