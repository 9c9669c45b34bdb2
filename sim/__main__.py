"""Command line: ``python -m sim [hydra overrides]`` runs a scenario and writes results/<run_name>/."""

from __future__ import annotations

import logging
import sys

import hydra
from omegaconf import DictConfig

from sim.config import register_configs
from sim.errors import InvariantError, SimInputError
from sim.results import run_to_folder

log = logging.getLogger("sim")
register_configs()
# Mesa logs every step at INFO; a 120-month run needs only our own messages.
logging.getLogger("MESA").setLevel(logging.WARNING)


@hydra.main(version_base="1.3", config_path="../configs", config_name="config")
def _hydra_main(cfg: DictConfig) -> None:
    try:
        folder = run_to_folder(cfg)
    except (SimInputError, InvariantError) as exc:
        log.error("%s", exc)
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
    log.info("results written to %s", folder)
    print(folder)


def main() -> None:
    _hydra_main()


if __name__ == "__main__":
    main()
