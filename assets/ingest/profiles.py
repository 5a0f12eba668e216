"""Mapping profiles: TOML files in config/profiles/ describing an export layout the header recognition alone
cannot handle (a known ERP report, a file feeding several entities, values needing constants).

A profile without `[entities]` relies on header recognition; see docs/ingest.md for the full format.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from assets.ingest.schema import ENTITIES, Entity, header_index, header_key
from stores.home import CONFIG_ROOT

PROFILES_DIR = CONFIG_ROOT / "profiles"
_TEMPLATE_FIELD = re.compile(r"\{([^{}]+)\}")


class ProfileError(Exception):
    """A profile file is wrong or a named profile does not exist."""


@dataclass
class EntitySpec:
    entity: Entity
    columns: dict[str, str]  # canonical field -> header in the file, or a "{Header}-text" template
    constants: dict[str, object] = field(default_factory=dict)
    only_when: str | None = None  # the row feeds this entity only when this field has a value
    where: dict[str, list[str]] = field(default_factory=dict)  # header -> values the row must hold
    derived: bool = False  # records collected from rows of another entity (no row accounting of their own)
    values: dict[str, dict[str, str]] = field(default_factory=dict)  # field -> {file value: canonical value}
    absolute_amounts: bool = False  # ledgers sign receipts negative; the record wants the amount received

    def source_headers(self) -> set[str]:
        used: set[str] = set(self.where)
        for source in self.columns.values():
            names = _TEMPLATE_FIELD.findall(source)
            used.update(names or [source])
        return used


@dataclass
class Profile:
    name: str
    description: str = ""
    format: str = "auto"  # auto | csv | xlsx | parquet | fec
    match_headers: list[str] = field(default_factory=list)
    encoding: str | None = None
    delimiter: str | None = None
    skip_rows: int | None = None
    sheet: str | None = None
    null_values: list[str] = field(default_factory=list)  # values meaning "empty" in this export (R's NA)
    decimal: str | None = None
    date_order: str | None = None
    currency: str | None = None
    default_terms_days: int | None = None
    issuer_id: str | None = None
    entities: list[EntitySpec] = field(default_factory=list)  # empty: recognise headers
    options: dict = field(default_factory=dict)  # format-specific settings (e.g. FEC journals)
    path: Path | None = None

    def matches(self, headers: list[str]) -> bool:
        if not self.match_headers:
            return False
        present = {header_key(h) for h in headers}
        return all(header_key(h) in present for h in self.match_headers)


def _spec(entity_name: str, body: dict, source: Path) -> EntitySpec:
    if entity_name not in ENTITIES:
        raise ProfileError(f"{source.name}: unknown entity [{entity_name}] (known: {', '.join(ENTITIES)})")
    entity = ENTITIES[entity_name]
    columns = dict(body.get("columns", {}))
    for name in [*columns, *body.get("constants", {})]:
        if name not in entity.field_names:
            raise ProfileError(f"{source.name}: {entity_name} has no field {name!r}")
    where = {k: [str(v) for v in (vs if isinstance(vs, list) else [vs])] for k, vs in body.get("where", {}).items()}
    return EntitySpec(
        entity=entity,
        columns=columns,
        constants=dict(body.get("constants", {})),
        only_when=body.get("only_when"),
        where=where,
        derived=bool(body.get("derived", False)),
        absolute_amounts=bool(body.get("absolute_amounts", False)),
        values={k: {str(a): str(b) for a, b in v.items()} for k, v in body.get("values", {}).items()},
    )


def load_profile(path: Path) -> Profile:
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(f"{path.name}: not valid TOML ({exc})") from None
    read = doc.get("read", {})
    values = doc.get("values", {})
    entities = [_spec(name, body, path) for name, body in doc.get("entities", {}).items()]
    profile = Profile(
        name=doc.get("name", path.stem),
        description=doc.get("description", ""),
        format=doc.get("format", "auto"),
        match_headers=list(doc.get("match", {}).get("headers", [])),
        encoding=read.get("encoding"),
        delimiter=read.get("delimiter"),
        skip_rows=read.get("skip_rows"),
        sheet=read.get("sheet"),
        null_values=[str(v) for v in read.get("null_values", [])],
        decimal=values.get("decimal"),
        date_order=values.get("date_order"),
        currency=values.get("currency"),
        default_terms_days=values.get("default_terms_days"),
        issuer_id=values.get("issuer_id"),
        entities=entities,
        options=dict(doc.get("options", {})),
        path=path,
    )
    if profile.decimal not in (None, ",", "."):
        raise ProfileError(f"{path.name}: values.decimal must be ',' or '.'")
    if profile.date_order not in (None, "dmy", "mdy"):
        raise ProfileError(f"{path.name}: values.date_order must be 'dmy' or 'mdy'")
    return profile


def available_profiles(directory: Path = PROFILES_DIR) -> dict[str, Profile]:
    return {p.name: p for p in (load_profile(f) for f in sorted(directory.glob("*.toml")))}


def find_profile(name_or_path: str, directory: Path = PROFILES_DIR) -> Profile:
    candidate = Path(name_or_path)
    if candidate.suffix == ".toml" and candidate.exists():
        return load_profile(candidate)
    profiles = available_profiles(directory)
    if name_or_path not in profiles:
        raise ProfileError(f"no profile named {name_or_path!r} (available: {', '.join(sorted(profiles))})")
    return profiles[name_or_path]


def recognise(headers: list[str]) -> EntitySpec | None:
    """The entity a header row describes, with the column of each field, using the built-in names.

    An entity qualifies when all its required fields and one of its signature fields are found; among
    those, the one recognising most columns wins.
    """
    best: tuple[int, EntitySpec] | None = None
    for entity in ENTITIES.values():
        index = header_index(entity)
        columns: dict[str, str] = {}
        for header in headers:
            name = index.get(header_key(header))
            if name and name not in columns:
                columns[name] = header
        if not all(r in columns for r in entity.required):
            continue
        if not any(s in columns for s in entity.signature):
            continue
        score = len(columns)
        if best is None or score > best[0]:
            best = (score, EntitySpec(entity=entity, columns=columns))
    return best[1] if best else None
