#!/usr/bin/env bash
# Installs the built Spool: spoolctl and spool-trainer (with the resources it reads beside it), shell completion
# for bash, zsh and fish, man pages, and the systemd unit of the daemon.
#   scripts/install.sh [--prefix /usr/local] [--build-dir DIR]
# Without --build-dir it builds the release (swift build -c release) first. Files go to
#   PREFIX/bin/spoolctl, PREFIX/bin/spool-trainer, PREFIX/bin/spool_*.resources/
#   PREFIX/share/bash-completion/completions/spoolctl, PREFIX/share/zsh/site-functions/_spoolctl,
#   PREFIX/share/fish/vendor_completions.d/spoolctl.fish
#   PREFIX/share/man/man1/spoolctl.1, PREFIX/share/man/man1/spool-trainer.1
#   PREFIX/lib/systemd/system/spool.service (ExecStart at PREFIX/bin/spoolctl)
# The completion scripts and man pages come from the commands' own help (ArgumentParser's
# --generate-completion-script, and its generate-manual tool on --experimental-dump-help).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
prefix=/usr/local
build_dir=

usage() { sed -n '2,4p' "$0" | sed 's/^# \{0,1\}//'; }
while [[ $# -gt 0 ]]; do
  case "$1" in
    --prefix) [[ $# -ge 2 ]] || { echo "install.sh: --prefix needs a folder" >&2; exit 64; }; prefix=$2; shift 2 ;;
    --prefix=*) prefix=${1#--prefix=}; shift ;;
    --build-dir) [[ $# -ge 2 ]] || { echo "install.sh: --build-dir needs a folder" >&2; exit 64; }; build_dir=$2; shift 2 ;;
    --build-dir=*) build_dir=${1#--build-dir=}; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "install.sh: unknown argument '$1'" >&2; usage >&2; exit 64 ;;
  esac
done

cd "$root"
if [[ -z "$build_dir" ]]; then
  swift build -c release
  build_dir=$(swift build -c release --show-bin-path)
fi
build_dir=$(cd "$build_dir" && pwd)
for tool in spoolctl spool-trainer; do
  [[ -x "$build_dir/$tool" ]] || { echo "install.sh: no $tool in $build_dir; build first (swift build -c release)" >&2; exit 1; }
done
mkdir -p "$prefix"
prefix=$(cd "$prefix" && pwd)

# Binaries. spoolctl runs spool-trainer from its own folder (SpoolArguments/TrainerProcess.swift), and
# spool-trainer reads its SwiftPM resource bundles (the scoring package's files) from its own folder too.
bin="$prefix/bin"
install -d "$bin"
install -m 0755 "$build_dir/spoolctl" "$build_dir/spool-trainer" "$bin/"
for bundle in "$build_dir"/*.resources; do
  [[ -d "$bundle" && "$bundle" != *Tests.resources ]] || continue  # a debug build holds the tests' bundles too
  rm -rf "${bin:?}/$(basename "$bundle")"
  cp -R "$bundle" "$bin/"
  chmod -R u=rwX,go=rX "$bin/$(basename "$bundle")"
done
echo "installed $bin/spoolctl and $bin/spool-trainer"

# Shell completion, from the installed spoolctl.
share="$prefix/share"
install -d "$share/bash-completion/completions" "$share/zsh/site-functions" "$share/fish/vendor_completions.d"
"$bin/spoolctl" --generate-completion-script bash > "$share/bash-completion/completions/spoolctl"
"$bin/spoolctl" --generate-completion-script zsh > "$share/zsh/site-functions/_spoolctl"
"$bin/spoolctl" --generate-completion-script fish > "$share/fish/vendor_completions.d/spoolctl.fish"
echo "installed completion for bash, zsh and fish under $share"

# Man pages: swift-argument-parser's generate-manual (the tool behind its generate-manual plugin), built from the
# checked-out library in a folder of its own (no network, and no lock on this package's .build), run on the
# installed commands. SOURCE_DATE_EPOCH, when set, dates the pages (reproducible builds).
checkout="$root/.build/checkouts/swift-argument-parser"
[[ -f "$checkout/Tools/generate-manual/GenerateManual.swift" ]] || {
  echo "install.sh: no swift-argument-parser checkout in $checkout; run swift build once first" >&2; exit 1; }
tools="$root/.build/install-tools"
swift build --package-path "$checkout" --scratch-path "$tools" -c release --product generate-manual >/dev/null 2>&1 \
  || swift build --package-path "$checkout" --scratch-path "$tools" -c release --product generate-manual
date=$(date -u ${SOURCE_DATE_EPOCH:+-d "@$SOURCE_DATE_EPOCH"} +%F)
man1="$share/man/man1"
install -d "$man1"
for tool in spoolctl spool-trainer; do
  "$tools/release/generate-manual" "$bin/$tool" --date "$date" --output-directory "$man1"
done
echo "installed $man1/spoolctl.1 and $man1/spool-trainer.1"

# The daemon's systemd unit, pointing at this prefix.
unit_dir="$prefix/lib/systemd/system"
install -d "$unit_dir"
sed "s|/usr/local/bin/|$bin/|g" packaging/systemd/spool.service > "$unit_dir/spool.service"
chmod 0644 "$unit_dir/spool.service"
echo "installed $unit_dir/spool.service; first: useradd --system --home-dir /var/lib/spool spool;"
echo "  then: systemctl daemon-reload && systemctl enable --now spool"
