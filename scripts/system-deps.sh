#!/usr/bin/env bash
# Installs the Debian packages thermoseg's tests and demo need, when missing (mosquitto,
# openssl, python3-venv, and chromium + chromium-driver for the dashboard's browser test).
# As root it installs them; otherwise it prints the command to run and fails.
set -euo pipefail
need=()
command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ] || need+=(mosquitto)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
# The dashboard's browser test drives Debian's headless Chromium through chromedriver.
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v chromedriver >/dev/null 2>&1 || need+=(chromium-driver)
python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || need+=(python3-venv)
if [ ${#need[@]} -eq 0 ]; then exit 0; fi
if [ "$(id -u)" -eq 0 ]; then
  echo "installing Debian packages: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  # Debian starts the system broker on port 1883; thermoseg uses its own on loopback.
  if command -v systemctl >/dev/null 2>&1; then systemctl disable --now mosquitto >/dev/null 2>&1 || true; fi
else
  echo "missing Debian packages: ${need[*]}" >&2
  echo "run: sudo apt-get install -y ${need[*]}" >&2
  exit 1
fi
