/*
 * kmsg.c -- /dev/kmsg records, one at a time or split from a stream, the
 * scanners the record readers share, and NVIDIA Xid lines.
 * SPDX-License-Identifier: ISC
 */
#include <string.h>

#include "json.h"
#include "kmsg.h"
#include "kmsg_int.h"

/* memmem over [s, end) for a C string. */
const char *
kmsg_find(const char *s, const char *end, const char *needle)
{
	if (s >= end)
		return NULL;
	return memmem(s, (size_t)(end - s), needle, strlen(needle));
}

const char *
kmsg_find_last(const char *s, const char *end, const char *needle)
{
	const char	*f, *last = NULL;

	while ((f = kmsg_find(s, end, needle)) != NULL) {
		last = f;
		s = f + 1;
	}
	return last;
}

const char *
kmsg_skip_blank(const char *s, const char *end)
{
	while (s < end && kmsg_is_blank(*s))
		s++;
	return s;
}

/* Decimal digits at *sp, at least one, no overflow; advances *sp. */
int
kmsg_num_u64(const char **sp, const char *end, uint64_t *v)
{
	const char	*s = *sp;
	uint64_t	 n = 0, d;

	if (s >= end || !kmsg_is_digit(*s))
		return -1;
	for (; s < end && kmsg_is_digit(*s); s++) {
		d = (uint64_t)(*s - '0');
		if (n > (UINT64_MAX - d) / 10)
			return -1;
		n = n * 10 + d;
	}
	*v = n;
	*sp = s;
	return 0;
}

int
kmsg_num_i64(const char **sp, const char *end, int64_t *v)
{
	const char	*s = *sp;
	uint64_t	 u;
	int		 neg = 0;

	if (s < end && *s == '-') {
		neg = 1;
		s++;
	}
	if (kmsg_num_u64(&s, end, &u) == -1 || u > INT64_MAX)
		return -1;
	*v = neg ? -(int64_t)u : (int64_t)u;
	*sp = s;
	return 0;
}

/* A pid: what fits an int (the kernel's pid_t). */
int
kmsg_num_pid(const char **sp, const char *end, int *pid)
{
	uint64_t	v;

	if (kmsg_num_u64(sp, end, &v) == -1 || v > 0x7fffffff)
		return -1;
	*pid = (int)v;
	return 0;
}

/* Copy [s, e) into dst, cut to fit and NUL-terminated. */
void
kmsg_copy(char *dst, size_t cap, const char *s, const char *e)
{
	size_t	n = (size_t)(e - s);

	if (n >= cap)
		n = cap - 1;
	memcpy(dst, s, n);
	dst[n] = '\0';
}

/* The number after `key` somewhere in [s, end); 0, or -1 if absent. */
int
kmsg_field(const char *s, const char *end, const char *key, int64_t *v)
{
	const char	*f = kmsg_find(s, end, key);

	if (f == NULL)
		return -1;
	f += strlen(key);
	return kmsg_num_i64(&f, end, v);
}

int
kmsg_parse(const char *rec, size_t len, struct kmsg_record *out)
{
	const char	*p = rec, *end = rec + len, *semi, *nl;
	uint64_t	 prio;

	if ((nl = memchr(rec, '\n', len)) != NULL)
		end = nl;
	if ((semi = memchr(rec, ';', (size_t)(end - rec))) == NULL)
		return -1;
	if (kmsg_num_u64(&p, semi, &prio) == -1 || prio > 0x7fffffff ||
	    p == semi || *p++ != ',')
		return -1;
	if (kmsg_num_u64(&p, semi, &out->seq) == -1 || p == semi || *p++ != ',')
		return -1;
	if (kmsg_num_u64(&p, semi, &out->ts_usec) == -1 || p == semi ||
	    *p++ != ',')
		return -1;
	/* The flags field; any fields after it are for newer readers. */
	if (p == semi || *p == ',')
		return -1;
	out->flag = *p;
	out->facility = (int)(prio >> 3);
	out->level = (int)(prio & 7);
	out->msg = semi + 1;
	out->msglen = (size_t)(end - (semi + 1));
	return 0;
}

void
kmsg_split_init(struct kmsg_split *s)
{
	s->len = 0;
	s->off = 0;
	s->skipping = 0;
	s->overlong = 0;
	s->continuations = 0;
}

size_t
kmsg_split_feed(struct kmsg_split *s, const void *data, size_t len)
{
	const char	*p = data, *nl;
	size_t		 took = 0, room, n;

	/* Records already handed out are done with: make room. */
	if (s->off > 0) {
		memmove(s->buf, s->buf + s->off, s->len - s->off);
		s->len -= s->off;
		s->off = 0;
	}
	while (took < len) {
		if (s->skipping) {
			nl = memchr(p + took, '\n', len - took);
			if (nl == NULL)
				return len;
			took = (size_t)(nl - p) + 1;
			s->skipping = 0;
			continue;
		}
		room = sizeof(s->buf) - s->len;
		if (room == 0) {
			/* Full of complete records: the caller takes them. */
			if (memchr(s->buf, '\n', s->len) != NULL)
				break;
			/* One line fills it all: no record is that long. */
			s->overlong++;
			s->len = 0;
			s->skipping = 1;
			continue;
		}
		n = len - took < room ? len - took : room;
		memcpy(s->buf + s->len, p + took, n);
		s->len += n;
		took += n;
	}
	return took;
}

int
kmsg_split_next(struct kmsg_split *s, const char **rec, size_t *len)
{
	char	*start, *nl;
	size_t	 n;

	for (;;) {
		start = s->buf + s->off;
		if ((nl = memchr(start, '\n', s->len - s->off)) == NULL)
			return 0;
		n = (size_t)(nl - start);
		*nl = '\0';
		s->off += n + 1;
		if (n == 0)
			continue;
		/* " SUBSYSTEM=..." and the like belong to the record above. */
		if (start[0] == ' ') {
			s->continuations++;
			continue;
		}
		*rec = start;
		*len = n;
		return 1;
	}
}

/*
 * "NVRM: Xid (PCI:0000:3b:00): 79, pid=1234, name=python3, GPU has fallen
 * off the bus."; older drivers print "(0000:3b:00)" and no pid or name.
 */
int
kmsg_xid(const struct kmsg_record *r, struct xid_event *out)
{
	const char	*s, *end = r->msg + r->msglen, *e, *v;
	uint64_t	 xid;
	int		 pid;

	if ((s = kmsg_find(r->msg, end, "NVRM: Xid (")) == NULL)
		return 0;
	s += 11;
	if ((e = kmsg_find(s, end, "):")) == NULL)
		return 0;
	v = s;
	if (e - s >= 4 && memcmp(s, "PCI:", 4) == 0)
		v += 4;
	s = kmsg_skip_blank(e + 2, end);
	if (kmsg_num_u64(&s, end, &xid) == -1 || xid > 0x7fffffff)
		return 0;
	memset(out, 0, sizeof(*out));
	kmsg_copy(out->pci, sizeof(out->pci), v, e);
	out->xid = (int)xid;
	out->kmsg_seq = r->seq;
	out->kmsg_ts_usec = r->ts_usec;
	if (s < end && *s == ',')
		s = kmsg_skip_blank(s + 1, end);
	if (end - s >= 4 && memcmp(s, "pid=", 4) == 0) {
		v = s + 4;
		if ((e = memchr(v, ',', (size_t)(end - v))) == NULL)
			e = end;
		if (kmsg_num_pid(&v, e, &pid) == 0 && v == e) {
			out->pid = pid;
			out->flags |= XID_F_PID;
		}
		s = e < end ? kmsg_skip_blank(e + 1, end) : end;
	}
	if (end - s >= 5 && memcmp(s, "name=", 5) == 0) {
		v = s + 5;
		if ((e = kmsg_find(v, end, ", ")) == NULL)
			e = end;
		if (e > v && !(e - v == 9 && memcmp(v, "<unknown>", 9) == 0)) {
			kmsg_copy(out->name, sizeof(out->name), v, e);
			out->flags |= XID_F_NAME;
		}
		s = e < end ? kmsg_skip_blank(e + 1, end) : end;
	}
	while (end > s && kmsg_is_blank(end[-1]))
		end--;
	kmsg_copy(out->msg, sizeof(out->msg), s, end);
	return 1;
}

void
xid_event_json(struct jw *w, const char *key, const struct xid_event *x)
{
	jw_obj_begin(w, key);
	jw_int(w, "xid", x->xid);
	jw_str(w, "pci", x->pci);
	if (x->flags & XID_F_PID)
		jw_int(w, "pid", x->pid);
	if (x->flags & XID_F_NAME)
		jw_str(w, "process_name", x->name);
	jw_str(w, "message", x->msg);
	jw_uint(w, "kmsg_seq", x->kmsg_seq);
	jw_uint(w, "kmsg_ts_usec", x->kmsg_ts_usec);
	jw_obj_end(w);
}
