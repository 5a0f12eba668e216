"""Dunning policies: version-controlled TOML files a finance lead can read (config/policies/*.toml).

A policy selects customers (segment, tags, amount band, risk band, channel) and lists steps relative to the
due date (D-7, D+1, D+10, ...). Each step names its channel, template, language, tone and attachments, and
may define variants (template, tone, channel or timing) split by weight; assignment is deterministic per
customer. Files are validated on load; every error names the file, the line and the problem.

tomllib gives values but no positions, so a small scanner maps each table and key of the text to its line
(`_LineIndex`); an error found on a parsed value is reported at the line where that key was written.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import time
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from stores.home import CONFIG_ROOT

POLICY_DIR = CONFIG_ROOT / "policies"
TEMPLATE_DIR = CONFIG_ROOT / "templates" / "dunning"

# Channels the outbox delivers on (docs/contracts.md), plus the two dunning-only choices.
DELIVERY_CHANNELS = ("email", "platform", "edi", "ap_portal", "paper")
CUSTOMER_CHANNEL = "customer"  # the customer's preferred channel
MANUAL_CHANNEL = "manual"  # hand over to a person: a draft line for the credit manager, nothing is sent
STEP_CHANNELS = DELIVERY_CHANNELS + (CUSTOMER_CHANNEL, MANUAL_CHANNEL)
LANGUAGES = ("fr", "en")
STEP_LANGUAGES = LANGUAGES + ("customer",)
TONES = ("informative", "friendly", "firm", "formal", "final")
OFFSET_RANGE = (-90, 365)  # days relative to the due date
STEP_NAME = re.compile(r"^[a-z0-9][a-z0-9_\-+]{0,40}$")
# The files a template may provide; the channel decides which ones are rendered.
TEMPLATE_PARTS = ("subject.txt", "body.txt", "body.html", "letter.html")


class PolicyError(ValueError):
    """A policy file is wrong; `problems` holds every (file, line, message) found."""

    def __init__(self, problems: list[tuple[Path, int | None, str]]):
        self.problems = problems
        super().__init__("\n".join(format_problem(*p) for p in problems))


def format_problem(path: Path, line: int | None, message: str) -> str:
    return f"{path}:{line}: {message}" if line else f"{path}: {message}"


@dataclass(frozen=True)
class Variant:
    name: str
    weight: int
    template: str | None = None
    tone: str | None = None
    channel: str | None = None
    offset_shift: int = 0  # timing variant: days added to the step's offset


@dataclass(frozen=True)
class Step:
    name: str
    offset: int
    channel: str
    template: str
    language: str
    tone: str
    attach_invoice: bool
    attach_statement: bool
    variants: tuple[Variant, ...] = ()

    def variant_for(self, policy: str, customer_id: str) -> Variant | None:
        """Deterministic assignment: the same customer always lands in the same variant of a step."""
        if not self.variants:
            return None
        digest = hashlib.sha256(f"{policy}\x1f{self.name}\x1f{customer_id}".encode()).digest()
        total = sum(v.weight for v in self.variants)
        point = int.from_bytes(digest[:8], "big") % total
        for variant in self.variants:
            if point < variant.weight:
                return variant
            point -= variant.weight
        raise AssertionError("unreachable: weights cover the whole range")


@dataclass(frozen=True)
class ResolvedStep:
    """A step as it applies to one customer, with its variant folded in."""

    step: Step
    variant: Variant | None
    offset: int
    channel: str
    template: str
    tone: str

    @property
    def name(self) -> str:
        return self.step.name


@dataclass(frozen=True)
class Selector:
    segments: tuple[str, ...] = ()
    tags_any: tuple[str, ...] = ()
    tags_none: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    risk_bands: tuple[str, ...] = ()
    min_amount: Decimal | None = None
    max_amount: Decimal | None = None

    def matches_customer(self, customer: dict[str, Any]) -> bool:
        tags = set(customer.get("tags") or ())
        if self.segments and customer.get("segment") not in self.segments:
            return False
        if self.tags_any and not tags.intersection(self.tags_any):
            return False
        if self.tags_none and tags.intersection(self.tags_none):
            return False
        if self.channels and customer.get("preferred_channel") not in self.channels:
            return False
        if self.risk_bands and customer.get("risk_band") not in self.risk_bands:
            return False
        return True

    def matches_amount(self, amount: Decimal) -> bool:
        if self.min_amount is not None and amount < self.min_amount:
            return False
        if self.max_amount is not None and amount >= self.max_amount:
            return False
        return True


@dataclass(frozen=True)
class Rules:
    sending_start: time = time(8, 0)
    sending_end: time = time(19, 0)
    skip_weekends: bool = True
    holidays_country: str | None = "FR"
    min_days_between_contacts: int = 0
    payments_max_age_hours: int = 48
    consolidate: bool = False


@dataclass(frozen=True)
class Resend:
    after_days: int
    before_due_only: bool = True


@dataclass(frozen=True)
class Statement:
    every_days: int | None  # None with rhythm monthly
    day_of_month: int | None
    channel: str
    template: str
    language: str


@dataclass(frozen=True)
class Policy:
    name: str
    path: Path
    description: str
    priority: int
    selector: Selector
    rules: Rules
    steps: tuple[Step, ...]
    resend: Resend | None = None
    statement: Statement | None = None

    def resolved_steps(self, customer_id: str) -> list[ResolvedStep]:
        out = []
        for step in self.steps:
            variant = step.variant_for(self.name, customer_id)
            out.append(
                ResolvedStep(
                    step=step,
                    variant=variant,
                    offset=step.offset + (variant.offset_shift if variant else 0),
                    channel=(variant.channel if variant and variant.channel else step.channel),
                    template=(variant.template if variant and variant.template else step.template),
                    tone=(variant.tone if variant and variant.tone else step.tone),
                )
            )
        return out

    def step(self, name: str) -> Step:
        for step in self.steps:
            if step.name == name:
                return step
        raise KeyError(f"policy {self.name!r} has no step {name!r}; steps: {', '.join(s.name for s in self.steps)}")


# --------------------------------------------------------------------------------------------- positions
_TABLE_HEADER = re.compile(r"^\s*(\[\[?)\s*([A-Za-z0-9_.\-\" ]+?)\s*\]\]?\s*(#.*)?$")
_KEY_LINE = re.compile(r"^\s*([A-Za-z0-9_\-]+)\s*=")


class _LineIndex:
    """Maps paths like ("steps", 2, "channel") to the 1-based line where they were written."""

    def __init__(self, text: str):
        self.lines: dict[tuple, int] = {}
        counters: dict[tuple, int] = {}
        current: tuple = ()
        for number, raw in enumerate(text.splitlines(), start=1):
            header = _TABLE_HEADER.match(raw)
            if header and not raw.lstrip().startswith("#"):
                names = tuple(p.strip().strip('"') for p in header.group(2).split("."))
                # Nested arrays of tables belong to the latest element of their parent array.
                resolved: list = []
                for name in names[:-1]:
                    resolved.append(name)
                    parent = tuple(resolved)
                    if parent in counters:
                        resolved.append(counters[parent] - 1)
                resolved.append(names[-1])
                base = tuple(resolved)
                if header.group(1) == "[[":
                    index = counters.get(base, 0)
                    counters[base] = index + 1
                    current = base + (index,)
                else:
                    current = base
                self.lines.setdefault(current, number)
                continue
            key = _KEY_LINE.match(raw)
            if key:
                self.lines.setdefault(current + (key.group(1),), number)

    def line(self, path: Iterable) -> int | None:
        path = tuple(path)
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return None


# --------------------------------------------------------------------------------------------- loading
class _Checker:
    def __init__(self, path: Path, index: _LineIndex):
        self.path = path
        self.index = index
        self.problems: list[tuple[Path, int | None, str]] = []

    def fail(self, where: tuple, message: str) -> None:
        self.problems.append((self.path, self.index.line(where), message))

    def allowed_keys(self, table: dict, where: tuple, allowed: Iterable[str]) -> None:
        allowed = set(allowed)
        for key in table:
            if key not in allowed:
                self.fail(
                    where + (key,),
                    f"unknown key {key!r} in {_describe(where)}; expected one of {', '.join(sorted(allowed))}",
                )

    def get(
        self, table: dict, where: tuple, key: str, kind: type | tuple, default: Any = None, required: bool = False
    ) -> Any:
        if key not in table:
            if required:
                self.fail(where, f"{_describe(where)} is missing {key!r}")
            return default
        value = table[key]
        if (kind is int and isinstance(value, bool)) or not isinstance(value, kind):
            expected = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
            self.fail(where + (key,), f"{key!r} must be {expected}, got {value!r}")
            return default
        return value

    def choice(
        self,
        table: dict,
        where: tuple,
        key: str,
        choices: tuple,
        default: Any = None,
        required: bool = False,
        what: str = "value",
    ) -> Any:
        value = self.get(table, where, key, str, default=None, required=required)
        if value is None:
            return default
        if value not in choices:
            self.fail(where + (key,), f"unknown {what} {value!r}; expected one of {', '.join(choices)}")
            return default
        return value

    def amount(self, table: dict, where: tuple, key: str) -> Decimal | None:
        value = self.get(table, where, key, (str, int, float))
        if value is None:
            return None
        try:
            amount = Decimal(str(value))
        except InvalidOperation:
            self.fail(where + (key,), f"{key!r} is not an amount: {value!r}")
            return None
        if amount < 0:
            self.fail(where + (key,), f"{key!r} must not be negative, got {value!r}")
        return amount

    def strings(self, table: dict, where: tuple, key: str) -> tuple[str, ...]:
        value = self.get(table, where, key, list, default=[])
        if not all(isinstance(v, str) for v in value):
            self.fail(where + (key,), f"{key!r} must be a list of strings")
            return ()
        return tuple(value)


def _describe(where: tuple) -> str:
    if not where:
        return "the policy"
    parts = []
    for p in where:
        parts.append(f"[{p + 1}]" if isinstance(p, int) else (("." if parts else "") + p))
    return "".join(parts)


def _require_template(
    check: _Checker, name: str, channel: str, languages: tuple[str, ...], template_dir: Path, at: tuple
) -> None:
    """Record the first language in which `name` cannot serve `channel` (a manual step may have no template)."""
    if channel == MANUAL_CHANNEL and not name:
        return
    for language in languages:
        missing = _template_missing(name, language, channel, template_dir)
        if missing:
            check.fail(at, f"missing template: {missing}")
            return


def _template_missing(template: str, language: str, channel: str, template_dir: Path) -> str | None:
    """Why `template` cannot serve `channel` in `language`, or None when it can."""
    folder = template_dir / template / language
    if not template:
        return "no template named"
    if not folder.is_dir():
        return f"template {template!r} has no {language!r} version (looked for folder {folder})"
    has = {part for part in TEMPLATE_PARTS if (folder / part).exists()}
    if channel == "paper":
        needed = [("letter.html",)]
    elif channel in ("email", CUSTOMER_CHANNEL):
        # "customer" resolves to e-mail for most customers and to paper for some: both must be possible.
        needed = [("subject.txt",), ("body.txt", "body.html")]
        if channel == CUSTOMER_CHANNEL:
            needed.append(("letter.html",))
    else:
        needed = [("body.txt", "body.html")]
    for alternatives in needed:
        if not has.intersection(alternatives):
            return (
                f"template {template!r} ({language}) has no {' or '.join(alternatives)}, needed for "
                f"channel {channel!r} (folder {folder})"
            )
    return None


def _parse_hours(text: str) -> tuple[time, time] | None:
    match = re.fullmatch(r"(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})", text.strip())
    if not match:
        return None
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if not (0 <= h1 <= 23 and 0 <= h2 <= 24 and m1 < 60 and m2 < 60) or (h2 == 24 and m2):
        return None
    # "24:00" is the end of the day: time.max, so the last minute (23:59:xx) is inside the window too
    end = time.max if h2 == 24 and m2 == 0 else time(h2, m2)
    start = time(h1, m1)
    return (start, end) if start < end else None


def parse_policy(text: str, path: Path, template_dir: Path = TEMPLATE_DIR) -> Policy:
    path = Path(path)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        where = re.search(r"\(at line (\d+), column \d+\)", str(exc))
        line = getattr(exc, "lineno", None) or (int(where.group(1)) if where else None)
        message = getattr(exc, "msg", None) or re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
        raise PolicyError([(path, line, f"not valid TOML: {message}")]) from None
    check = _Checker(path, _LineIndex(text))
    check.allowed_keys(
        data, (), ("name", "description", "priority", "selector", "rules", "resend", "statement", "steps")
    )
    name = check.get(data, (), "name", str, default=path.stem)
    description = check.get(data, (), "description", str, default="")
    priority = check.get(data, (), "priority", int, default=100)

    sel = check.get(data, (), "selector", dict, default={})
    check.allowed_keys(
        sel, ("selector",), ("segments", "tags_any", "tags_none", "channels", "risk_bands", "min_amount", "max_amount")
    )
    where = ("selector",)
    selector = Selector(
        segments=check.strings(sel, where, "segments"),
        tags_any=check.strings(sel, where, "tags_any"),
        tags_none=check.strings(sel, where, "tags_none"),
        channels=check.strings(sel, where, "channels"),
        risk_bands=check.strings(sel, where, "risk_bands"),
        min_amount=check.amount(sel, where, "min_amount"),
        max_amount=check.amount(sel, where, "max_amount"),
    )
    for channel in selector.channels:
        if channel not in DELIVERY_CHANNELS:
            check.fail(
                where + ("channels",),
                f"unknown channel {channel!r} in selector; expected one of {', '.join(DELIVERY_CHANNELS)}",
            )
    if (
        selector.min_amount is not None
        and selector.max_amount is not None
        and selector.min_amount >= selector.max_amount
    ):
        check.fail(where + ("max_amount",), "max_amount must be greater than min_amount")

    raw_rules = check.get(data, (), "rules", dict, default={})
    where = ("rules",)
    check.allowed_keys(
        raw_rules,
        where,
        (
            "sending_hours",
            "skip_weekends",
            "holidays",
            "consolidate",
            "min_days_between_contacts",
            "payments_max_age_hours",
        ),
    )
    hours_text = check.get(raw_rules, where, "sending_hours", str, default="08:00-19:00")
    hours = _parse_hours(hours_text)
    if hours is None:
        check.fail(
            where + ("sending_hours",),
            f'sending_hours must look like "08:00-19:00" (start before end), got {hours_text!r}',
        )
        hours = (time(8, 0), time(19, 0))
    holidays_country = check.get(raw_rules, where, "holidays", str, default="FR") or None
    if holidays_country:
        import holidays as holidays_lib

        if holidays_country not in holidays_lib.list_supported_countries():
            check.fail(where + ("holidays",), f"unknown holidays country {holidays_country!r}")
    gap = check.get(raw_rules, where, "min_days_between_contacts", int, default=0)
    max_age = check.get(raw_rules, where, "payments_max_age_hours", int, default=48)
    if gap < 0:
        check.fail(where + ("min_days_between_contacts",), "min_days_between_contacts must be 0 or more")
    if max_age <= 0:
        check.fail(where + ("payments_max_age_hours",), "payments_max_age_hours must be positive")
    rules = Rules(
        sending_start=hours[0],
        sending_end=hours[1],
        skip_weekends=check.get(raw_rules, where, "skip_weekends", bool, default=True),
        holidays_country=holidays_country,
        min_days_between_contacts=gap,
        payments_max_age_hours=max_age,
        consolidate=check.get(raw_rules, where, "consolidate", bool, default=False),
    )

    resend = None
    raw_resend = check.get(data, (), "resend", dict)
    if raw_resend is not None:
        where = ("resend",)
        check.allowed_keys(raw_resend, where, ("after_days", "before_due_only"))
        after = check.get(raw_resend, where, "after_days", int, default=3, required=True)
        if after < 1:
            check.fail(where + ("after_days",), "after_days must be at least 1")
        resend = Resend(
            after_days=after, before_due_only=check.get(raw_resend, where, "before_due_only", bool, default=True)
        )

    statement = None
    raw_statement = check.get(data, (), "statement", dict)
    if raw_statement is not None:
        where = ("statement",)
        check.allowed_keys(
            raw_statement, where, ("every_days", "rhythm", "day_of_month", "channel", "template", "language")
        )
        rhythm = check.choice(
            raw_statement, where, "rhythm", ("every_days", "monthly"), default="every_days", what="rhythm"
        )
        every = day = None
        if rhythm == "monthly":
            day = check.get(raw_statement, where, "day_of_month", int, default=1)
            if not 1 <= day <= 28:
                check.fail(where + ("day_of_month",), "day_of_month must be between 1 and 28 (every month has it)")
        else:
            every = check.get(raw_statement, where, "every_days", int, default=None, required=True)
            if every is not None and every < 1:
                check.fail(where + ("every_days",), "every_days must be at least 1")
        channel = check.choice(
            raw_statement,
            where,
            "channel",
            DELIVERY_CHANNELS + (CUSTOMER_CHANNEL,),
            default=CUSTOMER_CHANNEL,
            what="channel",
        )
        template = check.get(raw_statement, where, "template", str, default="statement")
        language = check.choice(raw_statement, where, "language", STEP_LANGUAGES, default="customer", what="language")
        for lang in LANGUAGES if language == "customer" else (language,):
            missing = _template_missing(template, lang, channel, template_dir)
            if missing:
                check.fail(where + ("template",), f"missing template: {missing}")
        statement = Statement(
            every_days=every or None, day_of_month=day, channel=channel, template=template, language=language
        )

    raw_steps = check.get(data, (), "steps", list, default=[], required=True)
    if not raw_steps and "steps" in data:
        check.fail(("steps",), "a policy needs at least one [[steps]]")
    steps: list[Step] = []
    seen_names: dict[str, int] = {}
    for i, raw in enumerate(raw_steps):
        where = ("steps", i)
        if not isinstance(raw, dict):
            check.fail(("steps",), "steps must be written as [[steps]] tables")
            continue
        check.allowed_keys(
            raw,
            where,
            (
                "name",
                "offset",
                "channel",
                "template",
                "language",
                "tone",
                "attach_invoice",
                "attach_statement",
                "variants",
            ),
        )
        step_name = check.get(raw, where, "name", str, default=f"step{i + 1}", required=True)
        if not STEP_NAME.match(step_name):
            check.fail(where + ("name",), f"step name {step_name!r} must be lowercase letters, digits, _ - +")
        if step_name in seen_names:
            check.fail(where + ("name",), f"step name {step_name!r} is used twice (also step {seen_names[step_name]})")
        seen_names.setdefault(step_name, i + 1)
        offset = raw.get("offset")
        if "offset" not in raw:
            check.fail(where, f"step {step_name!r} is missing 'offset' (days from the due date, e.g. -7 or 10)")
            offset = 0
        elif isinstance(offset, bool) or not isinstance(offset, int):
            check.fail(
                where + ("offset",),
                f"bad offset {offset!r} for step {step_name!r}: a whole number of days "
                "relative to the due date, e.g. -7 or 10",
            )
            offset = 0
        elif not OFFSET_RANGE[0] <= offset <= OFFSET_RANGE[1]:
            check.fail(
                where + ("offset",),
                f"bad offset {offset} for step {step_name!r}: must be between "
                f"{OFFSET_RANGE[0]} and {OFFSET_RANGE[1]} days from the due date",
            )
        channel = check.choice(
            raw, where, "channel", STEP_CHANNELS, default=CUSTOMER_CHANNEL, required=True, what="channel"
        )
        template = check.get(raw, where, "template", str, default="", required=channel != MANUAL_CHANNEL)
        language = check.choice(raw, where, "language", STEP_LANGUAGES, default="customer", what="language")
        tone = check.choice(raw, where, "tone", TONES, default="friendly", what="tone")
        attach_invoice = check.get(raw, where, "attach_invoice", bool, default=False)
        attach_statement = check.get(raw, where, "attach_statement", bool, default=False)
        languages = LANGUAGES if language == "customer" else (language,)

        if template or channel != MANUAL_CHANNEL:
            _require_template(check, template, channel, languages, template_dir, where + ("template",))
        variants: list[Variant] = []
        raw_variants = check.get(raw, where, "variants", list, default=[])
        variant_names: set[str] = set()
        for j, rv in enumerate(raw_variants):
            vwhere = where + ("variants", j)
            if not isinstance(rv, dict):
                check.fail(where + ("variants",), "variants must be written as [[steps.variants]] tables")
                continue
            check.allowed_keys(rv, vwhere, ("name", "weight", "template", "tone", "channel", "offset_shift"))
            vname = check.get(rv, vwhere, "name", str, default=f"v{j + 1}", required=True)
            if vname in variant_names:
                check.fail(vwhere + ("name",), f"variant name {vname!r} is used twice in step {step_name!r}")
            variant_names.add(vname)
            weight = check.get(rv, vwhere, "weight", int, default=1, required=True)
            if weight < 1:
                check.fail(vwhere + ("weight",), f"variant weight must be a positive whole number, got {weight}")
                weight = 1
            vchannel = check.choice(rv, vwhere, "channel", STEP_CHANNELS, what="channel")
            vtemplate = check.get(rv, vwhere, "template", str)
            vtone = check.choice(rv, vwhere, "tone", TONES, what="tone")
            shift = check.get(rv, vwhere, "offset_shift", int, default=0)
            if vtemplate or vchannel:
                _require_template(
                    check, vtemplate or template, vchannel or channel, languages, template_dir, vwhere + ("template",)
                )
            variants.append(Variant(vname, weight, vtemplate, vtone, vchannel, shift))
        if len(variants) == 1:
            check.fail(where + ("variants",), f"step {step_name!r} has a single variant: a split needs two or more")
        steps.append(
            Step(
                step_name, offset, channel, template, language, tone, attach_invoice, attach_statement, tuple(variants)
            )
        )

    # Steps are a sequence: each one's days (with every timing variant) must come strictly after the previous.
    for i in range(1, len(steps)):
        before, after = steps[i - 1], steps[i]
        latest_before = before.offset + max([0] + [v.offset_shift for v in before.variants])
        earliest_after = after.offset + min([0] + [v.offset_shift for v in after.variants])
        if after.offset == before.offset:
            check.fail(
                ("steps", i, "offset"),
                f"overlapping steps: {before.name!r} and {after.name!r} are both at D{after.offset:+d}",
            )
        elif after.offset < before.offset:
            check.fail(
                ("steps", i, "offset"),
                f"bad offsets: step {after.name!r} (D{after.offset:+d}) comes before "
                f"the previous step {before.name!r} (D{before.offset:+d}); list steps "
                "in date order",
            )
        elif earliest_after <= latest_before:
            check.fail(
                ("steps", i, "offset"),
                f"overlapping steps: with timing variants {before.name!r} can fall on "
                f"D{latest_before:+d} and {after.name!r} on D{earliest_after:+d}",
            )
    if check.problems:
        raise PolicyError(check.problems)
    return Policy(
        name=name,
        path=path,
        description=description,
        priority=priority,
        selector=selector,
        rules=rules,
        steps=tuple(steps),
        resend=resend,
        statement=statement,
    )


def load_policy(path: Path | str, template_dir: Path = TEMPLATE_DIR) -> Policy:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PolicyError([(path, None, "file not found")]) from None
    except UnicodeDecodeError as exc:
        raise PolicyError([(path, None, f"not UTF-8 text: {exc}")]) from None
    return parse_policy(text, path, template_dir)


def policy_files(target: Path | str = POLICY_DIR) -> list[Path]:
    target = Path(target)
    if target.is_dir():
        return sorted(target.glob("*.toml"))
    return [target]


def load_policies(target: Path | str = POLICY_DIR, template_dir: Path = TEMPLATE_DIR) -> list[Policy]:
    """Every policy of a folder (or one file), ordered by priority; all problems are raised together."""
    problems: list = []
    policies: list[Policy] = []
    files = policy_files(target)
    if not files:
        raise PolicyError([(Path(target), None, "no policy files (*.toml) found")])
    for path in files:
        try:
            policies.append(load_policy(path, template_dir))
        except PolicyError as exc:
            problems.extend(exc.problems)
    names: dict[str, Path] = {}
    for policy in policies:
        if policy.name in names:
            problems.append((policy.path, None, f"policy name {policy.name!r} is also used by {names[policy.name]}"))
        names[policy.name] = policy.path
    if problems:
        raise PolicyError(problems)
    return sorted(policies, key=lambda p: (p.priority, p.name))


def policy_for(policies: list[Policy], customer: dict[str, Any], amount: Decimal | None = None) -> Policy | None:
    """The first policy (by priority) whose selector matches the customer (and the amount, when given)."""
    for policy in policies:
        if policy.selector.matches_customer(customer) and (amount is None or policy.selector.matches_amount(amount)):
            return policy
    return None


__all__ = [
    "Policy",
    "Step",
    "Variant",
    "ResolvedStep",
    "Selector",
    "Rules",
    "Resend",
    "Statement",
    "PolicyError",
    "load_policy",
    "load_policies",
    "parse_policy",
    "policy_for",
    "policy_files",
    "POLICY_DIR",
    "TEMPLATE_DIR",
    "DELIVERY_CHANNELS",
    "MANUAL_CHANNEL",
    "CUSTOMER_CHANNEL",
    "format_problem",
]
