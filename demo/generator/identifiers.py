"""Valid company identifiers: French SIREN and intra-community VAT numbers, Belgian, Luxembourg and German
VAT numbers, and GS1 GLNs for EDI customers. Check digits come from python-stdnum's algorithms so the
numbers pass the same validators a buyer's AP system would run."""

from __future__ import annotations

import numpy as np
from stdnum import luhn
from stdnum.iso7064 import mod_11_10
from stdnum.lu import tva as lu_tva


def siren_from(body: int) -> str:
    """A valid SIREN from an 8-digit body (Luhn check digit)."""
    digits = f"{body:08d}"
    return digits + luhn.calc_check_digit(digits)


def french_vat(siren: str) -> str:
    key = (12 + 3 * (int(siren) % 97)) % 97
    return f"FR{key:02d}{siren}"


def belgian_vat(body: int) -> str:
    # Belgian enterprise numbers start with 0 or 1; the last two digits are 97 - (first eight mod 97).
    first8 = f"0{body % 10_000_000:07d}" if body % 2 else f"1{body % 10_000_000:07d}"
    return f"BE{first8}{97 - int(first8) % 97:02d}"


def luxembourg_vat(body: int) -> str:
    digits = f"{body % 1_000_000:06d}"
    if digits[0] == "0":
        digits = "1" + digits[1:]
    return f"LU{digits}{lu_tva.calc_check_digits(digits)}"


def german_vat(body: int) -> str:
    digits = f"{body % 100_000_000:08d}"
    if digits[0] == "0":
        digits = "1" + digits[1:]
    return f"DE{digits}{mod_11_10.calc_check_digit(digits)}"


def vat_for(country: str, siren: str | None, body: int) -> str | None:
    """The customer's VAT number; None outside the EU (an American or Swiss buyer has no EU VAT number)."""
    if country == "FR":
        assert siren is not None
        return french_vat(siren)
    if country == "BE":
        return belgian_vat(body)
    if country == "LU":
        return luxembourg_vat(body)
    if country == "DE":
        return german_vat(body)
    if country in ("US", "CH"):
        return None
    raise ValueError(f"no VAT number scheme for country {country!r}")


def gln_from(body: int) -> str:
    """A 13-digit GS1 Global Location Number with its mod-10 check digit (prefix 30-37: France)."""
    digits = f"3{body % 10**11:011d}"
    weights = np.array([1, 3] * 6)
    total = int(np.dot(np.array([int(c) for c in digits]), weights))
    return digits + str((10 - total % 10) % 10)
