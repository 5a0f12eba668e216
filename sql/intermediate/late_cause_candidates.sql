-- Every cause that applies to each late invoice on $as_of, with its evidence; marts.late_invoice_causes picks
-- the primary one by the precedence in docs/analytics.md. Thresholds are parameters: $issue_delay_days,
-- $send_delay_days, $po_share_threshold, $chronic_min_invoices, $chronic_late_share.
with invoices as (
    select * from intermediate.analytics_invoices
),

late as (
    select * from invoices where outcome_known and is_late
),

-- the share of a customer's other invoices that carry a purchase order: a customer who nearly always
-- quotes one needs it to approve the invoice
po_habits as (
    select
        late.invoice_number,
        count(others.invoice_number) as other_invoices,
        count(others.invoice_number) filter (where others.has_purchase_order) as other_invoices_with_po
    from late
    left join invoices as others
        on others.customer_id = late.customer_id and others.invoice_number <> late.invoice_number
    group by late.invoice_number
),

-- point in time: the customer's invoices settled strictly before this invoice fell due
payment_history as (
    select
        late.invoice_number,
        count(past.invoice_number) as prior_settled,
        count(past.invoice_number) filter (where past.days_past_due > 0) as prior_late
    from late
    left join invoices as past
        on past.customer_id = late.customer_id
       and past.invoice_number <> late.invoice_number
       and past.settled_on < late.due_date
    group by late.invoice_number
),

candidates as (
    select invoice_number, 'delivery_failed' as cause,
           json_object('delivery_failure', delivery_failure_evidence,
                       'delivered_at', first_delivered_at, 'retrieved_at', first_retrieved_at) as evidence
    from late
    where first_delivery_failure_at is not null
      -- a failure repaired by a later delivery or retrieval before the due date did not make it late
      and not coalesce(greatest(first_delivered_at, first_retrieved_at) > first_delivery_failure_at
                       and (least(first_delivered_at, first_retrieved_at) at time zone 'UTC')::date <= due_date,
                       false)

    union all
    select invoice_number, 'rejected_or_invalid',
           json_object('rejection', rejection_evidence, 'validation_failure', validation_failure_evidence)
    from late
    where first_rejected_at is not null or first_validation_failure_at is not null

    union all
    select invoice_number, 'issued_late',
           json_object('delivery_date', delivery_date, 'issue_date', issue_date,
                       'days_after_delivery', issue_date - delivery_date,
                       'threshold_days', $issue_delay_days::integer)
    from late
    where issue_date - delivery_date > $issue_delay_days::integer

    union all
    select invoice_number, 'sent_late',
           json_object('issue_date', issue_date, 'first_sent_at', first_sent_at,
                       'days_after_issue', (first_sent_at at time zone 'UTC')::date - issue_date,
                       'threshold_days', $send_delay_days::integer)
    from late
    where (first_sent_at at time zone 'UTC')::date - issue_date > $send_delay_days::integer

    union all
    select late.invoice_number, 'missing_po',
           json_object('purchase_order', late.purchase_order,
                       'customer_requires_po', list_contains(coalesce(late.customer_tags, []), 'po_required'),
                       'other_invoices', po_habits.other_invoices,
                       'other_invoices_with_po', po_habits.other_invoices_with_po,
                       'dispute_reasons', late.dispute_reasons)
    from late
    inner join po_habits using (invoice_number)
    where not late.has_purchase_order
      and (list_contains(coalesce(late.customer_tags, []), 'po_required')
           or po_habits.other_invoices_with_po
              >= $po_share_threshold::double * greatest(po_habits.other_invoices, 1)
              and po_habits.other_invoices > 0
           or regexp_matches(coalesce(late.dispute_reasons, ''),
                             '(?i)\b(po|purchase order|bon de commande|r[ée]f[ée]rence)\b'))

    union all
    select invoice_number, 'disputed_amount',
           json_object('disputed_on', disputed_on, 'reasons', dispute_reasons,
                       'disputed_amount', disputed_amount, 'resolved_on', dispute_resolved_on)
    from late
    where is_disputed
      and regexp_matches(coalesce(dispute_reasons, ''),
                         '(?i)(amount|quantit|price|pricing|montant|prix|tarif|total)')

    union all
    select invoice_number, 'credit_note_pending',
           json_object('due_date', due_date, 'credit_note_date', first_credit_note_date,
                       'credited_amount', credited_to_date)
    from late
    where first_credit_note_date > due_date

    union all
    select invoice_number, 'never_retrieved',
           json_object('channel', billing_channel, 'first_sent_at', first_sent_at,
                       'first_delivered_at', first_delivered_at)
    from late
    -- only channels whose recipients fetch the invoice through a link or portal leave a retrieval trace,
    -- and only a delivery receipt proves it reached them
    where billing_channel in ('email', 'ap_portal')
      and first_delivered_at is not null
      and first_retrieved_at is null

    union all
    select invoice_number, 'refused',
           json_object('refusal', refusal_evidence)
    from late
    where first_refused_at is not null

    union all
    select invoice_number, 'promise_broken',
           json_object('promised_at', last_promised_at, 'promised_payment_date', promised_payment_date,
                       'settled_on', settled_on)
    from late
    where promised_payment_date is not null
      and coalesce(settled_on, $as_of::date) > promised_payment_date

    union all
    select invoice_number, 'disputed_other',
           json_object('disputed_on', disputed_on, 'reasons', dispute_reasons,
                       'disputed_amount', disputed_amount)
    from late
    where is_disputed
      and not regexp_matches(coalesce(dispute_reasons, ''),
                             '(?i)(amount|quantit|price|pricing|montant|prix|tarif|total)')

    union all
    select late.invoice_number, 'chronic_late_payer',
           json_object('prior_settled', payment_history.prior_settled,
                       'prior_late', payment_history.prior_late,
                       'prior_late_share', payment_history.prior_late / payment_history.prior_settled)
    from late
    inner join payment_history using (invoice_number)
    where payment_history.prior_settled >= $chronic_min_invoices::integer
      and payment_history.prior_late >= $chronic_late_share::double * payment_history.prior_settled
)

select
    candidates.invoice_number,
    late.customer_id,
    candidates.cause,
    candidates.evidence
from candidates
inner join late using (invoice_number)
