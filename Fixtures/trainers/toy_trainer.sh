#!/bin/sh
# A toy external trainer for the `--trainer-command` protocol tests (POSIX sh + awk, no Python).
# Reads the run spec {"id": ..., "out": ..., "seed": S, "tokens": {"d": n, ...}} on stdin and prints
# {"losses": {...}} as its last stdout line, with a known law and cross-domain transfer:
#   L_d = 1 + 4 * (N_d + 0.25 * sum_{e != d} N_e) ^ (-0.3)
# TOY_FAIL=<id>:<mode> makes run <id> fail: exit (status 3), nojson, missing (drops the first domain),
# nan, negative. TOY_LOG=<file> appends each run id to <file> (to count trainings).
spec=$(cat)
echo "toy trainer: one run" >&2
printf '%s\n' "$spec" | awk -v fail="${TOY_FAIL:-}" -v logfile="${TOY_LOG:-}" '
{
  id = $0; sub(/.*"id": *"/, "", id); sub(/".*/, "", id)
  out = $0; sub(/.*"out": *"/, "", out); sub(/".*/, "", out)
  t = $0; sub(/.*"tokens": *\{/, "", t); sub(/\}.*/, "", t)
  n = split(t, pairs, ",")
  total = 0
  for (i = 1; i <= n; i++) {
    split(pairs[i], kv, ":"); name = kv[1]; gsub(/[" ]/, "", name)
    names[i] = name; tok[i] = kv[2] + 0; total += tok[i]
  }
  if (logfile != "") print id >> logfile
  split(fail, f, ":")
  mode = (f[1] == id) ? f[2] : ""
  if (mode == "exit") { print "toy trainer: failing on purpose" > "/dev/stderr"; exit 3 }
  if (mode == "nojson") { print "done"; exit 0 }
  print "training " id " in " out
  line = "{\"losses\": {"
  first = 1
  for (i = 1; i <= n; i++) {
    if (mode == "missing" && i == 1) continue
    eff = tok[i] + 0.25 * (total - tok[i])
    loss = 1 + 4 * exp(-0.3 * log(eff))
    if (mode == "negative" && i == 1) loss = -loss
    value = sprintf("%.17g", loss)
    if (mode == "nan" && i == 1) value = "1e999"
    line = line (first ? "" : ", ") "\"" names[i] "\": " value
    first = 0
  }
  print line "}}"
}'
