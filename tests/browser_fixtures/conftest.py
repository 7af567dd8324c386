"""These notebooks are inputs for tests/test_browser.py, not course material:
keep nbval from collecting them (broken_widgets.ipynb fails on purpose)."""

collect_ignore_glob = ["*.ipynb"]
