-- The operational event log as the warehouse reads it: one row per event_id, the operational table's
-- columns, evidence as JSON. Every domain's delivery, access and dunning metrics start here.
with source as (
    select * from raw.operational_events
),

deduplicated as (
    select *
    from source
    qualify row_number() over (partition by event_id order by id) = 1
)

select
    id,
    event_id,
    event_type,
    occurred_at,
    recorded_at,
    invoice_number,
    customer_id,
    channel,
    source,
    status_code,
    reminder_step,
    outbox_id,
    evidence::json as evidence
from deduplicated
order by id
