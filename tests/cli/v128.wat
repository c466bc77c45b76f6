;; `kumi run --invoke` with v128 parameters and results (CMakeLists.txt).
(module
  (func (export "add") (param v128 v128) (result v128)
    (i32x4.add (local.get 0) (local.get 1)))
  (func (export "id") (param v128) (result v128)
    (local.get 0))
  ;; Scalars around a v128: the lanes must not eat the arguments after them.
  (func (export "mix") (param i32 v128 i32) (result v128 i32)
    (i16x8.add (local.get 1) (i16x8.splat (local.get 0)))
    (local.get 2))
  (func (export "fsum") (param v128 v128) (result v128)
    (f64x2.add (local.get 0) (local.get 1)))
  (func (export "const") (result v128)
    (v128.const i8x16 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 -1)))
