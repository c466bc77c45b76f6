# Cuts module texts out of .wast scripts, as seeds for fuzz_wat: every
# `(module ...)` at the top level or directly inside a command such as
# assert_invalid, up to `max` (default 4) per script, each written to
# `dir`/<script>.<n>.wat. It skips strings and comments while counting
# parentheses; an odd script just yields an odd seed.
#   awk -v dir=DIR [-v max=N] -f wast_modules.awk a.wast b.wast ...
FNR == 1 {
  depth = 0; cap = 0; n = 0; instr = 0; blk = 0
  name = FILENAME; sub(/.*\//, "", name); sub(/\.wast$/, "", name)
  if (max == "") max = 4
}
{
  line = $0
  len = length(line)
  for (i = 1; i <= len; i++) {
    c = substr(line, i, 1)
    if (instr) {
      if (c == "\\") { if (cap) buf = buf c substr(line, i + 1, 1); i++; continue }
      if (c == "\"") instr = 0
    } else if (blk) {
      if (c == ";" && substr(line, i + 1, 1) == ")") { blk--; if (cap) buf = buf ";"; i++; c = ")" }
      else if (c == "(" && substr(line, i + 1, 1) == ";") { blk++; if (cap) buf = buf "("; i++; c = ";" }
    } else if (c == ";" && substr(line, i + 1, 1) == ";") {
      if (cap) buf = buf substr(line, i)
      break
    } else if (c == "(" && substr(line, i + 1, 1) == ";") {
      blk = 1; if (cap) buf = buf "("; i++; c = ";"
    } else if (c == "\"") {
      instr = 1
    } else if (c == "(") {
      if (!cap && depth <= 1 && substr(line, i, 7) == "(module" && substr(line, i + 7, 1) !~ /[a-z_]/) {
        cap = 1; start = depth; buf = ""
      }
      depth++
    } else if (c == ")") {
      depth--
      if (cap && depth == start) {
        print buf ")" > (dir "/" name "." n ".wat")
        close(dir "/" name "." n ".wat")
        cap = 0; n++
        if (n >= max) { nextfile }
        continue
      }
    }
    if (cap) buf = buf c
  }
  if (cap) buf = buf "\n"
}
