/*
 * confval.h -- the keys of crashtrail.conf and their values: one table of
 * keys for [collector] and one for [runner:NAME] sections, each row saying
 * what the key accepts and which field of struct config or struct
 * runner_conf it sets, and the parsers of numbers, sizes, durations and
 * booleans that the common kinds of value use.
 *
 * Every parser takes the whole value as written, with no sign, no
 * surrounding blanks and no trailing junk, and stores its result only when
 * it returns 0.  None of them allocates.
 */
#ifndef CONFVAL_H
#define CONFVAL_H

#include <stddef.h>
#include <stdint.h>

/*
 * yes/true/on/1 or no/false/off/0, the words in any case; *out = 1 or 0.
 * Returns 0, or -1 for anything else.
 */
int	config_parse_bool(const char *, int *);

/*
 * A decimal integer within [min, max] (no sign, no overflow).  Returns 0,
 * or -1 when it is not one or out of range.
 */
int	config_parse_uint(const char *, uint64_t, uint64_t, uint64_t *);

/*
 * A number of bytes with an optional binary suffix, in any case: K or KiB,
 * M or MiB, G or GiB ("64M", "512KiB", "1g").  Returns 0, or -1 when it
 * is malformed or does not fit in 64 bits.
 */
int	config_parse_size(const char *, uint64_t *);

/*
 * Seconds, at most 86400 before the point and up to three decimals after
 * it ("2", "0.25"); *out is in milliseconds.  Returns 0, or -1 when it is
 * malformed or too large.
 */
int	config_parse_ms(const char *, int *);

/* The kind of a key's value, and so how confval_set() stores it. */
enum confval_kind {
	CV_CUSTOM,	/* any field; the key's own function sets it */
	CV_PATH,	/* char[PATH_MAX]; relative to the file's directory */
	CV_ID,		/* char[ID_MAX + 1]; an id, as ids.h checks it */
	CV_BOOL,	/* int; config_parse_bool() */
	CV_INT,		/* int; config_parse_uint() within [min, max] */
	CV_SIZE,	/* size_t; config_parse_uint() within [min, max] */
	CV_BYTES,	/* uint64_t; config_parse_size() */
	CV_MS,		/* int; config_parse_ms() */
	CV_STR		/* char[max]: any text shorter than max */
};

/* A CV_CUSTOM key's function: as confval_set(), less the key. */
typedef const char *(*confval_fn)(void *obj, const char *cfpath,
		    const char *v);

/*
 * One key of a section.  `why` is the complaint about a bad value for the
 * kinds that parse numbers and booleans; CV_PATH and CV_ID say what is
 * wrong themselves, and a CV_CUSTOM function returns its own complaints.
 */
struct confkey {
	const char	*name;
	int		 multiline;	/* may continue on indented lines */
	enum confval_kind kind;
	size_t		 off;		/* of its field */
	uint64_t	 min, max;	/* CV_INT and CV_SIZE only */
	const char	*why;
	confval_fn	 set;		/* CV_CUSTOM only */
};

/* The keys of [collector] and of [runner:NAME], ended by a NULL name. */
extern const struct confkey confval_collector_keys[];
extern const struct confkey confval_runner_keys[];
extern const struct confkey confval_diag_keys[];

/*
 * Parse `v` as key `k` says and store it in the field of `obj` at k->off:
 * obj is the section's struct config or struct runner_conf.  `cfpath` is
 * the configuration file, whose directory relative paths are taken from.
 * Returns NULL, or why the value is refused; the field may then hold a
 * partial result.
 */
const char	*confval_set(const struct confkey *k, void *obj,
		    const char *cfpath, const char *v);

#endif /* CONFVAL_H */
