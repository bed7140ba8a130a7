/*
 * sampler.c -- the metrics timer, the per-run sample rings and stage
 * views, and their JSON and Prometheus views.
 * SPDX-License-Identifier: ISC
 */
#include <sys/types.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/event_struct.h>

#include "config.h"
#include "events.h"
#include "ingest.h"
#include "json.h"
#include "jsonq.h"
#include "log.h"
#include "metrics.h"
#include "platform.h"
#include "run.h"
#include "sampler.h"
#include "timefmt.h"

/* The host's ring: the platform's sample and when it was taken. */
struct host_rec {
	int64_t			ts_ms;
	uint32_t		cpu_cpct;	/* % of the machine, hundredths */
	uint32_t		have_cpu;
	struct host_sample	hs;
};

/* The README's memory budget counts on this size. */
typedef char sample_size_is_32[sizeof(struct sample) == 32 ? 1 : -1];

#define SAMPLER_WHY_MAX		256
#define TELEMETRY_LIMIT		1000	/* samples in one answer */
#define CG_REMOVE_TRIES		30	/* ticks to wait for an empty cgroup */

static const struct config *sp_cf;
static struct event	 sp_timer;
static struct sample	*sp_samples;	/* max_runs * samples_per_run */
static struct stage	*sp_stages;	/* max_runs * stages_per_run */
static struct proc_group *sp_groups;	/* one per run slot */
static struct run	**sp_groups_run;
static struct recring	 sp_host;	/* of struct host_rec */
static struct host_sample sp_host_prev;
static int		 sp_host_base;
static char		 sp_why[SAMPLER_WHY_MAX];	/* what is absent */
static char		 sp_cg_why[SAMPLER_WHY_MAX];
static int		 sp_cg_ok;
/* The sampler's own cost, for /metrics. */
static uint64_t		 sp_ticks, sp_cpu_ns, sp_wall_ns, sp_last_ns;
static uint64_t		 sp_vanished, sp_errors, sp_cg_errors;

static void	sampler_tick(evutil_socket_t, short, void *);
static void	sampler_host(int64_t);
static void	sampler_push(struct run *, const struct proc_sample *,
		    int64_t, int64_t);
static void	sampler_cgroup_reap(struct run *);
static uint64_t	sampler_ns(clockid_t);
static void	sampler_fixed2(struct jw *, const char *, uint64_t);
static void	sampler_sample_json(struct jw *, const struct run *,
		    uint64_t, const struct sample *);
static void	sampler_stage_data(struct jw *, const void *);
static void	sampler_stage_pub(struct jw *, const void *);

void
sampler_init(struct event_base *base, const struct config *cf)
{
	struct timeval	tv;
	struct host_rec	*h;
	size_t		n = cf->max_runs;
	int		swept;

	sp_cf = cf;
	/*
	 * calloc of these sizes is mmap: untouched pages stay the kernel's
	 * zero page, so a ring costs memory only as its samples arrive.
	 */
	sp_samples = calloc(n * cf->samples_per_run, sizeof(*sp_samples));
	sp_stages = calloc(n * cf->stages_per_run, sizeof(*sp_stages));
	sp_groups = calloc(n, sizeof(*sp_groups));
	sp_groups_run = calloc(n, sizeof(*sp_groups_run));
	h = calloc(cf->host_samples, sizeof(*h));
	if (sp_samples == NULL || sp_stages == NULL || sp_groups == NULL ||
	    sp_groups_run == NULL || h == NULL)
		fatal("%s", __func__);
	recring_init(&sp_host, h, sizeof(*h), cf->host_samples);
	platform_sample_init(sp_why, sizeof(sp_why));
	if (sp_why[0] != '\0')
		log_info("sampler: %s", sp_why);
	if (cf->cgroup) {
		sp_cg_ok = platform_cgroup_init(sp_cg_why,
		    sizeof(sp_cg_why)) == 0;
		if (!sp_cg_ok)
			log_warnx("cgroups: %s; runs are measured by process "
			    "group, and memory_max is not applied", sp_cg_why);
		else if ((swept = platform_cgroup_sweep()) > 0)
			log_info("cgroups: %d empty run cgroups left by an "
			    "earlier crashtrail removed", swept);
	} else
		snprintf(sp_cg_why, sizeof(sp_cg_why), "cgroup = off");
	if (cf->sample_interval_ms == 0)
		return;
	/* The host's first reading is the baseline of its first sample. */
	if (platform_host_sample(&sp_host_prev) == 0)
		sp_host_base = 1;
	tv.tv_sec = cf->sample_interval_ms / 1000;
	tv.tv_usec = (cf->sample_interval_ms % 1000) * 1000;
	event_assign(&sp_timer, base, -1, EV_PERSIST, sampler_tick, NULL);
	event_add(&sp_timer, &tv);
}

void
sampler_slot(struct run_metrics *m, size_t i)
{
	recring_init(&m->ring, sp_samples + i * sp_cf->samples_per_run,
	    sizeof(struct sample), sp_cf->samples_per_run);
	stages_init(&m->stages, sp_stages + i * sp_cf->stages_per_run,
	    sp_cf->stages_per_run);
	m->prev_cpu_ns = 0;
	m->prev_us = 0;
	m->vanished = 0;
	m->cg_oom_kills = 0;
	m->cg_remove = 0;
	memset(&m->cg, 0, sizeof(m->cg));
	m->cg.procs_fd = m->cg.mem_fd = m->cg.oom_fd = -1;
}

void
sampler_run_reset(struct run_metrics *m)
{
	/* A cgroup that would not go while the slot's last run was retained. */
	if (m->cg_remove && platform_cgroup_remove(&m->cg) == -1) {
		sp_cg_errors++;
		log_warn("cgroup %s left behind", m->cg.path);
	}
	m->cg_remove = 0;
}

static uint64_t
sampler_ns(clockid_t clk)
{
	struct timespec	ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

void
sampler_run_begin(struct run *run)
{
	struct run_metrics	*m = &run->m;

	if (!sp_cg_ok)
		return;
	if (platform_cgroup_create(&m->cg, run->id, run->rc->memory_max) ==
	    -1) {
		sp_cg_errors++;
		log_warn("%s: run %s: no cgroup, measured by process group",
		    run->rc->name, run->id);
		m->cg.version = 0;
	}
}

int
sampler_child_enter(const struct run_metrics *m)
{
	if (m->cg.version == 0)
		return 0;
	return platform_cgroup_enter(&m->cg);
}

void
sampler_run_started(struct run *run)
{
	struct run_metrics	*m = &run->m;

	m->prev_cpu_ns = 0;
	m->prev_us = (int64_t)(sampler_ns(CLOCK_MONOTONIC) / 1000);
	if (m->cg.version != 0)
		platform_cgroup_started(&m->cg);
}

/* A memory cgroup can go once its last process has: try for a while. */
static void
sampler_cgroup_reap(struct run *run)
{
	struct run_metrics	*m = &run->m;

	if (!m->cg_remove)
		return;
	if (platform_cgroup_remove(&m->cg) == 0) {
		m->cg_remove = 0;
		m->cg.version = 0;
	} else if (++m->cg_remove > CG_REMOVE_TRIES) {
		sp_cg_errors++;
		log_warn("run %s: cgroup %s left behind", run->id, m->cg.path);
		m->cg_remove = 0;
		m->cg.version = 0;
	}
}

void
sampler_shutdown(void)
{
	struct run	*run;
	size_t		 i;

	for (i = 0; i < run_slots(); i++)
		if ((run = run_slot_at(i)) != NULL && run->m.cg_remove)
			sampler_cgroup_reap(run);
}

uint64_t
sampler_run_end(struct run *run)
{
	static struct stage_event	 out[16];
	struct run_metrics		*m = &run->m;
	struct ev_meta			 em = { NULL, "stage",
	    run->rc->instance_id, run->rc->name, run->id };
	uint64_t			 mem, kills;
	size_t				 n, i;

	if (m->cg.version != 0 &&
	    platform_cgroup_sample(&m->cg, &mem, &kills) == 0)
		m->cg_oom_kills = kills;
	n = stages_end_run(&m->stages, timefmt_now_us(), out,
	    sizeof(out) / sizeof(out[0]));
	if (n > sizeof(out) / sizeof(out[0])) {
		log_warnx("%s: run %s: %zu stages closed, %zu of their events "
		    "published", run->rc->name, run->id, n,
		    sizeof(out) / sizeof(out[0]));
		n = sizeof(out) / sizeof(out[0]);
	}
	for (i = 0; i < n; i++) {
		em.type = stages_type(out[i].kind);
		events_emit(&em, sampler_stage_data, &out[i]);
	}
	if (m->cg.version != 0) {
		m->cg_remove = 1;
		sampler_cgroup_reap(run);
	}
	return m->cg_oom_kills;
}

/* One tick: the host, then every live run in one pass. */
static void
sampler_tick(evutil_socket_t fd, short what, void *arg)
{
	struct run	*run;
	uint64_t	 c0 = sampler_ns(CLOCK_PROCESS_CPUTIME_ID);
	uint64_t	 w0 = sampler_ns(CLOCK_MONOTONIC), d;
	int64_t		 now_ms = timefmt_now_us() / 1000;
	size_t		 i, n = 0;

	(void)fd;
	(void)what;
	(void)arg;
	sampler_host(now_ms);
	for (i = 0; i < run_slots(); i++) {
		if ((run = run_slot_at(i)) == NULL)
			continue;
		if (run->m.cg_remove)
			sampler_cgroup_reap(run);
		if (run->phase != RUN_LIVE || run->pid <= 0 ||
		    run->m.prev_us == 0)
			continue;
		sp_groups[n].pgid = run->pid;
		sp_groups[n].found = 0;
		sp_groups_run[n++] = run;
	}
	if (n > 0 && platform_groups_sample(sp_groups, n) == -1) {
		if (sp_errors++ == 0)
			log_warn("sampler: process groups");
		n = 0;
	}
	for (i = 0; i < n; i++) {
		if (!sp_groups[i].found) {
			sp_groups_run[i]->m.vanished++;
			sp_vanished++;
			continue;
		}
		sampler_push(sp_groups_run[i], &sp_groups[i].s, now_ms,
		    (int64_t)(w0 / 1000));
	}
	d = sampler_ns(CLOCK_MONOTONIC) - w0;
	sp_ticks++;
	sp_wall_ns += d;
	sp_last_ns = d;
	sp_cpu_ns += sampler_ns(CLOCK_PROCESS_CPUTIME_ID) - c0;
}

static void
sampler_host(int64_t now_ms)
{
	struct host_sample	 hs;
	struct host_rec		*h;

	if (platform_host_sample(&hs) == -1) {
		if (sp_errors++ == 0)
			log_warn("sampler: host");
		return;
	}
	h = recring_push(&sp_host);
	memset(h, 0, sizeof(*h));
	h->ts_ms = now_ms;
	h->hs = hs;
	if (sp_host_base && (hs.have & HS_CPU) &&
	    (sp_host_prev.have & HS_CPU) &&
	    sample_host_cpct(sp_host_prev.cpu_busy_ns, sp_host_prev.cpu_total_ns,
	    hs.cpu_busy_ns, hs.cpu_total_ns, &h->cpu_cpct) == 0)
		h->have_cpu = 1;
	sp_host_prev = hs;
	sp_host_base = 1;
}

int
sample_cpu_cpct(uint64_t cpu0_ns, uint64_t cpu1_ns, int64_t t0_us,
    int64_t t1_us, uint32_t *out)
{
	uint64_t	d, v;

	if (t1_us <= t0_us || cpu1_ns < cpu0_ns)
		return -1;
	d = cpu1_ns - cpu0_ns;
	/* ns / (us * 1000) * 10000, without overflowing for long gaps. */
	v = d / (uint64_t)(t1_us - t0_us) * 10 +
	    d % (uint64_t)(t1_us - t0_us) * 10 / (uint64_t)(t1_us - t0_us);
	*out = v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
	return 0;
}

int
sample_host_cpct(uint64_t busy0, uint64_t total0, uint64_t busy1,
    uint64_t total1, uint32_t *out)
{
	uint64_t	db, dt;

	if (total1 <= total0 || busy1 < busy0 || busy1 - busy0 > total1 -
	    total0)
		return -1;
	db = busy1 - busy0;
	dt = total1 - total0;
	*out = (uint32_t)(db / dt * 10000 + db % dt * 10000 / dt);
	return 0;
}

static uint32_t
sampler_kib(uint64_t bytes)
{
	uint64_t	k = bytes / 1024;

	return k > UINT32_MAX ? UINT32_MAX : (uint32_t)k;
}

static void
sampler_push(struct run *run, const struct proc_sample *ps, int64_t now_ms,
    int64_t mono_us)
{
	struct run_metrics	*m = &run->m;
	const struct stage	*cur = stages_current(&m->stages);
	struct sample		*s;
	uint64_t		 mem, kills;

	s = recring_push(&m->ring);
	memset(s, 0, sizeof(*s));
	s->ts_s = (uint32_t)(now_ms / 1000);
	s->ts_ms = (uint16_t)(now_ms % 1000);
	s->stage = cur != NULL ? (uint8_t)(cur - m->stages.st) :
	    SAMPLE_NO_STAGE;
	if ((ps->have & PS_CPU) && sample_cpu_cpct(m->prev_cpu_ns, ps->cpu_ns,
	    m->prev_us, mono_us, &s->cpu_cpct) == 0)
		s->have |= SA_CPU;
	if (ps->have & PS_CPU) {
		m->prev_cpu_ns = ps->cpu_ns;
		m->prev_us = mono_us;
	}
	/*
	 * Both memories: the cgroup's counts children that left the process
	 * group, and page cache the run caused; the group's RSS counts shared
	 * pages charged to others.  The cgroup's is what its limit compares.
	 */
	if (m->cg.version != 0 &&
	    platform_cgroup_sample(&m->cg, &mem, &kills) == 0) {
		m->cg_oom_kills = kills;
		s->cgroup_kib = sampler_kib(mem);
		s->have |= SA_CGROUP;
	}
	if (ps->have & PS_RSS) {
		s->rss_kib = sampler_kib(ps->rss);
		s->have |= SA_RSS;
	}
	if (ps->have & PS_THREADS) {
		s->threads = ps->threads > UINT16_MAX ? UINT16_MAX :
		    (uint16_t)ps->threads;
		s->have |= SA_THREADS;
	}
	if (ps->have & PS_FDS) {
		s->fds = ps->fds > UINT16_MAX ? UINT16_MAX : (uint16_t)ps->fds;
		s->have |= SA_FDS;
	}
	if (ps->have & PS_IO) {
		s->io_read_kib = sampler_kib(ps->io_read);
		s->io_write_kib = sampler_kib(ps->io_write);
		s->have |= SA_IO;
	}
}

/* Stage events. */

static int
sampler_stage_str(const struct ingest *ig, const char *key, char *out,
    size_t cap, int required, char *err, size_t errlen)
{
	int	v;

	out[0] = '\0';
	if ((v = jq_member(ig->text, ig->tok, ig->ntok, ig->data, key)) == -1) {
		if (required)
			snprintf(err, errlen, "%s: data.%s is required",
			    ig->type, key);
		return required ? -1 : 0;
	}
	if (jq_str(ig->text, ig->tok, v, out, cap) == -1) {
		snprintf(err, errlen, "%s: data.%s must be a string of at most "
		    "%zu bytes", ig->type, key, cap - 1);
		return -1;
	}
	return 0;
}

static int
sampler_stage_num(const struct ingest *ig, const char *key, int64_t lo,
    int64_t hi, int *has, int64_t *out, char *err, size_t errlen)
{
	int	v;

	*has = 0;
	if ((v = jq_member(ig->text, ig->tok, ig->ntok, ig->data, key)) == -1)
		return 0;
	if (jq_num(ig->text, ig->tok, v, out) == -1 || *out < lo ||
	    *out > hi) {
		snprintf(err, errlen, "%s: data.%s must be an integer from "
		    "%lld to %lld", ig->type, key, (long long)lo,
		    (long long)hi);
		return -1;
	}
	*has = 1;
	return 0;
}

/* The stored data: the stage's fields, then the producer's other members. */
struct stage_pub {
	const struct stage_event	*ev;
	const struct ingest		*ig;
};

static const char *const stage_keys[] = {
	"stage_name", "group_id", "stage_attempt", "exit_code",
	"duration_ms", "error", "reason", NULL
};

static void
sampler_stage_pub(struct jw *w, const void *arg)
{
	const struct stage_pub	*p = arg;
	const struct ingest	*ig = p->ig;
	char			 key[64];
	int			 i, k, end, q;

	jw_obj_begin(w, NULL);
	stages_event_members(w, p->ev);
	if (ig->data >= 0 && ig->tok[ig->data].type == JSMN_OBJECT) {
		end = jq_skip(ig->tok, ig->ntok, ig->data);
		for (i = ig->data + 1; i < end; i = jq_skip(ig->tok, ig->ntok,
		    i + 1)) {
			if (jq_str(ig->text, ig->tok, i, key, sizeof(key)) == -1)
				continue;
			for (k = 0; stage_keys[k] != NULL; k++)
				if (strcmp(stage_keys[k], key) == 0)
					break;
			if (stage_keys[k] != NULL)
				continue;
			/*
			 * ingest_parse() checked it: valid JSON as it is
			 * (a string token leaves out its quotes).
			 */
			q = ig->tok[i + 1].type == JSMN_STRING;
			jw_raw(w, key, ig->text + ig->tok[i + 1].start - q,
			    (size_t)(ig->tok[i + 1].end -
			    ig->tok[i + 1].start + 2 * q));
		}
	}
	jw_obj_end(w);
}

static void
sampler_stage_data(struct jw *w, const void *arg)
{
	stages_event_json(w, NULL, arg);
}

int
sampler_stage_event(struct run *run, const struct ingest *ig, uint64_t *seq,
    char *err, size_t errlen)
{
	struct stage_event	ev;
	struct stage_pub	pub = { &ev, ig };
	struct ev_meta		m = { ig->type, "stage", run->rc->instance_id,
	    run->rc->name, run->id };
	int64_t			v;
	int			kind, has, rc;

	memset(&ev, 0, sizeof(ev));
	if ((kind = stages_kind(ig->type)) == -1) {
		snprintf(err, errlen, "%s: not a stage event (stage_queued, "
		    "stage_started, stage_succeeded, stage_failed or "
		    "stage_skipped)", ig->type);
		return 400;
	}
	ev.kind = (enum stage_kind)kind;
	ev.ts_us = timefmt_now_us();
	if (ig->data < 0 || ig->tok[ig->data].type != JSMN_OBJECT) {
		snprintf(err, errlen, "%s: data must be an object with "
		    "stage_name", ig->type);
		return 400;
	}
	if (sampler_stage_str(ig, "stage_name", ev.name, sizeof(ev.name), 1,
	    err, errlen) == -1 ||
	    sampler_stage_str(ig, "group_id", ev.group, sizeof(ev.group), 0,
	    err, errlen) == -1)
		return 400;
	if (sampler_stage_num(ig, "stage_attempt", 1, UINT32_MAX, &has, &v,
	    err, errlen) == -1)
		return 400;
	ev.attempt = has ? (uint32_t)v : 0;
	if (sampler_stage_num(ig, "exit_code", INT32_MIN, INT32_MAX,
	    &ev.has_exit, &v, err, errlen) == -1)
		return 400;
	ev.exit_code = (int)v;
	if (sampler_stage_num(ig, "duration_ms", 0, INT64_MAX,
	    &ev.has_duration, &ev.duration_ms, err, errlen) == -1)
		return 400;
	/* The text is kept whole up to STAGE_REASON_MAX, or refused. */
	if (sampler_stage_str(ig, ev.kind == STAGE_EV_FAILED ? "error" :
	    "reason", ev.reason, sizeof(ev.reason), 0, err, errlen) == -1)
		return 400;
	rc = stages_apply(&run->m.stages, &ev, err, errlen);
	if (rc == STAGES_EINVAL)
		return 400;
	if (rc == STAGES_ETERMINAL || rc == STAGES_ETRANSITION)
		return 409;
	*seq = events_emit(&m, sampler_stage_pub, &pub);
	return 0;
}

/* JSON views. */

/* hundredths as a decimal number: 12345 -> 123.45 */
static void
sampler_fixed2(struct jw *w, const char *key, uint64_t v)
{
	char	buf[32];
	int	n;

	n = snprintf(buf, sizeof(buf), "%llu.%02u",
	    (unsigned long long)(v / 100), (unsigned)(v % 100));
	jw_raw(w, key, buf, (size_t)n);
}

static void
sampler_sample_json(struct jw *w, const struct run *run, uint64_t seq,
    const struct sample *s)
{
	char	ts[TIMEFMT_MAX];
	int64_t	ms = (int64_t)s->ts_s * 1000 + s->ts_ms;

	jw_obj_begin(w, NULL);
	jw_uint(w, "seq", seq);
	jw_int(w, "timestamp_ms", ms);
	timefmt_rfc3339(ts, sizeof(ts), ms * 1000);
	jw_str(w, "timestamp", ts);
	if (s->stage != SAMPLE_NO_STAGE && s->stage < run->m.stages.n)
		jw_str(w, "stage_name", run->m.stages.st[s->stage].name);
	else
		jw_null(w, "stage_name");
	if (s->have & SA_CPU)
		sampler_fixed2(w, "cpu_percent", s->cpu_cpct);
	else
		jw_null(w, "cpu_percent");
	if (s->have & SA_RSS)
		jw_uint(w, "rss_bytes", (uint64_t)s->rss_kib * 1024);
	else
		jw_null(w, "rss_bytes");
	if (s->have & SA_CGROUP)
		jw_uint(w, "cgroup_memory_bytes",
		    (uint64_t)s->cgroup_kib * 1024);
	if (s->have & SA_THREADS)
		jw_uint(w, "threads", s->threads);
	else
		jw_null(w, "threads");
	if (s->have & SA_FDS)
		jw_uint(w, "open_fds", s->fds);
	else
		jw_null(w, "open_fds");
	if (s->have & SA_IO) {
		jw_uint(w, "io_read_bytes", (uint64_t)s->io_read_kib * 1024);
		jw_uint(w, "io_write_bytes", (uint64_t)s->io_write_kib * 1024);
	} else {
		jw_null(w, "io_read_bytes");
		jw_null(w, "io_write_bytes");
	}
	jw_obj_end(w);
}

/*
 * The cursor contract: samples with seq > from_seq, oldest first, at most
 * `limit`; next_seq is the seq to pass as from_seq next time (the last
 * one returned, or from_seq when none); oldest_seq is the oldest held (0
 * when none); dropped counts the samples between from_seq and oldest_seq
 * that were evicted before this client saw them.
 */
void
sampler_telemetry_json(struct jw *w, const struct run *run,
    uint64_t from_seq, const char *stage, size_t limit)
{
	const struct recring	*r = &run->m.ring;
	const struct sample	*s;
	uint64_t		 seq, oldest = recring_oldest(r), next = from_seq;
	size_t			 n = 0;

	if (limit == 0 || limit > TELEMETRY_LIMIT)
		limit = TELEMETRY_LIMIT;
	jw_obj_begin(w, NULL);
	jw_str(w, "run_id", run->id);
	jw_uint(w, "interval_ms", (uint64_t)sp_cf->sample_interval_ms);
	jw_uint(w, "oldest_seq", oldest);
	jw_uint(w, "latest_seq", r->last);
	jw_uint(w, "dropped", oldest > from_seq + 1 ? oldest - from_seq - 1 :
	    0);
	jw_arr_begin(w, "samples");
	seq = from_seq + 1 > oldest ? from_seq + 1 : oldest;
	for (; oldest != 0 && seq <= r->last && n < limit; seq++) {
		s = recring_get(r, seq);
		next = seq;
		if (stage != NULL && (s->stage == SAMPLE_NO_STAGE ||
		    s->stage >= run->m.stages.n ||
		    strcmp(run->m.stages.st[s->stage].name, stage) != 0))
			continue;
		sampler_sample_json(w, run, seq, s);
		n++;
	}
	jw_arr_end(w);
	jw_uint(w, "next_seq", next);
	jw_obj_end(w);
}

void
sampler_stages_json(struct jw *w, const struct run *run)
{
	jw_obj_begin(w, NULL);
	jw_str(w, "run_id", run->id);
	stages_json(w, &run->m.stages, run->m.stages.updated_us);
	jw_obj_end(w);
}

void
sampler_report_json(struct jw *w, const struct run *run)
{
	const struct recring	*r = &run->m.ring;
	const struct stage	*last = NULL;
	uint64_t		 seq, from;
	size_t			 i;

	/* The stage it was in: the newest one started, else the newest. */
	for (i = 0; i < run->m.stages.n; i++)
		if (last == NULL || run->m.stages.st[i].start_order >
		    last->start_order)
			last = &run->m.stages.st[i];
	if (last != NULL) {
		jw_obj_begin(w, "last_stage");
		jw_str(w, "stage_name", last->name);
		jw_str(w, "group_id", last->group);
		jw_uint(w, "stage_attempt", last->attempt);
		jw_str(w, "status", stages_status_name(last->status));
		if (last->reason[0] != '\0')
			jw_str(w, last->status == STAGE_FAILED ? "error" :
			    "reason", last->reason);
		jw_obj_end(w);
	} else
		jw_null(w, "last_stage");
	jw_obj_begin(w, "metrics");
	jw_uint(w, "interval_ms", (uint64_t)sp_cf->sample_interval_ms);
	jw_uint(w, "total_samples", r->last);
	jw_uint(w, "vanished_ticks", run->m.vanished);
	if (run->m.cg.version != 0 || run->m.cg_oom_kills != 0)
		jw_uint(w, "cgroup_oom_kills", run->m.cg_oom_kills);
	jw_arr_begin(w, "samples");
	from = r->last > sp_cf->report_samples ? r->last -
	    sp_cf->report_samples + 1 : 1;
	if (from < recring_oldest(r))
		from = recring_oldest(r);
	for (seq = from; r->last != 0 && seq <= r->last; seq++)
		sampler_sample_json(w, run, seq, recring_get(r, seq));
	jw_arr_end(w);
	jw_obj_end(w);
}

static void
sampler_host_rec_json(struct jw *w, uint64_t seq, const struct host_rec *h)
{
	const struct host_sample	*hs = &h->hs;
	static const char *const	 psi[PSI_N] = { "cpu", "memory", "io" };
	static const uint32_t		 some[PSI_N] = { HS_PSI_CPU, HS_PSI_MEM,
	    HS_PSI_IO };
	static const uint32_t		 full[PSI_N] = { HS_PSI_CPU_FULL,
	    HS_PSI_MEM, HS_PSI_IO };
	char				 ts[TIMEFMT_MAX];
	int				 i;

	jw_obj_begin(w, NULL);
	jw_uint(w, "seq", seq);
	jw_int(w, "timestamp_ms", h->ts_ms);
	timefmt_rfc3339(ts, sizeof(ts), h->ts_ms * 1000);
	jw_str(w, "timestamp", ts);
	if (h->have_cpu)
		sampler_fixed2(w, "cpu_percent", h->cpu_cpct);
	else
		jw_null(w, "cpu_percent");
	if (hs->have & HS_CPU)
		jw_uint(w, "ncpu", hs->ncpu);
	if (hs->have & HS_MEM) {
		jw_uint(w, "memory_total_bytes", hs->mem_total);
		jw_uint(w, "memory_available_bytes", hs->mem_available);
	} else {
		jw_null(w, "memory_total_bytes");
		jw_null(w, "memory_available_bytes");
	}
	if (hs->have & HS_LOAD) {
		jw_arr_begin(w, "load");
		for (i = 0; i < 3; i++)
			sampler_fixed2(w, NULL, hs->load[i]);
		jw_arr_end(w);
	} else
		jw_null(w, "load");
	jw_obj_begin(w, "pressure");
	for (i = 0; i < PSI_N; i++) {
		if (!(hs->have & some[i])) {
			jw_null(w, psi[i]);
			continue;
		}
		jw_obj_begin(w, psi[i]);
		sampler_fixed2(w, "some_avg10", hs->psi_some[i]);
		if (hs->have & full[i])
			sampler_fixed2(w, "full_avg10", hs->psi_full[i]);
		jw_obj_end(w);
	}
	jw_obj_end(w);
	if (hs->have & HS_PRESSURE)
		jw_uint(w, "memory_pressure_level", hs->pressure_level);
	if (hs->have & HS_GPU_UTIL)
		jw_uint(w, "gpu_utilization_percent", hs->gpu_util_pct);
	if (hs->have & HS_GPU_MEM)
		jw_uint(w, "gpu_memory_used_bytes", hs->gpu_mem_used);
	jw_obj_end(w);
}

void
sampler_host_json(struct jw *w, size_t n)
{
	uint64_t	seq, from, oldest = recring_oldest(&sp_host);

	jw_obj_begin(w, NULL);
	jw_str(w, "platform", platform_name());
	jw_uint(w, "interval_ms", (uint64_t)sp_cf->sample_interval_ms);
	if (sp_why[0] != '\0')
		jw_str(w, "absent", sp_why);
	if (sp_host.last != 0)
		jw_key(w, "latest"), sampler_host_rec_json(w, sp_host.last,
		    recring_get(&sp_host, sp_host.last));
	else
		jw_null(w, "latest");
	jw_arr_begin(w, "history");
	from = sp_host.last >= n ? sp_host.last - n + 1 : 1;
	if (from < oldest)
		from = oldest;
	for (seq = from; oldest != 0 && n > 0 && seq <= sp_host.last; seq++)
		sampler_host_rec_json(w, seq, recring_get(&sp_host, seq));
	jw_arr_end(w);
	jw_obj_end(w);
}

void
sampler_status_json(struct jw *w)
{
	jw_obj_begin(w, "sampler");
	jw_bool(w, "enabled", sp_cf->sample_interval_ms != 0);
	jw_uint(w, "interval_ms", (uint64_t)sp_cf->sample_interval_ms);
	jw_uint(w, "samples_per_run", sp_cf->samples_per_run);
	jw_uint(w, "ring_bytes_per_run", sp_cf->samples_per_run *
	    sizeof(struct sample));
	jw_uint(w, "ticks", sp_ticks);
	if (sp_why[0] != '\0')
		jw_str(w, "absent", sp_why);
	else
		jw_null(w, "absent");
	jw_bool(w, "cgroups", sp_cg_ok);
	if (!sp_cg_ok)
		jw_str(w, "cgroups_reason", sp_cg_why);
	jw_obj_end(w);
}

/* Prometheus. */

/* The newest sample of each live run, one gauge family at a time. */
static void
sampler_runner_gauges(struct evbuffer *b, const char *name, const char *type,
    const char *help, int which)
{
	const struct run	*run;
	const struct sample	*s;
	size_t			 i;
	uint64_t		 v;

	metric_head(b, name, type, help);
	for (i = 0; i < run_slots(); i++) {
		if ((run = run_slot_at(i)) == NULL || run->phase != RUN_LIVE ||
		    (s = recring_get(&run->m.ring, run->m.ring.last)) == NULL)
			continue;
		switch (which) {
		case SA_CPU:
			if (!(s->have & SA_CPU))
				continue;
			evbuffer_add_printf(b, "%s{runner=\"%s\",run_id=\"%s\"} "
			    "%llu.%09llu\n", name, run->rc->name, run->id,
			    (unsigned long long)(run->m.prev_cpu_ns /
			    1000000000), (unsigned long long)
			    (run->m.prev_cpu_ns % 1000000000));
			continue;
		case SA_RSS:
			v = (uint64_t)s->rss_kib * 1024;
			break;
		case SA_THREADS:
			v = s->threads;
			break;
		case SA_CGROUP:
			v = (uint64_t)s->cgroup_kib * 1024;
			break;
		default:
			v = s->fds;
			break;
		}
		if (!(s->have & which))
			continue;
		evbuffer_add_printf(b, "%s{runner=\"%s\",run_id=\"%s\"} %llu\n",
		    name, run->rc->name, run->id, (unsigned long long)v);
	}
}

void
sampler_metrics(struct evbuffer *b)
{
	const struct host_rec	*h = recring_get(&sp_host, sp_host.last);

	metric_head(b, "crashtrail_sampler_ticks_total", "counter",
	    "Sampler ticks run.");
	evbuffer_add_printf(b, "crashtrail_sampler_ticks_total %llu\n",
	    (unsigned long long)sp_ticks);
	metric_head(b, "crashtrail_sampler_cpu_seconds_total",
	    "counter", "CPU time crashtrail spent in sampler ticks.");
	evbuffer_add_printf(b, "crashtrail_sampler_cpu_seconds_total "
	    "%llu.%09llu\n", (unsigned long long)(sp_cpu_ns / 1000000000),
	    (unsigned long long)(sp_cpu_ns % 1000000000));
	metric_head(b, "crashtrail_sampler_wall_seconds_total",
	    "counter", "Wall time of sampler ticks.");
	evbuffer_add_printf(b, "crashtrail_sampler_wall_seconds_total "
	    "%llu.%09llu\n", (unsigned long long)(sp_wall_ns / 1000000000),
	    (unsigned long long)(sp_wall_ns % 1000000000));
	metric_head(b, "crashtrail_sampler_last_tick_seconds", "gauge",
	    "Wall time of the last sampler tick.");
	evbuffer_add_printf(b, "crashtrail_sampler_last_tick_seconds "
	    "%llu.%09llu\n", (unsigned long long)(sp_last_ns / 1000000000),
	    (unsigned long long)(sp_last_ns % 1000000000));
	metric_head(b, "crashtrail_sampler_vanished_total", "counter",
	    "Samples not taken: the run's processes were gone.");
	evbuffer_add_printf(b, "crashtrail_sampler_vanished_total %llu\n",
	    (unsigned long long)sp_vanished);
	metric_head(b, "crashtrail_sampler_errors_total", "counter",
	    "Sampler reads that failed (host or process table).");
	evbuffer_add_printf(b, "crashtrail_sampler_errors_total %llu\n",
	    (unsigned long long)sp_errors);
	metric_head(b, "crashtrail_cgroup_errors_total", "counter",
	    "Run cgroups that could not be made or removed.");
	evbuffer_add_printf(b, "crashtrail_cgroup_errors_total %llu\n",
	    (unsigned long long)sp_cg_errors);

	sampler_runner_gauges(b, "crashtrail_run_cpu_seconds_total",
	    "counter", "User and system CPU time of the live run's processes.",
	    SA_CPU);
	sampler_runner_gauges(b, "crashtrail_run_resident_memory_bytes",
	    "gauge", "Resident memory of the live run's process group.",
	    SA_RSS);
	sampler_runner_gauges(b, "crashtrail_run_cgroup_memory_bytes",
	    "gauge", "Memory in use of the live run's cgroup.", SA_CGROUP);
	sampler_runner_gauges(b, "crashtrail_run_threads", "gauge",
	    "Threads of the live run's processes.", SA_THREADS);
	sampler_runner_gauges(b, "crashtrail_run_open_fds", "gauge",
	    "Open file descriptors of the live run's processes.", SA_FDS);

	if (h == NULL)
		return;
	if (h->have_cpu) {
		metric_head(b, "crashtrail_host_cpu_ratio", "gauge",
		    "Busy share of all the host's CPUs over the last "
		    "interval (0 to 1).");
		evbuffer_add_printf(b, "crashtrail_host_cpu_ratio %u.%04u\n",
		    h->cpu_cpct / 10000, h->cpu_cpct % 10000);
	}
	if (h->hs.have & HS_MEM) {
		metric_head(b, "crashtrail_host_memory_total_bytes",
		    "gauge", "The host's memory.");
		evbuffer_add_printf(b, "crashtrail_host_memory_total_bytes "
		    "%llu\n", (unsigned long long)h->hs.mem_total);
		metric_head(b, "crashtrail_host_memory_available_bytes",
		    "gauge", "The host's memory available for new work.");
		evbuffer_add_printf(b, "crashtrail_host_memory_available_bytes "
		    "%llu\n", (unsigned long long)h->hs.mem_available);
	}
	if (h->hs.have & HS_LOAD) {
		metric_head(b, "crashtrail_host_load1", "gauge",
		    "The host's 1-minute load average.");
		evbuffer_add_printf(b, "crashtrail_host_load1 %u.%02u\n",
		    h->hs.load[0] / 100, h->hs.load[0] % 100);
	}
	if (h->hs.have & HS_PSI_MEM) {
		metric_head(b, "crashtrail_host_memory_pressure_ratio",
		    "gauge", "Share of the last 10 s some task stalled on "
		    "memory (PSI some avg10, 0 to 1).");
		evbuffer_add_printf(b, "crashtrail_host_memory_pressure_ratio "
		    "%u.%04u\n", h->hs.psi_some[PSI_MEM] / 10000,
		    h->hs.psi_some[PSI_MEM] % 10000);
	}
}
