"""One entry point for reading an ERP export: choose the profile, read, map, parse, account for every row.

Profile choice, when none is named: an FEC (JournalCode/EcritureNum/CompteNum) uses the `fec` profile; a
file whose header holds every `[match] headers` of a shipped profile uses that profile; anything else goes
through header recognition (`generic_csv`). A file none of these understands is an unknown layout.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from assets.ingest.fec import looks_like_fec, process_fec
from assets.ingest.profiles import Profile, available_profiles, find_profile, recognise
from assets.ingest.reader import RawTable, UnreadableFile, read_table
from assets.ingest.records import FileResult, process

GENERIC = "generic_csv"


def _read(path: Path, profile: Profile | None) -> RawTable:
    if profile is None:
        return read_table(path)
    return read_table(
        path, encoding=profile.encoding, delimiter=profile.delimiter, skip_rows=profile.skip_rows, sheet=profile.sheet
    )


def extraction_time(path: Path) -> datetime:
    """When the ERP wrote the export, as far as the file tells: its modification time, in UTC."""
    return datetime.fromtimestamp(Path(path).stat().st_mtime, tz=timezone.utc)


def choose_profile(table: RawTable, profiles: dict[str, Profile]) -> Profile:
    if looks_like_fec(table.headers) and "fec" in profiles:
        return profiles["fec"]
    matching = [p for p in profiles.values() if p.matches(table.headers)]
    if matching:
        # the most specific description of the layout wins
        return max(matching, key=lambda p: len(p.match_headers))
    return profiles.get(GENERIC) or Profile(name=GENERIC)


def ingest_file(
    path: Path | str,
    profile_name: str | None = None,
    *,
    extracted_at: datetime | None = None,
    profiles: dict[str, Profile] | None = None,
) -> FileResult:
    """Read one export into canonical records and a quarantine. Raises UnreadableFile with a one-line
    reason when the file cannot be read as a table or its layout is unknown."""
    path = Path(path)
    profiles = profiles if profiles is not None else available_profiles()
    profile = find_profile(profile_name) if profile_name else None
    table = _read(path, profile)
    if profile is None:
        profile = choose_profile(table, profiles)
        if profile.encoding or profile.delimiter or profile.skip_rows is not None or profile.sheet:
            table = _read(path, profile)  # the profile knows better how to read its layout
    when = extracted_at or extraction_time(path)
    if profile.format == "fec" or (not profile.entities and looks_like_fec(table.headers)):
        return process_fec(table, profile, when)
    specs = profile.entities
    if not specs:
        spec = recognise(table.headers)
        if spec is None:
            shown = ", ".join(table.headers[:8]) + (", ..." if len(table.headers) > 8 else "")
            raise UnreadableFile(
                f"{path.name}: unknown layout (columns: {shown}); no profile matches, pass --profile NAME"
            )
        specs = [spec]
    return process(table, profile, specs, when)
