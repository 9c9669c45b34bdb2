"""What the command line checks before Hydra acts, and what ``python -m sim --help`` shows.

Hydra reports many input mistakes with its own wording, a ``+`` hint that adds the wrong key, a
traceback (a YAML file with a tab) or a lexer error (a path with non-ASCII characters), and it
creates its log folder before the run starts. :func:`check_command_line` composes every run of
the command (each value of a sweep once) with Hydra's compose API first, so that bad input gets
the project's ``error: <where>: <what> (valid choices ...)`` and nothing is written.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import yaml
from hydra import compose, initialize_config_dir
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.override_parser.types import ChoiceSweep, Override, OverrideType
from hydra.errors import HydraException
from omegaconf import OmegaConf

from sim.config import CONFIG_DIR, SimConfig, _compose_lock, register_configs, schema_keys
from sim.errors import ConfigError

#: Hydra's flags that take a value as the next argument
VALUE_FLAGS = {"-cd", "--config-dir", "-cn", "--config-name", "-cp", "--config-path", "-c", "--cfg", "-p",
               "--package", "-i", "--info", "--experimental-rerun"}
#: keys whose value is a file or folder: quoted for Hydra's lexer when it would refuse them
PATH_KEYS = ("scenario", "output.root")
#: characters Hydra's grammar gives a meaning to in a value
GRAMMAR = re.compile(r"[\[\]{}(),='\"]")


@dataclasses.dataclass
class CommandLine:
    flags: list[str]
    overrides: list[str]
    config_dir: Path | None = None
    config_name: str = "config"
    #: the runs' output.root, and whether it was there before the command
    root: Path = Path("results")
    root_existed: bool = True

    @property
    def multirun(self) -> bool:
        return "-m" in self.flags or "--multirun" in self.flags

    def argv(self) -> list[str]:
        return [*self.flags, *self.overrides]


def split(args: list[str]) -> CommandLine:
    """Hydra's flags (with their values) apart from the overrides."""
    flags, overrides, config_dir, config_name = [], [], None, "config"
    items = iter(args)
    for arg in items:
        name, has_value, value = arg.partition("=") if arg.startswith("--") else (arg, "", "")
        if arg.startswith("-"):
            flags.append(arg)
            if name in VALUE_FLAGS and not has_value:
                value = next(items, "")
                flags.append(value)
            if name in ("-cd", "--config-dir"):
                config_dir = Path(value).expanduser().resolve()
            elif name in ("-cn", "--config-name"):
                config_name = value
        else:
            overrides.append(arg)
    return CommandLine(flags, overrides, config_dir, config_name)


def config_dirs(line: CommandLine) -> list[Path]:
    return [CONFIG_DIR] + ([line.config_dir] if line.config_dir else [])


def group_options(group: str, dirs: list[Path]) -> list[str]:
    return sorted({p.stem for d in dirs for p in (d / group).glob("*.yaml")})


# ---- single overrides -------------------------------------------------------------------
def parse(arg: str) -> tuple[str, Override]:
    """The override, parsed; a path Hydra's lexer refuses (non-ASCII letters, brackets) is quoted."""
    parser = OverridesParser.create()
    try:
        return arg, parser.parse_override(arg)
    except HydraException as exc:
        key, _, value = arg.partition("=")
        bare = key.lstrip("+~")
        if value and (bare in PATH_KEYS or not value.isascii()) and not (value[0] in "'\"" or GRAMMAR.match(value)):
            quoted = f"{key}='" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
            try:
                return quoted, parser.parse_override(quoted)
            except HydraException:
                pass
        message = str(exc).splitlines()[0] if str(exc) else "cannot be parsed"
        raise ConfigError(arg, f"cannot be read as an override ({message}); a value with spaces or "
                          "brackets needs quotes: key='value'") from exc


def check_override(override: Override, line: CommandLine) -> None:
    """Keys must exist in the schema, group options in the config folders."""
    key = override.key_or_group
    dirs = config_dirs(line)
    groups = {p.name for d in dirs if d.is_dir() for p in d.iterdir() if p.is_dir()} - {"hydra"}
    if key in groups:
        value = override.value()
        options = group_options(key, dirs)
        if value is None and not override.is_delete():
            raise ConfigError(key, f"needs an option (to choose none, use ~{key})", choices=options)
        chosen = value.list if isinstance(value, ChoiceSweep) else [value]
        for option in chosen:
            names = [n for n in (option if isinstance(option, list) else [option]) if isinstance(n, str)]
            for name in names:
                if name not in options:
                    raise ConfigError(key, f"unknown option {name!r} of configs/{key}", choices=options, value=name)
                if names.count(name) > 1:
                    raise ConfigError(key, f"lists {name!r} more than once")
        return
    if "/" in key or key.startswith("hydra.") or key == "hydra" or override.package:
        return
    choices = schema_keys(key)
    leaf = key.rsplit(".", 1)[-1]
    if choices is not None and leaf not in choices:
        raise ConfigError(key, "unknown config key", choices=choices, value=leaf)
    if key.startswith("parameters."):
        check_parameter_key(key)


def check_parameter_key(key: str) -> None:
    from sim.parameters import SCHEMA

    parts = key.split(".")
    name = parts[1]
    if name not in SCHEMA:
        raise ConfigError(key, "unknown parameter", choices=SCHEMA, value=name)
    keys = SCHEMA[name].keys
    if len(parts) > 2 and (parts[2] not in keys or len(parts) > 3):
        raise ConfigError(key, f"{name} has no part {'.'.join(parts[2:])!r}", choices=keys, value=parts[2])


def import_named_modules(overrides: list[Override]) -> None:
    """Import the extensions and actor classes the command line names: they may declare the
    pilots and scenario parameters its other overrides set."""
    from sim.agents.kinds import resolve_actor_classes
    from sim.config import import_extensions

    for override in overrides:
        key, value = override.key_or_group, override.value()
        if key == "extensions" and isinstance(value, list):
            import_extensions([str(v) for v in value])
        elif key.startswith("agents.") and isinstance(value, (str, dict)):
            resolve_actor_classes({key.split(".", 1)[1]: value})


def check_pilot_key(key: str, active: list[str], group_text: str) -> None:
    """``policies.<pilot>.<parameter>``: the pilot must be switched on, the parameter one of its own."""
    from sim.policies import REGISTRY

    parts = key.split(".")
    pilot = parts[1]
    if pilot not in REGISTRY:
        raise ConfigError(key, "unknown pilot", choices=REGISTRY, value=pilot)
    # a pilot kept outside sim/ (own defaults file, no configs/policies option) is switched on
    # by setting one of its parameters with +policies.<pilot>.<parameter>=...
    if pilot not in active and REGISTRY[pilot].defaults_file is None:
        switch = ",".join([*active, pilot])
        raise ConfigError(f"policies.{pilot}", f"pilot {pilot!r} is not switched on in this run{group_text}, so "
                          f"its parameters cannot be set; switch it on with policies=[{switch}]",
                          choices=active or None)
    fields = [f.name for f in dataclasses.fields(REGISTRY[pilot].Params)]
    if len(parts) > 2 and parts[2] not in fields:
        raise ConfigError(key, "unknown parameter of the pilot", choices=fields, value=parts[2])


# ---- whole runs ---------------------------------------------------------------------------
def _error_from(exc: BaseException, where: str) -> ConfigError:
    """Hydra's, OmegaConf's or YAML's exception as a ConfigError that says where."""
    seen = exc
    while seen is not None:
        if isinstance(seen, yaml.MarkedYAMLError):
            mark = seen.problem_mark or seen.context_mark
            place = f"{mark.name}:{mark.line + 1}:{mark.column + 1}" if mark is not None else where
            problem = seen.problem or seen.context or "bad YAML"
            if "'\\t'" in problem:
                problem = "a tab character; YAML indents with spaces only"
            return ConfigError(place, f"cannot be read as YAML: {problem}")
        if getattr(seen, "full_key", None):
            text = str(seen).splitlines()[0]
            return ConfigError(str(seen.full_key), text)
        seen = seen.__cause__ or seen.__context__
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    text = re.sub(r"\s*To append to your default list use \+.*", "", text)
    return ConfigError(where, text)


def _compose(line: CommandLine, overrides: list[str]):
    register_configs()
    primary, extra = CONFIG_DIR, []
    if line.config_dir is not None:  # Hydra finds the primary config in either folder, the groups in both
        own = (line.config_dir / f"{line.config_name}.yaml").is_file()
        primary, other = (line.config_dir, CONFIG_DIR) if own else (CONFIG_DIR, line.config_dir)
        extra = [f"hydra.searchpath=[file://{other}]"]
    try:
        with _compose_lock, initialize_config_dir(config_dir=str(primary), version_base="1.3"):
            return compose(config_name=line.config_name, overrides=[*extra, *overrides])
    except Exception as exc:  # Hydra, OmegaConf and YAML each raise their own error types
        raise _error_from(exc, " ".join(overrides) or line.config_name) from exc


def _check_composed(cfg) -> None:
    """Keys, types and pilot parameters of a composed config (what the run would check first)."""
    from sim.config import as_config
    from sim.policies import REGISTRY
    from sim.policies.base import make_params

    from sim.agents.kinds import resolve_actor_classes
    from sim.config import import_extensions

    sim_cfg = as_config(cfg)
    import_extensions(sim_cfg.extensions)
    resolve_actor_classes(sim_cfg.agents)
    for name, raw in sim_cfg.policies.items():
        if name not in REGISTRY:
            raise ConfigError(f"policies.{name}", "unknown policy", choices=REGISTRY, value=name)
        if not isinstance(raw, dict):
            raise ConfigError(f"policies.{name}", f"needs a mapping of parameters, got {raw!r}")
        make_params(REGISTRY[name], dict(raw), f"policies.{name}")
    return sim_cfg


def _jobs(line: CommandLine, parsed: list[Override]) -> list[list[str]]:
    if not line.multirun:
        return [line.overrides]
    from hydra._internal.core_plugins.basic_sweeper import BasicSweeper

    batches = BasicSweeper.split_arguments(parsed, None)
    return [job for batch in batches for job in batch]


def check_command_line(args: list[str]) -> CommandLine:
    """The command line, checked and ready for Hydra (paths quoted, ``parameters.x`` as ``++``).

    Every distinct choice of config groups of the command is composed, then each other
    override once on top of the first: a sweep of 60 runs costs a handful of compositions."""
    line = split(args)
    if line.config_dir is not None and not line.config_dir.is_dir():
        raise ConfigError("--config-dir", f"{line.config_dir} is not a folder")
    names = sorted({p.stem for d in config_dirs(line) for p in d.glob("*.yaml")})
    if line.config_name not in names:
        raise ConfigError("--config-name", f"no config {line.config_name!r} in {', '.join(map(str, config_dirs(line)))}",
                          choices=names, value=line.config_name)
    ready, parsed = [], []
    import_named_modules([parse(arg)[1] for arg in line.overrides])
    for arg in line.overrides:
        text, override = parse(arg)
        check_override(override, line)
        if override.type == OverrideType.CHANGE and override.key_or_group.startswith(("parameters.", "agents.")):
            text = "++" + text
        ready.append(text)
        parsed.append(OverridesParser.create().parse_override(text))
    line.overrides = ready
    if "--cfg" in line.flags or "-c" in line.flags or "--info" in line.flags or "-i" in line.flags:
        return line
    dirs = config_dirs(line)
    groups = {p.name for d in dirs if d.is_dir() for p in d.iterdir() if p.is_dir()}
    parser = OverridesParser.create()
    combos, values, scenarios = {}, {}, set()
    jobs = _jobs(line, parsed)
    for job in jobs:
        chosen = parser.parse_overrides(job)
        # config group choices and Hydra's own settings (a launcher and its options) go together
        group = tuple(t for t, o in zip(job, chosen) if o.key_or_group in groups or o.key_or_group == "policies"
                      or "/" in o.key_or_group or o.key_or_group.startswith("hydra"))
        combos.setdefault(group, []).extend(t for t, o in zip(job, chosen) if t not in group)
        for text, override in zip(job, chosen):
            if text not in group:
                values.setdefault(text, override)
    first_group = None
    for group, others in combos.items():
        sim_cfg = _check_composed(_compose(line, list(group)))
        first_group = group if first_group is None else first_group
        active = sorted(sim_cfg.policies)
        label = f" ({' '.join(group)})" if group else ""
        for text in dict.fromkeys(others):
            key = values[text].key_or_group
            if key.startswith("policies."):
                check_pilot_key(key, active, label)
    for text in values:
        scenarios.add(_check_composed(_compose(line, [*(first_group or ()), text])).scenario)
    full = _check_composed(_compose(line, jobs[0]))
    if line.multirun:  # a broken scenario file stops the sweep before any run starts
        from sim.scenario import DEFAULT_SCENARIO, load_scenario

        for folder in scenarios | {full.scenario}:
            load_scenario(folder or DEFAULT_SCENARIO)
    from sim.results import check_writable

    check_writable(full.output.root)
    line.root = Path(full.output.root).resolve()
    line.root_existed = line.root.exists()
    return line


# ---- help ---------------------------------------------------------------------------------
def _comment_of(path: Path) -> str:
    """First comment line of a config file: what it is."""
    for text in path.read_text(encoding="utf-8").splitlines():
        if text.startswith("#") and "@package" not in text:
            return text.lstrip("# ").strip()
    return ""


def help_text() -> str:
    """Groups, pilots with their parameters (unit, default) and the scenario parameters."""
    from sim.policies import REGISTRY
    from sim.policies.base import default_params
    from sim.scenario import DEFAULT_SCENARIO

    out = ["usage: python -m sim [-m] [key=value ...]", "",
           "Runs the WB6 circular-economy model and writes results/<run_name>/ (kpis, flows, investments,",
           "config, manifest). -m sweeps comma-separated values (results/sweeps/<output.sweep_name>/).",
           "Hydra's own help: --hydra-help; the resolved config of a run: --cfg job <overrides>.", "",
           "examples:", "  python -m sim phase=short_term seed=3",
           "  python -m sim 'policies=[landfill_fee,epr]' policies.landfill_fee.start_month=6",
           "  python -m sim parameters.transport_eur_tkm_road=0.06 months=60",
           "  python -m sim -m hydra/launcher=parallel phase=baseline,roadmap seed=1,2,3", "",
           "run settings (key=value):"]
    defaults = OmegaConf.structured(SimConfig)
    for field in dataclasses.fields(SimConfig):
        if field.name in ("parameters", "policies"):
            continue
        value = defaults[field.name]
        if OmegaConf.is_dict(value):
            out += [f"  {field.name}.{k} = {v}" for k, v in value.items()]
        elif OmegaConf.is_list(value):
            out.append(f"  {field.name} = {list(value)!r}")
        else:
            out.append(f"  {field.name} = {value!r}")
    out += ["", "phase=<name> (a roadmap phase's pilot bundle):"]
    for path in sorted((CONFIG_DIR / "phase").glob("*.yaml")):
        out.append(f"  {path.stem:20s} {_comment_of(path)}")
    out += ["", "pilots: policies=[name,...], then policies.<name>.<parameter>=value:"]
    for name in sorted(REGISTRY):
        out.append(f"  {name}: {_comment_of(CONFIG_DIR / 'policies' / f'{name}.yaml')}")
        values = default_params(name)
        for field in dataclasses.fields(REGISTRY[name].Params):
            unit = field.metadata.get("unit", "")
            out.append(f"      {field.name} = {values.get(field.name)!r}  [{unit}]")
    out += ["", "scenario parameters: parameters.<name>=value (defaults of sim/data/parameters.yaml):"]
    raw = yaml.safe_load((DEFAULT_SCENARIO / "parameters.yaml").read_text(encoding="utf-8"))
    for name, entry in raw.items():
        out.append(f"  {name} = {entry.get('value')!r}  [{entry.get('unit', '')}]")
    return "\n".join(out)
