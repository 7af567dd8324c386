"""Make the nbval sanitize file path absolute so pytest works from any folder."""

from pathlib import Path


def pytest_configure(config):
    opt = getattr(config.option, "nbval_sanitize_with", None)
    if opt and not Path(opt).is_absolute():
        config.option.nbval_sanitize_with = str(Path(config.rootpath) / opt)
