#!/usr/bin/env bash
# System programs the tests drive for real: Debian's chromium (the dashboard in a
# browser), promtool (alert rules), pdftoppm (the PDF report's first page) and a
# Unicode font for the PDF reports (DejaVu).
# Installed with apt when missing (as root); otherwise a clear message and exit 1.
set -euo pipefail

need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v promtool >/dev/null 2>&1 || need+=(prometheus)
command -v pdftoppm >/dev/null 2>&1 || need+=(poppler-utils)
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || need+=(fonts-dejavu-core)
[ ${#need[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "error: the tests need ${need[*]} (Debian packages); run as root or: sudo apt-get install -y ${need[*]}" >&2
  exit 1
fi
echo "installing ${need[*]} with apt-get (once)"
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null 2>&1 \
  || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null; } \
  || { echo "error: apt-get could not install ${need[*]}" >&2; exit 1; }
# The Debian prometheus package starts a server on :9090; the tests need only promtool.
if [[ " ${need[*]} " == *" prometheus "* ]]; then
  (service prometheus stop || pkill -x prometheus || true) >/dev/null 2>&1
fi
