-- One row per invoice with everything the dashboard's screens filter and count on: customer attributes,
-- delivery and retrieval, platform rejection and open dispute. A page scans this one narrow table instead
-- of joining invoices, customers, retrieval and events for every click (1M invoices: one scan, no join).
with invoices as (
    select
        invoice_number, customer_id, issue_date, due_date, amount_incl_tax, open_amount, currency, status,
        settled_date, days_late, is_late, billing_channel
    from marts.invoices
    where document_type = 'invoice'
),

customers as (
    select customer_id, name, segment, preferred_channel, language, on_hold
    from marts.customers
),

retrieval as (
    select invoice_number, channel, sent_at, delivered_at, bounced_at, first_retrieved_at, is_retrieved
    from marts.access_invoice_retrieval
),

-- a platform rejection: a `rejected` event, or lifecycle status 213 (Rejetée)
rejections as (
    select invoice_number, min(occurred_at) as rejected_at
    from staging.events
    where invoice_number is not null
      and (event_type = 'rejected' or (event_type = 'lifecycle' and status_code = '213'))
    group by invoice_number
),

-- open disputes: filed in the ERP and not resolved, or filed on the portal and not followed by a resolution
erp_disputes as (
    select invoice_number, min(opened_on) as disputed_on
    from staging.disputes
    where resolved_on is null
    group by invoice_number
),

portal_disputes as (
    select invoice_number, (max(occurred_at) at time zone 'UTC')::date as disputed_on
    from staging.events
    where invoice_number is not null and event_type in ('disputed', 'dispute_resolved')
    group by invoice_number
    having arg_max(event_type, occurred_at) = 'disputed'
),

open_disputes as (
    select invoice_number, min(disputed_on) as disputed_on
    from (
        select * from erp_disputes
        union all
        select * from portal_disputes
    ) as both_sources
    group by invoice_number
)

select
    invoices.invoice_number,
    invoices.customer_id,
    customers.name as customer_name,
    customers.segment,
    -- the customer's preferred channel: what the sidebar and the dunning targets filter on
    customers.preferred_channel as channel,
    -- how this invoice is billed: the export's own channel when it says, else the customer's preferred one
    coalesce(invoices.billing_channel, customers.preferred_channel) as billing_channel,
    customers.language,
    coalesce(customers.on_hold, false) as on_hold,
    retrieval.channel as sent_channel,
    invoices.issue_date,
    invoices.due_date,
    invoices.amount_incl_tax,
    invoices.open_amount,
    invoices.currency,
    invoices.status,
    invoices.settled_date,
    invoices.days_late,
    invoices.is_late,
    retrieval.sent_at,
    retrieval.delivered_at,
    retrieval.bounced_at,
    retrieval.first_retrieved_at,
    coalesce(retrieval.is_retrieved, false) as is_retrieved,
    rejections.rejected_at,
    open_disputes.disputed_on
from invoices
left join customers on customers.customer_id = invoices.customer_id
left join retrieval on retrieval.invoice_number = invoices.invoice_number
left join rejections on rejections.invoice_number = invoices.invoice_number
left join open_disputes on open_disputes.invoice_number = invoices.invoice_number
-- stored in due-date order so the row groups' min/max let date-bounded screens skip most of the table
order by invoices.due_date, invoices.invoice_number
