/*
 * recover.h -- death reports that a killed crashtrail published but did
 * not get to write.
 *
 * A death is published first (runner_failed, whose data is the death
 * report as known at that moment) and its report file is written after
 * (hashing the log may take a while): a crashtrail killed in between
 * leaves the event in the journal and no file.  At start, once the ring
 * is refilled from the journal, each runner_failed event in it whose
 * report is missing is written from the event, before the run history is
 * indexed, so the run is answered after the restart.  The report then
 * has no "sha256" in its stderr_log (the log was never hashed).
 */
#ifndef RECOVER_H
#define RECOVER_H

#include <stddef.h>

struct logstore;

/*
 * Start-up only (allocates one envelope buffer, then frees it); the
 * file work is inline.  Only a report of a run whose files `ls` indexes
 * is written.  Returns the number of reports written.
 */
int	recover_reports(struct logstore *ls, size_t max_record);
/*
 * 1 when the ring (refilled from the journal) holds the end of run
 * `run_id` (runner_failed or runner_exited): a crashtrail killed after
 * publishing a death but before removing its live record left both.
 */
int	recover_run_ended(const char *run_id);

#endif /* RECOVER_H */
