#!/usr/bin/env bash
# Host setup shared by `make demo` and `make test`. Idempotent and quiet when all is present.
#  - creates .venv and installs lambdabox with its dev extras (again only when pyproject.toml
#    changes), editable in "compat" mode: a plain path in a .pth file, where the default mode
#    imports a finder module at every interpreter start (about 8 ms per lambdabox command);
#  - on Debian as root: installs docker.io, skopeo, mmdebstrap, docker-registry, and
#    qemu-user-static with arch-test (base images of the other architecture, e.g. arm64 on
#    x86_64) when missing, registers qemu's binfmt_misc handler when no init system did, and
#    starts `dockerd --bridge=none --iptables=false` when no daemon answers;
#  - rabbitmq-server too (lambdabox starts its own brokers; a system one is stopped);
#  - elsewhere: prints exactly what is missing and what to run.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
VENV=.venv
PACKAGES=(docker.io skopeo mmdebstrap docker-registry qemu-user-static arch-test rabbitmq-server)
DOCKERD_LOG=${DOCKERD_LOG:-/var/log/lambdabox-dockerd.log}

say() { printf 'setup: %s\n' "$*" >&2; }

setup_venv() {
  local stamp="$VENV/.lambdabox-installed" want
  want="$(sha256sum pyproject.toml | cut -d' ' -f1) compat"
  if [ ! -x "$VENV/bin/python" ]; then
    say "creating $VENV"
    "$PYTHON" -m venv "$VENV"
  fi
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    say "installing lambdabox[dev] into $VENV"
    local log="$VENV/pip-install.log"
    if ! { "$VENV/bin/python" -m pip install --disable-pip-version-check --upgrade pip &&
           "$VENV/bin/python" -m pip install --disable-pip-version-check -e '.[dev]' \
             --config-settings editable_mode=compat; } >"$log" 2>&1; then
      cat "$log" >&2
      say "pip install failed (log above, kept in $log)"
      return 1
    fi
    echo "$want" > "$stamp"
  fi
}

missing_packages() {
  local pkg
  for pkg in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || echo "$pkg"
  done
}

# `lambdabox base build NAME --arch arm64` on x86_64 (or amd64 on arm64) runs the image's
# programs through qemu. Debian's qemu-user-static ships /usr/lib/binfmt.d/qemu-CPU.conf
# (flags POF; F: the kernel opens qemu at registration, so a chroot needs no copy of it),
# which systemd-binfmt registers at boot; without an init system, register it here. Not
# fatal: the builder says the same when a foreign architecture is asked for.
setup_binfmt() {
  local cpu conf binfmt=/proc/sys/fs/binfmt_misc
  case "$(uname -m)" in
    x86_64) cpu=aarch64 ;;
    aarch64) cpu=x86_64 ;;
    *) return 0 ;;
  esac
  conf=/usr/lib/binfmt.d/qemu-$cpu.conf
  if [ -e "$binfmt/qemu-$cpu" ] || [ ! -r "$conf" ] || [ "$(id -u)" != 0 ]; then
    return 0  # registered already, qemu-user-static missing (reported above), or not root
  fi
  if [ ! -e "$binfmt/register" ] &&
     ! mount -t binfmt_misc binfmt_misc "$binfmt" 2>/dev/null; then
    say "cannot mount binfmt_misc on $binfmt: base images for another architecture will not build"
    return 0
  fi
  if ! grep '^:' "$conf" > "$binfmt/register" 2>/dev/null && [ ! -e "$binfmt/qemu-$cpu" ]; then
    say "cannot register $conf with binfmt_misc: base images for another architecture will not build"
  fi
  return 0
}

# lambdabox starts its own brokers on free ports; a system rabbitmq-server started by the
# package's postinst (no init system here to manage it) would only hold ports 5672/25672.
stop_system_rabbitmq() {
  if pgrep -u rabbitmq -x beam.smp >/dev/null 2>&1; then
    say "stopping the rabbitmq-server the package started (lambdabox runs its own)"
    /usr/sbin/rabbitmqctl stop >/dev/null 2>&1 || true
    epmd -kill >/dev/null 2>&1 || true  # the system's epmd on 4369; ours use other ports
  fi
  return 0
}

docker_answers() { timeout 5 /usr/bin/docker version >/dev/null 2>&1; }

setup_system() {
  local is_debian=0 is_root=0 missing
  [ -r /etc/debian_version ] && command -v apt-get >/dev/null && is_debian=1
  [ "$(id -u)" = 0 ] && is_root=1
  if [ $is_debian = 1 ]; then
    missing=$(missing_packages | tr '\n' ' ')
  else
    missing=""
    for cmd in /usr/bin/docker dockerd skopeo mmdebstrap docker-registry; do
      command -v "$cmd" >/dev/null || missing+="$cmd "
    done
  fi
  if [ -n "${missing// /}" ]; then
    if [ $is_debian = 1 ] && [ $is_root = 1 ]; then
      say "installing Debian packages: $missing"
      export DEBIAN_FRONTEND=noninteractive
      apt-get update -qq >/dev/null
      # shellcheck disable=SC2086
      apt-get install -y -qq --no-install-recommends $missing >/dev/null
      stop_system_rabbitmq
    else
      say "missing: $missing"
      say "install them (Debian: sudo apt-get install $missing), then run this again"
      return 1
    fi
  fi
  setup_binfmt
  if ! docker_answers; then
    if [ $is_root = 1 ] && command -v dockerd >/dev/null; then
      say "starting dockerd (log: $DOCKERD_LOG)"
      nohup dockerd --bridge=none --iptables=false >"$DOCKERD_LOG" 2>&1 &
      for _ in $(seq 1 120); do
        docker_answers && return 0
        sleep 0.5
      done
      say "dockerd did not answer within 60 s; see $DOCKERD_LOG"
      return 1
    fi
    say "no Docker daemon answers: start one (as root: dockerd --bridge=none --iptables=false &)"
    return 1
  fi
}

setup_venv
if [ "${LAMBDABOX_SKIP_SYSTEM:-0}" != 1 ]; then
  setup_system
fi
