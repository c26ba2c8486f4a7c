"""Sizes for the tutorials: full by default, tiny when FIRMSIM_TUTORIAL_SMALL=1 (CI)."""

import os

SMALL = os.environ.get("FIRMSIM_TUTORIAL_SMALL") == "1"


def sizes(**full):
    """``--set`` overrides: the tutorial's own sizes, or a tiny market in CI."""
    if SMALL:
        return ["customers.count=300", "customers.degree=4", "firm.employees=20"]
    return [f"{key}={value}" for key, value in full.items()]
