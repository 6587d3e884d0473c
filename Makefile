# Makefile for dataeng (PGXS)
#
#   make && make install        build and install into the PostgreSQL found by pg_config
#   make installcheck           pg_regress, isolation and TAP suites against a running server
#   make bench                  benchmarks on a throwaway cluster (sql_tests/bench/run.sh)
#   make demo                   the ShopSphere demo on a throwaway cluster (docs/demo.sh)
#   make test-all               the whole suite on a throwaway cluster (sql_tests/run_all.sh)

EXTENSION = dataeng
MODULE_big = dataeng

SRCS = $(sort $(wildcard src/*.c src/*/*.c))
CPPSRCS = $(sort $(wildcard src/*/*.cpp))
OBJS = $(SRCS:.c=.o) $(CPPSRCS:.cpp=.o)
EXTVERSION = $(shell sed -n "s/^default_version *= *'\(.*\)'/\1/p" $(srcdir)/dataeng.control)
# The install script is assembled from one SQL file per area, in this order
# (a file may use what an earlier one defines): see sql/README.md.
SQL_AREAS = common cdc schedule validate cleanse dedupe rules facts dimensions cdc_wal decoding ops
SQL_SOURCES = $(addprefix sql/,$(addsuffix .sql,$(SQL_AREAS)))
# Upgrades (sql/README.md): each earlier release's install script is kept
# frozen as sql/dataeng--<old>.sql, and dataeng--<old>--<new>.sql is built
# from sql/updates/<old>--<new>.sql (table changes, functions to drop) and
# every function, view, comment, grant, policy and trigger of the area files.
UPGRADES_FROM = 0.1.0
DATA_built = $(EXTENSION)--$(EXTVERSION).sql \
	$(foreach v,$(UPGRADES_FROM),$(EXTENSION)--$(v)--$(EXTVERSION).sql)
DATA = $(foreach v,$(UPGRADES_FROM),sql/$(EXTENSION)--$(v).sql)

PG_CONFIG ?= pg_config
# Only what PostgreSQL looks up is exported from the library: the fmgr
# functions (PG_FUNCTION_INFO_V1), _PG_init, the background workers' entry
# points and the output plugin's init.  PostgreSQL 15 leaves PGDLLEXPORT empty
# outside Windows; it marks those symbols visible here.
PG_CPPFLAGS = -I$(srcdir)/src '-DPGDLLEXPORT=__attribute__((visibility("default")))'
# -Wall -Wextra, less -Wunused-parameter: PostgreSQL 15's own headers trip it
# (inline functions in bufpage.h and ilist.h), as does every fmgr function
# that ignores fcinfo.  The test harness adds -Werror.
PG_CFLAGS = -std=gnu11 -Wall -Wextra -Wno-unused-parameter -fvisibility=hidden
PG_CXXFLAGS = -std=c++17 -Wall -Wextra -Wno-unused-parameter -fvisibility=hidden
# libphonenumber (Debian: libphonenumber-dev) behind src/validate/phone_shim.cpp
SHLIB_LINK = -lphonenumber -lstdc++

# pg_regress on PostgreSQL 15 reads <inputdir>/sql/*.sql and <inputdir>/expected/*.out
# (there is no --expecteddir before 16).  Our sql/ holds install scripts, so the
# tests are staged under build/regress, whose sql, specs and expected entries are
# symlinks to sql_tests/, sql_tests/specs/ and expected/.  Results land there too.
REGRESS_DIR = build/regress
REGRESS = $(sort $(basename $(notdir $(wildcard sql_tests/*.sql))))
# (REGRESS_OUT: where the results go; sql_tests/run_all.sh runs a third of
# the tests beside the others, their results in build/regress2)
REGRESS_OUT = $(REGRESS_DIR)
REGRESS_OPTS = --inputdir=$(REGRESS_DIR) --outputdir=$(REGRESS_OUT)
ISOLATION = $(sort $(basename $(notdir $(wildcard sql_tests/specs/*.spec))))
ISOLATION_OPTS = --inputdir=$(REGRESS_DIR) --outputdir=$(REGRESS_DIR)/isolation
REGRESS_PREP = regress_prep
TAP_TESTS = 1
PROVE_TESTS = $(sort $(wildcard sql_tests/t/*.pl))

EXTRA_CLEAN = build tmp_check

PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

.PHONY: regress_prep bench demo test-all
regress_prep:
	@mkdir -p $(REGRESS_DIR)/isolation
	@ln -sfn ../../sql_tests $(REGRESS_DIR)/sql
	@ln -sfn ../../sql_tests/specs $(REGRESS_DIR)/specs
	@ln -sfn ../../expected $(REGRESS_DIR)/expected
	@ln -sfn ../../../expected $(REGRESS_DIR)/isolation/expected

bench:
	bash sql_tests/bench/run.sh

demo:
	bash docs/demo.sh

test-all:
	bash sql_tests/run_all.sh

# objects depend on the headers (few enough to keep this simple)
$(OBJS): $(wildcard src/*.h src/*/*.h)

# @NAME@ in the SQL is the value of "#define NAME" in a header under src/
SQL_HEADERS = $(wildcard src/*.h src/*/*.h)

$(EXTENSION)--$(EXTVERSION).sql: $(SQL_SOURCES) $(srcdir)/dataeng.control sql/updates/rerun.pl $(SQL_HEADERS)
	perl sql/updates/rerun.pl --install $(SQL_SOURCES) > $@

$(EXTENSION)--%--$(EXTVERSION).sql: sql/updates/%--$(EXTVERSION).sql $(SQL_SOURCES) sql/updates/rerun.pl $(SQL_HEADERS)
	perl sql/updates/rerun.pl $< $(SQL_SOURCES) > $@
