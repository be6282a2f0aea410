# PGXS build for crm_analytics.
#   make && make install            build and install into the PostgreSQL that pg_config names
#   make installcheck               pg_regress suite against a running server
#   test/run-tests.sh               everything, on a throwaway cluster (what CI runs)
EXTENSION = crm_analytics
MODULE_big = crm_analytics
OBJS = $(patsubst %.c,%.o,$(sort $(wildcard src/*.c)))

DATA = $(sort $(wildcard sql/crm_analytics--*.sql))

TESTS = $(sort $(filter-out sql/crm_analytics--%,$(wildcard sql/*.sql)))
REGRESS = $(patsubst sql/%.sql,%,$(TESTS))
REGRESS_OPTS = --inputdir=. --load-extension=crm_analytics

PG_CFLAGS = -Wall -Wextra
# the server headers are not ours: compile them as system headers so that
# -Wextra (and -Werror in the test command) applies to our code only
PG_CPPFLAGS = -isystem $(shell $(PG_CONFIG) --includedir-server)
EXTRA_CLEAN = results regression.diffs regression.out

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)
