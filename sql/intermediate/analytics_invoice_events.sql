-- What happened to each invoice after it was issued, as known on $as_of: one row per invoice that has events.
-- Reminder traffic (events carrying a reminder_step) is kept apart from the invoice's own delivery.
with source as (
    select
        invoice_number,
        event_type,
        occurred_at,
        channel,
        status_code,
        reminder_step,
        evidence
    from staging.events
    where invoice_number is not null
      -- business dates are UTC days, whatever the session's time zone
      and (occurred_at at time zone 'UTC')::date <= $as_of::date
),

invoice_delivery as (
    select * from source where reminder_step is null
)

select
    invoice_number,
    min(occurred_at) filter (where event_type = 'sent') as first_sent_at,
    arg_min(channel, occurred_at) filter (where event_type = 'sent') as sent_channel,
    bool_or(event_type = 'sent' and channel = 'paper') as sent_on_paper,
    min(occurred_at) filter (where event_type = 'delivered') as first_delivered_at,
    min(occurred_at) filter (where event_type in ('bounced', 'failed', 'dead')) as first_delivery_failure_at,
    arg_min(
        json_object('event', event_type, 'at', occurred_at, 'channel', channel, 'status_code', status_code,
                    'detail', evidence),
        occurred_at
    ) filter (where event_type in ('bounced', 'failed', 'dead')) as delivery_failure_evidence,
    min(occurred_at) filter (where event_type in ('viewed', 'downloaded', 'fetched')) as first_retrieved_at,
    arg_min(event_type, occurred_at) filter (where event_type in ('viewed', 'downloaded', 'fetched'))
        as first_retrieval_kind,
    min(occurred_at) filter (
        where event_type = 'rejected' or (event_type = 'lifecycle' and status_code = '213')
    ) as first_rejected_at,
    arg_min(
        json_object('event', event_type, 'at', occurred_at, 'channel', channel, 'status_code', status_code,
                    'detail', evidence),
        occurred_at
    ) filter (where event_type = 'rejected' or (event_type = 'lifecycle' and status_code = '213'))
        as rejection_evidence,
    min(occurred_at) filter (where event_type = 'validation_failed') as first_validation_failure_at,
    arg_min(evidence, occurred_at) filter (where event_type = 'validation_failed') as validation_failure_evidence,
    min(occurred_at) filter (where event_type = 'lifecycle' and status_code = '210') as first_refused_at,
    arg_min(
        json_object('event', event_type, 'at', occurred_at, 'status_code', status_code, 'detail', evidence),
        occurred_at
    ) filter (where event_type = 'lifecycle' and status_code = '210') as refusal_evidence,
    max(occurred_at) filter (where event_type = 'promised') as last_promised_at,
    arg_max(
        try_cast(coalesce(json_extract_string(evidence, '$.promised_date'),
                          json_extract_string(evidence, '$.date')) as date),
        occurred_at
    ) filter (where event_type = 'promised') as promised_payment_date
from invoice_delivery
group by invoice_number
