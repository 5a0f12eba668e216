from __future__ import annotations

import re

from sqlalchemy import func, select

from channels.portal import apikeys, links
from channels.portal.data import opaque_id
from stores import operational as ops


def events(engine, *types):
    query = select(ops.events).order_by(ops.events.c.id)
    if types:
        query = query.where(ops.events.c.event_type.in_(types))
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]


def event_count(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(ops.events)).scalar_one()


def token_for(world, settings, customer_id, days=30):
    token, _grant = links.issue_token(world.engine, settings.secret, customer_id, days)
    return token


def api_key_for(world, customer_id):
    return apikeys.create_api_key(world.engine, customer_id, "tests")[1]


def invoice_oid(settings, customer_id, number):
    return opaque_id(settings.secret, "invoice", customer_id, number)


def file_oid(settings, customer_id, number, fmt, sha):
    return opaque_id(settings.secret, "file", customer_id, f"{number}|{fmt}|{sha}")


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
