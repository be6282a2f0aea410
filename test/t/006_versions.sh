#!/usr/bin/env bash
# The version of the extension, as the installed server reports it (which is
# crm_analytics.control's default_version), is the one everything else states:
# - META.json, the PGXN metadata: valid JSON with the keys the PGXN meta spec
#   1.0.0 requires, a licence from its list, the version in both places;
# - from PostgreSQL 18 on, the module's magic block (pg_get_loaded_modules()).
set -uo pipefail
meta=$CRM_ROOT/META.json
[ -f "$meta" ] || { echo "no META.json"; exit 1; }
installed=$(psql -X -At -c "SELECT default_version FROM pg_available_extensions WHERE name = 'crm_analytics'")
[ -n "$installed" ] || { echo "the server does not list crm_analytics"; exit 1; }
python3 - "$meta" "$installed" "$CRM_ROOT" <<'PY'
import json, os, sys
path, installed, root = sys.argv[1:]
try:
    meta = json.load(open(path))
except ValueError as e:
    sys.exit(f"META.json is not valid JSON: {e}")
bad = []
for key in ("name", "abstract", "maintainer", "license", "provides", "version", "meta-spec"):
    if key not in meta:
        bad.append(f"required key {key} missing")
licences = {"agpl_3", "apache_1_1", "apache_2_0", "artistic_1", "artistic_2", "bsd", "freebsd",
            "gfdl_1_2", "gfdl_1_3", "gpl_1", "gpl_2", "gpl_3", "lgpl_2_1", "lgpl_3_0", "mit",
            "mozilla_1_0", "mozilla_1_1", "openssl", "perl_5", "postgresql", "qpl_1_0", "ssleay",
            "sun", "zlib", "open_source", "restricted", "unrestricted", "unknown"}
lic = meta.get("license")
if isinstance(lic, str) and lic not in licences:
    bad.append(f"license {lic!r} is not one of the meta spec's names")
if meta.get("meta-spec", {}).get("version") != "1.0.0":
    bad.append("meta-spec version is not 1.0.0")
if meta.get("name") != "crm_analytics":
    bad.append(f"name is {meta.get('name')!r}")
ext = meta.get("provides", {}).get("crm_analytics")
if not ext:
    bad.append("provides has no crm_analytics")
else:
    if ext.get("version") != installed:
        bad.append(f"provides.crm_analytics.version {ext.get('version')!r} != installed {installed!r}")
    for key in ("file", "docfile"):
        if key in ext and not os.path.isfile(os.path.join(root, ext[key])):
            bad.append(f"provides.crm_analytics.{key} {ext[key]!r} does not exist")
if meta.get("version") != installed:
    bad.append(f"version {meta.get('version')!r} != installed {installed!r}")
req = meta.get("prereqs", {}).get("runtime", {}).get("requires", {}).get("PostgreSQL")
if not req:
    bad.append("prereqs.runtime.requires.PostgreSQL missing")
if bad:
    print("\n".join(bad))
    sys.exit(1)
print(f"META.json: crm_analytics {installed}, licence {lic}, PostgreSQL >= {req}")
PY
[ $? -eq 0 ] || exit 1
server=$(psql -X -At -c "SHOW server_version_num")
if [ "$server" -ge 180000 ]; then
	module=$(psql -X -q -At -F ' ' -c "LOAD 'crm_analytics'" \
		-c "SELECT module_name, version FROM pg_get_loaded_modules() WHERE file_name LIKE 'crm_analytics%'")
	echo "loaded module: $module"
	[ "$module" = "crm_analytics $installed" ] ||
		{ echo "FAIL: the module says '$module', the extension is $installed"; exit 1; }
else
	echo "PostgreSQL $server: no module versions before 18"
fi
