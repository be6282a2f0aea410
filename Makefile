# PGXS build for crm_analytics.
#   make && make install            build and install into the PostgreSQL that pg_config names
#   make installcheck               pg_regress suite against a running server
#   test/run-tests.sh               everything, on a throwaway cluster (what CI runs)
EXTENSION = crm_analytics
EXTVERSION = $(shell sed -n "s/^default_version *= *'\([^']*\)'.*/\1/p" $(EXTENSION).control)
MODULE_big = crm_analytics
OBJS = $(patsubst %.c,%.o,$(sort $(wildcard src/*.c)))

# Each capability keeps its SQL definitions in src/<capability>.sql beside its
# C code; the install script of the current version is made from them, in
# this order (a capability's objects may use those of earlier ones).
SQL_PARTS = src/crm_analytics.sql \
	src/rfm.sql \
	src/kmeans.sql \
	src/basket.sql \
	src/similarity.sql \
	src/clv.sql \
	src/predict.sql \
	src/journeys.sql \
	src/abtest.sql \
	src/attribution.sql \
	src/deviation.sql \
	src/forecast.sql \
	src/concentration.sql \
	src/tree.sql \
	src/aggstate.sql \
	src/customer360.sql
CRM_INSTALL_SQL = sql/$(EXTENSION)--$(EXTVERSION).sql

# install scripts of earlier versions (kept for upgrade tests) and upgrade scripts
DATA = $(sort $(filter-out $(CRM_INSTALL_SQL),$(wildcard sql/$(EXTENSION)--*.sql)))
DATA_built = $(CRM_INSTALL_SQL)

TESTS = $(sort $(filter-out sql/$(EXTENSION)--%,$(wildcard sql/*.sql)))
REGRESS = $(patsubst sql/%.sql,%,$(TESTS))
REGRESS_OPTS = --inputdir=. --load-extension=crm_analytics

PG_CFLAGS = -Wall -Wextra
# the server headers are not ours: compile them as system headers so that
# -Wextra (and -Werror in the test command) applies to our code only
PG_CPPFLAGS = -isystem $(shell $(PG_CONFIG) --includedir-server) -DCRM_VERSION=\"$(EXTVERSION)\"
EXTRA_CLEAN = results regression.diffs regression.out

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

$(CRM_INSTALL_SQL): $(SQL_PARTS) $(EXTENSION).control
	cat $(SQL_PARTS) > $@

# PGXS does not track header dependencies: rebuild every object when a header changes
$(OBJS): $(wildcard src/*.h)
# the module's magic block carries the version (src/compat.h)
src/crm_analytics.o: $(EXTENSION).control
