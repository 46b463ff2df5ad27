# Shared by bench/vc, bench/status and bench/http (sourced, not run).
# Sets: here, root, bin (the oorkonde binary), build (its Meson build folder), out, repeat, stamp.

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
bin=${OORKONDE_BIN:-$root/build-release/src/cli/oorkonde}
repeat=${BENCH_REPEAT:-3}
out=${BENCH_OUT:-$root/bench/out}
stamp=$(date -u +%Y%m%dT%H%M%SZ)

die() {
	echo "bench: $*" >&2
	exit 2
}

[[ -x $bin ]] || die "no oorkonde binary at $bin (run \`make bench\`, or set OORKONDE_BIN)"
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
[[ $repeat =~ ^[1-9][0-9]*$ ]] || die "BENCH_REPEAT must be a positive number"
build=${OORKONDE_BUILD:-$(cd "$(dirname "$bin")/../.." && pwd)}
[[ -f $build/build.ninja ]] || die "no Meson build at $build (set OORKONDE_BUILD)"
mkdir -p "$out"

# build_bench TARGET...: builds bench programs of the release build (not built by default).
build_bench() {
	local t args=()
	for t in "$@"; do
		args+=("bench/$t")
	done
	ninja -C "$build" "${args[@]}" >/dev/null || die "cannot build ${args[*]}"
}

# demo_folder DIR: a fresh data folder (did:key issuer: init without --host) with the demo data.
demo_folder() {
	rm -rf "$1"
	"$bin" --data "$1" init >/dev/null
	"$bin" --data "$1" demo --learners "${BENCH_LEARNERS:-300}" >/dev/null
}

# diploma_of DIR: the id of a diploma or degree (a typical diploma credential's achievement).
diploma_of() {
	sqlite3 "$1/oorkonde.db" "SELECT id FROM achievement WHERE kind IN ('degree', 'diploma')
		AND status = 'active' ORDER BY id LIMIT 1 OFFSET ${2:-0};"
}

# median_of FILE KEYCOL KEY VALCOL: the median of column VALCOL over the rows whose KEYCOL is KEY.
median_of() {
	awk -F'\t' -v kc="$2" -v k="$3" -v vc="$4" '$kc == k { print $vc }' "$1" | sort -g |
		awk '{ v[NR] = $1 } END { if (!NR) print "nan"; else if (NR % 2) print v[(NR + 1) / 2];
			else printf "%.6g\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# calc EXPR: floating point arithmetic (awk), e.g. calc "1 / 3" -> 0.333333
calc() {
	awk "BEGIN { printf \"%.6g\n\", $1 }"
}

# fmt N [DECIMALS]: 12345.6 -> 12,346 (thousands grouped)
fmt() {
	awk -v n="$1" -v d="${2:-0}" 'BEGIN { s = sprintf("%." d "f", n); i = index(s, ".")
		head = i ? substr(s, 1, i - 1) : s; tail = i ? substr(s, i) : ""
		while (head ~ /[0-9][0-9][0-9][0-9]/) sub(/[0-9][0-9][0-9]($|,)/, ",&", head)
		print head tail }'
}

# verdict OK: PASS or FAIL (OK is an awk condition, e.g. "0.85 >= 0.8")
verdict() {
	if awk "BEGIN { exit !($1) }"; then echo PASS; else echo FAIL; fi
}

loadavg() {
	cut -d' ' -f1-3 /proc/loadavg
}

# build_type: the Meson build type of $build (release, debugoptimized, ...).
build_type() {
	python3 -c 'import json, sys
print(next(o["value"] for o in json.load(open(sys.argv[1])) if o["name"] == "buildtype"))' \
		"$build/meson-info/intro-buildoptions.json" 2>/dev/null || echo "unknown"
}

# machine_line: what the report says about the binary and the machine.
machine_line() {
	local cpu commit
	cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
	commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
	if [[ -n $(git -C "$root" status --porcelain -- src meson.build 2>/dev/null) ]]; then
		commit="$commit, with uncommitted changes in src/"
	fi
	echo "oorkonde $("$bin" --version | head -n 1 | awk '{ print $NF }') (commit $commit)," \
		"$(build_type) build; $(nproc) cores ($cpu), $(free -g | awk '/^Mem:/ { print $2 }') GiB RAM;" \
		"libsodium $(pkg-config --modversion libsodium 2>/dev/null || echo '?')"
}

# finish PART REPORT: keeps the report as bench/out/PART-latest.md and prints it; with
# BENCH_STRICT=1, exits 1 when a target was missed.
finish() {
	cp "$2" "$out/$1-latest.md"
	cat "$2"
	if [[ ${BENCH_STRICT:-0} == 1 ]] && grep -q '^- \*\*FAIL' "$2"; then
		exit 1
	fi
	exit 0
}
