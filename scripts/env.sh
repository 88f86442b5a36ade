# Sourced by the other scripts: runs setup (quick when done) and exports the build environment.
# FRESHET_BUILD (default: build) is the build folder.
_freshet_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
_freshet_env=$("$_freshet_root/scripts/setup.sh") || return 1
eval "export ${_freshet_env//$'\n'/; export }"
export FRESHET_ROOT=$_freshet_root
export FRESHET_BUILD=${FRESHET_BUILD:-$_freshet_root/build}
export FRESHET_PYTHON=${FRESHET_VENV:+$FRESHET_VENV/bin/python}
export FRESHET_PYTHON=${FRESHET_PYTHON:-python3}
export CCACHE_DIR=${CCACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/freshet/ccache}
# Objects with debug info are shared between build folders (build/ and build-cpu/ compile most
# files alike): ccache leaves the working directory out of their hash.
export CCACHE_NOHASHDIR=${CCACHE_NOHASHDIR:-true}
