# Shared by scripts/run and scripts/test: find the repository and make the virtualenv current.
# Each step checks whether it is already done, so a second run starts in seconds.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${VOICEDOCK_VENV:-$REPO/.venv}"
export CMAKE_ARGS="${CMAKE_ARGS:--DLLAVA_BUILD=OFF -DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON}"

say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

apt_install() {
    # apt_install PACKAGE... : install Debian packages that are missing (needs root).
    local missing=()
    for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
    [ ${#missing[@]} -eq 0 ] && return 0
    [ "$(id -u)" -eq 0 ] || die "need root to install ${missing[*]} (run with sudo)"
    say "installing Debian packages: ${missing[*]}"
    apt-get update -qq || die "apt-get update failed"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" \
        || die "apt-get install ${missing[*]} failed"
}

ensure_venv() {
    # ensure_venv EXTRAS : a virtualenv with the project installed (editable) with the given extras.
    local extras="$1"
    local python="${PYTHON:-python3}"
    command -v "$python" >/dev/null || apt_install python3
    "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || die "Python 3.11 or newer is needed"
    if [ ! -x "$VENV/bin/python" ]; then
        say "creating virtualenv $VENV"
        "$python" -m venv "$VENV" 2>/dev/null || { apt_install python3-venv python3-dev build-essential cmake; "$python" -m venv "$VENV"; }
    fi
    local stamp="$VENV/.voicedock-installed-$extras"
    local want
    want="$(cat "$REPO/setup.cfg" "$REPO/pyproject.toml" | sha256sum | cut -c1-16)"
    if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
        command -v cmake >/dev/null && command -v g++ >/dev/null || apt_install build-essential cmake
        say "installing Python packages into $VENV (the first time builds llama-cpp-python: several minutes)"
        "$VENV/bin/python" -m pip install -q --upgrade pip >/dev/null || die "pip upgrade failed"
        "$VENV/bin/python" -m pip install -q -e "$REPO[$extras]" || die "pip install of the project failed"
        echo "$want" > "$stamp"
    fi
}
