# Builds the libFuzzer targets; run by scripts/fuzz.sh, which passes
#   OUT     the build folder (build-fuzz)
#   CC      clang
#   CFLAGS  the common flags (sanitizers, includes); $(OUT)/flags holds the
#           same text and is rewritten only when it changes, so a change of
#           compiler or flags rebuilds everything and nothing else does.
# Each library folder src/<dir> is compiled once, file by file, with
# -fsanitize=fuzzer-no-link into $(OUT)/obj/<dir>/ and archived as
# $(OUT)/lib<dir>.a; every target links only the archives it needs (so a
# half-written file in one folder does not stop the other targets), and
# -MMD dependency files make a re-run recompile only what changed.
OUT ?= build-fuzz
CC ?= clang
CFLAGS ?=
LIBDIRS := base core text wit component

# clang with UBSan needs minutes at -O1 for interp.c's single threaded-code
# function (run()); at -O0 it takes seconds and is checked the same way.
# The fuzzed code runs no loops (see fuzz_exec.c), so its speed hardly
# matters here.
CFLAGS_src/core/interp.c := -O0

# Archives each target links (as a group, so in any order).
LIBS_fuzz_module := core base
LIBS_fuzz_instantiate := core base
LIBS_fuzz_oom := core base
LIBS_fuzz_component := component core base
LIBS_fuzz_wat := text core base
LIBS_fuzz_wit := wit base
LIBS_fuzz_comp_run := component core base
# Harness code shared by several targets.
EXTRA_fuzz_instantiate := $(OUT)/obj/fuzz/fuzz_exec.o
EXTRA_fuzz_oom := $(OUT)/obj/fuzz/fuzz_exec.o

TARGETS := fuzz_module fuzz_instantiate fuzz_oom fuzz_component fuzz_wat fuzz_wit fuzz_comp_run

.PHONY: all
all: $(addprefix $(OUT)/,$(TARGETS))

# The folder is a prerequisite too: its time changes when a file comes or
# goes, and the archive must then lose or gain that object.
define libdir
$(OUT)/lib$(1).a: $(patsubst src/$(1)/%.c,$(OUT)/obj/$(1)/%.o,$(wildcard src/$(1)/*.c)) src/$(1)
	@rm -f $$@
	@ar rcs $$@ $$(filter %.o,$$^)
endef
$(foreach d,$(LIBDIRS),$(eval $(call libdir,$(d))))

$(OUT)/obj/%.o: src/%.c $(OUT)/flags
	@mkdir -p $(@D)
	@echo "  CC $<"
	@$(CC) $(CFLAGS) $(CFLAGS_$<) -fsanitize=fuzzer-no-link -MMD -MP -c $< -o $@

$(OUT)/obj/fuzz/%.o: tests/fuzz/%.c $(OUT)/flags
	@mkdir -p $(@D)
	@echo "  CC $<"
	@$(CC) $(CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c $< -o $@

# Keep every object (fuzz_exec.o is otherwise an intermediate make deletes).
.SECONDARY:

# The target's own file is compiled and linked with -fsanitize=fuzzer,
# which supplies libFuzzer's main.
.SECONDEXPANSION:
$(OUT)/fuzz_%: tests/fuzz/fuzz_%.c $$(EXTRA_fuzz_$$*) $$(addprefix $(OUT)/lib,$$(addsuffix .a,$$(LIBS_fuzz_$$*))) $(OUT)/flags
	@echo "  LD $@"
	@$(CC) $(CFLAGS) -fsanitize=fuzzer -MMD -MP -MF $@.d -MT $@ $< $(EXTRA_fuzz_$*) \
	  -Wl,--start-group $(patsubst %,$(OUT)/lib%.a,$(LIBS_fuzz_$*)) -Wl,--end-group -lm -luv -o $@

-include $(shell find $(OUT)/obj -name '*.d' 2>/dev/null) $(wildcard $(OUT)/fuzz_*.d)
