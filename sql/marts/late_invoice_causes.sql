-- One primary cause per late invoice on $as_of. THE precedence of causes lives here and only here
-- (docs/analytics.md explains each rule): issuer-side defects first, in the order they block payment, then
-- customer-side behaviour; "refused" comes after every issuer defect, so a refusal only counts against
-- the customer when nothing was wrong on our side.
with precedence as (
    select * from (values
        (1, 'delivery_failed', 'issuer'),
        (2, 'rejected_or_invalid', 'issuer'),
        (3, 'issued_late', 'issuer'),
        (4, 'sent_late', 'issuer'),
        (5, 'missing_po', 'issuer'),
        (6, 'disputed_amount', 'issuer'),
        (7, 'credit_note_pending', 'issuer'),
        (8, 'never_retrieved', 'issuer'),
        (9, 'refused', 'customer'),
        (10, 'promise_broken', 'customer'),
        (11, 'disputed_other', 'undetermined'),
        (12, 'chronic_late_payer', 'customer'),
        (13, 'unexplained', 'undetermined')
    ) as t (cause_rank, cause, side)
),

late as (
    select invoice_number, customer_id, customer_name, segment, amount, open_amount_as_of, days_late,
           days_past_due, settled_on, billing_channel
    from intermediate.analytics_invoices
    where outcome_known and is_late
),

ranked as (
    select
        late.invoice_number,
        coalesce(candidates.cause, 'unexplained') as cause,
        coalesce(candidates.evidence, json_object()) as evidence,
        precedence.cause_rank,
        precedence.side
    from late
    left join intermediate.late_cause_candidates as candidates using (invoice_number)
    inner join precedence on precedence.cause = coalesce(candidates.cause, 'unexplained')
),

primary_cause as (
    select
        invoice_number,
        arg_min(cause, cause_rank) as primary_cause,
        arg_min(side, cause_rank) as side,
        arg_min(evidence, cause_rank) as evidence,
        list(cause order by cause_rank) as all_causes
    from ranked
    group by invoice_number
)

select
    $as_of::date as as_of,
    late.invoice_number,
    late.customer_id,
    late.customer_name,
    late.segment,
    late.billing_channel,
    late.amount,
    late.settled_on,
    late.days_late,
    -- what is still unpaid and past due on $as_of; zero once the invoice is settled
    case when late.settled_on is null then late.open_amount_as_of else 0 end::decimal(18, 2) as overdue_amount,
    primary_cause.primary_cause,
    primary_cause.side,
    primary_cause.evidence,
    primary_cause.all_causes
from late
inner join primary_cause using (invoice_number)
order by late.invoice_number
