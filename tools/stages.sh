#!/bin/sh
# Runs each make target named (a stage of make test), every one whatever became of those
# before it, then prints one line per stage and a total; exits 1 when any stage failed.
failed=0
summary=""
for stage in "$@"; do
	start=$(date +%s)
	if make --no-print-directory "$stage"; then
		result=ok
	else
		result=FAILED
		failed=$((failed + 1))
	fi
	summary="$summary$(printf 'stage %-13s %-6s %5ss' "$stage" "$result" $(($(date +%s) - start)))
"
done
echo "== make test: one line per stage"
printf '%s' "$summary"
echo "stages: $(($# - failed)) passed, $failed failed"
[ "$failed" -eq 0 ]
