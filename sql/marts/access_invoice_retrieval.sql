-- Per invoice or credit note: retrieved or not, when first, and how long after it was sent.
-- hours_to_retrieval is left empty when the customer fetched the document before it was sent (e.g. from
-- the portal on its own): there is no delivery delay to measure.
with invoices as (
    select invoice_number, customer_id, document_type, issue_date, due_date, status
    from marts.invoices
),

activity as (
    select * from intermediate.access_invoice_activity
),

joined as (
    select
        invoices.invoice_number,
        invoices.customer_id,
        invoices.document_type,
        invoices.issue_date,
        invoices.due_date,
        invoices.status,
        activity.sent_channel as channel,
        activity.sent_at,
        activity.delivered_at,
        activity.bounced_at,
        activity.first_retrieved_at,
        activity.first_retrieval_type,
        activity.first_retrieval_source,
        coalesce(activity.retrieval_count, 0) as retrieval_count,
        coalesce(activity.view_count, 0) as view_count,
        coalesce(activity.download_count, 0) as download_count,
        coalesce(activity.api_fetch_count, 0) as api_fetch_count
    from invoices
    left join activity on activity.invoice_number = invoices.invoice_number
)

select
    *,
    first_retrieved_at is not null as is_retrieved,
    case
        when first_retrieved_at >= sent_at
            then round(epoch(first_retrieved_at - sent_at) / 3600.0, 2)::decimal(12, 2)
    end as hours_to_retrieval,
    case
        when due_date is null then null
        else coalesce((first_retrieved_at at time zone 'UTC')::date <= due_date, false)
    end as retrieved_before_due
from joined
order by invoice_number
