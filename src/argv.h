/*
 * argv.h -- split a command line into words the way a POSIX shell would
 * for a simple command: blanks separate words; '...' keeps everything
 * literally; "..." keeps everything but lets \ escape " \ $ ` and newline;
 * an unquoted \ escapes the next character.  No expansion of any kind
 * happens: the words are exec'd directly, as supervisord does.
 */
#ifndef ARGV_H
#define ARGV_H

#include <stddef.h>

/*
 * Split `in` into at most `maxargv - 1` words stored NUL-terminated in
 * `buf` (`buflen` bytes), with `argv` pointing into `buf` and ending in
 * NULL.  Returns the word count, or -1 with *err saying why (unterminated
 * quote, trailing backslash, too many words, too long).
 */
int	argv_split(const char *in, char *buf, size_t buflen, char **argv,
	    size_t maxargv, const char **err);

#endif /* ARGV_H */
