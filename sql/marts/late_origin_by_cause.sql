-- How much lateness each primary cause explains on $as_of: late invoices, overdue amount and days late.
with causes as (
    select * from marts.late_invoice_causes
),

totals as (
    select sum(overdue_amount) as overdue_amount, sum(days_late) as days_late, count(*) as late_invoices
    from causes
)

select
    $as_of::date as as_of,
    causes.primary_cause as cause,
    causes.side,
    count(*) as late_invoices,
    sum(causes.overdue_amount)::decimal(18, 2) as overdue_amount,
    sum(causes.days_late) as days_late,
    count(*) / any_value(totals.late_invoices) as share_of_late_invoices,
    sum(causes.overdue_amount) / nullif(any_value(totals.overdue_amount), 0) as share_of_overdue_amount,
    sum(causes.days_late) / nullif(any_value(totals.days_late), 0) as share_of_days_late
from causes, totals
group by causes.primary_cause, causes.side
order by days_late desc, cause asc
