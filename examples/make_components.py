#!/usr/bin/env python3
"""Writes the small hand-made component binaries of examples/ (there is no
component text format in kumi yet). Run from examples/: python3 make_components.py

  interfaces.wasm     exports `answer: func() -> u32` (returns 42) in the
                      interface kumi:demo/math@1.0.0, and `answer` and
                      `the-answer` in kumi:demo/other@1.0.0
  needs-imports.wasm  imports the instance wasi:cli/environment@0.2.0 and the
                      function `log`, exports nothing
  command.wasm        exports an (empty) instance named wasi:cli/run@0.2.0
"""


def leb(n):
    out = b''
    while True:
        b, n = n & 0x7f, n >> 7
        if not n:
            return out + bytes([b])
        out += bytes([b | 0x80])


def sec(ident, body):
    return bytes([ident]) + leb(len(body)) + body


def name(s):
    s = s.encode()
    return leb(len(s)) + s


PREAMBLE = b'\x00asm\x0d\x00\x01\x00'  # component, version 0x0d, layer 1
# (module (func (export "f") (result i32) i32.const 42))
CORE = bytes.fromhex('0061736d01000000010501600001 7f030201000705010166 0000 0a06010400412a0b')

interfaces = PREAMBLE + b''.join([
    sec(1, CORE),                                         # core module 0
    sec(2, b'\x01' + b'\x00\x00\x00'),                    # core instance 0 = instantiate module 0
    sec(6, b'\x01' + b'\x00\x00\x01\x00' + name('f')),    # core func 0 = alias core export 0 "f"
    sec(7, b'\x01' + b'\x40\x00\x00\x79'),                # type 0 = func() -> u32
    sec(8, b'\x01' + b'\x00\x00\x00\x00\x00'),            # func 0 = canon lift core func 0, type 0
    sec(5, b'\x02'                                        # instance 0 = {answer}, 1 = {answer, the-answer}
        + b'\x01\x01' + b'\x00' + name('answer') + b'\x01\x00'
        + b'\x01\x02' + b'\x00' + name('answer') + b'\x01\x00' + b'\x00' + name('the-answer') + b'\x01\x00'),
    sec(11, b'\x02'
        + b'\x00' + name('kumi:demo/math@1.0.0') + b'\x05\x00\x00'
        + b'\x00' + name('kumi:demo/other@1.0.0') + b'\x05\x01\x00'),
])

needs_imports = PREAMBLE + b''.join([
    sec(7, b'\x02' + b'\x40\x00\x01\x00' + b'\x42\x00'),  # type 0 = func(), 1 = instance {}
    sec(10, b'\x02'
        + b'\x00' + name('wasi:cli/environment@0.2.0') + b'\x05\x01'
        + b'\x00' + name('log') + b'\x01\x00'),
])

command = PREAMBLE + b''.join([
    sec(5, b'\x01' + b'\x01\x00'),                        # instance 0 = {} (inline exports)
    sec(11, b'\x01' + b'\x00' + name('wasi:cli/run@0.2.0') + b'\x05\x00\x00'),
])

for file, data in [('interfaces.wasm', interfaces), ('needs-imports.wasm', needs_imports),
                   ('command.wasm', command)]:
    with open(file, 'wb') as f:
        f.write(data)
