-- Point-in-time features for the overdue-risk model, as known on $as_of. Two kinds of scoring point:
--   at_issue: every invoice issued on or before $as_of, scored on its issue date (training and backtests);
--   open:     every invoice still open on $as_of, scored on $as_of (the published risk score).
-- A customer's history is built only from invoices settled strictly before the scoring date, exposure only
-- from invoices issued strictly before it; nothing dated after $as_of is read (settlements after $as_of
-- are treated as not happened yet), so changing later data cannot change a feature.
with invoices as (
    select
        invoices.invoice_number,
        invoices.customer_id,
        invoices.issue_date,
        invoices.due_date,
        invoices.amount_incl_tax::double as amount,
        nullif(trim(coalesce(invoices.purchase_order, '')), '') is not null as has_purchase_order,
        case when invoices.settled_date <= $as_of::date then invoices.settled_date end as settled_date,
        -- known at issue: the invoice's own billing channel, else its first sending's, else the customer's
        coalesce(invoices.billing_channel, events.sent_channel, customers.preferred_channel, 'unknown') as channel
    from (
        select * from marts.invoices
        -- marts built before billing_channel existed read as "not said"
        union all by name
        select null::varchar as billing_channel where false
    ) as invoices
    left join marts.customers as customers using (customer_id)
    left join intermediate.analytics_invoice_events as events using (invoice_number)
    where invoices.document_type = 'invoice'
      and invoices.issue_date <= $as_of::date
),

scoring_points as (
    select invoice_number, customer_id, channel, issue_date as scored_on, 'at_issue' as scoring from invoices
    union all
    select invoice_number, customer_id, channel, $as_of::date, 'open' from invoices where settled_date is null
),

history as (
    select
        points.invoice_number,
        points.scoring,
        count(past.invoice_number) as prior_settled,
        avg((past.settled_date > past.due_date)::integer) as prior_late_rate,
        -- greatest() skips nulls, so the customer-without-history case is spelled out
        avg(case when past.settled_date is not null then greatest(past.settled_date - past.due_date, 0) end)
            as prior_mean_days_late,
        max(case when past.settled_date is not null then greatest(past.settled_date - past.due_date, 0) end)
            as prior_max_days_late,
        avg(past.settled_date - past.issue_date) as prior_mean_days_to_pay,
        stddev_samp(past.settled_date - past.issue_date) as prior_days_to_pay_spread,
        -- how the customer paid when billed the same way as this invoice (paper and e-invoices differ)
        avg((past.settled_date > past.due_date)::integer) filter (where past.channel = points.channel)
            as prior_late_rate_same_channel,
        list_avg(list((past.settled_date > past.due_date)::integer order by past.settled_date desc)[1:5])
            as recent_late_rate,
        any_value(points.scored_on) - max(past.settled_date) as days_since_last_settlement
    from scoring_points as points
    left join invoices as past
        on past.customer_id = points.customer_id
       and past.settled_date < points.scored_on
       and past.invoice_number <> points.invoice_number
    group by points.invoice_number, points.scoring
),

exposure as (
    select
        points.invoice_number,
        points.scoring,
        count(earlier.invoice_number) as prior_invoices,
        avg(earlier.amount) as prior_mean_amount,
        count(earlier.invoice_number) filter (
            where earlier.settled_date is null or earlier.settled_date >= points.scored_on) as open_invoices,
        count(earlier.invoice_number) filter (
            where (earlier.settled_date is null or earlier.settled_date >= points.scored_on)
              and earlier.due_date < points.scored_on) as overdue_invoices,
        coalesce(sum(earlier.amount) filter (
            where (earlier.settled_date is null or earlier.settled_date >= points.scored_on)
              and earlier.due_date < points.scored_on), 0) as overdue_amount
    from scoring_points as points
    left join invoices as earlier
        on earlier.customer_id = points.customer_id
       and earlier.issue_date < points.scored_on
       and earlier.invoice_number <> points.invoice_number
    group by points.invoice_number, points.scoring
),

dispute_history as (
    select
        points.invoice_number,
        points.scoring,
        count(disputes.invoice_number) as prior_disputes
    from scoring_points as points
    left join staging.disputes as disputes
        on disputes.customer_id = points.customer_id
       -- a dispute with no opening date cannot be placed in time, so it is never used as history
       and disputes.opened_on < points.scored_on
       and disputes.invoice_number <> points.invoice_number
    group by points.invoice_number, points.scoring
)

select
    points.invoice_number,
    points.customer_id,
    points.scoring,
    points.scored_on,
    invoices.issue_date,
    invoices.due_date,
    invoices.amount,
    ln(1 + greatest(invoices.amount, 0)) as log_amount,
    invoices.due_date - invoices.issue_date as terms_days,
    invoices.has_purchase_order::integer as has_purchase_order,
    month(invoices.issue_date) as issue_month,
    isodow(invoices.issue_date) as issue_weekday,
    points.channel,
    coalesce(customers.country, 'unknown') as country,
    coalesce(customers.segment, 'unknown') as segment,
    history.prior_settled,
    history.prior_late_rate,
    history.prior_mean_days_late,
    history.prior_max_days_late,
    history.prior_mean_days_to_pay,
    history.prior_days_to_pay_spread,
    history.prior_late_rate_same_channel,
    history.recent_late_rate,
    history.days_since_last_settlement,
    exposure.prior_invoices,
    invoices.amount / nullif(exposure.prior_mean_amount, 0) as amount_vs_usual,
    exposure.open_invoices,
    exposure.overdue_invoices,
    exposure.overdue_amount,
    dispute_history.prior_disputes / nullif(exposure.prior_invoices, 0) as prior_dispute_rate
from scoring_points as points
inner join invoices using (invoice_number)
inner join history using (invoice_number, scoring)
inner join exposure using (invoice_number, scoring)
inner join dispute_history using (invoice_number, scoring)
left join marts.customers as customers on customers.customer_id = points.customer_id
