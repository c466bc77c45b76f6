#!/usr/bin/env python3
"""Writes echo.wat (run from this folder: python3 gen_echo.py > echo.wat).

echo.wat exercises every Component Model value type in both directions
(tests/component/test_echo.c runs it): for each type T it imports
`echo-T: func(x: T) -> T` from the host interface kumi:test/host and exports
`echo-T`, which passes its argument to the host's echo-T and returns what the
host returned (host -> guest lift, guest -> host lower, and back). It also
exports `inner-T`, which passes its argument to an inner component's echo-T
(a component -> component call, through a fused adapter: the two components
have their own memories) and returns that. The forwarders live in a guest
component, a sibling of the inner one: the top component re-exports the
guest's functions (a component may not call into its own child).
"""

# name, WIT-in-wat type, flat params, flat result (None: a pointer to the
# value in memory), and for memory results how an echo stores its flat
# parameters as the value's memory layout: (store instruction, offset) each.
TYPES = [
    ("bool", "bool", ["i32"], "i32", None),
    ("s8", "s8", ["i32"], "i32", None),
    ("u8", "u8", ["i32"], "i32", None),
    ("s16", "s16", ["i32"], "i32", None),
    ("u16", "u16", ["i32"], "i32", None),
    ("s32", "s32", ["i32"], "i32", None),
    ("u32", "u32", ["i32"], "i32", None),
    ("s64", "s64", ["i64"], "i64", None),
    ("u64", "u64", ["i64"], "i64", None),
    ("f32", "f32", ["f32"], "f32", None),
    ("f64", "f64", ["f64"], "f64", None),
    ("char", "char", ["i32"], "i32", None),
    ("enum", '(enum "x" "y" "z")', ["i32"], "i32", None),
    ("flags", '(flags "a" "b" "c")', ["i32"], "i32", None),
    ("string", "string", ["i32", "i32"], None, [("i32.store", 0), ("i32.store", 4)]),
    ("bytes", "(list u8)", ["i32", "i32"], None, [("i32.store", 0), ("i32.store", 4)]),
    ("strings", "(list string)", ["i32", "i32"], None, [("i32.store", 0), ("i32.store", 4)]),
    ("nested", "(list (option (tuple s16 (list char))))", ["i32", "i32"], None, [("i32.store", 0), ("i32.store", 4)]),
    ("record", '(record (field "a" u32) (field "b" string))', ["i32", "i32", "i32"], None,
     [("i32.store", 0), ("i32.store", 4), ("i32.store", 8)]),
    ("tuple", "(tuple u8 f64 string)", ["i32", "f64", "i32", "i32"], None,
     [("i32.store8", 0), ("f64.store", 8), ("i32.store", 16), ("i32.store", 20)]),
    ("variant", '(variant (case "a" u32) (case "b" string) (case "c"))', ["i32", "i32", "i32"], None,
     [("i32.store8", 0), ("i32.store", 4), ("i32.store", 8)]),
    ("option", "(option u32)", ["i32", "i32"], None, [("i32.store8", 0), ("i32.store", 4)]),
    ("result", "(result string (error u32))", ["i32", "i32", "i32"], None,
     [("i32.store8", 0), ("i32.store", 4), ("i32.store", 8)]),
]

REALLOC = '''    (func $realloc (export "realloc") (param i32 i32 i32 i32) (result i32)
      (local $p i32)
      (local.set $p (i32.and (i32.add (global.get $heap) (i32.sub (local.get 2) (i32.const 1)))
                             (i32.sub (i32.const 0) (local.get 2))))
      (global.set $heap (i32.add (local.get $p) (local.get 3)))
      (block $fits
        (br_if $fits (i32.le_u (global.get $heap) (i32.mul (memory.size) (i32.const 65536))))
        (if (i32.eq (memory.grow (i32.add (i32.const 1)
              (i32.shr_u (i32.sub (global.get $heap) (i32.mul (memory.size) (i32.const 65536))) (i32.const 16))))
              (i32.const -1))
          (then unreachable)))
      (local.get $p))'''


def named(t):
    """Records, variants, enums and flags must be named (exported types) where
    a function type uses them in an import or export."""
    return t.startswith(("(record", "(variant", "(enum", "(flags"))


def functype(n, t):
    """The function type of echo-n, with named types referred to as $t-n."""
    ty = f"$t-{n}" if named(t) else t
    return f'(param "x" {ty}) (result {ty})'


def forwarder(out, prefix, imp):
    """A core module whose export PREFIX-T calls the import IMP.echo-T."""
    out.append('  (core module $Fwd' + prefix.capitalize())
    out.append('    (import "mem" "memory" (memory 1))')
    out.append('    (import "mem" "realloc" (func $realloc (param i32 i32 i32 i32) (result i32)))')
    for n, t, p, r, _ in TYPES:
        ps = " ".join(p)
        if r is None:
            out.append(f'    (import "{imp}" "echo-{n}" (func $echo-{n} (param {ps} i32)))')
        else:
            out.append(f'    (import "{imp}" "echo-{n}" (func $echo-{n} (param {ps}) (result {r})))')
    for n, t, p, r, _ in TYPES:
        ps = " ".join(p)
        args = " ".join(f"(local.get {i})" for i in range(len(p)))
        if r is None:
            # the result arrives in a fresh 24-byte area (enough for each type here)
            out.append(f'''    (func (export "{prefix}-{n}") (param {ps}) (result i32)
      (local $area i32)
      (local.set $area (call $realloc (i32.const 0) (i32.const 0) (i32.const 8) (i32.const 24)))
      (call $echo-{n} {args} (local.get $area))
      (local.get $area))''')
        else:
            out.append(f'''    (func (export "{prefix}-{n}") (param {ps}) (result {r})
      (call $echo-{n} {args}))''')
    out.append('  )')


def host_import(out, name, ident, ind):
    """An import NAME of an instance with echo-T for each T (and the named types)."""
    out.append(f'{ind}(import "{name}" (instance {ident}')
    for n, t, _, _, _ in TYPES:
        if named(t):
            out.append(f'{ind}  (type $d-{n} {t})')
            out.append(f'{ind}  (export "t-{n}" (type $t-{n} (eq $d-{n})))')
        out.append(f'{ind}  (export "echo-{n}" (func {functype(n, t)}))')
    out.append(f'{ind}))')


def main():
    out = []
    out.append(';; Generated by gen_echo.py (see there for what it is); do not edit.')
    out.append('(component')
    host_import(out, "kumi:test/host", "$host", "  ")
    for n, t, _, _, _ in TYPES:
        if named(t):
            out.append(f'  (alias export $host "t-{n}" (type $t-{n}))')

    # the inner component: echo-T returns its argument
    out.append('  (component $Inner')
    out.append('    (core module $M')
    out.append('      (memory (export "memory") 1)')
    out.append('      (global $heap (mut i32) (i32.const 1024))')
    out.append("\n".join("  " + l for l in REALLOC.split("\n")))
    for n, t, p, r, layout in TYPES:
        ps = " ".join(p)
        if r is None:
            body = ["        (local $area i32)",
                    "        (local.set $area (call $realloc (i32.const 0) (i32.const 0) (i32.const 8) (i32.const 24)))"]
            for i, (st, off) in enumerate(layout):
                body.append(f"        ({st} offset={off} (local.get $area) (local.get {i}))")
            body.append("        (local.get $area)")
            out.append(f'      (func (export "echo-{n}") (param {ps}) (result i32)')
            out.append("\n".join(body) + ")")
        else:
            out.append(f'      (func (export "echo-{n}") (param {ps}) (result {r}) (local.get 0))')
    out.append('    )')
    out.append('    (core instance $m (instantiate $M))')
    for n, t, _, _, _ in TYPES:
        if named(t):
            out.append(f'    (type $d-{n} {t})')
            out.append(f'    (export $t-{n} "t-{n}" (type $d-{n}))')
    for n, t, _, _, _ in TYPES:
        out.append(f'    (func (export "echo-{n}") {functype(n, t)}')
        out.append(f'      (canon lift (core func $m "echo-{n}") (memory $m "memory") (realloc (func $m "realloc"))))')
    out.append('  )')
    out.append('  (instance $inner (instantiate $Inner))')


    # the guest: a sibling of the inner component (a component may not call
    # a function lifted by its parent or its child: "cannot enter component
    # instance"), importing the host's interface and the inner echo-T
    out.append('  (component $Guest')
    host_import(out, "kumi:test/host", "$host", "    ")
    host_import(out, "inner", "$inner", "    ")
    for n, t, _, _, _ in TYPES:
        if named(t):
            out.append(f'    (alias export $host "t-{n}" (type $t-{n}))')
    # memory for the forwarders
    out.append('    (core module $Mem')
    out.append('      (memory (export "memory") 1)')
    out.append('      (global $heap (mut i32) (i32.const 1024))')
    out.append("\n".join("  " + l for l in REALLOC.split("\n")))
    out.append('    )')
    out.append('    (core instance $mem (instantiate $Mem))')
    # lowered host imports and inner exports
    for n, _, _, _, _ in TYPES:
        out.append(f'    (core func $host-{n} (canon lower (func $host "echo-{n}") (memory $mem "memory") (realloc (func $mem "realloc"))))')
        out.append(f'    (core func $inner-{n} (canon lower (func $inner "echo-{n}") (memory $mem "memory") (realloc (func $mem "realloc"))))')
    sub = []
    forwarder(sub, "echo", "host")
    forwarder(sub, "inner", "inner")
    out.extend("  " + l for l in sub)
    out.append('    (core instance $fwd-echo (instantiate $FwdEcho (with "mem" (instance $mem)) (with "host" (instance')
    for n, _, _, _, _ in TYPES:
        out.append(f'      (export "echo-{n}" (func $host-{n}))')
    out.append('    ))))')
    out.append('    (core instance $fwd-inner (instantiate $FwdInner (with "mem" (instance $mem)) (with "inner" (instance')
    for n, _, _, _, _ in TYPES:
        out.append(f'      (export "echo-{n}" (func $inner-{n}))')
    out.append('    ))))')
    for prefix, inst in (("echo", "$fwd-echo"), ("inner", "$fwd-inner")):
        for n, t, _, _, _ in TYPES:
            out.append(f'    (func (export "{prefix}-{n}") {functype(n, t)}')
            out.append(f'      (canon lift (core func {inst} "{prefix}-{n}") (memory $mem "memory") (realloc (func $mem "realloc"))))')
    out.append('  )')
    out.append('  (instance $guest (instantiate $Guest (with "kumi:test/host" (instance $host)) (with "inner" (instance $inner))))')
    for prefix in ("echo", "inner"):
        for n, t, _, _, _ in TYPES:
            # ascribed with the top component's (imported, so named) types
            out.append(f'  (export "{prefix}-{n}" (func $guest "{prefix}-{n}") (func {functype(n, t)}))')
    out.append(')')
    print("\n".join(out))


main()
