/*
 * svlisten_int.h -- private to svlisten.c and svlisten_post.c; the rest
 * of crashtrail uses svlisten.h.
 * SPDX-License-Identifier: ISC
 *
 * svlisten.c speaks the protocol and owns the signal state; the backlog
 * of crashes and svl_post() are in svlisten_post.c.
 */
#ifndef SVLISTEN_INT_H
#define SVLISTEN_INT_H

#include <signal.h>

#include "svproto.h"

/*
 * TERM or INT received, set by svlisten.c's handler: a delivery pass
 * stops waiting on the daemon, except the last one.
 */
extern volatile sig_atomic_t	svl_sig;

/* The daemon's socket for delivery passes, kept by pointer. */
void	svl_deliver_to(const char *sockpath);
/* Queue a copy of *c; when SVL_BACKLOG are queued, the oldest is dropped. */
void	svl_push(const struct sv_crash *c);
/* One delivery pass, unless held off after a failure and not `force`d. */
void	svl_deliver(int force);
/* The last pass, which a signal does not cut short; logs what is left. */
void	svl_deliver_last(void);
/*
 * How long stdin may be waited on before the backlog wants a pass, in ms:
 * -1 when it is empty, 0 when a pass is due now.
 */
int	svl_backlog_ms(void);

#endif /* SVLISTEN_INT_H */
