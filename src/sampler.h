/*
 * sampler.h -- metrics on a timer: the host, and every live run's process
 * group (or memory cgroup), into fixed rings; a run's stage view.
 *
 * Memory is reserved once by sampler_init(): each run slot gets a ring of
 * `samples_per_run` struct sample (32 bytes) and a table of
 * `stages_per_run` struct stage, all from two blocks sized by max_runs.
 * The blocks come from calloc, so their pages are the kernel's zero pages
 * until a sample lands on them: an idle or short run costs what it wrote.
 * A finished run keeps its ring until its slot is reused.
 *
 * The tick (every sample_interval_ms) measures the host, then every live
 * run in one platform_groups_sample() pass, and pushes one sample per run
 * found, tagged with the stage running then.  The first sample of a run
 * has CPU against its start (a new process has used none), so there is no
 * cumulative-average first value; a run whose processes all vanished
 * between ticks gets no sample for that tick.  Absent fields are absent
 * (a bit in `have`), never zero.  Nothing here names an OS: that is
 * platform.h.  The tick allocates nothing.
 */
#ifndef SAMPLER_H
#define SAMPLER_H

#include <stddef.h>
#include <stdint.h>

#include "platform.h"
#include "ring.h"
#include "stages.h"

struct config;
struct event_base;
struct evbuffer;
struct jw;
struct run;

#define SAMPLE_NO_STAGE	255	/* not in any stage */

/* Bits of struct sample's `have`. */
#define SA_CPU		0x01
#define SA_RSS		0x02
#define SA_THREADS	0x04
#define SA_FDS		0x08
#define SA_IO		0x10
#define SA_CGROUP	0x20	/* cgroup_kib */

/*
 * Fixed width, no strings: the stage is an index into the run's table.
 * The time is seconds since the epoch (unsigned: good until 2106) and
 * milliseconds; counts that could pass 65535 (threads, fds) saturate.
 */
struct sample {
	uint32_t	ts_s;		/* wall clock */
	uint32_t	cpu_cpct;	/* % of one CPU, hundredths */
	uint32_t	rss_kib;	/* the process group's, KiB */
	uint32_t	cgroup_kib;	/* the run's cgroup's memory in use */
	uint32_t	io_read_kib;	/* cumulative, KiB */
	uint32_t	io_write_kib;
	uint16_t	ts_ms;		/* the milliseconds of ts_s */
	uint16_t	fds;
	uint16_t	threads;
	uint8_t		stage;		/* SAMPLE_NO_STAGE: none */
	uint8_t		have;		/* SA_* */
};

/*
 * The CPU arithmetic, pure.  A run's: CPU time used between two readings
 * over the wall time between them, in hundredths of a percent of one CPU
 * (two busy cores: 20000).  The host's: busy over total ticks of all its
 * CPUs, hundredths of a percent of the machine (0..10000).  -1 when it
 * cannot be told (no time passed, or a counter went back: a process of
 * the group ended and its time left the sum), else 0 and *out.
 */
int	sample_cpu_cpct(uint64_t cpu0_ns, uint64_t cpu1_ns, int64_t t0_us,
	    int64_t t1_us, uint32_t *out);
int	sample_host_cpct(uint64_t busy0, uint64_t total0, uint64_t busy1,
	    uint64_t total1, uint32_t *out);

/* A run's part; lives in struct run, storage from the slot. */
struct run_metrics {
	struct recring		ring;		/* of struct sample */
	struct stage_view	stages;
	uint64_t		prev_cpu_ns;	/* CPU at prev_us */
	int64_t			prev_us;	/* monotonic; 0: no baseline */
	uint64_t		vanished;	/* ticks its group was gone */
	struct cgroup_ref	cg;		/* version 0: none */
	uint64_t		cg_oom_kills;	/* the cgroup's count */
	int			cg_remove;	/* rmdir still to do */
};

/* Reserve every ring and stage table, open what sampling reads, start
 * the timer (when sample_interval_ms is not 0); start-up only. */
void	sampler_init(struct event_base *, const struct config *);
/*
 * A new run in slot `i`: sampler_run_reset() lets the last one's go (a
 * cgroup still to remove), sampler_slot() gives the new one the slot's
 * ring and stage table, empty.
 */
void	sampler_run_reset(struct run_metrics *);
void	sampler_slot(struct run_metrics *, size_t i);
/*
 * Before the fork: the run's cgroup (cgroup = auto and allowed), with its
 * runner's memory_max.  The child enters it with sampler_child_enter().
 */
void	sampler_run_begin(struct run *);
int	sampler_child_enter(const struct run_metrics *);
/* The child runs: the CPU baseline (0 at its start), the cgroup fd closed. */
void	sampler_run_started(struct run *);
/*
 * The process is gone: read the cgroup's OOM count one last time (an
 * exact second OOM signal: the caller marks the run), close its stages
 * (queued -> skipped, running -> failed "run ended": their events go to
 * the ring now) and schedule the cgroup's removal.  Returns the cgroup's
 * OOM-kill count (0 without a cgroup).
 */
uint64_t sampler_run_end(struct run *);
/* Every runner is stopped: the cgroups still to remove, a last time. */
void	sampler_shutdown(void);

/* A stage_* event for a live run: apply it and publish it enriched (the
 * real attempt, the measured duration).  0, or an HTTP status with the
 * message in err (400 bad fields, 409 terminal). */
struct ingest;
int	sampler_stage_event(struct run *, const struct ingest *, uint64_t *seq,
	    char *err, size_t errlen);

/* JSON: the telemetry answer; `limit` 0 means the default. */
void	sampler_telemetry_json(struct jw *, const struct run *,
	    uint64_t from_seq, const char *stage, size_t limit);
void	sampler_stages_json(struct jw *, const struct run *);
/* The report's "last_stage" and "metrics" members. */
void	sampler_report_json(struct jw *, const struct run *);
/* GET /v1/host: the latest host sample and the last `n`. */
void	sampler_host_json(struct jw *, size_t n);
/* /v1/status's "sampler" member. */
void	sampler_status_json(struct jw *);
/* Prometheus lines: the sampler's own cost, host and per-runner gauges. */
void	sampler_metrics(struct evbuffer *);

#endif /* SAMPLER_H */
