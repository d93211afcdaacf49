; rtstep bad-input corpus: comments and blank lines only.

(nothing to do)
   ; still nothing

