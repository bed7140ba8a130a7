/*
 * argv.c -- shell-like word splitting without expansion.
 * SPDX-License-Identifier: ISC
 */
#include <string.h>

#include "argv.h"

int
argv_split(const char *in, char *buf, size_t buflen, char **argv,
    size_t maxargv, const char **err)
{
	const char	*p = in;
	size_t		 o = 0, argc = 0;
	int		 inword = 0;
	char		 q = 0;

	*err = NULL;
	for (;; p++) {
		char c = *p;

		if (c == '\0' && q != 0) {
			*err = "unterminated quote";
			return -1;
		}
		if (q == 0 && (c == '\0' || c == ' ' || c == '\t' ||
		    c == '\n')) {
			if (inword) {
				if (o >= buflen)
					goto toolong;
				buf[o++] = '\0';
				inword = 0;
			}
			if (c == '\0')
				break;
			continue;
		}
		if (!inword) {
			if (argc + 1 >= maxargv) {
				*err = "too many words";
				return -1;
			}
			argv[argc++] = buf + o;
			inword = 1;
		}
		if (q == 0 && (c == '\'' || c == '"')) {
			q = c;
			continue;
		}
		if (q == c) {
			q = 0;
			continue;
		}
		if (c == '\\' && q != '\'') {
			char n = p[1];

			if (n == '\0') {
				*err = "trailing backslash";
				return -1;
			}
			/*
			 * Inside "...", \ only escapes the shell's specials;
			 * before anything else it stays, and so does the next
			 * character, which the next turn copies.
			 */
			if (q != '"' || strchr("\"\\$`\n", n) != NULL)
				p++;
			c = *p;
		}
		if (o >= buflen)
			goto toolong;
		buf[o++] = c;
	}
	argv[argc] = NULL;
	if (argc == 0) {
		*err = "is empty";
		return -1;
	}
	return (int)argc;
toolong:
	*err = "is too long";
	return -1;
}
