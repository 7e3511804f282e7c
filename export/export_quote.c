/*
 * export_quote.c - user text as a quoted scalar of the manifests
 * (export_k8s.c, export_nomad.c): a JSON string from jansson (escapes for
 * '"', '\\' and every control character; text that is not UTF-8 is
 * refused; the few code points YAML cannot hold raw are escaped too),
 * which is a valid YAML double-quoted scalar, and, with the
 * template sequences "${" and "%{" doubled, a valid HCL string.  Nothing a
 * user typed reaches a manifest unquoted.  Also the manifests' one checked
 * write (export_printf).
 */
#include "export/export_int.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* How many bytes at p YAML cannot hold raw (DEL, the C1 controls, the
 * BOM, U+FFFE, U+FFFF), with their code point in *cp; 0 for others. */
static int
unprintable(const unsigned char *p, unsigned *cp)
{
	if (p[0] == 0x7f) {
		*cp = 0x7f;
		return 1;
	}
	if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
		*cp = p[1];
		return 2;
	}
	if (p[0] == 0xef && ((p[1] == 0xbb && p[2] == 0xbf) ||
	    (p[1] == 0xbf && (p[2] == 0xbe || p[2] == 0xbf)))) {
		*cp = 0xf000u | ((p[1] & 0x3fu) << 6) | (p[2] & 0x3fu);
		return 3;
	}
	return 0;
}

int
export_quote(FILE *f, const char *s, int hcl)
{
	json_t *j = json_string(s);
	char *q;
	int rc = 0;

	if (j == NULL)
		return -1;
	q = json_dumps(j, JSON_ENCODE_ANY);
	json_decref(j);
	if (q == NULL)
		return -1;
	for (const char *p = q; *p && rc == 0;) {
		unsigned cp;
		int n = unprintable((const unsigned char *)p, &cp);
		if (n > 0) {
			rc = fprintf(f, "\\u%04x", cp) < 0 ? -1 : 0;
			p += n;
			continue;
		}
		if (hcl && (p[0] == '$' || p[0] == '%') && p[1] == '{')
			rc = fputc(p[0], f) == EOF ? -1 : 0;
		if (rc == 0 && fputc(*p, f) == EOF)
			rc = -1;
		p++;
	}
	free(q);
	return rc;
}

/* A kubernetes name part from a process type: lower case, '_' -> '-'. */
void
export_kname(const char *in, char *out, size_t len)
{
	size_t i;

	for (i = 0; in[i] && i + 1 < len; i++)
		out[i] = in[i] == '_' ? '-' : (in[i] >= 'A' && in[i] <= 'Z') ?
		    (char)(in[i] - 'A' + 'a') : in[i];
	out[i] = '\0';
}

void
export_printf(struct export_out *w, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (vfprintf(w->f, fmt, ap) < 0)
		w->bad = 1;
	va_end(ap);
}
