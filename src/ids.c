/*
 * ids.c -- the one rule for ids that reach the file system or a URL.
 * SPDX-License-Identifier: ISC
 */
#include <string.h>

#include "ids.h"

const char *
id_check(const char *s, size_t max)
{
	size_t	i, len = strlen(s);

	if (len == 0)
		return "is empty";
	if (len > max)
		return "is too long";
	if (strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return "may not be \".\" or \"..\"";
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-')
			continue;
		return "may only contain A-Z a-z 0-9 . _ -";
	}
	return NULL;
}
