#!/usr/bin/env bash
# Installs everything freshet needs on a Debian 12 machine, then prints the environment to use.
# Idempotent: a second run only checks. LibTorch comes from the pinned PyPI torch wheel, installed
# into a virtual environment in a cache folder outside the clone, keyed by version, so every clone
# and CI run on the same machine shares it. Set Torch_DIR to use a LibTorch you already have.
set -euo pipefail

TORCH_VERSION=2.11.0
CACHE_ROOT=${FRESHET_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/freshet}

apt_packages=(
  build-essential cmake ninja-build ccache pkg-config git
  libhdf5-dev libspdlog-dev libyaml-cpp-dev nlohmann-json3-dev libcli11-dev
  libgtest-dev libsqlite3-dev libxxhash-dev libssl-dev
  python3 python3-venv python3-pip clang-format clang-tidy
  slurm-wlm munge libopenmpi-dev openmpi-bin
)

missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing Debian packages: ${missing[*]}" >&2
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ -z "${Torch_DIR:-}" ]; then
  py=$(command -v python3)
  pytag=$("$py" -c 'import sys; print(f"py{sys.version_info[0]}{sys.version_info[1]}")')
  venv="$CACHE_ROOT/torch-$TORCH_VERSION-$pytag"
  if [ ! -f "$venv/.complete" ]; then
    echo "setup: installing torch==$TORCH_VERSION into $venv (about 2.5 GB, first time only)" >&2
    rm -rf "$venv.tmp"
    "$py" -m venv "$venv.tmp"
    "$venv.tmp/bin/pip" install -q --disable-pip-version-check "torch==$TORCH_VERSION" numpy h5py safetensors
    # A venv's scripts carry its path: build it under the final name's sibling, then fix them up by
    # re-creating the venv in place, which keeps site-packages.
    rm -rf "$venv"
    mv "$venv.tmp" "$venv"
    "$py" -m venv --upgrade "$venv" >/dev/null
    sed -i "s|$venv.tmp|$venv|g" "$venv"/bin/* 2>/dev/null || true
    touch "$venv/.complete"
  fi
  # The Python peers the tests compare against (scikit-learn, SciPy, Evidently, River, Vowpal
  # Wabbit), into the same cached environment; a marker per version list, so an older cache gets
  # them once.
  peers=(scikit-learn==1.9.1 scipy==1.17.1 pandas==2.3.3 evidently==0.7.23 river==0.26.1
    vowpalwabbit==9.11.9)
  marker="$venv/.peers-$(echo "${peers[*]}" | md5sum | cut -c1-8)"
  if [ ! -f "$marker" ]; then
    echo "setup: installing the test peers (${peers[*]}) into $venv" >&2
    "$venv/bin/pip" install -q --disable-pip-version-check "${peers[@]}"
    touch "$marker"
  fi
  Torch_DIR=$("$venv/bin/python" -c 'import torch, os; print(os.path.join(torch.utils.cmake_prefix_path, "Torch"))')
  echo "FRESHET_VENV=$venv"
fi
echo "Torch_DIR=$Torch_DIR"
