/*
 * output.c
 *		Output of datagen: buffered COPY text writers and the calendar.
 *
 * Every table is a PostgreSQL COPY text file (tab separated, \N for NULL)
 * DIR/<table>.tsv, which may be a FIFO created by the loader.  After a table
 * is complete "<table>.done" (the row count) is written BEFORE the data file
 * is closed, so a reader that sees EOF can tell a complete stream from one
 * cut short by a crash.  Field writers that run per row (PutU64, PutTs, ...)
 * are static inline in datagen.h; this file has the rest, and the day tables
 * PutTs reads.
 */
#include "datagen.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---------------------------------------------------------------------
 * Output: buffered COPY text writers
 * --------------------------------------------------------------------- */

const char *g_outdir;

/* write(2) all n bytes, retrying after EINTR; exit on error */
static void
WriteAll(Out *o, const char *p, size_t n)
{
	while (n > 0)
	{
		ssize_t		w = write(o->fd, p, n);

		if (w < 0)
		{
			if (errno == EINTR)
				continue;
			fprintf(stderr, "datagen: write %s: %s\n", o->name, strerror(errno));
			exit(2);
		}
		p += w;
		n -= (size_t) w;
	}
}

/* write out the buffer */
void
OutFlush(Out *o)
{
	if (o->enabled && o->len > 0)
		WriteAll(o, o->buf, o->len);
	o->len = 0;
}

/* open DIR/<name>.tsv (a disabled writer drops its rows) */
void
OutOpen(Out *o, const char *name, int enabled)
{
	char		path[4096];

	o->name = name;
	o->enabled = enabled;
	o->fd = -1;
	o->len = 0;
	o->rows = 0;
	o->buf = xmalloc(OUTBUF_SIZE);
	if (!enabled)
		return;
	snprintf(path, sizeof(path), "%s/%s.tsv", g_outdir, name);
	/* blocks on a FIFO until the loader opens it for reading */
	o->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (o->fd < 0)
	{
		fprintf(stderr, "datagen: open %s: %s\n", path, strerror(errno));
		exit(2);
	}
#ifdef F_SETPIPE_SZ
	/* bigger pipe buffer: fewer context switches (ignored for plain files) */
	(void) fcntl(o->fd, F_SETPIPE_SZ, 1 << 20);
#endif
}

/* flush, write the completion marker, then close: EOF after marker */
void
OutClose(Out *o)
{
	OutFlush(o);
	if (o->enabled)
	{
		char		path[4096];
		FILE	   *f;

		snprintf(path, sizeof(path), "%s/%s.done", g_outdir, o->name);
		f = fopen(path, "w");
		if (!f || fprintf(f, "%" PRIu64 "\n", o->rows) < 0 || fclose(f) != 0)
		{
			fprintf(stderr, "datagen: cannot write %s\n", path);
			exit(2);
		}
		if (close(o->fd) != 0)
		{
			fprintf(stderr, "datagen: close %s: %s\n", o->name, strerror(errno));
			exit(2);
		}
	}
	free(o->buf);
	o->buf = NULL;
}

/* text with COPY escaping, truncated to 200 bytes */
char *
PutStr(char *p, const char *s)
{
	for (int n = 0; *s && n < 200; s++, n++)
	{
		switch (*s)
		{
			case '\\':
				*p++ = '\\';
				*p++ = '\\';
				break;
			case '\t':
				*p++ = '\\';
				*p++ = 't';
				break;
			case '\n':
				*p++ = '\\';
				*p++ = 'n';
				break;
			case '\r':
				*p++ = '\\';
				*p++ = 'r';
				break;
			default:
				*p++ = *s;
		}
	}
	return p;
}

/* float8 text: shortest of %.15g/%.16g/%.17g that reads back exactly */
char *
PutF8(char *p, double x)
{
	for (int prec = 15; prec < 17; prec++)
	{
		int			n = sprintf(p, "%.*g", prec, x);

		if (strtod(p, NULL) == x)
			return p + n;
	}
	return p + sprintf(p, "%.17g", x);
}

/* ---------------------------------------------------------------------
 * Calendar (UTC): t = seconds since 2023-01-01 00:00:00
 * --------------------------------------------------------------------- */

char		g_daystr[N_DAYS + 1][11];
unsigned char g_month[N_DAYS + 1];
unsigned char g_mday[N_DAYS + 1];
char		g_two[100][2];

/* days since 1970-01-01 for a civil date (Howard Hinnant's algorithm) */
static int64_t
DaysFromCivil(int y, int m, int d)
{
	int64_t		era,
				yoe,
				doy,
				doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* seconds since 2023-01-01 for a civil UTC date */
int64_t
T(int y, int m, int d)
{
	return (DaysFromCivil(y, m, d) - DaysFromCivil(2023, 1, 1)) * SECS_PER_DAY;
}

/* the day tables: date text, month and day of month of every day */
void
CalendarInit(void)
{
	int			y = 2023,
				m = 1,
				d = 1;
	static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	for (int i = 0; i < 100; i++)
	{
		g_two[i][0] = (char) ('0' + i / 10);
		g_two[i][1] = (char) ('0' + i % 10);
	}
	for (int i = 0; i <= N_DAYS; i++)
	{
		int			ml;
		char		tmp[48];

		snprintf(tmp, sizeof(tmp), "%04d-%02d-%02d", y, m, d);
		memcpy(g_daystr[i], tmp, 11);
		g_month[i] = (unsigned char) m;
		g_mday[i] = (unsigned char) d;
		ml = mdays[m - 1] + (m == 2 && (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)));
		if (++d > ml)
		{
			d = 1;
			if (++m > 12)
			{
				m = 1;
				y++;
			}
		}
	}
}
