; rtstep bad-input corpus: comments of every kind, UTF-8 and Latin-1 text in them, blank lines.

(Schicht 1 — Höhe 0,3 mm)
; caf� in Latin-1
G28 ; ✓ ok
   
G90 ; ✓ ok
   
M83 ; ✓ ok
   
G1 Z2 F600 ; ✓ ok
   
G1 (x:) X100 Y100 F9000 ; ✓ ok
   
G1 Z0.3 F600 ; ✓ ok
   
G1 (x:) X140 Y100 E1.33 F4800 ; ✓ ok
   
G1 (x:) X140 Y140 E1.33 ; ✓ ok
   
G3 (x:) X120 Y160 I-20 J0 E1.04 ; ✓ ok
   
G1 (x:) X100 Y140 E1.04 ; ✓ ok
   
G1 (x:) X100 Y100 E1.33 ; ✓ ok
   
G1 E-0.8 F2100 ; ✓ ok
   
G1 Z3 F600 ; ✓ ok
   
G1 (x:) X20 Y20 F9000 ; ✓ ok
   
M400 ; ✓ ok
   
