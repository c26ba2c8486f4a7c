"""The Python API: a scenario in, tidy pandas tables and figures out.

Everything here is re-exported from :mod:`simulation` (loaded on first use, so
``import simulation`` stays fast)::

    import simulation as fs

    scenario = fs.load_scenario("need-shift", set=["customers.count=2000"])
    result = fs.compare(scenario, replicates=4)
    result.timeseries          # one row per structure x replicate x step
    result.differences()       # paired differences against the first structure
    result.plot("market_share")

The functions are the ones the command line runs: :func:`compare` is ``firmsim run``
without the files, :func:`org_chart` is ``firmsim chart``, :func:`query` is ``firmsim
query``. Every table has the same columns as the Parquet files the commands write.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from simulation.config.scenario import Scenario
    from simulation.core.model import FirmModel


def load_scenario(source: str | Path = "demo", set: list[str] | None = None) -> Scenario:
    """A validated scenario from a shipped name, a TOML file, a manifest or a results folder.

    Parameters
    ----------
    source : str or Path
        ``"demo"``, ``"need-shift"``... (``firmsim scenarios`` lists them), a ``.toml``
        file, a run's ``manifest.json`` or its results folder.
    set : list of str, optional
        Overrides as ``"dotted.path=value"`` (TOML values), as ``firmsim run --set``.

    Returns
    -------
    simulation.config.scenario.Scenario
        Every field filled in; ``scenario.model_dump()`` gives the plain data.

    Examples
    --------
    >>> import simulation as fs
    >>> scenario = fs.load_scenario("demo", set=["customers.count=500", "steps=40",
    ...                                          "shocks.0.step=20"])
    >>> scenario.customers.count, scenario.shocks[0].kind
    (500, 'need_shift')
    """
    from simulation.store.sources import resolve

    scenario, _, _ = resolve(source, list(set or []))
    return scenario


@dataclass
class Comparison:
    """The tables of a comparison of structures on common random numbers.

    Attributes
    ----------
    scenario : Scenario
        What ran (with the replicates and structures actually used).
    timeseries : pandas.DataFrame
        One row per structure x replicate x step: every step metric.
    resilience : pandas.DataFrame
        One row per structure x replicate x shock: baseline, depth, recovery, area lost...
    precision : simulation.analysis.statistics.PrecisionRun or None
        With ``compare(precision=...)``: the replicates run, the half widths reached and
        which limit stopped it (``precision.sentence()``).
    """

    scenario: Any
    timeseries: pd.DataFrame
    resilience: pd.DataFrame
    precision: Any = None
    _cache: dict = field(default_factory=dict, repr=False)

    @property
    def structures(self) -> list[str]:
        return list(self.scenario.structures)

    def summary(self) -> pd.DataFrame:
        """Resilience figures per structure and shock: mean and 95% interval over replicates,
        and the paired difference against the first structure (``firmsim run``'s table)."""
        from simulation.execution.experiment import summarise

        if "summary" not in self._cache:
            self._cache["summary"] = summarise(self.resilience, self.structures)
        return self._cache["summary"]

    def levels(self, metrics: list[str] | None = None) -> pd.DataFrame:
        """Level reached per structure and metric over the last steps (mean, 95% interval,
        paired difference against the first structure)."""
        from simulation.execution.experiment import summarise_levels

        return summarise_levels(self.timeseries, self.structures, metrics=metrics)

    def differences(self, metric: str = "market_share") -> pd.DataFrame:
        """Paired differences of ``metric``'s level against the first structure: one row per
        other structure with the mean difference (``diff``) and its 95% t-interval
        (``diff_low``, ``diff_high``) over the paired replicates (``runs``)."""
        levels = self.levels([metric])
        others = levels[levels["structure"] != self.structures[0]]
        return others[["metric", "structure", "runs", "diff", "diff_low", "diff_high"]
                      ].reset_index(drop=True)

    def plot(self, metric: str = "market_share", path: str | Path | None = None):
        """The mean of ``metric`` per structure over time with its 95% band (the figure
        ``firmsim run`` saves as ``comparison.png``); saved to ``path`` if given.

        Returns
        -------
        matplotlib.figure.Figure
        """
        from matplotlib.figure import Figure

        from simulation.analysis.report import _lines_with_bands

        figure = Figure(figsize=(9, 4.5), layout="constrained")
        axis = figure.subplots()
        _lines_with_bands(axis, self.timeseries, metric)
        for shock in self.scenario.shocks:
            axis.axvline(shock.step, color="0.3", linestyle="--", linewidth=1)
        axis.set_xlabel("step")
        axis.set_ylabel(metric.replace("_", " "))
        axis.legend(fontsize=8)
        if path is not None:
            from simulation.store.atomic import atomic_write

            kind = Path(path).suffix.lstrip(".").lower() or "png"  # the temporary has none
            atomic_write(Path(path), lambda p: figure.savefig(p, dpi=120, format=kind))
        return figure


def compare(scenario: Scenario | str = "demo", *, structures: list[str] | None = None,
            replicates: int | None = None, seed: int | None = None,
            workers: int | None = 1, precision: float | None = None,
            precision_metric: str | None = None, max_replicates: int = 100,
            precision_step: int = 5, progress: bool = False,
            first_replicate: int = 0) -> Comparison:
    """Run every structure of ``scenario`` on the same seeds (common random numbers).

    Replicate ``r`` of every structure has the same seed (:mod:`simulation.config.seeds`),
    so a difference between two structures is taken replicate by replicate: the numbers
    are the same whatever ``workers`` is.

    Parameters
    ----------
    scenario : Scenario or str
        A scenario (:func:`load_scenario`) or what :func:`load_scenario` accepts.
    structures : list of str, optional
        Structures to compare (default: the scenario's); the first is the reference.
    replicates, seed : int, optional
        Override the scenario's.
    workers : int or None
        Worker processes (None: one per core).
    precision : float, optional
        Add paired replicates (from ``replicates`` on, in batches) until every paired
        difference of ``precision_metric`` against the first structure is known within
        +/- ``precision`` (95%), or ``max_replicates`` (as ``firmsim run --precision``);
        ``Comparison.scenario.replicates`` says how many ran.
    first_replicate : int
        Run replicates ``first_replicate`` to ``first_replicate + replicates - 1`` (more of a
        comparison already run: the same seeds as one larger run).
    precision_metric : str, optional
        A resilience figure (``area_lost``...) or a step metric; default: area lost with
        shocks, else the scenario's resilience metric.

    Returns
    -------
    Comparison

    Examples
    --------
    >>> import simulation as fs
    >>> small = fs.load_scenario("demo", set=["customers.count=300", "customers.degree=4",
    ...                                       "firm.employees=20", "steps=30",
    ...                                       "shocks.0.step=15"])
    >>> result = fs.compare(small, structures=["hierarchy", "network"], replicates=2)
    >>> sorted(result.timeseries.structure.unique()), len(result.timeseries)
    (['hierarchy', 'network'], 120)
    >>> list(result.differences().structure)
    ['network']
    """
    from simulation.execution.experiment import run_comparison

    if not hasattr(scenario, "model_config_only"):
        scenario = load_scenario(scenario)
    update = {key: value for key, value in (("structures", structures),
                                            ("replicates", replicates), ("seed", seed))
              if value is not None}
    if update:
        from simulation.config.scenario import parse_scenario, scenario_data

        scenario = parse_scenario({**scenario_data(scenario), **update}, "compare()")
    from simulation.execution.competition import compared_scenario

    scenario = compared_scenario(scenario)  # with firms: the firms are what is compared
    if precision is not None:
        from simulation.execution.experiment import run_until_precise

        timeseries, resilience, precise = run_until_precise(
            scenario, precision, metric=precision_metric, max_replicates=max_replicates,
            step=precision_step, workers=workers, progress=progress)
        scenario = scenario.model_copy(update={"replicates": precise.replicates})
        return Comparison(scenario, timeseries, resilience, precise)
    timeseries, resilience = run_comparison(
        scenario.model_config_only(), scenario.structures, scenario.replicates,
        scenario.seed, scenario.resilience_metric, workers=workers, progress=progress,
        first_replicate=first_replicate)
    return Comparison(scenario, timeseries, resilience)


def compete(firms: list | None, scenario: Scenario | str | None = None, *, replicates: int = 5,
            seed: int = 1, workers: int | None = 1, shocks: list | None = None):
    """Several firms in one market, competing for the same customers (``firmsim compete``).

    Parameters
    ----------
    firms : list of str or dict, or None
        Structure names (``["hierarchy", "podular"]``) or firm tables (``{"name": "startup",
        "structure": "podular", "enters_at": 100}``; ``firm.*`` overrides as in a scenario's
        ``[[firms]]``); None: the scenario's own ``firms``.
    scenario : Scenario, ModelConfig or str, optional
        The market (sizes, customers, shocks); default: the default market.
    replicates, seed : int
        Paired replicates and their root seed.
    workers : int or None
        Worker processes (None: one per core); the numbers do not depend on it.
    shocks : list of dict, optional
        Shocks instead of the scenario's; ``talent_loss`` and ``reputation_crisis`` may name a
        ``firm``.

    Returns
    -------
    simulation.execution.competition.MarketTables
        ``metrics`` (every step metric per firm and replicate), ``shares`` (each firm's and the
        outside option's share), ``flows`` (customers moving between options), ``resilience``
        and ``entries``: tidy pandas DataFrames.

    Examples
    --------
    >>> import simulation as fs
    >>> market = fs.load_scenario("calm", set=["customers.count=300", "customers.degree=4",
    ...                                        "firm.employees=20", "steps=20"])
    >>> tables = fs.compete(["hierarchy", "podular"], market, replicates=2)
    >>> sorted(tables.shares.firm.unique())
    ['(none)', 'hierarchy', 'podular']
    """
    from simulation.config.schema import ModelConfig
    from simulation.execution.competition import market_config, run_markets

    if scenario is None:
        config = ModelConfig()
    elif isinstance(scenario, ModelConfig) and not hasattr(scenario, "model_config_only"):
        config = scenario
    else:
        if not hasattr(scenario, "model_config_only"):
            scenario = load_scenario(scenario)
        config = scenario.model_config_only()
    if firms is not None or shocks is not None:
        config = market_config(config, firms if firms is not None else list(config.firms),
                               shocks)
    return run_markets(config, replicates, seed, workers=workers)


def run_structure(structure: str, scenario: Scenario | str | None = None, *, seed: int = 1,
                  replicate: int = 0) -> FirmModel:
    """One model of ``structure`` on ``scenario``, run to its planned steps.

    The model is the one replicate ``replicate`` of a comparison with root seed ``seed``
    runs, so its numbers are that comparison's rows. Its ``metrics()`` is the time series,
    ``resilience()`` the figures per shock, ``org`` the organization's arrays.

    Examples
    --------
    >>> import simulation as fs
    >>> model = fs.run_structure("podular", fs.load_scenario("calm", set=[
    ...     "customers.count=300", "customers.degree=4", "firm.employees=20", "steps=10"]))
    >>> len(model.metrics())
    10
    """
    from simulation.config.seeds import run_seed
    from simulation.execution.runs import build_model

    if scenario is None:
        from simulation.config.schema import ModelConfig

        config = ModelConfig()
    else:
        if not hasattr(scenario, "model_config_only"):
            scenario = load_scenario(scenario)
        config = scenario.model_config_only()
    return build_model(config, structure, run_seed(seed, replicate)).run()


def org_chart(structure: str, scenario: Scenario | str | None = None, *, seed: int = 1,
              replicate: int = 0) -> pd.DataFrame:
    """The org chart of ``structure`` (``employee``, ``reports_to``, ``role``, ``team``,
    ``peers``), as ``firmsim chart`` writes it; edit it and run it as structure
    ``org_chart`` (``firm.org_chart``).

    Examples
    --------
    >>> import simulation as fs
    >>> chart = fs.org_chart("hierarchy", fs.load_scenario("calm", set=[
    ...     "firm.employees=31", "customers.count=300", "customers.degree=4"]))
    >>> list(chart.columns), int((chart.reports_to == "").sum())
    (['employee', 'reports_to', 'role', 'team', 'peers'], 1)
    """
    from simulation.config.schema import ModelConfig, config_from_flat
    from simulation.config.seeds import run_seed
    from simulation.core.model import FirmModel
    from simulation.core.org_chart import chart_of

    if scenario is not None and not hasattr(scenario, "model_config_only"):
        scenario = load_scenario(scenario)
    config = scenario.model_config_only() if scenario is not None else ModelConfig()
    model = FirmModel(config=config_from_flat(config, structure=structure),
                      rng=run_seed(seed, replicate))
    return chart_of(model.org)


def run_sweep(experiment: str | Path, *, out: str | Path | None = None,
          workers: int | None = None, scheduler: str | None = None, repair: bool = False,
          yes: bool = False, batch_size: int | None = None, progress: bool = False) -> Path:
    """Run (or resume) a parameter sweep into its results folder, as ``firmsim sweep``.

    Parameters
    ----------
    experiment : str or Path
        An experiment file (``.toml``) or the name of a shipped one (``"atlas-tiny"``).
    out : str or Path, optional
        Results folder (default ``results/sweeps/<name>/``); an existing folder of the same
        experiment is resumed.
    workers : int, optional
        Local worker processes (default: one per core). The numbers do not depend on it.
    scheduler : str, optional
        Address of an existing Dask scheduler (``tcp://host:8786``) to run on instead.
    repair, yes, batch_size, progress
        As ``--repair``, ``--yes``, ``--batch-size`` and the progress bar of the command.

    Returns
    -------
    Path
        The results folder: read it with :func:`read_results` or :func:`query`, analyse it
        with :func:`analyze_sweep`.

    Examples
    --------
    >>> import contextlib, io, pathlib, tempfile
    >>> import simulation as fs
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "tiny.toml").write_text('''
    ... name = "tiny"
    ... scenario = "calm"
    ... set = ["customers.count=300", "customers.degree=4", "firm.employees=20", "steps=20"]
    ... structures = ["hierarchy", "network"]
    ... design = "grid"
    ... outputs = ["levels"]
    ... [[parameters]]
    ... path = "market.turbulence"
    ... levels = [0.0, 0.05]
    ... ''')
    >>> with contextlib.redirect_stdout(io.StringIO()):
    ...     out = fs.run_sweep(folder / "tiny.toml", out=folder / "out", workers=1)
    ...     tables = fs.analyze_sweep(out)
    >>> len(fs.read_results(out)["runs"]), sorted(tables)
    (4, ['grid', 'winners'])
    >>> int(fs.query(out, "SELECT count(DISTINCT structure) AS n FROM runs").n[0])
    2
    """
    from types import SimpleNamespace

    from simulation.errors import UserError
    from simulation.sweep.session import run_sweep_folder
    from simulation.sweep.spec import load_experiment

    folder = Path(out) if out is not None else (
        Path("results") / "sweeps" / load_experiment(experiment).experiment.name)
    options = SimpleNamespace(
        experiment=str(experiment), out=folder, workers=workers, scheduler=scheduler,
        batch_size=batch_size, repair=repair, yes=yes, no_progress=not progress,
        no_workers_timeout=None, argv=["simulation.sweep", str(experiment)])
    if run_sweep_folder(options) != 0:
        raise UserError(f"the sweep finished with failed runs; see {folder / 'errors'} and "
                        "run it again to retry them")
    return folder


def analyze_sweep(folder: str | Path, *, outputs: list[str] | None = None, x: str | None = None,
            y: str | None = None, winner_metric: str | None = None,
            better: str | None = None, discover: list[str] | None = None,
            out: str | Path | None = None) -> dict[str, pd.DataFrame]:
    """Analyse a sweep's folder, as ``firmsim analyze``: Sobol or Morris indices, grid tables
    of structure advantages, the winner map, PRIM scenario discovery (``discover``:
    ``"A:B:OUTPUT:D"`` rules). Writes the CSV files and figures to ``out`` (default:
    ``folder/analysis``) and returns the CSV tables by name (``sensitivity``, ``grid``,
    ``winners``, ``discovery``: those the design gives).

    Examples
    --------
    >>> import contextlib, io, pathlib, tempfile
    >>> import simulation as fs
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "grid.toml").write_text('''
    ... name = "grid"
    ... scenario = "calm"
    ... set = ["customers.count=300", "customers.degree=4", "firm.employees=20", "steps=20"]
    ... structures = ["hierarchy", "podular"]
    ... design = "grid"
    ... outputs = ["levels"]
    ... [[parameters]]
    ... path = "market.turbulence"
    ... levels = [0.0, 0.05]
    ... ''')
    >>> with contextlib.redirect_stdout(io.StringIO()):
    ...     tables = fs.analyze_sweep(fs.run_sweep(folder / "grid.toml", out=folder / "out",
    ...                                            workers=1))
    >>> list(tables["winners"].columns[:2])
    ['turbulence', 'best']
    """
    from types import SimpleNamespace

    import pandas as pd

    from simulation.sweep.report import analyze_folder

    target = Path(out) if out is not None else Path(folder) / "analysis"
    options = SimpleNamespace(
        folder=Path(folder), outputs=",".join(outputs) if outputs else None, x=x, y=y,
        out=target, winner_metric=winner_metric, better=better, discover=list(discover or []),
        per_pair=False)
    analyze_folder(options)
    return {path.stem: pd.read_csv(path) for path in sorted(target.glob("*.csv"))}


def query(folder: str | Path, sql: str) -> pd.DataFrame:
    """Read-only DuckDB SQL over a results folder, as ``firmsim query``.

    A run's folder (``firmsim run``) has the tables ``timeseries``, ``resilience`` and, when
    present, ``summary`` and ``levels``; a sweep's folder (``firmsim sweep``) has ``runs``
    (one row per run: the design point's parameters and the run's figures), ``design`` and,
    when kept, ``timeseries`` and ``errors``. Files are checked first (manifest, part hashes).

    Examples
    --------
    >>> import contextlib, io, pathlib, tempfile
    >>> import simulation as fs
    >>> from simulation.commands.cli import main
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "calm"
    >>> with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
    ...     status = main(["run", "calm", "--out", str(out), "--replicates", "2",
    ...                    "--workers", "1", "--no-progress", "--set", "steps=20",
    ...                    "--set", "customers.count=300", "--set", "customers.degree=4",
    ...                    "--set", "firm.employees=20"])
    >>> int(fs.query(out, "SELECT count(*) AS rows FROM timeseries").rows[0])
    200
    """
    from simulation.store.results import query as run_query

    folder = Path(folder)
    return run_query(folder, sql, frames=_sweep_tables(folder))


def read_results(folder: str | Path) -> dict[str, pd.DataFrame]:
    """Every table of a results folder (a run's or a sweep's, see :func:`query`) as pandas
    DataFrames, after checking the files.

    Examples
    --------
    >>> import contextlib, io, pathlib, tempfile
    >>> import simulation as fs
    >>> from simulation.commands.cli import main
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "calm"
    >>> with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
    ...     status = main(["run", "calm", "--out", str(out), "--replicates", "2",
    ...                    "--workers", "1", "--no-progress", "--set", "steps=20",
    ...                    "--set", "customers.count=300", "--set", "customers.degree=4",
    ...                    "--set", "firm.employees=20"])
    >>> tables = fs.read_results(out)
    >>> sorted(tables), len(tables["timeseries"])
    (['levels', 'resilience', 'summary', 'timeseries'], 200)
    """
    folder = Path(folder)
    sweep = _sweep_tables(folder)
    if sweep is not None:
        return sweep
    return {name: query(folder, f"SELECT * FROM {name}") for name in _tables(folder)}


def is_sweep_folder(folder: str | Path) -> bool:
    """Whether ``folder`` holds a sweep's results (its design table)."""
    from simulation.sweep.storage import DESIGN

    return (Path(folder) / DESIGN).is_file()


def _sweep_tables(folder: Path) -> dict[str, pd.DataFrame] | None:
    """A sweep folder's tables read through the sweep's own reader (hashes checked, links
    refused), or None for a run's folder."""
    if not is_sweep_folder(folder):
        return None
    import pandas as pd

    from simulation.store.inside import check_inside
    from simulation.sweep.storage import DESIGN, TABLES, part_files, read_table

    check_inside(folder, folder / DESIGN)
    tables = {"design": pd.read_parquet(folder / DESIGN)}
    for table in TABLES:
        if part_files(folder, table):
            tables[table] = read_table(folder, table)
    return tables


def _tables(folder: Path) -> list[str]:
    from simulation.store.results import TABLES

    found = [name for name, file in TABLES.items() if (folder / file).exists()]
    found += [name for name in ("summary", "levels") if (folder / f"{name}.csv").exists()]
    return found
