/*
 * events.c -- fixed-size ring of JSON event envelopes.
 * SPDX-License-Identifier: ISC
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "events.h"
#include "json.h"
#include "log.h"
#include "ring.h"
#include "timefmt.h"

struct ev_slot {
	uint64_t	seq;
	uint64_t	off;		/* free-running offset in the bytes */
	uint32_t	len;
	char		type[EVENT_TYPE_MAX + 1];
};

static struct ev_slot	*ev_slots;
static size_t		 ev_nslots;
static struct ring	 ev_bytes;	/* the envelopes, back to back */
static uint64_t		 ev_last;	/* last seq assigned */
static uint64_t		 ev_first;	/* oldest seq stored */
static char		*ev_scratch;	/* one envelope being built */
static size_t		 ev_max;
static uint64_t		 ev_nevicted, ev_ntruncated;
static void		(*ev_listener)(uint64_t);

static const char *const categories[] = {
	"runner", "system", "stage", "upload", "collector", NULL
};

static size_t	events_build(const struct ev_meta *, uint64_t, ev_data_fn,
		    const void *, int);
static void	events_store(uint64_t, const char *, const char *, size_t);

void
events_init(size_t slots, size_t bytes, size_t max_record)
{
	ev_nslots = slots;
	ev_max = max_record < bytes ? max_record : bytes;
	ev_slots = calloc(slots, sizeof(*ev_slots));
	ring_init(&ev_bytes, malloc(bytes), bytes);
	ev_scratch = malloc(ev_max);
	if (ev_slots == NULL || ev_bytes.buf == NULL || ev_scratch == NULL)
		fatal("%s", __func__);
}

void
events_set_listener(void (*fn)(uint64_t))
{
	ev_listener = fn;
}

int
events_category_valid(const char *c)
{
	size_t	i;

	for (i = 0; categories[i] != NULL; i++)
		if (strcmp(categories[i], c) == 0)
			return 1;
	return 0;
}

const char *
events_category_of(const char *type)
{
	if (strncmp(type, "runner_", 7) == 0)
		return "runner";
	if (strncmp(type, "stage_", 6) == 0)
		return "stage";
	if (strncmp(type, "upload_", 7) == 0)
		return "upload";
	if (strncmp(type, "collector_", 10) == 0)
		return "collector";
	return "system";
}

/* The envelope into ev_scratch; `trunc` writes data:null instead. */
static size_t
events_build(const struct ev_meta *m, uint64_t seq, ev_data_fn data,
    const void *arg, int trunc)
{
	struct jw	w;
	char		ts[TIMEFMT_MAX];

	jw_init(&w, ev_scratch, ev_max, -1);
	jw_obj_begin(&w, NULL);
	jw_uint(&w, "seq", seq);
	timefmt_rfc3339(ts, sizeof(ts), timefmt_now_us());
	jw_str(&w, "ts", ts);
	jw_str(&w, "type", m->type);
	jw_str(&w, "category", m->category != NULL ? m->category :
	    events_category_of(m->type));
	if (m->instance_id != NULL)
		jw_str(&w, "instance_id", m->instance_id);
	if (m->runner_id != NULL)
		jw_str(&w, "runner_id", m->runner_id);
	if (m->run_id != NULL)
		jw_str(&w, "run_id", m->run_id);
	if (trunc) {
		jw_null(&w, "data");
		jw_bool(&w, "truncated", 1);
	} else if (data != NULL) {
		jw_key(&w, "data");
		data(&w, arg);
	} else {
		jw_obj_begin(&w, "data");
		jw_obj_end(&w);
	}
	jw_obj_end(&w);
	return w.err ? 0 : w.len;
}

/* Evict until `len` more bytes and one more slot fit, then copy. */
static void
events_store(uint64_t seq, const char *type, const char *p, size_t len)
{
	struct ev_slot	*s;

	while (ev_first != 0 && ev_first <= ev_last &&
	    (ev_last - ev_first + 1 >= ev_nslots ||
	    ev_bytes.head + len - ev_slots[ev_first % ev_nslots].off >
	    ev_bytes.cap)) {
		ev_first++;
		ev_nevicted++;
	}
	if (ev_first == 0 || ev_first > ev_last)
		ev_first = seq;
	s = &ev_slots[seq % ev_nslots];
	s->seq = seq;
	s->off = ev_bytes.head;
	s->len = (uint32_t)len;
	snprintf(s->type, sizeof(s->type), "%s", type);
	ring_put(&ev_bytes, p, len);
	ev_last = seq;
}

uint64_t
events_emit(const struct ev_meta *m, ev_data_fn data, const void *arg)
{
	uint64_t	seq = ev_last + 1;
	size_t		len;

	if ((len = events_build(m, seq, data, arg, 0)) == 0) {
		ev_ntruncated++;
		log_warnx("event %llu (%s) is over %zu bytes: stored without "
		    "its data", (unsigned long long)seq, m->type, ev_max);
		if ((len = events_build(m, seq, NULL, NULL, 1)) == 0)
			fatalx("%s: event_max_bytes too small", __func__);
	}
	events_store(seq, m->type, ev_scratch, len);
	if (ev_listener != NULL)
		ev_listener(seq);
	return seq;
}

int
events_type_of(const char *p, size_t n, char *type, size_t cap)
{
	static const char	 key[] = "\"type\":\"";
	const char		*t, *end;
	size_t			 scan = n < 256 ? n : 256;

	type[0] = '\0';
	if ((t = memmem(p, scan, key, sizeof(key) - 1)) == NULL)
		return -1;
	t += sizeof(key) - 1;
	if ((end = memchr(t, '"', (size_t)(p + n - t))) == NULL ||
	    (size_t)(end - t) >= cap || end == t)
		return -1;
	memcpy(type, t, (size_t)(end - t));
	type[end - t] = '\0';
	return 0;
}

int
events_restore(uint64_t seq, const char *p, size_t len)
{
	char	type[EVENT_TYPE_MAX + 1];

	if (seq <= ev_last || len > ev_max ||
	    events_type_of(p, len, type, sizeof(type)) == -1)
		return -1;
	events_store(seq, type, p, len);
	return 0;
}

void
events_continue_after(uint64_t seq)
{
	if (seq > ev_last)
		ev_last = seq;
}

int
events_get(uint64_t seq, struct ev_view *v)
{
	const struct ev_slot	*s;
	const unsigned char	*p1;

	if (seq == 0 || ev_first == 0 || seq < ev_first || seq > ev_last)
		return -1;
	s = &ev_slots[seq % ev_nslots];
	if (s->seq != seq)	/* a seq restored without its record */
		return -1;
	ring_span(&ev_bytes, s->off, s->len, &p1, &v->n1);
	v->seq = seq;
	v->type = s->type;
	v->p1 = (const char *)p1;
	v->p2 = (const char *)ev_bytes.buf;
	v->n2 = s->len - v->n1;
	return 0;
}

uint64_t
events_oldest(void)
{
	return ev_first;
}

uint64_t
events_latest(void)
{
	return ev_last;
}

uint64_t
events_evicted(void)
{
	return ev_nevicted;
}

uint64_t
events_truncated(void)
{
	return ev_ntruncated;
}
