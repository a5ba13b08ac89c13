#!/usr/bin/env bash
# Installs the Debian 12 packages dlc needs to build and test, if missing.
# Idempotent; run as root (or with sudo available) on a fresh machine.
set -euo pipefail

pkgs=(build-essential cmake pkg-config flex bison libcmocka-dev libcjson-dev valgrind
      llvm-19-dev llvm-19-tools clang-19 libclang-rt-19-dev zlib1g-dev libzstd-dev libedit-dev
      libxml2-dev libffi-dev libncurses-dev graphviz
      libprotobuf-c-dev protobuf-c-compiler libonnx-dev libonnx-testdata)

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
    || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
