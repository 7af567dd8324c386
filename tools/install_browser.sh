#!/usr/bin/env bash
# Install what tests/browser/test_browser.py needs: Debian's chromium and the playwright
# Python package. Playwright's own browser download ("playwright install") is
# never used: the tests launch /usr/bin/chromium instead.
#
# Usage:  tools/install_browser.sh [PYTHON]
#   PYTHON  the interpreter whose environment gets playwright (default: python3;
#           pass .venv/bin/python to install into the project venv).
set -euo pipefail

PYTHON="${1:-python3}"
CHROMIUM=/usr/bin/chromium

if [ -x "$CHROMIUM" ]; then
    echo "install_browser: $CHROMIUM already present ($("$CHROMIUM" --version 2>/dev/null || echo 'version unknown'))"
else
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then
        if command -v sudo >/dev/null 2>&1; then
            SUDO="sudo"
        else
            echo "install_browser: $CHROMIUM is missing and this is not root (no sudo): install Debian's 'chromium' package" >&2
            exit 1
        fi
    fi
    echo "install_browser: installing Debian chromium with apt-get"
    $SUDO apt-get update
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends chromium
    [ -x "$CHROMIUM" ] || { echo "install_browser: apt-get finished but $CHROMIUM does not exist" >&2; exit 1; }
fi

if "$PYTHON" -c "import playwright.sync_api" >/dev/null 2>&1; then
    echo "install_browser: playwright already importable by $PYTHON"
else
    echo "install_browser: pip install playwright into $("$PYTHON" -c 'import sys; print(sys.prefix)')"
    "$PYTHON" -m pip install --quiet playwright
fi
"$PYTHON" -c "import playwright.sync_api, importlib.metadata as m; print('install_browser: playwright', m.version('playwright'))"
