"""Command line: ``python -m sim [hydra overrides]`` runs a scenario and writes results/<run_name>/."""

from __future__ import annotations

import logging
import signal
import sys

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.override_parser.types import ChoiceSweep, OverrideType
from hydra.errors import HydraException
from hydra.types import RunMode
from omegaconf import DictConfig

from sim.config import CONFIG_DIR, group_options, register_configs, schema_keys
from sim.errors import ConfigError, InvariantError, SimInputError
from sim.results import STOP, check_writable, run_to_folder
from sim.sweep import run_job

log = logging.getLogger("sim")
register_configs()
# Mesa logs every step at INFO; a 120-month run needs only our own messages.
logging.getLogger("MESA").setLevel(logging.WARNING)


@hydra.main(version_base="1.3", config_path="../configs", config_name="config")
def _hydra_main(cfg: DictConfig) -> None:
    hydra_cfg = HydraConfig.get()
    if hydra_cfg.mode == RunMode.MULTIRUN:
        # a failed run is reported by Hydra at the end of its batch; the others go on
        folder, skipped = run_job(cfg, list(hydra_cfg.overrides.task))
        log.info("%s %s", "complete already, skipped:" if skipped else "results written to", folder)
        return
    try:
        folder = run_to_folder(cfg)
    except (SimInputError, InvariantError) as exc:
        _fail(exc)
    log.info("results written to %s", folder)
    print(folder)


def _fail(exc: Exception) -> None:
    log.error("%s", exc)
    print(f"error: {exc}", file=sys.stderr)
    sys.exit(2)


def check_overrides(args: list[str]) -> list[str]:
    """Check command-line overrides before Hydra acts on them, and return them ready for it.

    Hydra rejects a misspelt key without listing the valid ones, and creates its log folder
    under ``output.root`` before the run starts (failing with a traceback if it cannot): both
    are reported here as a :class:`ConfigError`. ``parameters.<name>=value`` is passed as
    ``++parameters.<name>=value`` (and ``agents.<kind>=...`` likewise) since they start empty;
    the model checks the name.
    """
    groups = {p.name for p in CONFIG_DIR.iterdir() if p.is_dir()} | {"hydra"}
    out = []
    for arg in args:
        if arg.startswith("-") or "=" not in arg:
            out.append(arg)
            continue
        try:
            (override,) = OverridesParser.create().parse_overrides([arg])
        except HydraException:
            out.append(arg)  # Hydra reports syntax errors with the position itself
            continue
        key = override.key_or_group
        if key in groups and key != "hydra":
            _check_group_choice(key, override)
        if "/" in key or key in groups or key.startswith("hydra.") or override.package:
            out.append(arg)  # a config group choice (phase=..., policies=[...]) or Hydra's own settings
            continue
        choices = schema_keys(key)
        leaf = key.rsplit(".", 1)[-1]
        if choices is not None and leaf not in choices:
            raise ConfigError(key, "unknown config key", choices=choices, value=leaf)
        if key == "output.root" and isinstance(override.value(), str):
            check_writable(override.value())
        if override.type == OverrideType.CHANGE and key.startswith(("parameters.", "agents.")):
            arg = "++" + arg
        out.append(arg)
    return out


def _check_group_choice(group: str, override) -> None:
    """Each option chosen for a config group (``policies=[epr,lab_network]``, also in a sweep)
    must be one of ``configs/<group>/*.yaml``; Hydra would not list them for a list."""
    value = override.value()
    options = group_options(group)
    if value is None and not override.is_delete():
        raise ConfigError(group, f"needs an option (to choose none, use ~{group})", choices=options)
    chosen = value.list if isinstance(value, ChoiceSweep) else [value]
    names = [n for v in chosen for n in (v if isinstance(v, list) else [v]) if isinstance(n, str)]
    for name in names:
        if name not in options:
            raise ConfigError(group, f"unknown option {name!r} of configs/{group}", choices=options, value=name)


def _terminate(signum, frame) -> None:
    STOP.set()  # the run stops at the end of the month and cleans up its unfinished results


def main() -> None:
    signal.signal(signal.SIGTERM, _terminate)
    try:
        sys.argv[1:] = check_overrides(sys.argv[1:])
    except SimInputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
    _hydra_main()


if __name__ == "__main__":
    main()
