"""The command line's tables and figures say what the runs show (levels beside losses, bands
clipped to what a metric can take and labelled)."""


def test_cli_resilience_table_shows_levels_and_clips_area_lost_at_zero():
    """Issue 28, the CLI side: the table leads with each structure's level before and after
    the shock, and an area lost whose t-interval reaches below 0 shows '0 (clipped)'."""
    import pandas as pd

    from simulation.analysis.report import format_table

    row = {"structure": "network", "kind": "need_shift", "shock": 0}
    for figure, (mean, low, high) in {"baseline": (0.5, 0.4, 0.6), "plateau": (0.3, 0.2, 0.4),
                                      "depth": (0.2, 0.1, 0.3),
                                      "area_lost": (3.78, -4.432, 11.992)}.items():
        row.update({f"{figure}_mean": mean, f"{figure}_low": low, f"{figure}_high": high})
    text = format_table(pd.DataFrame([row]), figures=("baseline", "plateau", "depth",
                                                      "area_lost"))
    header = text.splitlines()[0]
    assert header.index("level before") < header.index("level after") < header.index("depth")
    assert "3.78 [0 (clipped), 12]" in text and "-4.43" not in text


def test_cli_figure_bands_are_clipped_and_labelled():
    """The CLI's figures clip a share's band to [0, 1] and say what the band is."""
    import numpy as np
    import pandas as pd
    from matplotlib.figure import Figure

    from simulation.analysis.report import _lines_with_bands

    rows = [{"structure": "hierarchy", "replicate": r, "step": s,
             "market_share": [0.99, 0.5, 0.98][r]} for r in range(3) for s in range(5)]
    axis = Figure().subplots()
    note = _lines_with_bands(axis, pd.DataFrame(rows), "market_share")
    assert note == ("mean of 3 runs; band: 95% t-interval of the mean, clipped to [0, 1] "
                    "(only 3 runs: wide bands)")
    band = axis.collections[0].get_paths()[0].vertices
    assert np.nanmax(band[:, 1]) <= 1.0 and np.nanmin(band[:, 1]) >= 0.0
    assert any(note in text.get_text() for text in axis.texts)
