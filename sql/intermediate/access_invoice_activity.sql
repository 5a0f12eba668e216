-- Per invoice: its first delivery (reminders excluded) and how and when the customer retrieved it.
-- A retrieval is a viewed, downloaded or fetched event naming the invoice (list pages name none).
with source as (
    select invoice_number, customer_id, event_type, occurred_at, channel, source, reminder_step
    from staging.events
    where invoice_number is not null
),

deliveries as (
    select
        invoice_number,
        min(occurred_at) filter (where event_type = 'sent') as sent_at,
        arg_min(channel, occurred_at) filter (where event_type = 'sent') as sent_channel,
        min(occurred_at) filter (where event_type = 'delivered') as delivered_at,
        min(occurred_at) filter (where event_type = 'bounced') as bounced_at
    from source
    where reminder_step is null
    group by invoice_number
),

retrievals as (
    select
        invoice_number,
        any_value(customer_id) as customer_id,
        min(occurred_at) as first_retrieved_at,
        arg_min(event_type, occurred_at) as first_retrieval_type,
        arg_min(source, occurred_at) as first_retrieval_source,
        count(*) as retrieval_count,
        count(*) filter (where event_type = 'viewed') as view_count,
        count(*) filter (where event_type = 'downloaded') as download_count,
        count(*) filter (where event_type = 'fetched') as api_fetch_count
    from source
    where event_type in ('viewed', 'downloaded', 'fetched')
    group by invoice_number
)

select
    coalesce(deliveries.invoice_number, retrievals.invoice_number) as invoice_number,
    retrievals.customer_id,
    deliveries.sent_at,
    deliveries.sent_channel,
    deliveries.delivered_at,
    deliveries.bounced_at,
    retrievals.first_retrieved_at,
    retrievals.first_retrieval_type,
    retrievals.first_retrieval_source,
    coalesce(retrievals.retrieval_count, 0) as retrieval_count,
    coalesce(retrievals.view_count, 0) as view_count,
    coalesce(retrievals.download_count, 0) as download_count,
    coalesce(retrievals.api_fetch_count, 0) as api_fetch_count
from deliveries
full outer join retrievals on retrievals.invoice_number = deliveries.invoice_number
