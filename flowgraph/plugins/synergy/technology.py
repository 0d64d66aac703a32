"""Technologies: scenarios of a case marked as technologies, with stage and declared links.

A technology is a [[scenario]] with `technology = true` (or one named in [synergy]
technologies) and these meta keys: `stage` (input, utilisation, output), optionally `key` (a
short name for summaries, default the name's slug), `links` (keys or names of technologies it is
declared to act together with), `inter_technology` (a source's own verdict on whether it has
inter-technology synergy), `saves` ({value-flow row: flow id or list}: where its saving is
measured) and `stated` ({value-flow row: amount}: the saving a source states).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ...errors import CaseFileError, name_list
from ...model.schema import allowed
from .settings import slug

STAGES = tuple(s for s in allowed("node", "stage") if s)
#: z position of each stage in the synergy views
STAGE_ORDER = {stage: i + 1 for i, stage in enumerate(STAGES)}


@dataclass
class Technology:
    """One technology of the system: its scenario and what the case declares about it."""

    name: str
    key: str
    stage: str
    scenario: object
    links: tuple = ()
    inter_technology: bool | None = None
    saves: dict = field(default_factory=dict)
    stated: dict = field(default_factory=dict)
    description: str = ""
    origin: str | None = None
    partners: tuple = ()          # keys it is declared with, its own links and others' to it

    @property
    def declared_inter(self) -> bool:
        """Inter-technology synergy as declared: the stated verdict, else any declared pair."""
        return bool(self.partners) if self.inter_technology is None else self.inter_technology


def technologies(case, settings) -> list[Technology]:
    """The case's technologies in order, checked: stage, keys, links, saves, stated."""
    where = scenario_origins(case)
    if settings.technologies is not None:
        missing = [n for n in settings.technologies if n not in case.scenarios]
        if missing:
            raise CaseFileError(f"[synergy] technologies: {name_list(missing)} are not scenarios "
                                f"of the case (scenarios: {name_list(case.scenarios)})",
                                origin=settings.origin)
        names = list(settings.technologies)
    else:
        names = [n for n, sc in case.scenarios.items() if sc.meta.get("technology")]
    techs = [_technology(case.scenarios[n], where.get(n, settings.origin), settings)
             for n in names]
    by_key: dict = {}
    for t in techs:
        if t.key in by_key:
            raise CaseFileError(f"technologies '{by_key[t.key].name}' and '{t.name}' have the same "
                                f"key '{t.key}'; give one a `key`", origin=t.origin)
        by_key[t.key] = t
    by_name = {t.name: t for t in techs}
    for t in techs:
        resolved = []
        for link in t.links:
            other = by_key.get(link) or by_name.get(link)
            if other is None:
                raise CaseFileError(f"technology '{t.name}': link '{link}' names no technology "
                                    f"of the case (keys: {name_list(by_key)})", origin=t.origin)
            if other is t:
                raise CaseFileError(f"technology '{t.name}' is linked to itself", origin=t.origin)
            resolved.append(other.key)
        t.links = tuple(dict.fromkeys(resolved))
    for t in techs:
        t.partners = tuple(o.key for o in techs if o.key in t.links or t.key in o.links)
    return techs


def _technology(sc, origin, settings) -> Technology:
    meta = dict(sc.meta)
    what = f"technology '{sc.name}'"
    stage = meta.get("stage")
    if stage not in STAGES:
        raise CaseFileError(f"{what}: stage must be one of {', '.join(STAGES)}, not {stage!r}",
                            origin=origin)
    key = str(meta.get("key") or slug(sc.name))
    links = meta.get("links", [])
    if isinstance(links, str):
        links = [links]
    if not isinstance(links, list) or not all(isinstance(x, str) for x in links):
        raise CaseFileError(f"{what}: links must be a list of technology keys or names",
                            origin=origin)
    verdict = meta.get("inter_technology")
    if verdict is not None and not isinstance(verdict, bool):
        raise CaseFileError(f"{what}: inter_technology must be true or false, not {verdict!r}",
                            origin=origin)
    rows = {r.name for r in settings.value_flow}
    saves = _row_table(meta.get("saves", {}), "saves", what, origin, rows)
    saves = {row: tuple([v] if isinstance(v, str) else v) for row, v in saves.items()}
    for row, flows in saves.items():
        if not flows or not all(isinstance(f, str) for f in flows):
            raise CaseFileError(f"{what}: saves.{row} must be a flow id or a list of them",
                                origin=origin)
    stated = _row_table(meta.get("stated", {}), "stated", what, origin, rows)
    for row, v in stated.items():
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise CaseFileError(f"{what}: stated.{row} must be a number, not {v!r}",
                                origin=origin)
    return Technology(sc.name, key, stage, sc, tuple(links), verdict, saves,
                      {k: float(v) for k, v in stated.items()}, str(meta.get("description", "")),
                      origin)


def _row_table(value, key, what, origin, rows) -> dict:
    if not isinstance(value, dict):
        raise CaseFileError(f"{what}: {key} must be a table of value-flow rows", origin=origin)
    bad = [r for r in value if r not in rows]
    if bad:
        raise CaseFileError(f"{what}: {key} names value-flow row(s) {name_list(bad)} that "
                            f"[[synergy.value_flow]] does not declare (rows: "
                            f"{name_list(sorted(rows)) or 'none'})", origin=origin)
    return dict(value)


def check_flows(techs, base, networks) -> None:
    """Every flow a technology's `saves` names must exist with or without it."""
    for t in techs:
        net = networks[t.key]
        for row, flows in t.saves.items():
            missing = [f for f in flows if f not in base.flow_frame().index
                       and f not in net.flow_frame().index]
            if missing:
                raise CaseFileError(f"technology '{t.name}': saves.{row} names flow(s) "
                                    f"{name_list(missing)} that are in neither the base nor "
                                    f"the technology's network", flows=missing, origin=t.origin)


def scenario_origins(case) -> dict:
    """Where each scenario of the case is given (a case file's line, a workbook's cell),
    by scenario name, as the case read it."""
    return {name: where for name, (where, _) in case.scenario_origins.items() if where}
