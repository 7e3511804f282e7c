# berth - git-push-to-deploy server.  `make` builds ./berth; `make test` runs
# the unit and end-to-end suites; `make test-asan` runs them under
# ASan/UBSan; `make bench` runs the benchmarks in tests/bench/;
# `make install` (PREFIX, DESTDIR) installs berth as a server's berth: the
# binary, the buildpacks, /etc/berth/berth.ini (data in /var/lib/berth), a
# systemd unit and the man page.

CC      ?= cc
PKGS    := libgit2 libssh inih sqlite3 openssl yaml-0.1 jansson
# headers only: web/web_mhd.c loads libmicrohttpd at run time (dlopen), so
# that starting berth, which every connection and chore pass does, does not
# load it and its chain (gnutls ...)
HDRPKGS := libmicrohttpd
# and core/libarchive.c loads libarchive, whose chain (libxml2, ICU,
# libstdc++, nettle, lzma, zstd ...) was half of a start's relocations
HDRPKGS += libarchive
CFLAGS  ?= -O2 -g
# the project's own flags stay even when CFLAGS is given on the command line
# CPPFLAGS too: Debian's build passes -D_FORTIFY_SOURCE=2 there
BCFLAGS := $(CPPFLAGS) -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow \
           -Wformat=2 -Wno-format-nonliteral -I. $(shell pkg-config --cflags $(PKGS) $(HDRPKGS))
LDLIBS  += $(shell pkg-config --libs $(PKGS)) -lz

BUILD   ?= build
# berth-shim (run/berth_shim*.c, run/relay*.c) links only libc and the
# few core/ files it names; berth itself has none of it
SHIMONLY := $(wildcard run/berth_shim*.c run/relay*.c)
SHIMSRC := $(SHIMONLY) core/ident.c core/procinfo.c core/path.c core/names.c \
           core/num.c
SHIMOBJ := $(SHIMSRC:%.c=$(BUILD)/%.o)
# static: one supervisor per process costs < 1 MiB RSS (dynamic: 1.7 MiB,
# mostly libc's pages); not under the sanitizers, which cannot link so
SHIM_LDFLAGS ?= $(if $(findstring sanitize,$(LDFLAGS)),,-static)
# berth-serve, berth serve's front process (cmd/front.c): the accept loop
# and the chores' clocks, libc only, static like berth-shim; berth links
# these files too, all but its main
FRONTONLY := cmd/front.c
FRONTSRC := $(FRONTONLY) core/childexec.c core/clock.c core/log.c core/num.c \
           gitd/gitd_server.c gitd/gitd_limits.c gitd/gitd_upkeep_chore.c \
           gitd/gitd_cron.c run/reconcile_chore.c web/web_proc.c
FRONTOBJ := $(FRONTSRC:%.c=$(BUILD)/%.o)
SRC     := $(filter-out $(SHIMONLY) $(FRONTONLY),$(wildcard conf/*.c core/*.c \
           router/*.c run/*.c deploy/*.c export/*.c gitd/*.c web/*.c cmd/*.c))
MAIN    := $(filter-out $(FRONTONLY),$(wildcard cmd/*.c))
LIBSRC  := $(filter-out $(MAIN),$(SRC))
LIBOBJ  := $(LIBSRC:%.c=$(BUILD)/%.o)
# the floors (conf/, core/: they include nothing above them, tests/layers.sh)
# as a library of their own, and what stands on them as another
FLOORSRC := $(wildcard conf/*.c core/*.c)
FLOORLIB := $(BUILD)/libberth-floor.a
UPPERLIB := $(BUILD)/libberth.a
UNITSRC := $(wildcard tests/unit/test_*.c)
UNITBIN := $(UNITSRC:tests/unit/%.c=$(BUILD)/tests/%)
# unit tests that include only floor headers link the floor library alone
FLOORTEST := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(shell grep -L \
             '^\#include "\(router\|run\|deploy\|export\|gitd\|web\|cmd\)/' $(UNITSRC)))
TOOLSRC := $(wildcard tests/tools/*.c)
TOOLBIN := $(TOOLSRC:tests/tools/%.c=$(BUILD)/tools/%)

all: berth

# berth runs the berth-shim and berth-serve beside its own binary (a
# checkout), else ../lib/berth/NAME from its directory (an install)
berth: $(BUILD)/berth $(BUILD)/berth-shim $(BUILD)/berth-serve
	cp $< $@.tmp && mv -f $@.tmp $@
	cp $(BUILD)/berth-shim berth-shim.tmp && mv -f berth-shim.tmp berth-shim
	cp $(BUILD)/berth-serve berth-serve.tmp && mv -f berth-serve.tmp berth-serve

$(BUILD)/berth: $(MAIN:%.c=$(BUILD)/%.o) $(LIBOBJ) $(BUILD)/berth-shim \
    $(BUILD)/berth-serve
	$(CC) $(BCFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $(MAIN:%.c=$(BUILD)/%.o) $(LIBOBJ) $(LDLIBS)

$(BUILD)/berth-shim: $(SHIMOBJ)
	$(CC) $(BCFLAGS) $(CFLAGS) $(LDFLAGS) $(SHIM_LDFLAGS) -o $@ $^

$(BUILD)/berth-serve: $(FRONTOBJ)
	$(CC) $(BCFLAGS) $(CFLAGS) $(LDFLAGS) $(SHIM_LDFLAGS) -o $@ $^

$(BUILD)/%.o: %.c $(wildcard */*.h)
	@mkdir -p $(dir $@)
	$(CC) $(BCFLAGS) $(CFLAGS) -c -o $@ $<

$(FLOORLIB): $(FLOORSRC:%.c=$(BUILD)/%.o)
	rm -f $@ && $(AR) rcs $@ $^

$(UPPERLIB): $(filter-out $(FLOORSRC:%.c=$(BUILD)/%.o),$(LIBOBJ))
	rm -f $@ && $(AR) rcs $@ $^

$(FLOORTEST): $(BUILD)/tests/%: tests/unit/%.c tests/unit/unit.h $(FLOORLIB)
	@mkdir -p $(dir $@)
	$(CC) $(BCFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< $(FLOORLIB) $(LDLIBS)

$(filter-out $(FLOORTEST),$(UNITBIN)): $(BUILD)/tests/%: tests/unit/%.c \
    tests/unit/unit.h $(UPPERLIB) $(FLOORLIB)
	@mkdir -p $(dir $@)
	$(CC) $(BCFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< $(UPPERLIB) $(FLOORLIB) \
	  $(LDLIBS)

$(BUILD)/tools/%: tests/tools/%.c $(LIBOBJ)
	@mkdir -p $(dir $@)
	$(CC) $(BCFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIBOBJ) $(LDLIBS)

test: $(BUILD)/berth $(UNITBIN) $(TOOLBIN)
	BERTH=$(abspath $(BUILD)/berth) BUILD=$(abspath $(BUILD)) tests/run

# the unit tests alone (the package build runs these)
test-unit: $(UNITBIN)
	for t in $(UNITBIN); do $$t || exit 1; done

# rewrite tests/unit/golden/ from the renderers (a change meant; read the diff)
golden: $(BUILD)/tests/test_render
	BERTH_GOLDEN_UPDATE=1 $<

# (LeakSanitizer skips the leaks inside libraries listed in tests/lsan.supp;
# a tiny cache of delta bases in gitd_packset.c, so that the tests evict
# and re-read bases all the time and ASan sees any use after an eviction)
test-asan:
	LSAN_OPTIONS=suppressions=$(abspath tests/lsan.supp) $(MAKE) BUILD=build-asan CFLAGS="-O1 -g -fno-omit-frame-pointer \
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

# Where `make install` puts things.  The binary finds its buildpacks at
# BINDIR/../lib/berth/buildpacks by itself; the installed berth.ini names
# them and the data dir (LOCALSTATEDIR/lib/berth, which `berth init`
# creates) anyway.
PREFIX        ?= /usr/local
BINDIR        ?= $(PREFIX)/bin
LIBDIR        ?= $(PREFIX)/lib/berth
MANDIR        ?= $(PREFIX)/share/man
SYSCONFDIR    ?= /etc
LOCALSTATEDIR ?= /var
UNITDIR       ?= $(PREFIX)/lib/systemd/system
PACKFILES     := $(shell find buildpacks -type f | LC_ALL=C sort)

install: $(BUILD)/berth $(BUILD)/berth-shim $(BUILD)/berth-serve
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man8 \
	  $(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSCONFDIR)/berth
	install -m 755 $(BUILD)/berth $(DESTDIR)$(BINDIR)/berth
	install -D -m 755 $(BUILD)/berth-shim $(DESTDIR)$(LIBDIR)/berth-shim
	install -D -m 755 $(BUILD)/berth-serve $(DESTDIR)$(LIBDIR)/berth-serve
	for f in $(PACKFILES); do \
	  if [ -x "$$f" ]; then m=755; else m=644; fi; \
	  install -D -m $$m "$$f" "$(DESTDIR)$(LIBDIR)/$$f" || exit 1; \
	done
	install -m 644 doc/berth.8 $(DESTDIR)$(MANDIR)/man8/berth.8
	sed -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
	  conf/berth.service.in > $(DESTDIR)$(UNITDIR)/berth.service
	chmod 644 $(DESTDIR)$(UNITDIR)/berth.service
	@# conf/berth.ini with an installed berth's paths; an admin's edited
	@# config is kept (a package manager has its own way)
	if [ -e $(DESTDIR)$(SYSCONFDIR)/berth/berth.ini ]; then \
	  echo "keeping $(DESTDIR)$(SYSCONFDIR)/berth/berth.ini"; \
	else \
	  sed -e 's|^data_dir = .*|data_dir = $(LOCALSTATEDIR)/lib/berth|' \
	    -e 's|^buildpacks_dir =.*|buildpacks_dir = $(LIBDIR)/buildpacks|' \
	    conf/berth.ini > $(DESTDIR)$(SYSCONFDIR)/berth/berth.ini && \
	  chmod 644 $(DESTDIR)$(SYSCONFDIR)/berth/berth.ini; \
	fi

# The config and the data dir stay: they are the admin's.
uninstall:
	rm -f $(DESTDIR)$(BINDIR)/berth $(DESTDIR)$(MANDIR)/man8/berth.8 \
	  $(DESTDIR)$(UNITDIR)/berth.service
	rm -rf $(DESTDIR)$(LIBDIR)

bench: $(BUILD)/berth
	BERTH=$(abspath $(BUILD)/berth) tests/bench/run

clean:
	rm -rf build build-asan build-fuzz berth berth-shim berth-serve

.PHONY: all berth test test-unit test-asan golden bench clean fuzz fuzz-bins \
	install uninstall
