#!/bin/sh
# A simulated-world trainer for the `--trainer-command` protocol tests (POSIX sh + awk, no Python): the law of
# Docs/examples/simulated_trainer.py with the world's parameters on the command line,
#   sh world_trainer.sh NOISE "d1 d2 ..." "E1 E2 ..." "A1 A2 ..." "alpha1 alpha2 ..." "T11 T12 ... T1m T21 ..."
#   L_j = (E_j + A_j * max(sum_i T_ji N_i / 1e6, 1e-6)^(-alpha_j)) * (1 + NOISE * z_j)   (at least one token)
# (T row-major, row j = validation domain j). z_j is a standard normal fixed by (seed, id, domain) through a
# Park-Miller hash of "<seed>/<id>/<domain>" and Box-Muller: NOT the Python script's draws (that one needs 64-bit
# integers), but the same for every rerun, so a rerun gives identical losses. WORLD_LOG=<file> appends each run id.
spec=$(cat)
printf '%s\n' "$spec" | awk -v noise="$1" -v dnames="$2" -v es="$3" -v as="$4" -v als="$5" -v ts="$6" \
  -v logfile="${WORLD_LOG:-}" '
function hash(s,   h, i) {
  h = 17
  for (i = 1; i <= length(s); i++) h = (h * 31 + ord[substr(s, i, 1)]) % 2147483647
  return h
}
{
  for (i = 32; i < 127; i++) ord[sprintf("%c", i)] = i
  id = $0; sub(/.*"id": *"/, "", id); sub(/".*/, "", id)
  seed = $0; sub(/.*"seed": */, "", seed); sub(/[^0-9].*/, "", seed)
  t = $0; sub(/.*"tokens": *\{/, "", t); sub(/\}.*/, "", t)
  n = split(t, pairs, ",")
  for (i = 1; i <= n; i++) {
    split(pairs[i], kv, ":"); name = kv[1]; gsub(/[" ]/, "", name); tok[name] = kv[2] + 0
  }
  m = split(dnames, d, " "); split(es, E, " "); split(as, A, " "); split(als, al, " "); split(ts, T, " ")
  if (logfile != "") print id >> logfile
  line = "{\"losses\": {"
  for (j = 1; j <= m; j++) {
    eff = 0
    for (i = 1; i <= m; i++) eff += T[(j - 1) * m + i] * tok[d[i]] / 1e6
    if (eff < 1e-6) eff = 1e-6
    loss = E[j] + A[j] * exp(-al[j] * log(eff))
    if (noise > 0) {
      h1 = hash(seed "/" id "/" d[j]); if (h1 == 0) h1 = 1
      h2 = (h1 * 48271) % 2147483647
      u1 = h1 / 2147483647; u2 = h2 / 2147483647
      loss *= 1 + noise * sqrt(-2 * log(u1)) * cos(6.283185307179586 * u2)
    }
    line = line (j > 1 ? ", " : "") "\"" d[j] "\": " sprintf("%.17g", loss)
  }
  print line "}}"
}'
