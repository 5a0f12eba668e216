-- Month by month up to $as_of: invoiced, credited and collected amounts, settlements and their punctuality,
-- and receivables at month end (the current month is cut at $as_of).
with invoices as (
    select * from intermediate.analytics_invoices
),

snapshots as (
    select * from intermediate.analytics_receivable_snapshots
),

months as (
    select month_start::date as month_start,
           least(last_day(month_start::date), $as_of::date) as month_end
    from range(
        date_trunc('month', (select min(issue_date) from invoices))::timestamp,
        ($as_of::date + interval 1 day)::timestamp,
        interval 1 month
    ) as t (month_start)
),

issued as (
    select date_trunc('month', issue_date)::date as month_start, sum(amount) as invoiced_amount,
           count(*) as invoices_issued
    from invoices
    group by all
),

credited as (
    select date_trunc('month', issue_date)::date as month_start, sum(abs(amount_incl_tax)) as credited_amount
    from marts.invoices
    where document_type = 'credit_note' and issue_date <= $as_of::date
    group by all
),

collected as (
    select date_trunc('month', payment_date)::date as month_start, sum(amount) as collected_amount
    from staging.payments
    where payment_date <= $as_of::date
    group by all
),

settled as (
    select
        date_trunc('month', settled_on)::date as month_start,
        count(*) as invoices_settled,
        count(*) filter (where days_past_due <= 0) as settled_on_time,
        avg(days_to_pay) as average_days_to_pay,
        avg(days_late) as average_days_late
    from invoices
    where is_settled
    group by all
)

select
    months.month_start as month,
    months.month_end,
    coalesce(issued.invoices_issued, 0) as invoices_issued,
    coalesce(issued.invoiced_amount, 0)::decimal(18, 2) as invoiced_amount,
    coalesce(credited.credited_amount, 0)::decimal(18, 2) as credited_amount,
    coalesce(collected.collected_amount, 0)::decimal(18, 2) as collected_amount,
    coalesce(settled.invoices_settled, 0) as invoices_settled,
    settled.settled_on_time / nullif(settled.invoices_settled, 0) as on_time_rate,
    settled.average_days_to_pay,
    settled.average_days_late,
    coalesce(snapshots.receivable_amount, 0)::decimal(18, 2) as receivable_at_month_end,
    coalesce(snapshots.overdue_amount, 0)::decimal(18, 2) as overdue_at_month_end,
    -- one-month DSO: receivables at month end against the month's net sales
    snapshots.receivable_amount
        / nullif(coalesce(issued.invoiced_amount, 0) - coalesce(credited.credited_amount, 0), 0)
        * (months.month_end - months.month_start + 1) as dso_month
from months
left join issued using (month_start)
left join credited using (month_start)
left join collected using (month_start)
left join settled using (month_start)
left join snapshots on snapshots.snapshot_date = months.month_end
order by months.month_start
