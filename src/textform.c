/*
 * textform.c
 *		The text form of a binary value that names its kind: "kind:base64",
 *		shared by crm.model (model.c) and crm.agg_state (aggstate.c).
 *
 * The binary form is the value's own (a version byte first); the text form
 * is the name of its kind, a colon and that binary form in base64, so that
 * it round-trips exactly and a reader sees what the value is.  Each type
 * looks the name up and validates the decoded bytes itself.
 */
#include "postgres.h"

#include "common/base64.h"

#include "crm_analytics.h"

/* "name:base64(data)", palloc'd; typname names the type in the error. */
char *
CrmNamedTextOut(const char *name, const char *data, int len, const char *typname)
{
	int			nlen = strlen(name);
	int			enc = pg_b64_enc_len(len);
	char	   *out = palloc(nlen + 1 + enc + 1);
	int			n;

	memcpy(out, name, nlen);
	out[nlen] = ':';
	n = pg_b64_encode(CRM_B64_BIN(data), len, out + nlen + 1, enc);
	if (n < 0)
		elog(ERROR, "could not encode a %s value in base64", typname);
	out[nlen + 1 + n] = '\0';
	return out;
}

/*
 * The name of a text form: *str is moved past leading white space; returns
 * the colon after the name, or NULL when there is none.
 */
const char *
CrmNamedTextName(const char **str)
{
	while (**str == ' ' || **str == '\t' || **str == '\n' || **str == '\r')
		(*str)++;
	return strchr(*str, ':');
}

/*
 * The bytes after the colon of a text form, decoded (trailing white space
 * ignored), palloc'd, their count in *len.  Not base64: SQLSTATE 22P02
 * naming typname, with hint.
 */
char *
CrmNamedTextDecode(const char *colon, int *len, const char *typname, const char *hint)
{
	int			b64len = strlen(colon + 1);
	int			maxlen;
	char	   *bytes;

	while (b64len > 0 && (colon[b64len] == ' ' || colon[b64len] == '\n' ||
						  colon[b64len] == '\r' || colon[b64len] == '\t'))
		b64len--;
	maxlen = pg_b64_dec_len(b64len);
	bytes = palloc(maxlen + 1);
	*len = pg_b64_decode(colon + 1, b64len, CRM_B64_BIN(bytes), maxlen);
	if (*len < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type %s", typname),
				 errdetail("The data after the colon is not valid base64."),
				 errhint("%s", hint)));
	return bytes;
}
