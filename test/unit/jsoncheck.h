/*
 * jsoncheck.h -- for the unit tests that write JSON: is it JSON to a real
 * parser (python3's json module)?  Where python3 is missing the check is
 * not made and says so (CHECK_SKIP), never a silent pass.  Include after
 * check.h.
 */
#ifndef JSONCHECK_H
#define JSONCHECK_H

#include <stdio.h>
#include <stdlib.h>

static int
python_parses(const char *doc, size_t n)
{
	static int	have_python = -1;
	FILE		*p;
	int		 rv;

	if (have_python == -1)
		have_python = system("python3 -c 1 >/dev/null 2>&1") == 0;
	if (!have_python) {
		CHECK_SKIP("python3 not found: JSON not checked by a real "
		    "parser");
		return 1;
	}
	p = popen("python3 -c 'import json,sys; "
	    "json.loads(sys.stdin.buffer.read().decode(\"utf-8\"))'", "w");
	if (p == NULL)
		return 0;
	fwrite(doc, 1, n, p);
	rv = pclose(p);
	if (rv != 0)
		fprintf(stderr, "python3 rejected [%.*s]\n",
		    (int)(n > 200 ? 200 : n), doc);
	return rv == 0;
}

#endif /* JSONCHECK_H */
