-- Every invoice issued on or before $as_of, with its balance, lateness, delivery, access and dispute facts
-- as they stood on $as_of. Payments, credit notes, events and disputes dated after $as_of are ignored, so
-- the KPIs built on this table can be recomputed for any past date.
with invoices as (
    select *
    from (
        select * from marts.invoices
        -- marts built before billing_channel existed read as "not said"
        union all by name
        select null::varchar as billing_channel where false
    ) as marts_invoices
    where document_type = 'invoice'
      and issue_date <= $as_of::date
),

payments_to_date as (
    select invoice_number, sum(amount) as paid_amount
    from staging.payments
    where invoice_number is not null
      and payment_date <= $as_of::date
    group by invoice_number
),

credit_notes as (
    select
        original_invoice_number as invoice_number,
        sum(abs(amount_incl_tax)) filter (where issue_date <= $as_of::date) as credited_amount,
        min(issue_date) as first_credit_note_date
    from marts.invoices
    where document_type = 'credit_note'
      and original_invoice_number is not null
    group by original_invoice_number
),

disputes as (
    select
        invoice_number,
        min(coalesce(opened_on, $as_of::date)) as disputed_on,
        string_agg(reason, '; ' order by opened_on) as dispute_reasons,
        sum(disputed_amount) as disputed_amount,
        max(resolved_on) filter (where resolved_on <= $as_of::date) as dispute_resolved_on
    from staging.disputes
    -- a dispute without an opening date (some ERP exports keep only a flag) counts as known on $as_of
    where coalesce(opened_on, $as_of::date) <= $as_of::date
    group by invoice_number
),

customers as (
    select customer_id, name as customer_name, segment, country, preferred_channel, tags
    from marts.customers
),

balances as (
    select
        invoices.*,
        coalesce(payments_to_date.paid_amount, 0)::decimal(18, 2) as paid_to_date,
        coalesce(credit_notes.credited_amount, 0)::decimal(18, 2) as credited_to_date,
        credit_notes.first_credit_note_date,
        case when invoices.settled_date <= $as_of::date then invoices.settled_date end as settled_on
    from invoices
    left join payments_to_date using (invoice_number)
    left join credit_notes using (invoice_number)
),

with_outcome as (
    select
        balances.*,
        case
            when settled_on is not null then 0::decimal(18, 2)
            else greatest(amount_incl_tax - paid_to_date - credited_to_date, 0)::decimal(18, 2)
        end as open_amount_as_of,
        coalesce(settled_on, $as_of::date) - due_date as days_past_due
    from balances
)

select
    with_outcome.invoice_number,
    with_outcome.customer_id,
    customers.customer_name,
    coalesce(customers.segment, 'unknown') as segment,
    customers.country,
    customers.tags as customer_tags,
    with_outcome.issue_date,
    with_outcome.delivery_date,
    with_outcome.due_date,
    with_outcome.due_date - with_outcome.issue_date as terms_days,
    with_outcome.amount_incl_tax as amount,
    with_outcome.currency,
    with_outcome.purchase_order,
    nullif(trim(coalesce(with_outcome.purchase_order, '')), '') is not null as has_purchase_order,
    with_outcome.paid_to_date,
    with_outcome.credited_to_date,
    with_outcome.first_credit_note_date,
    with_outcome.open_amount_as_of,
    with_outcome.settled_on,
    with_outcome.settled_on is not null as is_settled,
    with_outcome.settled_on - with_outcome.issue_date as days_to_pay,
    with_outcome.days_past_due,
    greatest(with_outcome.days_past_due, 0) as days_late,
    -- the outcome is known once the invoice is settled or its due date has passed unpaid
    with_outcome.settled_on is not null or with_outcome.due_date < $as_of::date as outcome_known,
    with_outcome.days_past_due > 0 as is_late,
    -- the channel the export gives the invoice, else the one it was first sent on, else the customer's
    coalesce(with_outcome.billing_channel, events.sent_channel, customers.preferred_channel, 'unknown')
        as billing_channel,
    case
        when coalesce(with_outcome.billing_channel, events.sent_channel, customers.preferred_channel) = 'paper'
            then 'paper'
        when coalesce(with_outcome.billing_channel, events.sent_channel, customers.preferred_channel) is null
            then 'unknown'
        else 'electronic'
    end as channel_class,
    events.first_sent_at,
    events.first_delivered_at,
    events.first_delivery_failure_at,
    events.delivery_failure_evidence,
    events.first_retrieved_at,
    events.first_retrieval_kind,
    events.first_retrieved_at is not null as is_retrieved,
    -- time to retrieval runs from when the invoice reached the customer (or was sent, lacking a receipt)
    (events.first_retrieved_at at time zone 'UTC')::date
        - (coalesce(events.first_delivered_at, events.first_sent_at) at time zone 'UTC')::date
        as days_to_retrieval,
    events.first_rejected_at,
    events.rejection_evidence,
    events.first_validation_failure_at,
    events.validation_failure_evidence,
    events.first_refused_at,
    events.refusal_evidence,
    events.last_promised_at,
    events.promised_payment_date,
    disputes.invoice_number is not null as is_disputed,
    disputes.disputed_on,
    disputes.dispute_reasons,
    disputes.disputed_amount,
    disputes.dispute_resolved_on
from with_outcome
left join customers using (customer_id)
left join intermediate.analytics_invoice_events as events using (invoice_number)
left join disputes using (invoice_number)
