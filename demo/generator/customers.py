"""Draw the customer base of the demo company: who they are, how they want invoices, how they pay.

Customers are few compared to invoices (hundreds to tens of thousands), so they are built row by row from
arrays drawn up front; everything the invoice simulation needs comes back as numpy arrays.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

import numpy as np
import polars as pl

from demo.generator import identifiers as ids
from demo.generator import reference as ref


@dataclass
class CustomerBase:
    """The drawn customers: `frame` is the ground truth table, the arrays feed the invoice simulation."""

    frame: pl.DataFrame
    volume_weight: np.ndarray  # relative number of invoices
    ticket_eur: np.ndarray  # median line value excl. tax
    sells_services: np.ndarray  # bool: services (timesheets) rather than goods (delivery notes)
    main_vat_bp: np.ndarray  # main VAT rate in basis points (2000 = 20 %), 0 for intra-EU reverse charge
    terms_days: np.ndarray
    requires_po: np.ndarray
    behaviour: np.ndarray  # index into reference.BEHAVIOURS, or -1 for public bodies (slow but sure)
    wrong_email: np.ndarray
    method: np.ndarray  # index into reference.PAYMENT_METHODS


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return "".join(c if c.isalnum() else "-" for c in ascii_text).strip("-").replace("--", "-")


def _mistyped(email: str, pick: int) -> str:
    """The kind of e-mail typo that makes invoices bounce or vanish: wrong TLD, swapped or dropped letter."""
    local, domain = email.split("@")
    name, _, tld = domain.rpartition(".")
    if pick == 0:
        return f"{local}@{name}.{'fe' if tld == 'fr' else 'cm'}"
    if pick == 1 and len(name) > 3:
        return f"{local}@{name[:1]}{name[2]}{name[1]}{name[3:]}.{tld}"
    return f"{local[:-1]}@{domain}"


def draw_customers(rng: np.random.Generator, count: int) -> CustomerBase:
    if count < 1:
        raise ValueError("at least one customer is needed")
    n = count
    public = rng.random(n) < 0.07
    sector = rng.integers(0, len(ref.SECTORS), n)
    size = rng.choice(len(ref.SIZES), n, p=ref.SIZE_SHARES)
    size[public] = rng.choice([1, 2], public.sum(), p=[0.7, 0.3])
    foreign = (rng.random(n) < ref.FOREIGN_SHARE) & ~public
    foreign_pick = rng.integers(0, len(ref.FOREIGN), n)
    city_pick = rng.integers(0, len(ref.CITIES_FR), n)
    name_pick = rng.integers(0, len(ref.SURNAMES), (n, 2))
    activity_pick = rng.integers(0, 5, n)
    form_pick = rng.integers(0, len(ref.LEGAL_FORMS), n)
    public_pick = rng.integers(0, len(ref.PUBLIC_BODIES), n)
    street_no = rng.integers(1, 180, n)
    street_type = rng.integers(0, len(ref.STREET_TYPES), n)
    street_name = rng.integers(0, len(ref.STREET_NAMES), n)
    complement = rng.integers(0, len(ref.ADDRESS_COMPLEMENTS), n)
    phone = rng.integers(10_000_000, 99_999_999, n)
    # distinct identifier bodies so no two customers share a SIREN or VAT number
    id_bodies = rng.choice(90_000_000, n, replace=False) + 10_000_000
    gln_bodies = rng.integers(0, 10**11, n)

    # Channel preference follows size: big accounts impose EDI or their AP portal, public bodies receive
    # e-invoices through the public platform (Chorus Pro), small ones read e-mail or still want paper.
    channel_probs = {
        0: (0.70, 0.10, 0.00, 0.00, 0.20),
        1: (0.62, 0.20, 0.05, 0.08, 0.05),
        2: (0.30, 0.25, 0.20, 0.25, 0.00),
        3: (0.10, 0.20, 0.35, 0.35, 0.00),
    }
    u = rng.random(n)
    channel = np.empty(n, dtype=np.int64)
    for s, probs in channel_probs.items():
        cdf = np.cumsum(probs)
        mask = size == s
        channel[mask] = np.searchsorted(cdf, u[mask] * cdf[-1], side="right")
    channel[public] = ref.CHANNELS.index("platform")

    requires_po = np.where(public | (size >= 2), rng.random(n) < 0.75, rng.random(n) < 0.08)
    behaviour = rng.choice(len(ref.BEHAVIOURS), n, p=ref.BEHAVIOUR_SHARES)
    behaviour[public] = -1
    wrong_email = rng.random(n) < 0.04
    typo_kind = rng.integers(0, 3, n)
    method = rng.choice(len(ref.PAYMENT_METHODS), n, p=ref.PAYMENT_METHOD_SHARES)
    terms = rng.choice([30, 45, 60], n, p=[0.45, 0.30, 0.25])
    terms[public] = 30  # public buyers: 30 days by law
    on_hold = (rng.random(n) < 0.01) | ((behaviour == ref.BEHAVIOURS.index("chronic_late")) & (rng.random(n) < 0.15))
    volume = np.array(ref.SIZE_VOLUME)[size] * rng.lognormal(0.0, 0.6, n)
    ticket = np.array(ref.SIZE_TICKET_EUR)[size] * rng.lognormal(0.0, 0.35, n)

    rows = []
    sells_services = np.zeros(n, dtype=bool)
    main_vat = np.zeros(n, dtype=np.int64)
    for i in range(n):
        code = f"C{i + 1:05d}"
        sector_name, activities, kind, vat_bp = ref.SECTORS[sector[i]]
        if public[i]:
            city, postcode = ref.CITIES_FR[city_pick[i]]
            name = f"{ref.PUBLIC_BODIES[public_pick[i]]} {city}"
            segment, kind, vat_bp = ref.PUBLIC_SECTOR, "services", 2000
            country, language, tz = "FR", "fr", "Europe/Paris"
        else:
            segment = sector_name
            if foreign[i]:
                country, city, postcode, language, tz = ref.FOREIGN[foreign_pick[i]]
            else:
                city, postcode = ref.CITIES_FR[city_pick[i]]
                country, language, tz = "FR", "fr", "Europe/Paris"
            surname_a, surname_b = ref.SURNAMES[name_pick[i, 0]], ref.SURNAMES[name_pick[i, 1]]
            activity = activities[activity_pick[i]]
            style = i % 3
            if style == 0:
                name = f"{activity} {surname_a} {ref.LEGAL_FORMS[form_pick[i]]}"
            elif style == 1:
                name = f"{surname_a} & {surname_b} {activity} {ref.LEGAL_FORMS[form_pick[i]]}"
            else:
                name = f"{activity} {city} {surname_a}"
        sells_services[i] = kind == "services"
        # Sales abroad bear no French VAT: intra-EU goods are exempt (K) and services reverse-charged (AE),
        # sales outside the EU are exports (G). The invoice shows 0 %; Relance states which rule applies.
        main_vat[i] = 0 if country != "FR" else vat_bp
        siren = ids.siren_from(int(id_bodies[i])) if country == "FR" else None
        vat = ids.vat_for(country, siren, int(id_bodies[i]))
        domain = _slug(name.split(" ")[0] + "-" + (name.split(" ")[1] if " " in name else "")) + f"-{i + 1}"
        tld = {"FR": "fr", "BE": "be", "LU": "lu", "DE": "de", "US": "com", "CH": "ch"}[country]
        true_email = f"{'factures' if language == 'fr' else 'accounts.payable'}@{domain}.{tld}"
        export_email = _mistyped(true_email, int(typo_kind[i])) if wrong_email[i] else true_email
        chan = ref.CHANNELS[channel[i]]
        tags = []
        if size[i] == 3:
            tags.append("grand compte")
        if requires_po[i]:
            tags.append("PO obligatoire")
        if country != "FR":
            tags.append("export")
        if public[i]:
            tags.append("Chorus Pro")
        phone_text = (
            f"+33 {1 + int(phone[i]) % 5} {int(phone[i]) // 1_000_000 % 100:02d} "
            f"{int(phone[i]) // 10_000 % 100:02d} {int(phone[i]) // 100 % 100:02d} {int(phone[i]) % 100:02d}"
            if country == "FR"
            else f"+{ {'BE': 32, 'LU': 352, 'DE': 49, 'US': 1, 'CH': 41}[country] } {int(phone[i])}"
        )
        rows.append(
            {
                "customer_id": code,
                "name": name,
                "siren": siren,
                "vat_number": vat,
                "email": export_email,
                "true_email": true_email,
                "phone": phone_text,
                "address_line1": (
                    f"{street_no[i]} {ref.STREET_TYPES[street_type[i]]} {ref.STREET_NAMES[street_name[i]]}"
                ),
                "address_line2": ref.ADDRESS_COMPLEMENTS[complement[i]],
                "postcode": postcode,
                "city": city,
                "country": country,
                "language": language,
                "preferred_channel": chan,
                "fallback_channels": list(ref.FALLBACKS[chan]),
                "segment": segment,
                "size": ref.SIZES[size[i]],
                "tags": tags,
                "timezone": tz,
                "edi_gln": ids.gln_from(int(gln_bodies[i])) if chan == "edi" or size[i] == 3 else None,
                "platform_id": (siren or vat) if chan in ("platform", "edi") or public[i] else None,
                "ap_portal_id": f"SUP-{(int(id_bodies[i]) * 7) % 1_000_000:06d}" if chan == "ap_portal" else None,
                # EU customers abroad receive e-invoices on Peppol under their VAT number
                "electronic_address": (
                    f"{ref.PEPPOL_VAT_SCHEMES[country]}:{vat}" if country in ref.PEPPOL_VAT_SCHEMES else None
                ),
                "currency": ref.FOREIGN_CURRENCY.get(country, ("EUR", 1.0))[0],
                "payment_terms_days": int(terms[i]),
                "on_hold": bool(on_hold[i]),
                "requires_po": bool(requires_po[i]),
                "payment_behaviour": "public_slow" if public[i] else ref.BEHAVIOURS[behaviour[i]],
                "payment_method": ref.PAYMENT_METHODS[method[i]],
                "defect_wrong_email": bool(wrong_email[i]),
                "sells": "services" if sells_services[i] else "goods",
            }
        )
    frame = pl.DataFrame(
        rows,
        schema_overrides={
            "tags": pl.List(pl.String),
            "fallback_channels": pl.List(pl.String),
            "vat_number": pl.String,
            "electronic_address": pl.String,
        },
    )
    return CustomerBase(
        frame=frame,
        volume_weight=volume,
        ticket_eur=ticket,
        sells_services=sells_services,
        main_vat_bp=main_vat,
        terms_days=terms.astype(np.int64),
        requires_po=requires_po,
        behaviour=behaviour,
        wrong_email=wrong_email,
        method=method,
    )
