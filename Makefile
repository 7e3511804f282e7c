# berth - git-push-to-deploy server.  `make` builds ./berth; `make test` runs
# the unit and end-to-end suites; `make test-asan` runs them under
# ASan/UBSan; `make bench` runs the benchmarks in tests/bench/.

CC      ?= cc
PKGS    := libgit2 libssh inih libarchive sqlite3 openssl yaml-0.1 jansson libcurl
CFLAGS  ?= -O2 -g
# the project's own flags stay even when CFLAGS is given on the command line
BCFLAGS := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow \
           -Wformat=2 -Wno-format-nonliteral -I. $(shell pkg-config --cflags $(PKGS))
LDLIBS  += $(shell pkg-config --libs $(PKGS)) -lz

BUILD   ?= build
SRC     := $(wildcard core/*.c conf/*.c gitd/*.c hooks/*.c router/*.c)
MAIN    := core/berth.c
LIBSRC  := $(filter-out $(MAIN),$(SRC))
LIBOBJ  := $(LIBSRC:%.c=$(BUILD)/%.o)
UNITSRC := $(wildcard tests/unit/test_*.c)
UNITBIN := $(UNITSRC:tests/unit/%.c=$(BUILD)/tests/%)
TOOLSRC := $(wildcard tests/tools/*.c)
TOOLBIN := $(TOOLSRC:tests/tools/%.c=$(BUILD)/tools/%)

all: berth

berth: $(BUILD)/berth
	cp $< $@.tmp && mv -f $@.tmp $@

$(BUILD)/berth: $(BUILD)/core/berth.o $(LIBOBJ)
	$(CC) $(BCFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/%.o: %.c $(wildcard */*.h)
	@mkdir -p $(dir $@)
	$(CC) $(BCFLAGS) $(CFLAGS) -c -o $@ $<

$(BUILD)/tests/%: tests/unit/%.c tests/unit/unit.h $(LIBOBJ)
	@mkdir -p $(dir $@)
	$(CC) $(BCFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIBOBJ) $(LDLIBS)

$(BUILD)/tools/%: tests/tools/%.c $(LIBOBJ)
	@mkdir -p $(dir $@)
	$(CC) $(BCFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIBOBJ) $(LDLIBS)

test: $(BUILD)/berth $(UNITBIN) $(TOOLBIN)
	BERTH=$(abspath $(BUILD)/berth) BUILD=$(abspath $(BUILD)) tests/run

# (a tiny cache of delta bases in gitd_packset.c, so that the tests evict
# and re-read bases all the time and ASan sees any use after an eviction)
test-asan:
	$(MAKE) BUILD=build-asan CFLAGS="-O1 -g -fno-omit-frame-pointer \
	  -fsanitize=address,undefined -fno-sanitize-recover=undefined \
	  -DPACKSET_CACHE_SLOTS=4 -DPACKSET_CACHE_BYTES=65536" \
	  LDFLAGS="-fsanitize=address,undefined" test

FUZZSRC := $(wildcard tests/fuzz/fuzz_*.c)
FUZZBIN := $(FUZZSRC:tests/fuzz/%.c=$(BUILD)/fuzz/%)
FUZZ_TIME ?= 60

# libFuzzer targets (clang): `make fuzz` runs each for FUZZ_TIME seconds
fuzz:
	$(MAKE) BUILD=build-fuzz CC=clang \
	  CFLAGS="-O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined" \
	  LDFLAGS="-fsanitize=address,undefined" fuzz-bins
	tests/fuzz/run build-fuzz/fuzz $(FUZZ_TIME)

fuzz-bins: $(FUZZBIN)

$(BUILD)/fuzz/%: tests/fuzz/%.c $(wildcard tests/fuzz/*.h) $(LIBOBJ)
	@mkdir -p $(dir $@)
	$(CC) $(BCFLAGS) $(CFLAGS) $(LDFLAGS) -fsanitize=fuzzer -o $@ $< $(LIBOBJ) $(LDLIBS)

bench: $(BUILD)/berth
	BERTH=$(abspath $(BUILD)/berth) tests/bench/run

clean:
	rm -rf build build-asan build-fuzz berth

.PHONY: all berth test test-asan bench clean fuzz fuzz-bins
