# xfrmctl — see README.md.  make [V=1] [SAN=1] [PREFIX=…] [DESTDIR=…]
VERSION := 0.1.0
PREFIX ?= /usr/local
SBINDIR ?= $(PREFIX)/sbin
MANDIR ?= $(PREFIX)/share/man
DATADIR ?= $(PREFIX)/share/xfrmctl
LIBDIR ?= $(PREFIX)/lib/xfrmctl
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions

CC ?= cc
PKG_CONFIG ?= pkg-config
# The binary links only MAIN_PKGS; verify's libraries and trace live's
# ncurses are its plugins' (below), so that state, policy and monitor start
# without loading them (and verify loads libpcap only when it needs it).
# The unit tests link everything.
MAIN_PKGS := libnl-3.0 libnl-xfrm-3.0
VERIFY_PKGS := libcrypto libpcap
TUI_PKGS := ncursesw
PKGS := $(MAIN_PKGS) $(VERIFY_PKGS) $(TUI_PKGS) json-c
CFLAGS ?= -O2 -g
CFLAGS += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
	-Wmissing-prototypes -Wformat=2 -Wno-format-nonliteral -fno-strict-aliasing \
	-Ilib $(shell $(PKG_CONFIG) --cflags $(PKGS)) -DXFRMCTL_VERSION='"$(VERSION)"' \
	-DXFRMCTL_DATADIR='"$(DATADIR)"' -DXFRMCTL_LIBDIR='"$(LIBDIR)"' -MMD -MP
LDLIBS += $(shell $(PKG_CONFIG) --libs $(PKGS))
MAIN_LIBS := $(shell $(PKG_CONFIG) --libs $(MAIN_PKGS)) -ldl

# make check builds with ASan/UBSan unless SAN is given (SAN=0: plain build),
# so the README's test command and CI's are the same.
ifeq ($(origin SAN),undefined)
ifneq ($(filter check,$(MAKECMDGOALS)),)
SAN := 1
endif
endif

ifeq ($(SAN),1)
BUILD := build/san
CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS += -fsanitize=address,undefined
else
BUILD := build/rel
endif

ifeq ($(V),1)
Q :=
msg = @true
else
Q := @
msg = @printf '  %-6s %s\n' $(1) $(2)
endif

LIB_SRC := $(wildcard lib/*.c)
CLI_SRC := $(wildcard cli/*.c)
UNIT_SRC := $(wildcard tests/unit/*_test.c)
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o)
CLI_OBJ := $(CLI_SRC:%.c=$(BUILD)/%.o)
UNIT_BIN := $(UNIT_SRC:%.c=$(BUILD)/%)
BIN := $(BUILD)/xfrmctl

# The plugins (cli/plugin.h): plugins/NAME.so beside the binary, installed in
# LIBDIR. Their objects are built to be linked into a shared object, and
# export nothing but their table.
VERIFY_OBJ := $(addprefix $(BUILD)/,cli/verify.o lib/esp.o lib/capture.o)
TUI_OBJ := $(BUILD)/cli/trace_tui.o
PLUGIN_OBJ := $(VERIFY_OBJ) $(TUI_OBJ)
PLUGINS := $(BUILD)/plugins/verify.so $(BUILD)/plugins/trace-tui.so
MAIN_OBJ := $(filter-out $(PLUGIN_OBJ),$(CLI_OBJ) $(LIB_OBJ))

.PHONY: all check unit fuzz bench demo install uninstall clean kmod
# (the unit tests' objects are kept; no target is secondary, so that a
# deleted plugin is remade)
.SECONDARY: $(UNIT_BIN:=.o)
all: xfrmctl

xfrmctl: $(BIN)
	$(Q)ln -sf $(BIN) $@

# The binary exports (for its plugins) exactly what they call of it, and
# brings them along (make build/rel/xfrmctl alone too).
$(BIN): $(MAIN_OBJ) $(BUILD)/plugins.dyn | $(PLUGINS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) -Wl,--dynamic-list=$(BUILD)/plugins.dyn -o $@ $(MAIN_OBJ) $(MAIN_LIBS)

$(BUILD)/plugins.dyn: $(PLUGIN_OBJ) $(MAIN_OBJ)
	$(call msg,GEN,$@)
	$(Q)nm -u $(PLUGIN_OBJ) | awk 'NF == 2 { print $$2 }' | sort -u >$@.want
	$(Q)nm -g --defined-only $(MAIN_OBJ) | awk 'NF == 3 { print $$3 }' | sort -u >$@.have
	$(Q){ echo '{'; comm -12 $@.want $@.have | sed 's/.*/\t&;/'; echo '};'; } >$@
	$(Q)rm -f $@.want $@.have

# (libpcap is not linked: lib/capture.c loads it when needed, by the soname
# of the one found here)
PCAP_SONAME := $(shell objdump -p $$($(PKG_CONFIG) --variable=libdir libpcap)/libpcap.so 2>/dev/null | \
	awk '$$1 == "SONAME" { print $$2 }')
ifeq ($(PCAP_SONAME),)
PCAP_SONAME := libpcap.so.0.8
$(warning libpcap's soname not found (pkg-config, libpcap-dev, objdump?): $(PCAP_SONAME), Debian's, assumed)
endif
$(BUILD)/lib/capture.o: CFLAGS += -DXC_PCAP_SONAME='"$(PCAP_SONAME)"'

$(BUILD)/plugins/verify.so: $(VERIFY_OBJ)
	@mkdir -p $(dir $@)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) -shared -o $@ $^ $(shell $(PKG_CONFIG) --libs libcrypto)

$(BUILD)/plugins/trace-tui.so: $(TUI_OBJ)
	@mkdir -p $(dir $@)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) -shared -o $@ $^ $(shell $(PKG_CONFIG) --libs $(TUI_PKGS))

# (rebuilt when the Makefile changes: their flags are its)
$(PLUGIN_OBJ): CFLAGS += -fPIC -fvisibility=hidden
$(PLUGIN_OBJ): Makefile

$(BUILD)/libxfrmctl.a: $(LIB_OBJ)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

# DATADIR and LIBDIR are compiled in (where trace live finds the installed
# scripts, where the plugins are): what uses them is rebuilt when they
# change, e.g. by make install PREFIX=/usr.
DATADIR_STAMP := $(BUILD)/.datadir
$(shell mkdir -p $(BUILD) && { [ "$$(cat $(DATADIR_STAMP) 2>/dev/null)" = "$(DATADIR) $(LIBDIR)" ] || \
	echo "$(DATADIR) $(LIBDIR)" >$(DATADIR_STAMP); })
$(BUILD)/cli/trace.o $(BUILD)/cli/plugin.o: $(DATADIR_STAMP)

# The plugins share the binary's structs and functions: both compile in
# XFRMCTL_ABI, an id of this build (a hash of the headers they share, the
# version, the build directory: rel or san), and the binary refuses a plugin
# of another id (cli/plugin.c). What compiles it in is rebuilt when it
# changes, as with DATADIR.
ABI_STAMP := $(BUILD)/.abi
ABI := $(shell { cat $(sort $(wildcard cli/*.h lib/*.h)); echo "$(VERSION) $(BUILD)"; } | \
	sha256sum | cut -c1-16)
$(shell [ "$$(cat $(ABI_STAMP) 2>/dev/null)" = "$(ABI)" ] || echo "$(ABI)" >$(ABI_STAMP))
ABI_OBJ := $(addprefix $(BUILD)/cli/,plugin.o verify.o trace_tui.o)
$(ABI_OBJ): CFLAGS += -DXFRMCTL_ABI='"$(ABI)"'
$(ABI_OBJ): $(ABI_STAMP)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(call msg,CC,$<)
	$(Q)$(CC) $(CFLAGS) -c -o $@ $<

# Unit tests may test the print layer of cli/ too.
$(BUILD)/tests/unit/%_test: $(BUILD)/tests/unit/%_test.o $(BUILD)/cli/print.o $(BUILD)/libxfrmctl.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(shell $(PKG_CONFIG) --libs cmocka)

unit: $(UNIT_BIN)

# tests/kmod: the test NIC (receive crypto offload), for each kernel whose
# headers are installed; the guest loads it (build/kmod/KVER/xfrmnic.ko).
KMOD_KVERS := $(patsubst /lib/modules/%/build,%,$(wildcard /lib/modules/*/build))
kmod:
	$(Q)for k in $(KMOD_KVERS); do $(MAKE) -s -C tests/kmod KVER=$$k || exit 1; done

# Unit tests on the host, then the VM suite; one summary line at the end.
check: $(BIN) $(PLUGINS) $(UNIT_BIN) kmod
	$(Q)XFRMCTL_BIN=$(abspath $(BIN)) XFRMCTL_UNIT_DIR=$(abspath $(BUILD)/tests/unit) \
		tests/check $(CHECK_ARGS)

# The libFuzzer targets (clang, into build/fuzz/), FUZZ_SECONDS each.
FUZZ_SECONDS ?= 20
fuzz:
	$(Q)tests/fuzz/run $(FUZZ_SECONDS)

# Benchmarks in the test guest, every ratio measured in the same run
# (tests/bench/). Sizes: XFRMCTL_BENCH_INSTALL, XFRMCTL_BENCH_LIST.
$(BUILD)/dumpfloor: tests/bench/dumpfloor.c
	$(call msg,CC,$<)
	$(Q)$(CC) -O2 -Wall -Wextra -Werror -o $@ $<

# verify is pure userspace: measured on the host, beside openssl and tshark.
# state and trace need the kernel: measured in the guest.
bench: $(BIN) $(PLUGINS) $(BUILD)/dumpfloor
	$(Q)XFRMCTL_BIN=$(abspath $(BIN)) bash tests/bench/verify.sh
	$(Q)XFRMCTL_BIN=$(abspath $(BIN)) XFRMCTL_DUMPFLOOR=$(abspath $(BUILD)/dumpfloor) \
		tests/vm/run -a nohz_full=1 -m 2G -t 3600 -- bash tests/bench/state.sh
	$(Q)XFRMCTL_BIN=$(abspath $(BIN)) tests/vm/run -m 1G -t 1800 -- bash tests/bench/trace.sh

# Boot the test guest and show xfrmctl at work against the real kernel.
demo: $(BIN) $(PLUGINS) kmod
	$(Q)XFRMCTL_BIN=$(abspath $(BIN)) tests/vm/run -t 300 -- bash tests/demo.sh

install: $(BIN) $(PLUGINS)
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(LIBDIR)
	install -m 0755 $(BIN) $(DESTDIR)$(SBINDIR)/xfrmctl
	install -m 0644 $(PLUGINS) $(DESTDIR)$(LIBDIR)/
	install -m 0644 man/*.8 $(DESTDIR)$(MANDIR)/man8/
	install -m 0644 cli/completion/xfrmctl.bash $(DESTDIR)$(BASHCOMPDIR)/xfrmctl
	install -d $(DESTDIR)$(DATADIR)
	install -m 0644 trace/*.bt $(DESTDIR)$(DATADIR)/

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/xfrmctl $(addprefix $(DESTDIR)$(MANDIR)/man8/,$(notdir $(wildcard man/*.8))) \
		$(DESTDIR)$(BASHCOMPDIR)/xfrmctl
	rm -f $(addprefix $(DESTDIR)$(DATADIR)/,$(notdir $(wildcard trace/*.bt)))
	-rmdir $(DESTDIR)$(DATADIR)
	rm -f $(addprefix $(DESTDIR)$(LIBDIR)/,$(notdir $(PLUGINS)))
	-rmdir $(DESTDIR)$(LIBDIR)

clean:
	rm -rf build/rel build/san build/fuzz build/bench xfrmctl

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(UNIT_BIN:=.d)
