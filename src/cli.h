/*
 * cli.h -- the client commands: they talk to a running daemon over its
 * Unix socket (httpc.h) and print for people, or JSON with --json.
 *   crashtrail status   the runner table
 *   crashtrail events   the event ring, or -f to follow the stream
 *   crashtrail show     one run's death report, readable, with a chart
 *   crashtrail top      the live runs' CPU and memory, redrawn
 *   crashtrail emit     an event from inside a runner
 * Each returns an exit code: 0 ok, 64 usage, 69 daemon unavailable or
 * refused, 78 config error.
 */
#ifndef CLI_H
#define CLI_H

int	cli_status(int, char **);
int	cli_events(int, char **);
int	cli_show(int, char **);
int	cli_emit(int, char **);
int	cli_reload(int, char **);
int	cli_top(int, char **);

#endif /* CLI_H */
